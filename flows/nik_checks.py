"""Cross-checks of a NIK against the birth date, sex and kecamatan given in the same form.

A NIK encodes PP KK CC DDMMYY SSSS (region, birth date with day + 40 for girls, serial). People move and
registrations have mistakes, so a disagreement is a warning the volunteer may confirm, never a refusal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flows import messages as M
from flows.conditions import MISSING
from flows.messages import Problem
from flows.schema import NikCheck


def nik_warnings(check: NikCheck, lookup: Callable[[str], Any], today: dt.date) -> list[Problem]:
    """Every disagreement between the NIK and the other answers already given."""
    nik = lookup(check.nik)
    if not isinstance(nik, str):
        return []
    info = nik_info(nik, today)
    if not info.valid:
        return []
    found: list[Problem] = []
    born = lookup(check.birth_date) if check.birth_date else MISSING
    if isinstance(born, str) and info.birth_date and _day_month_year(info.birth_date) != _day_month_year(born):
        found.append(Problem(
            M.WARN_NIK_BIRTH_DATE,
            {"nik_date": dt.date.fromisoformat(info.birth_date), "answer_date": dt.date.fromisoformat(born), "question": check.birth_date},
            key=f"nik-birth:{nik}:{born}",
        ))
    sex = lookup(check.sex) if check.sex else MISSING
    answered_sex = check.sex_codes.get(sex) if isinstance(sex, str) else None
    if answered_sex and info.gender and answered_sex != info.gender:
        message = M.WARN_NIK_SAYS_GIRL if info.gender == "P" else M.WARN_NIK_SAYS_BOY
        found.append(Problem(message, {"question": check.sex}, key=f"nik-sex:{nik}:{sex}"))
    kecamatan = lookup(check.kecamatan) if check.kecamatan else MISSING
    if isinstance(kecamatan, str) and info.district_code and kecamatan.count(".") == 2 and kecamatan != info.district_code:
        from lokal import wilayah  # loaded already by nik_info
        found.append(Problem(
            M.WARN_NIK_REGION,
            {
                "nik_region": wilayah.wilayah_name(info.district_code) or info.district_code,
                "answer_region": wilayah.wilayah_name(kecamatan) or kecamatan,
                "question": check.kecamatan,
            },
            key=f"nik-region:{nik}:{kecamatan}",
        ))
    return found


@lru_cache(maxsize=1024)
def nik_info(text: str, today: dt.date) -> Any:
    """What ``lokal`` reads from a NIK (its region, birth date and sex, or why it is not one), read once per NIK
    and day: typing the NIK and each answer it is checked against read the same NIK. Callers must not change it."""
    from lokal import parse_nik  # costly package import (see flows.values): only when there is a NIK to read

    return parse_nik(text, reference_date=today)


def _day_month_year(iso: str) -> tuple[int, int, int]:
    """Compare birth dates by day, month and the last two digits of the year, as the NIK stores them."""
    day = dt.date.fromisoformat(iso)
    return day.day, day.month, day.year % 100
