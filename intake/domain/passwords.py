"""Staff passwords: hashed with argon2id at its costs, judged good enough or not, and
the temporary passwords a supervisor passes on.

Nothing here reads or writes the database: intake.domain.staff_accounts keeps the
hashes, and intake.domain.sign_in_guesses counts the wrong ones.
"""

import secrets
from datetime import timedelta
from functools import cached_property

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
# A temporary password is read out or written down: no 0/o, 1/l/i to mix up.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_GROUPS = 4
TEMPORARY_GROUP_LENGTH = 4  # 16 characters of 31: about 79 bits
TEMPORARY_PASSWORD_LIFETIME = timedelta(hours=24)  # a reset at night, used next shift

# argon2id's costs: RFC 9106's recommendation, or the cheapest argon2 allows, for tests
# that make many accounts (intake.config refuses it in production).
PASSWORD_COSTS = {"recommended": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}


class PasswordHashing:
    """A hasher at the named costs, and a hash of no one's password, which refusals
    verify against so that they cost the same work as a real check."""

    def __init__(self, costs: str) -> None:
        self.costs = costs
        self.hasher = PasswordHasher.from_parameters(PASSWORD_COSTS[costs])

    @cached_property
    def unused_hash(self) -> str:
        """Made at the first refusal, not at import: every process (each `flask`
        command, the gunicorn master) would otherwise pay a full hash to start."""
        return self.hasher.hash("a password that is never anyone's")


_hashing = PasswordHashing("recommended")


def use_password_costs(costs: str) -> None:
    """Hash new passwords at these costs from now on, in this whole process. A password
    hashed at other costs is hashed again when its owner next signs in."""
    global _hashing
    if costs != _hashing.costs:
        _hashing = PasswordHashing(costs)


def hash_password(password: str) -> str:
    """The argon2id hash to keep, at the costs in use."""
    return _hashing.hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password is the one hashed (False for a hash argon2 cannot read)."""
    try:
        return _hashing.hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def spend_a_check(password: str) -> None:
    """Verify the password against no one's hash: a refusal costs the same argon2 work
    as a real check, so how long it takes says nothing."""
    verify_password(_hashing.unused_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made at other costs than those in use."""
    return _hashing.hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a password is not good enough, or None if it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use {MAX_PASSWORD_LENGTH} characters or fewer"
    if password.lower() in COMMON_PASSWORDS:
        return "This password is on a list of common passwords: choose another"
    hints = [part for part in (email, email.split("@")[0], name) if part]
    if zxcvbn(password[:100], user_inputs=hints)["score"] < 3:
        return "This password would be easy to guess: try a few unrelated words together"
    return None


def temporary_password() -> str:
    """Like "k7qm-4z2p-...": random, easy to read out, typed once."""
    return "-".join(
        "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_GROUP_LENGTH))
        for _ in range(TEMPORARY_GROUPS)
    )
