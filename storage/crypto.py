"""NIK protection: AES-GCM encryption for reading a NIK back, an HMAC for finding duplicates.

Both keys are derived from the single ``data_key`` setting with HKDF, under different labels, so the
duplicate-finding hash cannot be used to decrypt and a leaked database without the key reveals neither.
A NIK has only ~10^10 plausible values, so an unkeyed hash would be trivially reversible: the hash
must be keyed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.settings import Environment, Settings

log = logging.getLogger(__name__)

DEVELOPMENT_DATA_KEY = "ats-bot-development-key-NOT-SECRET"
"""Used only when ``environment`` is development and no ``DATA_KEY`` is set."""

_FORMAT_VERSION = b"\x01"  # first byte of every ciphertext, so the scheme can change later
_NONCE_BYTES = 12
_AAD = b"ats-bot:nik"


class MissingDataKeyError(RuntimeError):
    """Raised at start-up outside development when no data key is configured."""


class NikDecryptionError(ValueError):
    """The ciphertext was not made with this key (wrong DATA_KEY, or tampered data)."""


def require_key(settings: Settings) -> str:
    """The configured data key; refuses to go on without one unless this is a development setup."""
    if settings.data_key:
        return settings.data_key
    if settings.environment is not Environment.DEVELOPMENT:
        raise MissingDataKeyError(
            "DATA_KEY is not set. NIKs are encrypted with it; set DATA_KEY to a long random secret "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) and keep it with the backups."
        )
    log.warning("DATA_KEY is not set: using the public development key. Never use this setup for real data.")
    return DEVELOPMENT_DATA_KEY


def normalize_nik(nik: str) -> str:
    """Digits only, so that '3326 0101 ...' and '33260101...' hash alike."""
    digits = re.sub(r"\D", "", nik)
    if not digits:
        raise ValueError("a NIK must contain digits")
    return digits


def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ats-bot/v1", info=label).derive(secret.encode())


class NikCipher:
    """Encrypts, decrypts and hashes NIKs (and KK numbers, the same kind of number) with keys from one secret."""

    def __init__(self, data_key: str) -> None:
        if not data_key:
            raise ValueError("data_key must not be empty (see require_key)")
        self._aead = AESGCM(_derive(data_key, b"nik-encryption"))
        self._hash_key = _derive(data_key, b"nik-hash")

    def encrypt_nik(self, nik: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _FORMAT_VERSION + nonce + self._aead.encrypt(nonce, normalize_nik(nik).encode(), _AAD)

    def decrypt_nik(self, token: bytes) -> str:
        if token[:1] != _FORMAT_VERSION:
            raise NikDecryptionError("unknown NIK ciphertext format")
        nonce, body = token[1 : 1 + _NONCE_BYTES], token[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, _AAD).decode()
        except InvalidTag as exc:
            raise NikDecryptionError("NIK cannot be decrypted with this DATA_KEY") from exc

    def nik_hash(self, nik: str) -> str:
        """Keyed HMAC-SHA256 (hex): equal NIKs give equal hashes, for duplicate search."""
        return hmac.new(self._hash_key, normalize_nik(nik).encode(), hashlib.sha256).hexdigest()


def cipher_from_settings(settings: Settings) -> NikCipher:
    return NikCipher(require_key(settings))
