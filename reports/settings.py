"""The settings of the reports package (same ``.env`` as :mod:`core.settings`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from core.env_settings import EnvSettings

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_TARGETS_FILE = Path("reports/targets.yaml")


class ReportSettings(EnvSettings):
    """``REPORT_TARGETS_FILE``: the YAML file of yearly targets per region (default ``reports/targets.yaml``,
    the guide's Pekalongan 2019–2022 table). A relative path is read from the working directory, else from
    the repository root. ``REPORT_WORK_MEM``: see below."""

    report_targets_file: Path = DEFAULT_TARGETS_FILE
    report_work_mem: str = "256MB"
    """PostgreSQL ``work_mem`` for the recap's and the early warning's transactions only (``SET LOCAL``), so a
    national recap hashes in memory instead of sorting on disk; empty keeps the server's setting."""

    def targets_path(self) -> Path:
        path = self.report_targets_file
        if path.is_absolute() or path.exists():
            return path
        return PACKAGE_DIR.parent / path


@cache
def get_report_settings() -> ReportSettings:
    return ReportSettings()
