"""Argon2id password hashes for ``[[dashboard.users]]`` (``scimaudit hash-password``)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from scimaudit.errors import ConfigError

_HASHER = PasswordHasher()
DUMMY_HASH = _HASHER.hash("timing-equaliser-not-a-password")
"""Verified against for unknown emails, so the time taken does not reveal who exists."""


def hash_password(password: str) -> str:
    """An argon2id hash for ``[[dashboard.users]] password_hash``."""
    if len(password) < 8:
        raise ConfigError("password too short: use at least 8 characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; a malformed hash is a mismatch, never an exception."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
