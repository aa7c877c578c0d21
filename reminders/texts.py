"""The words of reminders (English message ids; Indonesian, English and Javanese in ``locales/``)."""

from __future__ import annotations

from flows.messages import N_

VISIT = N_(
    "🏠 Time for a visit: {child} ({village}). The last visit log is from {since}. "
    "Please visit the family and fill the visit log (Catatan Hasil Pendampingan)."
)
VISIT_FIRST = N_(
    "🏠 Time for a first visit: {child} ({village}), assigned to you on {since}; no visit is logged yet. "
    "Please visit the family and fill the visit log (Catatan Hasil Pendampingan)."
)
MONITORING_FIRST = N_(
    "📋 Monthly monitoring: {child} ({village}) is back in school since {since}; no monitoring is logged yet. "
    "Please check how the child is doing and fill the Monitoring form."
)
VISIT_FOLLOWUP_FIRST = N_(
    "⏰ Reminder: {child} ({village}) was assigned to you on {since} and no visit is logged yet. "
    "Please visit soon. If you cannot, ask for another pendamping."
)
MONITORING_FOLLOWUP_FIRST = N_(
    "⏰ Reminder: {child} ({village}) is back in school since {since} and no monitoring is logged yet. "
    "Please fill it soon. If you cannot, ask for another pendamping."
)
MONITORING = N_(
    "📋 Monthly monitoring: {child} ({village}) is back in school. The last monitoring is from {since}. "
    "Please check how the child is doing and fill the Monitoring form."
)
VISIT_FOLLOWUP = N_(
    "⏰ Reminder: the visit log for {child} ({village}) is still missing (the last one is from {since}). "
    "Please visit soon. If you cannot, ask for another pendamping."
)
MONITORING_FOLLOWUP = N_(
    "⏰ Reminder: the monitoring of {child} ({village}) is still missing (the last one is from {since}). "
    "Please fill it soon. If you cannot, ask for another pendamping."
)
ESCALATION_VISIT = N_(
    "⚠️ {child} ({village}) has had no visit log since {since}, and the pendamping {pendamping} did not respond "
    "to two reminders. Please follow up, or assign another pendamping."
)
ESCALATION_MONITORING = N_(
    "⚠️ {child} ({village}) has had no monitoring since {since}, and the pendamping {pendamping} did not respond "
    "to two reminders. Please follow up, or assign another pendamping."
)
ESCALATION_NO_PENDAMPING = N_(
    "⚠️ {child} ({village}) needs a visit or monitoring (the last log is from {since}), but has no pendamping "
    "the bot can reach. Please assign a pendamping, or visit yourself."
)
RECAP = N_(
    "📊 Recap {start} – {end}, {region}: {in_school} children back in school and still attending, "
    "{dropped} dropped out again, {accompanied} being accompanied, {graduated} graduated. "
    "Please discuss it at the kecamatan coordination meeting."
)
EVALUATION = N_(
    "🧭 Time for the evaluation (Bab IV) of {region}, {start} – {end}: {found} children found, "
    "{accompanied} being accompanied, {in_school} back in school, {dropped} dropped out again, "
    "{graduated} graduated. Please plan the evaluation with the kecamatan and village teams."
)
UNREACHABLE = N_(
    "📵 The bot can no longer reach {name} ({role}): they blocked the bot or left Telegram. "
    "Their reminders do not arrive. Please contact them, or give their children to another pendamping."
)
REASSIGN_REQUEST = N_(
    "🔁 {name} asks for {child} ({village}) to be accompanied by another pendamping. "
    "Please assign a new pendamping."
)

REFERRAL_DUE = N_(
    "📨 The referral of {child} ({village}) to {agency} was due on {due}. Has the agency answered? "
    "Record it with /rujukan {referral}."
)

BUTTON_FILL_VISIT = N_("📝 Fill the visit log")
BUTTON_FILL_MONITORING = N_("📝 Fill the monitoring")
BUTTON_SNOOZE = N_("⏰ Remind me later")
BUTTON_REASSIGN = N_("🔁 Ask for another pendamping")

# Confirmations the bot shows after a button press (see reminders.actions.describe).
SNOOZED = N_("All right. I will remind you again on {date}.")
REASSIGN_SENT = N_("The village team has been asked to assign another pendamping.")
REASSIGN_NOBODY = N_("I could not find a village team to ask. Please contact your coordinator.")
SNOOZE_LIMIT = N_("This reminder cannot be postponed any more.")
BUTTON_INVALID = N_("This button is no longer valid.")

UNKNOWN_NAME = N_("(unknown)")
