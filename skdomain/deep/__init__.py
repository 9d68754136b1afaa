"""Deep domain adaptation as skorch nets: DANN, DAN, Deep CORAL, ADDA, PADA, domain confusion, distillation.

API summary
-----------
All nets are skorch ``NeuralNet`` subclasses with the domain contract:
``fit(X, y, sample_domain=None)`` (``y == -1`` / NaN masks a label, ``sample_domain``
``>= 0`` source, ``< 0`` target, inferred from masked labels when omitted), ``predict``,
``predict_proba`` (classifiers), ``score`` (labeled rows only), ``embed`` (features).

Common parameters (keyword only): ``module=DomainMLP`` (class or instance;
``module__hidden_units=(64, 128, 64)``, ``module__dropout``), ``criterion=None`` (task
default), ``optimizer=torch.optim.Adam``, ``lr=1e-3``, ``max_epochs=20``,
``batch_size=64`` (rows *per domain* in a training batch), ``train_split=None``
(``LabeledValidSplit(0.2)`` holds out labeled rows), ``feature_layer=None``,
``random_state=None``, ``device="cpu" | "cuda" | "auto"``, ``verbose=0``, and every
skorch parameter (``callbacks``, ``warm_start``, ``optimizer__*``, ...).

Custom module: its ``forward(X)`` returns ``(output, features)``; or it returns the output
only and ``feature_layer="name"`` names the submodule whose output is ``F(x)``.

- ``DANNClassifier`` / ``DANNRegressor``: ``discriminator=Discriminator``
  (``discriminator__hidden_units=(256, 256)``), ``mu=0.3``, ``grl_lambda="schedule" | float``,
  ``grl_gamma=10.0``, ``gate=False``, ``source_weight=1.0`` (gate's lambda),
  ``omega_clip=10.0``; Adam's betas (0.5, 0.999) unless ``optimizer__betas`` is given
  (the defaults of issue 12; before: 64 units, ``mu=1.0``, betas (0.9, 0.999)).
  ``GatedDANNClassifier`` is ``gate=True``.
- ``DANClassifier`` / ``DANRegressor``: ``mu=1.0``, ``mmd_layers=None`` (``("features",)``;
  also ``"output"`` or submodule names), ``mmd_estimator="unbiased" | "biased" | "linear"``,
  ``kernel_scales=None`` (``MULTISCALE_EXPONENTS``), ``kernel_weights=None``; the
  classifier also ``gate=False``, ``source_weight=1.0``, ``omega_clip=10.0``,
  ``discriminator=Discriminator`` (the gate's own D, trained on detached features).
- ``DeepCORALClassifier`` / ``DeepCORALRegressor``: ``mu=1.0``, ``coral_layers=None``
  (``("features",)``); the classifier also takes the gate, as DAN's.
- The discriminator gate (``gate=True``) is one mechanism for every classifier of the
  family (``_gate.py``): DANN gates with its own reversed D; DAN adds a D on detached
  features, so that it differs from plain DAN by the gate alone.
- ``ADDAClassifier``: ``adapt_epochs=20`` (stage 2; ``max_epochs`` is stage 1),
  ``adversary=Discriminator`` (``adversary__*``), the gate (on stage 1) as DAN's;
  ``source_module_`` the frozen source net, ``module_`` the target one; history ``stage``,
  ``train_loss_adversary``, ``train_loss_map``.
- ``GTAClassifier``: ``generator=GTAGenerator``, ``adversary=GTAAdversary`` (input-space
  MLPs; ``generator__*``, ``adversary__*``), ``alpha=0.1``, ``beta=0.03``, ``noise_dim=16``,
  the gate as DAN's (its own D on detached features); three phases per step (D, G, then F
  and C); history ``train_loss_adversary``, ``train_loss_generator`` and every term
  (``train_loss_d_*``, ``train_loss_g_*``, ``train_loss_f_*``); ``generate(X, y)``.
- Methods with several optimizers or alternating updates override
  ``DomainNet.step_phases`` (and ``phase_loss``), not skorch's ``train_step``.
- ``PADAClassifier``: DANN's parameters (and the gate) with PADA's class weights
  ``gamma_`` (the mean target softmax over its maximum, recomputed each epoch), for a
  target whose classes are a subset of the source's.
- ``DomainConfusionClassifier``: ``mu=0.3`` (the paper's lambda, confusion loss),
  ``nu=1.0`` (soft-label loss), ``temperature=2.0``, ``domain_classifier=Discriminator``
  (``domain_classifier__*``), the gate as DAN's; two phases per step (the domain
  classifier, then the network); ``soft_labels_`` recomputed each epoch; history
  ``train_loss_domain``, ``train_loss_conf``, ``train_loss_soft``; warns
  ``SoftLabelWarning`` without labeled target rows. ``DomainConfusionRegressor``:
  confusion only (no soft labels, no gate).
- ``DistillationClassifier(teacher, module=DomainMLP, temperature=4.0, alpha=0.5, ...)``:
  teacher a torch module, a fitted classifier with ``predict_proba`` (wrap it in
  ``sklearn.frozen.FrozenEstimator`` to survive ``clone``), or an unfitted one (fitted on
  the labeled rows).

History keys (per epoch, and per batch in ``history[-1]["batches"]``): ``train_loss``,
``train_loss_task``, ``train_loss_adv`` (DANN; the gate's D on DAN and Deep CORAL),
``lambda_p``, ``omega_mean`` (gated nets), ``train_loss_mmd`` (DAN), ``train_loss_coral``
(Deep CORAL), ``train_loss_ce`` and ``train_loss_kd`` (distillation), ``gamma_min``,
``gamma_max`` (PADA, per epoch), ``train_loss_adversary`` and ``train_loss_generator``
with their terms ``train_loss_d_*``, ``train_loss_g_*``, and ``train_loss_f_*`` (GTA),
``train_loss_domain``, ``train_loss_conf``, ``train_loss_soft`` (domain confusion),
``valid_loss`` (with a ``train_split``: the task loss on held-out labeled rows). A training
term that becomes NaN or infinite stops the fit
(``skdomain.exceptions.TrainingDivergedError``); an exploding one warns
(``skdomain.exceptions.DivergenceWarning``).
"""

from ._adda import ADDAClassifier, ADDARegressor
from ._batch import DomainBatch
from ._classifier import DomainClassifierMixin
from ._confusion import DomainConfusionClassifier, DomainConfusionRegressor
from ._coral import DeepCORALClassifier, DeepCORALRegressor
from ._dan import DANClassifier, DANRegressor
from ._dann import DANNClassifier, DANNRegressor, GatedDANNClassifier
from ._data import BalancedDomainBatches, DomainBatches, DomainDataset, LabeledValidSplit
from ._distill import DistillationClassifier
from ._gta import GTAAdversary, GTAClassifier, GTAGenerator
from ._losses import (
    GradientReversal,
    coral_loss,
    dann_lambda,
    distillation_loss,
    grad_reverse,
    mk_mmd_torch,
    multiscale_gammas_torch,
)
from ._modules import Discriminator, DomainMLP
from ._net import DomainNet
from ._pada import PADAClassifier
from ._regressor import DomainRegressorMixin
from ._scoring import labeled_score

__all__ = [
    "ADDAClassifier",
    "ADDARegressor",
    "BalancedDomainBatches",
    "DANClassifier",
    "DANRegressor",
    "DANNClassifier",
    "DANNRegressor",
    "DeepCORALClassifier",
    "DeepCORALRegressor",
    "Discriminator",
    "DistillationClassifier",
    "DomainBatch",
    "DomainBatches",
    "DomainClassifierMixin",
    "DomainConfusionClassifier",
    "DomainConfusionRegressor",
    "DomainDataset",
    "DomainMLP",
    "DomainNet",
    "PADAClassifier",
    "DomainRegressorMixin",
    "GTAAdversary",
    "GTAClassifier",
    "GTAGenerator",
    "GatedDANNClassifier",
    "GradientReversal",
    "LabeledValidSplit",
    "coral_loss",
    "dann_lambda",
    "distillation_loss",
    "grad_reverse",
    "labeled_score",
    "mk_mmd_torch",
    "multiscale_gammas_torch",
]
