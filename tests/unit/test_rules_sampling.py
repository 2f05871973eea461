"""Multi-site sampling, domain.md §2.6: TIME-MS-01 and TIME-MS-04."""

import math
from decimal import ROUND_CEILING, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditkit.rules.sampling import AUDIT_TYPES, sample_size, sites_without_sampling

FACTORS = {"initial": Decimal(1), "surveillance": Decimal("0.6"),
           "recertification": Decimal("0.8")}


def oracle(sites: int, audit_type: str) -> int:
    """ceil(k * sqrt(x)) in 60-digit decimal arithmetic, a different route from the module's."""
    with localcontext() as context:
        context.prec = 60
        return int((FACTORS[audit_type] * Decimal(sites).sqrt()).to_integral_value(
            rounding=ROUND_CEILING))


@pytest.mark.parametrize(("sites", "initial", "surveillance", "recertification"), [
    (26, 6, 4, 5),  # domain.md example
    (2, 2, 1, 2),  # domain.md example
    (1, 1, 1, 1),
    (25, 5, 3, 4),  # perfect square: 0.6 * 5 = 3 and 0.8 * 5 = 4 exactly
    (100, 10, 6, 8),
    (225, 15, 9, 12),
    (10, 4, 2, 3),
    (50, 8, 5, 6),
])
def test_sample_sizes(sites, initial, surveillance, recertification):
    assert sample_size(sites, "initial") == initial
    assert sample_size(sites, "surveillance") == surveillance
    assert sample_size(sites, "recertification") == recertification


@pytest.mark.parametrize("root", range(1, 301))
def test_perfect_squares_are_not_pushed_up(root):
    sites = root * root
    assert sample_size(sites, "initial") == root
    assert sample_size(sites, "surveillance") == -(-3 * root // 5)
    assert sample_size(sites, "recertification") == -(-4 * root // 5)


def test_exact_where_a_float_square_root_is_not():
    # 10**16 + 1 is not a float; math.sqrt sees 10**16 and ceil gives 10**8, one too few.
    sites = 10**16 + 1
    assert math.ceil(math.sqrt(sites)) == 10**8
    assert sample_size(sites, "initial") == 10**8 + 1
    assert sample_size(10**16, "initial") == 10**8


@given(st.integers(min_value=1, max_value=10**9), st.sampled_from(AUDIT_TYPES))
def test_sample_size_is_the_ceiling(sites, audit_type):
    assert sample_size(sites, audit_type) == oracle(sites, audit_type)


@given(st.integers(min_value=1, max_value=10**6))
def test_sample_never_exceeds_the_sites_and_follows_the_audit_type(sites):
    initial = sample_size(sites, "initial")
    assert 1 <= sample_size(sites, "surveillance") <= sample_size(sites, "recertification")
    assert sample_size(sites, "recertification") <= initial <= sites


@pytest.mark.parametrize(("sites", "audit_type", "visited"), [
    (10, "initial", 10), (10, "recertification", 10), (10, "surveillance", 3),
    (11, "surveillance", 4), (1, "surveillance", 1), (3, "surveillance", 1),
    (4, "surveillance", 2), (20, "surveillance", 6), (7, "initial", 7),
])
def test_sites_without_sampling(sites, audit_type, visited):
    assert sites_without_sampling(sites, audit_type) == visited  # TIME-MS-04


@given(st.integers(min_value=1, max_value=10**6))
def test_surveillance_without_sampling_is_at_least_thirty_percent(sites):
    visited = sites_without_sampling(sites, "surveillance")
    assert visited * 10 >= sites * 3
    assert (visited - 1) * 10 < sites * 3


@pytest.mark.parametrize("function", [sample_size, sites_without_sampling])
@pytest.mark.parametrize(("sites", "audit_type"), [
    (0, "initial"), (-3, "initial"), (2.0, "initial"), ("4", "initial"), (True, "initial"),
    (None, "initial"), (4, "special"), (4, "Initial"), (4, None),
])
def test_bad_input_is_refused(function, sites, audit_type):
    with pytest.raises(ValueError):
        function(sites, audit_type)
