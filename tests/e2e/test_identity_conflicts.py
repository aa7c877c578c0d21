"""A NIK clash through Telegram: a volunteer's Pendataan gives the NIK of a child recorded (by an imported
list) with another name and sex; nothing is merged, the kecamatan team gets both records side by side and keeps
them apart with a button."""

from __future__ import annotations

import csv

import pytest
from botapi import BotApiEmulator
from deployment import Deployment, fixture_answers
from driver import Volunteer
from sqlalchemy import select

from bot.handlers import conflicts as CR
from cases import conflicts as C
from core.i18n import translator
from flows.registry import engine
from storage.models import AuditLog, Child, IdentityConflict, Response

pytestmark = pytest.mark.e2e
t = translator("id")


def test_nik_clash_goes_to_the_team_not_merged(emulator: BotApiEmulator, deployment: Deployment) -> None:
    answers = fixture_answers("pendataan", "full")
    listed = deployment.tmp / "do.csv"
    with listed.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["NO", "NIK", "NAMA LENGKAP", "L/P", "TANGGAL LAHIR", "DESA", "KECAMATAN"])
        out.writerow([1, "'" + answers["1.2.nik"], "Joko Susilo", "L", "05/03/2012", "Kutorojo", "Kajen"])
    deployment.cli("import", str(listed), "--region", "33.26")
    deployment.start()
    camat = emulator.user(2401, "Pak Camat")
    deployment.enrol(camat, "tim_kecamatan", "33.26.08")
    volunteer = emulator.user(2402, "Siti")
    deployment.enrol(volunteer, "pendata", "33.26.08")
    volunteer.send("/isi pendataan")
    form = Volunteer(volunteer, engine("pendataan"))
    form.fill(answers)  # Siti Aminah, a girl, with the NIK the list gave Joko
    form.submit()
    volunteer.wait_text(t(CR.SUBMITTER_NOTICE)[:30])
    notice = camat.wait_text(t(CR.CLASH_NOTICE)[:30])
    assert "Joko Susilo" in notice.text and "Siti Aminah" in notice.text and answers["1.2.nik"] not in notice.text
    camat.press(t(CR.APART))
    camat.wait_text(t(C.DECIDED["apart"], number=1, name="Joko Susilo"))
    db = deployment.database()
    with db.read() as session:
        children = {c.name: c for c in session.scalars(select(Child))}
        assert set(children) == {"Joko Susilo", "Siti Aminah"}
        assert children["Joko Susilo"].nik_hash is not None and children["Siti Aminah"].nik_hash is None
        forms = {r.instrument: r.child_id for r in session.scalars(select(Response))}
        assert forms["pendataan"] == children["Siti Aminah"].id  # nothing joined Joko's record
        assert session.scalar(select(IdentityConflict.status)) == "kept_apart"
        actions = [a.action for a in session.scalars(select(AuditLog))]
        assert "identity.conflict" in actions and "identity.apart" in actions
    db.dispose()
