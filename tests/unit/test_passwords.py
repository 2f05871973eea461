"""T05, the policy and hashing functions on their own (no database)."""

import re

import pytest
from argon2 import PasswordHasher, Type

from auditkit.accounts import passwords

pytestmark = pytest.mark.auth

GOOD = "river-stone-orchard-58"
HASH_RE = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def parameters(password_hash: str) -> dict[str, int]:
    match = HASH_RE.match(password_hash)
    assert match, password_hash
    return {"m": int(match[1]), "t": int(match[2]), "p": int(match[3])}


def test_hash_is_argon2id_with_at_least_owasp_parameters():
    hashed = passwords.hash_password(GOOD)
    assert hashed.startswith("$argon2id$")
    found = parameters(hashed)
    assert found["m"] >= 19456
    assert found["t"] >= 2
    assert found["p"] >= 1


def test_hashes_are_salted_and_verify():
    first, second = passwords.hash_password(GOOD), passwords.hash_password(GOOD)
    assert first != second
    assert passwords.verify_password(first, GOOD)
    assert not passwords.verify_password(first, GOOD + "x")
    assert not passwords.verify_password(first, GOOD.upper())


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$m=1,t=1,p=1$xx$yy",
                                    "$2b$12$abcdefghijklmnopqrstuu"])
def test_missing_or_broken_hash_never_verifies(stored):
    assert passwords.verify_password(stored, GOOD) is False
    assert passwords.verify_password(stored, "auditkit-dummy-password") is False


def test_lower_parameters_need_rehash_current_do_not():
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID)
    assert passwords.needs_rehash(weak.hash(GOOD))
    assert not passwords.needs_rehash(passwords.hash_password(GOOD))
    argon2i = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.I)
    assert passwords.needs_rehash(argon2i.hash(GOOD))


@pytest.mark.parametrize(("length", "accepted"), [
    (0, False), (1, False), (11, False), (12, True), (13, True), (64, True), (255, True),
    (256, True), (257, False), (1000, False),
])
def test_length_limits(length, accepted):
    candidate = ("Qm7-vexa-Lotr-" * 100)[:length]
    problems = passwords.password_problems(candidate)
    assert (problems == []) is accepted, problems
    if length == 0:
        assert problems == ["Enter a password."]
    elif length < 12:
        assert problems == ["Use at least 12 characters."]
    elif length > 256:
        assert problems == ["Use at most 256 characters."]


def test_length_counts_characters_not_bytes():
    eleven_wide = "Grüße-Köln!"  # 11 characters, 14 bytes in UTF-8
    assert len(eleven_wide) == 11
    assert passwords.password_problems(eleven_wide) == ["Use at least 12 characters."]
    emoji = "🔑🌊🌲🔥" * 64  # 256 characters, 1,024 bytes
    assert passwords.password_problems(emoji) == []
    assert passwords.password_problems(emoji + "🔑") == ["Use at most 256 characters."]


def test_common_list_is_the_top_20000_of_zxcvbn():
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    common = passwords.common_passwords()
    assert len(common) == 20_000
    assert common == frozenset(FREQUENCY_LISTS["passwords"][:20_000])


# Entries of the list that pass the length rule, so only the list refuses them.
COMMON_LONG = ["password1234", "qwertyuiop123", "1qaz2wsx3edc", "qwerty123456",
               "123qweasdzxc", "leavemealone", "finalfantasy"]


@pytest.mark.parametrize("common", COMMON_LONG)
def test_common_passwords_are_refused_in_any_case(common):
    assert common in passwords.common_passwords()
    for variant in (common, common.upper(), common.capitalize(), f" {common} "):
        problems = passwords.password_problems(variant)
        assert problems and "commonly used" in problems[0], variant


def test_uncommon_long_password_passes():
    assert "tide-lantern-copper-93" not in passwords.common_passwords()
    assert passwords.password_problems("tide-lantern-copper-93") == []


def test_context_words_come_from_email_name_and_body():
    words = passwords.context_words("maria.schmidt", "Maria Schmidt-Weber", "Northgate Cert")
    assert {"maria", "schmidt", "weber", "northgate", "cert", "auditkit"} <= words


@pytest.mark.parametrize("candidate", [
    "schmidt-loves-rivers-7", "MARIA-on-the-hill-42", "Weber.Garden.Path.9",
    "northgate-secret-stone", "my-auditkit-password-1",
])
def test_context_words_are_refused(candidate):
    context = passwords.context_words("maria.schmidt", "Maria Schmidt-Weber", "Northgate Cert")
    problems = passwords.password_problems(candidate, context=context)
    assert problems == ["Do not use your name, e-mail address or the body's name in the "
                        "password."]


def test_without_context_the_same_password_passes():
    assert passwords.password_problems("schmidt-loves-rivers-7") == []


def test_few_distinct_characters_refused():
    assert passwords.password_problems("abababababababab")
    assert passwords.password_problems("abcabcabcabcabc") == [
        "Use more than a few different characters."]
