"""Data generators and offline loaders of real shifts that follow the domain contract."""

from ._dictionary_tasks import make_shared_dictionary_tasks
from ._mnist_digits import load_mnist_digits, to_uci_digits
from ._mnist_tasks import load_mnist_tasks
from ._perturb import perturb_source
from ._real_shifts import load_auto_mpg, load_cps_nsw, load_wages_1978_1985, shift_suite
from ._shift import make_domain_shift

__all__ = [
    "make_domain_shift",
    "make_shared_dictionary_tasks",
    "load_mnist_digits",
    "to_uci_digits",
    "load_mnist_tasks",
    "perturb_source",
    "load_cps_nsw",
    "load_wages_1978_1985",
    "load_auto_mpg",
    "shift_suite",
]
