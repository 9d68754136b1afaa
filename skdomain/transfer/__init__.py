"""Network-to-network transfer: a pretrained network helps a target task with its own labels.

Not domain adaptation (:mod:`skdomain.deep`): the target task may have other labels than
the source task, the source task lives in the pretrained network (or the teacher), and the
estimators fit on target rows with scikit-learn's ``fit(X, y)``. How a pretrained network
comes in and how its layers are named: the user guide, "Network-to-network transfer".

- ``NetFeatures``: the outputs of named layers of a pretrained network as features.
- ``FineTuningClassifier``, ``FineTuningRegressor``: a new head, frozen or layer-wise rates.
- ``LwFClassifier``: Learning without Forgetting (Li & Hoiem, 2016).
- ``ProgressiveNetClassifier``, ``ProgressiveNetRegressor``: progressive networks
  (Rusu et al., 2016), frozen columns and a new one fed through lateral adapters.
- ``AttentionTransferClassifier``: a student matching its teacher's spatial attention maps
  (Zagoruyko & Komodakis, 2017), optionally with distillation.
- ``JacobianMatchingClassifier``: distillation that also matches input gradients
  (Srinivas & Fleuret, 2018).
- ``DigitConvNet``: a small conv net for flat rows of square digit images.
- ``MultiTaskNet``: one trunk, a head per task, uncertainty weighting (Kendall et al., 2018);
  ``MultiTaskMLP`` its default trunk and heads.
- ``SelectiveJointFineTuningClassifier``: the target task trained jointly with its nearest
  source rows (Ge & Yu, 2017); ``select_source_neighbors``, the selection alone.
"""

from ._attention import AttentionTransferClassifier
from ._conv import DigitConvNet
from ._features import NetFeatures
from ._finetune import FineTuningClassifier, FineTuningRegressor
from ._jacobian import JacobianMatchingClassifier
from ._lwf import LwFClassifier
from ._multitask import MultiTaskMLP, MultiTaskNet
from ._progressive import ProgressiveNetClassifier, ProgressiveNetRegressor
from ._selective import SelectiveJointFineTuningClassifier, select_source_neighbors

__all__ = [
    "NetFeatures",
    "FineTuningClassifier",
    "FineTuningRegressor",
    "LwFClassifier",
    "ProgressiveNetClassifier",
    "ProgressiveNetRegressor",
    "AttentionTransferClassifier",
    "DigitConvNet",
    "JacobianMatchingClassifier",
    "MultiTaskNet",
    "MultiTaskMLP",
    "SelectiveJointFineTuningClassifier",
    "select_source_neighbors",
]
