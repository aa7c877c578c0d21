"""Settings come from keyword arguments, else the environment, else ``.env``, else the defaults, validated by pydantic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field, ValidationError

from core.env_settings import EnvSettings


class Sample(EnvSettings):
    env_prefix: ClassVar[str] = "SAMPLE_"

    port: int = Field(default=8000, ge=1)
    name: str = "default"
    day: dt.date | None = None
    enabled: bool = True


@pytest.fixture
def env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("SAMPLE_PORT", "SAMPLE_NAME", "SAMPLE_DAY", "SAMPLE_ENABLED", "sample_port"):
        monkeypatch.delenv(key, raising=False)
    path = tmp_path / ".env"
    path.write_text('# a comment\nSAMPLE_PORT=9000\nexport sample_name="from the file"\nSAMPLE_DAY=2027-01-05\nPORT=1\nOTHER=x\n')
    monkeypatch.chdir(tmp_path)
    return path


def test_the_file_then_the_environment_then_arguments_each_win_over_the_one_before(env_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Sample().model_dump() == {"port": 9000, "name": "from the file", "day": dt.date(2027, 1, 5), "enabled": True}
    monkeypatch.setenv("sample_port", "9100")  # any case
    monkeypatch.setenv("SAMPLE_ENABLED", "false")
    assert (Sample().port, Sample().enabled) == (9100, False)
    assert Sample(port=7000).port == 7000


def test_without_the_file_only_the_environment_and_defaults_count(env_file: Path) -> None:
    assert Sample(_env_file=None).model_dump() == {"port": 8000, "name": "default", "day": None, "enabled": True}


def test_a_bad_value_is_refused_naming_the_field(env_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMPLE_PORT", "0")
    with pytest.raises(ValidationError, match="port"):
        Sample()
    monkeypatch.setenv("SAMPLE_PORT", "80")
    monkeypatch.setenv("SAMPLE_DAY", "tomorrow")
    with pytest.raises(ValidationError, match="day"):
        Sample()
