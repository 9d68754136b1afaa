"""Solving cvxpy problems: the installed-solver check and one solve with honest failures (private).

Every quadratic program of skdomain (KMM's weights, the relaxation of the MMD
query selection) is built with cvxpy and solved by :func:`solve`, which never
returns a result the solver did not vouch for:

* the solver raises (:class:`cvxpy.error.SolverError`): :class:`~skdomain.exceptions.SolverError`;
* ``solver_options`` it does not accept (a ``TypeError``): ``ValueError``;
* a status other than ``"optimal"`` / ``"optimal_inaccurate"``, or no value:
  :class:`~skdomain.exceptions.SolverError` naming the status (with the advice to
  raise ``max_iter`` when it is ``"user_limit"``);
* non-finite values: :class:`~skdomain.exceptions.SolverError`;
* ``"optimal_inaccurate"``: a :class:`~sklearn.exceptions.ConvergenceWarning`,
  and the values are returned.

Every message names its owner (the estimator or function), the solver, and what to
try. cvxpy is imported when a problem is checked or solved, not with skdomain
(it would add about 0.2 s to ``import skdomain``).
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..exceptions import SolverError

__all__ = ["check_solver", "other_solvers", "solve"]

#: ``_parameter_constraints`` of the solver parameters of the estimators that solve a QP.
SOLVER_PARAMETER_CONSTRAINTS = {"solver": [str], "solver_options": [dict, None]}

#: The QP solvers that skdomain's error messages suggest in turn.
QP_SOLVERS = ("CLARABEL", "OSQP", "SCS")

_LIMIT_HINT = "It hit an iteration or time limit: raise max_iter in solver_options. "


def check_solver(solver):
    """Return the upper-case name of an installed cvxpy solver.

    Parameters
    ----------
    solver : str
        A cvxpy solver's name, in any case.

    Returns
    -------
    name : str
        ``solver.upper()``.

    Raises
    ------
    ValueError
        When cvxpy does not have the solver installed.

    Examples
    --------
    >>> from skdomain.utils._cvx import check_solver
    >>> check_solver("clarabel")
    'CLARABEL'
    """
    import cvxpy as cp

    name = solver.upper()
    if name not in cp.installed_solvers():
        raise ValueError(
            f"solver={solver!r} is not an installed cvxpy solver; installed: {cp.installed_solvers()}."
        )
    return name


def other_solvers(solver):
    """Return the installed QP solvers other than ``solver``, quoted and joined for a hint.

    Parameters
    ----------
    solver : str
        The upper-case name of the solver that was used.

    Returns
    -------
    text : str
        E.g. ``"'OSQP' or 'SCS'"``: the installed solvers among
        :data:`QP_SOLVERS`, ``solver`` left out.

    Examples
    --------
    >>> from skdomain.utils._cvx import other_solvers
    >>> other_solvers("CLARABEL")
    "'OSQP' or 'SCS'"
    """
    import cvxpy as cp

    installed = cp.installed_solvers()
    return " or ".join(repr(o) for o in QP_SOLVERS if o != solver and o in installed)


def solve(problem, variable, *, solver, solver_options=None, owner, hint, what, inaccurate, stacklevel):
    """Solve ``problem`` and return ``variable``'s value, or raise with the solver's status.

    Parameters
    ----------
    problem : cvxpy.Problem
        The problem to solve.
    variable : cvxpy.Variable
        The variable whose value is returned.
    solver : str
        An installed solver's upper-case name (see :func:`check_solver`).
    solver_options : dict, default=None
        Keyword arguments of ``problem.solve``.
    owner : str
        Who solves (``"KMM"``): the first word of every message.
    hint : str
        What to try, the last sentence of every message but the options'.
    what : str
        What the values are, for the non-finite error (``"weights"``).
    inaccurate : str
        The sentence that says what an inaccurate solution means for the result.
    stacklevel : int
        The warning's ``stacklevel`` as if ``warnings.warn`` were called where
        :func:`solve` is called (its own frame is added here).

    Returns
    -------
    value : ndarray of float64
        The variable's value, finite.
    status : str
        cvxpy's status: ``"optimal"`` or ``"optimal_inaccurate"``.

    Raises
    ------
    skdomain.exceptions.SolverError
        When the solver fails, returns another status or no value, or non-finite values.
    ValueError
        When the solver does not accept ``solver_options``.

    Examples
    --------
    >>> import cvxpy as cp
    >>> from skdomain.utils._cvx import solve
    >>> x = cp.Variable(2)
    >>> problem = cp.Problem(cp.Minimize(cp.sum_squares(x - 1)), [x <= 0.5])
    >>> value, status = solve(
    ...     problem, x, solver="CLARABEL", owner="example", hint="",
    ...     what="values", inaccurate="", stacklevel=2,
    ... )
    >>> value.round(6).tolist(), status
    ([0.5, 0.5], 'optimal')
    """
    import cvxpy as cp

    try:
        problem.solve(solver=solver, **(solver_options or {}))
    except cp.error.SolverError as exc:
        raise SolverError(f"{owner}: the {solver} solver failed ({exc}). {hint}") from exc
    except TypeError as exc:
        raise ValueError(
            f"{owner}: solver_options={solver_options!r} are not accepted by {solver}: {exc}"
        ) from exc
    status = problem.status
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or variable.value is None:
        limit = _LIMIT_HINT if status == cp.USER_LIMIT else ""
        raise SolverError(f"{owner}: the {solver} solver returned status {status!r}. {limit}{hint}")
    value = np.asarray(variable.value, dtype=np.float64)
    if not np.all(np.isfinite(value)):
        raise SolverError(f"{owner}: the {solver} solver returned non-finite {what}. {hint}")
    if status == cp.OPTIMAL_INACCURATE:
        warnings.warn(
            f"{owner}: the {solver} solver returned status {status!r}; {inaccurate} {hint}",
            ConvergenceWarning,
            stacklevel=stacklevel + 1,
        )
    return value, status
