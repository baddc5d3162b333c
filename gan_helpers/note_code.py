"""The study note's TF1 code, step by step, for side-by-side display in the notebooks.

These lines are quoted from the note (tfGAN.ipynb and tfGAN2.ipynb) as they were
written; they do not run on TensorFlow 2. ``gan_helpers.code_view.compare_code``
shows them beside the TF 2 code that replaces them.
"""

GAN = {
    "#4": """\
G_W1 = tf.Variable(tf.random_normal([n_noise,n_hidden], stddev=0.01))
G_b1 = tf.Variable(tf.zeros([n_hidden]))
G_W2 = tf.Variable(tf.random_normal([n_hidden,n_input], stddev=0.01))
G_b2 = tf.Variable(tf.zeros([n_input]))

def generator(noise_z):                                   # 6
    hidden = tf.nn.relu(tf.matmul(noise_z, G_W1) + G_b1)
    output = tf.nn.sigmoid(tf.matmul(hidden, G_W2) + G_b2)
    return output""",
    "#5": """\
D_W1 = tf.Variable(tf.random_normal([n_input,n_hidden], stddev=0.01))
D_b1 = tf.Variable(tf.zeros([n_hidden]))
D_W2 = tf.Variable(tf.random_normal([n_hidden,1], stddev=0.01))
D_b2 = tf.Variable(tf.zeros([1]))

def discriminator(inputs):                                # 7
    hidden = tf.nn.relu(tf.matmul(inputs, D_W1) + D_b1)
    output = tf.nn.sigmoid(tf.matmul(hidden, D_W2) + D_b2)
    return output""",
    "#13": """\
for i in range(sample_size):
    ax[i].set_axis_off()
    ax[i].imshow(np.reshape(samples[i],(28,28)))

    plt.savefig('samples/{}.png'.format(str(epoch).zfill(3)), bbox_inches='tight')

    plt.close(fig)""",
}

CGAN = {
    "#2": """\
def generator(noise, labels):
    with tf.variable_scope('generator'):
        inputs = tf.concat([noise, labels], 1)
        hidden = tf.layers.dense(inputs, n_hidden, activation=tf.nn.relu)
        output = tf.layers.dense(hidden, n_input, activation=tf.nn.sigmoid)
    return output""",
    "#3": """\
def discriminator(inputs, labels, reuse=None):
    with tf.variable_scope('discriminator') as scope:
        if reuse:
            scope.reuse_variables()
        inputs = tf.concat([inputs, labels], 1)
        hidden = tf.layers.dense(inputs, n_hidden, activation= tf.nn.relu)
        output = tf.layers.dense(hidden, 1, activation=None)
    return output""",
}
