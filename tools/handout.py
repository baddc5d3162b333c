"""Classroom handout: the notebooks as one Korean HTML file and an A4 PDF, in two editions.

    python -m tools.handout                     # both editions, into handout/:
                                                      #   gan-handout-student.{html,pdf}  exercises, no solutions
                                                      #   gan-handout-teacher.{html,pdf}  exercises with their solutions
    python -m tools.handout --edition student   # one edition only (student | teacher | both)
    python -m tools.handout --no-code           # code cells hidden: gan-handout-{student,teacher}-nocode.*
    make handout  /  make handout HANDOUT_CODE=0 HANDOUT_EDITION=teacher   # the same through make

Built from the saved outputs of notebooks/[0-9][0-9]_*.ipynb, taken in name order
(nothing is executed), with nbconvert and the template in handout_template/. The HTML
is one self-contained file: images are data: URIs, there is no script, no web font and
no stylesheet from outside. The PDF is that HTML printed by headless Chromium.

What reaches paper:
- a title page, a table of contents with page numbers, each notebook from a new page;
- code cells without their test markers (leading "# NBVAL_..." lines);
- outputs without stderr, errors and tracebacks, progress bars, scripts and widget views
  (a widget output's static image or HTML, if it has one, stays);
- a per-epoch log ("Epoch 0000 ...", one line per epoch) keeps its first and last
  three lines with a "..." line between;
- a Markdown image of a local file is embedded (a data: URI), wherever the file lies; the
  training animation, a GIF (``![...](../samples/<name>/training.gif)``), becomes a still strip
  of STRIP_FRAMES of its frames (gan_helpers.animation.strip) as a PNG, with a caption. A
  missing image file stops the build with one line naming the notebook and the fix.

Only the run of record reaches paper: a notebook saved from another kind of run (a quick GAN_EPOCHS=5
run, another seed or data; its outputs carry gan_helpers.results.pictures_line, whose pictures are not
the committed samples/ its Markdown shows) stops the build with one line naming the fix.

Cell tags (cell metadata "tags") the handout obeys:
  handout-hide    the cell is left out of the handout.
  handout-figure  only the cell's outputs are shown, never its code: a cell that draws
                  on paper what an interactive widget in the cell above it would do.
  exercise        an exercise prompt (Markdown, first line "### 연습 N. <title>"): a framed
                  box in both editions.
  solution        a solution cell (Markdown starting with "**풀이.**", or code), right after its
                  exercise. Student edition: left out, with its outputs; nothing says it was
                  there. Teacher edition: the solution cells after an exercise are one shaded box
                  labelled "풀이 · 연습 N" (its "**풀이.**" opening is dropped, the label says it).
                  A cell that opens with "**풀이" but lacks the tag stops the build (it would
                  reach the students).

--no-code (HANDOUT_CODE=0), for writing the code by hand: each code cell's code is replaced
by an empty box as tall as the code was, its outputs stay. In the teacher edition a solution's
code stays: it is the answer the box asks for.

PDF engine: headless Chromium (Debian's `chromium`, --print-to-pdf), chosen after printing
the same HTML (notebook 01) with it and with WeasyPrint 70 (PyPI): both gave 14 A4 pages
of about 1.7 MB with Noto Sans CJK KR embedded and Hangul that pdftotext gives back.
Chromium took about 6 s a print against 13 s; it keeps `word-break: keep-all` (Korean
lines break between words) where WeasyPrint broke lines inside words; it lays the page
out as the students' browsers show the HTML (the flex columns of CodeComparison); and
the project needs it anyway for browser tests. What it lacks: it embeds the CJK font as
unnamed Type 3 fonts (pdffonts cannot name them, so the test checks the drawn glyphs),
and it has no target-counter(), so build() prints twice to number the contents.
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime as _dt
import io
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbconvert.preprocessors import CoalesceStreamsPreprocessor, Preprocessor, TagRemovePreprocessor
from traitlets import Enum
from traitlets.config import Config

from gan_helpers.paths import PACKAGE_ROOT
from gan_helpers.results import NOT_OF_RECORD, why_not_of_record
TEMPLATE_DIR = Path(__file__).resolve().parent / "handout_template"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"

TITLE = "GAN 튜토리얼"
SUBTITLE = "TensorFlow 2 / Keras 3로 다시 쓴 GAN 스터디 노트"
KICKER = "수업 자료"

HIDE_TAG = "handout-hide"
FIGURE_TAG = "handout-figure"
EXERCISE_TAG = "exercise"
SOLUTION_TAG = "solution"
START_TAG = "handout-notebook-start"  # set by the builder on each notebook's first cell

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DROPPED_MIMETYPES = {WIDGET_VIEW, "application/javascript", "application/vnd.jupyter.stderr"}
NBVAL_MARKER = re.compile(r"^\s*#\s*NBVAL_[A-Z_]+\s*$")
# tqdm ("training:  42%|####    | 5922/14100 [00:53<01:13, 111.20step/s]") and
# Keras ("47/47 ━━━━━━━━━━ 1s 3ms/step - loss: 0.1") progress lines.
PROGRESS_LINE = re.compile(r"\d{1,3}%\|[^|\n]*\||\d+/\d+ [━─=>.\[\]]{5,}|\d(it|step)/s\b")
FIGURE_REPR = re.compile(r"^<Figure size [^>]*>$")  # a figure's text stand-in, with no image
EPOCH_LINE = re.compile(r"^\s*Epoch\s+\d+\b")
EPOCH_KEEP = 3

TIMEOUT_S = 180

EDITIONS = ("student", "teacher")
EDITION_NAMES = {"student": "학생용", "teacher": "교사용 (풀이 포함)"}
SOLUTION_OPENING = re.compile(r"\A\s*\*\*풀이")                 # how a solution's Markdown starts
SOLUTION_MARK = re.compile(r"\A\s*\*\*풀이\.?\*\*[ \t]*\n?")    # "**풀이.**", dropped under the box's label
EXERCISE_NUMBER = re.compile(r"연습\s*(\d+)")
STRIP_FRAMES = 6  # frames of a GIF animation on paper


def output_stem(edition: str, code: bool = True) -> str:
    """The file name (no suffix) of an edition: gan-handout-student, gan-handout-teacher-nocode, ..."""
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}, not {edition!r}")
    return f"gan-handout-{edition}" + ("" if code else "-nocode")


class HandoutError(Exception):
    """A build problem, told in one line."""


# ---------------------------------------------------------------- notebooks -> one notebook


def find_notebooks(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).glob(NOTEBOOK_GLOB) if p.is_file())


def _title_of(nb, path: Path) -> str:
    """The notebook's first Markdown heading, without the '#'."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


def check_run_of_record(nb, path: Path) -> None:
    """A notebook whose saved outputs come from a run other than the run of record: stop, naming the fix."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = output.get("text", "") if output.output_type == "stream" else output.get("data", {}).get("text/plain", "")
            why = why_not_of_record(text)
            if why:
                path = path.resolve()
                where = path.relative_to(PACKAGE_ROOT).as_posix() if path.is_relative_to(PACKAGE_ROOT) else str(path)
                raise HandoutError(f"{path.name} holds the saved outputs of a run that is {NOT_OF_RECORD} ({why}): "
                                   f"restore the committed notebook (git checkout {where}) or run it again with "
                                   f"make notebooks NOTEBOOKS={path.name}")


def merge_notebooks(paths: list[Path]):
    """One notebook with every cell of ``paths`` in order, and their titles."""
    merged = nbformat.v4.new_notebook()
    titles = []
    for k, path in enumerate(paths, 1):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:  # a JSON or schema error: name the file, one line
            raise HandoutError(f"cannot read {path.name}: {str(exc).splitlines()[0]}") from None
        check_run_of_record(nb, path)
        if not merged.metadata:
            merged.metadata = {key: copy.deepcopy(nb.metadata[key])
                               for key in ("kernelspec", "language_info") if key in nb.metadata}
        titles.append(_title_of(nb, path))
        for i, cell in enumerate(nb.cells):
            cell = copy.deepcopy(cell)
            cell["id"] = f"nb{k}-{i}"  # ids repeat across notebooks
            if i == 0:
                cell.metadata["tags"] = [*cell.metadata.get("tags", []), START_TAG]
            merged.cells.append(cell)
    return merged, titles


# ---------------------------------------------------------------- what reaches paper


def _tags(cell) -> list:
    return cell.metadata.get("tags", [])


def _origin(cell, paths: list[Path]) -> tuple[Path, int]:
    """The notebook a merged cell came from and its index there (from the id merge_notebooks gives)."""
    k, i = re.fullmatch(r"nb(\d+)-(\d+)", cell["id"]).groups()
    return paths[int(k) - 1], int(i)


def check_solution_tags(nb, paths: list[Path]) -> None:
    """A cell that opens like a solution but is not tagged one would reach the students: stop."""
    for cell in nb.cells:
        if (cell.cell_type == "markdown" and SOLUTION_OPENING.match(cell.source)
                and SOLUTION_TAG not in _tags(cell)):
            path, i = _origin(cell, paths)
            raise HandoutError(f"{path.name}, cell {i + 1}: starts with **풀이 but is not tagged "
                               f"'{SOLUTION_TAG}', so the student edition would show it: tag it")


class EditionPreprocessor(Preprocessor):
    """Student: solution cells left out. Teacher: a solution's "**풀이.**" opening dropped (the box says it)."""

    edition = Enum(EDITIONS, default_value="student")

    def preprocess(self, nb, resources):
        if self.edition == "student":
            nb.cells = [c for c in nb.cells if SOLUTION_TAG not in _tags(c)]
        else:
            for cell in nb.cells:
                if cell.cell_type == "markdown" and SOLUTION_TAG in _tags(cell):
                    cell.source = SOLUTION_MARK.sub("", cell.source, count=1)
        return nb, resources


# Markdown images: ![alt](src "title") and <img src="...">, outside code (fenced blocks, `spans`).
_MARKDOWN_IMAGES = re.compile(
    r"(?P<fence>^[ \t]*(?P<ticks>```|~~~).*?(?:^[ \t]*(?P=ticks)[^\n]*$|\Z))"
    r"|(?P<code>`+)(?:(?!\n[ \t]*\n).)+?(?P=code)"   # a code span ends with its paragraph
    r"|(?P<md>!\[(?:[^\]\\]|\\.)*\]\(\s*)(?P<md_src><[^>\n]*>|[^\s)]+)"
    r"|(?P<html><img\b[^>]*?\bsrc\s*=\s*)(?P<q>[\"'])(?P<html_src>.*?)(?P=q)",
    re.M | re.S | re.I)
_REMOTE = re.compile(r"^([a-z][a-z0-9+.-]*:|//|#)", re.I)  # http:, data:, attachment:, ...
PLACEHOLDER = "handout-image-{}"  # no such file: nbconvert leaves it for render_html to fill


def _png_data_uri(image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _embedded_image(path: Path, src: str, notebook: Path) -> dict:
    """``path`` as {"uri": data: URI, "strip": bool, "frames": n}; a GIF (the training animation)
    as the PNG of its strip of frames."""
    if not path.is_file():
        fix = (f"run the notebook to make it (make notebooks NOTEBOOKS={notebook.name}), or fix the path in the cell"
               if path.suffix.lower() == ".gif" else "fix the path in the cell")
        raise HandoutError(f"{notebook.name} shows {src}, which does not exist ({path}): {fix}")
    if path.suffix.lower() != ".gif":
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return {"uri": f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii"),
                "strip": False}
    from PIL import Image

    from gan_helpers.animation import strip

    try:
        with Image.open(path) as gif:
            frames = min(getattr(gif, "n_frames", 1), STRIP_FRAMES)
        still = strip(path, n=STRIP_FRAMES)
    except Exception as exc:  # a GIF cut short, not a GIF: name the file, one line
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise HandoutError(f"{notebook.name} shows {src}, which cannot be read as an animation "
                           f"({reason}): run the notebook again to remake it "
                           f"(make notebooks NOTEBOOKS={notebook.name})") from None
    return {"uri": _png_data_uri(still), "strip": True, "frames": frames}


def embed_markdown_images(nb, paths: list[Path]) -> dict[str, dict]:
    """Point every local Markdown image at a placeholder; return placeholder -> {uri, strip, src}.

    nbconvert embeds only images inside the notebooks' folder, and a GIF would print as its
    first frame; this embeds any local file (``../samples/...`` too), an animation as its strip.
    """
    images, cache = {}, {}

    def replace(m, cell):
        kind = "md" if m.group("md") else "html" if m.group("html") else None
        if kind is None:
            return m.group(0)  # code: left as written
        src = m.group(f"{kind}_src")
        bare = src[1:-1] if src.startswith("<") else src
        if not bare.strip() or _REMOTE.match(bare.strip()):
            return m.group(0)
        notebook, _ = _origin(cell, paths)
        path = (notebook.parent / unquote(bare.strip().split("#")[0].split("?")[0])).resolve()
        if path not in cache:
            cache[path] = _embedded_image(path, bare, notebook)
        key = PLACEHOLDER.format(len(images) + 1)
        images[key] = {"src": bare, **cache[path]}
        if kind == "md":
            return m.group("md") + key
        return m.group("html") + m.group("q") + key + m.group("q")

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _MARKDOWN_IMAGES.sub(lambda m: replace(m, cell), cell.source)
    return images


def fill_images(soup: BeautifulSoup, images: dict[str, dict]) -> None:
    """The placeholders of embed_markdown_images() back as data: URIs; a strip gets its caption."""
    for img in soup.find_all("img", src=lambda v: v in images):
        image = images[img["src"]]
        img["src"] = image["uri"]
        if image["strip"]:
            img["class"] = [*img.get("class", []), "animation-strip"]
            caption = soup.new_tag("span", attrs={"class": "strip-caption"})
            caption.string = (f"애니메이션 {Path(image['src']).name}의 장면 {image['frames']}개 "
                              "(처음부터 끝까지 같은 간격, 위에서 아래로)")
            img.insert_after(caption)


def mark_solutions(soup: BeautifulSoup) -> None:
    """Teacher edition: each run of solution cells in one shaded box labelled "풀이 · 연습 N"."""
    def tagged(cell, tag):
        return f"celltag_{tag}" in cell.get("class", []) or cell.select_one(f".celltag_{tag}") is not None

    exercise, box = None, None
    for cell in soup.select("div.jp-Cell"):
        if tagged(cell, START_TAG):
            exercise = None
        if tagged(cell, EXERCISE_TAG):
            heading = cell.find(re.compile(r"^h[1-6]$")) or cell
            exercise = EXERCISE_NUMBER.search(heading.get_text(" ", strip=True))
        if not tagged(cell, SOLUTION_TAG):
            box = None
            continue
        previous = cell.find_previous_sibling(True)
        if box is None or previous is not box:
            box = soup.new_tag("section", attrs={"class": "solution"})
            label = soup.new_tag("p", attrs={"class": "solution-label"})
            label.string = "풀이" + (f" · 연습 {exercise.group(1)}" if exercise else "")
            box.append(label)
            cell.insert_before(box)
        box.append(cell.extract())



def _is_progress(text: str) -> bool:
    lines = [line for line in re.split(r"[\r\n]+", text) if line.strip()]
    return bool(lines) and all(PROGRESS_LINE.search(line) for line in lines)


def _trim_epoch_log(text: str) -> str:
    """Keep the first and last EPOCH_KEEP lines of each run of per-epoch lines."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        j = i
        while j < len(lines) and EPOCH_LINE.match(lines[j]):
            j += 1
        run = lines[i:j]
        if len(run) > 2 * EPOCH_KEEP + 1:
            out += run[:EPOCH_KEEP] + [f"... ({len(run) - 2 * EPOCH_KEEP}줄 생략)"] + run[-EPOCH_KEEP:]
        else:
            out += run
        if j < len(lines):
            out.append(lines[j])
        i = j + 1
    return "\n".join(out)


class PaperOutputsPreprocessor(Preprocessor):
    """Code without test markers, outputs that make sense on paper (see the module doc)."""

    def _keep(self, output) -> bool:
        kind = output.output_type
        if kind == "error" or (kind == "stream" and output.name != "stdout"):
            return False
        if kind in ("display_data", "execute_result"):
            data = output.get("data", {})
            widget = WIDGET_VIEW in data
            for mime in DROPPED_MIMETYPES & set(data):
                del data[mime]
            if widget:
                data.pop("text/plain", None)  # a widget's repr, e.g. "IntSlider(value=3)"
            if set(data) == {"text/plain"} and (_is_progress(data["text/plain"])
                                                or FIGURE_REPR.match(data["text/plain"].strip())):
                return False
            return bool(data)
        return kind == "stream"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        # nbval reads its markers on any line (a solution's first line names the exercise instead)
        cell.source = "\n".join(line for line in cell.source.split("\n") if not NBVAL_MARKER.match(line))
        cell.outputs = [o for o in cell.get("outputs", []) if self._keep(o)]
        return cell, resources


class PaperStreamsPreprocessor(Preprocessor):
    """After the streams are merged: no progress lines, epoch logs trimmed."""

    def preprocess_cell(self, cell, resources, index):
        outputs = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                lines = [ln for ln in output.text.split("\n") if not PROGRESS_LINE.search(ln)]
                output.text = _trim_epoch_log("\n".join(lines))
                if not output.text.strip():
                    continue
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources


class DropEmptyCellsPreprocessor(Preprocessor):
    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells
                    if c.source.strip() or c.get("outputs") or START_TAG in c.metadata.get("tags", [])]
        return nb, resources


# ---------------------------------------------------------------- HTML


def _exporter(edition: str) -> HTMLExporter:
    exporter = HTMLExporter(
        # Pygments' own colours, as gan_helpers.code_view uses: the lab default needs
        # JupyterLab's theme CSS variables, which the handout leaves out.
        config=Config({"CSSHTMLHeaderPreprocessor": {"style": "default"}}),
        extra_template_basedirs=[str(TEMPLATE_DIR.parent)],
        template_name=TEMPLATE_DIR.name,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,
        language_code="ko",
    )
    exporter.register_preprocessor(EditionPreprocessor(edition=edition), enabled=True)
    exporter.register_preprocessor(TagRemovePreprocessor(
        remove_cell_tags={HIDE_TAG}, remove_input_tags={FIGURE_TAG}), enabled=True)
    exporter.register_preprocessor(PaperOutputsPreprocessor(), enabled=True)
    exporter.register_preprocessor(CoalesceStreamsPreprocessor(), enabled=True)
    exporter.register_preprocessor(PaperStreamsPreprocessor(), enabled=True)
    exporter.register_preprocessor(DropEmptyCellsPreprocessor(), enabled=True)
    return exporter


def _build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc) if epoch else _dt.datetime.now()
    return when.strftime("%Y-%m-%d")


def _contents(soup: BeautifulSoup) -> None:
    """Give every notebook heading (h1, h2) an id and list them in <nav id="toc">."""
    nav = soup.find("nav", id="toc")
    nav.clear()
    title = soup.new_tag("p", attrs={"class": "toc-title"})
    title.string = "차례"
    nav.append(title)
    top = soup.new_tag("ol")
    nav.append(top)
    current = None
    for n, heading in enumerate(soup.select(".jp-MarkdownCell h1, .jp-MarkdownCell h2"), 1):
        heading["id"] = f"sec-{n}"
        item = soup.new_tag("li")
        link = soup.new_tag("a", href=f"#sec-{n}")
        for cls, text in (("toc-text", heading.get_text(" ", strip=True)), ("toc-dots", ""), ("toc-page", "")):
            span = soup.new_tag("span", attrs={"class": cls})
            span.string = text
            link.append(span)
        item.append(link)
        if heading.name == "h1" or current is None:
            item["class"] = "toc-notebook"
            top.append(item)
            current = soup.new_tag("ol")
            item.append(current)
        else:
            current.append(item)


def number_contents(html: str, pages: dict[str, int]) -> str:
    """The contents with the page of each heading (``pages``: id -> page)."""
    soup = BeautifulSoup(html, "html.parser")
    for link in soup.select("nav#toc a[href^='#']"):
        page = pages.get(link["href"][1:])
        link.find("span", class_="toc-page").string = str(page) if page else ""
    return str(soup)


def render_html(paths: list[Path], code: bool = True, edition: str = "student") -> str:
    """The handout as one HTML document (a string): ``edition`` "student" or "teacher"."""
    output_stem(edition, code)  # a bad edition: ValueError before any work
    nb, titles = merge_notebooks(paths)
    check_solution_tags(nb, paths)
    images = embed_markdown_images(nb, paths)
    variant = " · " + EDITION_NAMES[edition] + ("" if code else " · 코드 숨김")
    resources = {
        "metadata": {"name": TITLE, "path": str(paths[0].parent)},
        "handout": {
            "code": code,
            "edition": edition,
            "kicker": KICKER + variant,
            "title": TITLE,
            "subtitle": SUBTITLE,
            "notebooks": titles,
            "meta": f"{_build_date()} · 노트북 {len(paths)}개의 저장된 출력으로 만듦 (make handout)",
        },
    }
    body, _ = _exporter(edition).from_notebook_node(nb, resources=resources)
    soup = BeautifulSoup(body, "html.parser")
    for tag in soup.find_all(["script", "iframe", "object", "embed"]):
        tag.decompose()  # the template writes none; an HTML output might carry one
    for tag in soup.find_all("link"):
        tag.decompose()
    fill_images(soup, images)
    if edition == "teacher":
        mark_solutions(soup)
    render_math(soup)
    _contents(soup)
    return str(soup)


MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)


def render_math(soup: BeautifulSoup) -> None:
    """The markdown's LaTeX (``$...$`` inline, ``$$...$$`` display) as MathML, which Chromium draws.

    JupyterLab renders it with MathJax, a script; the handout has no script, so without this the
    reader would see the TeX source. Code (``code``/``pre``) is left as it is.
    """
    import html

    from latex2mathml.converter import convert

    for cell in soup.select(".jp-RenderedMarkdown"):
        for text in list(cell.find_all(string=MATH)):
            if text.find_parent(["code", "pre"]):
                continue
            parts, last = [], 0
            for m in MATH.finditer(str(text)):
                parts.append(html.escape(str(text)[last:m.start()], quote=False))
                display = m.group(1) is not None
                parts.append(convert((m.group(1) if display else m.group(2)).strip(),
                                     display="block" if display else "inline"))
                last = m.end()
            parts.append(html.escape(str(text)[last:], quote=False))
            text.replace_with(BeautifulSoup("".join(parts), "html.parser"))


# ---------------------------------------------------------------- PDF


def find_browser(explicit: str | None = None) -> str:
    if explicit:
        found = shutil.which(explicit)
        if not found:
            raise HandoutError(f"browser not found: {explicit}")
        return found
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise HandoutError("chromium not found: install it with `make system-deps` (Debian/Ubuntu), "
                       "or pass --browser PATH, or build only the HTML with --html-only")


def print_pdf(html_path: Path, pdf_path: Path, browser: str) -> None:
    """``html_path`` printed to ``pdf_path`` (A4 from the CSS) by headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="handout-chromium-") as profile:
        cmd = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage",
               "--no-first-run", "--no-default-browser-check", "--disable-extensions",
               f"--user-data-dir={profile}", "--no-pdf-header-footer",
               "--generate-pdf-document-outline", f"--print-to-pdf={pdf_path}",
               html_path.resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise HandoutError(f"{Path(browser).name} did not finish printing in {TIMEOUT_S} s") from None
        if proc.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise HandoutError(f"{Path(browser).name} could not print the PDF "
                               f"(exit {proc.returncode}): {last}")


def pdf_destinations(pdf_path: Path) -> dict[str, int] | None:
    """The page of each named destination (heading id) in the PDF, via poppler's pdfinfo."""
    pdfinfo = shutil.which("pdfinfo")
    if not pdfinfo:
        return None
    proc = subprocess.run([pdfinfo, "-dests", str(pdf_path)], capture_output=True, text=True)
    pages = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"\s*(\d+)\s+\[.*\]\s+\"?([^\"]+)\"?\s*$", line)
        if m:
            pages[m.group(2)] = int(m.group(1))
    return pages


# ---------------------------------------------------------------- files


def _temp_beside(path: Path) -> Path:
    # The real suffix last: Chromium reads a file named *.tmp as plain text.
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    os.chmod(name, 0o644)  # mkstemp makes it 0600; the handout is for sharing
    return Path(name)


def write_atomic(path: Path, text: str) -> None:
    tmp = _temp_beside(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def build(notebooks_dir: Path, out_dir: Path, code: bool = True, pdf: bool = True,
          browser: str | None = None, editions=EDITIONS) -> list[Path]:
    """Write the handout's ``editions`` into ``out_dir``; return the files written."""
    editions = list(editions)
    for edition in editions:
        output_stem(edition, code)
    paths = find_notebooks(notebooks_dir)
    if not paths:
        raise HandoutError(f"no notebooks matching {NOTEBOOK_GLOB} in {notebooks_dir}")
    browser = find_browser(browser) if pdf else None
    # Every edition rendered before anything is written: a bad notebook leaves no half set.
    htmls = {edition: render_html(paths, code=code, edition=edition) for edition in editions}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for edition, html in htmls.items():
        stem = output_stem(edition, code)
        html_path, pdf_path = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
        if pdf:
            write_pdf(html, html_path, pdf_path, browser)
            written += [html_path, pdf_path]
        else:
            write_atomic(html_path, html)
            written.append(html_path)
    return written


def write_pdf(html: str, html_path: Path, pdf_path: Path, browser: str) -> None:
    """``html`` to ``html_path`` and, printed, to ``pdf_path`` (its contents numbered)."""
    # Chromium has no target-counter(): print once, read each heading's page from the
    # PDF's named destinations, write the numbers into the contents and print again.
    # The numbers go into room the contents already reserve, so no page moves.
    tmp_html, tmp_pdf = _temp_beside(html_path), _temp_beside(pdf_path)
    try:
        tmp_html.write_text(html, encoding="utf-8")
        print_pdf(tmp_html, tmp_pdf, browser)
        pages = pdf_destinations(tmp_pdf)
        if pages:
            html = number_contents(html, pages)
            tmp_html.write_text(html, encoding="utf-8")
            print_pdf(tmp_html, tmp_pdf, browser)
            if pdf_destinations(tmp_pdf) != pages:
                print(f"handout: warning: headings moved after numbering the contents of {pdf_path.name}; "
                      "its page numbers may be off by one", file=sys.stderr)
        os.replace(tmp_html, html_path)
        os.replace(tmp_pdf, pdf_path)
    finally:
        tmp_html.unlink(missing_ok=True)
        tmp_pdf.unlink(missing_ok=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def main(argv=None) -> int:
    parser = _Parser(prog="python -m tools.handout",
                     description="Build the classroom handout (HTML + A4 PDF) from the notebooks' saved outputs.")
    parser.add_argument("--notebooks", type=Path, default=PACKAGE_ROOT / "notebooks",
                        help=f"folder with the {NOTEBOOK_GLOB} notebooks (default: notebooks/)")
    parser.add_argument("--out", type=Path, default=PACKAGE_ROOT / "handout",
                        help="output folder (default: handout/)")
    parser.add_argument("--edition", choices=("student", "teacher", "both"), default="both",
                        help="student: exercises without solutions (gan-handout-student.*); teacher: "
                             "with the solutions (gan-handout-teacher.*); both (default)")
    parser.add_argument("--no-code", action="store_true",
                        help="code cells hidden, a box to write the code in instead (*-nocode.*); "
                             "the teacher edition keeps the solutions' code")
    parser.add_argument("--html-only", action="store_true", help="write the HTML, skip the PDF")
    parser.add_argument("--browser", help="Chromium executable (default: chromium on PATH)")
    args = parser.parse_args(argv)
    if not args.notebooks.is_dir():
        parser.error(f"--notebooks: not a folder: {args.notebooks}")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out: not a folder: {args.out}")
    try:
        editions = EDITIONS if args.edition == "both" else (args.edition,)
        written = build(args.notebooks, args.out, code=not args.no_code,
                        pdf=not args.html_only, browser=args.browser, editions=editions)
    except HandoutError as exc:
        print(f"handout: error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
