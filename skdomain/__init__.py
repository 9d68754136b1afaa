"""skdomain: transfer learning and domain adaptation for scikit-learn."""

from ._labeled import LabeledOnly
from .active import MMDQuerySelector
from .deep import (
    ADDAClassifier,
    ADDARegressor,
    DANClassifier,
    DANNClassifier,
    DANNRegressor,
    DANRegressor,
    DeepCORALClassifier,
    DeepCORALRegressor,
    DistillationClassifier,
    DomainConfusionClassifier,
    DomainConfusionRegressor,
    GatedDANNClassifier,
    GTAClassifier,
    PADAClassifier,
)
from .feature import CORAL, SSTCA, TCA, SubspaceAlignment
from .instance import KMM, TrAdaBoostClassifier, TrAdaBoostRegressor
from .model_selection import SafeTransfer
from .parameter import DictionaryTransferClassifier, DictionaryTransferRegressor
from .utils import DomainWarning, split_domains, stack_domains

__version__ = "0.1.0"

__all__ = [
    "KMM",
    "TCA",
    "TrAdaBoostClassifier",
    "TrAdaBoostRegressor",
    "CORAL",
    "SubspaceAlignment",
    "SSTCA",
    "LabeledOnly",
    "MMDQuerySelector",
    "DANNClassifier",
    "DANNRegressor",
    "GatedDANNClassifier",
    "DANClassifier",
    "DANRegressor",
    "DeepCORALClassifier",
    "DeepCORALRegressor",
    "DistillationClassifier",
    "ADDAClassifier",
    "ADDARegressor",
    "PADAClassifier",
    "GTAClassifier",
    "DomainConfusionClassifier",
    "DomainConfusionRegressor",
    "DictionaryTransferClassifier",
    "DictionaryTransferRegressor",
    "SafeTransfer",
    "DomainWarning",
    "stack_domains",
    "split_domains",
]
