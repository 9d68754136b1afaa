"""``python -m skdomain``: every estimator on MNIST → UCI digits, with a results table and a figure.

``--quick`` keeps it under a minute on two CPU cores; ``--help`` lists the options.
"""

import argparse
import sys

from ._demo import methods, run, select

__all__ = ["main", "run"]


def main(argv=None):
    """Run the demo with the command-line options ``argv``.

    Parameters
    ----------
    argv : list of str, default=None
        The options (``--help`` lists them); ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit status, 0 (argparse exits by itself on a bad option).
    """
    parser = argparse.ArgumentParser(prog="python -m skdomain", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="half the source rows, few epochs (< 1 min)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--target-labels",
        type=int,
        default=30,
        help="labeled target rows the estimators may use (default 30)",
    )
    parser.add_argument("--device", default="cpu", help="where the deep rows train: cpu, cuda or auto")
    parser.add_argument(
        "--figure",
        default="skdomain_demo.png",
        help="path of the summary PNG (default ./skdomain_demo.png; 'none' for no figure)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--methods",
        default=None,
        help="comma-separated names, or parts of names, of the rows to run beside the two baselines "
        "(e.g. 'KMM,DANN'); 'all' runs every row, the optional ones too (GTA, domain confusion); "
        "default: every row but the optional ones",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS and torch threads (default 1: steady on shared cores)"
    )
    args = parser.parse_args(argv)
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            parser.error(
                f"--device {args.device}: torch.cuda.is_available() is False (torch {torch.__version__}); "
                "use --device cpu, or --device auto to take a GPU only when there is one"
            )
    figure = None if args.figure.lower() == "none" else args.figure
    try:
        select(methods(), args.methods)
    except ValueError as exc:
        parser.error(str(exc))
    run(
        quick=args.quick,
        seed=args.seed,
        n_target_labeled=args.target_labels,
        device=args.device,
        figure=figure,
        progress=not args.no_progress,
        threads=args.threads,
        methods=args.methods,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
