"""Semi-supervised Transfer Component Analysis (Pan et al., 2011, §IV)."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import _fit_context
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import Interval, StrOptions

from ..metrics._kernels import RANK_RTOL, check_kernel_values, kernel_matrix
from ..utils._domains import check_domains, infer_task
from ..utils._linalg import eigh
from ._tca import TCA, _domain_vector, _flip_signs, _rank_error, _solve_pencil

__all__ = ["SSTCA"]

_EXACT_MAX = 3000  # n_landmarks="auto": a dense eigh of K above this many rows costs more than 10 s


def _knn_laplacian(X, n_neighbors):
    r"""Graph Laplacian :math:`\mathcal L = D - M` of the symmetric k-NN graph of ``X`` (private).

    :math:`m_{ij} = \exp(-d_{ij}^2 / 2\sigma^2)` when :math:`x_i` is among the
    ``n_neighbors`` nearest neighbours of :math:`x_j` or :math:`x_j` among those of
    :math:`x_i` (Euclidean :math:`d_{ij}`), 0 otherwise; :math:`D` is diagonal with
    the row sums of :math:`M`. :math:`2\sigma^2` is the median squared distance over
    the graph's edges, so the weights do not depend on the features' scale.
    Returns a sparse CSR matrix, or ``None`` for a single row.
    """
    n = X.shape[0]
    k = min(n_neighbors, n - 1)
    if k < 1:
        return None
    # kneighbors() without X: each row's k nearest *other* rows (a duplicate row may be one)
    dist, ind = NearestNeighbors(n_neighbors=k).fit(X).kneighbors()
    d2 = dist.ravel() ** 2
    scale = np.median(d2)
    if not scale > 0:
        scale = d2.mean() if d2.mean() > 0 else 1.0  # duplicated rows: zero distances
    w = np.exp(-d2 / scale)
    M = sparse.coo_matrix((w, (np.repeat(np.arange(n), k), ind.ravel())), shape=(n, n)).tocsr()
    M = M.maximum(M.T)  # i ~ j when either is a neighbour of the other; the weights are symmetric
    return (sparse.diags(np.asarray(M.sum(axis=1)).ravel()) - M).tocsr()


class SSTCA(TCA):
    r"""Semi-supervised TCA: transfer components that also follow the labels and the data's locality.

    SSTCA (Pan et al., 2011, §IV) learns, like :class:`~skdomain.TCA`, a map
    :math:`W \in \mathbb{R}^{n\times m}` and embeds the rows as :math:`Z = K W`
    (:math:`K` the kernel matrix of the pooled training rows). Beside TCA's terms,
    the embedded MMD between domains :math:`\operatorname{tr}(W^\top KLKW)` and the
    ridge term :math:`\mu\operatorname{tr}(W^\top W)`, it

    * maximises the dependence (HSIC) between the embedding and the labels,
      :math:`\operatorname{tr}(H K W W^\top K H \tilde K_{yy})` with
      :math:`\tilde K_{yy} = \gamma K_l + (1-\gamma) I`: :math:`K_l` is a kernel on
      the labels of the labeled rows (0 in any row or column of an unlabeled
      row), and the identity keeps the embedded variance of every row, as TCA
      does (``label_weight`` is :math:`\gamma`);
    * preserves locality: rows that are near neighbours in the input space stay
      close in the embedding, :math:`\sum_{i\sim j} m_{ij}\|z_i - z_j\|^2 =
      \operatorname{tr}(W^\top K \mathcal L K W)` (up to a factor 2), with
      :math:`\mathcal L = D - M` the Laplacian of the symmetric k-NN graph,
      :math:`m_{ij} = \exp(-d_{ij}^2 / 2\sigma^2)` on its edges
      (``n_neighbors`` is :math:`k`, ``locality_weight`` is :math:`\lambda`).

    The problem of the paper is

    .. math::

        \min_W\; \operatorname{tr}(W^\top KLKW) + \mu\operatorname{tr}(W^\top W)
        + \frac{\lambda}{n^2}\operatorname{tr}(W^\top K\mathcal L KW)
        \quad\text{s.t.}\quad W^\top K H \tilde K_{yy} H K W = I_m,

    whose solution spans the leading eigenvectors of
    :math:`(K(L + \frac{\lambda}{n^2}\mathcal L)K + \mu I)^{-1} K H \tilde K_{yy} H K`,
    i.e. of the symmetric-definite generalized problem

    .. math::

        (K H \tilde K_{yy} H K)\, w = \lambda_j\, \bigl(K(L + \tfrac{\lambda}{n^2}\mathcal L)K
        + \mu I\bigr)\, w .

    The paper writes its solution as :math:`(K(L + \lambda\mathcal L)K + \mu I)^{-1}
    KH\tilde K_{yy}HK`, the :math:`1/n^2` of its objective absorbed into
    :math:`\lambda`; skdomain keeps the :math:`1/n^2`, so that ``locality_weight``
    means the same at every number of rows. With ``label_weight=0`` (or no
    labeled row: then :math:`\tilde K_{yy} = (1-\gamma) I`, which only scales
    the eigenvalues) and ``locality_weight=0``, SSTCA is TCA.

    Label kernel :math:`K_l` (``label_kernel="auto"`` picks it from ``y``, as the
    masking convention is read): for classification the delta kernel,
    :math:`(K_l)_{ij} = [y_i = y_j]` (one-hot codes :math:`Y`, :math:`K_l = YY^\top`:
    HSIC then rewards embeddings whose class means are far apart); for
    regression the linear kernel on the standardised labels,
    :math:`(K_l)_{ij} = \tilde y_i \tilde y_j`, :math:`\tilde y = (y - \bar y)/s_y`
    over the labeled rows: HSIC is then the squared covariance between the
    embedding and :math:`y`, which is what a linear final estimator uses, it needs
    no bandwidth, and standardising makes :math:`\operatorname{tr}K_l = n_l` as
    for the delta kernel, so :math:`\gamma` weighs the two terms alike for both
    tasks and any unit of :math:`y`. Labeled target rows count among the labeled
    rows (the paper's labeled rows are source rows).

    Solver. TCA's fast path relies on :math:`KLK` being rank one; with
    :math:`\mathcal L` the right-hand side is full rank, so SSTCA solves in the
    basis of :math:`K`'s leading eigenvectors: with :math:`K = U S^2 U^\top` (its
    eigenvalues above ``1e-10`` times the largest) and :math:`W = Ua` (directions
    of :math:`W` outside the range of :math:`K` only add to :math:`\mu\|W\|^2`),
    the problem is exactly the :math:`k\times k` pencil
    :math:`S^2U^\top H\tilde K_{yy}HUS^2\, a = \lambda_j (S^2U^\top(L +
    \frac{\lambda}{n^2}\mathcal L)US^2 + \mu I)\, a`, solved by a dense
    :func:`scipy.linalg.eigh` (Cholesky of the right-hand side). The exact path
    costs a dense ``eigh`` of :math:`K` (:math:`O(n^3)`; 7 s at 3000 rows on one
    core); with Nyström landmarks (``n_landmarks``), :math:`K \approx
    \Phi\Phi^\top = U S^2 U^\top` with :math:`U, S` from the thin SVD of
    :math:`\Phi`, the same pencil at :math:`O(n r^2)`. :math:`K_l` has rank at most
    the number of classes and :math:`\mathcal L` has :math:`O(nk)` non-zeros, so
    neither is ever formed as a dense :math:`n\times n` matrix. Components are
    normalised as TCA's: :math:`W^\top (K(L+\frac{\lambda}{n^2}\mathcal L)K + \mu I)W =
    I`, :math:`W^\top KH\tilde K_{yy}HKW = \operatorname{diag}(\lambda_j)`.

    Rows are treated alike at ``transform``: new rows are embedded as
    :math:`k(x, X_{fit}) W`, with no label and no graph (the graph and the labels
    shape :math:`W` at ``fit`` only), so ``fit_transform(X, y)`` equals
    ``fit(X, y).transform(X)``.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Dimension :math:`m` of the embedding; ``"auto"`` as in :class:`~skdomain.TCA`
        (at most 100, at most the numerical rank of :math:`K`, then the components
        whose eigenvalue is below :math:`10^{-8}\lambda_1` are dropped). With
        ``label_weight`` near 1 the label term dominates the leading eigenvalues
        (:math:`K_l` has rank at most the number of classes), so "auto" may keep
        few components.
    kernel : {"rbf", "laplacian", "linear", "poly", "sigmoid", "cosine"} or callable, default="rbf"
        Kernel :math:`k` on the features.
    gamma : float, default=None
        Kernel coefficient; ``None`` uses the median heuristic of
        :mod:`skdomain.metrics` on the training rows. The paper's label weight
        :math:`\gamma` is ``label_weight``, not this.
    degree : int, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1.0
        Independent term of the polynomial and sigmoid kernels.
    mu : float, default=1.0
        Trade-off :math:`\mu` of Pan et al., as in :class:`~skdomain.TCA`.
    label_weight : float in [0, 1], default=0.5
        :math:`\gamma`: weight of the label kernel in :math:`\tilde K_{yy} =
        \gamma K_l + (1-\gamma) I`. 0 ignores the labels (TCA's variance term);
        1 keeps only the label dependence and needs labeled rows. With
        ``n_components="auto"``, 0, 0.5 and 0.9 scored within 0.2 points of each
        other on the shift suite (``benchmarks/sweep_sstca_defaults.py``): up to
        100 components span nearly the same space whichever lead. The label term
        matters when the embedding is small (see the user guide).
    locality_weight : float >= 0, default=1e4
        :math:`\lambda`: weight of the locality term
        :math:`\frac{\lambda}{n^2}\operatorname{tr}(W^\top K\mathcal LKW)`; 0 builds no graph.
        With the :math:`1/n^2`, :math:`\lambda = 1` is negligible beside
        :math:`\mu = 1` (on 600 MNIST/UCI-digits rows, :math:`\|K\mathcal LK\|_2/n^2 =
        0.002`, :math:`\|Ke\|^2 = 7.3`). Chosen on the shift suite
        (``benchmarks/sweep_sstca_defaults.py``, 3 seeds, 0 / 20 labeled target
        rows, quick subsamples): against TCA, :math:`10^4` gained 3.6 / 2.4
        points on digits → MNIST and -0.2 / +0.7 on MNIST → digits, lost 1.6 /
        0.7 points of R² on USA → Japan and changed the others by 0.1 or less;
        :math:`10^5` gained more on digits → MNIST (+6.3 without labels) but lost
        12 points on MNIST → digits and 14 on USA → Japan.
    n_neighbors : int, default=5
        :math:`k` of the k-NN graph (``n_samples - 1`` when larger).
    label_kernel : {"auto", "delta", "linear"}, default="auto"
        :math:`K_l`: ``"delta"`` (one-hot classes), ``"linear"`` (on the standardised
        numeric labels), or ``"auto"``: ``"linear"`` when the labels read as
        regression targets (floats with NaN masks or non-integer values, the rule
        by which the masking convention is read), ``"delta"`` otherwise. Pass
        ``"linear"`` for integer-valued regression targets.
    n_landmarks : int, "auto" or None, default="auto"
        Number :math:`r` of Nyström landmarks (all rows when :math:`r \ge n`);
        ``None`` always solves exactly; ``"auto"`` is exact up to 3000 rows (a
        dense ``eigh`` of :math:`K`) and uses 1000 landmarks above.
    random_state : int, RandomState instance or None, default=None
        Seeds the landmarks and the bandwidth rule's subsample.

    Attributes
    ----------
    n_components_ : int
        The dimension :math:`m` of the embedding.
    eigenvalues_ : ndarray of shape (m,)
        :math:`\lambda_j` of the kept components, in decreasing order.
    gamma_ : float or None
        The kernel coefficient used.
    X_fit_ : ndarray of shape (n_samples, n_features)
        Training rows (exact path) or landmark rows (Nyström path).
    components_ : ndarray of shape (n_fit, m)
        Maps kernel values against ``X_fit_`` to the embedding.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.

    See Also
    --------
    skdomain.TCA : The unsupervised method (``label_weight=0, locality_weight=0``).
    skdomain.LabeledOnly : Fit the final estimator of a pipeline on labeled rows only.

    References
    ----------
    .. [1] S. J. Pan, I. W. Tsang, J. T. Kwok and Q. Yang, "Domain Adaptation via
       Transfer Component Analysis", IEEE Trans. Neural Networks 22(2), 2011, §IV.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skdomain import SSTCA, LabeledOnly
    >>> from skdomain.datasets import make_domain_shift
    >>> X, y, sample_domain = make_domain_shift(
    ...     n_source=100, n_target=100, n_target_labeled=5, random_state=0)
    >>> Z = SSTCA(n_components=5).fit_transform(X, y, sample_domain=sample_domain)
    >>> Z.shape
    (200, 5)
    >>> pipe = make_pipeline(SSTCA(n_components=5),
    ...                      LabeledOnly(LogisticRegression()))
    >>> pipe = pipe.fit(X, y, sstca__sample_domain=sample_domain)  # routing off
    >>> pipe.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **TCA._parameter_constraints,
        "label_weight": [Interval(Real, 0, 1, closed="both")],
        "locality_weight": [Interval(Real, 0, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "label_kernel": [StrOptions({"auto", "delta", "linear"})],
    }
    _exact_max = _EXACT_MAX

    def __init__(
        self,
        n_components="auto",
        kernel="rbf",
        gamma=None,
        degree=3,
        coef0=1.0,
        mu=1.0,
        label_weight=0.5,
        locality_weight=1e4,
        n_neighbors=5,
        label_kernel="auto",
        n_landmarks="auto",
        random_state=None,
    ):
        super().__init__(
            n_components=n_components,
            kernel=kernel,
            gamma=gamma,
            degree=degree,
            coef0=coef0,
            mu=mu,
            n_landmarks=n_landmarks,
            random_state=random_state,
        )
        self.label_weight = label_weight
        self.locality_weight = locality_weight
        self.n_neighbors = n_neighbors
        self.label_kernel = label_kernel

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_domain=None):
        """Fit the components on the rows of every domain and the labels of the labeled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (classification) or NaN (regression) marks unlabeled
            rows. The labeled rows (source, and labeled target rows) enter the
            label kernel; the masked ones infer domains when ``sample_domain`` is
            omitted.
        sample_domain : array-like of int, shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target.

        Returns
        -------
        self : SSTCA
            The fitted estimator.
        """
        # check_domains is called in fit itself: its DomainWarning points at fit's caller
        return self._fit(check_domains(X, y, sample_domain, task="infer", estimator=self))

    def _label_factor(self, d):
        """``H Y`` with ``K_l = Y Y^T`` (zero rows for unlabeled rows); ``None`` without labels."""
        if d.y is None or not d.labeled.any() or self.label_weight == 0:
            return None
        n, rows = d.X.shape[0], np.flatnonzero(d.labeled)
        kind = self.label_kernel
        if kind == "auto":
            kind = "linear" if infer_task(d.y) == "regression" else "delta"
        if kind == "delta":
            _, codes = np.unique(d.y[rows], return_inverse=True)
            Y = np.zeros((n, codes.max() + 1))
            Y[rows, codes] = 1.0
        else:
            try:
                yl = np.asarray(d.y[rows], dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"label_kernel='linear' needs numeric labels; got {d.y.dtype} labels such as "
                    f"{d.y[rows][0]!r}. Use label_kernel='delta' for classes."
                ) from exc
            sd = yl.std()
            Y = np.zeros((n, 1))
            Y[rows, 0] = (yl - yl.mean()) / sd if sd > 0 else 0.0
        return Y - Y.mean(axis=0)

    def _kernel_factor(self, X):
        """``K = U diag(s2) U^T`` over the eigenvalues above ``RANK_RTOL`` times the largest."""
        K = kernel_matrix(X, kernel=self.kernel, **self._params)
        check_kernel_values(K, self.kernel, "the kernel matrix of the training rows")
        s2, U = eigh(K)
        keep = s2 > RANK_RTOL * max(s2.max(), np.finfo(float).tiny)
        s2, U = s2[keep], U[:, keep]
        m = self.n_components_
        if self._auto and 0 < s2.size < m:
            m = self.n_components_ = s2.size
        if m > s2.size:
            raise _rank_error(m, s2.size, "the kernel matrix", "")
        return U, s2

    def _pencil(self, U, s2, e, HY, lap):
        """Return the reduced pencil ``(A, B)`` in the basis ``W = U a``, with ``K U = U diag(s2)``."""
        gam, n = self.label_weight, U.shape[0]
        scale = np.multiply.outer(s2, s2)
        A = (1.0 - gam) * scale * (U.T @ (U - U.mean(axis=0)))  # S^2 U^T H U S^2
        if HY is not None:
            G = s2[:, None] * (U.T @ HY)  # S^2 U^T H Y
            A += gam * (G @ G.T)
        B = self.mu * np.eye(s2.size)
        if e is not None:
            g = s2 * (U.T @ e)  # S^2 U^T e:  L = e e^T
            B += np.outer(g, g)
        if lap is not None:
            B += (self.locality_weight / n**2) * scale * (U.T @ (lap @ U))
        return A, (B + B.T) / 2

    def _fit_components(self, d, r, rng):
        X = d.X
        HY = self._label_factor(d)
        if self.label_weight == 1 and HY is None:
            raise ValueError(
                "label_weight=1 keeps only the label dependence, and no row is labeled: "
                "label some rows or lower label_weight."
            )
        e = _domain_vector(d.source) if d.has_target else None
        lap = _knn_laplacian(X, self.n_neighbors) if self.locality_weight > 0 else None
        if r is None:
            U, s2 = self._kernel_factor(X)
        else:
            XL, nmap, U, s2, Vs = self._landmark_factor(X, r, rng)
        A, B = self._pencil(U, s2, e, HY, lap)
        lam, a = _solve_pencil(A, B, self.n_components_)
        if r is None:
            self.components_ = _flip_signs(U @ a)
            self.eigenvalues_ = lam
            self.X_fit_ = X.copy()  # validation may hand back the caller's own array
        else:
            self._set_landmark_components(XL, nmap, np.sqrt(s2), Vs, lam, a)
