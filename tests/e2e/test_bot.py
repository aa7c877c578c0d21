"""The real bot process, with its real networking stack, against the Bot API emulator; the tests play volunteers.

Each test gets a fresh SQLite database prepared with the same commands an operator runs
(``ats-bot db upgrade``, ``ats-bot regions load 33.26``).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botapi import BotApiEmulator
from deployment import Deployment, begin, fixture_answers, free_port
from driver import header_of, question_part

from bot import texts as T
from bot.registry import COMMANDS
from core.i18n import translator
from flows.engine import Prompt
from storage.repositories.files import get_file, read_kept_file

pytestmark = pytest.mark.e2e


def test_pendataan_through_the_disability_branch_is_stored(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    answers = fixture_answers("pendataan", "full")
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.fill(answers)
    reference = volunteer.submit()
    assert reference.startswith("F-3326-")
    [stored] = deployment.responses()
    assert stored.reference == reference and stored.instrument == "pendataan" and stored.instrument_version == 1
    assert stored.answers == volunteer.state.answers
    visited_disability = [k for k in stored.answers if k.startswith("4.")]
    assert len(visited_disability) >= 10, visited_disability


def test_rekonfirmasi_guardian_branch_with_photo_and_location(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    answers = fixture_answers("rekonfirmasi", "C.8-tidak-wali")
    volunteer = begin(emulator, deployment, "rekonfirmasi")
    volunteer.fill(answers)
    reference = volunteer.submit()
    [stored] = deployment.responses()
    assert stored.reference == reference
    assert {"C.9", "C.10", "C.11"} <= stored.answers.keys()  # the guardian branch
    photo = stored.answers["D.7"]
    assert photo["size"] > 1000 and len(photo["sha256"]) == 64
    files = [p for p in Path(deployment.env["FILES_DIR"]).rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].suffix == ".enc" and (files[0].stat().st_mode & 0o777) == 0o600
    assert b"\xff\xd8\xff" not in files[0].read_bytes() and b"JFIF" not in files[0].read_bytes()  # no JPEG in clear
    db = deployment.database()
    kept = get_file(db, photo["stored_file"])
    assert kept is not None and hashlib.sha256(read_kept_file(db, kept)).hexdigest() == photo["sha256"]
    db.dispose()
    assert stored.answers["D.8"]["latitude"] == answers["D.8"]["latitude"]
    assert stored.location is not None and stored.location["longitude"] == answers["D.8"]["longitude"]


def test_monitoring_dropped_out_again_branch(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    answers = fixture_answers("monitoring", "c1-tidak-putus-sekolah-lagi")
    volunteer = begin(emulator, deployment, "monitoring")
    volunteer.fill(answers)
    volunteer.submit()
    [stored] = deployment.responses()
    assert stored.answers["C.1"] == "2" and "C.10" in stored.answers and "C.2" not in stored.answers


def test_killed_bot_resumes_exactly_where_the_volunteer_was(emulator: BotApiEmulator, deployment: Deployment) -> None:
    bot = deployment.start()
    answers = fixture_answers("pendataan", "full")
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.fill(answers, until="1.8")
    volunteer.expect_question()  # 1.8 was asked: everything before it was acknowledged
    bot.kill()
    deployment.start()
    volunteer.user.send("/lanjut")
    volunteer.expect_question()  # the same question again, nothing lost
    volunteer.fill(answers)
    volunteer.submit()
    [stored] = deployment.responses()
    assert stored.answers == volunteer.state.answers


def test_a_restart_between_a_question_and_the_press(emulator: BotApiEmulator, deployment: Deployment) -> None:
    """Stopped cleanly, the bot writes which message carries the live keyboard, so the next process closes its
    buttons when it opens new ones; killed, the first press on the live buttons is answered as usual."""
    answers = fixture_answers("pendataan", "full")
    bot = deployment.start()
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.fill(answers, until="1.2")
    question = volunteer.expect_question()  # 1.2, with buttons
    assert question.inline_keyboard and bot.stop() == 0
    bot = deployment.start()
    volunteer.user.send("/isi")  # the forms as buttons: a new live keyboard
    volunteer.user.wait_for(lambda m: m.message_id == question.message_id and not m.inline_keyboard)
    volunteer.user.send("/lanjut")
    assert volunteer.expect_question().inline_keyboard  # 1.2 again, its buttons live
    bot.kill()
    deployment.start()
    volunteer.fill(answers, until="1.3")  # pressed on the message sent before the crash
    volunteer.expect_question()


def test_old_buttons_say_the_question_is_closed_and_change_nothing(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.answer("Rina")
    question = volunteer.expect_question()  # 1.2, with buttons
    volunteer.answer("2")
    volunteer.expect_question()  # 1.3
    volunteer.user.press_stale(question, question.inline_keyboard[0][0]["callback_data"])
    notice = volunteer.user.wait_answer()
    assert notice.text == translator("id")(T.QUESTION_CLOSED)
    volunteer.user.press_stale(question, "forged.c.0")
    assert volunteer.user.wait_answer().text == translator("id")(T.QUESTION_CLOSED)
    volunteer.answer("2")  # 1.3 still the current question: nothing changed
    volunteer.expect_question()  # 1.4


def test_redelivered_update_is_not_applied_twice(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.expect_question()
    sent = volunteer.user.send("Rina")
    volunteer.state = volunteer.engine.answer(volunteer.state, "Rina").state  # type: ignore[union-attr]
    volunteer.expect_question()  # 1.2
    before = len(volunteer.user.messages())
    emulator.redeliver(sent["update_id"])
    time.sleep(1.5)
    assert len(volunteer.user.messages()) == before  # no second answer, no new question
    volunteer.answer("2")
    volunteer.expect_question()  # 1.3: the draft moved by one answer only


def test_back_skip_and_edit_from_the_review(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    answers = fixture_answers("kesediaan", "full")
    volunteer = begin(emulator, deployment, "kesediaan")
    first = volunteer.engine.current(volunteer.state, volunteer.today)
    volunteer.answer(answers[first.position.qid])  # type: ignore[union-attr]
    question = volunteer.expect_question()
    volunteer.user.press(volunteer.t(T.BACK), question)
    volunteer.state = volunteer.engine.back(volunteer.state, volunteer.today)
    again = volunteer.expect_question()
    assert again.text.startswith(header_of(first))  # type: ignore[arg-type]
    volunteer.fill(answers)
    review = volunteer.user.wait_for(lambda m: volunteer.t(T.SUBMIT) in m.button_texts())
    volunteer.user.press(volunteer.t(T.EDIT), review)
    volunteer.user.wait_text(volunteer.t(T.EDIT_ASK))
    volunteer.user.send(first.position.qid)  # type: ignore[union-attr]
    moved = volunteer.engine.goto(volunteer.state, first.position.qid)  # type: ignore[union-attr]
    volunteer.state = moved  # type: ignore[assignment]
    volunteer.answer("Sumiati Baru")
    reference = volunteer.submit()
    [stored] = deployment.responses()
    assert stored.reference == reference and stored.answers[first.position.qid] == "Sumiati Baru"  # type: ignore[union-attr]


def test_two_drafts_at_once_and_resume_from_the_list(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    first = begin(emulator, deployment, "pendataan")
    first.answer("Rina")
    first.expect_question()
    second = begin(emulator, deployment, "pendataan", enrolled=True)
    second.answer("Budi")
    second.expect_question()
    user = first.user
    user.send("/draf")
    listing = user.wait_text(translator("id")(T.DRAFTS))
    rina = next(b for b in listing.button_texts() if "Rina" in b)
    user.press(rina, listing)
    first.expect_question()  # back at Rina's 1.2
    first.answer("2")
    first.expect_question()


def test_language_switch_and_command_menus(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    user = emulator.user(1001, "Siti", language_code="id")
    user.send("/bahasa")
    menu = user.wait_text(translator("id")(T.LANGUAGE_ASK))
    user.press("Basa Jawa", menu)
    user.wait_text(translator("jv")(T.LANGUAGE_SET, language="Basa Jawa"))
    user.send("/help")
    user.wait_text(translator("jv")(T.HELP_TITLE))
    for language in ("id", "en", "jv"):
        names = [c["command"] for c in emulator.commands(language_code=language)]
        assert names == list(COMMANDS)
        assert {"start", "isi", "lanjut", "bahasa", "kasus", "konflik", "periksa", "dasbor", "help"} <= set(names)
        descriptions = {c["command"]: c["description"] for c in emulator.commands(language_code=language)}
        assert descriptions["lanjut"] == translator(language)(T.CMD_CONTINUE)


def test_rate_limit_429_is_waited_out(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    user = emulator.user(1001, "Siti")
    emulator.fail_next("sendMessage", error_code=429, retry_after=1)
    user.send("/help")
    user.wait_text(translator("id")(T.HELP_TITLE))
    sends = emulator.calls("sendMessage")
    assert sends[0].error_code == 429 and sends[1].time - sends[0].time >= 1.0


def test_health_check_answers(deployment: Deployment) -> None:
    deployment.start()
    with urllib.request.urlopen(f"http://127.0.0.1:{deployment.health_port}/health", timeout=5) as reply:
        assert reply.status == 200 and json.loads(reply.read()) == {"status": "ok"}


def test_webhook_checks_telegrams_secret_token(emulator: BotApiEmulator, deployment: Deployment) -> None:
    port = free_port()
    deployment.env.update({"WEBHOOK_URL": f"http://127.0.0.1:{port}", "WEBHOOK_SECRET": "s3cret-token", "WEBHOOK_PORT": str(port), "WEBHOOK_LISTEN": "127.0.0.1"})
    deployment.start("webhook", ready=False)  # a webhook bot never polls
    emulator.wait_for_call("setWebhook", timeout=20)
    assert emulator.webhook_info()["url"] == f"http://127.0.0.1:{port}/telegram"
    update = json.dumps({"update_id": 5000, "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": 1001, "type": "private"},
                                                         "from": {"id": 1001, "is_bot": False, "first_name": "Siti"}, "text": "/help"}}).encode()

    def post(secret: str | None) -> int:
        headers = {"Content-Type": "application/json", **({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {})}
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/telegram", update, headers), timeout=5) as r:
                    return r.status
            except urllib.error.HTTPError as err:
                return err.code
            except urllib.error.URLError:  # the webhook server may still be starting
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    assert post(None) == 403 and post("wrong") == 403
    assert post("s3cret-token") == 200
    emulator.user(1001, "Siti").wait_text(translator("id")(T.HELP_TITLE))


def test_prompt_header_shows_code_and_progress(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    volunteer = begin(emulator, deployment, "pendataan")
    message = volunteer.expect_question()
    prompt = volunteer.engine.current(volunteer.state)
    assert isinstance(prompt, Prompt)
    label = translator("id").label(prompt.node.question.label)
    # The part of the form and the answers so far: a total that would move as answers change the route is not shown.
    assert re.match(rf"1\.1 · {re.escape(label)}  \(bagian 1/\d+ · 0 terjawab\)\n", question_part(message.text)), message.text


@pytest.mark.parametrize("instrument", ["rumah-tangga", "indikator-risiko"])
def test_household_roster_and_risk_indicators_by_chat(emulator: BotApiEmulator, deployment: Deployment, instrument: str) -> None:
    """The repeat group of household members (one instance per member) and the semester's risk indicators, whose
    absence proportion A = a/H × 100 the engine calculates, are filled and stored through Telegram like any form."""
    deployment.start()
    volunteer = begin(emulator, deployment, instrument)
    volunteer.fill(fixture_answers(instrument, "full"))
    reference = volunteer.submit()
    [stored] = deployment.responses()
    assert stored.reference == reference and stored.instrument == instrument
    assert stored.answers == volunteer.state.answers
    if instrument == "rumah-tangga":
        assert len(stored.answers["ART"]) == 3  # every member aged 7–18, each asked as its own instance
