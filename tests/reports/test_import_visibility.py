"""A list being imported stays invisible to every person until it is published, then all of it shows at once.

The import is stopped after two chunks of two rows (``_interrupt``: the batch stays ``publishing``, as a process
killed half-way leaves it, and as every chunk leaves it while the next one is written). Every reader a person
reaches is asked: chat lists, ``/kasus`` with a reference, the case services, the exports opened with openpyxl, the Dapodik reconciliation,
the dashboard's case list and case pages over HTTP. None shows the list's children, cases or ``impor`` forms;
once the batch is published, all of them show. A second test scans the reader modules so that a new query over
cases, children or forms cannot forget :func:`storage.published.published`.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.store import BotStore
from cases import conflicts, service
from cases.errors import CaseNotFound
from core.i18n import translator
from core.settings import Settings
from reports import imports
from reports.export import export_region, export_responses
from reports.import_publish import PUBLISHED, PUBLISHING, close_batch
from reports.imports import import_file
from reports.reconcile import reconcile
from storage.db import Database
from storage.models import Case, Child, IdentityConflict, ImportBatch, Response
from storage.repositories.children import ChildIdentity
from storage.repositories.responses import Submission, submit_response
from storage.uow import reading
from tests.reports.conftest import DESA_A1, DESA_A2, DESA_B1, KABUPATEN, TODAY, People, Seed
from tests.reports.test_import_batches import _interrupt
from tests.reports.test_imports import NIK_BUDI, NIK_SITI, row, xlsx
from tests.reports.test_reconcile import dapodik
from tests.reports.turns import Chat
from tests.web.conftest import LINK, NOW, Clock, sign_in
from web import messages as W
from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
LISTED = ("Budi", "Cahya")
"""The children the stopped import recorded (rows 2 and 3 of ``GOOD``); rows 1 and 4 are Siti, recorded before."""
TEAM = 2001
"""The kabupaten team's Telegram id in ``world``."""


class Staged:
    """The stopped import: its batch, the cases it opened and the ``impor`` forms it saved."""

    def __init__(self, db: Database) -> None:
        with db.read() as session:
            self.batch = session.execute(select(ImportBatch.id, ImportBatch.state)).one()
            self.cases = dict(session.execute(
                select(Child.name, Case.reference).join(Case, Case.child_id == Child.id)
                .where(Case.import_batch_id == self.batch.id)).all())
            self.forms = list(session.scalars(select(Response.reference).where(Response.import_batch_id == self.batch.id)))


@pytest.fixture
def staged(db: Database, world: People, seed: Seed, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Staged, str]]:
    """Siti has a case already (the list reuses it and adds two forms to it); the import stops after four rows."""
    seed.case("Siti Aminah", DESA_A1, sex="P", born=None, nik=NIK_SITI)
    _interrupt(db, monkeypatch)
    found = Staged(db)
    assert found.batch.state == PUBLISHING
    assert sorted(found.cases) == sorted(LISTED) and len(found.forms) == 4  # what the import committed
    with db.read() as session:
        siti = session.scalar(select(Case.reference).where(Case.import_batch_id.is_(None)))
    assert siti is not None
    yield found, siti


def _chat_text(db: Database, *steps: tuple[str, str]) -> str:
    """Everything the team reads in chat after the commands (texts and button labels)."""
    chat, seen = Chat(db, TEAM), []
    for command, args in steps:
        for reply in chat.command(command, args).replies:
            seen += [reply.text, *(button.text for row in reply.buttons for button in row)]
    return "\n".join(seen)


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for cell in row if cell is not None)


def _web(db: Database) -> TestClient:
    settings = Settings(web_base_url="http://127.0.0.1:8000", web_tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    return TestClient(create_app(db, settings, Clock(NOW)), base_url="http://127.0.0.1:8000")


def _readers(db: Database, staged: Staged, siti: str) -> dict[str, Any]:
    """What each reader shows of the list: names and references of its cases, and its forms on Siti's case."""
    found: dict[str, Any] = {}
    store = BotStore(db)
    found["chat /kasus"] = _chat_text(db, ("kasus", ""))
    found["chat /kasus reference"] = _chat_text(db, *(("kasus", reference) for reference in staged.cases.values()),
                                                *(("kasus", receipt) for receipt in staged.forms))
    area, total = store.area_cases(KABUPATEN, 0, 100)
    found["store.area_cases"] = (" ".join(f"{r[1]} {r[2]}" for r in area), total)
    found["store.cases_in"] = " ".join(f"{r[1]} {r[2]}" for r in store.cases_in(KABUPATEN, ("recorded",)))
    found["store.case_id_by_reference"] = [store.case_id_by_reference(r) for r in staged.cases.values()]
    with reading(db) as uow:
        opened = []
        for reference in staged.cases.values():
            try:
                opened.append(service.case_summary(uow, service.case_by_reference(uow, reference), TODAY).child_name)
            except CaseNotFound:
                pass
        found["service.case_by_reference"] = opened
        found["service.find_duplicates"] = [s.child_name for s in service.find_duplicates(
            uow, ChildIdentity("Cahya", DESA_B1, birth_date=dt.date(2013, 2, 1)))]
    _, lampiran = export_region(db, KABUPATEN, "xlsx", None, reason="rekonsiliasi")
    found["export.region"] = _xlsx_text(lampiran)
    pupil = [1, "Budi", "1001", "L", "", "Pekalongan", "12/03/2011", NIK_BUDI, "Islam", "Kelas 7"]
    found["reports.reconcile"] = " ".join(repr(m) for m in reconcile(db, dapodik([pupil]), "peserta-didik.xlsx", KABUPATEN))
    with _web(db) as client:
        sign_in(client, LINK.search(_chat_text(db, ("dasbor", ""))).group(0))  # type: ignore[union-attr]
        found["web /kasus"] = client.get("/kasus").text
        pages = [client.get(f"/kasus/{reference}") for reference in staged.cases.values()]
        found["web /kasus/<reference>"] = [(page.status_code, any(n in page.text for n in LISTED)) for page in pages]
        found["web not found"] = all(translator("id")(W.NOT_FOUND_TEXT) in page.text for page in pages)
        found["web Siti's page"] = client.get(f"/kasus/{siti}").text
    return found


def _shows_the_list(found: dict[str, Any], staged: Staged) -> dict[str, bool]:
    """Per reader: whether it shows the list's children, cases or forms."""
    references = list(staged.cases.values())

    def mentions(text: str) -> bool:
        return any(word in text for word in (*LISTED, *references))

    return {
        "chat /kasus": mentions(found["chat /kasus"]),
        "chat /kasus reference": all(name in found["chat /kasus reference"] for name in LISTED),  # a miss echoes the reference
        "store.area_cases": mentions(found["store.area_cases"][0]) and found["store.area_cases"][1] == 3,
        "store.cases_in": mentions(found["store.cases_in"]),
        "store.case_id_by_reference": all(found["store.case_id_by_reference"]),
        "service.case_by_reference": sorted(found["service.case_by_reference"]) == sorted(LISTED),
        "service.find_duplicates": found["service.find_duplicates"] == ["Cahya"],
        "export.region": mentions(found["export.region"]),
        "reports.reconcile": mentions(found["reports.reconcile"]),
        "export.region Siti's form": any(form in found["export.region"] for form in staged.forms),
        "web /kasus": mentions(found["web /kasus"]),
        "web /kasus/<reference>": found["web /kasus/<reference>"] == [(200, True)] * len(references),
        "web Siti's page": any(form in found["web Siti's page"] for form in staged.forms),
    }


def test_every_reader_shows_none_of_a_list_until_it_is_published(db: Database, staged: tuple[Staged, str]) -> None:
    batch, siti = staged
    before = _readers(db, batch, siti)
    assert _shows_the_list(before, batch) == dict.fromkeys(_shows_the_list(before, batch), False)
    assert before["web /kasus/<reference>"] == [(404, False)] * 2  # "not found", as for a case that does not exist
    assert before["web not found"]  # the friendly page of a record that does not exist
    assert siti in before["web /kasus"] and siti in before["chat /kasus"]  # the case recorded before stays

    close_batch(db, batch.batch.id, PUBLISHED)
    after = _readers(db, batch, siti)
    assert _shows_the_list(after, batch) == dict.fromkeys(_shows_the_list(after, batch), True)



def test_what_a_list_writes_on_records_of_before_shows_at_once(db: Database, staged: tuple[Staged, str], world: People) -> None:
    """Siti's case and child existed: while the list is being published her empty category and birth date are
    filled already, and a chat submission about Budi finds the child the list recorded rather than recording him
    again (writers see the list's rows); that form shows with the list."""
    batch, siti = staged
    with reading(db) as uow:
        summary = service.case_summary(uow, service.case_by_reference(uow, siti), TODAY)
        category = uow.session.scalar(select(Case.category).where(Case.reference == siti))
    assert (summary.child_name, summary.age, category) == ("Siti Aminah", 14, "2")
    submitted = submit_response(db, Submission("pendataan", 1, {"1.1": "Budi"}, world.pendata, DESA_A2,
                                               child=ChildIdentity("Budi", DESA_A2, nik=NIK_BUDI, birth_date=dt.date(2011, 3, 12))))
    with db.read() as session:
        listed = session.scalar(select(Case.child_id).where(Case.reference == batch.cases["Budi"]))
    assert submitted.child_id == listed
    # That form is about a child of the list: the export of Pendataan forms shows it with the list, not before.
    assert "Budi" not in _xlsx_text(export_responses(db, KABUPATEN, "pendataan", "xlsx", None)[1])
    close_batch(db, batch.batch.id, PUBLISHED)
    assert "Budi" in _xlsx_text(export_responses(db, KABUPATEN, "pendataan", "xlsx", None)[1])


def test_a_conflict_of_a_list_shows_once_it_is_published(db: Database, world: People, seed: Seed,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A row giving Siti's NIK to a boy is held apart and put on the review list: not before the list shows."""
    seed.case("Siti Aminah", DESA_A1, sex="P", born=dt.date(2012, 7, 5), nik=NIK_SITI)
    monkeypatch.setattr(imports, "close_batch", lambda *args: None)  # written, not yet published
    import_file(db, xlsx([row(NO=1, NIK=NIK_SITI, **{"NAMA LENGKAP": "Rino", "TANGGAL LAHIR": "05/07/2012"})]), "do.xlsx",
                actor_id=None, region_scope=KABUPATEN, today=TODAY)
    monkeypatch.undo()
    with db.read() as session:
        batch, conflict = session.scalar(select(ImportBatch.id)), session.scalar(select(IdentityConflict.id))
    assert batch is not None and conflict is not None
    with reading(db) as uow:
        assert conflicts.open_conflicts(uow, KABUPATEN) == []
        with pytest.raises(conflicts.ConflictError):
            conflicts.conflict_view(uow, conflict)
    close_batch(db, batch, PUBLISHED)
    with reading(db) as uow:
        assert [c.held.name for c in conflicts.open_conflicts(uow, KABUPATEN) if c.held] == ["Rino"]
        assert conflicts.conflict_view(uow, conflict).existing.name == "Siti Aminah"


LAYERS = ("app", "bot", "cases", "reminders", "reports", "web")
"""Every module of these packages is scanned: a function that reads cases, children or forms applies the rule or
is listed in ``EXEMPT`` with its reason."""
MODELS = {"Case", "Child", "Response"}
GUARDS = {"published", "case_condition", "inside", "_shown"}
""":func:`storage.published.published`, or a condition built on it (the dashboard's reach, a programme scope, a
conflict whose held child shows)."""
EXEMPT = {
    # One row by id, after the reader already checked that the person may see the case (or for a writer).
    "bot/store.py": {"child_name", "child_region", "case_reference", "case_region", "child_of_case", "_region_for"},
    "cases/conflicts.py": {"decide", "_merge", "_fix_nik", "_view", "_record"},  # a conflict conflict_view showed
    "cases/referrals.py": {"referrals_of"}, "cases/assistance.py": {"of_case", "_view"},  # of a case already opened
    "cases/documents.py": {"_load", "penerimaan_sekolah_pdf"}, "cases/forms.py": {"load_form"},  # the same
    "app/cases_cli.py": {"_zone"},  # the time zone of a case the command already found
    "reports/early_warning.py": {"record_alert"},  # an alert already found by at_risk
    # Writers: they must see the list's rows, or they would record its children or open their cases a second time.
    "cases/service.py": {"_get_case", "_proposal_details", "propose_from_response", "verify", "_attach",
                         "_other_open_cases", "_adopt_child"},
    "cases/checks.py": {"accept"}, "cases/opening.py": {"follow_found_child"}, "cases/roster.py": {"_follow"},
    "cases/programme_steps.py": {"locked_case"},
    "reports/import_publish.py": {"_load_candidates", "_load_open_cases", "undo"},  # its own list
    # Derived rows, kept for every case and read through the rule or by the recap (which moves at publication).
    "reports/summary.py": {"_facts_query", "_queries", "flagged", "rebuild"},
    "reminders/next_due.py": {"reconcile", "refresh_cases"},
    # Reminders: claimed rows and their rules; no reminder follows a ``recorded`` case, the status a list opens.
    "reminders/sweep.py": {"_describe"}, "reminders/actions.py": {"handle_button"},
    "reminders/schedule.py": {"_open_referrals", "evaluate", "snapshots_of"}, "app/reminders_cli.py": {"due_rows"},
}
MODULES = sorted(str(p.relative_to(ROOT)) for layer in LAYERS for p in (ROOT / layer).rglob("*.py"))


def _unguarded(path: str) -> set[str]:
    """Functions of ``path`` that select from or join Case, Child or Response (or get one by id) with no guard and no
    ``condition`` parameter (the caller's condition: :func:`web.scope.case_condition`, or ``at_risk``'s)."""
    found, trusted = set(), set()
    for function in ast.walk(ast.parse((ROOT / path).read_text())):
        if not isinstance(function, ast.FunctionDef) or function in trusted:
            continue
        if "condition" in {a.arg for a in function.args.args}:  # and the functions inside it, which use it
            trusted |= {n for n in ast.walk(function) if isinstance(n, ast.FunctionDef)}
            continue
        reads = guarded = False
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
            named = {n.id for arg in call.args for n in ast.walk(arg) if isinstance(n, ast.Name)}
            if name in ("select", "select_from", "join", "outerjoin", "get") and named & MODELS:
                reads = True
            guarded |= name in GUARDS
        if reads and not guarded:
            found.add(function.name)
    return found


@pytest.mark.parametrize("path", MODULES)
def test_every_reader_of_cases_applies_the_published_rule(path: str) -> None:
    """A new query over cases, children or forms in a reader module must apply :func:`storage.published.published`
    (or be listed in ``EXEMPT`` with its reason)."""
    assert _unguarded(path) == EXEMPT.get(path, set())


def test_the_guard_finds_a_reader_without_the_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = (ROOT / "bot/store.py").read_text().replace(", published(Case))", ")")
    assert source != (ROOT / "bot/store.py").read_text()
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot/store.py").write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _unguarded("bot/store.py") - EXEMPT["bot/store.py"]
