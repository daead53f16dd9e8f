"""The documentation site, built strictly, shows every example's code.

The snippet includes in docs/ once got reformatted as Python (``--8<-- "x.py"`` is a valid
expression, so a formatter rewrote it to ``--8 < --"x.py"``), and the site showed that text
instead of the code while ``mkdocs build --strict`` still passed. This builds the site and
reads the pages as a reader would.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"

# The block form (marker, paths, marker) is not valid Python, so no formatter touches it.
BLOCK_INCLUDE = re.compile(r"^--8<--\n((?:(?!--8<--).+\n)+?)--8<--$", re.M)
# Any include marker, mangled or not, as it would show in a page's text.
MARKER = re.compile(r"-\s*-\s*8\s*<\s*-\s*-")
CODE = re.compile(r"<code[^>]*>(.*?)</code>", re.S)
TAG = re.compile(r"<[^>]+>")


def _includes(page: Path) -> list[str]:
    found: list[str] = []
    for block in BLOCK_INCLUDE.findall(page.read_text(encoding="utf-8")):
        found.extend(line.strip() for line in block.splitlines() if line.strip())
    return found


def _built_page(site: Path, source: Path) -> Path:
    # mkdocs' default use_directory_urls: guide/errors.md -> guide/errors/index.html.
    relative = source.relative_to(DOCS).with_suffix("")
    if relative.name == "index":
        return site / relative.parent / "index.html"
    return site / relative / "index.html"


def _code_text(page: Path) -> str:
    """The text of the page's code blocks, as a reader sees it."""
    blocks = CODE.findall(page.read_text(encoding="utf-8"))
    return "\n".join(html.unescape(TAG.sub("", block)) for block in blocks)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_no_page_shows_an_include_marker(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    shown = [str(p.relative_to(site)) for p in pages if MARKER.search(_text(p))]
    assert shown == []


def _text(page: Path) -> str:
    return html.unescape(TAG.sub("", page.read_text(encoding="utf-8")))


def test_every_example_is_included_somewhere():
    included = {name for page in DOCS.rglob("*.md") for name in _includes(page)}
    examples = {f"docs/examples/{p.name}" for p in EXAMPLES.glob("*.py")}
    assert examples - included == set()


@pytest.mark.parametrize(
    "source",
    sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if _includes(p)),
)
def test_page_shows_the_code_it_includes(site, source):
    page = _built_page(site, DOCS / source)
    code = _code_text(page)
    for included in _includes(DOCS / source):
        if not included.endswith(".py"):
            continue
        lines = (ROOT / included).read_text(encoding="utf-8").splitlines()
        missing = [line for line in lines if line.strip() and line.rstrip() not in code]
        assert missing == [], f"{source} lacks these lines of {included}"
