"""NIK encryption, keyed hashing and the data-key requirement."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.settings import Environment, Settings
from storage.crypto import (
    DEVELOPMENT_DATA_KEY,
    MissingDataKeyError,
    NikCipher,
    NikDecryptionError,
    cipher_from_settings,
    require_key,
)

NIK = "3326014501120003"
CIPHER = NikCipher("secret-one")


@given(st.from_regex(r"\A[0-9]{16}\Z"))
def test_encrypt_decrypt_round_trip(nik: str) -> None:
    assert CIPHER.decrypt_nik(CIPHER.encrypt_nik(nik)) == nik


def test_ciphertext_hides_the_nik_and_is_randomized() -> None:
    first, second = CIPHER.encrypt_nik(NIK), CIPHER.encrypt_nik(NIK)
    assert first != second
    assert NIK.encode() not in first


def test_hash_is_keyed_stable_and_normalized() -> None:
    assert CIPHER.nik_hash(NIK) == CIPHER.nik_hash("3326 0145 0112 0003") == CIPHER.nik_hash(f" {NIK}\n")
    assert len(CIPHER.nik_hash(NIK)) == 64
    assert NikCipher("secret-two").nik_hash(NIK) != CIPHER.nik_hash(NIK)
    assert CIPHER.nik_hash(NIK) != CIPHER.nik_hash("3326014501120004")


def test_hash_key_differs_from_encryption_key() -> None:
    """The hash must not be a plain SHA-256 of the NIK (a NIK is guessable by enumeration)."""
    import hashlib

    assert CIPHER.nik_hash(NIK) != hashlib.sha256(NIK.encode()).hexdigest()


def test_wrong_key_or_tampering_is_detected() -> None:
    token = CIPHER.encrypt_nik(NIK)
    with pytest.raises(NikDecryptionError):
        NikCipher("secret-two").decrypt_nik(token)
    tampered = token[:-1] + bytes([token[-1] ^ 1])
    with pytest.raises(NikDecryptionError):
        CIPHER.decrypt_nik(tampered)
    with pytest.raises(NikDecryptionError, match="format"):
        CIPHER.decrypt_nik(b"\x02" + token[1:])


def test_nik_without_digits_is_refused() -> None:
    with pytest.raises(ValueError):
        CIPHER.encrypt_nik("tidak punya")


def test_key_required_outside_development() -> None:
    with pytest.raises(MissingDataKeyError, match="DATA_KEY"):
        require_key(Settings(environment=Environment.PRODUCTION, data_key="", _env_file=None))
    assert require_key(Settings(environment=Environment.PRODUCTION, data_key="k" * 32, _env_file=None)) == "k" * 32


def test_development_uses_a_named_development_key(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        key = require_key(Settings(environment=Environment.DEVELOPMENT, data_key="", _env_file=None))
    assert key == DEVELOPMENT_DATA_KEY
    assert "development key" in caplog.text
    cipher = cipher_from_settings(Settings(environment=Environment.DEVELOPMENT, data_key="", _env_file=None))
    assert cipher.nik_hash(NIK) == NikCipher(DEVELOPMENT_DATA_KEY).nik_hash(NIK)
