"""Multi-site sampling (domain.md §2.6, IAF MD 1 / MD 19).

`number_of_sites` always counts the sites other than the central function; the central function
is audited at every initial, surveillance and recertification audit in addition (TIME-MS-02).

Square roots are taken in whole numbers (`math.isqrt`), never in floating point: a float
square root can land a hair above an exact value (0.6 x sqrt 25 = 3) and ceil would then add a
site.
"""

from math import isqrt

AUDIT_TYPES = ("initial", "surveillance", "recertification")

# TIME-MS-01 factor of sqrt(x) per audit type, as a fraction (numerator, denominator).
_FACTORS = {"initial": (1, 1), "surveillance": (3, 5), "recertification": (4, 5)}


def _check(number_of_sites: int, audit_type: str) -> None:
    if isinstance(number_of_sites, bool) or not isinstance(number_of_sites, int):
        raise ValueError(f"the number of sites must be a whole number, not {number_of_sites!r}")
    if number_of_sites < 1:
        raise ValueError("give at least 1 site besides the central function, "
                         f"not {number_of_sites}")
    if audit_type not in AUDIT_TYPES:
        raise ValueError(f"unknown audit type {audit_type!r}; use one of "
                         f"{', '.join(AUDIT_TYPES)}")


def _ceil_sqrt(value: int) -> int:
    """The smallest whole y with y * y >= value."""
    return 0 if value <= 0 else isqrt(value - 1) + 1


def sample_size(number_of_sites: int, audit_type: str) -> int:
    """TIME-MS-01: the minimum number of sites to visit besides the central function:
    ceil(sqrt x) initial, ceil(0.6 sqrt x) surveillance, ceil(0.8 sqrt x) recertification.
    x = 26 gives 6 / 4 / 5; x = 2 gives 2 / 1 / 2. Risk may raise the sample (TIME-MS-02)."""
    _check(number_of_sites, audit_type)
    numerator, denominator = _FACTORS[audit_type]
    # y >= (n/d) sqrt x  <=>  y^2 >= n^2 x / d^2  <=>  y^2 >= ceil(n^2 x / d^2)
    needed = -(-numerator * numerator * number_of_sites // (denominator * denominator))
    return _ceil_sqrt(needed)


def sites_without_sampling(number_of_sites: int, audit_type: str) -> int:
    """TIME-MS-04: where sampling is not appropriate (different processes per site), every site
    at initial and recertification audits, and at least 30 % of the sites (rounded up) in each
    calendar year of surveillance."""
    _check(number_of_sites, audit_type)
    if audit_type == "surveillance":
        return -(-3 * number_of_sites // 10)
    return number_of_sites
