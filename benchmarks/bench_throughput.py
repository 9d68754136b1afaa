"""Training throughput of ``DANNClassifier`` against a plain hand-written PyTorch DANN loop.

What is measured (issue 17, section 1)
--------------------------------------
Time per epoch of DANN training, with the same network, data, rows per step and
optimiser on every side, so that the ratio ours / plain is the cost of the library's
machinery (skorch's loop, the batch iterator, the domain masks, the logging):

* ``ours``: ``DANNClassifier`` (Ganin's reversal schedule, ``mu=1``, a
  ``Discriminator(hidden_units=(64,))``, Adam lr 1e-3 with betas (0.9, 0.999)),
  ``batch_size`` rows of each domain per step, an epoch one pass over the larger
  domain (``BalancedDomainBatches``). Time per epoch: skorch's ``history[:, "dur"]``.
* ``plain``: the same computation written out in PyTorch: per epoch, each domain's
  rows drawn with ``torch.randperm`` (the smaller domain's permutations concatenated
  up to the larger one's length), per step the forward of the source and target rows
  together, the cross-entropy of the source rows, a hand-written gradient reversal
  layer with the same schedule ``2 / (1 + exp(-10 p)) - 1``, the discriminator's
  binary cross-entropy (each domain's mean), one backward and one Adam step. The
  per-step losses are summed on the device and read once per epoch (no host
  synchronisation inside the epoch). Time per epoch: ``time.perf_counter`` around
  the epoch (after ``torch.cuda.synchronize`` on a GPU).
* ``skada`` (small size only, when skada is installed): skada's ``DANN`` with the
  same discriminator behind its reversal layer (``bench_deep.py``'s
  ``"DANN (our D)"``), 64 + 64 rows per step; time per epoch from its history.

Every side gets ONE freshly seeded module per repeat (``torch.manual_seed``), the
same for a given repeat; the discriminator has the same shape everywhere (ours builds
its own from ``random_state``: skorch does not take a module instance for it).
Repeats are interleaved (ours, plain, skada, ours, ...) so that background load hits
each alike; reported per side: the median over repeats of
the median epoch time, its spread (min-max over repeats), rows/s (rows per epoch,
source + target, over the median time) and the ratio to the plain loop.

Sizes
-----
* ``small``: MNIST -> UCI digits (``load_mnist_digits``, ``x / 16``: 5,000 + 1,797
  rows, 64 features), MLP 64-128-64 then a linear head to 10 classes, 64 + 64 rows
  per step (79 steps per epoch).
* ``large``: synthetic Gaussian classes, 100,000 source + 100,000 shifted target
  rows x 256 features (``--rows`` changes the count per domain), MLP 256-512-256
  then a linear head to 10, 256 + 256 rows per step.

``torch.set_num_threads(--threads)`` (1 by default) on every side.

Run
---
    python benchmarks/bench_throughput.py                        # small, cpu, 5 repeats x 5 epochs
    python benchmarks/bench_throughput.py --size large --epochs 2 --repeats 3
    python benchmarks/bench_throughput.py --device cuda --size large   # on a GPU machine

Nothing is written unless ``--save`` (``benchmarks/results/bench_throughput_<size>_<device>.json``).
"""

import argparse
import math
import platform
import time
import warnings

import numpy as np
import sklearn
import torch
from torch import nn
from torch.nn import functional as F

import skdomain
from skdomain.deep import DANNClassifier, Discriminator
from skdomain.utils import DomainWarning

from _common import print_load_at_start, print_table, print_total, save_json

SIZES = {
    # hidden widths, rows per domain per step
    "small": dict(hidden=(64, 128, 64), batch=64),
    "large": dict(hidden=(256, 512, 256), batch=256),
}
LR = 1e-3
GAMMA = 10.0


class MLP(nn.Module):
    """F: a ReLU MLP (``feature_extractor``); C: a linear head; ``forward`` returns the logits."""

    def __init__(self, n_features, hidden, n_classes=10):
        super().__init__()
        layers, width = [], n_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.feature_extractor = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_classes)

    def forward(self, X, sample_weight=None):  # sample_weight: skada passes it at prediction
        return self.head(self.feature_extractor(X))


def fresh_modules(seed, n_features, hidden):
    """Build the seeded network and discriminator of one repeat (the same on every side)."""
    torch.manual_seed(seed)
    module = MLP(n_features, hidden)
    torch.manual_seed(seed + 1000)
    disc = Discriminator(hidden[-1], hidden_units=(64,))
    return module, disc


# --------------------------------------------------------------------------- data


def load(size, rows, seed=0):
    """``X, y (target masked), sd`` as float32 / int arrays."""
    if size == "small":
        from skdomain.datasets import load_mnist_digits

        X, y, sd = load_mnist_digits("mnist->digits", random_state=seed)
        return (X / 16.0).astype(np.float32), y, sd
    rng = np.random.default_rng(seed)
    d, k = 256, 10
    centres = rng.normal(size=(k, d)).astype(np.float32)
    ys, yt = rng.integers(0, k, rows), rng.integers(0, k, rows)
    Xs = centres[ys] + rng.normal(size=(rows, d)).astype(np.float32)
    Xt = 1.2 * centres[yt] + 0.5 + rng.normal(size=(rows, d)).astype(np.float32)
    X = np.concatenate([Xs, Xt]).astype(np.float32)
    y = np.concatenate([ys, np.full(rows, -1)])
    sd = np.concatenate([np.ones(rows, dtype=int), -np.ones(rows, dtype=int)])
    return X, y, sd


# -------------------------------------------------------------------------- sides


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def run_ours(data, seed, epochs, device, hidden, batch):
    X, y, sd = data
    module, _ = fresh_modules(seed, X.shape[1], hidden)  # D: built by the net (skorch's rule), same shape
    net = DANNClassifier(
        module=module,
        feature_layer="feature_extractor",
        discriminator__hidden_units=(64,),
        mu=1.0,
        optimizer__betas=(0.9, 0.999),
        lr=LR,
        max_epochs=epochs,
        batch_size=batch,
        device=device,
        random_state=seed,
    )
    with sklearn.config_context(enable_metadata_routing=False), warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        net.fit(X, y, sample_domain=sd)
    return np.asarray(net.history[:, "dur"], dtype=float), len(net.history[-1]["batches"])


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lam * grad, None


def run_plain(data, seed, epochs, device, hidden, batch):
    """Run the hand-written DANN loop (see the module docstring); return the epoch times."""
    X, y, sd = data
    module, disc = fresh_modules(seed, X.shape[1], hidden)
    module.to(device)
    disc.to(device)
    Xs = torch.as_tensor(X[sd >= 0], device=device)
    ys = torch.as_tensor(y[sd >= 0], dtype=torch.long, device=device)
    Xt = torch.as_tensor(X[sd < 0], device=device)
    opt = torch.optim.Adam([*module.parameters(), *disc.parameters()], lr=LR, betas=(0.9, 0.999))
    gen = torch.Generator().manual_seed(seed + 1)
    n = max(len(Xs), len(Xt))
    steps = -(-n // batch)
    total, k = epochs * steps, 0

    def stream(m):
        parts = [torch.randperm(m, generator=gen) for _ in range(-(-n // m))]
        return torch.cat(parts)[:n].to(device)

    times = []
    for _ in range(epochs):
        sync(device)
        t0 = time.perf_counter()
        src, tgt = stream(len(Xs)), stream(len(Xt))
        epoch_loss = torch.zeros((), device=device)
        for start in range(0, n, batch):
            i, j = src[start : start + batch], tgt[start : start + batch]
            xb = torch.cat([Xs[i], Xt[j]])
            feats = module.feature_extractor(xb)
            logits = module.head(feats)
            ce = F.cross_entropy(logits[: len(i)], ys[i])
            lam = 2.0 / (1.0 + math.exp(-GAMMA * k / total)) - 1.0
            d = disc(_Reverse.apply(feats, lam))
            dom = torch.cat([torch.zeros(len(i), device=device), torch.ones(len(j), device=device)])
            bce = F.binary_cross_entropy_with_logits(d, dom, reduction="none")
            loss = ce + bce[: len(i)].mean() + bce[len(i) :].mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            epoch_loss += loss.detach()
            k += 1
        float(epoch_loss)  # the epoch's one read
        sync(device)
        times.append(time.perf_counter() - t0)
    return np.asarray(times), steps


def run_skada(data, seed, epochs, device, hidden, batch):
    from skada.deep import DANN
    from skada.deep.modules import GradientReversalLayer

    class SkadaD(nn.Module):  # the same D behind skada's reversal layer (coefficient 1), a sigmoid
        def __init__(self, disc):
            super().__init__()
            self.disc = disc

        def forward(self, x, sample_weight=None):
            return torch.sigmoid(self.disc(GradientReversalLayer.apply(x, 1.0)))

    X, y, sd = data
    module, disc = fresh_modules(seed, X.shape[1], hidden)
    net = DANN(
        module,
        layer_name="feature_extractor",
        domain_classifier=SkadaD(disc),
        optimizer=torch.optim.Adam,
        lr=LR,
        max_epochs=epochs,
        batch_size=batch,
        train_split=None,
        device=device,
        verbose=0,
    )
    torch.manual_seed(seed)  # skada's samplers draw from the global generator
    net.fit(X, y, sample_domain=sd)
    return np.asarray(net.history[:, "dur"], dtype=float), len(net.history[-1]["batches"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per fit (small 5, large 2)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000, help="rows per domain at --size large")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-skada", action="store_true")
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda but torch.cuda.is_available() is False")
    torch.set_num_threads(args.threads)
    cfg = SIZES[args.size]
    epochs = args.epochs or (5 if args.size == "small" else 2)
    t_start = time.perf_counter()
    print(
        f"skdomain {skdomain.__version__}, torch {torch.__version__}, python {platform.python_version()}, "
        f"device {args.device}, {args.threads} thread(s), size {args.size}, {epochs} epochs x "
        f"{args.repeats} repeats"
    )
    print_load_at_start()
    data = load(args.size, args.rows)
    n_rows = 2 * max(int((data[2] >= 0).sum()), int((data[2] < 0).sum()))  # rows per epoch, both domains
    sides = {"ours": run_ours, "plain": run_plain}
    if args.size == "small" and not args.no_skada:
        try:
            import skada  # noqa: F401
        except ImportError:
            print("skada not installed: its row is skipped")
        else:
            sides["skada"] = run_skada
    raw = {name: [] for name in sides}
    steps = {}
    for r in range(args.repeats):
        for name, fn in sides.items():
            dur, steps[name] = fn(data, r, epochs, args.device, cfg["hidden"], cfg["batch"])
            raw[name].append(float(np.median(dur)))
    plain = float(np.median(raw["plain"]))
    rows = []
    for name, values in raw.items():
        med = float(np.median(values))
        rows.append(
            dict(
                side=name,
                steps=steps[name],
                median=med,
                lo=min(values),
                hi=max(values),
                rows_s=n_rows / med,
                ratio=med / plain,
            )
        )
    print(f"\nrows per epoch (source + target): {n_rows}")
    print_table(
        rows,
        [
            ("side", "side", "{}"),
            ("steps", "steps", "{}"),
            ("s/epoch", "median", "{:.4f}"),
            ("min", "lo", "{:.4f}"),
            ("max", "hi", "{:.4f}"),
            ("rows/s", "rows_s", "{:,.0f}"),
            ("/ plain", "ratio", "{:.2f}"),
        ],
    )
    print_total(t_start)
    if args.save:
        save_json(
            f"bench_throughput_{args.size}_{args.device}",
            dict(args=vars(args), epochs=epochs, rows_per_epoch=n_rows, raw=raw, rows=rows),
        )


if __name__ == "__main__":
    main()
