"""What an operator meets on the command line: clear messages instead of tracebacks, help for every argument,
and tools that drive a walk answer by answer (``app.cli.main`` in process)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.cli import main
from flows.registry import engine
from tests.conftest import TODAY

FULL = Path(__file__).parent.parent / "fixtures" / "paths" / "pendataan" / "full.json"


def run(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(argv)


@pytest.mark.parametrize(("given", "says"), [("not json", "not JSON"), ("[1, 2]", "a JSON list was given"), ("7", "int")])
def test_walk_refuses_what_is_not_an_object_of_answers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], given: str, says: str
) -> None:
    assert run(monkeypatch, ["instruments", "walk", "pendataan"], given) == 2
    err = capsys.readouterr().err
    assert "The answers must be one JSON object" in err and says in err and "Traceback" not in err


def test_walk_reads_a_file_and_says_when_it_cannot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(json.loads(FULL.read_text())["answers"]))
    assert main(["instruments", "walk", "pendataan", str(answers), "--today", TODAY.isoformat()]) == 0
    assert json.loads(capsys.readouterr().out)["complete"] is True
    assert main(["instruments", "walk", "pendataan", str(tmp_path / "missing.json")]) == 2
    assert "Cannot read" in capsys.readouterr().err


class ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_goes_away_ends_the_output_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ats-bot instruments show pendataan | head``."""
    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert main(["instruments", "show", "pendataan"]) == 0


def test_show_json_lists_each_jump_once(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("pendataan", "rekonfirmasi"):
        assert main(["instruments", "show", name, "--json"]) == 0
        for question in json.loads(capsys.readouterr().out)["questions"]:
            codes = [jump["when"] for jump in question["jumps"]]
            assert len(codes) == len(set(codes)), question["id"]
            node = engine(name).layout.nodes[question["id"]]
            assert {j["when"]: j["to"] for j in question["jumps"]} == {c: t for c, t in (node.question.jumps or {}).items()}


def test_steps_drive_a_whole_form_one_line_per_answer(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A tool answers question by question in one process: JSON lines in, JSON lines out."""
    raw = json.loads(FULL.read_text())["answers"]
    report = engine("pendataan").check(raw, TODAY)
    lines = ['{"answer": "Siti"}', '{"back": true}', "no json", '{"fly": 1}', '{"skip": true}']
    lines += [json.dumps({"answer": report.answers[key]}) for key in report.visited if key in report.answers and key != "1.6.umur"]
    assert run(monkeypatch, ["instruments", "walk", "pendataan", "--steps", "--today", TODAY.isoformat()], "\n".join(lines)) == 0
    replies = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(replies) == len(lines) + 1  # the first question, then one reply per request
    assert replies[0]["question"]["id"] == "1.1" and replies[0]["progress"] == {"answered": 0, "expected": 54}
    assert replies[1]["question"]["id"] == "1.2" and replies[1]["ok"]
    assert replies[2]["question"] == {**replies[0]["question"], "current": "Siti"}
    assert not replies[3]["ok"] and "Line 3" in replies[3]["error"]
    assert not replies[4]["ok"] and "unknown request" in replies[4]["error"]
    assert not replies[5]["ok"] and replies[5]["error"]  # 1.1 is required: it cannot be skipped
    assert all(reply["ok"] for reply in replies[6:]), [r["error"] for r in replies if not r["ok"]]
    assert replies[-1]["complete"] and replies[-1]["question"] is None
    assert replies[-1]["answers"] == report.answers


def test_every_argument_has_help_and_the_bot_commands_explain_themselves(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, expected in ((["run", "--help"], "retries"), (["webhook", "--help"], "WEBHOOK_URL"),
                           (["db", "upgrade", "--help"], "Create the tables"), (["chat", "--help"], "language of the questions"),
                           (["export", "--help"], "'nasional' for every region")):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
        assert expected in " ".join(capsys.readouterr().out.split()), argv


@pytest.mark.parametrize("days", ["-5", "0", "100000", "seven"])
def test_invitation_validity_is_bounded(capsys: pytest.CaptureFixture[str], days: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["invite", "--role", "pendata", "--region", "33.26", "--days", days])
    assert exit_.value.code == 2
    assert "--days" in capsys.readouterr().err


def test_terminal_chat_lists_the_desa_of_the_kecamatan_by_number(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = ["Siti Aminah", "2", "2", "2", "Pekalongan", "05/03/2012", "33.26.08", "3", "q"]
    assert run(monkeypatch, ["chat", "pendataan", "--lang", "en", "--today", TODAY.isoformat()], "\n".join(typed) + "\n") == 1
    out = capsys.readouterr().out
    assert "Kajen" in out and "   1. " in out  # the kecamatan read back by name, its desa listed by number
    assert "1.7.rw" in out  # "3" was taken as the third desa shown, and the next question came
