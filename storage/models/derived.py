"""Rows derived from the cases, kept current in the writing transaction (see :mod:`storage.derived`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import utcnow


class CaseReminderDue(Base):
    """When a case's next reminder falls due (or its stored reminders must be looked at again).

    Written whenever the case's inputs change and after each evaluation of the rules, so the materialisation
    reads ``due_at <= horizon`` on an index instead of evaluating every open case. Only cases in a status that
    expects a log have a row.
    """

    __tablename__ = "case_reminder_due"
    __table_args__ = (Index("ix_case_reminder_due_due_at", "due_at", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecapFact(Base):
    """What a recap counts about one case, resolved once: the village the form names, the normalised category,
    the reason codes. A case closed as a duplicate has none."""

    __tablename__ = "recap_facts"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(13))
    """The case's own region (what a recap's scope is matched against)."""
    kabupaten: Mapped[str] = mapped_column(String(5))
    area: Mapped[str] = mapped_column(String(13))
    """The desa the child lives in (found by the name typed in the form), else the case's own region."""
    status: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(1), default="")
    sex: Mapped[str] = mapped_column(String(1), default="")
    birth_month: Mapped[str] = mapped_column(String(7), default="")
    """``YYYY-MM``; ``""`` when unknown."""
    reasons: Mapped[str] = mapped_column(String(80), default="")
    """Reason codes, comma separated, each once."""
    returned: Mapped[str] = mapped_column(String(4), default="")
    """The year (in the case's own time zone) of its first ``back_in_school``; ``""`` when never."""
    quarters: Mapped[str] = mapped_column(Text, default="")
    """The quarters monitored (Bab IV.B.2), ``YYYY-Q:still`` or ``YYYY-Q:dropped``, comma separated, in order."""
    risk: Mapped[str] = mapped_column(Text, default="")
    """The early warning's reasons (signals, then context; message ids joined by ``|``) of a pupil at risk."""
    risk_signals: Mapped[int] = mapped_column(default=0)
    """How many of ``risk`` are signals (the rest is context); 0: not at risk."""
    stage: Mapped[str] = mapped_column(String(10), default="")
    """``awaiting`` while the kecamatan has not accepted the desa's verification (``cases.checks``): counted in
    its area, not at kabupaten level; ``""`` otherwise."""
    reference: Mapped[str] = mapped_column(String(40), default="")
    """The case's reference: the recap lists the pupils at risk by it, from an index, without touching the cases."""


class RecapCount(Base):
    """How many cases have one value of one dimension, by sex, in one area (``grain`` ``area``: the desa a child
    lives in, per the cases' own region) or one kabupaten (``grain`` ``kabupaten``). A recap sums these: a few
    thousand rows nationally."""

    __tablename__ = "recap_counts"

    grain: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope: Mapped[str] = mapped_column(String(13), primary_key=True)
    """The cases' own region (grain ``area``) or kabupaten: what a recap's region is matched against."""
    kabupaten: Mapped[str] = mapped_column(String(5))
    """The scope's kabupaten: an equality the index serves (a prefix ``LIKE`` is not, under most collations)."""
    region_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    sex: Mapped[str] = mapped_column(String(1), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


Index("ix_recap_counts_kabupaten", RecapCount.grain, RecapCount.kabupaten, RecapCount.dimension,
      postgresql_include=["key", "sex", "region_code", "n"])
Index("ix_recap_facts_risk", RecapFact.risk_signals.desc(), RecapFact.reference, postgresql_where=RecapFact.risk_signals > 0,
      sqlite_where=RecapFact.risk_signals > 0)
Index("ix_recap_facts_kabupaten_risk", RecapFact.kabupaten, RecapFact.risk_signals.desc(), RecapFact.reference,
      postgresql_where=RecapFact.risk_signals > 0, sqlite_where=RecapFact.risk_signals > 0)
