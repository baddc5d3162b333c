"""Issue 28: every notebook's Markdown renders as written: no literal ** left by CommonMark's flanking rules.

A closing ** between punctuation and a Hangul letter (``(high quality)**이라``) is not right-flanking, so
CommonMark (and the handout's renderer) print the asterisks. mistune is what nbconvert renders with.
"""

import json
import re
from pathlib import Path

import mistune
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_markdown_cell_shows_literal_asterisks(path):
    render = mistune.create_markdown()
    left = []
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        html = render("".join(cell["source"]))
        text = re.sub(r"<[^>]+>", "", re.sub(r"<code>.*?</code>", "", html, flags=re.S))
        left += [f"cell {i}: ...{m.group(0)}..." for m in re.finditer(r".{0,30}\*\*.{0,30}", text)]
    assert not left, "\n".join(left)


def test_the_check_catches_the_pattern():
    html = mistune.create_markdown()("가까우면 **좋은 점(high quality)**이라 합니다")
    assert "**" in re.sub(r"<[^>]+>", "", html)
