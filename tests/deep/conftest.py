"""Fixtures of the deep nets' tests."""

import pytest

from skdomain.datasets import make_domain_shift


@pytest.fixture(scope="module")
def data():
    """Contract data for small net fits: 60 source and 40 target rows, 6 of them labeled."""
    return make_domain_shift(60, 40, n_target_labeled=6, random_state=0)
