"""What the recap adds about referrals and assistance in a region: per agency how many children were referred,
how many are still open and overdue; per programme how many children and how much money at each step. Read
directly from the two tables (small beside the cases), scoped like the recap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from cases import assistance, referrals
from cases.catalogue import name_of
from core.i18n import Translator
from reports import messages as M


@dataclass
class ProgrammeRecap:
    referrals: dict[str, dict[str, int]] = field(default_factory=dict)
    """Agency code → status (and ``overdue``) → referrals."""
    assistance: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    """Programme code → status → (children, rupiah)."""


def programme_recap(session: Session, region_code: str, today: dt.date) -> ProgrammeRecap:
    return ProgrammeRecap(referrals.counts(session, region_code, today), assistance.counts(session, region_code))


def programme_lines(recap: ProgrammeRecap, region_code: str, t: Translator) -> list[str]:
    """One line for the referrals and one for the assistance (none when there are none)."""
    lines = []
    if recap.referrals:
        items: list[str] = []
        for code, by_status in sorted(recap.referrals.items(), key=lambda kv: -sum(n for s, n in kv[1].items() if s != "overdue")):
            total = sum(n for s, n in by_status.items() if s != "overdue")
            still = sum(by_status.get(s, 0) for s in referrals.OPEN)
            items.append(t(M.REFERRALS_ITEM, agency=name_of("referral", region_code, code), total=total, open=still,
                           done=by_status.get("done", 0), overdue=by_status.get("overdue", 0)))
        lines.append(t(M.REFERRALS_LINE, list="; ".join(items)))
    if recap.assistance:
        helped: list[str] = []
        for code, steps in sorted(recap.assistance.items()):
            children = sum(n for n, _ in steps.values())
            paid = sum(steps.get(s, (0, 0))[1] for s in ("disbursed", "reported"))
            helped.append(t(M.ASSISTANCE_ITEM, programme=name_of("assistance", region_code, code), children=children,
                            approved=sum(steps.get(s, (0, 0))[0] for s in ("approved", "disbursed", "reported")),
                            paid=t.number(paid)))
        lines.append(t(M.ASSISTANCE_LINE, list="; ".join(helped)))
    return lines
