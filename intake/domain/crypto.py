"""Encryption of personal data at rest, and keyed hashes for searching it.

Keys are Fernet keys, newest first. Data is written with the newest key and read
with any of them, so a new key can be added, everything re-encrypted
(`flask --app intake rotate-keys`), and the old key then retired.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

LOOKUP_CONTEXT = b"intake: phone lookup hash"


class UnreadableData(ValueError):
    """Encrypted data that none of the configured keys can open."""


def new_key() -> str:
    """A fresh Fernet key as text, for INTAKE_DATA_KEYS."""
    return Fernet.generate_key().decode()


def is_valid_key(key: str) -> bool:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True


def _lookup_key(fernet_key: str) -> bytes:
    raw = base64.urlsafe_b64decode(fernet_key)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=LOOKUP_CONTEXT).derive(raw)


class Vault:
    """Seals and opens personal data with the configured key ring."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one data key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._lookup_keys = [_lookup_key(key) for key in keys]

    def seal(self, data: Mapping[str, Any]) -> bytes:
        plain = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return self._fernet.encrypt(plain.encode())

    def open(self, token: bytes) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise UnreadableData("no configured key opens this data") from None

    def reseal(self, token: bytes) -> bytes:
        """The same data, encrypted under the newest key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise UnreadableData("no configured key opens this data") from None

    def phone_hash(self, e164: str) -> str:
        """The keyed hash stored beside a request, under the newest key."""
        return self._hash(self._lookup_keys[0], e164)

    def phone_hashes(self, e164: str) -> list[str]:
        """Hashes under every key, so a search still finds rows not yet rotated."""
        return [self._hash(key, e164) for key in self._lookup_keys]

    def keyed_digest(self, value: str) -> str:
        """A digest only the key holder can compute, for values as guessable as an
        internet address (the sign-in throttles keep one per address)."""
        return self._hash(self._lookup_keys[0], value)

    def email_hash(self, email: str) -> str:
        """The keyed hash of an email address (any case), stored beside a request."""
        return self._hash(self._lookup_keys[0], _email_key(email))

    def email_hashes(self, email: str) -> list[str]:
        return [self._hash(key, _email_key(email)) for key in self._lookup_keys]

    @staticmethod
    def _hash(key: bytes, e164: str) -> str:
        return hmac.new(key, e164.encode(), hashlib.sha256).hexdigest()


def _email_key(email: str) -> str:
    # Prefixed, so an address can never hash like a phone number.
    return "email:" + email.strip().lower()


def token_digest(secret: str) -> str:
    """Store only a digest of single-use secrets and idempotency tokens."""
    return hashlib.sha256(secret.encode()).hexdigest()
