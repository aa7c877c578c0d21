"""Seven months of a district with a controlled clock: the job ticks twice a day, people react (or not), the bot is
down for five days in April. Every reminder goes out once, on time, inside its zone's window, on a working day."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict

from sqlalchemy import select

from reminders import rules
from reminders.actions import Snoozed, handle_button
from reminders.job import Runner
from reminders.settings import ReminderSettings
from storage.db import Database
from storage.models import Reminder, Role
from tests.reminders.conftest import VirtualClock
from tests.reminders.factory import DESA, JAYAPURA_DESA, KECAMATAN, MAKASSAR_DESA, FakeBot, World, at

S = ReminderSettings(_env_file=None, lookahead_minutes=0)
UTC = dt.UTC
OUTAGE = (at(2026, 4, 10, 0), at(2026, 4, 15, 0))  # Fri 10 Apr … Tue 14 Apr: no tick at all


async def test_seven_months_across_three_time_zones(world: World, db: Database, vclock: VirtualClock) -> None:
    kades = world.person("Pak Kades", Role.TIM_DESA, DESA, joined=at(2026, 1, 1))
    world.person("Bu Lurah", Role.TIM_DESA, MAKASSAR_DESA, joined=at(2026, 1, 1))
    world.person("Pak Lurah", Role.TIM_DESA, JAYAPURA_DESA, joined=at(2026, 1, 1))
    camat = world.person("Pak Camat", Role.TIM_KECAMATAN, KECAMATAN, joined=at(2026, 1, 1))
    bupati = world.person("Bu Kabupaten", Role.TIM_KABUPATEN, "33.26", joined=at(2026, 1, 1))
    silent = world.person("Andi", Role.PENDAMPING, DESA)  # never logs
    diligent = world.person("Sari", Role.PENDAMPING, DESA)  # logs the day after each reminder
    wita = world.person("Dewi", Role.PENDAMPING, MAKASSAR_DESA)  # monitors when prompted
    wit = world.person("Yan", Role.PENDAMPING, JAYAPURA_DESA)  # snoozes once, then visits
    never = world.case("Ayu", "accompanied", at(2026, 1, 5, 10), pendamping=silent)
    prompt = world.case("Budi", "accompanied", at(2026, 1, 6, 10), pendamping=diligent)
    school = world.case("Citra", "back_in_school", at(2026, 1, 12, 10, tz="Asia/Makassar"), region=MAKASSAR_DESA, pendamping=wita)
    snoozer = world.case("Dodi", "willing", at(2026, 2, 2, 10, tz="Asia/Jayapura"), region=JAYAPURA_DESA, pendamping=wit)
    during_outage = world.case("Eko", "accompanied", at(2026, 2, 13, 10), pendamping=diligent)  # due Mon 13 Apr

    sim_now = [at(2026, 1, 5, 0)]
    bot = FakeBot(clock=lambda: sim_now[0].timestamp())
    runner = Runner(db, S, "sim", clock=vclock.clock, sleep=vclock.sleep)
    todo: list[tuple[str, int]] = []
    snoozed_once = False
    day = dt.date(2026, 1, 5)
    while day <= dt.date(2026, 7, 31):
        for hour in (1, 7):  # 08:00/14:00 WIB, 09:00/15:00 WITA, 10:00/16:00 WIT
            now = dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
            sim_now[0] = now
            if OUTAGE[0] <= now < OUTAGE[1]:
                continue
            # Yesterday's reminders get their answer today.
            for kind, case_id in todo:
                if case_id in (prompt, during_outage):
                    world.visit(case_id, diligent, rules.local_date(now, "Asia/Jakarta"))
                elif case_id == school:
                    world.log(school, wita, "monitoring", now)
                elif case_id == snoozer and kind == "visit_again":
                    world.visit(snoozer, wit, rules.local_date(now, "Asia/Jayapura"))
            todo = []
            if now == dt.datetime(2026, 5, 20, 1, tzinfo=UTC):
                world.move(school, "graduated", now, event="graduate")
            before = len(bot.sent)
            await runner.run_once(bot, now)  # type: ignore[arg-type]
            for message in bot.sent[before:]:
                token = message.data[0].split(".")[1] if message.data else None
                with db.read() as session:
                    row = session.scalars(select(Reminder).where(Reminder.token == token)).one() if token else None
                if row is None or row.case_id is None:
                    continue
                if row.case_id == snoozer and row.kind == "visit" and not snoozed_once:
                    snoozed_once = True
                    result = handle_button(db, wit, message.data[1], now, settings=S)
                    assert isinstance(result, Snoozed)
                elif row.case_id == snoozer and row.kind == "visit":
                    todo.append(("visit_again", snoozer))
                elif row.kind in ("visit", "monitoring"):
                    todo.append((row.kind, row.case_id))
        day += dt.timedelta(days=1)

    with db.read() as session:
        rows = list(session.scalars(select(Reminder).order_by(Reminder.id)))
    by_token = {r.token: r for r in rows}
    sends = Counter(s.data[0].split(".")[1] if s.data else (s.chat_id, s.text) for s in bot.sent)
    # Once each; the snoozed one twice (that is the snooze), nothing else repeated.
    assert {k: n for k, n in sends.items() if n > 1} == {next(r.token for r in rows if r.snoozes): 2}
    # Every message went out inside its zone's window, on a working day.
    for s in bot.sent:
        row = by_token.get(s.data[0].split(".")[1]) if s.data else None
        tz = row.timezone.value if row else "Asia/Jakarta"
        assert rules.is_open(dt.datetime.fromtimestamp(s.clock, UTC), tz, S), (s.text[:40], dt.datetime.fromtimestamp(s.clock, UTC))

    def sent(case_id: int | None = None, person: int | None = None) -> list[tuple[str, str, dt.date]]:
        return [
            (r.kind, r.period, rules.local_date(r.sent_at, r.timezone.value))  # type: ignore[arg-type]
            for r in rows
            if r.state.value == "sent" and (case_id is None or r.case_id == case_id) and (person is None or r.person_id == person)
        ]

    # Andi never logs: visit, follow-up after 5 working days, the village team after 5 more — every two months.
    # Thu 5 Mar → Thu 12 Mar → (Nyepi, Idul Fitri, cuti bersama) Thu 26 Mar; Tue 5 May → 12 May → (Ascension) 21 May;
    # Sun 5 Jul → Mon 6 Jul → 13 Jul → 20 Jul.
    assert sent(never, silent) == [
        ("visit", "2026-03-05", dt.date(2026, 3, 5)), ("visit_followup", "2026-03-05", dt.date(2026, 3, 12)),
        ("visit", "2026-05-05", dt.date(2026, 5, 5)), ("visit_followup", "2026-05-05", dt.date(2026, 5, 12)),
        ("visit", "2026-07-05", dt.date(2026, 7, 6)), ("visit_followup", "2026-07-05", dt.date(2026, 7, 13)),
    ]
    assert [(k, p, d) for k, p, d in sent(never, kades)] == [
        ("escalation", "2026-03-05", dt.date(2026, 3, 26)), ("escalation", "2026-05-05", dt.date(2026, 5, 21)),
        ("escalation", "2026-07-05", dt.date(2026, 7, 20)),
    ]
    # Sari logs the day after each reminder: never a follow-up; her next reminder counts from her visit.
    assert [k for k, _, _ in sent(prompt)] == ["visit", "visit", "visit"]
    assert sent(prompt)[0][2] == dt.date(2026, 3, 6)
    # Dewi (WITA) is prompted monthly after the return and answers; nothing after the child graduated on 20 May.
    monitoring = sent(school)
    assert [k for k, _, _ in monitoring] == ["monitoring"] * len(monitoring) and 4 <= len(monitoring) <= 5
    assert all(d < dt.date(2026, 5, 20) for _, _, d in monitoring)
    # Yan (WIT) snoozed the first one: it came back 3 working days later, then he visited.
    assert next(r.snoozes for r in rows if r.case_id == snoozer and r.kind == "visit") == 1
    assert not [k for k, _, _ in sent(snoozer) if k != "visit"]
    # Due on Mon 13 Apr while the bot was down (10–14 Apr): sent once when it came back on Wed 15 Apr.
    assert sent(during_outage)[0] == ("visit", "2026-04-13", dt.date(2026, 4, 15))
    assert [k for k, _, _ in sent(during_outage)] == ["visit", "visit"]
    # Recaps every quarter, evaluations every semester, on the first working day after the period (2 Jan 2026 for the
    # periods that ended in December, within the catch-up window of the first start on 5 Jan).
    assert [(k, p, d) for k, p, d in sent(person=camat)] == [
        ("recap_quarterly", "2025-10", dt.date(2026, 1, 5)), ("recap_quarterly", "2026-01", dt.date(2026, 4, 1)),
        ("recap_quarterly", "2026-04", dt.date(2026, 7, 1))]
    assert [(k, p) for k, p, _ in sent(person=bupati)] == [("evaluation_semester", "2025-07"), ("evaluation_semester", "2026-01")]
    assert Counter((r.kind, r.case_id, r.person_id, r.period) for r in rows).most_common(1)[0][1] == 1


async def test_an_outage_spanning_due_dates_sends_once_on_restart(world: World, db: Database, vclock: VirtualClock) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    cases = [world.case(f"Anak {i}", "accompanied", at(2026, 2, 9 + i, 10), pendamping=siti) for i in range(5)]  # due 9–13 Apr
    bot = FakeBot(clock=vclock.clock)
    runner = Runner(db, S, "sim", clock=vclock.clock, sleep=vclock.sleep)
    await runner.run_once(bot, at(2026, 4, 9, 16))  # type: ignore[arg-type]  # Thu: Anak 0 went out
    assert len(bot.sent) == 1
    # Down from Thu 9 Apr evening to Wed 15 Apr 10:00 WIB.
    await runner.run_once(bot, at(2026, 4, 15, 10))  # type: ignore[arg-type]
    await runner.run_once(bot, at(2026, 4, 15, 11))  # type: ignore[arg-type]
    assert len(bot.sent) == 5 and len({s.data[0] for s in bot.sent}) == 5
    per_case: dict[int, int] = defaultdict(int)
    with db.read() as session:
        for r in session.scalars(select(Reminder)):
            per_case[r.case_id] += 1  # type: ignore[index]
    assert per_case == {c: 1 for c in cases}
    # One chat, four messages after the restart: one per second.
    clocks = [s.clock for s in bot.sent[1:]]
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(clocks))
