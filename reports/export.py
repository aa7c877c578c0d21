"""Exports as XLSX, or CSV (a zip of one CSV per sheet): a region's data in the guide's Format Pendataan ATS
(Lampiran 2), and every instrument's responses. Only for the roles allowed (teams, in their region), audited.

Repeat groups (household members) and visits go on their own sheets, linked by key (the response reference
``REFERENSI``, the case reference ``NO KASUS``), so no answer is left out: every question of the form, and any
answer key a form no longer has, gets a column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core.authz import Action, Actor, allowed
from core.visibility import FieldClass, Policy, policy
from flows.loader import bound, instrument_names
from flows.registry import engine
from flows.schema import QuestionType
from flows.structure import Layout, Node
from reports import messages as M
from reports.lampiran2 import COLUMN_CLASSES, COLUMNS, EXTRA_COLUMNS, class_left, form_value, source_of
from reports.sql import IDENTIFYING, IMPORT_INSTRUMENT, in_scope
from reports.vocab import child_answer, child_form, normalize_category, pendataan_node
from reports.xlsx_stream import XlsxWriter
from storage.crypto import NikDecryptionError
from storage.db import Database
from storage.models import Case, CaseEvent, Child, Person, Region, Response, Role, Visit
from storage.published import published
from storage.repositories.audit import record

Format = Literal["xlsx", "csv"]
BATCH = 1000
LAMPIRAN2_SHEET = "Format Pendataan ATS"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


class NotAllowed(PermissionError):
    """The person may not do this here; ``message`` is a message id of :mod:`reports.messages`."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.message, self.params = message, params


class UnknownInstrument(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(M.EXPORT_UNKNOWN_INSTRUMENT.format(name=name))
        self.message, self.params = M.EXPORT_UNKNOWN_INSTRUMENT, {"name": name}


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: Iterable[list[Any]] = field(default_factory=list)
    classes: list[FieldClass | None] | None = None
    """The field class of each column, for :func:`visible_to`; None: no personal column."""


def visible_to(view: Policy, sheet: Sheet) -> Sheet:
    """The sheet as ``view`` may see it (``core.visibility``): hidden columns left out, masked ones masked."""
    classes = sheet.classes
    if classes is None:
        return sheet
    keep = [i for i, fc in enumerate(classes) if view.shows(fc)]

    def rows() -> Iterator[list[Any]]:
        for row in sheet.rows:
            yield [view.present(classes[i], row[i]) for i in keep]

    return Sheet(sheet.title, [sheet.header[i] for i in keep], rows())


def export_view(db: Database, actor_id: int | None, region_code: str, reason: str | None) -> Policy:
    """The exporter's row of the visibility matrix (the command line is the administrator); full NIKs only
    with a reason and only for a role whose NIK level is full: otherwise the request is refused and audited."""
    with db.read() as session:
        role = session.scalar(select(Person.role).where(Person.id == actor_id)) if actor_id is not None else Role.ADMIN
    view = policy(role or Role.MASYARAKAT)
    if reason and reason.strip() and not view.full(FieldClass.NIK):
        record(db, "export.full_nik.denied", "region", region_code or "*", actor_id=actor_id, region_code=region_code or None,
               detail={"reason": reason.strip()[:200]})
        raise NotAllowed(M.EXPORT_FULL_NIK_NOT_ALLOWED)
    return view.for_export(reason)


def _export_detail(view: Policy, reason: str | None) -> dict[str, Any]:
    """What the audit row says about the fields: the role, and whether (and why) NIKs left in full."""
    full = view.full(FieldClass.NIK)
    return {"role": view.role.value, "full_nik": full, **({"reason": (reason or "").strip()[:200]} if full else {})}


def authorize(db: Database, actor_id: int | None, action: Action, region_code: str) -> None:
    """``actor_id`` None is the command line (whoever can read the database); a person must be allowed by
    :func:`core.authz.allowed`. A refusal is audited and raised as :class:`NotAllowed`."""
    if actor_id is None:
        return
    with db.read() as session:
        person = session.get(Person, actor_id)
        actor = Actor(person.id, person.role, person.region_code) if person else None
    if actor is not None and allowed(actor, action, region_code or None):
        return
    record(db, f"{action.value}.denied", "region", region_code or "*", actor_id=actor_id, region_code=region_code or None)
    message = M.IMPORT_NOT_ALLOWED if action is Action.IMPORT else M.EXPORT_NOT_ALLOWED
    raise NotAllowed(message, scope=region_code or "*")


# -- writing ------------------------------------------------------------------------------------------------------
def _sheet_title(title: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("-", title)[:31]
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet program read a text cell as a formula (OWASP "CSV injection")."""


def csv_safe(text: str) -> str:
    """A text for a CSV cell that Excel or LibreOffice will not run: a leading ``'`` before a formula start."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return csv_safe(str(value))


def write(sheets: Iterable[Sheet], fmt: Format, out: IO[bytes]) -> dict[str, int]:
    """Write the file to ``out`` as the rows stream from the database (memory stays flat however many rows:
    each XLSX sheet and each CSV is deflated into the zip as it is written); the number of rows written per sheet."""
    counts: dict[str, int] = {}
    used: set[str] = set()
    if fmt == "xlsx":
        book = XlsxWriter(out)
        for sheet in sheets:
            title = _sheet_title(sheet.title, used)
            counts[title] = book.add_sheet(title, [str(label) for label in sheet.header], sheet.rows)
        book.close()
        return counts
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r} (xlsx or csv)")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for sheet in sheets:
            title = _sheet_title(sheet.title, used)
            with archive.open(f"{title}.csv", "w", force_zip64=True) as member, \
                    io.TextIOWrapper(member, encoding="utf-8-sig", newline="") as text:  # BOM: Excel opens UTF-8 correctly
                writer = csv.writer(text)
                writer.writerow([_cell_text(h) for h in sheet.header])
                n = 0
                for row in sheet.rows:
                    writer.writerow([_cell_text(v) for v in row])
                    n += 1
            counts[title] = n
    return counts


def _in_memory(export: Callable[[IO[bytes]], str]) -> tuple[str, bytes]:
    buffer = io.BytesIO()
    filename = export(buffer)
    return filename, buffer.getvalue()


def _filename(prefix: str, region_code: str, fmt: Format) -> str:
    region = (region_code or "nasional").replace(".", "")
    return f"{prefix}-{region}-{dt.date.today():%Y%m%d}.{'xlsx' if fmt == 'xlsx' else 'zip'}"


# -- the region in Lampiran 2 ------------------------------------------------------------------------------------
def _regions(session: Session, region_code: str) -> dict[str, tuple[str, str | None, str]]:
    """code → (name, parent code, level) for every region in the scope and its parents."""
    rows = session.execute(select(Region.code, Region.name, Region.parent_code, Region.level).where(in_scope(Region.code, region_code)))
    found = {code: (name, parent, str(getattr(level, "value", level))) for code, name, parent, level in rows}
    parts = region_code.split(".") if region_code else []
    for n in range(1, len(parts)):
        code = ".".join(parts[:n])
        if code not in found and n >= 2:
            row = session.execute(select(Region.name, Region.parent_code, Region.level).where(Region.code == code)).first()
            if row:
                found[code] = (row[0], row[1], str(getattr(row[2], "value", row[2])))
    return found


def _lampiran2_rows(db: Database, region_code: str) -> Iterator[list[Any]]:
    cipher = db.cipher
    with db.read() as session:
        regions = _regions(session, region_code)
        latest = (
            select(Response.case_id.label("case_id"), func.max(Response.id).label("rid"))
            .join(Case, Case.id == Response.case_id)
            .where(Response.instrument.in_((*IDENTIFYING, IMPORT_INSTRUMENT)), in_scope(Case.region_code, region_code),
                   published(Response))
            .group_by(Response.case_id)
            .subquery("latest")
        )
        form = aliased(Response, name="form")
        statement = (
            select(Case.region_code, Case.category, Case.reference.label("case_reference"), Case.status, Child.nik_encrypted,
                   Child.name, Child.birth_place, Child.birth_date, Child.sex, Child.address, Child.rt, Child.rw, Child.nisn,
                   form.instrument, form.answers, form.reference)
            .join(Child, Child.id == Case.child_id)
            .outerjoin(latest, latest.c.case_id == Case.id)
            .outerjoin(form, form.id == latest.c.rid)
            .where(Case.duplicate_of.is_(None), in_scope(Case.region_code, region_code), published(Case))
            .order_by(Case.region_code, Child.name_normalized, Case.id)
            .execution_options(yield_per=BATCH)
        )
        for number, row in enumerate(session.execute(statement), start=1):  # columns, not ORM entities: no identity map per row
            instrument, reference = row.instrument, row.reference
            answers = row.answers or {}
            nik = None
            if row.nik_encrypted:
                try:
                    nik = cipher.decrypt_nik(row.nik_encrypted)
                except NikDecryptionError:
                    nik = None
            nik = nik or child_answer(answers, "nik")
            desa_name, kecamatan_name = _place(row.region_code, regions, instrument, answers)
            category = normalize_category(row.category) or normalize_category(answers.get(bound(child_form(instrument), "category")))
            yield [
                number,
                nik,
                row.name,
                row.birth_place,
                row.birth_date,
                getattr(row.sex, "value", row.sex),
                form_value("NAMA AYAH", instrument, answers),
                form_value("NAMA IBU", instrument, answers),
                form_value("PENDIDIKAN TERAKHIR", instrument, answers),
                row.address,
                row.rt,
                row.rw,
                desa_name,
                kecamatan_name,
                form_value("AGAMA", instrument, answers),
                form_value("STATUS PERKAWINAN", instrument, answers),
                form_value("PEKERJAAN", instrument, answers),
                form_value("PEKERJAAN AYAH", instrument, answers),
                form_value("PEKERJAAN IBU", instrument, answers),
                form_value("ALASAN", instrument, answers),
                _category_label(category),
                form_value("TAHUN KELUAR", instrument, answers),
                class_left(instrument, answers),
                form_value("SEKOLAH SEBELUMNYA", instrument, answers),
                source_of(instrument, answers, reference),
                row.nisn or child_answer(answers, "nisn"),
                row.region_code,
                row.case_reference,
                row.status,
                reference,
            ]


def _category_label(code: str | None) -> str | None:
    if code is None:
        return None
    choice = pendataan_node("category").choice(code)
    return choice.label if choice else code


def _place(code: str, regions: dict[str, tuple[str, str | None, str]], instrument: str | None, answers: dict[str, Any]) -> tuple[Any, Any]:
    """(DESA, KECAMATAN) names: from the case's region, the desa as typed in the form when only the kecamatan is known."""
    name, parent, level = regions.get(code, (code, None, ""))
    if level == "desa":
        return name, regions.get(parent or "", (parent, None, ""))[0]
    if level == "kecamatan":
        return child_answer(answers, "desa"), name
    return None, None


def _history_rows(db: Database, region_code: str) -> Iterator[list[Any]]:
    with db.read() as session:
        statement = (
            select(Case.reference, CaseEvent.from_status, CaseEvent.to_status, CaseEvent.event, CaseEvent.at, CaseEvent.reason)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.duplicate_of.is_(None), in_scope(Case.region_code, region_code), published(Case))
            .order_by(Case.reference, CaseEvent.at, CaseEvent.id)
            .execution_options(yield_per=BATCH)
        )
        for reference, from_status, to_status, event, at, reason in session.execute(statement):
            yield [reference, from_status, to_status, event, at, reason]


def _visit_rows(db: Database, region_code: str) -> Iterator[list[Any]]:
    with db.read() as session:
        visit_form = aliased(Response, name="visit_form")
        statement = (
            select(Case.reference, Child.name, Visit.visit_date, Person.display_name, visit_form.reference)
            .join(Case, Case.id == Visit.case_id)
            .join(Child, Child.id == Case.child_id)
            .join(Person, Person.id == Visit.pendamping_id)
            .outerjoin(visit_form, visit_form.id == Visit.response_id)
            .where(in_scope(Case.region_code, region_code), published(Case))
            .order_by(Case.reference, Visit.visit_date, Visit.id)
            .execution_options(yield_per=BATCH)
        )
        for row in session.execute(statement):
            yield list(row)


def export_region(db: Database, region_code: str, fmt: Format, actor_id: int | None, *, reason: str | None = None) -> tuple[str, bytes]:
    """(file name, content) of :func:`export_region_to` (for a chat reply and tests)."""
    return _in_memory(lambda out: export_region_to(db, region_code, fmt, actor_id, out, reason=reason))


def export_region_to(db: Database, region_code: str, fmt: Format, actor_id: int | None, out: IO[bytes], *,
                     reason: str | None = None) -> str:
    """Write the region's children in Lampiran 2 columns (one row per case; extra columns NISN, KODE DESA, NO KASUS,
    STATUS KASUS, FORMULIR after the guide's), with sheets for households and their members (rumah-tangga
    forms), visits and every status change, linked by NO KASUS / REFERENSI. Columns follow the exporter's
    field visibility; ``reason`` (reconciling with Dapodik/Disdukcapil) asks for full NIKs."""
    region_code = (region_code or "").strip()
    authorize(db, actor_id, Action.EXPORT, region_code)
    view = export_view(db, actor_id, region_code, reason)
    sheets = [
        Sheet(LAMPIRAN2_SHEET, [*COLUMNS, *EXTRA_COLUMNS], _lampiran2_rows(db, region_code),
              [COLUMN_CLASSES.get(c) for c in (*COLUMNS, *EXTRA_COLUMNS)]),
        *_instrument_sheets(db, region_code, "rumah-tangga", titles=("Rumah Tangga", {bound("rumah-tangga", "members"): "Anggota Rumah Tangga"})),
        Sheet("Kunjungan", ["NO KASUS", "NAMA ANAK", "TANGGAL KUNJUNGAN", "PENDAMPING", "REFERENSI FORMULIR"],
              _visit_rows(db, region_code), [None, FieldClass.IDENTITY, None, None, None]),
        Sheet("Riwayat Status", ["NO KASUS", "DARI", "KE", "PERISTIWA", "WAKTU (UTC)", "KETERANGAN"], _history_rows(db, region_code),
              [None, None, None, None, None, FieldClass.FREE_TEXT]),
    ]
    counts = write([visible_to(view, sheet) for sheet in sheets], fmt, out)
    filename = _filename("ats", region_code, fmt)
    record(db, "export.region", "region", region_code or "*", actor_id=actor_id, region_code=region_code or None,
           detail={"format": fmt, "filename": filename, "rows": counts, **_export_detail(view, reason)})
    return filename


# -- instrument responses ----------------------------------------------------------------------------------------
def _columns(layout: Layout, group: str | None) -> list[Node]:
    """The answerable questions of one scope (top level or a repeat group), in form order."""
    return [
        layout.nodes[qid] for qid in layout.sequence(group)
        if layout.nodes[qid].type not in (QuestionType.NOTE, QuestionType.REPEAT)
    ]


def _header(node_: Node) -> str:
    return f"{node_.id} {node_.question.label}"


def _value(node_: Node | None, value: Any) -> Any:
    """An answer for a spreadsheet: option labels as printed, dates as dates, photos and locations as JSON."""
    if value is None:
        return None
    if node_ is not None and node_.choices:
        codes = value if isinstance(value, list) else [value]
        labels = [(choice.label if (choice := node_.choice(str(c))) else str(c)) for c in codes]
        return "; ".join(labels)
    if node_ is not None and node_.type is QuestionType.DATE and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _layout_for(name: str, version: int) -> Layout:
    try:
        return engine(name, version).layout
    except KeyError:
        return engine(name).layout


def _instrument_sheets(
    db: Database, region_code: str, name: str, *, titles: tuple[str, dict[str, str]] | None = None
) -> list[Sheet]:
    """One sheet of responses and one per repeat group. Columns: the current form's questions, then any
    answer key found only in older versions (so nothing is dropped)."""
    current = engine(name).layout
    groups = [qid for qid in current.top if current.nodes[qid].type is QuestionType.REPEAT]
    with db.read() as session:
        extra_top: set[str] = set()
        extra_group: dict[str, set[str]] = {g: set() for g in groups}
        known_top = {n.id for n in _columns(current, None)}
        known_group = {g: {n.id for n in _columns(current, g)} for g in groups}
        # Scan the keys once (cheap next to the rows themselves) so the header is complete before writing.
        for (answers,) in session.execute(_responses_query(name, region_code, only_answers=True).execution_options(yield_per=BATCH)):
            for key, value in (answers or {}).items():
                if key in groups and isinstance(value, list):
                    for row in value:
                        if isinstance(row, dict):
                            extra_group[key].update(k for k in row if k not in known_group[key])
                elif key not in known_top:
                    extra_top.add(key)
    top_nodes = _columns(current, None)
    extras = sorted(extra_top - set(groups))
    main_title, group_titles = titles or (name, {})
    base = ["REFERENSI", "NO KASUS", "NAMA ANAK", "KODE WILAYAH", "DIKIRIM (UTC)", "VERSI", "LOKASI"]
    classes = current.field_classes
    base_classes = [None, None, FieldClass.IDENTITY, None, None, None, FieldClass.LOCATION]
    sheets = [Sheet(main_title, base + [_header(n) for n in top_nodes] + extras,
                    _response_rows(db, name, region_code, top_nodes, extras),
                    base_classes + [classes.get(n.id) for n in top_nodes] + [classes.get(k) for k in extras])]
    for group in groups:
        nodes = _columns(current, group)
        group_extras = sorted(extra_group[group])
        sheets.append(Sheet(
            group_titles.get(group, f"{name} {group}"),
            ["REFERENSI", "NO", *(_header(n) for n in nodes), *group_extras],
            _group_rows(db, name, region_code, group, nodes, group_extras),
            [None, None, *(classes.get(n.id) for n in nodes), *(classes.get(k) for k in group_extras)],
        ))
    return sheets


def _responses_query(name: str, region_code: str, *, only_answers: bool = False) -> Any:
    if only_answers:
        return select(Response.answers).where(Response.instrument == name, in_scope(Response.region_code, region_code),
                                              published(Response))
    return (
        select(Response, Case.reference, Child.name)
        .outerjoin(Case, Case.id == Response.case_id)
        .outerjoin(Child, Child.id == Response.child_id)
        # Nor a form since attached to a list's case or child (outer joined: no case or child reads as shown).
        .where(Response.instrument == name, in_scope(Response.region_code, region_code), published(Response),
               published(Case), published(Child))
        .order_by(Response.submitted_at, Response.id)
    )


def _response_rows(db: Database, name: str, region_code: str, nodes: list[Node], extras: list[str]) -> Iterator[list[Any]]:
    with db.read() as session:
        for response, case_reference, child_name in session.execute(_responses_query(name, region_code).execution_options(yield_per=BATCH)):
            layout = _layout_for(name, response.instrument_version)
            answers = response.answers or {}
            row = [response.reference, case_reference, child_name, response.region_code, response.submitted_at,
                   response.instrument_version, _value(None, response.location)]
            row += [_value(layout.nodes.get(n.id, n), answers.get(n.id)) for n in nodes]
            row += [_value(None, answers.get(key)) for key in extras]
            yield row


def _group_rows(db: Database, name: str, region_code: str, group: str, nodes: list[Node], extras: list[str]) -> Iterator[list[Any]]:
    with db.read() as session:
        for response, _, _ in session.execute(_responses_query(name, region_code).execution_options(yield_per=BATCH)):
            layout = _layout_for(name, response.instrument_version)
            instances = (response.answers or {}).get(group)
            for number, instance in enumerate(instances if isinstance(instances, list) else [], start=1):
                instance = instance if isinstance(instance, dict) else {}
                yield ([response.reference, number]
                       + [_value(layout.nodes.get(n.id, n), instance.get(n.id)) for n in nodes]
                       + [_value(None, instance.get(key)) for key in extras])


def export_responses(db: Database, region_code: str, instrument: str | None, fmt: Format, actor_id: int | None, *,
                     reason: str | None = None) -> tuple[str, bytes]:
    """(file name, content) of :func:`export_responses_to`."""
    return _in_memory(lambda out: export_responses_to(db, region_code, instrument, fmt, actor_id, out, reason=reason))


def export_responses_to(db: Database, region_code: str, instrument: str | None, fmt: Format, actor_id: int | None,
                        out: IO[bytes], *, reason: str | None = None) -> str:
    """Write every response of ``instrument`` (every instrument when None or ``"all"``) in the region: one sheet per
    instrument, one more per repeat group (``REFERENSI`` + instance ``NO`` link it to its response). Columns
    follow the exporter's field visibility, as in :func:`export_region`."""
    region_code = (region_code or "").strip()
    names = list(instrument_names())
    if instrument in (None, "", "all"):
        chosen = names
    elif instrument in names:
        chosen = [instrument]
    else:
        raise UnknownInstrument(instrument)
    authorize(db, actor_id, Action.EXPORT, region_code)
    view = export_view(db, actor_id, region_code, reason)
    sheets = [visible_to(view, sheet) for name in chosen for sheet in _instrument_sheets(db, region_code, name)]
    counts = write(sheets, fmt, out)
    filename = _filename(f"formulir-{chosen[0] if len(chosen) == 1 else 'semua'}", region_code, fmt)
    record(db, "export.responses", "region", region_code or "*", actor_id=actor_id, region_code=region_code or None,
           detail={"format": fmt, "filename": filename, "instruments": chosen, "rows": counts, **_export_detail(view, reason)})
    return filename
