"""``ats-bot db upgrade`` encrypts what an earlier version stored in clear, and re-encrypts NIKs of the first
ciphertext format (made with the former public development key) under the configured key."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.settings import get_settings
from storage.crypto import DataKeyError, Keyring, _derive, token_key_id
from storage.db import Database, make_engine
from storage.models import AuditLog, Child, DataKey, InstrumentSession, Person, Response, StoredFile
from storage.models.cases import CaseProposal
from storage.repositories.files import read_kept_file
from storage.schema_state import current_revision, head_revision, upgrade

BEFORE = "0008_recap_summary"
KEY = "Zq8vL2mX9pR4tY7wB1nC5kD3fG6hJ0sA-migration"
FORMER_PUBLIC_KEY = "ats-bot-development-key-NOT-SECRET"
NIK, KK, PHONE, DRAFT_NIK = "3326014501120003", "3326081203150007", "081234567890", "3326015506130004"
GPS = {"latitude": -7.0512345, "longitude": 109.6123456}
NOW = datetime(2026, 11, 30, 3, tzinfo=UTC)


def legacy_token(number: str, secret: str = FORMER_PUBLIC_KEY) -> bytes:
    nonce = os.urandom(12)
    return b"\x01" + nonce + AESGCM(_derive(secret, b"nik-encryption")).encrypt(nonce, number.encode(), b"ats-bot:nik")


@pytest.fixture
def key_in_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATA_KEY", KEY)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _tables(url: str) -> tuple[sa.Engine, dict[str, sa.Table]]:
    engine = make_engine(url)
    meta = sa.MetaData()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an expression index SQLAlchemy does not reflect
        meta.reflect(engine)
    return engine, dict(meta.tables)


def _store_in_clear(url: str) -> None:
    """What a database of the previous version holds after some use."""
    engine, t = _tables(url)
    stamp = {"created_at": NOW, "updated_at": NOW}
    with engine.begin() as c:
        c.execute(sa.insert(t["regions"]).values(code="33.26", level="kabupaten", kind="kabupaten", name="Pekalongan", timezone="Asia/Jakarta"))
        c.execute(sa.insert(t["people"]).values(id=1, telegram_user_id=1, display_name="Siti", role="pendata", language="id",
                                                unreachable=False, phone=PHONE, **stamp))
        c.execute(sa.insert(t["children"]).values(id=1, name="Ayu", name_normalized="ayu", region_code="33.26",
                                                  nik_encrypted=legacy_token(NIK), nik_hash="old-hash", **stamp))
        c.execute(sa.insert(t["households"]).values(id=1, head_name="Slamet", region_code="33.26", kk_encrypted=legacy_token(KK),
                                                    kk_hash="old", **stamp))
        c.execute(sa.insert(t["cases"]).values(id=1, reference="ATS-3326-000001", child_id=1, status="proposed", region_code="33.26", **stamp))
        c.execute(sa.insert(t["case_proposals"]).values(case_id=1, approx_age=12, note="", location=GPS, created_at=NOW))
        c.execute(sa.insert(t["instrument_sessions"]).values(
            id=1, person_id=1, instrument="pendataan", instrument_version=1, status="draft", version=3,
            state={"answers": {"1.1": "Rina", "1.2.nik": DRAFT_NIK}, "pending": None}, **stamp))
        c.execute(sa.insert(t["responses"]).values(
            id=1, reference="F-3326-000001", instrument="rumah-tangga", instrument_version=1, submitted_by=1, submitted_at=NOW,
            region_code="33.26", location=GPS,
            answers={"R.1": KK, "R.2": "Slamet", "R.8": PHONE, "ART": [{"ART.1": "Ayu", "ART.2": NIK}, {"ART.1": "Budi"}]}))
    engine.dispose()


def _raw_text(url: str) -> str:
    engine, t = _tables(url)
    with engine.connect() as c:
        rows = [row for name in ("people", "children", "households", "case_proposals", "instrument_sessions", "responses")
                for row in c.execute(sa.select(t[name])).all()]
    engine.dispose()
    return json.dumps([[bytes(v).hex() if isinstance(v, bytes | memoryview) else v for v in row] for row in rows], default=str)


def test_upgrade_encrypts_what_was_stored_in_clear(fresh_url: str, key_in_env: None, tmp_path: Path) -> None:
    upgrade(fresh_url, BEFORE)
    _store_in_clear(fresh_url)
    photo = tmp_path / "files" / "ab" / "abcdef.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff JFIF a child's face")
    engine, t = _tables(fresh_url)
    with engine.begin() as c:
        c.execute(sa.insert(t["stored_files"]).values(id=1, telegram_file_id="f", telegram_unique_id="u", path=str(photo), size=28,
                                                      sha256="0" * 64, created_at=NOW))
    engine.dispose()
    assert NIK in _raw_text(fresh_url) or PHONE in _raw_text(fresh_url)
    upgrade(fresh_url)
    assert current_revision(fresh_url) == head_revision()
    raw = _raw_text(fresh_url)
    for secret in (NIK, KK, PHONE, DRAFT_NIK, "109.612", "Rina"):
        assert secret not in raw, secret
    assert "Slamet" in raw  # names stay readable (searched and matched by name); only declared answers are sealed

    ring = Keyring(KEY)
    db = Database.from_url(fresh_url, ring)
    with db.read() as session:
        answers = session.get(Response, 1).answers  # type: ignore[union-attr]
        assert (answers["R.1"], answers["R.8"], answers["ART"][0]["ART.2"], answers["ART"][1]) == (KK, PHONE, NIK, {"ART.1": "Budi"})
        assert session.get(Response, 1).location == GPS  # type: ignore[union-attr]
        assert session.get(InstrumentSession, 1).state["answers"]["1.2.nik"] == DRAFT_NIK  # type: ignore[union-attr]
        assert session.get(Person, 1).phone == PHONE  # type: ignore[union-attr]
        assert session.get(CaseProposal, 1).location == GPS  # type: ignore[union-attr]
        child = session.get(Child, 1)
        assert child is not None and token_key_id(child.nik_encrypted) == ring.current_id
        assert child.nik_encrypted is not None and ring.decrypt_nik(child.nik_encrypted) == NIK and child.nik_hash == ring.nik_hash(NIK)
        assert [k.key_id for k in session.query(DataKey)] == [ring.current_id]
        audit = session.query(AuditLog).filter(AuditLog.action == "keys.encrypt_existing").one()
        assert audit.detail["rows"]["responses"] == 1 and audit.detail["rows"]["children"] == 1 and audit.detail["os_user"]
        kept = session.get(StoredFile, 1)
        assert kept is not None and kept.path.endswith(".enc") and not photo.exists()
        assert b"JFIF" not in Path(kept.path).read_bytes() and read_kept_file(db, kept) == b"\xff\xd8\xff JFIF a child's face"
    db.dispose()


def test_upgrade_refuses_nik_it_cannot_read_and_changes_nothing(fresh_url: str, key_in_env: None) -> None:
    upgrade(fresh_url, BEFORE)
    _store_in_clear(fresh_url)
    engine, t = _tables(fresh_url)
    with engine.begin() as c:
        c.execute(sa.update(t["children"]).values(nik_encrypted=legacy_token(NIK, "some key nobody has")))
    engine.dispose()
    before = _raw_text(fresh_url)
    with pytest.raises(DataKeyError, match="cannot be decrypted with the configured key"):
        upgrade(fresh_url)
    assert current_revision(fresh_url) == BEFORE
    assert _raw_text(fresh_url) == before

