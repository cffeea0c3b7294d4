"""Password hashing: argon2id (argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4
# Verified against when the user does not exist, so that the answer takes as long.
_DUMMY = _hasher.hash("no such user")

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 takes any length; a megabyte "password" is only a DoS


def check_strength(password: str) -> None:
    """Raise ValueError with a message a person can act on."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"a password has at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (None: no password; still takes the time)."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
