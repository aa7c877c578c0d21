"""Encryption of personal data at rest: AES-256-GCM under a key ring, keyed hashes for lookups.

Scheme (documented in docs/storage.md): every secret in the ring yields, by HKDF-SHA256 under distinct labels,
an encryption key, a hash key and a public key id (``k`` + 8 hex digits). A ciphertext is
``0x02 | len(key id) | key id | 12-byte random nonce | AES-GCM(ciphertext + tag)``; the key id beside each
ciphertext lets keys rotate (the first secret of the ring encrypts, the others only decrypt). The associated data
binds a ciphertext to its kind (NIK, sealed value), so one cannot be swapped for the other.

A NIK has only ~10^10 plausible values, so an unkeyed hash would be reversible by enumeration: lookups use an
HMAC-SHA256 under the hash key. During a rotation equal NIKs may carry the hash of either key, so lookups ask for
:meth:`Keyring.nik_hashes` (one per key in the ring).
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import OperatorError

_FORMAT = b"\x02"
_NONCE_BYTES = 12
_NIK_AAD = b"ats-bot:nik"
_VALUE_AAD = b"ats-bot:value"
SEALED = "$sealed"
"""The JSON object ``{"$sealed": "<key id>.<base64url token>"}`` stands for an encrypted value."""
RELOAD_SECONDS = 1.0
"""How often a key ring backed by a file looks for a new key (so a rotation reaches a running bot)."""


class DataKeyError(OperatorError):
    """A key problem an operator must fix: the message is one clear line saying what and how."""


class MissingDataKeyError(DataKeyError):
    """No key configured, or the key file is missing while the database holds encrypted data."""


class WeakDataKeyError(DataKeyError):
    """A production key too short or too simple to resist guessing."""


class NikDecryptionError(OperatorError, ValueError):
    """The ciphertext was not made with a key of this ring (wrong key, or tampered data)."""


def normalize_nik(nik: str) -> str:
    """Digits only, so that '3326 0101 ...' and '33260101...' hash alike."""
    if nik.isdigit() and nik.isascii():  # already digits only (every NIK a bulk import hashes)
        return nik
    digits = re.sub(r"\D", "", nik)
    if not digits:
        raise ValueError("a NIK must contain digits")
    return digits


def _derive(secret: str, label: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"ats-bot/v1", info=label).derive(secret.encode())


def key_id(secret: str) -> str:
    """The public name of a secret: stored beside every ciphertext it makes, safe to print and log."""
    return "k" + _derive(secret, b"key-id", 4).hex()


@dataclass(frozen=True)
class _Key:
    id: str
    aead: AESGCM
    hash_key: bytes

    @classmethod
    def from_secret(cls, secret: str) -> _Key:
        if not secret:
            raise ValueError("a data key must not be empty")
        return cls(key_id(secret), AESGCM(_derive(secret, b"nik-encryption")), _derive(secret, b"nik-hash"))


class Keyring:
    """The data keys of one deployment: the first encrypts, all decrypt; NIK hashes for lookups.

    ``reload`` (for a key file) is consulted at most every :data:`RELOAD_SECONDS` before encrypting and at once
    when a ciphertext names an unknown key, so ``ats-bot keys rotate`` reaches a running bot without a restart.
    """

    def __init__(self, secrets: str | Sequence[str], *, reload: Callable[[], Sequence[str]] | None = None) -> None:
        self._reload = reload
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._set([secrets] if isinstance(secrets, str) else list(secrets))

    def _set(self, secrets: list[str]) -> None:
        if not secrets:
            raise ValueError("a key ring needs at least one key")
        keys = [_Key.from_secret(s) for s in secrets]
        self._secrets = list(secrets)
        self._current = keys[0]
        self._keys = {k.id: k for k in keys}

    def _refresh(self, *, force: bool = False) -> None:
        if self._reload is None or (not force and time.monotonic() - self._checked < RELOAD_SECONDS):
            return
        with self._lock:
            self._checked = time.monotonic()
            secrets = list(self._reload())
            if secrets and (key_id(secrets[0]) != self._current.id or len(secrets) != len(self._keys)):
                self._set(secrets)

    @property
    def current_id(self) -> str:
        self._refresh()
        return self._current.id

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def _key(self, kid: str) -> _Key:
        key = self._keys.get(kid)
        if key is None:
            self._refresh(force=True)
            key = self._keys.get(kid)
        if key is None:
            raise NikDecryptionError(
                f"Encrypted data cannot be read: it names key {kid}, which neither DATA_KEY nor the key file holds "
                "(restore the key file from your backup)."
            )
        return key

    # -- bytes ------------------------------------------------------------------------------------------------
    def encrypt(self, plain: bytes, aad: bytes = _VALUE_AAD) -> bytes:
        self._refresh()
        key, nonce = self._current, os.urandom(_NONCE_BYTES)
        kid = key.id.encode()
        return _FORMAT + bytes([len(kid)]) + kid + nonce + key.aead.encrypt(nonce, plain, aad)

    def decrypt(self, token: bytes, aad: bytes = _VALUE_AAD) -> bytes:
        kid = token_key_id(token)
        if kid is None:
            raise NikDecryptionError("Encrypted data cannot be read: unknown ciphertext format (damaged data).")
        start = 2 + len(kid)
        nonce, body = token[start : start + _NONCE_BYTES], token[start + _NONCE_BYTES :]
        try:
            return self._key(kid).aead.decrypt(nonce, body, aad)
        except InvalidTag as exc:
            raise NikDecryptionError(f"Encrypted data cannot be read with key {kid}: the key is wrong or the data is damaged.") from exc

    # -- NIK and KK numbers -------------------------------------------------------------------------------------
    def encrypt_nik(self, nik: str) -> bytes:
        return self.encrypt(normalize_nik(nik).encode(), _NIK_AAD)

    def decrypt_nik(self, token: bytes) -> str:
        return self.decrypt(bytes(token), _NIK_AAD).decode()

    def nik_hash(self, nik: str) -> str:
        """Keyed HMAC-SHA256 (hex) under the current key: what a new record stores."""
        self._refresh()
        return _hmac(self._current.hash_key, nik)

    def nik_hashes(self, nik: str) -> list[str]:
        """The NIK's hash under every key of the ring: what a lookup matches (records not yet rotated too)."""
        self._refresh()
        return [_hmac(k.hash_key, nik) for k in self._keys.values()]

    # -- JSON values --------------------------------------------------------------------------------------------
    def seal(self, value: Any) -> dict[str, str]:
        """Any JSON value as ``{"$sealed": "<key id>.<token>"}``."""
        token = self.encrypt(_COMPACT.encode(value).encode())
        return {SEALED: f"{self._current.id}.{base64.urlsafe_b64encode(token).decode().rstrip('=')}"}

    def open(self, sealed: dict[str, str]) -> Any:
        """The value :meth:`seal` sealed."""
        text = sealed[SEALED].partition(".")[2]
        token = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return json.loads(self.decrypt(token))


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` without building an encoder per call (a bulk
import seals several answers of every row)."""


def _hmac(key: bytes, nik: str) -> str:
    return hmac.digest(key, normalize_nik(nik).encode(), "sha256").hex()  # the C one-shot: same as hmac.new(…).hexdigest()


def token_key_id(token: bytes | None) -> str | None:
    """The key id written beside a binary ciphertext (None if it is not one of ours)."""
    if not token or token[:1] != _FORMAT or len(token) < 2:
        return None
    size = token[1]
    return bytes(token[2 : 2 + size]).decode("ascii", errors="replace")


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(SEALED), str)


def sealed_key_id(value: Any) -> str | None:
    return value[SEALED].partition(".")[0] if is_sealed(value) else None


def cipher_from_settings(settings: Any) -> Keyring:
    """The configured key ring (``DATA_KEY`` or the key file); see ``storage.keys``."""
    from storage.keys import keyring_from_settings

    return keyring_from_settings(settings)


NikCipher = Keyring
"""The name most callers know the key ring by (it encrypts and hashes NIKs)."""
