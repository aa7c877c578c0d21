"""Whatever arrives at whatever question, the bot answers, never raises, and changes answers only by a valid answer.

At every question reached by the path fixtures of every instrument, the person sends random text (0–10,000
characters of any Unicode), a sticker, a document, a contact, a location, a photo, and forged button data (random
bytes, and the live keyboard's own nonce with indexes and actions no button carries). Seeded, so a failure
replays; ``FUZZ_SEED`` picks another seed and ``FUZZ_ROUNDS`` sends more rounds per question.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.conversation import Conversations
from bot.model import Kind, TurnResult
from core.limits import TEXT_LIMIT, units
from flows.conditions import MISSING
from flows.engine import Accepted, Complete, Engine, Prompt, State
from flows.loader import instrument_names
from flows.registry import engine as engine_for
from flows.schema import ANSWERABLE, QuestionType
from storage.db import Database
from storage.models import InstrumentSession, Role
from tests.bot.conftest import Phone, enrol
from tests.conftest import TODAY

PATHS = Path(__file__).resolve().parents[1] / "fixtures" / "paths"
SEED = int(os.environ.get("FUZZ_SEED", "1402"))
ROUNDS = int(os.environ.get("FUZZ_ROUNDS", "1"))
ALPHABETS = [
    "0123456789/-. ", "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ", " \t\n\r\u00a0\u200b\u2028",
    "🙂👨‍👩‍👧🇮🇩ꦲꦏ‍ꦱꦫ你好مرحبا\u202e\u0000\ufeff", "=+-@'\"<>&%{}[]\\", "é̃ñçß",
]


def positions(name: str) -> Iterator[tuple[str, State]]:
    """Every question the path fixtures reach, once each, with the saved state that asks it."""
    eng = engine_for(name)
    seen: set[str] = set()
    for path in sorted((PATHS / name).glob("*.json")):
        if path.name.startswith("stop-"):
            continue
        raw = json.loads(path.read_text(encoding="utf-8"))["answers"]
        state = State()
        for _ in range(500):
            prompt = eng.current(state, TODAY)
            if isinstance(prompt, Complete):
                break
            if prompt.position.key not in seen:
                seen.add(prompt.position.key)
                yield prompt.position.key, state
            value = _raw_at(raw, prompt)
            outcome = eng.skip(state, TODAY) if value is None or value is MISSING else eng.answer(state, value, TODAY, confirm=True)
            if not isinstance(outcome, Accepted):
                break
            state = outcome.state


def _raw_at(raw: Mapping[str, Any], prompt: Prompt) -> Any:
    node = prompt.node
    if node.group is None:
        return raw.get(node.id, MISSING)
    rows = raw.get(node.group) or []
    index = prompt.position.instance - 1
    return rows[index].get(node.id, MISSING) if index < len(rows) else MISSING


def random_text(rng: random.Random) -> str:
    length = rng.choice([0, 1, 2, 5, 20, 100, 101, 500, 1001, 4096, 5000, 10_000])
    if rng.random() < 0.3:  # any code point but surrogates (Telegram delivers valid UTF-8 only)
        return "".join(chr(c) for c in (rng.randrange(0x110000) for _ in range(length)) if not 0xD800 <= c <= 0xDFFF)
    alphabet = rng.choice(ALPHABETS)
    return "".join(rng.choice(alphabet) for _ in range(length))


def forged_presses(rng: random.Random, nonce: str | None, choices: int) -> list[str]:
    junk = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789._-éa🙂") for _ in range(rng.randrange(0, 64)))
    forged = [junk, f"{junk}.c.0", f"a.{junk}", f"r.{junk}.s"]
    if nonce:
        forged += [f"{nonce}.c.{choices + rng.randrange(100)}", f"{nonce}.t.{choices + 1}", f"{nonce}.{rng.choice('qzjuh')}.0",
                   f"{nonce}.c.{10**30}", f"{nonce}.c.-1", f"{nonce}.p.{rng.randrange(1000)}"]
    return rng.sample(forged, 4)


class Fuzzer:
    def __init__(self, db: Database, conversations: Conversations, name: str) -> None:
        self.db = db
        self.engine: Engine = engine_for(name)
        enrol(db, 5001, Role.PENDAMPING)
        self.phone = Phone(conversations, 5001)
        self.draft_id = conversations.store.new_draft(1, name, self.engine.compiled.version).id
        with db.write() as session:
            from storage.models import Person

            session.execute(update(Person).values(active_draft_id=self.draft_id))

    def place(self, state: State) -> None:
        """Put the draft at ``state`` and have the question asked (as /lanjut does)."""
        with self.db.write() as session:
            session.execute(update(InstrumentSession).where(InstrumentSession.id == self.draft_id).values(state=state.to_json()))
        self.phone.send("/lanjut")

    def answers(self) -> dict[str, Any]:
        with self.db.read() as session:
            row = session.get(InstrumentSession, self.draft_id)
            assert row is not None
            return dict(State.from_json(row.state).answers)

    def check(self, key: str, state: State, what: str, result: TurnResult, raw: Any = None) -> None:
        where = f"{self.engine.compiled.instrument.name} {key} {what}"
        assert result.replies or result.callback_notice, f"{where}: no answer at all"
        if what == "press":
            assert result.callback_notice, f"{where}: an empty answer to a press"
        for reply in result.replies:
            assert units(reply.text) <= TEXT_LIMIT or reply.edit_message_id is None, where
            assert all(len((b.data or "").encode()) <= 64 for row in reply.buttons for b in row), where
        after = self.answers()
        if after == dict(state.answers):
            return
        prompt = self.engine.current(state, TODAY)
        assert isinstance(prompt, Prompt)
        accepted = self.engine.answer(state, raw, TODAY, confirm=True) if raw is not None else None
        assert isinstance(accepted, Accepted) and dict(accepted.state.answers) == after, f"{where}: answers changed by an invalid input"
        self.place(state)


@pytest.mark.parametrize("name", instrument_names())
def test_random_input_at_every_question(db: Database, conversations: Conversations, name: str) -> None:
    rng = random.Random(f"{SEED}-{name}")
    fuzzer = Fuzzer(db, conversations, name)
    phone = fuzzer.phone
    reached = set()
    for key, state in positions(name):
        fuzzer.place(state)
        prompt = fuzzer.engine.current(state, TODAY)
        assert isinstance(prompt, Prompt)
        reached.add(prompt.node.id)
        for _ in range(ROUNDS):
            text = random_text(rng)
            fuzzer.check(key, state, "text", phone.update(Kind.TEXT, text=text), text)
            for kind in (Kind.OTHER, Kind.DOCUMENT):  # a sticker or a contact; a file outside /impor
                fuzzer.check(key, state, kind.value, phone.update(kind, value={"name": "x.xlsx", "size": 10}))
            location = {"latitude": rng.uniform(-91, 91), "longitude": rng.uniform(-181, 181), "altitude": None, "accuracy": rng.choice([None, 5.0])}
            fuzzer.check(key, state, "location", phone.update(Kind.LOCATION, value=location),
                         location if prompt.node.type is QuestionType.LOCATION else None)
            photo = {"path": "photos/x.jpg", "size": rng.randrange(1, 30_000_000), "sha256": "0" * 64}
            fuzzer.check(key, state, "photo", phone.update(Kind.PHOTO, value=photo), photo if prompt.node.type is QuestionType.PHOTO else None)
            live = phone.with_buttons()
            nonce = (live[-1].buttons[0][0].data or "").split(".")[0] if live else None
            for data in forged_presses(rng, nonce, len(prompt.node.choices)):
                fuzzer.check(key, state, "press", phone.press_data(data))
            fuzzer.place(state)
    every = {qid for qid, node in fuzzer.engine.layout.nodes.items() if node.type in ANSWERABLE}
    assert reached == every, f"{name}: no path fixture reaches {sorted(every - reached)}"
