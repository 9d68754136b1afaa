"""Perturb the source of a domain-adaptation task: inputs and labels (Wang et al., 2019)."""

from numbers import Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._domains import check_domains

__all__ = ["perturb_source"]


@validate_params(
    {
        "X": ["array-like"],
        "y": ["array-like"],
        "sample_domain": ["array-like", None],
        "eps_x": [Interval(Real, 0, 1, closed="both")],
        "eps_y": [Interval(Real, 0, 1, closed="both")],
        "x_how": [StrOptions({"noise", "swap"})],
        "y_how": [StrOptions({"uniform", "other", "cyclic"})],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def perturb_source(
    X,
    y,
    sample_domain=None,
    *,
    eps_x=0.0,
    eps_y=0.0,
    x_how="noise",
    y_how="uniform",
    random_state=None,
):
    r"""Corrupt a fraction of the source inputs and labels, to control the divergence between domains.

    Wang et al. (2019) study negative transfer by perturbing the source: a rate
    :math:`\epsilon_x` of corrupted inputs moves :math:`P_S(x)` away from :math:`P_T(x)`, a
    rate :math:`\epsilon_y` of corrupted labels moves :math:`P_S(y \mid x)` away from
    :math:`P_T(y \mid x)`; the talk sets :math:`\epsilon = \epsilon_x = \epsilon_y`. Here
    :math:`\mathrm{round}(\epsilon_x n_S)` source rows (drawn without replacement) get a new
    input and, in an independent draw, :math:`\mathrm{round}(\epsilon_y n_S)` source rows a
    new label. Target rows are returned unchanged.

    Inputs (``x_how``):

    * ``"noise"``: each feature drawn uniformly in its range over the source rows
      :math:`[\min_S x_j, \max_S x_j]`. The row keeps no trace of its class: an
      image replaced by noise, which stays in the source's range so that a
      standardisation does not single it out.
    * ``"swap"``: the input of another source row of a *different* class, drawn at
      random; with its label kept, the pair :math:`(x, y)` is wrong (a conditional
      shift carried by the inputs).

    Labels (``y_how``), among the classes of the source rows:

    * ``"uniform"``: a class drawn uniformly, possibly the true one. Symmetric noise:
      the true class stays the most frequent label of its inputs while
      :math:`\epsilon_y < 1 - 1/K` (:math:`1 - \epsilon_y + \epsilon_y/K` against
      :math:`\epsilon_y/K`), so a classifier still learns the right classes.
    * ``"other"``: a class drawn uniformly among the :math:`K - 1` wrong ones.
    * ``"cyclic"``: class :math:`k` (in sorted order) becomes class
      :math:`k + 1 \bmod K`. Systematic noise: above :math:`\epsilon_y = 1/2` the
      most frequent label of every class is the wrong one, which is what makes
      the source misleading rather than just noisy.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Rows of every domain. NaN or infinite values are an error.
    y : array-like of shape (n_samples,)
        Class labels; ``-1`` masks the label of a target row. Source rows must be
        labeled.
    sample_domain : array-like of int, shape (n_samples,), default=None
        ``>= 0`` source, ``< 0`` target; ``None`` infers it from masked labels
        (masked rows are target rows).
    eps_x : float in [0, 1], default=0.0
        :math:`\epsilon_x`, the fraction of source rows whose input is replaced.
    eps_y : float in [0, 1], default=0.0
        :math:`\epsilon_y`, the fraction of source rows whose label is replaced.
    x_how : {"noise", "swap"}, default="noise"
        How a perturbed input is replaced (see above).
    y_how : {"uniform", "other", "cyclic"}, default="uniform"
        How a perturbed label is replaced (see above).
    random_state : int, RandomState instance or None, default=None
        Seeds the draws of the rows and of their replacements.

    Returns
    -------
    X_perturbed : ndarray of shape (n_samples, n_features), dtype float64
        A copy of ``X`` with the perturbed source inputs.
    y_perturbed : ndarray of shape (n_samples,)
        A copy of ``y`` with the perturbed source labels (target labels unchanged).

    Raises
    ------
    ValueError
        On a rate outside [0, 1] or an unknown ``x_how`` / ``y_how``; on data that
        break the domain contract (length mismatch, NaN or infinite ``X``, no source
        row, a source row with a masked label); when ``y`` holds regression targets;
        with ``eps_y > 0`` and a single source class (no other label to give), or
        ``x_how="swap"`` and a single source class (no input of another class).

    See Also
    --------
    load_mnist_digits : A real shift to perturb (MNIST and the UCI digits).

    References
    ----------
    .. [1] Z. Wang, Z. Dai, B. Póczos and J. Carbonell, "Characterizing and Avoiding
       Negative Transfer", CVPR 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.datasets import perturb_source
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> y = np.array([0, 1, 2, 0, -1, -1])
    >>> sd = np.array([0, 0, 0, 0, -1, -1])
    >>> Xp, yp = perturb_source(X, y, sd, eps_y=1.0, y_how="cyclic", random_state=0)
    >>> yp.tolist()
    [1, 2, 0, 1, -1, -1]
    >>> bool((Xp == X).all())
    True
    """
    y_in = np.asarray(y)
    if y_in.dtype.kind == "f" and y_in.size and not np.all(np.isnan(y_in) | (y_in == np.round(y_in))):
        raise ValueError(
            "perturb_source corrupts class labels; y holds non-integer floats (regression targets?)."
        )
    d = check_domains(X, y, sample_domain, task="classification", warn_no_target=False, dtype=np.float64)
    rng = check_random_state(random_state)
    Xp = np.array(d.X, dtype=np.float64, copy=True)
    yp = np.array(y_in, copy=True)
    src = np.flatnonzero(d.sample_domain >= 0)
    classes = np.unique(yp[src])
    needs_other = eps_y > 0 or (eps_x > 0 and x_how == "swap")
    if needs_other and classes.size < 2:
        raise ValueError(
            f"The source rows hold a single class ({classes[0]!r}): there is no other class to "
            "perturb towards (eps_y > 0 or x_how='swap' needs two)."
        )
    y_src = yp[src].copy()  # the true source labels, before any change

    n_x = int(round(eps_x * src.size))
    if n_x:
        rows = rng.choice(src.size, n_x, replace=False)
        if x_how == "noise":
            lo, hi = d.X[src].min(axis=0), d.X[src].max(axis=0)
            Xp[src[rows]] = lo + (hi - lo) * rng.random_sample((n_x, d.X.shape[1]))
        else:  # swap: the input of a source row of another class
            for i in rows:
                donors = np.flatnonzero(y_src != y_src[i])
                Xp[src[i]] = d.X[src[donors[rng.randint(donors.size)]]]

    n_y = int(round(eps_y * src.size))
    if n_y:
        rows = rng.choice(src.size, n_y, replace=False)
        k = np.searchsorted(classes, y_src[rows])
        K = classes.size
        if y_how == "uniform":
            new = rng.randint(K, size=n_y)
        elif y_how == "other":
            new = (k + 1 + rng.randint(K - 1, size=n_y)) % K
        else:  # cyclic
            new = (k + 1) % K
        yp[src[rows]] = classes[new]
    return Xp, yp
