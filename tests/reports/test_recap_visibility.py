"""Recaps follow the reader's field visibility: a health reason is not named where health is hidden."""

from __future__ import annotations

import datetime as dt

from core.enums import Role
from core.i18n import translator
from core.visibility import policy
from reports import messages as M
from reports.early_warning import Risk
from reports.recap import RecapData, render_text

RISKS = [Risk(1, 1, [M.RISK_ABSENCE, M.RISK_DISABILITY], "ATS-3326-000001", "Ayu Lestari", "33.26.01.2001", None)]


def _text(role: Role | None) -> str:
    t = translator("en")
    view = None if role is None else policy(role).for_chat()
    return render_text(RecapData("33.26", "Pekalongan", dt.date(2026, 11, 23), at_risk_total=len(RISKS)), RISKS, t, view)


def test_the_teams_read_that_a_reason_exists_but_not_the_disability() -> None:
    t = translator("en")
    for role in (Role.TIM_DESA, Role.TIM_KECAMATAN, Role.TIM_KABUPATEN):
        text = _text(role)
        assert "Ayu Lestari (ATS-3326-000001)" in text and t(M.RISK_ABSENCE) in text
        assert t(M.RISK_DISABILITY) not in text and t(M.RISK_NOT_SHOWN) in text


def test_the_administrator_and_the_command_line_read_every_reason() -> None:
    t = translator("en")
    for role in (Role.ADMIN, None):
        text = _text(role)
        assert t(M.RISK_DISABILITY) in text and t(M.RISK_NOT_SHOWN) not in text


def test_a_role_without_identity_reads_no_name() -> None:
    assert "Ayu" not in _text(Role.MASYARAKAT) and "ATS-3326-000001" in _text(Role.MASYARAKAT)
