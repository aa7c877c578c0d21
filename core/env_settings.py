"""Settings classes: pydantic models whose fields are read from the environment and ``.env``.

What the product used from pydantic-settings, without its 66 modules (CLI, cloud secret stores, TOML/JSON/YAML
sources) in every process: a field ``name`` is read from the environment variable ``PREFIX`` + ``NAME`` (any
case), else from the same key in ``.env`` (read from the working directory), else keeps its default; keyword
arguments win over both; unknown variables are ignored; values are validated (and defaults too) by pydantic,
so a bad value is refused with pydantic's ``ValidationError`` naming the field. ``_env_file=None`` reads the
environment only (tests).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

ENV_FILE = ".env"


class EnvSettings(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_default=True, arbitrary_types_allowed=True)
    env_prefix: ClassVar[str] = ""

    def __init__(self, _env_file: str | Path | None = ENV_FILE, **values: Any) -> None:
        super().__init__(**{**read_environment(type(self), _env_file), **values})


def read_environment(settings: type[EnvSettings], env_file: str | Path | None = ENV_FILE) -> dict[str, str]:
    """The raw text of each field of ``settings`` that the environment or ``env_file`` sets (the environment wins)."""
    fields = {(settings.env_prefix + name).lower(): name for name in settings.model_fields}
    found: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        for key, value in dotenv_values(env_file, encoding="utf-8").items():
            if value is not None and key.lower() in fields:
                found[fields[key.lower()]] = value
    for key, value in os.environ.items():
        if key.lower() in fields:
            found[fields[key.lower()]] = value
    return found
