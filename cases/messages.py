"""Every message the case workflow gives a person, as Babel message ids (English; translated in ``locales/``).

The domain never formats text itself: it raises or returns a message id with its parameters, and whoever
renders it (the bot, the command line) translates it. Parameters named ``status`` and ``action`` hold a
*status* or *event* name; translate them with :data:`STATUS_LABELS` / :data:`ACTION_LABELS` first (see
:meth:`cases.lifecycle.Refusal.render` and :meth:`cases.service.CaseError.render`).
"""

from __future__ import annotations

from flows.messages import N_

# -- refusals of the lifecycle --------------------------------------------------------------------------------
ILLEGAL_MOVE = N_('This case is "{status}": "{action}" is not possible now.')
CLOSED_CASE = N_('This case is closed ("{status}"): "{action}" is no longer possible.')
UNKNOWN_ACTION = N_('Unknown case action "{action}".')
UNKNOWN_STATUS = N_('Unknown case status "{status}".')

STATUS_LABELS = {
    "proposed": N_("proposed"),
    "recorded": N_("recorded"),
    "verified": N_("verified"),
    "not_valid": N_("not valid"),
    "accompanied": N_("accompanied"),
    "willing": N_("parent willing"),
    "not_willing": N_("parent not willing"),
    "undecided": N_("parent undecided"),
    "school_chosen": N_("school chosen"),
    "back_in_school": N_("back in school"),
    "monitored": N_("monitored"),
    "graduated": N_("graduated"),
    "dropped_out_again": N_("dropped out again"),
    "moved_away": N_("moved away"),
    "aged_out": N_("aged out"),
}
"""What a person reads for a status (e.g. in ``/kasus`` or in :data:`ILLEGAL_MOVE`)."""

ACTION_LABELS = {
    "record": N_("Take for verification"),
    "verify": N_("Confirm as valid"),
    "reject": N_("Declare not valid"),
    "assign": N_("Assign a pendamping"),
    "reassign": N_("Hand over to another pendamping"),
    "add_source": N_("Record another source"),
    "accept_check": N_("Accept (kecamatan check)"),
    "return_check": N_("Return to the desa team"),
    "accept_school": N_("School accepts the child"),
    "refuse_school": N_("School refuses the child"),
    "consent_willing": N_("Record: parent willing"),
    "consent_not_willing": N_("Record: parent not willing"),
    "consent_undecided": N_("Record: parent undecided"),
    "choose_school": N_("Record the chosen school"),
    "enrol": N_("Record back in school"),
    "monitor": N_("Record monitoring"),
    "graduate": N_("Record graduation"),
    "drop_out": N_("Record dropped out again"),
    "return_to_accompaniment": N_("Back to accompaniment"),
    "move_away": N_("Record moved away"),
    "age_out": N_("Record aged out"),
}
"""What a person reads for an event: short imperative phrases, usable as button labels (``Refusal.allowed``)."""

CHECK_PROBLEMS = {
    "no_birth_date": N_("no birth date"),
    "no_address": N_("no address"),
    "no_nik": N_("no NIK"),
    "duplicate": N_("same name and birth date twice"),
    "age": N_("age outside 7–18"),
}
"""What the kecamatan's completeness check points out in a desa's list (:mod:`cases.checks`)."""

# -- refusals of the service ----------------------------------------------------------------------------------
NOT_THE_SCHOOL = N_("Only the chosen school's operator (or the kecamatan team, when the school has none) can answer for the school.")
SCHOOL_ALREADY_ANSWERED = N_("The school has already answered about this choice.")
CASE_NOT_FOUND = N_("There is no case {reference}.")
ALREADY_TAKEN = N_("Proposal {reference} has already been taken by {name}.")
REASON_REQUIRED = N_('Give a reason for "{action}".')
NAME_REQUIRED = N_("Write the child's name.")
NAME_TOO_LONG = N_("The name is too long: at most {max} characters.")
NOTE_TOO_LONG = N_("The note is too long: at most {max} characters.")
AGE_RANGE = N_("KUDU Sekolah follows children aged {min} to {max}; {age} is outside that range.")
DISTRICT_NOT_LOADED = N_("The kabupaten of {code} is not loaded: ask the administrator to run `ats-bot regions load`.")
UNKNOWN_VILLAGE = N_("{code} is not a known village (desa or kelurahan).")
BAD_LOCATION = N_("Latitude must be between -90 and 90 and longitude between -180 and 180.")
UNKNOWN_PERSON = N_("That person is not registered.")
NOT_A_PENDAMPING = N_("{name} is not a pendamping or team member for this village.")
WRONG_FORM = N_("Form {reference} is a {instrument} form, not {expected}.")
FORM_OF_OTHER_CASE = N_("Form {reference} belongs to another case ({other}).")
FORM_INCOMPLETE = N_("Form {reference} has no answer to {question}.")
UNKNOWN_SCHOOL = N_("There is no school with NPSN {npsn} in the school list.")
CLASS_REQUIRED = N_('Write the class, for example "Kelas 7" or "Paket B Tingkatan III".')
YEAR_RANGE = N_("The year must be between {min} and {max}.")
NOT_WILLING_NO_LETTER = N_("The statement of willingness can only be printed for a parent who is willing.")
DUPLICATE_FOUND = N_("This child may already be followed: {references}.")
SAME_CASE = N_("A case cannot be a duplicate of itself.")

# -- the school list ------------------------------------------------------------------------------------------
IMPORT_NOT_UTF8 = N_('The file is not UTF-8 text. Save it from the spreadsheet as "CSV UTF-8".')
IMPORT_MISSING_COLUMNS = N_("Missing columns: {columns}. Needed: NPSN, NAMA, JENJANG, STATUS, ALAMAT and KODE_WILAYAH or KECAMATAN.")
IMPORT_EMPTY = N_("The file has no schools.")
IMPORT_FAILED = N_("Nothing was imported: the file has {count} errors.")
IMPORT_DONE = N_("Schools added: {created}; updated: {updated}.")
ROW_NPSN = N_('Row {row}: NPSN "{value}" must be 8 digits, or P and 7 digits for a PKBM.')
ROW_NPSN_REPEATED = N_("Row {row}: NPSN {value} is already in row {first}.")
ROW_NAME = N_("Row {row}: NAMA is empty or longer than 200 characters.")
ROW_LEVEL = N_('Row {row}: JENJANG "{value}" is not one of {allowed}.')
ROW_STATUS = N_('Row {row}: STATUS "{value}" must be negeri or swasta.')
ROW_REGION = N_('Row {row}: KODE_WILAYAH "{value}" is not a known region.')
ROW_NO_REGION = N_("Row {row}: give KODE_WILAYAH or KECAMATAN.")
ROW_KECAMATAN = N_('Row {row}: kecamatan "{value}" is not known in {scope}.')
ROW_KECAMATAN_AMBIGUOUS = N_('Row {row}: there are several kecamatan "{value}"; give the kabupaten (--scope) or KODE_WILAYAH.')
ROW_OUTSIDE_SCOPE = N_("Row {row}: region {value} is outside {scope}.")

# -- what the bot may tell people (the lead decides where) ----------------------------------------------------
PROPOSAL_THANKS = N_("Thank you. Proposal {reference} was sent to the village team; you will be told whether it is valid.")
PROPOSAL_NOTICE = N_("New proposal {reference}: {name}, about {age} years old, {village}.")
TAKE_PROPOSAL = N_("I will check it")
PROPOSAL_TAKEN = N_("{name} is checking proposal {reference}.")
PROPOSAL_VALID = N_("Proposal {reference} ({name}) was checked: it is valid. The village team will help the child back to school. Thank you!")
PROPOSAL_NOT_VALID = N_("Proposal {reference} ({name}) was checked and is not valid: {reason}. Thank you for caring.")
PROPOSAL_ALREADY_KNOWN = N_("Proposal {reference} ({name}) was checked: the child is already being accompanied. Thank you!")
ASSIGNED_TO_YOU = N_("You are now the pendamping of {name} ({reference}).")

SUMMARY_NIK = N_("NIK")
SUMMARY_AGE = N_("Age")
SUMMARY_AGE_YEARS = N_("{age} years")
SUMMARY_AGE_ABOUT = N_("about {age} years")
SUMMARY_SEX = N_("Sex")
SUMMARY_MALE = N_("male")
SUMMARY_FEMALE = N_("female")
SUMMARY_VILLAGE = N_("Village")
SUMMARY_ADDRESS = N_("Address")
SUMMARY_STATUS = N_("Status")
SUMMARY_PENDAMPING = N_("Pendamping")
SUMMARY_LAST_VISIT = N_("Last visit")
SUMMARY_SCHOOL = N_("School")
SUMMARY_SCHOOL_CHOSEN = N_("{school} (chosen)")
SUMMARY_NONE = N_("none yet")

# -- referrals to other agencies (Bab II.D) and assistance (Bab III) ------------------------------------------
REFERRAL_STATUS = {
    "sent": N_("sent"),
    "accepted": N_("accepted by the agency"),
    "done": N_("done"),
    "refused": N_("refused by the agency"),
}
REFERRAL_NO_AGENCY = N_("Name the agency to refer to: {agencies}.")
REFERRAL_UNKNOWN_AGENCY = N_('"{agency}" is not an agency of this kabupaten\'s list: {agencies}.')
REFERRAL_BAD_DUE = N_('"{due}" is not a date. Write it like 20/12/2026, or a number of days like 14.')
REFERRAL_DUE_PAST = N_("The due date {due} has already passed: give a date from today on.")
REFERRAL_DUE_FAR = N_("The due date {due} is more than a year away: give a nearer date.")
REFERRAL_CLOSED_CASE = N_('Case {reference} is closed ("{status}"): it cannot be referred any more.')
REFERRAL_ALREADY_OPEN = N_("{reference} already has an open referral to {agency} (due {due}).")
REFERRAL_MOVE = N_('This referral is "{state}": it cannot become "{to}".')
REFERRAL_NOTE_REQUIRED = N_("Say why the agency refused (a short note).")
REFERRAL_NOT_FOUND = N_("There is no referral #{id}.")

ASSISTANCE_STATUS = {
    "proposed": N_("proposed"),
    "approved": N_("approved"),
    "refused": N_("not approved"),
    "disbursed": N_("disbursed"),
    "reported": N_("spending reported"),
}
ASSISTANCE_UNKNOWN_PROGRAMME = N_('"{programme}" is not a programme of this kabupaten: {programmes}.')
ASSISTANCE_NO_PROGRAMME = N_("Name the programme: {programmes}.")
ASSISTANCE_NOT_RETURNED = N_('Assistance is for children going back to school; case {reference} is "{status}".')
ASSISTANCE_ALREADY = N_("{reference} already has {programme} for {year}.")
ASSISTANCE_BAD_AMOUNT = N_('"{amount}" is not an amount in rupiah (for example 500000).')
ASSISTANCE_AMOUNT_NEEDED = N_("{programme} has no fixed amount for level {level}: give the amount in rupiah.")
ASSISTANCE_MOVE = N_('This assistance is "{state}": that step is not possible now.')
ASSISTANCE_NOT_VERIFIED = N_("The kecamatan (Korwil) has not verified this child yet: it cannot be disbursed.")
ASSISTANCE_RECEIPT_NEEDED = N_("The spending report needs a photo of the receipt.")
ASSISTANCE_NOT_FOUND = N_("There is no assistance #{id}.")
ASSISTANCE_NOTE_REQUIRED = N_("Say why it is not approved (a short note).")
HISTORY_REFERRAL = N_("Referral to {agency}: {step}")
HISTORY_ASSISTANCE = N_("{programme}: {step}")
ASSISTANCE_VERIFIED = N_("verified by the kecamatan")
