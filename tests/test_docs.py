"""README.md (for learners) and CONTRIBUTING.md (for maintainers) name only things that exist.

- every ``make <target>`` in their inline code or code blocks is a target of the Makefile;
- every repository path they name in inline code (``tools/handout.py``, ``results/ablation/``)
  exists, except the folders a run creates (build/, handout/, checkpoints/, ...);
- every relative link, and every ``#anchor`` of CONTRIBUTING.md's contents, leads somewhere;
- the README stays a learner's page of about two screens and still gives what a learner needs.

Text only: no TensorFlow, no network.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["README.md", "CONTRIBUTING.md"]
# Made by a run, not in a fresh clone (see .gitignore).
GENERATED = ("build/", "handout/", "checkpoints/", ".test-run/", "test-artifacts/", ".venv/")
# Beside the checkout, not in it (../shared/data/mnist-offline.npz).
OUTSIDE = ("shared/",)


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    text = re.sub(r"^define .*?^endef", "", text, flags=re.S | re.M)   # embedded Python, not rules
    targets = set()
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9_. -]+?)\s*:(?!=)", line)
        if m:
            targets.update(m.group(1).split())
    return targets - {".PHONY"}


def code_spans(text: str) -> list[str]:
    """Fenced code blocks (whole) and inline code spans."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    return blocks + re.findall(r"`([^`\n]+)`", prose)


def make_targets_named(text: str) -> set[str]:
    named = set()
    for span in code_spans(text):
        for m in re.finditer(r"(?:^|[\s;&(])make((?:\s+[A-Z_][A-Z0-9_]*=\S*)*)\s+([a-z][a-z0-9-]*)", span):
            named.add(m.group(2))
    return named


def github_anchor(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("doc", DOCS)
def test_every_make_command_named_is_a_makefile_target(doc):
    named = make_targets_named((ROOT / doc).read_text(encoding="utf-8"))
    assert {"lab", "test"} <= named or doc != "README.md", "README gives the two commands"
    missing = sorted(named - makefile_targets())
    assert not missing, f"{doc} names make targets the Makefile does not have: {missing}"


def test_the_maintainer_targets_are_documented_in_contributing():
    named = make_targets_named((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"))
    for target in ["test", "test-fast", "notebooks", "handout", "system-deps", "bench",
                   "ablation", "cgan-noise", "note-tf1", "coverage-2d"]:
        assert target in named, f"CONTRIBUTING.md does not say how to run make {target}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_repository_path_named_exists(doc):
    missing = []
    for span in re.findall(r"`([^`\n]+)`", (ROOT / doc).read_text(encoding="utf-8")):
        path = span.strip()
        if (" " in path or "/" not in path or path.startswith(("/", "~", "..", "http")) or "<" in path
                or "*" in path or "{" in path or path.startswith(GENERATED + OUTSIDE)):
            continue
        if re.search(r"\bN{2,}\b", path):   # a pattern such as samples/gan/NNN.png
            continue
        if not re.fullmatch(r"[\w./-]+", path):
            continue
        if not (ROOT / path).exists():
            missing.append(path)
    assert not missing, f"{doc} names paths that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_relative_link_and_anchor_resolves(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        file_part, _, anchor = target.partition("#")
        linked = ROOT / file_part if file_part else ROOT / doc
        assert linked.exists(), f"{doc} links to {target}, which does not exist"
        if anchor:
            headings = re.findall(r"^#+\s+(.*)$", linked.read_text(encoding="utf-8"), flags=re.M)
            assert anchor in {github_anchor(h) for h in headings}, f"{doc}: no heading for #{anchor}"


def test_readme_is_a_learners_page():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) <= 110, f"README.md has {len(lines)} lines; it is meant to fit on about two screens"
    for needed in ["make lab", "make test", "MNIST_NPZ=../shared/data/mnist-offline.npz", "make system-deps",
                   "make handout", "CONTRIBUTING.md", "## English summary"]:
        assert needed in text, f"README.md no longer says {needed!r}"
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert notebook.name in text, f"README.md does not list {notebook.name}"
