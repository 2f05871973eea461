"""Checks on client data shared by the edit screens and the bulk import (no Flask, no
database). Each returns a message for the user, or None when the value is acceptable."""

import re

from auditkit.models.clients import AIRole, RiskLevel, Scheme, SiteKind

SITE_KIND_LABELS = {
    SiteKind.CENTRAL_FUNCTION: "Central function",
    SiteKind.PERMANENT: "Permanent site",
    SiteKind.TEMPORARY: "Temporary site",
    SiteKind.VIRTUAL: "Virtual site",
}
AI_ROLE_LABELS = {
    AIRole.PRODUCER: "AI producer",
    AIRole.DEVELOPER: "AI developer",
    AIRole.PROVIDER: "AI provider",
    AIRole.USER: "AI user",
    AIRole.MULTIPLE: "Several roles",
}
RISK_LEVEL_LABELS = {
    RiskLevel.LOW: "Low",
    RiskLevel.MEDIUM: "Medium",
    RiskLevel.HIGH: "High",
    RiskLevel.UNACCEPTABLE: "Unacceptable",
}
AREA_SEPARATOR = ";"
MAX_AREA_LENGTH = 80
MAX_PERSONNEL = 1_000_000

_SCHEME_BY_NUMBER = {"42001": Scheme.ISO42001, "27001": Scheme.ISO27001, "9001": Scheme.ISO9001}


def is_value(value: object, enum) -> bool:
    """Whether `value` is the value of one of the enum's members (3.11's `in` raises)."""
    return any(value == member.value for member in enum)


def _token(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", (text or "").strip().lower())


def scheme_from_text(text: str) -> Scheme | None:
    """`iso42001`, `42001`, `ISO/IEC 42001` and `ISO/IEC 42001:2023` all name the same scheme."""
    cleaned = (text or "").strip().lower().split(":")[0]
    cleaned = re.sub(r"^iso\s*(/\s*iec)?", "", cleaned).strip()
    return _SCHEME_BY_NUMBER.get(cleaned)


def site_kind_from_text(text: str) -> SiteKind | None:
    token = _token(text)
    return next((kind for kind in SiteKind if token == kind.value), None)


def ai_role_from_text(text: str) -> AIRole | None:
    token = _token(text)
    return next((role for role in AIRole if token == role.value), None)


def same_name(name: str) -> str:
    """The form of a name used to spot duplicates: case and repeated spaces do not count."""
    return " ".join((name or "").split()).casefold()


def tidy_name(name: str) -> str:
    return " ".join((name or "").split())


def split_list(text: str, separators: str = ";") -> list[str]:
    """Items of a list typed on one line, trimmed, empty ones and repeats dropped."""
    items: list[str] = []
    for item in re.split(f"[{re.escape(separators)}\n]", text or ""):
        item = item.strip()
        if item and item.casefold() not in {seen.casefold() for seen in items}:
            items.append(item)
    return items


def area_problem(area: str) -> str | None:
    if len(area) > MAX_AREA_LENGTH:
        return f"Technical area “{area[:20]}…” is longer than {MAX_AREA_LENGTH} characters."
    return None


def personnel_problem(scheme: Scheme, effective: int | None, ai_personnel: int | None,
                      ai_role: str | None) -> tuple[str, str] | None:
    """(field, message) for the first problem with one scheme's personnel figures, or None.

    Effective personnel counts everyone doing work under the client's control in the scope
    (TIME-04). For ISO/IEC 42001 the 42006 audit time also needs the AI-involved headcount and
    the organisation's AI role (domain.md §2.4); the AI-involved persons are part of the
    effective personnel, so there cannot be more of them.
    """
    if effective is None or effective < 1:
        return "effective_personnel", ("Enter the effective personnel (at least 1 person, "
                                       "TIME-04).")
    if effective > MAX_PERSONNEL:
        return "effective_personnel", (f"Effective personnel above {MAX_PERSONNEL:,} persons "
                                       "is not plausible.")
    if scheme != Scheme.ISO42001:
        if ai_personnel is not None or ai_role:
            return "ai_personnel", (f"AI-involved persons and the AI role belong to "
                                    f"ISO/IEC 42001 only, not {scheme.label}.")
        return None
    if ai_personnel is None or ai_personnel < 1:
        return "ai_personnel", ("ISO/IEC 42001 needs the number of AI-involved persons "
                                "(at least 1) for the 42006 audit time.")
    if ai_personnel > effective:
        return "ai_personnel", (f"AI-involved persons ({ai_personnel}) cannot exceed the "
                                f"effective personnel ({effective}).")
    if not ai_role or ai_role_from_text(ai_role) is None:
        return "ai_role", ("ISO/IEC 42001 needs the organisation's AI role: "
                           f"{', '.join(role.value for role in AIRole)}.")
    return None


def second_central_function(kinds_and_names: list[tuple[str, str]]) -> tuple[int, str] | None:
    """(index, message) of the second central function in a list of sites, or None.

    A client has one central function, audited at every audit (TIME-MS-02).
    """
    first: str | None = None
    for index, (kind, name) in enumerate(kinds_and_names):
        if kind != SiteKind.CENTRAL_FUNCTION:
            continue
        if first is not None:
            return index, (f"A client has one central function (TIME-MS-02): “{first}” is "
                           "already the central function. Make this one a permanent site.")
        first = name
    return None


NO_CENTRAL_FUNCTION = ("No central function is recorded. It is audited at every initial, "
                       "surveillance and recertification audit (TIME-MS-02): add it under Sites.")


def email_problem(email: str) -> str | None:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email or ""):
        return f"“{email}” is not a valid e-mail address."
    return None
