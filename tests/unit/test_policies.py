import pytest

from auditkit.rules.policies import POLICIES, POLICIES_BY_NAME, defaults


def test_every_policy_has_a_unique_name_and_a_valid_default():
    assert len(POLICIES_BY_NAME) == len(POLICIES)
    for policy in POLICIES:
        raw = str(policy.default).lower() if isinstance(policy.default, bool) else \
            str(policy.default)
        assert policy.parse(raw) == policy.default, policy.name


def test_domain_defaults():
    values = defaults()
    assert values["expiry_convention"] == "minus_one_day"  # CYC-VAL-03
    assert values["max_stage1_to_stage2"] == 6  # CYC-S1S2-03
    assert values["surveillance_1_window_start"] == 9
    assert values["max_suspension"] == 6  # CYC-SUS-03
    assert values["stage1_share"] == 30  # TIME-10
    assert values["minors_to_major"] == 3  # NC-GR-02
    assert values["major_days"] == 90 and values["minor_plan_days"] == 30
    assert values["employment_cooling_off"] == 2  # IMP-03


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("max_stage1_to_stage2", "25", "from 1 to 24"),
    ("max_stage1_to_stage2", "six", "whole number"),
    ("max_stage1_to_stage2", "", "whole number"),
    ("expiry_convention", "next_tuesday", "Choose one of"),
    ("ineffective_minor_escalates", "maybe", "yes or no"),
])
def test_bad_values_are_refused_with_a_message(name, raw, message):
    with pytest.raises(ValueError, match=message):
        POLICIES_BY_NAME[name].parse(raw)


def test_values_are_shown_with_units():
    assert POLICIES_BY_NAME["max_stage1_to_stage2"].format(6) == "6 months"
    assert POLICIES_BY_NAME["stage1_share"].format(30) == "30 %"
    assert POLICIES_BY_NAME["ineffective_minor_escalates"].format(True) == "yes"
    assert POLICIES_BY_NAME["expiry_convention"].format("same_day") == "Decision date + 3 years"
