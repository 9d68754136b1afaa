"""Data generators (and, later, offline loaders) that follow the domain contract."""

from ._dictionary_tasks import make_shared_dictionary_tasks
from ._mnist_digits import load_mnist_digits, to_uci_digits
from ._shift import make_domain_shift

__all__ = ["make_domain_shift", "make_shared_dictionary_tasks", "load_mnist_digits", "to_uci_digits"]
