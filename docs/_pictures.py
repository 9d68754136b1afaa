"""Draw the pictures of the domain contract page, at docs build time.

``conf.py`` calls :func:`make_pictures` when the builder starts (every build,
``html-noplot`` included); the PNG files go to ``docs/generated/pictures/``,
which git ignores, so no image is committed. A file is rewritten only when its
bytes change, so an unchanged picture does not make Sphinx re-read the page.

The values drawn are not typed in: they are what skdomain returns,
:func:`skdomain.stack_domains` for the layout and
:func:`skdomain.utils.check_domains` for the inferred domains.

Run it alone to look at the pictures::

    python docs/_pictures.py [OUTPUT_DIR]
"""

import io
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUTPUT_DIR = HERE / "generated" / "pictures"

# Fill / edge colours (colour-blind safe pairs) of the domains' rows.
SOURCE_COLOURS = [("#c6dbef", "#2171b5"), ("#c7e9c0", "#238b45")]
TARGET_COLOURS = [("#fdd0a2", "#d94801")]
MASKED = ("#ececec", "#7f7f7f")
ROW_H = 0.42  # height of a row, in inches


def layout_data():
    """Return the arrays of the layout picture: two sources, one partly labeled target.

    Returns
    -------
    X, y, sample_domain : ndarray
        As returned by :func:`skdomain.stack_domains` for a first source of 4
        rows, a second source of 3 rows and a target of 5 rows, 2 of them labeled.
    """
    from skdomain import stack_domains

    rng = np.random.default_rng(3)
    Xs = [rng.normal(size=(4, 3)), rng.normal(loc=1.0, size=(3, 3))]
    ys = [np.array([0, 2, 1, 0]), np.array([1, 2, 2])]
    Xt = rng.normal(loc=-1.0, size=(5, 3))
    yt = np.array([2, 0, -1, -1, -1])
    return stack_domains(Xs, ys, Xt, yt)


def inference_panels():
    """Return the panels of the inference picture: ``y`` and the inferred ``sample_domain``.

    Returns
    -------
    panels : list of (str, ndarray, ndarray, ndarray or None)
        ``(title, y, inferred, true_domain)``; ``inferred`` is
        ``check_domains(X, y).sample_domain``; ``true_domain`` is the domain the
        rows really come from when inference gets it wrong, else None.
    """
    from skdomain import DomainWarning
    from skdomain.utils import check_domains

    def infer(y, task):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DomainWarning)
            return check_domains(np.zeros((len(y), 1)), y, task=task).sample_domain

    y_clf = np.array([1, 0, 2, 1, 0, -1, -1, -1])
    y_reg = np.array([0.5, 1.2, -0.3, 2.0, 0.8, np.nan, np.nan, np.nan])
    _, y_sl, sd_sl = layout_data()
    keep = np.r_[np.flatnonzero(sd_sl == 0)[:3], np.flatnonzero(sd_sl < 0)]
    return [
        ("classification: y == -1", y_clf, infer(y_clf, "classification"), None),
        ("regression: y is NaN", y_reg, infer(y_reg, "regression"), None),
        (
            "labeled target rows: give sample_domain",
            y_sl[keep],
            infer(y_sl[keep], "classification"),
            sd_sl[keep],
        ),
    ]


def _fmt_label(v):
    if isinstance(v, float | np.floating):
        return "NaN" if np.isnan(v) else f"{v:.1f}"
    return str(int(v))


def _is_masked(v):
    return bool(np.isnan(v)) if isinstance(v, float | np.floating) else int(v) == -1


def _domain_colours(d):
    if d >= 0:
        return SOURCE_COLOURS[int(d) % len(SOURCE_COLOURS)]
    return TARGET_COLOURS[(-int(d) - 1) % len(TARGET_COLOURS)]


def _column(ax, x0, width, texts, fills, edges, title=None, hatch_rows=(), bold_rows=()):
    """Draw one array as a column of cells, row 0 on top."""
    from matplotlib.patches import Rectangle

    n = len(texts)
    for i, (text, fill, edge) in enumerate(zip(texts, fills, edges, strict=True)):
        y = n - 1 - i
        ax.add_patch(
            Rectangle(
                (x0, y),
                width,
                1,
                facecolor=fill,
                edgecolor=edge,
                linewidth=1.0,
                hatch="///" if i in hatch_rows else None,
            )
        )
        ax.text(
            x0 + width / 2,
            y + 0.5,
            text,
            ha="center",
            va="center",
            fontsize=9,
            family="monospace",
            fontweight="bold" if i in bold_rows else "normal",
            color="#a50f15" if i in bold_rows else "#222222",
            bbox={"facecolor": fill, "edgecolor": "none", "pad": 0.5} if i in hatch_rows else None,
        )
    if title:
        ax.text(x0 + width / 2, n + 0.35, title, ha="center", va="bottom", fontsize=10, family="monospace")


def _brace(ax, x, top, bottom, text, colour):
    """Draw a bracket from row ``top`` to row ``bottom`` (inclusive) of an ``n``-row column."""
    ax.plot([x, x + 0.15, x + 0.15, x], [top, top, bottom, bottom], color=colour, linewidth=1.5)
    ax.text(x + 0.3, (top + bottom) / 2, text, ha="left", va="center", fontsize=9, color=colour)


def draw_layout():
    """Draw the data layout: ``X``, ``y`` and ``sample_domain`` side by side, rows coloured by domain."""
    import matplotlib.pyplot as plt

    X, y, sd = layout_data()
    n, d = X.shape
    masked = [i for i in range(n) if _is_masked(y[i])]
    fills = [_domain_colours(v)[0] for v in sd]
    edges = [_domain_colours(v)[1] for v in sd]

    fig, ax = plt.subplots(figsize=(9.4, ROW_H * (n + 2.2)))
    x = 0.0
    for j in range(d):
        _column(ax, x, 1.0, [f"{v:+.1f}" for v in X[:, j]], fills, edges)
        x += 1.0
    ax.text(d / 2, n + 0.35, f"X   ({n}, {d})", ha="center", va="bottom", fontsize=10, family="monospace")
    x += 0.5
    y_fills = [MASKED[0] if i in masked else fills[i] for i in range(n)]
    y_edges = [MASKED[1] if i in masked else edges[i] for i in range(n)]
    _column(ax, x, 1.0, [_fmt_label(v) for v in y], y_fills, y_edges, "y", masked, masked)
    x += 1.5
    _column(ax, x, 1.6, [str(v) for v in sd], fills, edges, "sample_domain")
    x += 1.8

    groups = [
        (sd == 0, "source 0   (sources: ids >= 0)"),
        (sd == 1, "source 1   (a second source)"),
    ]
    target = sd < 0
    labeled_target = target & ~np.isin(np.arange(n), masked)
    groups += [
        (labeled_target, "target -1, labeled   (targets: ids < 0)"),
        (target & ~labeled_target, "target -1, unlabeled   (label masked: -1)"),
    ]
    for rows, text in groups:
        idx = np.flatnonzero(rows)
        top, bottom = n - idx[0] - 0.1, n - 1 - idx[-1] + 0.1
        _brace(ax, x, top, bottom, text, _domain_colours(sd[idx[0]])[1])

    ax.set_xlim(-0.1, x + 4.6)
    ax.set_ylim(-0.2, n + 1.2)
    ax.set_axis_off()
    fig.tight_layout(pad=0.2)
    return fig


def draw_inference():
    """``sample_domain`` omitted: inferred from the masked labels, panel by panel."""
    import matplotlib.pyplot as plt

    panels = inference_panels()
    n = max(len(p[1]) for p in panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(10.2, ROW_H * (n + 3.2)))
    for ax, (title, y, inferred, true) in zip(axes, panels, strict=True):
        m = len(y)
        masked = [i for i in range(m) if _is_masked(y[i])]
        fills = [_domain_colours(v)[0] for v in inferred]
        edges = [_domain_colours(v)[1] for v in inferred]
        y_fills = [MASKED[0] if i in masked else fills[i] for i in range(m)]
        y_edges = [MASKED[1] if i in masked else edges[i] for i in range(m)]
        offset = n - m  # align the panels' first rows
        ax.set_ylim(-0.2 - offset, m + 1.3)
        _column(ax, 0.0, 1.1, [_fmt_label(v) for v in y], y_fills, y_edges, "y", masked, masked)
        ax.annotate(
            "",
            xy=(2.4, m / 2),
            xytext=(1.3, m / 2),
            arrowprops={"arrowstyle": "-|>", "color": "#444444", "linewidth": 1.5},
        )
        _column(ax, 2.6, 1.6, [str(v) for v in inferred], fills, edges, "inferred")
        if true is not None:
            wrong = np.flatnonzero(true != inferred)
            _column(
                ax,
                4.5,
                1.2,
                [str(v) for v in true],
                [_domain_colours(v)[0] for v in true],
                [_domain_colours(v)[1] for v in true],
                "true",
            )
            for i in wrong:
                ax.text(
                    5.8, m - 1 - i + 0.5, "!", color="#a50f15", fontsize=12, va="center", fontweight="bold"
                )
            ax.text(
                0.0,
                -0.35,
                "a labeled target row looks like a source row:\npass sample_domain",
                ha="left",
                va="top",
                fontsize=8.5,
                color="#a50f15",
            )
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlim(-0.1, 6.3)
        ax.set_axis_off()
    fig.text(
        0.5,
        0.01,
        "check_domains(X, y): masked label -> target (-1), any other label -> source (0)",
        ha="center",
        va="bottom",
        fontsize=9.5,
        family="monospace",
    )
    fig.tight_layout(pad=0.3, rect=(0, 0.06, 1, 1))
    return fig


PICTURES = {"contract_layout.png": draw_layout, "contract_inference.png": draw_inference}


def make_pictures(output_dir=OUTPUT_DIR, dpi=110):
    """Draw every picture into ``output_dir``; return the paths of the files.

    Parameters
    ----------
    output_dir : path-like, default=docs/generated/pictures
        Where the PNG files go (created if missing).
    dpi : int, default=110
        Resolution of the PNG files.

    Returns
    -------
    paths : list of Path
        One path per picture; a file is rewritten only when its bytes change.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in PICTURES.items():
        fig = draw()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        plt.close(fig)
        path = output_dir / name
        data = buf.getvalue()
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    for p in make_pictures(sys.argv[1] if len(sys.argv) > 1 else OUTPUT_DIR):
        print(p)
