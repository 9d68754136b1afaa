"""What the benchmark scripts share: the results folder, a plain-text table, the load lines, peak memory.

The scripts import it as ``from _common import ...``: run as
``python benchmarks/bench_x.py``, Python puts ``benchmarks/`` first on ``sys.path``.
"""

import json
import os
import resource
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def results_path(name, quick=False):
    """``benchmarks/results/<name>.json``, or ``<name>_quick.json`` for a quick run."""
    return RESULTS_DIR / f"{name}{'_quick' if quick else ''}.json"


def save_json(name, payload, *, quick=False, default=None):
    """Write ``payload`` as indented JSON to :func:`results_path` (folder created); return the path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = results_path(name, quick)
    path.write_text(json.dumps(payload, indent=1, default=default))
    return path


def print_table(rows, columns):
    """Plain-text table; ``columns`` is a list of (header, key, format).

    Every column is right-aligned to its widest cell; a missing or ``None`` value prints ``-``.
    """
    cells = [[fmt.format(r[key]) if r.get(key) is not None else "-" for _, key, fmt in columns] for r in rows]
    heads = [h for h, _, _ in columns]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(heads)]
    print("  ".join(h.rjust(w) for h, w in zip(heads, widths)))
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.rjust(w) for v, w in zip(c, widths)))


def print_load_at_start():
    """Print the 1, 5 and 15 minute load averages: timings depend on what else the machine runs."""
    print("load average at start (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())


def print_total(t_start):
    """Print the wall time since ``t_start`` (``time.perf_counter()``) and the load averages; return it."""
    total = time.perf_counter() - t_start
    print(f"\ntotal wall time {total:.0f} s; load average at end: %.2f %.2f %.2f" % os.getloadavg())
    return total


def peak_rss_gib():
    """Peak resident memory of this process in GiB.

    VmHWM of /proc/self/status where available: on Linux ``ru_maxrss`` survives
    fork + exec, so a subprocess would report at least its parent's RSS.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**20  # kB -> GiB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
