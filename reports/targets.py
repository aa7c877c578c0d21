"""Yearly targets per region and year (guide Bab I.F), from the YAML file of ``REPORT_TARGETS_FILE``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from reports.settings import get_report_settings


class TargetsFileError(ValueError):
    """The targets file is not ``targets: {region: {year: count}}``."""


@dataclass(frozen=True)
class Targets:
    by_region: dict[str, dict[int, int]]

    def for_region(self, region_code: str | None) -> dict[int, int]:
        """The region's own targets, else the sum over the regions inside it (all regions when national)."""
        scope = region_code or ""
        if scope in self.by_region:
            return dict(self.by_region[scope])
        summed: dict[int, int] = {}
        for code, years in self.by_region.items():
            if not scope or code.startswith(scope + "."):
                for year, count in years.items():
                    summed[year] = summed.get(year, 0) + count
        return summed


def load_targets(path: Path | None = None) -> Targets:
    """Targets from ``path`` (default: the configured file); a missing file means no targets."""
    path = path or get_report_settings().targets_path()
    if not path.exists():
        return Targets({})
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raw = data.get("targets") if isinstance(data, dict) else None
    if raw is None:
        return Targets({})
    if not isinstance(raw, dict):
        raise TargetsFileError(f"{path}: 'targets' must map region codes to {{year: count}}")
    parsed: dict[str, dict[int, int]] = {}
    for code, years in raw.items():
        if not isinstance(years, dict):
            raise TargetsFileError(f"{path}: targets of {code!r} must map years to counts")
        try:
            parsed[str(code)] = {int(year): int(count) for year, count in years.items()}
        except (TypeError, ValueError) as exc:
            raise TargetsFileError(f"{path}: targets of {code!r}: {exc}") from exc
        if any(count < 0 for count in parsed[str(code)].values()):
            raise TargetsFileError(f"{path}: targets of {code!r} must not be negative")
    return Targets(parsed)
