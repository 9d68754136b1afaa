"""Transfer Component Analysis (Pan et al., 2011)."""

import os
from numbers import Integral, Real

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._base import DomainRequestMixin
from ..metrics._kernels import (
    KERNEL_PARAMETER_CONSTRAINTS,
    RANK_RTOL,
    check_kernel_values,
    kernel_matrix,
    kernel_params,
    landmark_indices,
    leading_directions,
    nystroem_map,
    resolve_gamma,
    working_blocks,
)
from ..utils._domains import check_domains
from ..utils._linalg import eigh

__all__ = ["TCA"]

_DENSE_MAX = 500  # below this many rows, a dense eigh is cheaper than Lanczos
_EXACT_MAX = 6000  # above this many rows, "auto" switches to Nyström landmarks
_AUTO_LANDMARKS = 1000
_AUTO_COMPONENTS = 100  # n_components="auto": at most this many (fewer for a lower kernel rank)
_AUTO_RTOL = 1e-8  # ... and only those whose eigenvalue exceeds this fraction of the largest
_EXACT_BYTES_PER_ENTRY = 16  # the exact path holds K and, while computing it, a temporary as large


def _physical_memory():
    """Bytes of physical memory of this machine, or ``None`` where the OS does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _check_exact_fits(n):
    """Raise a clear error before the exact path allocates an ``n x n`` kernel larger than the memory."""
    need, total = _EXACT_BYTES_PER_ENTRY * n**2, _physical_memory()
    if total is not None and need > total:
        raise ValueError(
            f"n_landmarks=None solves TCA exactly on the {n} x {n} kernel matrix of the training "
            f"rows, which needs about {need / 2**30:.1f} GiB, more than this machine's "
            f"{total / 2**30:.1f} GiB of memory: use Nyström landmarks (n_landmarks='auto' takes "
            f"{_AUTO_LANDMARKS} above {_EXACT_MAX} rows, or give an int)."
        )


def _domain_vector(source):
    """``e`` with ``e_i = 1/n_s`` on source rows and ``-1/n_t`` on target rows (L = e e^T)."""
    n_s, n_t = source.sum(), (~source).sum()
    return np.where(source, 1.0 / n_s, -1.0 / n_t)


def _flip_signs(V):
    """Deterministic signs: the largest-magnitude entry of each column is positive."""
    idx = np.argmax(np.abs(V), axis=0)
    signs = np.sign(V[idx, np.arange(V.shape[1])])
    signs[signs == 0] = 1.0
    return V * signs


def _top_eigvecs(matvec, n, k, v0):
    """Top-``k`` eigenpairs (descending) of the symmetric PSD operator ``v -> matvec(v)``.

    Lanczos (ARPACK, started from ``v0``) on products only; small problems
    (``v0=None``, see :func:`_lanczos_start`) use a dense ``eigh`` of the operator
    applied to the identity.
    """
    if v0 is None:
        C = matvec(np.eye(n))
        lam, V = eigh((C + C.T) / 2, subset_by_index=[n - k, n - 1])
    else:
        op = LinearOperator((n, n), matvec=matvec, matmat=matvec, dtype=np.float64)
        lam, V = eigsh(op, k=k, which="LA", v0=v0)
    order = np.argsort(lam)[::-1]
    return lam[order], V[:, order]


def _lanczos_start(n, k, rng):
    """Return the seeded Lanczos start vector, or ``None`` where a dense ``eigh`` is cheaper."""
    if n <= _DENSE_MAX or k >= n - 1:
        return None
    return rng.uniform(-1.0, 1.0, n)


def _solve_pencil(A, B, m):
    """Top-``m`` eigenpairs (descending) of the small dense pencil ``A w = lambda B w``."""
    A = (A + A.T) / 2
    k = A.shape[0]
    lam, a = eigh(A, B, subset_by_index=[k - m, k - 1])
    order = np.argsort(lam)[::-1]
    return lam[order], a[:, order]


def _rank_error(m, rank, of, advice):
    """Return the error of ``n_components`` above a numerical rank, worded alike on both paths."""
    return ValueError(
        f"n_components={m} exceeds the numerical rank {rank} of {of} (its eigenvalues above "
        f"{RANK_RTOL:g} times the largest); lower n_components{advice}."
    )


def _rank_is_certified(K, m):
    r"""Return whether :math:`\lambda_m(K) > \mathrm{RANK\_RTOL}\,\lambda_1(K)` is proved, cheaply.

    With :math:`Q` an orthonormal basis of :math:`K\Omega` (:math:`\Omega` a fixed
    Gaussian :math:`n\times m` matrix: one pass of a randomized range finder), the
    Poincaré separation theorem gives :math:`\lambda_{\min}(Q^\top K Q) \le
    \lambda_m(K)`, and :math:`\|K\|_F \ge \lambda_1(K)`. ``True`` proves the rank
    rule holds for the ``m`` leading eigenvalues at the cost of two products of
    :math:`K` with :math:`m` columns; ``False`` proves nothing (the caller then computes
    the eigenvalues). The draw does not touch the estimator's ``random_state``.
    """
    omega = np.random.RandomState(0).standard_normal((K.shape[0], m))
    Q, _ = np.linalg.qr(K @ omega)
    G = Q.T @ (K @ Q)
    low = np.linalg.eigvalsh((G + G.T) / 2)[0]  # m x m: no thread limits needed
    return bool(low > RANK_RTOL * np.linalg.norm(K))


def _kernel_rank(K, m, v0):
    r"""Count the ``m`` leading eigenvalues of ``K`` above ``RANK_RTOL`` times the largest.

    The rule by which the Nyström path keeps directions (with every row a landmark,
    :math:`\Phi^\top\Phi` has the eigenvalues of :math:`K` that the rule keeps).
    """
    if _rank_is_certified(K, m):
        return m
    n = K.shape[0]
    if v0 is None:
        lam = eigh(K, eigvals_only=True, subset_by_index=[n - m, n - 1])
    else:
        lam = eigsh(K, k=m, which="LA", v0=v0, return_eigenvectors=False)
    return int(np.sum(lam > RANK_RTOL * max(lam.max(), np.finfo(float).tiny)))


class TCA(DomainRequestMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Transfer Component Analysis: a kernel feature map that shrinks the MMD between domains.

    TCA (Pan et al., 2011) learns :math:`W \in \mathbb{R}^{n\times m}` and embeds the
    rows as :math:`Z = K W` (:math:`K` the kernel matrix of the pooled training
    rows). It minimises the embedded MMD between domains plus a ridge term while
    keeping the embedded variance,

    .. math::

        \min_W\; \operatorname{tr}(W^\top K L K W) + \mu \operatorname{tr}(W^\top W)
        \quad\text{s.t.}\quad W^\top K H K W = I_m,

    with :math:`H = I - \frac1n \mathbf 1\mathbf 1^\top` the centering matrix and
    :math:`L = e e^\top`, :math:`e_i = 1/n_s` on source rows and :math:`-1/n_t` on
    target rows (all sources pooled against all targets). The solution's columns
    span the leading eigenvectors of the symmetric-definite generalized problem

    .. math::

        (K H K)\, w = \lambda\, (K L K + \mu I)\, w

    (a larger :math:`\mu` puts more weight on the variance term). Each column
    may be rescaled without changing the subspace; skdomain returns the
    eigenvectors as :func:`scipy.linalg.eigh` normalises them on the pencil,
    :math:`W^\top (KLK + \mu I) W = I`, so that :math:`W^\top KHK W =
    \operatorname{diag}(\lambda)` and the embedded variance of component
    :math:`j` is :math:`\lambda_j / n`: components come out ordered by importance
    (standardise them downstream if equal scales are wanted).

    Since :math:`KLK = u u^\top` with :math:`u = Ke` has rank one,
    :math:`(KLK + \mu I)^{-1/2}` is the identity plus a rank-one term, and the
    problem becomes the top eigenvectors of the symmetric :math:`M^\top M`,
    :math:`M = H K (KLK + \mu I)^{-1/2}`, found by Lanczos iterations whose
    products cost two products with :math:`K` (never an ``eigh`` of a
    non-symmetric matrix, never an :math:`n\times n` temporary besides :math:`K`).

    With Nyström landmarks (``n_landmarks``), :math:`K \approx \Phi\Phi^\top`
    (:math:`\Phi = U S V^\top`) and :math:`W = U a`, which turns the problem exactly
    into an :math:`r\times r` pencil built from :math:`\Phi^\top\Phi`,
    :math:`\Phi^\top\mathbf 1` and :math:`\Phi^\top e`, summed over blocks of rows:
    fitting costs :math:`O(n r^2)` time, and memory for one block of rows plus
    :math:`O(r^2)`, never :math:`O(n r)`. Measured on 50,000 + 50,000 rows of 10
    features (1000 landmarks, one thread): about 20 s and 1.2 GiB of peak memory
    (``benchmarks/bench_scale.py``).

    Memory: ``fit`` on the Nyström path and ``transform`` on both paths compute
    the kernel in blocks of rows that fit scikit-learn's ``working_memory``
    (:func:`sklearn.set_config`, 1024 MiB by default; lower it to use less), so
    transforming a million rows needs the input, the output and one block, never a
    :math:`10^6\times n_{fit}` kernel. Blocks agree with a single block up to
    round-off (BLAS rounds a row of a product according to the number of rows of
    the call). The exact path holds the :math:`n\times n` kernel: ``fit`` refuses it
    with a clear error when it needs more than the machine's physical memory.

    Without any target row (a :class:`~skdomain.utils.DomainWarning` is issued)
    :math:`L = 0` and TCA reduces to PCA of the empirical kernel map (the top
    eigenvectors of :math:`KHK`; close to, not equal to,
    :class:`~sklearn.decomposition.KernelPCA`, which diagonalises :math:`HKH`).

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Dimension :math:`m` of the embedding. ``"auto"`` takes 100 components, or
        fewer when the kernel matrix (or the Nyström factor) has fewer numerical
        directions, or the data fewer rows, and then drops the components whose
        eigenvalue :math:`\lambda_j` is below :math:`10^{-8}\lambda_1` (no
        usable variance; their near-degenerate eigenvectors would change with the
        order of the rows); an int larger than the rank is an error. The
        embedded variance of component :math:`j` is :math:`\lambda_j / n` (see
        above), so a ridge-penalised final estimator barely uses the weak
        trailing components: extra components cost little where a few suffice.
        On the shift suite of :func:`skdomain.datasets.shift_suite` (10 seeds, 0
        and 20 labeled target rows, :math:`\mu = 1`), the former default of 10
        components lost 2-11 points against source-only training on MNIST ↔ UCI
        digits (64 pixels squeezed into 10 features); ``"auto"`` still loses
        4.2 points on digits → MNIST without target labels and stays within
        0.013 (R² on wages) of source-only elsewhere (see the user guide). The number
        used is ``n_components_``.
    kernel : {"rbf", "laplacian", "linear", "poly", "sigmoid", "cosine"} or callable, default="rbf"
        Kernel :math:`k`.
    gamma : float, default=None
        Kernel coefficient; ``None`` uses the median heuristic of
        :mod:`skdomain.metrics` on the training rows.
    degree : int, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1.0
        Independent term of the polynomial and sigmoid kernels.
    mu : float, default=1.0
        Trade-off :math:`\mu` of Pan et al. (larger: more weight on the variance
        term). Note: skada's ``mu`` is the inverse of this one.
    n_landmarks : int, "auto" or None, default="auto"
        Number :math:`r` of Nyström landmarks (drawn uniformly from all training
        rows; all rows when :math:`r \ge n`, which reproduces the exact solution).
        ``None`` always solves the exact problem (:math:`O(n^2)` memory: an error
        when the :math:`n\times n` kernel and its temporary, 16 :math:`n^2` bytes,
        exceed the physical memory); ``"auto"`` is exact up to 6000 rows and uses
        1000 landmarks above (measured against the exact solve on 6000-row
        subsamples in ``benchmarks/bench_scale.py``).
    random_state : int, RandomState instance or None, default=None
        Seeds the landmarks, the Lanczos start vector and the bandwidth rule's
        subsample.

    Attributes
    ----------
    n_components_ : int
        The dimension :math:`m` of the embedding (``n_components``, or the number
        ``"auto"`` chose).
    eigenvalues_ : ndarray of shape (m,)
        :math:`\lambda` of the kept components, in decreasing order.
    gamma_ : float or None
        The kernel coefficient used.
    X_fit_ : ndarray of shape (n_samples, n_features)
        Training rows (exact path) or landmark rows (Nyström path).
    components_ : ndarray of shape (n_fit, m)
        Maps kernel values against ``X_fit_`` to the embedding
        (:math:`m` = ``n_components_``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.

    See Also
    --------
    skdomain.KMM : Instance reweighting by kernel mean matching.
    skdomain.LabeledOnly : Fit the final estimator of a pipeline on labeled rows only.

    References
    ----------
    .. [1] S. J. Pan, I. W. Tsang, J. T. Kwok and Q. Yang, "Domain Adaptation via
       Transfer Component Analysis", IEEE Trans. Neural Networks 22(2), 2011.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skdomain import TCA, LabeledOnly
    >>> from skdomain.datasets import make_domain_shift
    >>> X, y, sample_domain = make_domain_shift(
    ...     n_source=100, n_target=100, random_state=0)
    >>> Z = TCA(n_components=5).fit_transform(X, y, sample_domain=sample_domain)
    >>> Z.shape
    (200, 5)
    >>> pipe = make_pipeline(TCA(n_components=5),
    ...                      LabeledOnly(LogisticRegression()))
    >>> pipe = pipe.fit(X, y, tca__sample_domain=sample_domain)  # routing off
    >>> pipe.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        **KERNEL_PARAMETER_CONSTRAINTS,
        "mu": [Interval(Real, 0, None, closed="neither")],
        "n_landmarks": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components="auto",
        kernel="rbf",
        gamma=None,
        degree=3,
        coef0=1.0,
        mu=1.0,
        n_landmarks="auto",
        random_state=None,
    ):
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.mu = mu
        self.n_landmarks = n_landmarks
        self.random_state = random_state

    @property
    def _auto(self):
        """Whether ``n_components="auto"`` (the number of components is chosen in fit)."""
        return self.n_components == "auto"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_domain=None):
        """Fit the transfer components on the rows of every domain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Only used to infer domains when ``sample_domain`` is omitted (masked
            labels, ``-1`` or NaN, are target rows).
        sample_domain : array-like of int, shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target.

        Returns
        -------
        self : TCA
            The fitted estimator.
        """
        # check_domains is called in fit itself: its DomainWarning points at fit's caller
        return self._fit(check_domains(X, y, sample_domain, task="infer", estimator=self))

    def _fit(self, d):
        """Fit on checked data (shared with :class:`~skdomain.SSTCA`: its solver is ``_fit_components``)."""
        X = d.X
        n = X.shape[0]
        m = min(_AUTO_COMPONENTS, n) if self._auto else self.n_components
        if m > n:
            raise ValueError(f"n_components={m} must be <= n_samples = {n}.")
        self.n_components_ = m
        rng = check_random_state(self.random_state)
        self.gamma_ = resolve_gamma(self.kernel, self.gamma, X)
        self._params = kernel_params(self.kernel, self.gamma_, self.degree, self.coef0)
        r = self.n_landmarks
        if r == "auto":
            r = None if n <= self._exact_max else _AUTO_LANDMARKS
        if r is None:
            _check_exact_fits(n)
        self._fit_components(d, None if r is None else min(r, n), rng)
        if self._auto:
            # Components of near-zero embedded variance carry nothing a final estimator can use,
            # and their near-degenerate eigenvectors change with the order of the rows.
            keep = max(1, int(np.sum(self.eigenvalues_ > _AUTO_RTOL * self.eigenvalues_[0])))
            self.eigenvalues_ = self.eigenvalues_[:keep]
            self.components_ = np.ascontiguousarray(self.components_[:, :keep])
            self.n_components_ = keep
        self._n_features_out = self.n_components_
        return self

    _exact_max = _EXACT_MAX  # n_landmarks="auto": exact up to this many rows

    def _fit_components(self, d, r, rng):
        """Set ``components_``, ``eigenvalues_`` and ``X_fit_`` (exact: ``r`` None)."""
        e = _domain_vector(d.source) if d.has_target else None
        if r is None:
            self._fit_exact(d.X, e, rng)
        else:
            self._fit_landmarks(d.X, e, r, rng)

    def _fit_exact(self, X, e, rng):
        n, m = X.shape[0], self.n_components_
        K = kernel_matrix(X, kernel=self.kernel, **self._params)
        check_kernel_values(K, self.kernel, "the kernel matrix of the training rows")
        v0 = _lanczos_start(n, m, rng)
        rank = _kernel_rank(K, m, v0)
        if self._auto and 0 < rank < m:
            m = self.n_components_ = rank
            v0 = _lanczos_start(n, m, rng)
        if m > rank:
            raise _rank_error(m, rank, "the kernel matrix", "")
        # B = KLK + mu I = mu I + u u^T with u = K e, so
        # B^{-1/2} = mu^{-1/2} (I + a uh uh^T), uh = u / |u|, a = 1 / sqrt(1 + |u|^2 / mu) - 1,
        # and B^{-1/2} K H K B^{-1/2} = M^T M with M = H K B^{-1/2}: its products need two
        # products with K and O(n) work, never an n x n temporary.
        uh, a = np.zeros(n), 0.0
        if e is not None:
            u = K @ e
            nu = np.linalg.norm(u)
            if nu > 0:
                uh, a = u / nu, 1.0 / np.sqrt(1.0 + nu**2 / self.mu) - 1.0
        scale = 1.0 / np.sqrt(self.mu)

        def b_inv_sqrt(V):
            return scale * (V + a * np.multiply.outer(uh, uh @ V))

        def gram(V):  # V -> B^{-1/2} K H K B^{-1/2} V
            KV = K @ b_inv_sqrt(V)
            KV -= KV.mean(axis=0)
            return b_inv_sqrt(K @ KV)

        lam, V = _top_eigvecs(gram, n, m, v0)
        self.components_ = b_inv_sqrt(_flip_signs(V))  # W = B^{-1/2} V
        self.eigenvalues_ = lam
        self.X_fit_ = X.copy()  # validation may hand back the caller's own array

    def _landmark_factor(self, X, r, rng):
        """Nyström factor of the training rows in SVD form, ``Phi = U S V^T`` (shared with SSTCA).

        Returns the landmark rows ``XL``, the map ``nmap`` (``Phi(x) = k(x, XL) nmap``),
        ``U``, ``s2 = diag(S)^2`` and ``V``; sets ``n_components_`` down to the rank under ``"auto"``.
        """
        m = self.n_components_
        XL = X[landmark_indices(X.shape[0], r, rng)]  # fancy indexing: a copy, not the caller's rows
        nmap = nystroem_map(XL, kernel=self.kernel, params=self._params)  # Phi(x) = k(x, X_L) nmap
        Phi = kernel_matrix(X, XL, kernel=self.kernel, **self._params) @ nmap
        check_kernel_values(Phi, self.kernel, "the Nyström factor of the training rows")
        # Thin SVD through the r x r Gram matrix: Phi = U S V^T.
        s2, Vs = leading_directions(Phi, RANK_RTOL)
        if self._auto and 0 < s2.size < m:
            m = self.n_components_ = s2.size
        if m > s2.size:
            raise _rank_error(m, s2.size, "the Nyström factor", " or raise n_landmarks")
        s = np.sqrt(s2)
        U = (Phi @ Vs) / s
        return XL, nmap, U, s2, Vs

    def _set_landmark_components(self, XL, nmap, s, Vs, lam, a):
        """Store the solution ``W = U a`` of the reduced pencil on the Nyström path."""
        # transform: Phi(x) V S a  (= k(x, X) W with W = U a, K = Phi Phi^T)
        proj = _flip_signs((Vs * s) @ a)
        self.components_ = nmap @ proj
        self.eigenvalues_ = lam
        self.X_fit_ = XL

    def _fit_landmarks(self, X, e, r, rng):
        # The pencil needs the factor Phi (n x k) only through Phi^T Phi, Phi^T 1 and Phi^T e:
        # accumulate them over blocks of rows (O(block x r) memory, never Phi itself). Each
        # block of Phi is formed (C nmap, C = k(X, X_L)) rather than summing C^T C and
        # projecting it afterwards, which would halve the products but lose the small
        # directions' accuracy (errors of eps lambda_max^2 / lambda_i^2 instead of eps
        # lambda_max / lambda_i), hence the rank rule. With Phi = U S V^T (U^T U = I):
        # U^T H U = I - n ubar ubar^T, ubar = V^T Phi^T 1 / (n s), and U^T e = V^T Phi^T e / s.
        n, m = X.shape[0], self.n_components_
        XL = X[landmark_indices(n, r, rng)]  # fancy indexing: a copy, not the caller's rows
        nmap = nystroem_map(XL, kernel=self.kernel, params=self._params)  # Phi(x) = k(x, X_L) nmap
        k = nmap.shape[1]
        G, p1, pe = np.zeros((k, k)), np.zeros(k), np.zeros(k)
        # per row: the kernel block, sklearn's distance temporary and the block of Phi
        for rows in working_blocks(n, 8 * (2 * XL.shape[0] + k)):
            P = kernel_matrix(X[rows], XL, kernel=self.kernel, **self._params) @ nmap
            G += P.T @ P
            p1 += P.sum(axis=0)
            if e is not None:
                pe += e[rows] @ P
        check_kernel_values(G, self.kernel, "the Nyström factor of the training rows")
        s2, Vs = eigh((G + G.T) / 2)
        keep = s2 > RANK_RTOL * max(s2.max(), np.finfo(float).tiny)  # the rule of leading_directions
        s2, Vs = s2[keep], Vs[:, keep]
        if self._auto and 0 < s2.size < m:
            m = self.n_components_ = s2.size
        if m > s2.size:
            raise _rank_error(m, s2.size, "the Nyström factor", " or raise n_landmarks")
        s = np.sqrt(s2)
        g1 = s * (Vs.T @ p1) / np.sqrt(n)  # sqrt(n) S^2 ubar
        A = np.diag(s2**2) - np.outer(g1, g1)  # S^2 U^T H U S^2
        Bm = self.mu * np.eye(s.size)
        if e is not None:
            g = s * (Vs.T @ pe)  # S^2 U^T e
            Bm += np.outer(g, g)
        lam, a = _solve_pencil(A, Bm, m)
        self._set_landmark_components(XL, nmap, s, Vs, lam, a)

    def transform(self, X):
        """Embed rows (source, target or new), in input order: :math:`k(X, X_{fit}) W`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict or embed; each is treated as a target-domain row.

        Returns
        -------
        Z : ndarray of shape (n_samples, m)
            The embedding :math:`k(X, X_{fit}) W`, one row per input row, in input order
            (:math:`m` = ``n_components_``).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        Z = np.empty((X.shape[0], self.components_.shape[1]))
        # k(X, X_fit) in blocks of rows: the kernel block and sklearn's distance temporary
        for rows in working_blocks(X.shape[0], 16 * self.X_fit_.shape[0]):
            K = kernel_matrix(X[rows], self.X_fit_, kernel=self.kernel, **self._params)
            Z[rows] = K @ self.components_
        return check_kernel_values(Z, self.kernel, "the embedding of the rows to transform")

    def fit_transform(self, X, y=None, sample_domain=None):
        """Fit, then embed the training rows; equals ``fit(X).transform(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain, source and target.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
        sample_domain : array-like of int, shape (n_samples,), default=None
            Domain ids, ``>= 0`` source and ``< 0`` target; inferred from masked labels when omitted.

        Returns
        -------
        Z : ndarray of shape (n_samples, m)
            The embedding :math:`k(X, X_{fit}) W`, one row per input row, in input order
            (:math:`m` = ``n_components_``).
        """
        return self.fit(X, y, sample_domain=sample_domain).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags
