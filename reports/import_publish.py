"""Publishing a checked list in chunks: short write transactions, a few set-based statements per chunk.

Per chunk of rows: one query finds the candidate children (by NIK hash, or by name in the rows' desa), the
identity rule (:func:`storage.repositories.children.decide_child`) decides each row, one query finds their
open cases, ONE statement reserves the chunk's reference numbers, and children, cases, their first events,
conflicts and ``impor`` responses are inserted in bulk. Between chunks the database's write lock is free, so
the bot and the reminder sweep keep working during a 100,000-row import.

On PostgreSQL a chunk is two transactions. The first decides the rows and writes the children and cases (what
the next chunk's decisions read); the second, on a writer thread, writes what hangs from them (first events,
``case.open`` audit entries, responses, recap and reminder rows) while this thread decides the next chunk, so the
server's work and ours overlap instead of taking turns. One second transaction is in flight at a time, in order.
Their ids are reserved in the first, so a crash between the two leaves an exact record of what to undo.

All or nothing for the person importing: everything a publication wrote is recorded in :class:`Written`; if a
chunk fails, :func:`undo` deletes it again (and clears the details it filled in on children recorded before),
so the import is either entirely there or not at all. (Reference numbers taken by the failed import are not
given back: someone may have taken the next ones meanwhile.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import String, Table, and_, delete, func, select, text, update
from sqlalchemy.orm import Session

from reports.sql import CLOSED, IMPORT_INSTRUMENT
from reports.summary import DEFERRED, KNOWN, Delta, apply_counts, opened_facts
from storage.bulk import insert_rows
from storage.db import Database
from storage.derived import cases_changed, flush_derived
from storage.models import AuditLog, Case, CaseEvent, Child, IdentityConflict, ImportBatch, Response, Sex
from storage.regions import kabupaten_of as _kabupaten_of
from storage.repositories.audit import os_actor, record
from storage.repositories.children import ChildIdentity, Match, decide_child, missing_details
from storage.repositories.references import CASE, RECEIPT, reserve_references
from storage.repositories.sql import any_of, pg_array
from storage.types import utcnow

CHUNK = 1000
PAUSE = 0.005
"""Seconds between chunks on SQLite: a waiting writer (the bot) takes its turn before the next chunk."""
IMPORT_VERSION = 1


@dataclass
class Known:
    """A child as the identity rule reads it: from the database, or created by this import."""

    id: int
    name: str
    name_normalized: str
    nik_hash: str | None
    sex: Any
    birth_date: Any
    region_code: str
    details: dict[str, Any] = field(default_factory=dict)
    """nisn, birth_place, address, rt, rw, household_id (for filling gaps)."""

    def __getattr__(self, name: str) -> Any:  # the detail fields missing_details compares
        try:
            return self.__dict__["details"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@dataclass
class Index:
    """Children seen so far by this import, by NIK hash and by (name, birth date, desa)."""

    by_id: dict[int, Known] = field(default_factory=dict)
    by_nik: dict[str, list[Known]] = field(default_factory=dict)
    by_name: dict[tuple[str, Any, str], list[Known]] = field(default_factory=dict)
    open_case: dict[int, tuple[int, str | None]] = field(default_factory=dict)
    """child id → (open case id, its category), for children this import has looked at."""

    def add(self, known: Known) -> None:
        if known.id in self.by_id:
            return
        self.by_id[known.id] = known
        if known.nik_hash:
            self.by_nik.setdefault(known.nik_hash, []).append(known)
        self.by_name.setdefault((known.name_normalized, known.birth_date, known.region_code), []).append(known)

    def candidates(self, nik_hash: str | None, identity: ChildIdentity, folded: str) -> list[Known]:
        found = list(self.by_nik.get(nik_hash, ())) if nik_hash else []
        named = self.by_name.get((folded, identity.birth_date, identity.region_code))
        if named:
            seen = {id(k) for k in found}
            found += [k for k in named if id(k) not in seen]
        return found


@dataclass
class Written:
    """What a publication wrote, to undo it if a later chunk fails: ids by table as ``[first, last]`` runs (ids are
    reserved in runs, so 100,000 rows stay a few numbers), and the details filled on children recorded before."""

    runs: dict[str, list[list[int]]] = field(default_factory=dict)
    """``children``, ``cases``, ``responses``, ``conflicts``, ``audit``, and ``categories`` (cases recorded before
    whose empty category the import filled)."""
    filled: list[tuple[int, str]] = field(default_factory=list)
    """(child id, field) filled on children recorded before the import."""
    owner: dict[str, Any] = field(default_factory=lambda: {"host": socket.gethostname(), "pid": os.getpid()})
    """The process publishing (a batch whose process on this host is gone was interrupted)."""

    def add(self, name: str, ids: Iterable[int]) -> None:
        runs = self.runs.setdefault(name, [])
        for i in ids:
            if runs and i == runs[-1][1] + 1:
                runs[-1][1] = i
            else:
                runs.append([i, i])

    def ids(self, name: str) -> list[int]:
        return [i for first, last in self.runs.get(name, []) for i in range(first, last + 1)]

    def to_json(self) -> dict[str, Any]:
        return {"runs": self.runs, "filled": [list(f) for f in self.filled], "owner": self.owner}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Written:
        return cls(data.get("runs", {}), [(child, name) for child, name in data.get("filled", [])], data.get("owner") or {})

    def abandoned(self) -> bool:
        """The process that wrote this ran on this host and has ended (an interrupted import, at once)."""
        if self.owner.get("host") != socket.gethostname() or not isinstance(self.owner.get("pid"), int):
            return False
        try:
            os.kill(self.owner["pid"], 0)
        except ProcessLookupError:
            return True
        except OSError:  # alive, someone else's
            return False
        return False


@dataclass
class Counts:
    created: int = 0
    merged: int = 0
    cases_opened: int = 0
    conflicts: int = 0


@dataclass
class Row:
    """A checked row, as the check pass hands it over."""

    line: int
    identity: ChildIdentity
    category: str | None
    answers: dict[str, Any]
    folded: str
    """The name as :func:`normalize_name` compares it (folded once, in the check)."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as plain values (the check spools 100,000 of them): several times smaller and faster than a
        dataclass's state dictionaries."""
        i = self.identity
        return _row, (self.line, self.category, self.answers, self.folded, i.name, i.region_code, i.nik, i.nisn,
                      None if i.sex is None else i.sex.value, i.birth_place, i.birth_date, i.address, i.rt, i.rw, i.household_id)


def _row(line: int, category: str | None, answers: dict[str, Any], folded: str, name: str, region_code: str, nik: str | None,
         nisn: str | None, sex: str | None, *rest: Any) -> Row:
    return Row(line, ChildIdentity(name, region_code, nik, nisn, None if sex is None else Sex(sex), *rest), category, answers, folded)


@dataclass
class _Tail:
    """What a chunk writes that hangs from its children and cases, with every id already reserved."""

    events: list[dict[str, Any]] = field(default_factory=list)
    """The new cases' first events (``case_events``)."""
    opened: list[dict[str, Any]] = field(default_factory=list)
    """Their ``case.open`` audit entries."""
    responses: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[int, Any] = field(default_factory=dict)
    """Recap facts of the new cases, known without reading them back (``reports.summary.KNOWN``)."""


@dataclass
class _Plan:
    """One chunk's decisions before anything is written."""

    new_children: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """(temporary negative id, row of ``children``)."""
    conflicts: list[tuple[Known, Known, ChildIdentity, str]] = field(default_factory=list)
    """(existing child, held child, identity, NIK hash): their ids are real once the chunk's children are inserted."""
    fills: dict[int, dict[str, Any]] = field(default_factory=dict)
    row_child: list[int] = field(default_factory=list)


Prepared = tuple[list[str | None], dict[str, bytes], list[Any]]
"""A chunk's NIK hashes (by row), NIK ciphertexts (by NIK) and answers as the column stores them (by row)."""


class Preparer:
    """What a chunk needs that needs no database: the NIKs' keyed hashes and ciphertexts, and the answers sealed
    and serialised as the ``responses.answers`` column stores them (in a dry run, as they are). It holds the key
    ring, so it crosses to a worker process only by forking, never pickled."""

    def __init__(self, db: Database, *, dry_run: bool = False) -> None:
        self.cipher = db.cipher
        dialect = db.engine.dialect
        store: Callable[[Any], Any] | None = (
            None if dry_run else Response.__table__.c.answers.type.dialect_impl(dialect).bind_processor(dialect))
        if store is not None and dialect.name == "postgresql":  # COPY takes the JSON as text: serialised here too
            store = _as_json_text(store)
        self.store = store

    def __call__(self, rows: list[Row]) -> Prepared:
        hashes = [self.cipher.nik_hash(r.identity.nik) if r.identity.nik else None for r in rows]
        tokens = {r.identity.nik: self.cipher.encrypt_nik(r.identity.nik) for r in rows if r.identity.nik}
        store = self.store
        return hashes, tokens, [store(r.answers) for r in rows] if store else [r.answers for r in rows]

    def __reduce__(self) -> Any:
        raise TypeError("a Preparer holds the key ring: it is never pickled")


def _as_json_text(store: Callable[[Any], Any]) -> Callable[[Any], str]:
    """psycopg's ``Jsonb`` wrapper that the column's processor returns, as the text COPY sends (serialised by the
    wrapper's own function, else as psycopg would)."""
    def text(value: Any) -> str:
        wrapped = store(value)
        return str((wrapped.dumps or json.dumps)(wrapped.obj))
    return text


class Publisher:
    """Publishes the checked rows of one import, chunk by chunk (``dry_run``: decides without writing)."""

    def __init__(self, db: Database, actor_id: int | None, submitter: int, preparer: Preparer, *, dry_run: bool = False,
                 batch_id: int | None = None) -> None:
        self.db, self.cipher = db, db.cipher
        self.actor_id, self.submitter, self.dry_run, self.batch_id = actor_id, submitter, dry_run, batch_id
        self.index = Index()
        self.written = Written()
        self.counts = Counts()
        self._temporary = 0
        self._sqlite = db.engine.dialect.name == "sqlite"
        self._postgres = db.engine.dialect.name == "postgresql"
        self._os_actor = os_actor() if actor_id is None else {}
        self.pending: Delta = Counter()
        """The recap counts the written chunks change, applied when the import is published (:func:`close_batch`)."""
        self.longest_write = 0.0
        """Seconds of the longest chunk transaction (the write lock's longest hold, commit included)."""
        self.tail_longest = 0.0
        """The same for the tails written on the writer thread (PostgreSQL)."""
        self.done = 0
        """Rows published (or decided) so far."""
        self.preparer = preparer
        """For the chunks the check's worker did not prepare."""
        self._writer = ThreadPoolExecutor(1, "import-writer") if self._postgres and not dry_run else None
        """PostgreSQL: writes each chunk's tail while the next chunk is decided (SQLite has one writer at a time)."""
        self._in_flight: Future[None] | None = None

    def publish(self, chunk: list[Row], prepared: Prepared | None = None) -> None:
        """Store (or, in a dry run, decide) one chunk of checked rows, in short transactions of its own."""
        if not self.dry_run:  # earlier chunks are in the database, where the next look-up finds them
            self.index = Index()
        self._prepare(chunk, prepared)
        if self.dry_run:
            with self.db.read() as session:
                self._chunk(session, chunk)
        else:
            started = time.perf_counter()
            with self.db.write(durable=False) as session:  # staged: the durable publication syncs it
                session.info[DEFERRED] = self.pending  # the recap moves when the whole list is published
                tail = self._chunk(session, chunk)
                if self._writer is None:
                    self._write_tail(session, tail)
                if self.batch_id is not None:  # committed with the chunk: a crash leaves an exact record
                    session.execute(update(ImportBatch).where(ImportBatch.id == self.batch_id)
                                    .values(rows=self.done + len(chunk), written=self.written.to_json(), updated_at=utcnow()))
            self.longest_write = max(self.longest_write, time.perf_counter() - started)
            if self._writer is not None:
                self.wait()  # one tail in flight: memory stays flat, and a failed tail stops the import here
                self._in_flight = self._writer.submit(self._tail_transaction, tail)
            if self._sqlite:
                time.sleep(PAUSE)
        self.done += len(chunk)

    def wait(self) -> None:
        """Until the tail in flight is written; its error, if it failed."""
        future, self._in_flight = self._in_flight, None
        if future is not None:
            future.result()

    def close(self) -> None:
        """Wait for the last tail (re-raising its error) and stop the writer thread."""
        try:
            self.wait()
        finally:
            if self._writer is not None:
                self._writer.shutdown()

    def _tail_transaction(self, tail: _Tail) -> None:
        started = time.perf_counter()
        with self.db.write(durable=False) as session:
            session.info[DEFERRED] = self.pending  # only this thread refreshes recap rows: the counter is its own
            self._write_tail(session, tail)
        self.tail_longest = max(self.tail_longest, time.perf_counter() - started)

    # -- one chunk ------------------------------------------------------------------------------------------
    def _prepare(self, rows: list[Row], prepared: Prepared | None) -> None:
        """What needs no database, before the write transaction (so the write lock is held for less), unless
        the check's worker prepared it already."""
        self._hashes, self._tokens, self._stored = prepared or self.preparer(rows)

    def _encrypted(self, nik: str | None) -> bytes:
        return self._tokens.get(nik or "") or self.cipher.encrypt_nik(nik or "")

    def _chunk(self, session: Session, rows: list[Row]) -> _Tail:
        if not self.dry_run and session.get_bind().dialect.name == "postgresql":
            # No chat submission creates one of these children between our look-up and our insert.
            session.execute(text("LOCK TABLE children IN SHARE ROW EXCLUSIVE MODE"))
        hashes = self._hashes
        self._load_candidates(session, rows, hashes)
        plan = self._decide(rows, hashes)
        ids = self._insert_children(session, plan)
        self._fill(session, plan)
        children = [ids.get(child, child) for child in plan.row_child]
        self._load_open_cases(session, [c for c in set(children) if c > 0 and c not in self.index.open_case])
        self._conflicts(session, plan)
        return self._cases_and_responses(session, rows, children)

    def _load_candidates(self, session: Session, rows: list[Row], hashes: list[str | None]) -> None:
        """The children a chunk's rows may be: by NIK hash, or by name in the row's desa (birth date unknown
        included: a match fills it). One index look-up per key, whatever the size of the table."""
        pairs = sorted({(r.folded, r.identity.region_code) for r in rows if r.identity.birth_date is not None})
        wanted = [h for h in hashes if h]
        columns = (Child.id, Child.name, Child.name_normalized, Child.nik_hash, Child.sex, Child.birth_date, Child.region_code,
                   Child.nisn, Child.birth_place, Child.address, Child.rt, Child.rw, Child.household_id)
        queries = [select(*columns).where(any_of(Child.nik_hash, wanted))] if wanted else []
        if pairs and self._postgres:  # (name, desa) pairs joined as two arrays: PostgreSQL would try every name with every desa
            keys = select(func.unnest(pg_array("names", [n for n, _ in pairs], String())).label("name"),
                          func.unnest(pg_array("regions", [r for _, r in pairs], String())).label("region")).subquery()
            queries.append(select(*columns).join(keys, and_(Child.name_normalized == keys.c.name, Child.region_code == keys.c.region)))
        elif pairs:  # SQLite seeks the identity index by name and checks the desa there
            queries.append(select(*columns).where(any_of(Child.name_normalized, {n for n, _ in pairs}),
                                                  any_of(Child.region_code, {r for _, r in pairs})))
        if self._postgres and queries:  # a chunk's keys against a table of any size: always through the indexes
            session.execute(text("SET LOCAL enable_seqscan = off"))
        found = {row.id: row for query in queries for row in session.execute(query)}
        if self._postgres and queries:
            session.execute(text("SET LOCAL enable_seqscan = on"))
        for row in found.values():
            self.index.add(Known(row.id, row.name, row.name_normalized, row.nik_hash, row.sex, row.birth_date, row.region_code,
                                 {"nisn": row.nisn, "birth_place": row.birth_place, "address": row.address, "rt": row.rt,
                                  "rw": row.rw, "household_id": row.household_id}))

    def _decide(self, rows: list[Row], hashes: list[str | None]) -> _Plan:
        plan = _Plan()
        for row, nik_hash in zip(rows, hashes, strict=True):
            identity = row.identity
            candidates = self.index.candidates(nik_hash, identity, row.folded)
            if not candidates:  # nothing to compare: what decide_child would say, without hashing again
                self.counts.created += 1
                plan.row_child.append(self._new_child(plan, identity, row.folded, nik_hash).id)
                continue
            decision = decide_child(None, self.cipher, identity, candidates)
            same = decision.child if decision.match is Match.SAME else decision.held
            if same is not None:
                assert isinstance(same, Known)
                self._fill_known(plan, same, identity, nik_hash if decision.match is Match.SAME else None)
                plan.row_child.append(same.id)
                self.counts.merged += 1
                continue
            clash = decision.match is Match.CLASH
            known = self._new_child(plan, identity, row.folded, None if clash else nik_hash)
            plan.row_child.append(known.id)
            if clash and isinstance(decision.child, Known) and nik_hash is not None:
                plan.conflicts.append((decision.child, known, identity, nik_hash))
                self.counts.conflicts += 1
            else:
                self.counts.created += 1
        return plan

    def _new_child(self, plan: _Plan, identity: ChildIdentity, folded: str, nik_hash: str | None) -> Known:
        self._temporary -= 1
        known = Known(self._temporary, identity.name.strip(), folded, nik_hash, identity.sex, identity.birth_date,
                      identity.region_code, {"nisn": identity.nisn, "birth_place": identity.birth_place, "address": identity.address,
                                             "rt": identity.rt, "rw": identity.rw, "household_id": identity.household_id})
        self.index.add(known)
        values = {"name": known.name, "name_normalized": folded, "nik_hash": nik_hash,
                  "nik_encrypted": self._encrypted(identity.nik) if nik_hash else None,
                  "sex": identity.sex, "birth_date": identity.birth_date, "region_code": identity.region_code,
                  "created_by": self.actor_id, **known.details}
        plan.new_children.append((known.id, values))
        return known

    def _fill_known(self, plan: _Plan, known: Known, identity: ChildIdentity, nik_hash: str | None) -> None:
        """Fill what the record lacks (as :func:`resolve_child` does), on the record and in the plan."""
        gaps = missing_details(known, identity)
        if nik_hash and known.nik_hash is None:
            gaps["nik_hash"], gaps["nik_encrypted"] = nik_hash, self._encrypted(identity.nik)
        if not gaps:
            return
        for name, value in gaps.items():
            if name in ("sex", "birth_date", "nik_hash"):
                setattr(known, name, value)
            elif name != "nik_encrypted":
                known.details[name] = value
        if known.nik_hash and "nik_hash" in gaps:
            self.index.by_nik.setdefault(known.nik_hash, []).append(known)
        if known.id < 0:  # created in this chunk: change the insert
            target = next(values for temporary, values in plan.new_children if temporary == known.id)
            target.update(gaps)
        else:
            plan.fills.setdefault(known.id, {}).update(gaps)

    # -- writing --------------------------------------------------------------------------------------------
    def _insert_children(self, session: Session, plan: _Plan) -> dict[int, int]:
        """Temporary id → id of the inserted child (a dry run keeps the temporary ones)."""
        if self.dry_run or not plan.new_children:
            return {}
        returned = _insert(session, Child, [values for _, values in plan.new_children], {"import_batch_id": self.batch_id})
        ids = {temporary: real for (temporary, _), real in zip(plan.new_children, returned, strict=True)}
        self.written.add("children", ids.values())
        for temporary, real in ids.items():
            known = self.index.by_id.pop(temporary)
            known.id = real
            self.index.by_id[real] = known
        return ids

    def _fill(self, session: Session, plan: _Plan) -> None:
        if self.dry_run or not plan.fills:
            return
        for child_id, values in plan.fills.items():
            session.execute(update(Child).where(Child.id == child_id).values(**values))
            self.written.filled += [(child_id, name) for name in values]

    def _load_open_cases(self, session: Session, child_ids: list[int]) -> None:
        for start in range(0, len(child_ids), 5000):
            part = child_ids[start : start + 5000]
            rows = session.execute(
                select(Case.child_id, Case.id, Case.category)
                .where(any_of(Case.child_id, part), Case.status.not_in(CLOSED), Case.duplicate_of.is_(None))
                .order_by(Case.id)
            )
            for child_id, case_id, category in rows:  # the newest open case wins
                self.index.open_case[child_id] = (case_id, category)

    def _conflicts(self, session: Session, plan: _Plan) -> None:
        if self.dry_run or not plan.conflicts:
            return
        values = [{"existing_child_id": existing.id, "held_child_id": held.id, "nik_hash": nik_hash,
                   "nik_encrypted": self._encrypted(identity.nik), "source": "import",
                   "region_code": identity.region_code, "status": "open", "created_by": self.actor_id}
                  for existing, held, identity, nik_hash in plan.conflicts]
        conflict_ids = _insert(session, IdentityConflict, values)
        self.written.add("conflicts", conflict_ids)
        self._audit(session, [("identity.conflict", "child", v["existing_child_id"], v["region_code"],
                               {"conflict": cid, "held_child": v["held_child_id"], "source": "import"})
                              for v, cid in zip(values, conflict_ids, strict=True)])

    def _cases_and_responses(self, session: Session, rows: list[Row], children: list[int]) -> _Tail:
        """Open a ``recorded`` case for children without one and reserve the ids of what hangs from the chunk
        (returned as its tail); case numbers and form receipts reserved with one statement per kabupaten and
        series, handed out in row order."""
        new_cases: dict[int, dict[str, Any]] = {}
        category_fills: dict[int, str] = {}
        for row, child in zip(rows, children, strict=True):
            current = self.index.open_case.get(child)
            if current is None and child not in new_cases:
                new_cases[child] = {"child_id": child, "region_code": row.identity.region_code, "status": "recorded",
                                    "category": row.category}
            elif current is not None and current[1] is None and row.category:
                category_fills[current[0]] = row.category
                self.index.open_case[child] = (current[0], row.category)
        self.counts.cases_opened += len(new_cases)
        tail = _Tail()
        if self.dry_run:
            for child, values in new_cases.items():
                self.index.open_case[child] = (0, values["category"])
            return tail
        new_per_kabupaten: dict[str, int] = {}
        rows_per_kabupaten: dict[str, int] = {}
        for child, values in new_cases.items():
            kabupaten = kabupaten_of(values["region_code"])
            new_per_kabupaten[kabupaten] = new_per_kabupaten.get(kabupaten, 0) + 1
        for row in rows:
            kabupaten = kabupaten_of(row.identity.region_code)
            rows_per_kabupaten[kabupaten] = rows_per_kabupaten.get(kabupaten, 0) + 1
        case_numbers = {k: iter(reserve_references(session, k, n, CASE)) for k, n in new_per_kabupaten.items()}
        receipts = {k: iter(reserve_references(session, k, n, RECEIPT)) for k, n in rows_per_kabupaten.items()}
        for values in new_cases.values():
            values["reference"] = next(case_numbers[kabupaten_of(values["region_code"])])
        tail.responses = [
            {"reference": next(receipts[kabupaten_of(row.identity.region_code)]), "answers": stored, "child_id": child,
             "region_code": row.identity.region_code}
            for row, child, stored in zip(rows, children, self._stored, strict=True)
        ]
        case_ids: list[int] = []
        if new_cases:
            case_ids = _insert(session, Case, list(new_cases.values()), {"import_batch_id": self.batch_id})
            self.written.add("cases", case_ids)
            for (child, values), case_id in zip(new_cases.items(), case_ids, strict=True):
                self.index.open_case[child] = (case_id, values["category"])
            tail.events = [{"case_id": case_id} for case_id in case_ids]
            tail.opened = [{"subject_id": str(case_id), "region_code": values["region_code"]}
                           for values, case_id in zip(new_cases.values(), case_ids, strict=True)]
            self.written.add("audit", _reserve(session, AuditLog, tail.opened))
        for case_id, category in category_fills.items():
            session.execute(update(Case).where(Case.id == case_id, Case.category.is_(None)).values(category=category))
            self.written.add("categories", [case_id])
        latest: dict[int, dict[str, Any]] = {}
        for response, row in zip(tail.responses, rows, strict=True):
            response["case_id"] = self.index.open_case[response["child_id"]][0]
            latest[response["case_id"]] = row.answers
        for values, case_id in zip(new_cases.values(), case_ids, strict=True):  # their recap facts are known here
            known_child = self.index.by_id[values["child_id"]]
            facts = opened_facts(case_id, values["reference"], values["region_code"], "recorded", values["category"],
                                 known_child.sex, known_child.birth_date, latest[case_id])
            if facts is not None:
                tail.facts[case_id] = facts
        self.written.add("responses", _reserve(session, Response, tail.responses))
        return tail

    def _write_tail(self, session: Session, tail: _Tail) -> None:
        """The chunk's first events, audit entries and responses; recap and reminder rows refreshed at commit."""
        if not tail.responses:  # a dry run's
            return
        conn = session.connection()
        if tail.events:
            insert_rows(conn, cast(Table, CaseEvent.__table__), tail.events, {"to_status": "recorded", "actor_id": self.actor_id})
            extra = self._os_actor if self.actor_id is None else {}
            insert_rows(conn, cast(Table, AuditLog.__table__), tail.opened, {  # what every entry shares, serialised once
                "action": "case.open", "subject_type": "case", "actor_id": self.actor_id, "detail": {**extra, "import": True}})
        session.info.setdefault(KNOWN, {}).update(tail.facts)  # the refresh at commit does not read them back
        cases_changed(session, {response["case_id"] for response in tail.responses})
        insert_rows(conn, cast(Table, Response.__table__), tail.responses, {
            "instrument": IMPORT_INSTRUMENT, "instrument_version": IMPORT_VERSION, "submitted_by": self.submitter,
            "import_batch_id": self.batch_id},  # hidden from every reader until the batch is published (storage.published)
            processed={"answers"})  # sealed and serialised before the transaction

    def _audit(self, session: Session, entries: list[tuple[str, str, Any, Any, dict[str, Any]]]) -> None:
        extra = self._os_actor if self.actor_id is None else {}
        values = [{"action": action, "subject_type": subject_type, "subject_id": str(subject_id), "region_code": region,
                   "detail": {**extra, **detail}}
                  for action, subject_type, subject_id, region, detail in entries]
        self.written.add("audit", _insert(session, AuditLog, values, {"actor_id": self.actor_id}))


kabupaten_of = lru_cache(maxsize=4096)(_kabupaten_of)
""":func:`storage.regions.kabupaten_of`, once per region code (asked three times a row)."""


def _insert(session: Session, model: Any, rows: list[dict[str, Any]], shared: dict[str, Any] | None = None,
            processed: Iterable[str] = ()) -> list[int]:
    """Insert many rows with one ``executemany``; their new ids, in the rows' order (see :func:`_reserve`)."""
    ids = _reserve(session, model, rows)
    if ids:
        insert_rows(session.connection(), model.__table__, rows, shared, processed)
    return ids


_RESERVE = ("WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(:table, 'id')::regclass AS seq) "
            "SELECT array_agg(nextval(s.seq)) FROM s, generate_series(1, :n)")
"""The sequence looked up once: inline, ``pg_get_serial_sequence`` searched the catalog for every id (7× the time)."""


def _reserve(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Give ``rows`` new ids (their ``id``) reserved in one statement: PostgreSQL's sequence, or on SQLite above
    the largest (safe inside its exclusive write transaction, when the rows are inserted in it).
    ``INSERT … RETURNING`` in the rows' order would make the driver insert them one at a time."""
    if not rows:
        return []
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        ids = session.execute(  # one row holding the array: a thousand rows cost more to fetch than to number
            text(_RESERVE), {"table": table.name, "n": len(rows)}).scalar_one()
    else:
        last = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        ids = list(range(last + 1, last + 1 + len(rows)))
    for row, new_id in zip(rows, ids, strict=True):  # the callers' rows are their own: no copy
        row["id"] = new_id
    return ids


# -- the batch record -------------------------------------------------------------------------------------------
PUBLISHING, PUBLISHED, UNDONE = "publishing", "published", "undone"
STALE_AFTER = dt.timedelta(minutes=10)
"""A publishing batch not advanced for this long was interrupted (a live one advances every chunk, ~1 s)."""


def open_batch(db: Database, filename: str, region_code: str | None, actor_id: int | None) -> int:
    with db.write() as session:
        batch = ImportBatch(filename=filename[:200], region_code=region_code, actor_id=actor_id, state=PUBLISHING, rows=0,
                            written=Written().to_json())
        session.add(batch)
        session.flush()
        return batch.id


def close_batch(db: Database, batch_id: int, state: str, counts: Delta | None = None) -> None:
    """``published`` (with the recap counts its chunks changed, in the same transaction: a recap shows the whole
    list at once) or ``undone``: the record of written ids is no longer needed."""
    with db.write() as session:
        if counts:
            apply_counts(session, counts)
        session.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(state=state, written={}))


@dataclass(frozen=True)
class Cleaned:
    batch_id: int
    filename: str
    rows: int


def clean_interrupted(db: Database, now: dt.datetime | None = None, stale_after: dt.timedelta = STALE_AFTER, *,
                      filename: str | None = None, region_code: str | None = None) -> list[Cleaned]:
    """Remove everything the interrupted imports wrote — those not advanced for ``stale_after``, and at once those
    whose process on this host has ended — each in short transactions as :func:`undo` does; audited. Only the
    imports of ``filename`` into ``region_code`` when given (a re-run of the same file). The batches removed."""
    cutoff = (now or utcnow()) - stale_after
    where = [ImportBatch.state == PUBLISHING]
    if filename is not None:
        where += [ImportBatch.filename == filename[:200], ImportBatch.region_code.is_(None) if region_code is None
                  else ImportBatch.region_code == region_code]
    with db.read() as session:
        batches = session.execute(select(ImportBatch.id, ImportBatch.filename, ImportBatch.rows, ImportBatch.region_code,
                                         ImportBatch.written, ImportBatch.updated_at)
                                  .where(*where).order_by(ImportBatch.id)).all()
    cleaned = []
    for batch_id, name, rows, region, data, updated_at in batches:
        written = Written.from_json(data or {})
        if not (_utc(updated_at) < cutoff or written.abandoned()):
            continue  # it may be an import still running
        undo(db, written)
        close_batch(db, batch_id, UNDONE)
        record(db, "import.cleaned", "import", name[:40], region_code=region,
               detail={"batch": batch_id, "rows": rows, "filename": name})
        cleaned.append(Cleaned(batch_id, name, rows))
    return cleaned


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def undo(db: Database, written: Written) -> None:
    """Remove what a failed (never published) publication wrote, in short transactions of its own. Its recap
    counts were never applied: the facts of its cases are recomputed without moving them."""
    def batches(ids: list[int]) -> Iterable[list[int]]:
        for start in range(0, len(ids), CHUNK):
            yield ids[start : start + CHUNK]

    own = set(written.ids("cases"))
    for part in batches(written.ids("responses")):
        with db.write() as session:
            session.info[DEFERRED] = Counter()
            touched = {case_id for case_id in session.scalars(select(Response.case_id).where(Response.id.in_(part)))
                       if case_id is not None}
            session.execute(delete(Response).where(Response.id.in_(part)))
            cases_changed(session, touched - own)  # cases recorded before: their facts as they were
    for part in batches(written.ids("cases")):
        with db.write() as session:
            session.info[DEFERRED] = Counter()
            # Out of the recap first (a duplicate is not counted), so the counts are moved back, then gone.
            session.execute(update(Case).where(Case.id.in_(part)).values(duplicate_of=Case.id))
            cases_changed(session, part)
            flush_derived(session)
            session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(part)))
            session.execute(delete(Case).where(Case.id.in_(part)))
    with db.write() as session:
        session.info[DEFERRED] = Counter()
        categories, conflicts = written.ids("categories"), written.ids("conflicts")
        cases_changed(session, categories)
        if conflicts:
            session.execute(delete(IdentityConflict).where(IdentityConflict.id.in_(conflicts)))
        for child_id, name in written.filled:
            session.execute(update(Child).where(Child.id == child_id).values(**{name: None}))
        if categories:
            session.execute(update(Case).where(Case.id.in_(categories)).values(category=None))
    for part in batches(written.ids("children")):
        with db.write() as session:
            session.execute(delete(Child).where(Child.id.in_(part)))
    for part in batches(written.ids("audit")):
        with db.write() as session:
            session.execute(delete(AuditLog).where(AuditLog.id.in_(part)))
