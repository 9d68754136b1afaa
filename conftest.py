"""Test-session settings shared by ``tests/`` and the doctests in ``skdomain/``.

Torch runs one intra-op thread per test process. CI runs ``pytest -n 2`` on two
cores: each xdist worker owns a core, and a second torch thread per worker only
contends for it. On shared cores torch's thread pool degrades badly (a small
DANN epoch measured 0.37 s with one thread and 1.8 to 10 s with two while another
process was busy), so one thread is both faster and steadier here. Subprocesses
(the examples, the demo) inherit the same setting through ``OMP_NUM_THREADS``.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

try:
    import torch
except ImportError:  # pragma: no cover - torch is a dependency
    torch = None
else:
    torch.set_num_threads(1)
