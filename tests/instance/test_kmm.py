"""KMM: constraints, reference solutions, failures, the density ratio it follows.

Its gain over source-only training on a covariate shift: tests/test_adaptation_gains.py.
"""

import numpy as np
import pytest
from scipy import optimize, stats
from sklearn.base import BaseEstimator, ClassifierMixin

from skdomain import KMM
from skdomain.datasets import make_domain_shift
from skdomain.exceptions import SolverError
from skdomain.instance import kmm_objective, kmm_weights
from skdomain.metrics import kernel_matrix, nystroem_factor


def _eps(n_s):
    return (np.sqrt(n_s) - 1) / np.sqrt(n_s)


def _data(n_source=120, n_target=100, seed=0, **kw):
    return make_domain_shift(n_source, n_target, random_state=seed, return_target_labels=True, **kw)


@pytest.mark.parametrize("n_components", [None, 40], ids=["dense", "nystroem"])
@pytest.mark.parametrize("eps", [None, 0.05])
def test_constraints_hold_on_returned_weights(n_components, eps):
    X, y, sd, _ = _data()
    B = 2.0
    kmm = KMM(B=B, eps=eps, n_components=n_components, random_state=0).fit(X, y, sample_domain=sd)
    beta = kmm.weights_
    n_s = (sd >= 0).sum()
    e = _eps(n_s) if eps is None else eps
    tol = 1e-6
    assert beta.shape == (n_s,)
    assert np.all(np.isfinite(beta))
    assert beta.min() >= 0.0 and beta.max() <= B + tol
    assert abs(beta.sum() - n_s) <= n_s * e + tol * n_s
    assert beta.max() > 1.5  # the bound is active: without it some weights exceed 2
    assert kmm.solver_status_ == "optimal"


def test_bound_is_active_and_changes_the_solution():
    X, y, sd, _ = _data()
    loose = KMM(B=1000.0, n_components=None).fit(X, y, sample_domain=sd).weights_
    tight = KMM(B=2.0, n_components=None).fit(X, y, sample_domain=sd).weights_
    assert loose.max() > 2.5
    assert tight.max() <= 2.0 + 1e-6


def test_dense_solution_matches_scipy_reference():
    """The cvxpy dense QP against an independent SLSQP solve of the same problem."""
    X, y, sd, _ = _data(n_source=25, n_target=20, seed=3)
    Xs, Xt = X[sd >= 0], X[sd < 0]
    gamma, B = 0.5, 4.0
    kmm = KMM(gamma=gamma, B=B, n_components=None).fit(X, y, sample_domain=sd)
    K = kernel_matrix(Xs, kernel="rbf", gamma=gamma)
    n_s, n_t = len(Xs), len(Xt)
    kappa = n_s / n_t * kernel_matrix(Xs, Xt, kernel="rbf", gamma=gamma).sum(axis=1)
    e = _eps(n_s)

    def f(b):
        return 0.5 * b @ K @ b - kappa @ b

    res = optimize.minimize(
        f,
        np.ones(n_s),
        jac=lambda b: K @ b - kappa,
        method="SLSQP",
        bounds=[(0, B)] * n_s,
        constraints=[
            {"type": "ineq", "fun": lambda b: n_s * (1 + e) - b.sum()},
            {"type": "ineq", "fun": lambda b: b.sum() - n_s * (1 - e)},
        ],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    assert res.success
    assert f(kmm.weights_) == pytest.approx(res.fun, rel=1e-6)
    np.testing.assert_allclose(kmm.weights_, res.x, atol=1e-3)
    # objective_ is the unscaled QP value, equal to the blockwise exact evaluation
    assert kmm.objective_ == pytest.approx(f(kmm.weights_), rel=1e-6)
    assert kmm_objective(kmm.weights_, Xs, Xt, gamma=gamma) == pytest.approx(f(kmm.weights_), rel=1e-10)


def test_nystroem_factor_with_all_rows_reproduces_K():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    Phi, idx = nystroem_factor(X, 30, gamma=0.3, random_state=0)
    np.testing.assert_allclose(Phi @ Phi.T, kernel_matrix(X, gamma=0.3), atol=1e-6)
    assert len(idx) == 30


def test_lowrank_objective_close_to_dense():
    X, y, sd, _ = _data(n_source=300, n_target=300, seed=1)
    Xs, Xt = X[sd >= 0], X[sd < 0]
    dense = KMM(B=10.0, n_components=None).fit(X, y, sample_domain=sd)
    low = KMM(B=10.0, n_components=100, refine=False, random_state=0).fit(X, y, sample_domain=sd)
    f_dense = kmm_objective(dense.weights_, Xs, Xt, gamma=dense.gamma_)
    f_low = kmm_objective(low.weights_, Xs, Xt, gamma=dense.gamma_)
    assert f_dense <= f_low + 1e-6 * abs(f_dense)  # the dense optimum is optimal
    assert abs(f_low - f_dense) <= 0.01 * abs(f_dense)


def test_refinement_reaches_the_dense_optimum():
    """A rank-20 Nyström start, far from the optimum; the working set closes the gap."""
    X, y, sd, _ = _data(n_source=300, n_target=300, seed=1)
    Xs, Xt = X[sd >= 0], X[sd < 0]
    dense = KMM(B=3.0, n_components=None).fit(X, y, sample_domain=sd)
    start = KMM(B=3.0, n_components=20, refine=False, random_state=0).fit(X, y, sample_domain=sd)
    refined = KMM(B=3.0, n_components=20, refine=True, random_state=0).fit(X, y, sample_domain=sd)

    def f(beta):
        return kmm_objective(beta, Xs, Xt, gamma=dense.gamma_)

    f_star = f(dense.weights_)
    assert start.refine_rounds_ == 0 and dense.refine_rounds_ == 0
    assert refined.refine_rounds_ >= 1
    assert abs(f(refined.weights_) - f_star) <= 1e-7 * abs(f_star)
    assert f(start.weights_) - f_star > 1e-5 * abs(f_star)  # the start alone is measurably worse
    assert refined.objective_ == pytest.approx(f(refined.weights_), rel=1e-9)  # the exact objective
    b = refined.weights_
    assert b.min() >= 0.0 and b.max() <= 3.0 and abs(b.sum() - 300) <= 300 * _eps(300) + 1e-6


def test_kkt_multiplier_without_free_weights():
    from skdomain.metrics._density_ratio import _kkt_residuals, _multiplier

    beta, B = np.array([0.0, 0.0, 2.0, 2.0]), 2.0
    g = np.array([1.0, 3.0, -2.0, -1.5])  # any nu in [-1, 1.5] meets the bounds' conditions
    assert _multiplier(g, beta, B, 3.0, 5.0) == 0.0  # sum 4 inside the slab: nu = 0
    assert _kkt_residuals(g, beta, B, 0.0).max() == 0.0
    g = np.array([-1.0, 3.0, -2.0, -1.5])  # the bounds now ask nu in [1, 1.5]
    assert _multiplier(g, beta, B, 2.0, 4.0) == 1.0  # sum at the slab's top: nu >= 0 allowed
    assert _kkt_residuals(g, beta, B, 1.0).max() == 0.0
    nu = _multiplier(g, beta, B, 3.0, 5.0)  # inside the slab nu must be 0: not optimal
    assert _kkt_residuals(g, beta, B, nu).max() > 0.0


def test_refine_auto_runs_up_to_a_size(monkeypatch):
    from skdomain.metrics import _density_ratio

    X, y, sd, _ = _data()  # 120 source rows
    assert KMM(n_components=50, random_state=0).fit(X, y, sample_domain=sd).refine_rounds_ >= 1
    assert KMM(n_components=None).fit(X, y, sample_domain=sd).refine_rounds_ == 0  # already exact
    assert KMM(n_components=500).fit(X, y, sample_domain=sd).refine_rounds_ == 0  # dense: n_s <= rank
    assert KMM().fit(X, y, sample_domain=sd).refine_rounds_ == 0  # "auto": dense up to 1000 rows
    monkeypatch.setattr(_density_ratio, "REFINE_MAX_ROWS", 100)
    assert KMM(n_components=50, random_state=0).fit(X, y, sample_domain=sd).refine_rounds_ == 0


def test_refinement_that_does_not_converge_warns(monkeypatch):
    from sklearn.exceptions import ConvergenceWarning

    from skdomain.metrics import _density_ratio

    X, y, sd, _ = _data()
    monkeypatch.setattr(_density_ratio, "_REFINE_MAX_ROUNDS", 1)
    monkeypatch.setattr(_density_ratio, "_REFINE_TOL", -1.0)  # no residual is ever small enough
    with pytest.warns(ConvergenceWarning, match="working-set refinement stopped after 1 rounds"):
        kmm = KMM(n_components=20, random_state=0).fit(X, y, sample_domain=sd)
    assert kmm.weights_.min() >= 0.0 and kmm.weights_.max() <= kmm.B


def test_refinement_subproblem_violation_warns(patch_solve):
    from sklearn.exceptions import ConvergenceWarning

    X, y, sd, _ = _data()
    n_s = int((sd >= 0).sum())

    def corrupt_subproblems(problem, beta):
        if beta.size < n_s:  # a working set's QP, not the Nyström start
            v = beta.value.copy()
            v[0] = -0.5
            beta.value = v

    patch_solve(corrupt_subproblems)
    with pytest.warns(ConvergenceWarning, match="violates the constraints"):
        kmm = KMM(n_components=20, random_state=0).fit(X, y, sample_domain=sd)
    assert kmm.weights_.min() >= 0.0


def test_weights_follow_the_true_density_ratio():
    """Source x1 ~ N(-0.5, 1), target x1 ~ N(1.2, 0.5^2): beta ranks like p_T/p_S."""
    X, y, sd, _ = _data(n_source=400, n_target=400, seed=0)
    Xs = X[sd >= 0]
    ratio = stats.norm.pdf(Xs[:, 0], 1.2, 0.5) / stats.norm.pdf(Xs[:, 0], -0.5, 1.0)
    beta = KMM(B=1000.0, n_components=None).fit(X, y, sample_domain=sd).weights_
    rho = stats.spearmanr(beta, ratio).statistic
    assert rho > 0.8


def test_infeasible_constraints_raise_a_clear_error():
    X, y, sd, _ = _data()
    with pytest.raises(ValueError, match="Infeasible KMM constraints"):
        KMM(B=0.5, eps=0.1).fit(X, y, sample_domain=sd)


def test_solver_failure_is_never_hidden():
    X, y, sd, _ = _data()
    kmm = KMM(solver_options={"max_iter": 2})
    with pytest.raises(SolverError, match="user_limit.*max_iter"):
        kmm.fit(X, y, sample_domain=sd)
    assert not hasattr(kmm, "weights_")


def test_unknown_solver_or_option_is_an_error():
    X, y, sd, _ = _data()
    with pytest.raises(ValueError, match="not an installed cvxpy solver"):
        KMM(solver="NOPE").fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="not accepted by SCS"):
        KMM(solver="SCS", solver_options={"max_iter": 5}).fit(X, y, sample_domain=sd)


@pytest.mark.parametrize(
    "solver, opts",
    [
        ("OSQP", {"eps_abs": 1e-7, "eps_rel": 1e-7, "max_iter": 200000}),
        ("SCS", {"eps_abs": 1e-7, "eps_rel": 1e-7, "max_iters": 200000}),
    ],
    ids=["OSQP", "SCS"],
)
def test_other_solvers_respect_constraints(solver, opts):
    X, y, sd, _ = _data()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # first-order solvers may report optimal_inaccurate
        kmm = KMM(B=2.0, solver=solver, solver_options=opts).fit(X, y, sample_domain=sd)
    assert kmm.weights_.min() >= 0 and kmm.weights_.max() <= 2.0
    dense = KMM(B=2.0, n_components=None).fit(X, y, sample_domain=sd)
    Xs, Xt = X[sd >= 0], X[sd < 0]
    f = kmm_objective(kmm.weights_, Xs, Xt, gamma=kmm.gamma_)
    f0 = kmm_objective(dense.weights_, Xs, Xt, gamma=kmm.gamma_)
    assert abs(f - f0) <= 0.02 * abs(f0)


def test_labeled_target_rows_get_weight_one_and_masked_rows_zero():
    X, y, sd, _ = _data(n_target_labeled=7)
    kmm = KMM(B=5.0).fit(X, y, sample_domain=sd)
    tgt = np.flatnonzero(sd < 0)
    np.testing.assert_array_equal(kmm.sample_weight_[tgt[:7]], 1.0)
    np.testing.assert_array_equal(kmm.sample_weight_[tgt[7:]], 0.0)
    np.testing.assert_array_equal(kmm.sample_weight_[sd >= 0], kmm.weights_)


def test_several_source_ids_share_one_weight_vector():
    X, y, sd, _ = _data()
    multi = sd.copy()
    multi[:40] = 3
    a = KMM(B=5.0).fit(X, y, sample_domain=sd).weights_
    b = KMM(B=5.0).fit(X, y, sample_domain=multi).weights_
    assert b.shape == ((sd >= 0).sum(),)
    np.testing.assert_allclose(a, b, atol=1e-8)


def test_compressed_factor_keeps_the_kernel_and_drops_tiny_directions():
    from skdomain.metrics._density_ratio import _compress_factor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2))
    Phi, _ = nystroem_factor(X, 200, gamma=0.5, random_state=0)
    small = _compress_factor(Phi)
    assert small.shape[1] < Phi.shape[1]
    K = Phi @ Phi.T
    np.testing.assert_allclose(small @ small.T, K, atol=1e-5 * np.abs(K).max())


def test_inaccurate_status_warns(patch_solve):
    from sklearn.exceptions import ConvergenceWarning

    X, y, sd, _ = _data()
    patch_solve(lambda p, b: setattr(p, "_status", "optimal_inaccurate"))
    with pytest.warns(ConvergenceWarning, match="optimal_inaccurate"):
        kmm = KMM(B=2.0).fit(X, y, sample_domain=sd)
    assert kmm.solver_status_ == "optimal_inaccurate"


def test_constraint_violation_warns_and_weights_are_clipped(patch_solve):
    from sklearn.exceptions import ConvergenceWarning

    X, y, sd, _ = _data()

    def corrupt(problem, beta):
        v = beta.value.copy()
        v[0], v[1] = -0.5, 2.5
        beta.value = v

    patch_solve(corrupt)
    with pytest.warns(ConvergenceWarning, match="violates the constraints"):
        kmm = KMM(B=2.0).fit(X, y, sample_domain=sd)
    assert kmm.weights_.min() >= 0.0 and kmm.weights_.max() <= 2.0


def test_non_finite_weights_raise(patch_solve):
    X, y, sd, _ = _data()

    def nan(problem, beta):
        v = beta.value.copy()
        v[3] = np.nan
        beta.save_value(v)  # as a solver would return it (the value setter rejects NaN)

    patch_solve(nan)
    with pytest.raises(SolverError, match="non-finite"):
        KMM(B=2.0).fit(X, y, sample_domain=sd)


def test_cvxpy_solver_error_is_reraised_with_a_hint(monkeypatch):
    import cvxpy as cp

    X, y, sd, _ = _data()

    def boom(self, *args, **kwargs):
        raise cp.error.SolverError("numerical trouble")

    monkeypatch.setattr(cp.Problem, "solve", boom)
    with pytest.raises(SolverError, match="failed \\(numerical trouble\\).*Try another solver"):
        KMM(B=2.0).fit(X, y, sample_domain=sd)


# -- kmm_weights: the weights without an estimator ------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"B": 2.0, "n_components": None},
        {"B": 2.0, "n_components": 40, "random_state": 0},
        {"kernel": "laplacian", "B": 5.0, "eps": 0.2},
    ],
    ids=["dense", "nystroem", "laplacian"],
)
def test_kmm_weights_equal_kmm_fit_weights(params):
    X, y, sd, _ = _data()  # source rows first: the median heuristic sees the same pooled rows
    kmm = KMM(**params).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(kmm_weights(X[sd >= 0], X[sd < 0], **params), kmm.weights_)


def test_kmm_weights_checks_its_inputs():
    X, y, sd, _ = _data()
    with pytest.raises(ValueError, match="X_source has 2 features but X_target has 1"):
        kmm_weights(X[sd >= 0], X[sd < 0][:, :1])
    with pytest.raises(ValueError, match="The 'B' parameter of kmm_weights"):
        kmm_weights(X[sd >= 0], X[sd < 0], B=-1.0)
    with pytest.raises(ValueError, match="Infeasible KMM constraints"):
        kmm_weights(X[sd >= 0], X[sd < 0], B=0.5, eps=0.1)


def test_solver_warnings_point_at_the_caller(patch_solve):
    from sklearn.exceptions import ConvergenceWarning

    X, y, sd, _ = _data()
    patch_solve(lambda p, b: setattr(p, "_status", "optimal_inaccurate"))
    with pytest.warns(ConvergenceWarning, match="optimal_inaccurate") as record:
        KMM(B=2.0).fit(X, y, sample_domain=sd)
    assert record[0].filename == __file__
    with pytest.warns(ConvergenceWarning, match="optimal_inaccurate") as record:
        kmm_weights(X[sd >= 0], X[sd < 0], B=2.0)
    assert record[0].filename == __file__


class _NearestRow(ClassifierMixin, BaseEstimator):
    """1-NN that keeps the rows it was fitted on by reference (as KNeighborsClassifier does)."""

    def fit(self, X, y, sample_weight=None):
        self.rows_, self.labels_ = X, y
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        d2 = ((np.asarray(X)[:, None, :] - self.rows_[None]) ** 2).sum(-1)
        return self.labels_[d2.argmin(axis=1)]


def test_caller_arrays_changed_after_fit_do_not_change_the_model():
    X, y, sd, _ = _data(60, 50)
    X = np.ascontiguousarray(X, dtype=np.float64)
    kmm = KMM(_NearestRow(), B=5.0, random_state=0).fit(X, y, sample_domain=sd)
    new = X[:9] + 0.3
    pred, weights = kmm.predict(new), kmm.weights_.copy()
    assert not np.shares_memory(kmm.estimator_.rows_, X)
    X[:] = X[::-1]  # the caller reuses its arrays in place
    y[:] = 1 - y
    np.testing.assert_array_equal(kmm.predict(new), pred)
    np.testing.assert_array_equal(kmm.weights_, weights)


def _nan_on_identical_rows(x, z):
    """Return an RBF value, NaN for a row against itself (K's diagonal, never kappa)."""
    return np.nan if np.array_equal(x, z) else float(np.exp(-0.5 * np.sum((x - z) ** 2)))


@pytest.mark.parametrize(
    "n_components, where",
    [(None, "the kernel matrix of the source rows"), (20, "the kernel matrix of the landmarks")],
    ids=["dense", "nystroem"],
)
def test_callable_kernel_with_nan_is_named_before_the_qp(n_components, where):
    # cvxpy used to fail with "Problem data contains NaN or Inf", naming no kernel
    X, y, sd, _ = _data(40, 30)
    kmm = KMM(kernel=_nan_on_identical_rows, B=5.0, n_components=n_components, random_state=0)
    with pytest.raises(ValueError, match=f"kernel _nan_on_identical_rows gave non-finite values.*in {where}"):
        kmm.fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="kernel _nan_on_identical_rows gave non-finite values"):
        kmm_weights(X[sd >= 0], X[sd < 0], kernel=_nan_on_identical_rows, B=5.0, n_components=n_components)


def test_callable_kernel_not_returning_one_float_is_named():
    X, y, sd, _ = _data(20, 20)

    def pairwise_vector(x, z):
        return x - z

    with pytest.raises(
        ValueError, match="kernel pairwise_vector failed on a pair of rows.*must return one float"
    ):
        KMM(kernel=pairwise_vector, B=5.0).fit(X, y, sample_domain=sd)


def test_kmm_objective_validates_its_inputs():
    X, y, sd, _ = _data(20, 20)
    Xs, Xt = X[sd >= 0], X[sd < 0]
    with pytest.raises(ValueError, match=r"one weight per source row.*beta of shape \(19,\)"):
        kmm_objective(np.ones(19), Xs, Xt, gamma=0.5)
    bad = Xt.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X_target contains NaN"):
        kmm_objective(np.ones(20), Xs, bad, gamma=0.5)
    with pytest.raises(ValueError, match="'gamma' parameter of kmm_objective"):
        kmm_objective(np.ones(20), Xs, Xt, gamma=-1.0)
    K = kernel_matrix(Xs, gamma=0.5)  # unchanged on valid inputs: the formula, computed densely
    kappa = 20 / 20 * kernel_matrix(Xs, Xt, gamma=0.5).sum(axis=1)
    beta = np.linspace(0.5, 1.5, 20)
    assert kmm_objective(beta, Xs, Xt, gamma=0.5) == pytest.approx(
        0.5 * beta @ K @ beta - kappa @ beta, rel=1e-12
    )


def test_effective_sample_size_of_the_weights():
    from skdomain.metrics import effective_sample_size

    assert effective_sample_size(np.ones(7)) == pytest.approx(7.0)
    assert effective_sample_size(np.r_[np.full(3, 2.5), np.zeros(5)]) == pytest.approx(3.0)
    assert effective_sample_size(np.zeros(4)) == 0.0
    w = np.random.default_rng(0).exponential(size=50)
    assert effective_sample_size(w) == pytest.approx(w.sum() ** 2 / (w**2).sum())  # Kish's formula
    with pytest.raises(ValueError, match="non-negative"):
        effective_sample_size([1.0, -1.0])
    X, y, sd, _ = _data()
    for B in (3.0, 1000.0):
        kmm = KMM(B=B, n_components=None).fit(X, y, sample_domain=sd)
        w = kmm.weights_
        assert kmm.effective_sample_size_ == pytest.approx(w.sum() ** 2 / (w**2).sum())
        # every beta_i <= B: the effective sample size is at least sum(beta) / B
        assert kmm.effective_sample_size_ >= w.sum() / B * (1 - 1e-6)


def test_default_bound_is_3_and_huang_et_al_is_reachable():
    assert KMM().B == 3.0
    X, y, sd, _ = _data()
    src = sd >= 0
    default = kmm_weights(X[src], X[~src])
    np.testing.assert_allclose(default, KMM().fit(X, y, sample_domain=sd).weights_, atol=1e-6)
    assert default.max() <= 3.0 + 1e-6
    paper = KMM(B=1000.0).fit(X, y, sample_domain=sd)  # Huang et al.'s B, eps=(sqrt(n)-1)/sqrt(n)
    assert paper.weights_.max() > 3.0  # the paper's bound does not bind where 3 does
