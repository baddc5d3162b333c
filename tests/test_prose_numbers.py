"""Every measured number in a notebook's prose is backed by that notebook's own outputs.

The project rule: every number in a notebook's prose is printed by a cell of that notebook
(or read from a committed result file the notebook cites), and a test checks them against the
outputs. This is that test.

What counts as output ("the backing text" of a notebook):
- the text of its code cells' outputs: stream text and the ``text/plain`` of execute_result /
  display_data, but not code listings (``show_source`` / ``compare_code`` outputs, the ones
  with ``text/html``) nor widget views, and never the cell sources;
- the committed (git-tracked) result files the notebook cites by path: benchmarks/results.md,
  benchmarks/full-data.md, results/ablation/*.json, results/note-tf1/results.json.

What is checked in the markdown cells (outside inline code, fenced code, LaTeX and URLs):
- decimals (``0.35``, ``-2.63``), scientific numbers (``7.9e-8``, ``2e-4``), numbers with
  thousands separators (``14,100``), percentages (``89.7 %``, ``13.0%``, ``87-90 %``);
- integers only where they state a measurement: after ``약``/``≈``, before ``%`` or ``배``,
  in ``A 대 B``, in a ``... steps/s`` phrase, after ``초당``, after ``FD`` (and its ``→`` chain).
  Other bare integers (epochs, seeds, digits, layer sizes, step numbers ``#5``) are skipped.

A prose number written with d decimals is backed if some output number rounds to it at d
decimals (for ``7.9e-8``: at the mantissa's precision), with the same sign. ``A-B`` ranges are
two numbers. Units:
- a percentage ``v %`` is backed by a printed ``v%`` or a fraction ``v/100`` (``89.7 %`` by
  ``0.897``); a plain number by a plain number or a percentage as a fraction (``0.21`` by
  ``20.6%``), never by a percentage as it is (``score 9.5`` is not backed by ``9.5%``);
- ``v %p`` (percentage points, a difference) only by a printed percentage;
- ``N배`` with a whole N only by a printed ratio (``1.30x``, ``×``, ``배``): bare integers in the
  outputs are digit labels, shapes and counts.
The per-epoch training log lines and the results' loss fields back only prose paragraphs
that speak of a loss (``loss``/``손실``): they hold hundreds of values, and any small decimal
elsewhere would find one by chance.

Limits: matching is by value, not by meaning, so a prose number can still be backed by a
different output number that happens to round the same (``0.1``, ``0.5``, ``20 %`` are easy
to hit). A failure names a number no output shows; a pass is evidence, not proof. Most bare integers are not
checked.

ALLOWED lists, per notebook, the few numbers in prose that are definitions or facts, not
measurements, each with words that must be near it and its reason. Numbers that are printed
anyway need no entry.
"""

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Committed result files a notebook may cite; a notebook reads the ones whose path (the part
# before any "*") appears in its markdown or code.
RESULT_FILES = ["benchmarks/results.md", "benchmarks/full-data.md", "benchmarks/profile.md", "results/ablation/*.json",
                "results/note-tf1/results.json"]

# Numbers in prose that are definitions, not measurements: {notebook: [(number, words that
# must be in the same paragraph, reason)]}. The number is the checker's normalised key (sign,
# no separators, "%" for a percentage); the words keep an entry from excusing the same value
# written elsewhere as a result. Keep this small.
ALLOWED = {
    "01_gan.ipynb": [
        ("0.01", "표준편차", "the note's initial weight stddev (RandomNormal(stddev=0.01)): a setting"),
        ("60000", "Keras", "size of the full Keras MNIST training set: a property of the data set"),
        ("0.999999998", "로짓 20", "sigmoid(20) = 1/(1+e^-20): arithmetic explaining the float32 rounding"),
        ("1e-8", "epsilon", "Adam epsilon: TF1 AdamOptimizer's default, a setting"),
        ("1e-7", "epsilon", "Adam epsilon: Keras' default, a setting"),
        ("-1.386", "구별을 전혀 못 할 때", "2·log 0.5 = -log 4: the loss of a discriminator that cannot tell real "
         "from fake (math)"),
        ("1.386", "log 4 = 1.386의 뜻", "log 4 (theory 1): the size of V(D*, G) at p_g = p_data, and notebook 2's "
         "cross-entropy reference point (math; the cell prints -1.3863)"),
    ],
    "02_conditional_gan.ipynb": [
        ("1e-8", "epsilon", "Adam epsilon: TF1 AdamOptimizer's default, a setting"),
        ("98%", "이상이어야", "the accuracy the classifier must reach to be used: a threshold, not a result"),
    ],
    "00_gan_in_2d.ipynb": [
        ("0.0002", "노트의 0.0002", "the note's learning rate, against which this notebook's default is set: a setting"),
        ("5.1", "VEEGAN", "a section number of the VEEGAN paper, where the coverage measure is defined"),
    ],
    "03_going_further.ipynb": [
        ("0.01", "표준편차", "the note's initial weight stddev: a setting"),
        ("30%", "쯤이면", "an illustrative share, in the explanation of top class: not a result"),
        ("1000", "숫자마다 1,000장", "a setting: 1,000 generated images per digit for every measurement"),
        ("1000", "단계의 가중치", "the EMA horizon 1/(1 - 0.999): follows from the setting"),
        ("99%", "목표", "the label-accuracy target: a goal, not a result"),
    ],
}

NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
# A number not glued to a word or a version string (2.21.0); a leading minus only when it
# is a sign (not after a digit, so "0.021-0.030" is a range).
PROSE_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.#^/])(?P<sign>[-−](?=\d))?(?<![\d.])(?P<num>" + NUMBER + r")(?![\w]*\.\d)(?![A-Za-z_]*\d)"
)
OUTPUT_NUMBER = re.compile(r"(?<![\w.])(?P<sign>-)?(?P<num>" + NUMBER + r")(?:(?P<pct>\s?%)|(?P<ratio>\s?(?:x|×|배)(?![A-Za-z])))?")
PERCENT_AFTER = re.compile(r"\s*(?:%|(?:[-~–]\s*" + NUMBER + r"\s*%))")

# Where a bare integer states a measurement (spans in which every integer is checked).
INTEGER_CONTEXTS = [
    re.compile(r"(?:약|≈)\s*\d+"),
    re.compile(r"\d+\s*배"),
    re.compile(r"\d+\s*대\s*\d+"),
    re.compile(r"\d+(?:\s*(?:-|→|대|,)\s*\d+)*\s*steps/s"),
    re.compile(r"초당\s*\d+"),
    re.compile(r"FD\s+\d+(?:\s*→\s*\d+)*"),
]


@dataclass
class ProseNumber:
    text: str      # as written
    key: str       # normalised: sign, digits, "%" for a percentage
    value: float
    quantum: float  # the precision it is written to
    percent: bool
    ratio: bool    # "N배" (N times); a whole N is backed only by a printed ratio ("1.30x")
    points: bool   # "%p": percentage points, a difference; only a printed percentage backs it
    context: str   # the words around it, for the report
    block: str     # its paragraph, list item or table row


def _blank(match):
    return " " * len(match.group(0))


def prose_text(markdown: str) -> str:
    """The markdown with code, LaTeX, URLs and step numbers blanked out (offsets kept)."""
    for pattern in [r"```.*?```", r"~~~.*?~~~", r"`[^`\n]*`", r"\$\$.*?\$\$", r"\$[^$\n]*\$",
                    r"https?://\S+", r"#\d+"]:
        markdown = re.sub(pattern, _blank, markdown, flags=re.S)
    return markdown


def _quantum(num: str) -> float:
    mantissa, _, exponent = num.replace(",", "").lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def _block_starts(markdown: str) -> list[int]:
    """Offsets where a paragraph, list item, table row or heading starts."""
    starts, offset = [0], 0
    for line in markdown.splitlines(keepends=True):
        if not line.strip() or re.match(r"\s*(?:[-*+]\s|\d+\.\s|\||#)", line):
            starts.append(offset)
        offset += len(line)
        if not line.strip():
            starts.append(offset)
    return sorted(set(starts)) + [len(markdown)]


def prose_numbers(markdown: str) -> list[ProseNumber]:
    text = prose_text(markdown)
    starts = _block_starts(markdown)
    integer_spans = [m.span() for p in INTEGER_CONTEXTS for m in p.finditer(text)]
    found = []
    for m in PROSE_NUMBER.finditer(text):
        num = m.group("num")
        is_integer = re.fullmatch(r"\d+", num) is not None
        after = PERCENT_AFTER.match(text, m.end())
        percent = after is not None
        points = percent and text[after.end():after.end() + 1] == "p"
        ratio = re.match(r"\s*배", text[m.end():]) is not None
        if is_integer and not percent and not any(a <= m.start("num") < b for a, b in integer_spans):
            continue
        sign = "-" if m.group("sign") else ""
        value = float(sign + num.replace(",", ""))
        key = sign + num.replace(",", "") + ("%p" if points else "%" if percent else "")
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line = markdown[line_start:line_end if line_end >= 0 else None]
        col = m.start() - line_start
        context = line[max(0, col - 50):col + 50].strip()
        block_start = max(b for b in starts if b <= m.start())
        block = markdown[block_start:min(b for b in starts if b > m.start())]
        found.append(ProseNumber(m.group(0), key, value, _quantum(num), percent, ratio, points, context, block))
    return found


def output_numbers(text: str) -> list[tuple[float, str]]:
    """(value, unit) for every number in ``text``; unit "%", "x" (a ratio) or ""."""
    return [(float((m.group("sign") or "") + m.group("num").replace(",", "")),
             "%" if m.group("pct") else "x" if m.group("ratio") else "")
            for m in OUTPUT_NUMBER.finditer(text)]


def is_backed(n: ProseNumber, numbers: list[tuple[float, str]]) -> bool:
    def close(x, v, q):
        return abs(x - v) <= q / 2 * (1 + 1e-9) + 1e-15

    whole = n.quantum >= 1
    for x, unit in numbers:
        if n.points:      # a difference of percentages: only a printed percentage
            ok = unit == "%" and close(x, n.value, n.quantum)
        elif n.percent:   # 89.7 % = 89.7% = 0.897
            ok = close(x, n.value, n.quantum) if unit == "%" else close(x, n.value / 100, n.quantum / 100)
        elif n.ratio and whole:  # "6배": bare integers in outputs are labels, shapes and counts
            ok = unit == "x" and close(x, n.value, n.quantum)
        else:             # 0.897 = 89.7%; a percentage never backs a plain number as it is
            ok = close(x / 100, n.value, n.quantum) if unit == "%" else close(x, n.value, n.quantum)
        if ok:
            return True
    return False


# The per-epoch training log ("Epoch 0042 D loss: -0.4287 G loss: -2.693") holds hundreds of
# loss values; they back only prose that speaks of a loss, or any small number would pass.
EPOCH_LINE = re.compile(r"^Epoch \d+ (D loss: \S+ G loss: \S+)\s*$", re.M)
LOSS_WORDS = re.compile(r"loss|손실", re.I)


def output_text(nb) -> tuple[str, str]:
    """(the text of the outputs without the epoch lines, the epoch lines' losses)."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                data = out.get("data", {})
                if "text/html" in data or "application/vnd.jupyter.widget-view+json" in data:
                    continue  # a code listing (show_source, compare_code) or a widget, not a result
                parts.append(data.get("text/plain", ""))
    text = "\n".join(parts)
    return EPOCH_LINE.sub("", text), "\n".join(EPOCH_LINE.findall(text))


def _tracked(pattern: str) -> list[Path]:
    paths = sorted(ROOT.glob(pattern))
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", pattern], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.split("\0")
    except (OSError, subprocess.CalledProcessError):
        return paths  # not a git checkout (an unpacked release): what is there is what was shipped
    tracked = {ROOT / p for p in listed if p}
    return [p for p in paths if p in tracked]


def _json_lines(value, path=""):
    """One ``key.path: number`` line per number in a JSON value."""
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _json_lines(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [line for v in value for line in _json_lines(v, path)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [f"{path}: {value!r}"]
    return []


def result_file_text(nb) -> tuple[str, str]:
    """The committed result files this notebook cites: (their text, their lines about losses)."""
    source = "\n".join(c.source for c in nb.cells)
    lines = []
    for pattern in RESULT_FILES:
        if pattern.split("*")[0] not in source:
            continue
        for path in _tracked(pattern):
            text = path.read_text()
            lines += _json_lines(json.loads(text)) if path.suffix == ".json" else text.splitlines()
    losses = [line for line in lines if LOSS_WORDS.search(line)]
    return "\n".join(line for line in lines if not LOSS_WORDS.search(line)), "\n".join(losses)


def unbacked_numbers(nb, name: str, files: tuple[str, str] = ("", ""), allowed: list | None = None) -> list[str]:
    """One line per prose number not found in ``nb``'s outputs (or in ``files``: the text of its
    result files and their lines about losses, as :func:`result_file_text` gives them)."""
    allowed = allowed or []
    text, losses = output_text(nb)
    numbers = output_numbers(text + "\n" + files[0])
    with_losses = numbers + output_numbers(losses + "\n" + files[1])
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for n in prose_numbers(cell.source):
            pool = with_losses if LOSS_WORDS.search(n.block) else numbers
            if any(key == n.key and near in n.block for key, near, _ in allowed) or is_backed(n, pool):
                continue
            shown = n.text.strip() + (" %p" if n.points else " %" if n.percent else "배" if n.ratio else "")
            problems.append(f"{name} cell {index}: {shown!r} not in any output | ...{n.context}...")
    return problems


def _fake_notebook(markdown: str, printed: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown),
                nbformat.v4.new_code_cell("print(x)", outputs=[
                    nbformat.v4.new_output("stream", name="stdout", text=printed)])]
    return nb


def test_checker_reports_a_number_no_output_prints():
    nb = _fake_notebook("The score rose to 7.87 and the top class was 11.8 %.", "score 7.52 | top class 11.8%\n")
    problems = unbacked_numbers(nb, "fake.ipynb")
    assert len(problems) == 1 and "'7.87'" in problems[0] and "cell 0" in problems[0], problems


def test_checker_passes_numbers_the_outputs_print():
    nb = _fake_notebook(
        "D loss 7.9e-8, median -0.35, accuracy 89.7 % (worst 72.4%), ratio 0.021-0.030, "
        "14,100 steps, 약 43 대 256, 2.6배. `0.123` in code and $0.456$ in LaTeX are not prose.",
        "D loss: 7.913e-08 median -0.3512 | label acc 0.8972 worst 72.4% | 0.0214 0.0298\n"
        "14100 steps | 42.6 256 | 2.61x\n")
    assert unbacked_numbers(nb, "fake.ipynb") == []


def test_checker_keeps_sign_precision_and_allowlist():
    nb = _fake_notebook("D loss -0.35, G loss 2.63, 약 43, 0.5", "D -0.42 G -2.63 | 42 | 0.5\n")
    problems = unbacked_numbers(nb, "fake.ipynb")
    assert [p.split("'")[1] for p in problems] == ["-0.35", "2.63", "43"], problems
    allowed = [("-0.35", "D loss", "test"), ("2.63", "G loss", "test"), ("43", "nowhere", "test")]
    assert [p.split("'")[1] for p in unbacked_numbers(nb, "fake.ipynb", allowed=allowed)] == ["43"]


def test_checker_scopes_training_log_units_and_points():
    log = "".join(f"Epoch {e:04d} D loss: {0.5 + e / 1000:.4g} G loss: {2 + e / 100:.4g}\n" for e in range(100))
    nb = _fake_notebook("D loss ended at 0.59.\n\nRatio 2.6배; the top class was 43.7 %, 6배, 0.6 %p.",
                        log + "top class 43.7% | digit 0 1 2 3 4 5 6 | share 0.0055\n")
    # 2.6 and 0.59 are in the log (G loss 2.6, D loss 0.59), but only the paragraph about a
    # loss may use it; "6배" needs a printed ratio, not the digit 6; "0.6 %p" a printed percentage.
    assert [p.split("'")[1] for p in unbacked_numbers(nb, "fake.ipynb")] == ["2.6배", "6배", "0.6 %p"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_prose_numbers_are_printed_by_the_notebook(path):
    nb = nbformat.read(path, as_version=4)
    problems = unbacked_numbers(nb, path.name, result_file_text(nb), ALLOWED.get(path.name, []))
    assert not problems, (f"{len(problems)} number(s) in the prose of {path.name} are not printed by any of its "
                          "cells (nor in a committed result file it cites):\n" + "\n".join(problems))


def test_allowlist_entries_have_reasons_and_are_used():
    """No stale entries: each one names a number that the notebook's prose still has."""
    by_name = {p.name: p for p in NOTEBOOKS}
    for name, entries in ALLOWED.items():
        assert name in by_name, name
        nb = nbformat.read(by_name[name], as_version=4)
        found = [n for c in nb.cells if c.cell_type == "markdown" for n in prose_numbers(c.source)]
        for key, near, reason in entries:
            assert near and reason.strip(), (name, key)
            assert any(n.key == key and near in n.block for n in found), \
                f"{name}: allowlist entry {key!r} (near {near!r}) no longer appears in its prose; remove it"
