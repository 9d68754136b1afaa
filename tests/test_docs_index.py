"""The landing page's short example prints what the page says it prints."""

import contextlib
import io
import pathlib
import re
import textwrap

DOCS = pathlib.Path(__file__).parents[1] / "docs"


def _blocks(text, language):
    """Return the bodies of the ``.. code-block:: <language>`` blocks of an rst text, in order."""
    lines, blocks, i = text.splitlines(), [], 0
    while i < len(lines):
        if lines[i].strip() != f".. code-block:: {language}":
            i += 1
            continue
        i += 1
        body = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
            body.append(lines[i])
            i += 1
        blocks.append(textwrap.dedent("\n".join(body)).strip("\n"))
    return blocks


def test_index_example_prints_what_the_page_shows():
    text = (DOCS / "index.rst").read_text(encoding="utf-8")
    section = text[text.index("A short example") :]
    code = _blocks(section, "python")[0]
    (shown,) = [b for b in _blocks(section, "text") if "target accuracy" in b][:1]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/index.rst", "exec"), {"__name__": "__index__"})
    printed = out.getvalue().strip("\n")
    assert [re.sub(r"\s+", " ", s) for s in printed.splitlines()] == [
        re.sub(r"\s+", " ", s) for s in shown.splitlines()
    ]
    # and adaptation is what the page claims: both methods well above source-only
    scores = [float(line.split()[-1]) for line in printed.splitlines()]
    assert scores[1] > scores[0] + 0.2 and scores[2] > scores[0] + 0.2
