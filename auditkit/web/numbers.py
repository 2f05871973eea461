"""Whole numbers from hidden fields and query strings, which a user can tamper with."""

MAX_DIGITS = 18  # Python refuses int() of very long strings; no id or version is this long


def whole_number(text: object, default: int | None = None) -> int | None:
    """The number `text` spells in ASCII digits, else `default`: `²`, `-1`, `1e3`, `''` and
    a thousand digits all give the default instead of an error page."""
    text = str(text if text is not None else "").strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return int(text)
    return default
