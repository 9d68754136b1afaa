"""Jacobian matching: batched input gradients and the loss's gradient against finite differences, the fit."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits

from skdomain.transfer import JacobianMatchingClassifier
from skdomain.transfer._attention import normalise_rows
from skdomain.transfer._jacobian import input_jacobian, jacobian_distance


def _tiny(seed=0, d=5, k=3):
    g = torch.Generator().manual_seed(seed)
    W1 = torch.randn(d, 4, generator=g, dtype=torch.float64)
    b1 = torch.randn(4, generator=g, dtype=torch.float64)
    W2 = torch.randn(4, k, generator=g, dtype=torch.float64)
    return W1, b1, W2


def _net(X, W1, b1, W2):
    return torch.tanh(X @ W1 + b1) @ W2


def _fd_jacobian(f, X, index, h=1e-6):
    """Central differences of f(X)[n, index[n]] in each input coordinate, row by row."""
    J = np.zeros(X.shape)
    for n in range(X.shape[0]):
        for j in range(X.shape[1]):
            e = torch.zeros_like(X)
            e[n, j] = h
            J[n, j] = (f(X + e)[n, index[n]] - f(X - e)[n, index[n]]).item() / (2 * h)
    return J


def test_batched_input_jacobian_matches_finite_differences():
    W = _tiny()
    X = torch.randn(6, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    index = torch.tensor([0, 2, 1, 1, 0, 2])
    Xg = X.clone().requires_grad_(True)
    J = input_jacobian(_net(Xg, *W), Xg, index)
    ref = _fd_jacobian(lambda Z: _net(Z, *W), X, index)
    np.testing.assert_allclose(J.numpy(), ref, rtol=1e-6, atol=1e-9)


def test_the_loss_gradient_through_double_backprop_matches_finite_differences():
    """Gradient of beta * E||J_S/||J_S|| - J_T/||J_T|| ||^2 in the student's weights (gradcheck)."""
    W_t = _tiny(seed=7)
    X = torch.randn(6, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    index = torch.tensor([0, 2, 1, 1, 0, 2])
    Xg = X.clone().requires_grad_(True)
    J_t = normalise_rows(input_jacobian(_net(Xg, *W_t), Xg, index)).detach()

    def loss(W1, b1, W2):
        Xs = X.clone().requires_grad_(True)
        J_s = input_jacobian(_net(Xs, W1, b1, W2), Xs, index, create_graph=True)
        return jacobian_distance(J_s, J_t).mean()

    W_s = tuple(w.clone().requires_grad_(True) for w in _tiny(seed=3))
    assert torch.autograd.gradcheck(loss, W_s, eps=1e-6, atol=1e-7)
    # and its value against numpy
    Xs = X.clone().requires_grad_(True)
    J_s = input_jacobian(_net(Xs, *W_s), Xs, index).detach().numpy()
    ref = ((J_s / np.linalg.norm(J_s, axis=1, keepdims=True) - J_t.numpy()) ** 2).sum(1).mean()
    assert loss(*W_s).item() == pytest.approx(ref, rel=1e-12)


class _Teacher(torch.nn.Module):
    def __init__(self, d, k):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.W = torch.nn.Parameter(torch.randn(d, 8, generator=g) / np.sqrt(d))
        self.V = torch.nn.Parameter(torch.randn(8, k, generator=g))

    def forward(self, x):
        return torch.tanh(x @ self.W) @ self.V


def _digits():
    X, y = load_digits(return_X_y=True)
    perm = np.random.RandomState(0).permutation(len(X))
    return (X[perm] / 16.0).astype(np.float32), y[perm]


def test_the_teacher_gradients_are_those_of_its_top_logit():
    X, y = _digits()
    teacher = _Teacher(64, 10)
    student = JacobianMatchingClassifier(teacher, max_epochs=1)
    data = student._check_fit_data(X[:40], y[:40], None, reset=True)  # every class
    student._encode_y(data.y, data.labeled, True)
    extras = student._extras(data)
    X64 = torch.as_tensor(X[:40], dtype=torch.float64)
    W = (teacher.W.detach().double(), torch.zeros(8, dtype=torch.float64), teacher.V.detach().double())
    top = _net(X64, *W).argmax(1)
    ref = _fd_jacobian(lambda Z: _net(Z, *W), X64, top)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    np.testing.assert_array_equal(extras["jacobian_index"].numpy(), top.numpy())
    np.testing.assert_allclose(extras["jacobian_teacher"].numpy(), ref, atol=1e-5)


def test_task_loss_adds_beta_times_the_jacobian_term():
    X, y = _digits()
    kw = dict(max_epochs=1, batch_size=32, random_state=0)
    teacher = _Teacher(64, 10)
    a = JacobianMatchingClassifier(teacher, beta=1.0, **kw).fit(X[:64], y[:64])
    b = JacobianMatchingClassifier(teacher, beta=3.0, **kw).fit(X[:64], y[:64])
    ba, bb = a.history[0]["batches"][0], b.history[0]["batches"][0]
    assert ba["train_loss_jacobian"] == pytest.approx(bb["train_loss_jacobian"], rel=1e-5)
    assert bb["train_loss"] - ba["train_loss"] == pytest.approx(2.0 * bb["train_loss_jacobian"], rel=1e-4)
    assert 0.0 < bb["train_loss_jacobian"] <= 4.0  # unit vectors: at most 4


def _alignment(student, teacher, X):
    """Mean cosine between the student's and the teacher's input gradients of the teacher's top logit."""
    Xs = torch.as_tensor(X).requires_grad_(True)
    Xt = torch.as_tensor(X).requires_grad_(True)
    out_t = teacher(Xt)
    top = out_t.argmax(1)
    student.module_.eval()
    J_s = input_jacobian(student.module_(Xs)[0], Xs, top)
    J_t = input_jacobian(out_t, Xt, top)
    return torch.nn.functional.cosine_similarity(J_s, J_t, dim=1).mean().item()


def test_matching_jacobians_aligns_the_students_gradients_with_the_teachers():
    """The same distillation (alpha = 0.5) with and without the Jacobian term, 3 seeds, 200 held-out rows.

    Measured mean cosine between input gradients: KD alone 0.656 / 0.686 / 0.671, with the
    Jacobian term 0.886 / 0.891 / 0.884.
    """
    X, y = _digits()
    teacher = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Linear(64, 10))
    torch.manual_seed(0)
    opt = torch.optim.Adam(teacher.parameters(), lr=1e-2)
    Xtr, ytr = torch.as_tensor(X[:1000]), torch.as_tensor(y[:1000])
    for _ in range(200):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(teacher(Xtr), ytr).backward()
        opt.step()
    kw = dict(module__hidden_units=(64,), max_epochs=30, lr=3e-3, batch_size=32)
    cos_kd, cos_jm = [], []
    for seed in range(3):
        kd = JacobianMatchingClassifier(teacher, beta=0.0, random_state=seed, **kw).fit(
            X[1000:1300], y[1000:1300]
        )
        jm = clone(kd).set_params(beta=1.0).fit(X[1000:1300], y[1000:1300])
        cos_kd.append(_alignment(kd, teacher, X[1500:1700]))
        cos_jm.append(_alignment(jm, teacher, X[1500:1700]))
    assert np.mean(cos_jm) > np.mean(cos_kd) + 0.15


def test_a_teacher_that_is_not_a_net_is_refused():
    from sklearn.linear_model import LogisticRegression

    X, y = _digits()
    with pytest.raises(ValueError, match="has no torch module"):
        JacobianMatchingClassifier(LogisticRegression(), max_epochs=1).fit(X[:60], y[:60])
