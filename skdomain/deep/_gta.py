r"""Generate to adapt, GTA (Sankaranarayanan et al., 2018): an embedding taught by a conditional GAN."""

from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from skorch.utils import to_numpy
from torch import nn

from ._adda import _build
from ._classifier import DomainClassifierMixin
from ._gate import _DetachedGateMixin, detached_gate_doc_parts, fill_doc, gate_doc, phase_optimizers
from ._modules import Discriminator, DomainMLP, _mlp, check_hidden_units
from ._net import DomainNet

__all__ = ["GTAAdversary", "GTAClassifier", "GTAGenerator"]

#: Adam's betas of the generator and of the adversary when the caller names none: beta1 = 0.8,
#: that of the authors' reference code (their F and C too; here F and C keep the net's optimizer).
GTA_BETAS = (0.8, 0.999)


class GTAGenerator(nn.Module):
    r"""GTA's generator ``G``: an MLP from :math:`[F(x), l, z]` back to the input space.

    For flat (tabular, or images as vectors) inputs: the output is a vector of the input's
    width, linear (no ``tanh``: the inputs are not assumed to lie in ``[-1, 1]``).

    Parameters
    ----------
    n_in : int
        Input width: the feature width, plus the number of classes, plus ``noise_dim``.
    n_out : int
        Output width (the number of input features).
    hidden_units : tuple of int, default=(128, 128)
        Hidden layer widths.
    activation : type, default=torch.nn.ReLU
        Activation module class.
    """

    def __init__(self, n_in, n_out, hidden_units=(128, 128), activation=nn.ReLU):
        super().__init__()
        self.body, width = _mlp(n_in, hidden_units, 0.0, activation)
        self.out = nn.Linear(width, n_out)

    def forward(self, H):
        """Map generator inputs to input-space rows.

        Parameters
        ----------
        H : Tensor of shape (n, n_in)
            Rows :math:`[F(x), l, z]`.

        Returns
        -------
        X_gen : Tensor of shape (n, n_out)
            Generated rows.
        """
        return self.out(self.body(H))


class GTAAdversary(nn.Module):
    r"""GTA's discriminator ``D`` on input-space rows: a real/fake logit and ``K`` class logits.

    An auxiliary-classifier GAN discriminator: one body, two heads,
    :math:`D_{\mathrm{data}}` (one logit of P(real)) and :math:`D_{\mathrm{cls}}` (``K``
    logits).

    Parameters
    ----------
    n_features : int
        Input width (the number of input features).
    n_classes : int
        Number of classes ``K``.
    hidden_units : tuple of int, default=(128, 128)
        Hidden layer widths.
    activation : type, default=torch.nn.LeakyReLU
        Activation module class.
    """

    def __init__(self, n_features, n_classes, hidden_units=(128, 128), activation=nn.LeakyReLU):
        super().__init__()
        self.body, width = _mlp(n_features, hidden_units, 0.0, activation)
        self.data = nn.Linear(width, 1)
        self.cls = nn.Linear(width, n_classes)

    def forward(self, X):
        """Return the real/fake logit and the class logits of the rows.

        Parameters
        ----------
        X : Tensor of shape (n, n_features)
            Real or generated input rows.

        Returns
        -------
        data : Tensor of shape (n,)
            Logit of P(real).
        cls : Tensor of shape (n, n_classes)
            Class logits.
        """
        h = self.body(X)
        return self.data(h).squeeze(-1), self.cls(h)


def gta_losses(batch, y, *, d_real=None, c_real=None, d_fake=None, c_fake=None):
    r"""GTA's loss terms on D's outputs for the rows of a batch, each a batch mean over its group.

    With :math:`D_{\mathrm{data}} = P(\text{real})` (one logit per row),
    :math:`D_{\mathrm{cls}}` the class logits, :math:`\hat x = G(F(x), z, l)` the
    generated row of row :math:`x` (:math:`l` its one-hot label on a labeled source
    row, nil on a target row), :math:`S` the source rows, :math:`S_L` the labeled ones
    and :math:`T` the target rows:

    ===================  ==========================================================
    ``"real"``           :math:`\mathbb{E}_{S}[-\log D_{\mathrm{data}}(x)]`
    ``"cls_real"``       :math:`\mathbb{E}_{S_L}[L_{ce}(D_{\mathrm{cls}}(x), y)]`
    ``"fake_source"``    :math:`\mathbb{E}_{S}[-\log(1 - D_{\mathrm{data}}(\hat x))]`
    ``"fake_target"``    :math:`\mathbb{E}_{T}[-\log(1 - D_{\mathrm{data}}(\hat x))]`
    ``"fool_source"``    :math:`\mathbb{E}_{S}[-\log D_{\mathrm{data}}(\hat x)]`
    ``"fool_target"``    :math:`\mathbb{E}_{T}[-\log D_{\mathrm{data}}(\hat x)]`
    ``"cls_fake"``       :math:`\mathbb{E}_{S_L}[L_{ce}(D_{\mathrm{cls}}(\hat x), y)]`
    ===================  ==========================================================

    (a term whose inputs are not given is absent; an empty group gives 0).

    Parameters
    ----------
    batch : DomainBatch
        The batch's row groups.
    y : Tensor of shape (n_rows,)
        Encoded labels on the device (``-1`` for masked rows).
    d_real, c_real : Tensor of shape (n_rows,) and (n_rows, K), default=None
        D's outputs on the real rows.
    d_fake, c_fake : Tensor of shape (n_rows,) and (n_rows, K), default=None
        D's outputs on the generated rows.

    Returns
    -------
    terms : dict of str to Tensor
        The scalar terms.
    """
    terms = {}
    yc = y.clamp_min(0)
    # -log sigmoid(a) = softplus(-a), -log(1 - sigmoid(a)) = softplus(a)
    if d_real is not None:
        terms["real"] = batch.mean(F.softplus(-d_real), "source")
    if c_real is not None:
        terms["cls_real"] = batch.mean(F.cross_entropy(c_real, yc, reduction="none"), "source_labeled")
    if d_fake is not None:
        fake, fool = F.softplus(d_fake), F.softplus(-d_fake)
        terms["fake_source"] = batch.mean(fake, "source")
        terms["fake_target"] = batch.mean(fake, "target")
        terms["fool_source"] = batch.mean(fool, "source")
        terms["fool_target"] = batch.mean(fool, "target")
    if c_fake is not None:
        terms["cls_fake"] = batch.mean(F.cross_entropy(c_fake, yc, reduction="none"), "source_labeled")
    return terms


_GTA_DOC = r"""
    GTA learns an embedding :math:`F` and a classifier :math:`C` with the help of a
    conditional GAN: a generator :math:`G` maps an embedding back to the input space, and a
    discriminator :math:`D` with two heads (an auxiliary-classifier GAN), real/fake
    :math:`D_{\mathrm{data}}` and the class :math:`D_{\mathrm{cls}}` (``K`` classes), judges
    the generated rows. The generator's input is :math:`[F(x), l, z]`: :math:`l` the
    one-hot label of a labeled source row, ``nil`` (zeros) for a target row, and
    :math:`z \sim \mathcal{N}(0, I)` of ``noise_dim`` units, the same :math:`z` for the
    phases of a training step. With :math:`\hat x_s = G(F(x_s), l_{y_s}, z)`,
    :math:`\hat x_t = G(F(x_t), \mathrm{nil}, z)` and :math:`L_{ce}` the cross-entropy:

    .. math::

        \min_D \; \mathcal{L}_D = \mathbb{E}_{S}[-\log D_{\mathrm{data}}(x_s)]
        + \mathbb{E}_{S}[L_{ce}(D_{\mathrm{cls}}(x_s), y_s)]
        + \mathbb{E}_{S}[-\log(1 - D_{\mathrm{data}}(\hat x_s))]
        + \mathbb{E}_{T}[-\log(1 - D_{\mathrm{data}}(\hat x_t))],

    .. math::

        \min_G \; \mathcal{L}_G = \mathbb{E}_{S}[-\log D_{\mathrm{data}}(\hat x_s)]
        + \mathbb{E}_{S}[L_{ce}(D_{\mathrm{cls}}(\hat x_s), y_s)],

    .. math::

        \min_{F, C} \; \mathcal{L}_C
        + \alpha \, \mathbb{E}_{S}[L_{ce}(D_{\mathrm{cls}}(\hat x_s), y_s)]
        + \beta \, \mathbb{E}_{T}[-\log D_{\mathrm{data}}(\hat x_t)],
        \qquad
        \mathcal{L}_C = \mathbb{E}_{S}[L_{ce}(C(F(x_s)), y_s)],

    the last term the *fake-to-real inversion*: :math:`F` learns to embed the target rows
    so that their generated rows look real, i.e. like source rows, which aligns the
    domains; the middle one makes the source embeddings carry their class into the
    generated rows. :math:`\mathcal{L}_C` reaches :math:`C` and :math:`F`, the two
    adversarial terms reach :math:`F` only. The paper's (and its reference code's)
    weights are :math:`\alpha = 0.1`, :math:`\beta = 0.03` (there ``adv_weight = 0.1``
    and ``alpha = 0.3``, :math:`\beta` = their product). Each expectation is the mean over
    its own rows of a batch (``batch_size`` source and ``batch_size`` target rows); the
    class terms are over the labeled source rows. Labeled target rows enter
    :math:`\mathcal{L}_C` (as :math:`\mathbb{E}_{T_L}[L_{ce}(C(F(x_l)), y_l)]`); for the
    GAN they are target rows (``nil`` label), as in the paper's unsupervised setting.

    Each training step is three phases (``DomainNet.step_phases``), on the same batch and
    the same :math:`z`, each forward seeing the weights the previous phases stepped:
    :math:`D` descends :math:`\mathcal{L}_D` (optimizer ``optimizer_adversary_``, on the
    generated rows of :math:`G(\mathrm{SG}(F(x)), l, z)`), then :math:`G` descends
    :math:`\mathcal{L}_G` (``optimizer_generator_``, on :math:`\mathrm{SG}(F(x))`), then
    :math:`F` and :math:`C` descend their loss (the net's ``optimizer_``). ``G`` and
    ``D`` use the net's ``optimizer`` class and ``optimizer__*``; Adam gets betas
    (0.8, 0.999) unless ``optimizer__betas`` is given (those of the reference code).

    The generator and discriminator work in the input space. For flat inputs (tabular
    rows, or images given as vectors, e.g. 8x8 digits as 64 columns) the defaults are MLPs:
    :class:`GTAGenerator` (linear output, the inputs' scale: standardise the inputs) and
    :class:`GTAAdversary`; the paper's convolutional networks are the ``generator`` and
    ``adversary`` parameters' business (any module with the same signatures). GTA is a
    classifier only: :math:`D_{\mathrm{cls}}` and the generator's label input need
    classes (there is no regressor). A fit without target rows is the source-only net
    (phase ``main`` alone: the generator and the adversary are built but not trained).
@GATE@
    Parameters
    ----------
    module : torch module class or instance, default=DomainMLP
        The network ``C(F(x))``; see :class:`DANNClassifier` for custom modules and
        ``feature_layer``.
    generator : torch module class or instance, default=GTAGenerator
        :math:`G`; a class is built as ``generator(n_in, n_features, **generator__params)``
        with ``n_in`` = feature width + ``K`` + ``noise_dim``.
    adversary : torch module class or instance, default=GTAAdversary
        :math:`D`; a class is built as ``adversary(n_features, K, **adversary__params)``; its
        forward returns ``(data_logit, class_logits)``.
    alpha : float, default=0.1
        :math:`\alpha`, weight of the class loss of the generated source rows in F's loss.
    beta : float, default=0.03
        :math:`\beta`, weight of the fake-to-real inversion on the target rows in F's loss.
    noise_dim : int, default=16
        Width of the noise :math:`z` (0: no noise).
@GATE_PARAMS@    **kwargs : dict
        The net's parameters (``lr``, ``max_epochs``, ``batch_size``, ``random_state``,
        ``device``, ``train_split``, ``module__*``, ``generator__*``, ``adversary__*``,
        ``optimizer__*``, skorch's callbacks, ...), as for :class:`DANNClassifier`.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network :math:`C(F(x))`.
    generator_ : torch.nn.Module
        The trained :math:`G` (untrained after a fit without target rows).
    adversary_ : torch.nn.Module
        The trained :math:`D` (untrained after a fit without target rows).
    n_features_in_ : int
        Number of input features.
    classes_ : ndarray of shape (n_classes,)
        The classes, from the labeled rows.
@GATE_ATTRIBUTES@    history_ : skorch.History
        Per epoch and per batch: ``train_loss`` (F and C's loss), ``train_loss_task``
        (:math:`\mathcal{L}_C`), ``train_loss_f_cls`` and ``train_loss_f_fool`` (F's
        adversarial terms, before :math:`\alpha` and :math:`\beta`), ``train_loss_adversary``
        (:math:`\mathcal{L}_D`) and its terms ``train_loss_d_real``, ``train_loss_d_cls``,
        ``train_loss_d_fake_source``, ``train_loss_d_fake_target``, ``train_loss_generator``
        (:math:`\mathcal{L}_G`) and its terms ``train_loss_g_fool``, ``train_loss_g_cls``.@GATE_HISTORY@

    References
    ----------
    .. [1] S. Sankaranarayanan, Y. Balaji, C. D. Castillo and R. Chellappa, "Generate To
       Adapt: Aligning Domains using Generative Adversarial Networks", CVPR 2018.
    .. [2] A. Odena, C. Olah and J. Shlens, "Conditional Image Synthesis with Auxiliary
       Classifier GANs", ICML 2017.
@GATE_REFS@"""

_GATE_HOW = r"""GTA's own discriminator sees input-space rows (real or generated), not features, and
    its class head :math:`D_{\mathrm{cls}}` says nothing of the target's density: it cannot
    give :math:`D(F(x), y)`. So the gate has its own ``discriminator_`` on
    :math:`(\mathrm{SG}(F(x)), y)`, trained on the *detached* features by
    :math:`-\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}` in phase ``main`` (logged as
    ``train_loss_adv``; its parameters are in ``optimizer_``), so :math:`F` and :math:`C` get
    nothing from it but :math:`\omega`: training :math:`F` against it would add a
    DANN term, and the gated net's gain would mix the gate with a second alignment.
    :math:`\omega` weights the source rows of :math:`\mathcal{L}_C` (the term
    :math:`\lambda \, \mathbb{E}_S[\omega \, L_{ce}(C(F(x_s)), y_s)]`); the GAN's terms,
    which teach the embedding through generated rows, stay unweighted, so the gated net
    differs from the plain one by the weighting of :math:`\mathcal{L}_C` alone."""


def _gate_parts():
    parts = detached_gate_doc_parts("GTA")
    parts["gate"] = gate_doc(_GATE_HOW, "GTA")
    return parts


class _GTAMixin:
    """GTA's generator, adversary, their optimizers and the three phases of a step."""

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "noise_dim": [Interval(Integral, 0, None, closed="left")],
    }

    def _check_own_params(self):
        super()._check_own_params()
        for prefix, cls in (("generator", GTAGenerator), ("adversary", GTAAdversary)):
            spec, kwargs = getattr(self, prefix), self.get_params_for(prefix)
            if isinstance(spec, type) and issubclass(spec, cls) and "hidden_units" in kwargs:
                check_hidden_units(kwargs["hidden_units"], name=f"{prefix}__hidden_units")

    # ------------------------------------------------------------------ modules, optimizers
    def initialize_extra_modules(self):
        """Build the generator ``generator_`` and the adversary ``adversary_``."""
        super().initialize_extra_modules()
        if not self.has_feature_:
            raise ValueError(
                f"{type(self).__name__} needs the features F(x) for its generator: the module must return "
                "(output, features), or name its feature layer with feature_layer='name'."
            )
        n_classes = len(self.classes_)
        n_in = self.feature_dims_[0] + n_classes + self.noise_dim
        self.generator_ = _build(self, "generator", n_in, self.n_features_in_)
        self.adversary_ = _build(self, "adversary", self.n_features_in_, n_classes)
        # the noise's own stream (host), seeded from torch's state now, before the gate builds its
        # D: the gate then leaves z as it was, and CPU and CUDA fits draw the same z
        self._noise_rng = torch.Generator().manual_seed(int(torch.randint(0, 2**31 - 1, ()).item()))

    def initialize_optimizer(self, *args, **kwargs):
        """Build ``optimizer_`` (F, C, the gate D), ``optimizer_adversary_``, ``optimizer_generator_``.

        Parameters
        ----------
        *args : tuple
            Unused (skorch's deprecated arguments).
        **kwargs : dict
            Unused (skorch's deprecated arguments).

        Returns
        -------
        self : object
            The net, with its three optimizers.
        """
        extra = [("adversary", self.adversary_), ("generator", self.generator_)]
        return phase_optimizers(self, extra, GTA_BETAS)

    # ------------------------------------------------------------------ the step
    def step_phases(self):
        """Return the phases of a training step: D's, G's, then F and C's (``"main"``).

        Returns
        -------
        phases : list of (str, list of str)
            ``[("adversary", ["optimizer_adversary"]), ("generator", ["optimizer_generator"]),
            ("main", ["optimizer"])]``; ``[("main", ["optimizer"])]`` after a fit without
            target rows.
        """
        if not self.has_target_:
            return [("main", ["optimizer"])]
        return [
            ("adversary", ["optimizer_adversary"]),
            ("generator", ["optimizer_generator"]),
            ("main", ["optimizer"]),
        ]

    def train_step(self, batch, **fit_params):
        """Perform one training step (its phases share one draw of the noise :math:`z`).

        Parameters
        ----------
        batch : tuple
            The batch ``(Xi, yi)`` from the training iterator.
        **fit_params : dict
            Passed on to :meth:`infer`.

        Returns
        -------
        step : dict
            ``{"loss": loss, "y_pred": y_pred}`` of phase ``"main"``.
        """
        self._noise = None
        try:
            return super().train_step(batch, **fit_params)
        finally:
            self._noise = None

    def _step_noise(self, z):
        """Return the step's noise :math:`z`: one draw per step, from the net's own seeded stream."""
        noise = getattr(self, "_noise", None)
        if noise is None or noise.shape[0] != z.shape[0]:
            noise = torch.randn(z.shape[0], self.noise_dim, generator=self._noise_rng)
            noise = noise.to(z.device, z.dtype, non_blocking=True)
            self._noise = noise
        return noise

    def _labels_onehot(self, y, batch, like):
        """One-hot labels of the labeled source rows, ``nil`` (zeros) on every other row."""
        onehot = F.one_hot(y.clamp_min(0), len(self.classes_)).to(like.dtype)
        return onehot * batch.w_source_labeled.unsqueeze(1)

    def _generate(self, z, y, batch):
        r"""Return the generated rows :math:`G(z, l, \text{noise})` for the features ``z`` of a batch."""
        onehot = self._labels_onehot(y, batch, z)
        return self.generator_(torch.cat([z, onehot, self._step_noise(z)], dim=1))

    def _log_terms(self, prefix, terms, names):
        for key, name in names.items():
            self._log_term(f"train_loss_{prefix}_{name}", terms[key])

    def phase_loss(self, name, y_pred, y_true, X, batch):
        r"""Compute D's loss (``"adversary"``) or G's (``"generator"``) on a batch.

        :math:`\mathcal{L}_D` on the source rows and the generated rows of
        :math:`G(\mathrm{SG}(F(x)), l, z)` (themselves detached), or :math:`\mathcal{L}_G` on
        the generated rows (terms in :func:`gta_losses`).

        Parameters
        ----------
        name : {"adversary", "generator"}
            The phase.
        y_pred : tuple of Tensor
            The net's output for the batch, ``(output, feature)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` for masked rows).
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups.

        Returns
        -------
        loss : Tensor
            The phase's scalar loss.
        """
        z = y_pred[1].detach()
        y = y_true.to(z.device, non_blocking=True)
        if name == "adversary":
            x_gen = self._generate(z, y, batch).detach()
            d_real, c_real = self.adversary_(torch.as_tensor(X["X"], device=z.device, dtype=z.dtype))
            d_fake, _ = self.adversary_(x_gen)
            t = gta_losses(batch, y, d_real=d_real, c_real=c_real, d_fake=d_fake)
            self._log_terms(
                "d",
                t,
                {
                    "real": "real",
                    "cls_real": "cls",
                    "fake_source": "fake_source",
                    "fake_target": "fake_target",
                },
            )
            return t["real"] + t["cls_real"] + t["fake_source"] + t["fake_target"]
        if name == "generator":
            d_fake, c_fake = self.adversary_(self._generate(z, y, batch))
            t = gta_losses(batch, y, d_fake=d_fake, c_fake=c_fake)
            self._log_terms("g", t, {"fool_source": "fool", "cls_fake": "cls"})
            return t["fool_source"] + t["cls_fake"]
        return super().phase_loss(name, y_pred, y_true, X, batch)

    def adaptation_loss(self, y_pred, y_true, X, batch):
        r"""Return F's adversarial terms (with the gate's D loss when gated).

        .. math::

            \alpha \, \mathbb{E}_S[L_{ce}(D_{\mathrm{cls}}(\hat x_s), y_s)]
            + \beta \, \mathbb{E}_T[-\log D_{\mathrm{data}}(\hat x_t)].

        The generated rows come from :math:`F(x)` with its gradient (G and D are not
        stepped in this phase); the terms are logged as ``train_loss_f_cls`` and
        ``train_loss_f_fool`` before the weights.

        Parameters
        ----------
        y_pred : tuple of Tensor
            The net's output for the batch, ``(output, feature)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` for masked rows).
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups.

        Returns
        -------
        loss : Tensor
            The weighted sum of F's two adversarial terms.
        """
        loss = super().adaptation_loss(y_pred, y_true, X, batch)
        z = y_pred[1]
        y = y_true.to(z.device, non_blocking=True)
        d_fake, c_fake = self.adversary_(self._generate(z, y, batch))
        t = gta_losses(batch, y, d_fake=d_fake, c_fake=c_fake)
        self._log_terms("f", t, {"cls_fake": "cls", "fool_target": "fool"})
        gta = self.alpha * t["cls_fake"] + self.beta * t["fool_target"]
        return gta if loss is None else loss + gta

    # ------------------------------------------------------------------ generation
    def generate(self, X, y=None, random_state=None):
        r"""Generate input-space rows :math:`G(F(x), l, z)` from rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows whose embeddings :math:`F(x)` the generator decodes.
        y : array-like of shape (n_samples,), default=None
            Labels from ``classes_`` to condition on; ``None`` (or ``-1`` on a row) is the
            ``nil`` label of a target row.
        random_state : int, RandomState instance or None, default=None
            Seeds the noise :math:`z`.

        Returns
        -------
        X_gen : ndarray of shape (n_samples, n_features)
            The generated rows (float32), in input order.
        """
        X = self._validate_X(X)
        n, k = X.shape[0], len(self.classes_)
        onehot = np.zeros((n, k), dtype=np.float32)
        if y is not None:
            y = np.asarray(y)
            if y.shape != (n,):
                raise ValueError(f"y must have shape ({n},), one label per row of X; got shape {y.shape}.")
            known = y != -1
            pos = np.searchsorted(self.classes_, y[known])
            pos = np.clip(pos, 0, k - 1)
            if (self.classes_[pos] != y[known]).any():
                raise ValueError(f"y holds labels not in classes_ {self.classes_!r} (use -1 for nil).")
            onehot[np.flatnonzero(known), pos] = 1.0
        rng = check_random_state(random_state)
        noise = rng.standard_normal((n, self.noise_dim)).astype(np.float32)
        H = np.concatenate([self.embed(X), onehot, noise], axis=1)
        with self._on_device(), torch.no_grad():
            was = self.generator_.training
            self.generator_.eval()
            try:
                out = self.generator_(torch.as_tensor(H, device=self.device))
            finally:
                self.generator_.train(was)
        return to_numpy(out)


class GTAClassifier(_DetachedGateMixin, _GTAMixin, DomainClassifierMixin, DomainNet):
    __doc__ = (
        "Generate to adapt (GTA) for classification (a skorch net), with the discriminator gate.\n"
        + fill_doc(_GTA_DOC, **_gate_parts())
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import GTAClassifier
    >>> X, y, sd = make_domain_shift(100, 100, random_state=0)
    >>> net = GTAClassifier(max_epochs=3, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
    >>> net.generate(X[:4], y=y[:4], random_state=0).shape
    (4, 2)
    >>> terms = ("train_loss_adversary", "train_loss_generator", "train_loss_d_cls", "train_loss_f_fool")
    >>> all(k in net.history[-1] for k in terms)
    True
"""
    )

    def __init__(
        self,
        module=DomainMLP,
        *,
        generator=GTAGenerator,
        adversary=GTAAdversary,
        alpha=0.1,
        beta=0.03,
        noise_dim=16,
        discriminator=Discriminator,
        gate=False,
        source_weight=1.0,
        omega_clip=10.0,
        **kwargs,
    ):
        super().__init__(
            module,
            discriminator=discriminator,
            gate=gate,
            source_weight=source_weight,
            omega_clip=omega_clip,
            **kwargs,
        )
        self.generator = generator
        self.adversary = adversary
        self.alpha = alpha
        self.beta = beta
        self.noise_dim = noise_dim
