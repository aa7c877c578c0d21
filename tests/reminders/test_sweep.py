"""Claiming and sending due rows on SQLite and PostgreSQL: once, inside the window, within Telegram's limits."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from reminders import rules
from reminders.job import Runner
from reminders.rules import Due, Kind
from reminders.schedule import insert_dues
from reminders.settings import ReminderSettings
from reminders.sweep import claim, deliver_due
from storage.db import Database
from storage.models import AuditLog, Person, Reminder, ReminderState, Role
from tests.reminders.conftest import VirtualClock
from tests.reminders.factory import DESA, JAYAPURA_DESA, MAKASSAR_DESA, FakeBot, World, at

S = ReminderSettings(_env_file=None, lookahead_minutes=0)
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


def chat_of(db: Database, person_id: int) -> int:
    with db.read() as session:
        person = session.get(Person, person_id)
        assert person is not None and person.telegram_chat_id is not None
        return person.telegram_chat_id


def states(db: Database) -> Counter[str]:
    with db.read() as session:
        return Counter(r.state.value for r in session.scalars(select(Reminder)))


def add_due(db: Database, items: list[tuple[str, int, str, dt.datetime, str]], case_id: int | None = None) -> None:
    with db.write() as session:
        insert_dues(session, [Due(kind, person, period, due_at, tz, case_id, None) for kind, person, period, due_at, tz in items], due_at_min(items))


def due_at_min(items: list[tuple[str, int, str, dt.datetime, str]]) -> dt.datetime:
    return min(i[3] for i in items)


async def test_a_reminder_carries_the_childs_name_village_and_opaque_buttons(world: World, db: Database) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA, language="id")
    world.case("Ayu Lestari", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    bot = FakeBot()
    now = at(2026, 3, 16, 9)
    await Runner(db, S, "test").run_once(bot, now)  # type: ignore[arg-type]
    (message,) = bot.sent
    assert "Ayu Lestari" in message.text and "Klesem" in message.text and "15 Januari 2026" in message.text
    with db.read() as session:
        row = session.scalars(select(Reminder)).one()
    assert row.state is ReminderState.SENT and row.sent_at == now and row.claimed_by == "test" and row.attempts == 1
    assert message.data == [f"r.{row.token}.f", f"r.{row.token}.s", f"r.{row.token}.x"]
    assert all(str(row.case_id) not in d.split(".")[1] or len(d.split(".")[1]) == 16 for d in message.data)
    assert all(len(d.encode()) <= 64 for d in message.data)
    # Nothing more to send: the row is recorded as sent.
    again = await deliver_due(bot, db, S, now + dt.timedelta(minutes=1), claimed_by="test")  # type: ignore[arg-type]
    assert again.claimed == 0 and len(bot.sent) == 1


async def test_english_and_javanese_recipients(world: World, db: Database) -> None:
    anna = world.person("Anna", Role.PENDAMPING, DESA, language="en")
    sri = world.person("Sri", Role.PENDAMPING, DESA, language="jv")
    world.case("Ayu", "accompanied", at(2026, 1, 15, 10), pendamping=anna)
    world.case("Budi", "monitored", at(2026, 2, 16, 10), pendamping=sri)
    bot = FakeBot()
    await Runner(db, S, "t").run_once(bot, at(2026, 3, 16, 9))  # type: ignore[arg-type]
    texts = {s.chat_id: s.text for s in bot.sent}
    assert texts[chat_of(db, anna)].startswith("🏠 Time for a first visit: Ayu (Klesem)")  # nothing logged since the assignment
    assert "Budi" in texts[chat_of(db, sri)] and "Monitoring" in texts[chat_of(db, sri)]


async def test_only_zones_inside_their_window_are_sent(world: World, db: Database) -> None:
    wib = world.person("Wib", Role.PENDAMPING, DESA)
    wita = world.person("Wita", Role.PENDAMPING, MAKASSAR_DESA)
    wit = world.person("Wit", Role.PENDAMPING, JAYAPURA_DESA)
    due = at(2026, 11, 23, 0, 0)
    add_due(db, [("visit", wib, "a", due, WIB), ("visit", wita, "a", due, WITA), ("visit", wit, "a", due, WIT)])
    bot = FakeBot()
    report = await deliver_due(bot, db, S, at(2026, 11, 24, 7, 30), claimed_by="t")  # type: ignore[arg-type]  # 07:30 WIB
    assert report.open_zones == [WITA, WIT]
    assert sorted(s.chat_id for s in bot.sent) == sorted([chat_of(db, wita), chat_of(db, wit)])
    report = await deliver_due(bot, db, S, at(2026, 11, 24, 8, 0), claimed_by="t")  # type: ignore[arg-type]
    assert [s.chat_id for s in bot.sent][-1] == chat_of(db, wib) and report.sent == 1
    # 17:00 WIB closes every window on the same day; Saturday and holidays too.
    add_due(db, [("visit", wib, "b", due, WIB)])
    assert (await deliver_due(bot, db, S, at(2026, 11, 24, 17, 0), claimed_by="t")).claimed == 0  # type: ignore[arg-type]
    assert (await deliver_due(bot, db, S, at(2026, 11, 28, 10, 0), claimed_by="t")).open_zones == []  # type: ignore[arg-type]
    assert (await deliver_due(bot, db, S, at(2026, 12, 25, 10, 0), claimed_by="t")).open_zones == []  # type: ignore[arg-type]


def test_racing_claimers_take_disjoint_rows(world: World, db: Database) -> None:
    people = [world.person(f"P{i}", Role.PENDAMPING, DESA) for i in range(20)]
    due = at(2026, 11, 24, 8)
    add_due(db, [("visit", people[i % 20], f"r{i}", due, WIB) for i in range(200)])
    barrier = threading.Barrier(6)

    def claimer(i: int) -> list[int]:
        barrier.wait()
        taken: list[int] = []
        while batch := claim(db, at(2026, 11, 24, 9), [WIB], 7, f"worker-{i}"):
            taken.extend(c.id for c in batch)
        return taken

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(claimer, range(6)))
    flat = [rid for taken in results for rid in taken]
    assert len(flat) == 200 and len(set(flat)) == 200
    assert sum(1 for taken in results if taken) >= 2
    assert states(db) == Counter({"sent": 200})


async def test_sends_are_spread_within_rate_limits(world: World, db: Database, vclock: VirtualClock) -> None:
    people = [world.person(f"P{i}", Role.PENDAMPING, DESA) for i in range(40)]
    due = at(2026, 11, 24, 8)
    add_due(db, [("visit", people[i % 40], f"r{i}", due, WIB) for i in range(120)])  # 3 each
    bot = FakeBot(clock=vclock.clock)
    report = await deliver_due(bot, db, S, at(2026, 11, 24, 9), claimed_by="t", clock=vclock.clock, sleep=vclock.sleep)  # type: ignore[arg-type]
    assert report.sent == 120 and len(bot.sent) == 120
    times = sorted(s.clock for s in bot.sent)
    assert all(sum(1 for t in times if start <= t < start + 1.0) <= S.max_per_second for start in times)
    by_chat: dict[int, list[float]] = defaultdict(list)
    for s in bot.sent:
        by_chat[s.chat_id].append(s.clock)
    assert all(b - a >= S.per_chat_seconds - 1e-9 for clocks in by_chat.values() for a, b in itertools.pairwise(clocks))
    assert times[-1] >= (120 - 1) / S.max_per_second - 1e-9  # really spread out, not a burst


async def test_a_429_waits_retry_after_and_sends_once(world: World, db: Database, vclock: VirtualClock) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    add_due(db, [("visit", siti, "a", at(2026, 11, 24, 8), WIB)])
    bot = FakeBot(clock=vclock.clock, flood=2, retry_after=3)
    report = await deliver_due(bot, db, S, at(2026, 11, 24, 9), claimed_by="t", clock=vclock.clock, sleep=vclock.sleep)  # type: ignore[arg-type]
    assert (report.sent, report.retried_429, bot.calls, len(bot.sent)) == (1, 2, 3, 1)
    assert bot.sent[0].clock >= 6.0  # waited retry_after twice
    assert states(db) == Counter({"sent": 1})


async def test_persistent_429_releases_the_row_for_later_never_sent_twice(world: World, db: Database, vclock: VirtualClock) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    add_due(db, [("visit", siti, "a", at(2026, 11, 24, 8), WIB)])
    bot = FakeBot(clock=vclock.clock, flood=100)
    now = at(2026, 11, 24, 9)
    report = await deliver_due(bot, db, S, now, claimed_by="t", clock=vclock.clock, sleep=vclock.sleep)  # type: ignore[arg-type]
    assert (report.released, report.sent, len(bot.sent)) == (1, 0, 0)
    with db.read() as session:
        row = session.scalars(select(Reminder)).one()
    assert row.state is ReminderState.PENDING and row.sent_at is None and row.due_at == now + dt.timedelta(seconds=S.retry_delay_seconds)
    bot.flood = 0
    assert (await deliver_due(bot, db, S, now + dt.timedelta(minutes=1), claimed_by="t")).claimed == 0  # type: ignore[arg-type]
    report = await deliver_due(bot, db, S, now + dt.timedelta(minutes=6), claimed_by="t")  # type: ignore[arg-type]
    assert report.sent == 1 and len(bot.sent) == 1


async def test_a_blocked_pendamping_is_marked_unreachable_and_the_coordinator_told(world: World, db: Database) -> None:
    kades = world.person("Pak Kades", Role.TIM_DESA, DESA)
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    world.case("Ayu", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    world.case("Budi", "accompanied", at(2026, 1, 15, 11), pendamping=siti)
    bot = FakeBot(blocked={chat_of(db, siti)})
    now = at(2026, 3, 16, 9)
    _, report = await Runner(db, S, "t").run_once(bot, now)  # type: ignore[arg-type]
    assert report.blocked == [siti]
    assert bot.calls == 2  # the second reminder to her was not even tried
    (notice,) = bot.sent
    assert notice.chat_id == chat_of(db, kades) and "Siti" in notice.text and notice.data == []
    with db.read() as session:
        assert session.get(Person, siti).unreachable  # type: ignore[union-attr]
        audit = [a.action for a in session.scalars(select(AuditLog).where(AuditLog.subject_type == "person"))]
        reminders = {(r.kind, r.state.value) for r in session.scalars(select(Reminder))}
    assert audit == ["person.unreachable"]
    assert reminders == {("visit", "failed"), ("unreachable_notice", "sent")}
    # From now on the rules escalate her children to the village team instead (once per child and period).
    later = now + dt.timedelta(hours=1)
    await Runner(db, S, "t").run_once(bot, later)  # type: ignore[arg-type]
    escalations = [s for s in bot.sent if s.chat_id == chat_of(db, kades) and s.text.startswith("⚠️")]
    assert len(escalations) == 2
    await Runner(db, S, "t").run_once(bot, later + dt.timedelta(hours=1))  # type: ignore[arg-type]
    assert len(bot.sent) == 3


async def test_the_bot_down_for_five_days_sends_each_due_reminder_once_spread_out(world: World, db: Database, vclock: VirtualClock) -> None:
    """The bot ran until Fri 6 Nov 2026 17:00 and came back on Wed 11 Nov 10:00: everything due in between goes
    out once on restart, paced; nothing of what was sent before is repeated."""
    kades = world.person("Pak Kades", Role.TIM_DESA, DESA)
    pendamping = [world.person(f"Pendamping {i}", Role.PENDAMPING, DESA) for i in range(15)]
    for i in range(60):  # due on 9, 10, 11 Nov (and a few earlier, sent before the outage)
        world.case(f"Anak {i}", "accompanied", at(2026, 9, 6 + i % 6, 10), pendamping=pendamping[i % 15])
    runner = Runner(db, S, "before", clock=vclock.clock, sleep=vclock.sleep)
    bot = FakeBot(clock=vclock.clock)
    for day in (2, 3, 4, 5, 6):
        await runner.run_once(bot, at(2026, 11, day, 9))  # type: ignore[arg-type]
    sent_before = len(bot.sent)
    assert sent_before == 10  # Anak with 6 and 7 Sep: due 6 Nov (Fri) … and 7 Sep → 7 Nov (Sat) → Mon 9 Nov
    # Down from Friday evening to Wednesday: Mon 9 and Tue 10 Nov pass without a sweep.
    restart = Runner(db, S, "after", clock=vclock.clock, sleep=vclock.sleep)
    _scheduled, swept = await restart.run_once(bot, at(2026, 11, 11, 10))  # type: ignore[arg-type]
    assert swept.sent == 60 - sent_before
    keys = Counter((s.chat_id, s.data[0]) for s in bot.sent)
    assert all(n == 1 for n in keys.values())
    # Paced: ≤ 25 per second, one per chat per second.
    times = sorted(s.clock for s in bot.sent[sent_before:])
    assert all(sum(1 for t in times if start <= t < start + 1.0) <= S.max_per_second for start in times)
    by_chat: dict[int, list[float]] = defaultdict(list)
    for s in bot.sent[sent_before:]:
        by_chat[s.chat_id].append(s.clock)
    assert all(b - a >= 1.0 - 1e-9 for clocks in by_chat.values() for a, b in itertools.pairwise(clocks))
    assert kades not in {s.chat_id for s in bot.sent}  # nothing escalated: the follow-ups count from the real send
    # A second bot process starting at the same moment finds nothing left.
    _, second = await Runner(db, S, "other").run_once(FakeBot(), at(2026, 11, 11, 10, 1))  # type: ignore[arg-type]
    assert second.claimed == 0


@pytest.mark.parametrize("max_per_sweep", [7])
async def test_a_sweep_is_bounded_and_the_next_one_continues(world: World, db: Database, max_per_sweep: int) -> None:
    people = [world.person(f"P{i}", Role.PENDAMPING, DESA) for i in range(10)]
    add_due(db, [("visit", people[i], "a", at(2026, 11, 24, 8), WIB) for i in range(10)])
    settings = ReminderSettings(_env_file=None, max_per_sweep=max_per_sweep, claim_batch=3)
    bot = FakeBot()
    first = await deliver_due(bot, db, settings, at(2026, 11, 24, 9), claimed_by="t")  # type: ignore[arg-type]
    second = await deliver_due(bot, db, settings, at(2026, 11, 24, 9, 1), claimed_by="t")  # type: ignore[arg-type]
    assert (first.sent, second.sent, len(bot.sent)) == (7, 3, 10)


async def test_recap_counts_the_kecamatans_cases(world: World, db: Database) -> None:
    kec = world.person("Pak Camat", Role.TIM_KECAMATAN, "33.26.01", joined=at(2026, 1, 1))
    for i, status in enumerate(["back_in_school", "monitored", "monitored", "dropped_out_again", "graduated", "accompanied"]):
        world.case(f"Anak {i}", status, at(2026, 12, 20 + i % 3, 10))
    world.case("Elsewhere", "monitored", at(2026, 12, 1), region=MAKASSAR_DESA)
    bot = FakeBot()
    await Runner(db, S, "t").run_once(bot, at(2027, 1, 4, 9))  # type: ignore[arg-type]
    (recap,) = [s for s in bot.sent if s.chat_id == chat_of(db, kec)]
    assert "Kandangserang" in recap.text and "1 Oktober 2026" in recap.text and "31 Desember 2026" in recap.text
    assert "3 anak" in recap.text  # in school: 1 back_in_school + 2 monitored (not Makassar's)


def test_claimed_rows_that_go_nowhere_are_failed_not_retried(world: World, db: Database) -> None:
    nochat = world.person("Tanpa Chat", Role.PENDAMPING, DESA, chat=False)
    add_due(db, [("visit", nochat, "a", at(2026, 11, 24, 8), WIB)])
    bot = FakeBot()
    report = asyncio.run(deliver_due(bot, db, S, at(2026, 11, 24, 9), claimed_by="t"))  # type: ignore[arg-type]
    assert (report.skipped, bot.calls) == (1, 0)
    assert states(db) == Counter({"failed": 1})


def test_rules_kinds_and_buttons_are_consistent() -> None:
    assert set(rules.BUTTONS) <= set(Kind)
    assert all(set(v) <= {"f", "s", "x"} for v in rules.BUTTONS.values())
