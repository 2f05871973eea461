"""Password hashing (argon2id) and the password policy (T05)."""

import re
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORD_COUNT = 20_000

# OWASP's minimum for argon2id costs ~45 ms here; argon2-cffi's default ~0.2 s (PITFALLS).
hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)

# Verified when the e-mail is unknown, so that a miss costs as long as a hit.
_DUMMY_HASH = hasher.hash("auditkit-dummy-password")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_PASSWORD_COUNT])


def context_words(*texts: str) -> set[str]:
    """Words a password must not contain: parts of the user's e-mail, name, the body's name."""
    words = {"auditkit"}
    for text in texts:
        for word in re.split(r"[^\w]+", (text or "").lower()):
            if len(word) >= 4:
                words.add(word)
    return words


def password_problems(password: str, *, context: set[str] | None = None) -> list[str]:
    """Why a new password is refused; an empty list means it is acceptable."""
    if not password:
        return ["Enter a password."]
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        return ["This password is on a list of commonly used passwords; choose another."]
    for word in sorted(context or set()):
        if word in lowered:
            return ["Do not use your name, e-mail address or the body's name in the password."]
    if len(set(password)) < 4:
        return ["Use more than a few different characters."]
    return []
