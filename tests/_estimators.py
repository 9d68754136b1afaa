"""The public estimators that the common and contract suites run on."""

from sklearn.linear_model import LogisticRegression, Ridge

from skdomain import KMM, TCA, LabeledOnly
from skdomain.parameter import DictionaryTransferClassifier, DictionaryTransferRegressor

CONTRACT_REASON = (
    "label -1 is reserved for unlabeled rows (DESIGN.md §1): this check fits "
    "{-1, 1} labels without domains, so -1 rows are read as unlabeled target rows"
)


def all_estimators():
    """One instance per public estimator and flavour (classifier / regressor / transformer)."""
    return [
        KMM(LogisticRegression(), B=10.0),
        KMM(Ridge(), B=10.0),
        TCA(n_components=2),
        LabeledOnly(LogisticRegression()),
        LabeledOnly(Ridge()),
        DictionaryTransferClassifier(n_atoms=2),
        DictionaryTransferRegressor(n_atoms=2),
    ]


def pools_source_ids(estimator):
    """Whether several source ids are pooled into one source (dictionary transfer: no, one task per id)."""
    return not isinstance(estimator, (DictionaryTransferClassifier, DictionaryTransferRegressor))


def expected_failed_checks(estimator):
    """Checks ruled out by the domain contract, each with its reason."""
    from sklearn.base import is_classifier

    if is_classifier(estimator):
        return {"check_classifiers_classes": CONTRACT_REASON}
    return {}
