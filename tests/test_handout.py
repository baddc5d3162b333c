"""The classroom handout (issues 6 and 14): `make handout` -> handout/gan-handout-{student,teacher}.{html,pdf}.

One build of the real handout's two editions from the repository's notebooks (their saved
outputs, nothing is executed), checked as a reader would get it: the PDF's pages, text, fonts
and glyphs, the HTML's self-containedness, solutions only in the teacher's edition. Then small
made-up notebooks for the rules that the real ones do not exercise yet (widgets, tags, stderr,
errors, exercises and solutions, the training GIF as a strip, make's switches).
"""

import base64
import io
import itertools
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest

from conftest import need, noto_cjk_installed
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from PIL import Image

from nbconvert.filters import markdown2html

from tools import handout

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
STEP_HEADING = re.compile(r"^#{1,6}\s+#\d")  # "## #4 생성자의 변수 → Keras 층"
EPOCH = re.compile(r"^Epoch (\d+)\b", re.M)


def _need(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    need(not missing, f"needs {', '.join(missing)} (Debian: `make system-deps`)")
    need(noto_cjk_installed(), "needs the Noto CJK fonts for Korean text (Debian: `make system-deps`)")


def _run(*cmd) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _notebooks():
    paths = handout.find_notebooks(NOTEBOOKS)
    assert paths, f"no notebooks in {NOTEBOOKS}"
    return [nbformat.read(p, as_version=4) for p in paths]


def _shown_cells(nb):
    return [c for c in nb.cells if handout.HIDE_TAG not in c.metadata.get("tags", [])]


def _plain(markdown: str) -> str:
    """A Markdown line as it reads on paper: rendered, tags dropped, spaces collapsed."""
    soup = BeautifulSoup(markdown2html(markdown), "html.parser")
    for anchor in soup.select("a.anchor-link"):
        anchor.decompose()
    return " ".join(soup.get_text().split())


def _expected_step_headings(nbs):
    headings = []
    for nb in nbs:
        for cell in _shown_cells(nb):
            if cell.cell_type != "markdown":
                continue
            fenced = False
            for line in cell.source.splitlines():
                if line.lstrip().startswith(("```", "~~~")):
                    fenced = not fenced
                m = None if fenced else STEP_HEADING.match(line)
                if m:
                    headings.append(_plain(line))
    return headings


def _epoch_log(nbs):
    """The per-epoch lines of the notebooks' saved outputs (stdout), in order."""
    return [line for run in _epoch_runs(nbs) for line in run]


def _epoch_runs(nbs):
    """The per-epoch lines of the saved outputs, one list per cell that holds them (one training each;
    a cell's stdout is split into several outputs around its progress bar)."""
    runs = []
    for nb in nbs:
        for cell in _shown_cells(nb):
            lines = [ln for out in cell.get("outputs", []) if out.output_type == "stream" and out.name == "stdout"
                     for ln in out.text.splitlines() if EPOCH.match(ln)]
            if lines:
                runs.append(lines)
    return runs


def _page_bounds(nbs):
    """Rough page-count bounds from how much there is to print.

    A page holds about 60 lines of 8.3 pt code or 40 lines of prose; a figure takes
    at most a page. Lower bound: a dense 100 lines a page; upper: a sparse 25 lines a
    page plus a page per figure and two per notebook for page breaks.
    """
    lines = images = 0
    for nb in nbs:
        for cell in _shown_cells(nb):
            lines += len(cell.source.splitlines())
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "image/png" in data or "image/jpeg" in data:
                    images += 1
                elif "text/plain" in data:
                    lines += len(data["text/plain"].splitlines())
                elif out.output_type == "stream":
                    lines += min(len(out.text.splitlines()), 10)
    front = 2  # title page, contents
    return front + len(nbs) + lines // 100, front + 2 * len(nbs) + lines // 25 + images


# ---------------------------------------------------------------- the real handout


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Both editions of the real handout; the teacher's (everything shown) at the top level."""
    _need("chromium", "pdftotext", "pdfinfo", "pdffonts", "pdftoppm")
    out = tmp_path_factory.mktemp("handout")
    written = handout.build(NOTEBOOKS, out, code=True, pdf=True)
    names = ["gan-handout-student.html", "gan-handout-student.pdf",
             "gan-handout-teacher.html", "gan-handout-teacher.pdf"]
    assert [p.name for p in written] == names
    assert sorted(p.name for p in out.iterdir()) == names, "no temporary files left behind"
    editions = {}
    for edition in handout.EDITIONS:
        html = (out / f"gan-handout-{edition}.html").read_text(encoding="utf-8")
        pdf_path = out / f"gan-handout-{edition}.pdf"
        editions[edition] = {"html": html, "soup": BeautifulSoup(html, "html.parser"), "pdf": pdf_path,
                             "text": _run("pdftotext", "-layout", str(pdf_path), "-")}
    return {**editions["teacher"], "editions": editions}


@pytest.mark.slow
@pytest.mark.pdf
def test_pdf_is_a4_with_a_plausible_number_of_pages(built):
    info = _run("pdfinfo", str(built["pdf"]))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    low, high = _page_bounds(_notebooks())
    assert low <= pages <= high, f"{pages} pages, expected {low}-{high}"
    width, height = map(float, re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M).groups())
    assert abs(width - 595) < 2 and abs(height - 842) < 2, f"not A4: {width} x {height} pt"


@pytest.mark.slow
@pytest.mark.pdf
def test_pdf_has_page_numbers_and_numbered_contents(built):
    pages = built["text"].split("\f")
    n = len([p for p in pages if p.strip()])
    assert re.search(rf"\b2 / {n}\b", pages[1]), "page 2 carries 'page / pages' at its foot"
    # Every contents line ends with the page its heading is on.
    contents = [ln for ln in pages[1].splitlines() if ln.strip()][1:-1]
    numbered = [ln for ln in contents if re.search(r"\s\d+\s*$", ln)]
    assert len(numbered) >= len(contents) - 2 >= 1


@pytest.mark.slow
@pytest.mark.pdf
def test_pdf_text_has_hangul_and_every_step_heading(built):
    text = " ".join(built["text"].split())
    assert len(HANGUL.findall(text)) > 1000
    headings = _expected_step_headings(_notebooks())
    assert headings, "the notebooks have step headings ('## #1 ...')"
    for heading in headings:
        # Once in the contents, once in the body.
        assert text.count(heading) >= 2, f"step heading missing from the PDF: {heading!r}"


def _fonts(pdf):
    rows = _run("pdffonts", str(pdf)).splitlines()[2:]
    fonts = []
    for row in rows:
        m = re.match(r"(\S+)\s+(.+?)\s{2,}(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", row)
        assert m, f"unexpected pdffonts line: {row!r}"
        fonts.append({"name": m.group(1), "type": m.group(2), "emb": m.group(4) == "yes"})
    return fonts


def _glyph_cells(pdf, page, dpi=150):
    """(character, 20x20 grey image) for each Hangul character drawn on ``page``."""
    xml = _run("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-")
    png = subprocess.run(["pdftoppm", "-png", "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page),
                          str(pdf)], check=True, capture_output=True).stdout
    img, s = Image.open(io.BytesIO(png)).convert("L"), dpi / 72
    cells = []
    for *box, word in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)</word>',
                                 xml):
        if not re.fullmatch(r"[\uac00-\ud7a3]+", word):
            continue
        x0, y0, x1, y1 = (float(v) * s for v in box)
        w = (x1 - x0) / len(word)  # Hangul syllables are all one em wide
        for i, ch in enumerate(word):
            cell = img.crop((round(x0 + i * w), round(y0), round(x0 + (i + 1) * w), round(y1)))
            cells.append((ch, np.asarray(cell.resize((20, 20)), dtype=float) / 255))
    return cells


def _first_notebook_page(text) -> int:
    """1-based number of the page where the first notebook starts (after the title and contents pages)."""
    first = _notebooks()[0]
    title = next(c.source for c in first.cells if c.cell_type == "markdown").splitlines()[0].lstrip("# ").strip()
    for number, page in enumerate(text.split("\f")[2:], start=3):
        lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
        if lines and lines[0].startswith(title[:12]):
            return number
    raise AssertionError(f"no page starts with the first notebook's title {title!r}")


@pytest.mark.slow
@pytest.mark.pdf
def test_pdf_fonts_are_embedded_and_hangul_is_drawn_with_real_glyphs(built):
    fonts = _fonts(built["pdf"])
    assert fonts and all(f["emb"] for f in fonts), f"unembedded fonts: {[f for f in fonts if not f['emb']]}"
    named_cjk = [f for f in fonts if re.search(r"CJK|Nanum|Gothic|KR", f["name"])]
    # Chromium embeds an OpenType/CFF font such as Noto Sans CJK KR as unnamed Type 3
    # fonts, so pdffonts cannot name it; then the glyphs themselves must show it.
    assert named_cjk or any(f["type"] == "Type 3" for f in fonts), fonts
    # Tofu would pass pdftotext (the PDF's text layer keeps the characters) but not
    # this: on a page of prose, drawings of *different* syllables must differ far more
    # than drawings of the *same* syllable do. With tofu every syllable is one box.
    cells = _glyph_cells(built["pdf"], _first_notebook_page(built["text"]))[:250]
    assert len(cells) > 100, "the first notebook page has Korean prose"
    same, other = [], []
    for (a, pa), (b, pb) in itertools.combinations(cells, 2):
        (same if a == b else other).append(np.mean(np.abs(pa - pb)))
    assert same and np.median(other) > 1.5 * np.median(same), (np.median(same), np.median(other))


@pytest.mark.slow
@pytest.mark.pdf
def test_html_is_self_contained(built):
    soup = built["soup"]
    remote = re.compile(r"^\s*(https?:)?//", re.I)
    for tag in soup.find_all(src=True):
        assert not remote.match(tag["src"]), f"remote resource: <{tag.name} src={tag['src'][:80]}>"
    for tag in soup.find_all(href=True):
        if tag.name != "a":  # links in prose are fine; <link href> etc. are not
            assert not remote.match(tag["href"]), f"remote resource: <{tag.name} href={tag['href']}>"
    assert not soup.find_all(["script", "link", "iframe"])
    for style in soup.find_all("style"):
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//|@font-face", style.get_text()), \
            "no web fonts or remote stylesheets"
    assert "application/vnd.jupyter.widget" not in built["html"]
    assert "NBVAL_CHECK_OUTPUT" not in built["html"]


@pytest.mark.slow
@pytest.mark.pdf
def test_every_image_is_embedded_and_decodes(built):
    images = built["soup"].find_all("img")
    n_figures = sum(1 for nb in _notebooks() for c in _shown_cells(nb) for o in c.get("outputs", [])
                    if "image/png" in o.get("data", {}))
    assert len(images) >= n_figures > 0
    for img in images:
        m = re.match(r"data:image/(png|jpeg|gif|svg\+xml);base64,(.*)$", img["src"], re.S)
        assert m, f"image not embedded: {img['src'][:60]}"
        if m.group(1) != "svg+xml":
            picture = Image.open(io.BytesIO(base64.b64decode(m.group(2))))
            picture.verify()


def _tagged(nb, tag):
    return [c for c in _shown_cells(nb) if tag in c.metadata.get("tags", [])]


def _solution_runs(nb) -> int:
    """How many runs of consecutive solution cells the notebook (as the handout shows it) has."""
    runs, previous = 0, False
    for cell in _shown_cells(nb):
        current = handout.SOLUTION_TAG in cell.metadata.get("tags", [])
        runs += current and not previous
        previous = current
    return runs


def _solution_lines(nb):
    """The longest line of each solution cell, as it reads on paper (Markdown rendered; the
    "**풀이.**" opening, which the teacher's box label replaces, cut; no formula or table lines)."""
    lines = []
    for cell in _tagged(nb, handout.SOLUTION_TAG):
        source = handout.SOLUTION_MARK.sub("", cell.source) if cell.cell_type == "markdown" else cell.source
        candidates = [ln for ln in source.splitlines()
                      if cell.cell_type == "code" or not ("$" in ln or ln.lstrip().startswith(("|", "```")))]
        line = max(candidates or [""], key=len)
        line = _plain(line) if cell.cell_type == "markdown" else " ".join(line.split())
        if len(line) >= 8:
            lines.append(line)
    return lines


@pytest.mark.slow
@pytest.mark.pdf
def test_real_solutions_reach_only_the_teachers_edition(built):
    nbs = _notebooks()
    student, teacher = built["editions"]["student"], built["editions"]["teacher"]
    def flat(text):  # spaces as the highlighted code, the rendered prose and pdftotext give them
        return re.sub(r"\s+", "", text)

    s_flat, t_flat = (flat(e["soup"].get_text()) for e in (student, teacher))
    # Exercise prompts in both, HTML and PDF.
    for nb in nbs:
        for cell in _tagged(nb, handout.EXERCISE_TAG):
            heading = flat(_plain(cell.source.splitlines()[0]))
            for edition in (student, teacher):
                assert heading in flat(edition["soup"].get_text()), heading
                assert heading[:15] in flat(edition["text"]), heading
    # Solutions: one labelled box per run of solution cells in the teacher's, none in the student's.
    assert len(teacher["soup"].select("section.solution")) == sum(_solution_runs(nb) for nb in nbs)
    assert not student["soup"].select("section.solution") and "풀이 · 연습" not in student["text"]
    for line in (line for nb in nbs for line in _solution_lines(nb)):
        assert flat(line) in t_flat, f"solution missing from the teacher's edition: {line!r}"
        assert flat(line) not in s_flat, f"solution in the student's edition: {line!r}"


@pytest.mark.slow
@pytest.mark.pdf
def test_real_training_gifs_are_strips_in_both_editions(built):
    gifs = sum(len(re.findall(r"!\[[^\]]*\]\([^)\s]*\.gif\b", c.source))
               for nb in _notebooks() for c in _shown_cells(nb) if c.cell_type == "markdown")
    for edition in built["editions"].values():
        strips = edition["soup"].select("img.animation-strip")
        assert len(strips) == gifs
        assert all(img["src"].startswith("data:image/png;base64,") for img in strips)
        assert not edition["soup"].find_all("img", src=re.compile(r"\.gif$|^data:image/gif"))


@pytest.mark.slow
@pytest.mark.pdf
def test_epoch_log_is_trimmed_and_progress_bars_are_gone(built):
    log = _epoch_log(_notebooks())
    assert len(log) > 2 * handout.EPOCH_KEEP + 1, "the notebooks hold the output of a full training run"
    html_text = built["soup"].get_text()
    for line in log[: handout.EPOCH_KEEP] + log[-handout.EPOCH_KEEP:]:
        assert line in html_text and line.split(" D loss")[0] in built["text"], line
    long_runs = [run for run in _epoch_runs(_notebooks()) if len(run) > 2 * handout.EPOCH_KEEP + 1]
    assert long_runs
    for run in long_runs:                          # the middle of every long log is left out
        middle = run[len(run) // 2]
        assert middle not in html_text and EPOCH.match(middle).group(0) not in built["text"], middle
    assert "..." in html_text
    for text in (html_text, built["text"]):
        assert "it/s" not in text and "step/s" not in text, "a progress bar reached the handout"
        assert "Traceback" not in text


# ---------------------------------------------------------------- made-up notebooks


def _stream(text, name="stdout"):
    return new_output("stream", name=name, text=text)


def _display(data, kind="display_data"):
    extra = {"execution_count": 1} if kind == "execute_result" else {}
    return new_output(kind, data=data, **extra)


def _png():
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def made_up(tmp_path):
    widget = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    nb1 = new_notebook(cells=[
        new_markdown_cell("# 01. 첫 노트북\n\n## #1 첫 단계"),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nprint('marker stripped')", outputs=[
            _stream("shown on paper\n"), _stream("W0000 warning on stderr\n", "stderr")]),
        new_code_cell("# Solution to exercise 1\n# NBVAL_CHECK_OUTPUT\nprint('second-line marker stripped')",
                      outputs=[_stream("solution output\n")]),
        new_code_cell("1/0", outputs=[new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                                 traceback=["Traceback (most recent call last)", "ZeroDivisionError"])]),
        new_code_cell("for epoch in range(20): ...", outputs=[
            _display({"text/plain": "training: 100%|##########| 2000/2000 [00:10<00:00, 199.1step/s]"})]
            + [_stream(f"Epoch {i:04d} D loss: -0.5 G loss: -2.0\n") for i in range(20)]
            + [_stream("finished\n")]),
        new_code_cell("interact(show, n=(0, 9))", outputs=[
            _display({"application/vnd.jupyter.widget-view+json": widget,
                       "text/plain": "interactive(children=(IntSlider(value=4, max=9)))"})]),
        new_code_cell("slider_with_fallback", outputs=[
            _display({"application/vnd.jupyter.widget-view+json": widget, "image/png": _png(),
                      "text/plain": "IntSlider(value=4)"})]),
        new_code_cell("draw_static_grid()  # figure-only code", metadata={"tags": [handout.FIGURE_TAG]},
                      outputs=[_display({"image/png": _png(), "text/plain": "<Figure>"})]),
        new_code_cell("fig = plt.figure()", outputs=[_display({"text/plain": "<Figure size 640x480 with 0 Axes>"})]),
        new_code_cell("teacher_only_cell()", metadata={"tags": [handout.HIDE_TAG]},
                      outputs=[_stream("teacher only output\n")]),
        new_code_cell("x = " + " + ".join(["long_variable_name"] * 30)),
        new_markdown_cell("## 정리\n\n끝."),
        new_markdown_cell("가치 함수 $V(D, G)$ 와\n\n$$D^*(x) = \\frac{p_{data}(x)}{p_{data}(x) + p_g(x)}$$\n\n"
                          "코드 안의 `$HOME` 은 그대로."),
    ])
    nb2 = new_notebook(cells=[new_markdown_cell("# 02. 둘째 노트북\n\n## 정리\n\n둘째 끝.")])
    for name, nb in (("01_first.ipynb", nb1), ("02_second.ipynb", nb2), ("scratch.ipynb", nb2)):
        nbformat.write(nb, tmp_path / name)
    return tmp_path


def test_made_up_notebooks_keep_only_what_makes_sense_on_paper(made_up):
    html = handout.render_html(handout.find_notebooks(made_up))
    soup = BeautifulSoup(html, "html.parser")
    text = soup.get_text()
    assert "shown on paper" in text and "print('marker stripped')" in text
    assert "# Solution to exercise 1" in text and "print('second-line marker stripped')" in text
    assert "NBVAL" not in html
    assert "stderr" not in text and "ZeroDivisionError" not in text and "Traceback" not in text
    assert "step/s" not in text and "training: 100%" not in text
    assert "Epoch 0000" in text and "Epoch 0019" in text and "Epoch 0010" not in text and "finished" in text
    assert "application/vnd.jupyter.widget" not in html and "IntSlider" not in text
    assert "interact(show, n=(0, 9))" in text, "a widget cell's code stays"
    assert len(soup.find_all("img")) == 2, "the widget's static fallback and the handout-figure"
    assert "draw_static_grid" not in text, "handout-figure: output only"
    assert "<Figure size" not in text, "a figure's text stand-in without its image"
    assert "teacher_only" not in text and "teacher only output" not in text, "handout-hide"
    assert "첫 노트북" in text and "둘째 노트북" in text
    assert "scratch" not in html and text.count("둘째 끝.") == 1, "only NN_*.ipynb, each once"
    ids = [h["id"] for h in soup.select("h1, h2") if h.has_attr("id")]
    assert len(ids) == len(set(ids)) == 5, "two '정리' headings, distinct anchors"
    toc = [a.get_text(" ", strip=True) for a in soup.select("nav#toc a")]
    assert toc == ["01. 첫 노트북", "#1 첫 단계", "정리", "02. 둘째 노트북", "정리"]
    assert not soup.find_all(["script", "link"])


def test_no_code_hides_code_but_keeps_outputs(made_up):
    for edition in handout.EDITIONS:
        html = handout.render_html(handout.find_notebooks(made_up), code=False, edition=edition)
        text = BeautifulSoup(html, "html.parser").get_text()
        assert "print('marker stripped')" not in text and "long_variable_name" not in text
        assert "shown on paper" in text and "Epoch 0000" in text
        assert "코드 숨김" in text and "코드를 직접 써 보세요" in text


def test_cli_rejects_bad_arguments_in_one_line(tmp_path, capsys):
    for argv in (["--bogus"], ["--notebooks", str(tmp_path / "missing")]):
        with pytest.raises(SystemExit) as exc:
            handout.main(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err, err
    # A folder without NN_*.ipynb: a build error, also one line.
    assert handout.main(["--notebooks", str(tmp_path), "--out", str(tmp_path / "o"), "--html-only"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no notebooks" in err, err


def test_cli_html_only_needs_no_browser(made_up, tmp_path, capsys):
    out = tmp_path / "out"
    assert handout.main(["--notebooks", str(made_up), "--out", str(out), "--html-only",
                         "--browser", "no-such-browser"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["gan-handout-student.html", "gan-handout-teacher.html"]


def test_formulas_become_mathml_because_the_handout_has_no_script(made_up):
    """JupyterLab draws $...$ with MathJax (a script); on paper the handout must draw it too, not show TeX."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(handout.render_html(handout.find_notebooks(made_up)), "html.parser")
    maths = soup.find_all("math")
    assert [m.get("display") for m in maths] == ["inline", "block"]
    assert maths[1].find("mfrac") is not None                 # the fraction is a fraction, not "\\frac"
    text = soup.get_text()
    assert "\\frac" not in text and "$V(D, G)$" not in text
    assert "$HOME" in [c.get_text() for c in soup.find_all("code")]   # code keeps its dollar sign


# ---------------------------------------------------------------- exercises, solutions, the GIF

COLLAPSED = {"jupyter": {"source_hidden": True, "outputs_hidden": True}}
GIF_COLOURS = [(255, 0, 0), (230, 120, 0), (200, 200, 0), (0, 180, 0), (0, 150, 200), (0, 0, 255),
               (120, 0, 200), (200, 0, 150), (40, 40, 40)]


def _solution(cell):
    cell.metadata.update({"tags": [handout.SOLUTION_TAG], **COLLAPSED})
    return cell


@pytest.fixture
def exercises(tmp_path):
    """notebooks/01_lesson.ipynb as the notebooks write exercises, and its ../samples/gan/training.gif."""
    gif = tmp_path / "samples" / "gan" / "training.gif"
    gif.parent.mkdir(parents=True)
    frames = [Image.new("RGB", (60, 20), colour) for colour in GIF_COLOURS]  # one colour per "epoch"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    nb = new_notebook(cells=[
        new_markdown_cell("# 01. 연습이 있는 노트북\n\n## #1 학습\n\n학습하는 동안 샘플이 이렇게 바뀝니다.\n\n"
                          "![학습 애니메이션](../samples/gan/training.gif)"),
        new_code_cell("lesson_code(epochs=100)", outputs=[_stream("lesson output\n")]),
        new_markdown_cell("### 연습 1. 학습률 바꾸기\n\n학습률을 두 배로 하면 D(G(z))는 어떻게 될까요?",
                          metadata={"tags": [handout.EXERCISE_TAG]}),
        _solution(new_markdown_cell("**풀이.** 구분자가 먼저 이겨서 D(G(z))가 0에 붙습니다.")),
        _solution(new_code_cell("solution_code(learning_rate=4e-4)",
                                outputs=[_stream("solution output 0.0123\n"),
                                         _display({"image/png": _png(), "text/plain": "<Figure>"})])),
        new_markdown_cell("본문이 이어집니다."),
        new_markdown_cell("### 연습 2. 시드 바꾸기\n\n시드를 바꿔 보세요.", metadata={"tags": [handout.EXERCISE_TAG]}),
        _solution(new_code_cell("second_solution(seed=1)")),
    ])
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "01_lesson.ipynb")
    return tmp_path / "notebooks"


def _edition(notebooks, edition, code=True):
    html = handout.render_html(handout.find_notebooks(notebooks), code=code, edition=edition)
    return html, BeautifulSoup(html, "html.parser")


SOLUTION_TRACES = ["구분자가 먼저 이겨서", "solution_code", "learning_rate", "solution output", "second_solution", "풀이"]


def test_student_edition_keeps_the_exercises_and_has_no_trace_of_the_solutions(exercises):
    html, soup = _edition(exercises, "student")
    text = soup.get_text()
    for trace in SOLUTION_TRACES:
        assert trace not in html, f"the student edition shows {trace!r}"
    prompts = soup.select(".celltag_exercise")
    assert [p.find("h3").get_text(strip=True) for p in prompts] == ["연습 1. 학습률 바꾸기", "연습 2. 시드 바꾸기"]
    assert "D(G(z))는 어떻게 될까요?" in text and "lesson output" in text and "본문이 이어집니다." in text
    assert not soup.select("section.solution, .celltag_solution"), "no empty box where a solution was"
    assert len(soup.find_all("img")) == 1, "the strip only: the solution's figure is gone too"
    assert "학생용" in soup.select_one(".title-page .kicker").get_text()


def test_teacher_edition_boxes_each_exercises_solution_under_a_label(exercises):
    html, soup = _edition(exercises, "teacher")
    boxes = soup.select("section.solution")
    assert [b.select_one(".solution-label").get_text() for b in boxes] == ["풀이 · 연습 1", "풀이 · 연습 2"]
    first = boxes[0].get_text(" ")
    for trace in ("구분자가 먼저 이겨서", "solution_code", "learning_rate", "solution output 0.0123"):
        assert trace in first, trace
    assert len(boxes[0].find_all("img")) == 1, "the solution's figure is in its box"
    assert "second_solution" in boxes[1].get_text() and "solution_code" not in boxes[1].get_text()
    # Each box right after its exercise, and the lesson goes on outside the box.
    for box, number in zip(boxes, (1, 2)):
        prompt = box.find_previous_sibling(True)
        assert prompt.select_one(".celltag_exercise").find("h3").get_text().startswith(f"연습 {number}.")
    assert "본문이 이어집니다." not in "".join(b.get_text() for b in boxes)
    # The label says "풀이": the cell's own "**풀이.**" opening is not repeated under it.
    assert boxes[0].get_text().count("풀이") == 1
    assert "교사용" in soup.select_one(".title-page .kicker").get_text()


def test_training_gif_becomes_a_png_strip_in_both_editions(exercises):
    from gan_helpers.animation import strip

    expected = np.asarray(strip(exercises.parent / "samples" / "gan" / "training.gif", n=handout.STRIP_FRAMES)
                          .convert("RGB"))
    for edition in handout.EDITIONS:
        html, soup = _edition(exercises, edition)
        assert "training.gif" not in [img["src"] for img in soup.find_all("img")]
        assert "image/gif" not in html
        img = soup.select_one(".celltag_handout-notebook-start img")
        m = re.fullmatch(r"data:image/png;base64,(.+)", img["src"], re.S)
        assert m, img["src"][:40]
        picture = Image.open(io.BytesIO(base64.b64decode(m.group(1))))
        assert picture.format == "PNG"
        got = np.asarray(picture.convert("RGB"))
        assert got.shape == expected.shape and np.array_equal(got, expected), edition
        # Six of the nine frames, first and last among them: the GIF's first colour on top, its last at the bottom.
        assert tuple(got[0, 0]) == GIF_COLOURS[0] and tuple(got[-1, -1]) == GIF_COLOURS[-1]
        assert got.shape[0] == 20 * handout.STRIP_FRAMES
        assert img["alt"] == "학습 애니메이션" and "animation-strip" in img["class"]
        caption = img.find_next_sibling("span", class_="strip-caption").get_text()
        assert "training.gif" in caption and f"{handout.STRIP_FRAMES}개" in caption


def test_a_missing_or_broken_gif_stops_the_build_in_one_line(exercises, tmp_path, capsys):
    gif = exercises.parent / "samples" / "gan" / "training.gif"
    argv = ["--notebooks", str(exercises), "--out", str(tmp_path / "out"), "--html-only"]
    gif.write_bytes(b"GIF89a cut short")
    assert handout.main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "01_lesson.ipynb" in err and "../samples/gan/training.gif" in err, err
    assert "run the notebook again" in err and "Traceback" not in err
    gif.unlink()
    assert handout.main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("handout: error: 01_lesson.ipynb shows ../samples/gan/training.gif"), err
    assert "does not exist" in err and "run the notebook to make it" in err
    assert not (tmp_path / "out").exists(), "nothing written"


def test_a_notebook_saved_from_a_short_run_is_refused_in_one_line(exercises, tmp_path, monkeypatch, capsys):
    """The handout prints only the run of record: a notebook saved after a quick GAN_EPOCHS=2 run (its
    training cell's line from gan_helpers.results) stops the build, naming the fix; nothing is written."""
    from gan_helpers import paths, results

    for name in ("GAN_SEED", "GAN_PROJECT_ROOT", "GAN_RUN_OF_RECORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GAN_EPOCHS", "2")
    monkeypatch.setenv("MNIST_NPZ", str(tmp_path / "any.npz"))
    line = results.pictures_line(paths.sample_dir("gan"))
    assert line.endswith("not the run of record: GAN_EPOCHS=2, not 100; "
                         f"MNIST_NPZ={tmp_path / 'any.npz'} cannot be read"), line
    path = exercises / "01_lesson.ipynb"
    nb = nbformat.read(path, as_version=4)
    argv = ["--notebooks", str(exercises), "--out", str(tmp_path / "out"), "--html-only"]
    assert handout.main(argv) == 0, "the run of record's notebook builds"
    shutil.rmtree(tmp_path / "out")
    nb.cells[1].outputs = [_stream("Epoch 0000 D loss: -0.41 G loss: -2.9\n" + line + "\nEpoch 0001 D loss: -0.3 G loss: -2.1\n")]
    nbformat.write(nb, path)
    assert handout.main(argv) == 1
    err = capsys.readouterr().err
    assert err == (f"handout: error: 01_lesson.ipynb holds the saved outputs of a run that is not the run of record "
                   f"(GAN_EPOCHS=2, not 100; MNIST_NPZ={tmp_path / 'any.npz'} cannot be read): restore the committed "
                   f"notebook (git checkout {path}) or run it again with make notebooks NOTEBOOKS=01_lesson.ipynb\n")
    assert not (tmp_path / "out").exists(), "nothing written"


def test_no_code_hides_the_lesson_code_in_both_editions_but_not_the_teachers_solutions(exercises):
    student_html, student = _edition(exercises, "student", code=False)
    teacher_html, teacher = _edition(exercises, "teacher", code=False)
    for soup in (student, teacher):
        assert "lesson_code" not in soup.get_text() and "lesson output" in soup.get_text()
        assert len(soup.select(".write-code-box")) == 1, "one box, for the lesson's code cell"
        assert "코드 숨김" in soup.select_one(".title-page .kicker").get_text()
    for trace in SOLUTION_TRACES:
        assert trace not in student_html
    boxes = teacher.select("section.solution")
    assert "solution_code" in boxes[0].get_text() and "second_solution" in boxes[1].get_text()
    assert not any(b.select(".write-code-box") for b in boxes)


def test_an_untagged_solution_stops_the_build(exercises):
    path = exercises / "01_lesson.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].metadata["tags"] = []  # "**풀이.** ..." without its tag would reach the students
    nbformat.write(nb, path)
    with pytest.raises(handout.HandoutError, match=r"01_lesson.ipynb, cell 4: starts with \*\*풀이 .*tag"):
        handout.render_html([path], edition="student")


def test_cli_builds_both_editions_by_default_and_one_on_request(exercises, tmp_path, capsys):
    out = tmp_path / "out"
    assert handout.main(["--notebooks", str(exercises), "--out", str(out), "--html-only"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["gan-handout-student.html", "gan-handout-teacher.html"]
    assert "풀이" not in (out / "gan-handout-student.html").read_text(encoding="utf-8")
    assert "풀이 · 연습 1" in (out / "gan-handout-teacher.html").read_text(encoding="utf-8")
    one = tmp_path / "one"
    assert handout.main(["--notebooks", str(exercises), "--out", str(one), "--html-only",
                         "--edition", "teacher", "--no-code"]) == 0
    assert [p.name for p in one.iterdir()] == ["gan-handout-teacher-nocode.html"]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        handout.main(["--edition", "exercise"])
    assert exc.value.code == 2 and capsys.readouterr().err.count("\n") == 1


def _make(*args):
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_make_handout_switches():
    def command(*args):
        run = _make("-n", "handout", *args)
        assert run.returncode == 0, run.stderr
        return next(line for line in run.stdout.splitlines() if "-m tools.handout" in line).split()

    assert command()[-4:] == ["--out", "handout", "--edition", "both"]
    assert command("HANDOUT_CODE=0")[-5:] == ["--out", "handout", "--edition", "both", "--no-code"]
    assert command("HANDOUT_EDITION=student", "HANDOUT_CODE=1")[-2:] == ["--edition", "student"]
    for bad, said in (("HANDOUT_CODE=no", "HANDOUT_CODE must be 0 (code hidden) or 1 (code shown), not 'no'"),
                      ("HANDOUT_EDITION=exercise", "HANDOUT_EDITION must be student, teacher or both")):
        run = _make("handout-args", bad)
        assert run.returncode != 0 and said in run.stdout, run.stdout + run.stderr


@pytest.mark.slow
@pytest.mark.pdf
def test_editions_print_with_the_exercises_the_solution_boxes_and_the_strip(exercises, tmp_path):
    _need("chromium", "pdftotext", "pdfimages")
    out = tmp_path / "out"
    written = handout.build(exercises, out, pdf=True)
    assert [p.name for p in written] == ["gan-handout-student.html", "gan-handout-student.pdf",
                                         "gan-handout-teacher.html", "gan-handout-teacher.pdf"]
    text = {e: " ".join(_run("pdftotext", str(out / f"gan-handout-{e}.pdf"), "-").split()) for e in handout.EDITIONS}
    for edition in handout.EDITIONS:
        assert "연습 1. 학습률 바꾸기" in text[edition] and "연습 2. 시드 바꾸기" in text[edition]
        # The strip is one picture 60 wide and 6 x 20 high on the page (pdfimages -list: page num type width height ...).
        rows = [line.split() for line in _run("pdfimages", "-list", str(out / f"gan-handout-{edition}.pdf"))
                .splitlines()[2:]]
        assert ["60", str(20 * handout.STRIP_FRAMES)] in [row[3:5] for row in rows], rows
    assert "풀이 · 연습 1" in text["teacher"] and "풀이 · 연습 2" in text["teacher"]
    assert "구분자가 먼저 이겨서" in text["teacher"] and "solution output 0.0123" in text["teacher"]
    for trace in SOLUTION_TRACES:
        assert trace not in text["student"]
