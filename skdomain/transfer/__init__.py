"""Network-to-network transfer: a pretrained network helps a target task with its own labels.

Not domain adaptation (:mod:`skdomain.deep`): the target task may have other labels than
the source task, the source task lives in the pretrained network, and the estimators fit
on target rows with scikit-learn's ``fit(X, y)``. How a pretrained network comes in and
how its layers are named: the user guide, "Network-to-network transfer".
"""

from ._features import NetFeatures
from ._finetune import FineTuningClassifier, FineTuningRegressor
from ._lwf import LwFClassifier

__all__ = [
    "NetFeatures",
    "FineTuningClassifier",
    "FineTuningRegressor",
    "LwFClassifier",
]
