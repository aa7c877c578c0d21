"""NIK encryption, keyed hashing and the data-key requirement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.crypto import NikCipher, NikDecryptionError, key_id, token_key_id

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
        CIPHER.decrypt_nik(b"\x01" + token[1:])


def test_nik_without_digits_is_refused() -> None:
    with pytest.raises(ValueError):
        CIPHER.encrypt_nik("tidak punya")


def test_key_id_is_written_beside_the_ciphertext() -> None:
    token = CIPHER.encrypt_nik(NIK)
    assert token_key_id(token) == key_id("secret-one") == CIPHER.current_id
    assert key_id("secret-one").startswith("k") and len(key_id("secret-one")) == 9


def test_a_ring_encrypts_with_its_first_key_and_reads_with_all() -> None:
    old = NikCipher("secret-one")
    ring = NikCipher(["secret-new", "secret-one"])
    token = old.encrypt_nik(NIK)
    assert ring.decrypt_nik(token) == NIK
    assert token_key_id(ring.encrypt_nik(NIK)) == key_id("secret-new")
    assert ring.nik_hash(NIK) == NikCipher("secret-new").nik_hash(NIK)
    assert set(ring.nik_hashes(NIK)) == {old.nik_hash(NIK), ring.nik_hash(NIK)}


def test_sealed_values_round_trip_and_name_their_key() -> None:
    value = {"latitude": -7.05, "longitude": 109.6, "note": "rumah biru"}
    sealed = CIPHER.seal(value)
    assert sealed["$sealed"].startswith(CIPHER.current_id + ".")
    assert "109.6" not in str(sealed) and "biru" not in str(sealed)
    assert CIPHER.open(sealed) == value
    with pytest.raises(NikDecryptionError):
        NikCipher("secret-two").open(sealed)
