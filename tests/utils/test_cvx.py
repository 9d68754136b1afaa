"""The one cvxpy solve of skdomain (skdomain.utils._cvx, used by KMM and MMDQuerySelector)."""

import numpy as np
import pytest

from skdomain.exceptions import SolverError
from skdomain.utils._cvx import check_solver, solve


def _solve(problem, x, **kwargs):
    args = dict(solver="CLARABEL", owner="Owner", hint="Try this.", what="values", inaccurate="Careful.")
    return solve(problem, x, **{**args, "stacklevel": 2, **kwargs})


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")  # cvxpy, at max_iter=1
def test_cvx_solve_names_the_status_of_a_failed_problem():
    import cvxpy as cp

    x = cp.Variable(2)
    infeasible = cp.Problem(cp.Minimize(cp.sum(x)), [x >= 1, x <= 0])
    with pytest.raises(
        SolverError, match="^Owner: the CLARABEL solver returned status 'infeasible'. Try this.$"
    ):
        _solve(infeasible, x)
    unbounded = cp.Problem(cp.Minimize(cp.sum(x)))
    with pytest.raises(SolverError, match="returned status 'unbounded'"):
        _solve(unbounded, x)

    def box():  # a fresh problem per solve
        return cp.Problem(cp.Minimize(cp.sum_squares(x - 1)), [x <= 0.5])

    with pytest.raises(SolverError, match="'user_limit'. It hit an iteration or time limit: raise max_iter"):
        _solve(box(), x, solver_options={"max_iter": 1})
    with pytest.raises(ValueError, match="solver_options=.* are not accepted by CLARABEL"):
        _solve(box(), x, solver_options={"no_such_option": 1})
    value, status = _solve(box(), x)
    np.testing.assert_allclose(value, [0.5, 0.5], atol=1e-6)
    assert status == "optimal"


def test_cvx_solve_warns_on_an_inaccurate_solution(patch_solve):
    import cvxpy as cp
    from sklearn.exceptions import ConvergenceWarning

    x = cp.Variable(2)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(x - 1)), [x <= 0.5])
    patch_solve(lambda p, b: setattr(p, "_status", "optimal_inaccurate"))
    with pytest.warns(ConvergenceWarning, match="'optimal_inaccurate'; Careful. Try this.") as record:
        value, status = _solve(problem, x, stacklevel=1)  # stacklevel=1: this line
    assert record[0].filename == __file__ and status == "optimal_inaccurate"


def test_cvx_check_solver():
    assert check_solver("osqp") == "OSQP"
    with pytest.raises(ValueError, match="solver='NOPE' is not an installed cvxpy solver; installed: "):
        check_solver("NOPE")
