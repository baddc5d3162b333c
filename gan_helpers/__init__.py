"""Helpers for the Korean GAN tutorial notebooks (TensorFlow 2 / Keras 3).

``import gan_helpers`` imports nothing heavy (no TensorFlow, no Keras), so the command
line answers ``--help`` at once. The notebooks' first import is

    import gan_helpers
    tf = gan_helpers.import_tensorflow_quietly()  # no absl/oneDNN lines under the cell

and only then ``import keras`` or the modules that build models (``models``,
``checkpoints``, ``training``, ...), which import TensorFlow quietly themselves.

Where things live (one line per folder and module)
--------------------------------------------------
notebooks/                the lesson: 00 (2-D), 01 (the note's GAN), 02 (conditional GAN), 03 (going further)
gan_helpers/              what the notebooks import (this package)
  The engine
    data.py               MNIST as the note's input_data had it (MNIST_NPZ, or Keras's download)
    settings.py           a run's settings: every option named and defaulted once, checked; settings.json
    models.py             the generators and discriminators of every notebook, noise functions
    training_steps.py     the training steps of notebooks 1 and 2, defined once (the notebooks show them)
    training.py           the note's outer loop, train() (the notebooks show and run it); train_fast() opt-in
    runner.py             around the loop: resume, the epoch line, history, grids, GIF frames, checkpoints
    checkpoints.py        checkpoints that survive a kernel restart or kill -9; settings.json
    classifier.py         the MNIST classifier behind the score, the Frechet distance and digit shares
    diagnostics.py        the generator's learning signal on a fixed batch (D(x), D(G(z)), |grad G|)
    experiments.py        notebook 3's options, rows and table
    cgan.py               notebook 2's conditional GAN runs and its noise comparison
    brief_gan.py          notebook 1's brief 20-epoch runs and its three-seed minimax comparison
  Pictures and widgets
    plotting.py           sample grids and curves
    animation.py          the training GIF, one frame per epoch
    widgets.py            epoch browser, latent walk (ipywidgets)
    code_view.py          show_source / compare_code: the package's code beside the note's TF1 lines
    note_code.py          the note's TF1 code, quoted step by step (strings; it does not run)
    progress.py           a progress bar that stays one line in a saved notebook
  Notebook 00's 2-D lab
    lab2d/gan2d.py        2-D data sets, tiny G and D, the training step, mode coverage
    lab2d/view2d.py       pictures of one training state (fast frames, D* against D)
    lab2d/widget.py       the live widget (play / pause / one step)
  Small parts
    config.py             GAN_EPOCHS, GAN_SEED, GAN2D_STEPS, GAN_RUN_OF_RECORD, checked
    paths.py              where checkpoints/, samples/ (or a run's own pictures) and the checkout are
    atomic.py             atomic file writes (no half-written file after a crash)
    timing.py             the CPU model, durations, the notebook's clock
    results.py            the saved results in results/: where, reading, their provenance record, the verdict line;
                          whether a run is the run of record that may write samples/
    errors.py, _quiet.py  one error type; TensorFlow imported without its start-up lines
    __main__.py           the command line: python -m gan_helpers sample ...
tools/                    what a learner never imports: the handout builder (python -m tools.handout), the
                          writers of results/ (ablation, cgan_noise, note_tf1, coverage_2d, minimax) and the note's
                          TF1 code they and make bench run (tf1_gan, tf1_cgan, _baseline)
benchmarks/               make bench: speed only (tf2_notebooks, bound, profiles, the measured tables)
results/                  saved results the notebooks read, each with its provenance record (make ablation,
                          make cgan-noise, make note-tf1, make coverage-2d, make minimax)
tests/                    pytest; make test-fast (unit tests) and make test (everything, notebooks by nbval)
samples/                  the committed run of record's grids and GIFs (only make notebooks writes them; any other
                          run's go to checkpoints/<name>/samples: paths.sample_dir, results.not_of_record)

One source per training step and loop: the package defines them and the notebooks show that code
(show_source) where they teach it, then run it. The other choice, the notebook as the source and a module
generated from it, would make every tool depend on reading notebook cells; this way make bench, make
cgan-noise and the tests import the very functions a learner reads, and nothing is copied.
"""

from ._quiet import import_tensorflow_quietly

__all__ = ["import_tensorflow_quietly"]
