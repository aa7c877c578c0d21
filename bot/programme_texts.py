"""What the chat says about referrals, assistance and the kabupaten's lists (Babel message ids, English)."""

from __future__ import annotations

from flows.messages import N_

CMD_REFER = N_("refer a child to an agency (Disdukcapil, Dinsos, Puskesmas …)")
CMD_REFERRALS = N_("open referrals, and the agency's answer")
CMD_ASSISTANCE = N_("assistance for a child back in school: propose, verify, approve, disburse, report")
CMD_RECIPIENTS = N_("the recipients of assistance (XLSX)")
CMD_BUPATI_LIST = N_("the Bupati's list of the children to be handled (XLSX and PDF)")

REFER_USAGE = N_(
    "Write /rujuk and the case number, then choose the agency; or all in one line: "
    "/rujuk ATS-3326-000142 dinsos 14 no KIP yet (the due date in days or as a date, then the reason).\n"
    "Agencies: {agencies}"
)
REFER_CHOOSE_AGENCY = N_("Refer {name} ({reference}) to which agency?")
REFER_CHOOSE_DUE = N_("By when should {agency} have answered? Tap, or type a date (20/12/2026).")
DUE_DAYS = N_("in {days} days")
REFERRAL_SENT = N_("📨 Referral #{id}: {name} ({reference}) to {agency}, due {due}. If it is still open then, you will be reminded.")
REFERRAL_FOR_PENDAMPING = N_("📨 {name} ({reference}) was referred to {agency}, due {due}.")
REFERRALS_NONE = N_("There is no open referral.")
REFERRALS_TITLE = N_("Referrals ({count}):")
REFERRAL_LINE = N_("#{id} · {name} ({reference}) → {agency} · {status} · due {due}")
OVERDUE = N_("overdue")
BUTTON_ACCEPTED = N_("✓ #{id} accepted")
BUTTON_DONE = N_("✓ #{id} done")
BUTTON_REFUSED = N_("✗ #{id} refused")
REFERRAL_NOTE_ASK = N_("Why did {agency} refuse referral #{id}? Type a short note.")
REFERRAL_UPDATED = N_("Referral #{id} to {agency}: {status}.")
REFER_FROM_VISIT = N_("📨 Refer to an agency")

ASSISTANCE_USAGE = N_(
    "Propose assistance: /bantuan CASE-NUMBER PROGRAMME [amount in rupiah]. Programmes: {programmes}.\n"
    "/bantuan alone shows what waits for you."
)
ASSISTANCE_PROPOSED = N_(
    "💰 {programme} for {name} ({reference}), {year}: Rp{amount} proposed. The kecamatan verifies it, the "
    "kabupaten team decides."
)
ASSISTANCE_NONE = N_("Nothing about assistance waits for you.")
ASSISTANCE_TITLE = N_("Assistance ({count}):")
ASSISTANCE_LINE = N_("#{id} · {name} ({reference}) · {programme} Rp{amount} · {status}")
NOT_VERIFIED_YET = N_("not yet verified by the kecamatan")
BUTTON_VERIFY = N_("✓ #{id} verified")
BUTTON_APPROVE = N_("✓ #{id} approve")
BUTTON_NOT_APPROVE = N_("✗ #{id} do not approve")
BUTTON_DISBURSED = N_("💸 #{id} disbursed")
BUTTON_REPORT = N_("🧾 #{id} report spending")
ASSISTANCE_NOTE_ASK = N_("Why is #{id} not approved? Type a short note.")
ASSISTANCE_RECEIPT_ASK = N_("Send a photo of the receipt (kuitansi/nota) for #{id}: {programme} of {name}.")
ASSISTANCE_UPDATED = N_("#{id} {programme} for {name} ({reference}): {status}.")

RECIPIENTS_READY = N_("Recipients of assistance {year}, {region}: {count} children.")
BUPATI_USAGE = N_("Write /sk and the date of the Bupati's decree, for example /sk 01/12/2026: the deadline is two months after it.")
BUPATI_READY = N_("The Bupati's list for {region}: {count} children, to be handled by {deadline}.")
