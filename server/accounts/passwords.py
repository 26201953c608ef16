"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# A real hash to verify against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always does the argon2 work, known user or not."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, username: str = "") -> str | None:
    """The i18n key of the first rule the password breaks, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "password.too_short"
    if username and username.lower() in password.lower():
        return "password.contains_username"
    # Letters and, besides them, digits or symbols: "1234567890" and "----------" fail too.
    if not any(c.isalpha() for c in password) or password.isalpha():
        return "password.needs_mix"
    return None
