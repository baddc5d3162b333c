"""benchmarks/bound.py (issue 15): the compute bound ``make bench`` prints beside the notebooks' speed.

The bound is only worth printing if it counts the work a training step really does and times that
work, no more and no less:

- the FLOPs per step (``step_matmuls`` and the closed formula) equal the MatMul ops of the real traced
  training step (``training_steps``) whose results reach a variable update or an output, less the
  generator forward XLA computes once; and the matmuls XLA keeps in the compiled step;
- they follow the models' sizes (another hidden layer size, another noise size);
- the timed loop does every one of those matmuls in full, inside its loop;
- the command line prints the JSON line ``make bench`` reads.

Nothing here asserts a speed.
"""

import collections
import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import bound  # noqa: E402  (TensorFlow)
from gan_helpers import models, training_steps, timing  # noqa: E402

tf = bound.tf
keras = bound.keras

BATCH = bound.BATCH_SIZE
VARIABLE_UPDATES = {"AssignVariableOp", "AssignSubVariableOp", "AssignAddVariableOp"}


def training_step(model, generator, discriminator):
    """The notebook's compiled training step (training_steps) for these models, and example arguments."""
    rng = tf.random.Generator.from_seed(0)
    n_noise = generator.inputs[0].shape[-1]
    optimizers = keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4)
    if model == "gan":
        step = training_steps.make_gan_train_step(generator, discriminator, *optimizers,
                                              lambda b, n: models.standard_normal_noise(rng, b, n), BATCH, n_noise)
        return step, [tf.zeros((BATCH, bound.N_INPUT))]
    step = training_steps.make_cgan_train_step(generator, discriminator, *optimizers,
                                           lambda b, n: models.uniform_noise(rng, b, n), BATCH, n_noise)
    return step, [tf.zeros((BATCH, bound.N_INPUT)), tf.one_hot(tf.range(BATCH) % bound.N_CLASS, bound.N_CLASS)]


def live_matmuls(concrete):
    """``{op name: (m, k, n, transpose_a, transpose_b)}`` of the graph's MatMul ops whose result reaches a
    variable update or one of the function's outputs (the tape also emits gradients nobody uses)."""
    graph = concrete.graph
    todo = [op for op in graph.get_operations() if op.type in VARIABLE_UPDATES] + [t.op for t in concrete.outputs]
    assert len(todo) > len(concrete.outputs), "the step updates variables"
    live = set()
    while todo:
        op = todo.pop()
        if op not in live:
            live.add(op)
            todo.extend(t.op for t in op.inputs)
    found = {}
    for op in live:
        assert op.type not in ("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "Einsum"), op.name  # all counted
        if op.type == "MatMul":
            a, b = (tuple(t.shape.as_list()) for t in op.inputs)
            ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
            m, k = (a[1], a[0]) if ta else a
            n = b[0] if tb else b[1]
            assert k == (b[1] if tb else b[0]), op.name
            found[op.name] = (m, k, n, ta, tb)
    return found


def flops(key):
    m, k, n, *_ = key
    return 2 * m * k * n


# ---------------------------------------------------------------- HLO text (XLA's optimised module)

_HLO_VALUE = re.compile(r"^\s*(?:ROOT\s+)?%?([\w.\-]+)\s*=\s*\w+\[([\d,]*)\]")
_HLO_DOT = re.compile(r"=\s*\w+\[([\d,]*)\]\S*\s+dot\(\s*%?([\w.\-]+)\s*,.*?lhs_contracting_dims=\{([\d,]*)\}")


def hlo_dots(hlo: str) -> collections.Counter:
    """``Counter((contracted size, output elements))`` of the ``dot`` instructions in HLO text."""
    shapes = {}
    for line in hlo.splitlines():
        found = _HLO_VALUE.match(line)
        if found:
            shapes[found.group(1)] = [int(d) for d in found.group(2).split(",") if d]
    dots = collections.Counter()
    for line in hlo.splitlines():
        found = _HLO_DOT.search(line)
        if found:
            out_dims, lhs, contracting = found.groups()
            k, size = 1, 1
            for dim in filter(None, contracting.split(",")):
                k *= shapes[lhs][int(dim)]
            for d in filter(None, out_dims.split(",")):
                size *= int(d)
            dots[k, size] += 1
    return dots


def hlo_computation(hlo: str, name: str) -> str:
    """The text of the computation ``name`` in an HLO module."""
    found = re.search(rf"^%{re.escape(name)} \(.*?^\}}", hlo, flags=re.M | re.S)
    assert found, name
    return found.group(0)


def test_hlo_dots_reads_shapes_and_contracted_sizes():
    hlo = """
%body (p: f32[100,784]) -> f32[256,784] {
  %p = f32[100,784]{1,0} parameter(0)
  %w.1 = f32[100,256]{1,0} get-tuple-element(%t), index=1
  ROOT %MatMul.3 = f32[256,784]{1,0} dot(%w.1, %p), lhs_contracting_dims={0}, rhs_contracting_dims={0}
  %dot.8 = f32[100]{0} dot(%w.1, %v), lhs_contracting_dims={1}, rhs_contracting_dims={0}, metadata={}
}"""
    assert hlo_dots(hlo) == {(100, 256 * 784): 1, (256, 100): 1}
    assert hlo_computation(hlo, "body").count("dot(") == 2


def without_k1(dots):
    """XLA computes a product over k = 1 (an outer product) as a multiply, not a dot: left out of comparisons."""
    return collections.Counter({key: count for key, count in dots.items() if key[0] > 1})


# ---------------------------------------------------------------- FLOPs per step

MODELS = [("gan", 256), ("gan", 64), ("cgan", 256), ("cgan", 64)]


@pytest.mark.parametrize("model,n_hidden", MODELS)
def test_the_counted_matmuls_are_the_traced_steps_live_ones(model, n_hidden):
    generator, discriminator = bound.build(model, n_hidden=n_hidden)
    step, args = training_step(model, generator, discriminator)
    live = live_matmuls(step.get_concrete_function(*[tf.TensorSpec(a.shape, a.dtype) for a in args]))

    # generator(Z) twice, in D's turn and in G's: the same tensor, computed once by XLA
    calls = collections.defaultdict(list)
    for name, key in live.items():
        if name.startswith("generator"):
            calls[name.split("/")[0]].append(key)
    assert len(calls) == 2, sorted(live)
    first, second = (sorted(keys) for _, keys in sorted(calls.items()))
    assert first == second and len(first) == len(bound.dense_kernels(generator))
    graph_keys = sorted(live.values())
    for key in second:
        graph_keys.remove(key)

    counted = bound.step_matmuls(generator, discriminator, BATCH)
    assert sorted(mm.key for mm in counted) == graph_keys
    assert sum(map(flops, graph_keys)) == sum(mm.flops for mm in counted) == bound.formula_flops(
        generator, discriminator, BATCH)


@pytest.mark.parametrize("model", ["gan", "cgan"])
def test_the_compiled_step_does_the_counted_matmuls(model):
    """XLA's optimised step: the generator forward once, the unused gradients gone."""
    generator, discriminator = bound.build(model)
    step, args = training_step(model, generator, discriminator)
    compiled = hlo_dots(step.experimental_get_compiler_ir(*args)(stage="optimized_hlo"))
    counted = collections.Counter((mm.k, mm.m * mm.n) for mm in bound.step_matmuls(generator, discriminator, BATCH))
    assert without_k1(compiled) == without_k1(counted)
    assert sum(counted.values()) - sum(without_k1(counted).values()) == 3  # D's last layer's input gradients


def test_flops_follow_the_models_sizes():
    """The vanilla GAN: 2 x batch x hidden x (2 noise + 9 x 784 + 8); the conditional one, with the labels
    (10) joined to the noise and to the image: 2 x batch x hidden x (2 (noise + 10) + 3 x 784 + 6 x 794 + 8)."""
    for n_hidden, n_noise in ((256, 128), (100, 128), (256, 64)):
        gan = bound.build("gan", n_hidden=n_hidden, n_noise=n_noise)
        cgan = bound.build("cgan", n_hidden=n_hidden, n_noise=n_noise)
        expected_gan = 2 * BATCH * n_hidden * (2 * n_noise + 9 * 784 + 8)
        expected_cgan = 2 * BATCH * n_hidden * (2 * (n_noise + 10) + 3 * 784 + 6 * 794 + 8)
        assert bound.formula_flops(*gan) == sum(mm.flops for mm in bound.step_matmuls(*gan)) == expected_gan
        assert bound.formula_flops(*cgan) == sum(mm.flops for mm in bound.step_matmuls(*cgan)) == expected_cgan
    assert bound.formula_flops(*bound.build("gan")) == 374_784_000     # the notebooks' sizes
    assert bound.formula_flops(*bound.build("cgan")) == 378_880_000
    assert bound.dense_kernels(bound.build("cgan")[1]) == [(794, 256), (256, 1)]


def test_the_sizes_are_the_benchmarked_runs_sizes():
    """bound.py builds the models with the sizes tf2_notebooks.py (notebook 1) and gan_helpers.cgan (notebook 2) use."""
    import tf2_notebooks
    from gan_helpers import cgan

    sizes = (bound.BATCH_SIZE, bound.N_NOISE, bound.N_HIDDEN, bound.N_INPUT)
    assert sizes == (tf2_notebooks.batch_size, tf2_notebooks.n_noise, tf2_notebooks.n_hidden, tf2_notebooks.n_input)
    assert sizes + (bound.N_CLASS,) == (cgan.BATCH_SIZE, cgan.NOTE.n_noise, cgan.NOTE.n_hidden, cgan.NOTE.n_input,
                                        cgan.NOTE.n_class)


def test_dense_layers_must_form_a_chain():
    one = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
    assert bound.dense_kernels(one) == [(8, 4)]
    x = keras.Input((8,))
    two_heads = keras.Model(x, [keras.layers.Dense(4)(x), keras.layers.Dense(3)(x)])
    with pytest.raises(ValueError, match="not a chain"):
        bound.dense_kernels(two_heads)


# ---------------------------------------------------------------- the timed loop

def test_the_timed_loop_does_every_matmul_in_full_inside_the_loop():
    generator, discriminator = bound.build("cgan")
    matmuls = bound.step_matmuls(generator, discriminator, BATCH)
    run, operands = bound.matmul_loop(matmuls, iterations=3)
    assert [tuple(t.shape for t in pair) for pair in operands] == [mm.shapes for mm in matmuls]
    hlo = run.experimental_get_compiler_ir(operands)(stage="optimized_hlo")
    whiles = re.findall(r"\bwhile\(.*?body=%?([\w.\-]+)", hlo)
    assert len(whiles) == 1, whiles
    in_loop = hlo_dots(hlo_computation(hlo, whiles[0]))
    assert in_loop == hlo_dots(hlo)  # none hoisted out of the loop
    assert without_k1(in_loop) == without_k1(collections.Counter((mm.k, mm.m * mm.n) for mm in matmuls))
    assert 0 < bound.extra_elementwise(matmuls) < 0.002 * sum(mm.flops for mm in matmuls)


def test_command_line_prints_the_bound_as_json():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bound.py"), "gan", "--iterations", "5",
                           "--repeats", "3"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, done.stdout
    line = json.loads(lines[0])
    assert (line["model"], line["flops_per_step"], line["problem"]) == ("gan", 374_784_000, None)
    assert len(line["seconds_per_iteration"]) == 3 and all(t > 0 for t in line["seconds_per_iteration"])
    assert line["bound_steps_per_s"] == pytest.approx(1 / line["seconds_per_step"], rel=1e-3)
    assert line["gflops"] == pytest.approx(line["flops_per_step"] * line["bound_steps_per_s"] / 1e9, rel=1e-3)
    assert sorted(line["seconds_per_iteration"])[1] == line["seconds_per_step"]  # the median of 3
    assert sum(2 * mm["m"] * mm["k"] * mm["n"] for mm in line["matmuls"]) == line["flops_per_step"]
    assert line["machine"] == timing.describe()
