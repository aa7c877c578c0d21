"""A photo answer is kept by its turn: the encrypted file is on disk before the commit, its row commits with the
answer in the turn's one transaction, and a turn that does not commit leaves no file behind. A file whose turn
died before the commit (nothing names it) is deleted by the housekeeping once no turn can still be writing it."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import conversation
from bot.conversation import Conversations
from bot.housekeeping import sweep_files
from bot.model import Kind, Upload
from storage.db import Database
from storage.models import InstrumentSession, Role, StoredFile
from storage.repositories.files import UNREFERENCED_GRACE, keep_file, read_kept_file, sweep_unreferenced
from storage.types import utcnow
from tests.bot.conftest import Phone, enrol, path_state, resume_at
from tests.bot.test_transactions import transactions

ROOT = Path(__file__).resolve().parents[2]
PHOTO = b"\xff\xd8\xff\xe0 JFIF the front of the house"


def at_photo(db: Database, conversations: Conversations, files: Path) -> Phone:
    """A volunteer at the rekonfirmasi's photo of the house (D.7)."""
    conversations.files_dir = files
    enrol(db, 1501, Role.PENDATA)
    phone = Phone(conversations, 1501)
    resume_at(phone, "rekonfirmasi", path_state("rekonfirmasi", "full", "D.7"))
    return phone


def send_photo(phone: Phone, unique_id: str = "u-house") -> None:
    value = {"file_id": "f-house", "size": len(PHOTO), "sha256": hashlib.sha256(PHOTO).hexdigest()}
    phone.update(Kind.PHOTO, value=value, upload=Upload(PHOTO, "f-house", unique_id, "image/jpeg"))


def on_disk(files: Path) -> list[Path]:
    return sorted(p for p in files.rglob("*") if p.is_file())


def rows(db: Database) -> list[StoredFile]:
    with db.read() as session:
        return list(session.scalars(select(StoredFile)))


def test_a_photo_answer_is_one_transaction_with_its_file(db: Database, conversations: Conversations, tmp_path: Path) -> None:
    phone = at_photo(db, conversations, tmp_path / "files")
    with transactions(db) as seen:
        send_photo(phone)
    assert phone.last.outcome == "answer:photo"
    assert seen == ["begin", "commit"]  # the file's row, the answer and the update id together
    [row] = rows(db)
    assert on_disk(tmp_path / "files") == [Path(row.path)] and read_kept_file(db, row) == PHOTO
    with db.read() as session:
        answer = session.scalars(select(InstrumentSession.state)).one()["answers"]["D.7"]
    assert answer["stored_file"] == row.id and row.owner_id is not None


def test_the_same_telegram_file_is_kept_once(db: Database, conversations: Conversations, tmp_path: Path) -> None:
    phone = at_photo(db, conversations, tmp_path / "files")
    send_photo(phone)
    phone.send("/batal")
    resume_at(phone, "rekonfirmasi", path_state("rekonfirmasi", "full", "D.7"))
    send_photo(phone)  # sent again (forwarded): the same file, not a second copy
    assert len(rows(db)) == 1 and len(on_disk(tmp_path / "files")) == 1


def test_a_turn_that_does_not_commit_leaves_no_file(db: Database, conversations: Conversations, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    phone = at_photo(db, conversations, tmp_path / "files")

    def broken(turn: object) -> None:
        raise RuntimeError("the turn fails after the photo was written")

    monkeypatch.setattr(conversation, "on_input", broken)
    with pytest.raises(RuntimeError):
        send_photo(phone)
    assert rows(db) == [] and on_disk(tmp_path / "files") == []
    monkeypatch.undo()
    send_photo(phone)  # Telegram delivers it again: now it is kept
    assert len(rows(db)) == 1 and len(on_disk(tmp_path / "files")) == 1


def test_unreferenced_files_are_swept_once_no_turn_can_be_writing_them(db: Database, tmp_path: Path) -> None:
    files = tmp_path / "files"
    kept = Path(keep_file(db, files, PHOTO, telegram_file_id="f", telegram_unique_id="u").path)
    orphan = files / "ab" / "abcdef.enc"  # a turn killed between writing its file and the commit
    half = files / "cd" / "cdef01.enc.partial"  # killed while writing it
    young = files / "ef" / "ef0123.enc"  # a turn that is still running
    for path in (orphan, half, young):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"ciphertext")
    old = (utcnow() - 2 * UNREFERENCED_GRACE).timestamp()
    for path in (kept, orphan, half):
        os.utime(path, (old, old))
    assert sweep_files(db, files) == 2
    assert on_disk(files) == sorted([kept, young])
    assert sweep_unreferenced(db, files, utcnow() + dt.timedelta(days=1)) == 1  # later, the young one too if still unnamed
    assert on_disk(files) == [kept]
    minutes = f"({int(UNREFERENCED_GRACE.total_seconds() // 60)} minutes)"
    assert minutes in " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())  # the grace the README states
