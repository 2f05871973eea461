"""The per-body policies (`cb_policy.*`) that domain.md marks DEFAULT.

They are common certification-body practice, not requirements of the standards: each body may
change them, and the screens show them as the body's policy with the rule id they belong to.
"""

from dataclasses import dataclass
from typing import Literal

Kind = Literal["months", "days", "years", "percent", "count", "bool", "choice"]


@dataclass(frozen=True)
class PolicyDefinition:
    name: str
    label: str
    kind: Kind
    default: int | bool | str
    rule_id: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int = 0
    maximum: int = 120
    help: str = ""

    @property
    def qualified_name(self) -> str:
        return f"cb_policy.{self.name}"

    def parse(self, raw: str) -> int | bool | str:
        """Turn stored or submitted text into a value, or raise ValueError with a message."""
        raw = (raw or "").strip()
        if self.kind == "bool":
            if raw.lower() in ("true", "yes", "1", "on", "y"):
                return True
            if raw.lower() in ("false", "no", "0", "off", "n", ""):
                return False
            raise ValueError("Choose yes or no.")
        if self.kind == "choice":
            allowed = [value for value, _ in self.choices]
            if raw not in allowed:
                raise ValueError(f"Choose one of: {', '.join(allowed)}.")
            return raw
        try:
            number = int(raw)
        except ValueError:
            raise ValueError("Enter a whole number.") from None
        if not self.minimum <= number <= self.maximum:
            raise ValueError(f"Enter a number from {self.minimum} to {self.maximum}.")
        return number

    def format(self, value: int | bool | str) -> str:
        if self.kind == "bool":
            return "yes" if value else "no"
        if self.kind == "choice":
            return dict(self.choices).get(str(value), str(value))
        unit = {"months": "months", "days": "days", "years": "years", "percent": "%",
                "count": ""}[self.kind]
        return f"{value} {unit}".strip() if unit != "%" else f"{value} %"


POLICIES: tuple[PolicyDefinition, ...] = (
    PolicyDefinition(
        "expiry_convention", "Certificate expiry convention", "choice", "minus_one_day",
        rule_id="CYC-VAL-03",
        choices=(("minus_one_day", "Decision date + 3 years − 1 day"),
                 ("same_day", "Decision date + 3 years")),
        help="How the expiry date of an initial certificate follows from the decision date."),
    PolicyDefinition(
        "max_stage1_to_stage2", "Longest gap from Stage 1 to Stage 2", "months", 6,
        rule_id="CYC-S1S2-03", minimum=1, maximum=24,
        help="Past this gap Stage 2 cannot be scheduled until someone records that Stage 1 is "
             "still valid or plans a repeat Stage 1."),
    PolicyDefinition(
        "surveillance_1_window_start", "Surveillance 1 window opens after the decision",
        "months", 9, rule_id="CYC-SUR-02", minimum=1, maximum=12,
        help="The window closes at the hard limit of 12 months after the decision."),
    PolicyDefinition(
        "surveillance_2_window_before", "Surveillance 2 window: months before the target",
        "months", 3, minimum=0, maximum=6,
        help="Surveillance 2 targets 24 months after the decision."),
    PolicyDefinition(
        "surveillance_2_window_after", "Surveillance 2 window: months after the target",
        "months", 3, minimum=0, maximum=6,
        help="The calendar-year rule CYC-SUR-01 still applies inside the window."),
    PolicyDefinition(
        "surveillance_gap_warning", "Warn when surveillance 2 is this long after surveillance 1",
        "months", 15, rule_id="CYC-SUR-01", minimum=6, maximum=24),
    PolicyDefinition(
        "surveillance_anchor", "Surveillance dates in later cycles follow", "choice",
        "decision_date",
        choices=(("decision_date", "the recertification decision date"),
                 ("original_anniversary", "the original anniversary"))),
    PolicyDefinition(
        "recertification_target", "Recertification audit target before expiry", "months", 3,
        rule_id="CYC-REC-01", minimum=1, maximum=12),
    PolicyDefinition(
        "recertification_earliest", "Recertification audit may start before expiry", "months",
        6, rule_id="CYC-REC-01", minimum=1, maximum=12),
    PolicyDefinition(
        "recertification_finish_before_expiry",
        "Recertification audit should finish before expiry", "months", 2,
        minimum=0, maximum=6,
        help="Leaves time to close nonconformities before the expiry date."),
    PolicyDefinition(
        "max_suspension", "Longest suspension before withdrawal is proposed", "months", 6,
        rule_id="CYC-SUS-03", minimum=1, maximum=12),
    PolicyDefinition(
        "stage1_share", "Stage 1 share of the initial audit time", "percent", 30,
        rule_id="TIME-10", minimum=5, maximum=60),
    PolicyDefinition(
        "interpolate_tables", "Interpolate audit-time tables between bands", "bool", False),
    PolicyDefinition(
        "ict_notification_threshold", "Notify the accreditation body when remote auditing "
        "exceeds", "percent", 30, minimum=0, maximum=100),
    PolicyDefinition(
        "major_days", "Days to answer a major nonconformity", "days", 90,
        minimum=7, maximum=180),
    PolicyDefinition(
        "surveillance_major_days", "Days to answer a major raised at surveillance", "days", 90,
        rule_id="CYC-SUS-01", minimum=7, maximum=180,
        help="A surveillance major left unverified past this leads to a suspension proposal."),
    PolicyDefinition(
        "minor_plan_days", "Days to send an action plan for a minor nonconformity", "days", 30,
        minimum=7, maximum=90),
    PolicyDefinition(
        "recert_buffer", "Verify recertification majors this many days before expiry", "days",
        14, rule_id="CYC-REC-03", minimum=0, maximum=60),
    PolicyDefinition(
        "minors_to_major", "Minor nonconformities on one requirement that suggest a major",
        "count", 3, rule_id="NC-GR-02", minimum=2, maximum=10),
    PolicyDefinition(
        "ineffective_minor_escalates", "Re-raise an ineffective minor as a major", "bool", True,
        rule_id="NC-GR-03"),
    PolicyDefinition(
        "employment_cooling_off", "Cooling-off after employment at the client", "years", 2,
        rule_id="IMP-03", minimum=0, maximum=10),
    PolicyDefinition(
        "max_consecutive_cycles_same_lead", "Cycles the same lead auditor may lead a client",
        "count", 2, rule_id="TEAM-07", minimum=1, maximum=10),
    PolicyDefinition(
        "witness_interval", "Witness evaluation of each auditor at least every", "years", 3,
        rule_id="TEAM-05", minimum=1, maximum=5),
    PolicyDefinition(
        "coverage_by_surveillance_2", "Warn when a clause or control is not sampled by the end "
        "of surveillance 2", "bool", True),
)

POLICIES_BY_NAME = {policy.name: policy for policy in POLICIES}


def defaults() -> dict[str, int | bool | str]:
    return {policy.name: policy.default for policy in POLICIES}
