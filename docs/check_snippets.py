"""Run the Python code blocks of the documentation's pages.

Every ``.. code-block:: python`` block of a page runs, in order, in one
namespace per page (later blocks may use names from earlier ones), so the
snippets of the user guide are checked the way a reader would paste them.
Blocks marked ``:class: no-run`` are skipped.

Usage::

    python docs/check_snippets.py              # every page under docs/
    python docs/check_snippets.py -v PAGE.rst  # print what each block prints

Exits with status 1 when a block raises.
"""

import argparse
import contextlib
import io
import os
import re
import sys
import textwrap
import time
import traceback
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP_DIRS = {"_build", "generated", "auto_examples", "_templates"}
DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block:: python[ \t]*$")


def code_blocks(path):
    """Yield ``(line_number, code)`` for each runnable Python code block of ``path``."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = DIRECTIVE.match(lines[i])
        if not match:
            i += 1
            continue
        start, base = i + 1, len(match.group("indent"))
        i += 1
        options = []
        while i < len(lines) and lines[i].strip().startswith(":"):
            options.append(lines[i].strip())
            i += 1
        body = []
        while i < len(lines):
            line = lines[i]
            if line.strip() and len(line) - len(line.lstrip()) <= base:
                break
            body.append(line)
            i += 1
        if any("no-run" in opt for opt in options):
            continue
        yield start, textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def run_page(path, verbose=False):
    """Run the blocks of one page; return the number of failures."""
    namespace = {"__name__": "__snippets__"}
    failures = 0
    for line, code in code_blocks(path):
        out = io.StringIO()
        t0 = time.perf_counter()
        try:
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                warnings.simplefilter("default")
                exec(compile(code, f"{path}:{line}", "exec"), namespace)
        except Exception:
            failures += 1
            print(f"FAIL {path}:{line}")
            print(textwrap.indent(code, "    | "))
            print(textwrap.indent(traceback.format_exc(), "    "))
            continue
        took = time.perf_counter() - t0
        print(f"ok   {path}:{line} ({took:.1f} s)")
        if verbose and out.getvalue():
            print(textwrap.indent(out.getvalue().rstrip("\n"), "     > "))
    return failures


def main(argv=None):
    """Run the code blocks of the pages given on the command line (default: every page)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages to run (default: all under docs/)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the blocks' output")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    pages = [Path(p) for p in args.pages] or sorted(
        p for p in HERE.rglob("*.rst") if not SKIP_DIRS.intersection(p.relative_to(HERE).parts)
    )
    failures = sum(run_page(p, args.verbose) for p in pages)
    print(f"{failures} failing block(s)" if failures else "all blocks ran")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
