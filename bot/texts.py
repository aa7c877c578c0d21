"""The bot's own words (English message ids; Indonesian, English and Javanese in ``locales/``)."""

from __future__ import annotations

from flows.messages import N_

WELCOME = N_("Hello {name}! I help the village team find children who are not in school and bring them back.")
HELP_TITLE = N_("What I can do:")
HELP_SAVED = N_("Everything you answer is saved at once, even if the signal drops.")
CMD_START = N_("Start")
CMD_HELP = N_("Help")
CMD_CORRECTION = N_("Ask for your data to be corrected")
CMD_DELETION = N_("Withdraw your consent or ask for deletion")
CMD_CHECK = N_("Kecamatan: check the desa's verified cases")
CMD_PROPOSE = N_("Propose a child who is not in school")
CMD_FILL = N_("Fill a form")
CMD_CONTINUE = N_("Continue where you stopped")
CMD_DRAFTS = N_("Your unfinished forms")
CMD_CANCEL = N_("Stop the current form")
CMD_LANGUAGE = N_("Change the language")

CHOOSE_FORM = N_("Which form do you want to fill?")
UNKNOWN_FORM = N_("I do not know the form “{name}”. Choose one of these:")
STARTED = N_("{title} · started. Answer the questions one by one; you can stop at any time and continue later with /lanjut.")
RESUMED = N_("Continuing {title} ({label}, {answered}/{expected} answered).")
NO_DRAFT = N_("You have no unfinished form. Start one with /isi.")
DRAFTS = N_("Your unfinished forms:")
DRAFT_ITEM = N_("{title} · {label} · {answered}/{expected}")
UNNAMED = N_("no name yet")
CANCEL_ASK = N_("Stop filling {title} ({label})? What you typed is kept on record but the form will not be sent.")
CANCEL_YES = N_("Yes, stop")
CANCEL_NO = N_("No, continue")
CANCELLED = N_("Stopped. Start again with /isi when you are ready.")

BACK = N_("◀ Back")
SKIP = N_("Skip")
CANCEL = N_("✖ Cancel")
DONE = N_("Done")
YES = N_("Yes")
CHANGE = N_("Change")
OPTIONAL_HINT = N_("(optional)")
MULTI_HINT = N_("(you may choose more than one, then press Done)")
TYPE_HINT = N_("Type the answer.")
DATE_HINT = N_("Type the date, for example 05/03/2012.")
LOCATION_HINT = N_("Press “Send location” below (with GPS on), or type the coordinates like -7.0345, 109.5821.")
SEND_LOCATION = N_("📍 Send location")
PHOTO_HINT = N_("Send a photo (up to {max} MB).")
ANSWERED = N_("{header}: {value} ✓")
REGION_PICK_HINT = N_("Choose the {level} from the list, or type part of its name.")
REGION_PICK_MANY = N_("{count} places: the first are listed; type part of the name to find the {level}.")
REGION_RESULTS = N_("Places matching “{text}”:")
REGION_NOT_HERE = N_("{code} is not a {level} of {area}. Choose from the list, or type part of the name.")
REGION_NONE_FOUND = N_("No {level} called “{text}” here. Choose from the list, or type another part of the name.")
SCHOOL_PICK_HINT = N_("Choose the school from the district's list, or type part of its name or its NPSN to search.")
SCHOOL_RESULTS = N_("Schools in the district's list matching “{text}”:")
SCHOOL_USE_TYPED = N_("✎ Not in the list: use “{text}”")
SCHOOL_NOT_LISTED = N_("NPSN {npsn} is not in the district's school list. Choose a school below, or type part of its name to search.")
SCHOOL_NONE_FOUND = N_("No school in the district's list matches “{text}”. Try another part of the name, or its NPSN.")
CONFIRM_DATE = N_("{date} — {age} years old. Is that right?")
CONFIRM_DATE_PLAIN = N_("{date}. Is that right?")
NEEDS_A_CHOICE = N_("Please choose with the buttons, or type the number of the option.")
KEEP_ANYWAY = N_("Keep anyway")
FIX_THIS = N_("Fix {question}")
CHECK_AGAIN = N_("Please check again:")
QUESTION_CLOSED = N_("This question is already closed. Continue with the latest message.")
BUTTON_NOT_VALID = N_("This button does not work (any more). Use the buttons of the latest message.")
NOT_AN_ANSWER = N_("Stickers, files and contacts are not answers. Type the answer or use the buttons.")
PHOTO_FAILED = N_("The photo could not be received (weak signal?). Please send it again.")
NOT_A_PHOTO_FILE = N_("That file is not a photo. Please send a photo.")

REVIEW = N_("All questions are answered. Please check:")
REVIEW_MORE = N_("(continued)")
SUBMIT = N_("✅ Send")
EDIT = N_("✏️ Change an answer")
EDIT_ASK = N_("Type the number of the question to change, for example 1.4.")
EDIT_UNKNOWN = N_("“{code}” is not an answered question of this form. Type a number from the list, for example 1.4.")
SUBMITTED = N_("Saved · {reference}\nQuote this number if you call the team.")
SUBMIT_FAILED = N_("The form could not be saved yet: {reason}. Your answers are kept; press Send again later.")
NO_REGION = N_("your account has no village or kecamatan yet, and the form gives none")

LANGUAGE_ASK = N_("Choose your language:")
LANGUAGE_SET = N_("Language: {language}.")
DIDNT_UNDERSTAND = N_("I did not understand. Use /isi to fill a form or /help for help.")

# People, roles and personal data (UU PDP 27/2022)
JOINED = N_("Welcome! You are now registered as {role} for {region}.")
JOINED_PARENT = N_("Welcome! You are now linked to your child {child}. The accompaniment volunteer will guide you.")
INVITATION_REFUSED = {
    "unknown": N_("This invitation link is not valid. Please ask your team for a new one."),
    "used": N_("This invitation link has already been used. Please ask your team for a new one."),
    "expired": N_("This invitation link has expired. Please ask your team for a new one."),
    "other_role": N_("This link is meant for a child's parent and cannot be added to an account that already has another role. Nothing was changed; the person who sent the link has been told."),
    "other_family": N_("This link is meant for another family. Nothing was changed; the person who sent the link has been told."),
}
INVITATION_MISUSED = N_("⚠ Your invitation link for the parent of {child} was opened by {name} ({role}, {region}), who is not that family. Nothing was granted. If the link reached the wrong person, send the family a new one.")
NOT_ALLOWED = N_("Sorry, your account may not do this. If you think it should, contact your village team.")
NOT_REGISTERED = N_("You are not registered as a volunteer yet. Ask your village team for an invitation link. Anyone can propose a child who is not in school with /usul.")
INVITE_WHICH_ROLE = N_("Whom do you want to invite?")
INVITE_WHICH_REGION = N_("For which area?")
INVITE_WHICH_SCHOOL = N_("For which school? Choose it, or type part of its name or its NPSN to search.")
INVITE_NO_SCHOOL = N_("No school of your area in the district's list matches. The kabupaten team imports the list (ats-bot schools import).")
INVITE_READY = N_("Invitation for a {role} in {region}, valid for {days} days and usable once:\n{link}\nShare this link or the QR code only with that person.")
CMD_INVITE = N_("Invite a team member or volunteer")
CMD_MYDATA = N_("What the system holds about you")
MYDATA = N_(
    "What ATS Bot holds about you:\n"
    "Name: {name}\nRole: {role}\nArea: {region}\nLanguage: {language}\nRegistered: {since}\n"
    "Unfinished forms: {drafts}\nForms sent: {responses}\n"
    "To correct something, send /koreksi followed by what is wrong. To ask for deletion, send /hapus."
)
CORRECTION_ASK = N_("Write what should be corrected after the command, for example: /koreksi my name is Siti Aminah")
REQUEST_RECEIVED = N_("Your request was received (number {number}). The coordinator will handle it and tell you.")
REQUEST_FOR_TEAM = N_("Data request {number} from {name} ({role}, {region}): {kind}.\n{detail}\nHandle it with: ats-bot requests resolve {number}")
REQUEST_KIND = {"correction": N_("correction"), "deletion": N_("deletion")}

# Casework (issue 7: from a neighbour's tip to a child back in class)
CMD_CASES = N_("Your children (cases)")
CMD_ASSIGN = N_("Assign a pendamping")
PROPOSAL_SENT = N_("Thank you! Your proposal {reference} was passed to the village team. You will hear whether it was valid.")
NEW_PROPOSAL = N_("New proposal {reference}: {name}, about {age} years old, {village}.\n“{note}”\nWho will visit and verify it?")
TAKE = N_("I will verify")
TAKEN = N_("You took proposal {reference} ({name}, {village}). Visit the child and fill the Rekonfirmasi; it starts now.")
VERIFY_ASK = N_("Is proposal {reference} valid: a child aged 7–18 who is not in school?")
VALID = N_("Valid")
NOT_VALID = N_("Not valid")
REASON_ASK = N_("Why is it not valid? Write a short reason.")
VERIFIED = N_("Recorded: case {reference} is now “{status}”.")
VERDICT_VALID = N_("Your proposal {reference} was checked by the village team: valid. Thank you for caring!")
VERDICT_NOT_VALID = N_("Your proposal {reference} was checked by the village team: not valid ({reason}). Thank you for caring!")
VERDICT_DUPLICATE = N_("Your proposal {reference} was right: this child is already followed by the team ({existing}). Thank you!")
DUPLICATE_OFFER = N_("This child is already followed by case {existing}. Use that case instead?")
USE_EXISTING = N_("Use {reference}")
NO_CASES = N_("No cases to show here.")
CHOOSE_CASE = N_("Which child?")
AREA_CASES = N_("Cases in {region}: {total} (page {page} of {pages}). Which child?")
NO_SUCH_CASE = N_("There is no case {reference}. Case numbers look like ATS-3326-000142; a form receipt F-3326-000142 also finds its case.")
CHOOSE_PENDAMPING = N_("Who will accompany {name}?")
NO_PENDAMPING = N_("There is no pendamping registered in this kecamatan yet. Invite one with /undang.")
ASSIGNED = N_("{name} now accompanies {child} ({reference}).")
CASE_SUMMARY = N_(
    "{reference} · {name}\nStatus: {status}\nAge: {age} · Sex: {sex}\nNIK: {nik}\nVillage: {village}\nAddress: {address}\n"
    "Last visit: {last_visit}\nSchool: {school}"
)
YOU_ACCOMPANY = N_("You now accompany this child. Visit the family and log each visit (at least every 2 months).")
VISIT_LOG = N_("📝 Visit log")
INVITE_PARENT = N_("👪 Invite the parent")
RECORD_RETURN = N_("🏫 Back in school")
MONITORING = N_("📋 Monthly monitoring")
VISIT_LOGGED = N_("Visit of {date} logged for {reference}.")
PARENT_INVITATION = N_("Give this link (or let them scan the QR code) to the parent of {name}. It works once, for {days} days:\n{link}")
FILL_STATEMENT = N_("✍️ Statement of willingness")
CHOOSE_SCHOOL = N_("🏫 Choose the school")
CONSENT_RECORDED = N_("Recorded for {reference}: {status}. The statement is attached: print it, sign it over the stamp, and give it to the pendamping.")
PARENT_DECIDED = N_("The parent of {name} answered: {status}. The signed statement is attached.")
SCHOOL_RECORDED = N_("School choice recorded for {reference}. The form is attached for printing and signing.")
BACK_IN_SCHOOL = N_("{name} is back in school ({reference}). Monthly monitoring starts now.")
MONITORING_RECORDED = N_("Monitoring recorded for {reference}: {status}.")
ALREADY_FOLLOWED = N_("This child was already known (same NIK, or same name, birth date and kecamatan): your form was added to case {reference} instead of opening a second one.")
DECISION_RECORDED = N_("Recorded for {reference}: {status}. The pendamping will keep in touch with you.")
PARENT_DECIDED_NO_LETTER = N_("The parent of {name} answered: {status}. Keep accompanying the family.")

# Recaps, exports and early warning (issue 9)
CMD_RECAP = N_("Recap of your area")
CMD_EXPORT = N_("Export your area's data (XLSX)")
EXPORT_READY = N_("Data of {region} in the Format Pendataan ATS (Lampiran 2), with households, visits and status changes on their own sheets. This export is recorded in the audit log.")
RISK_INDICATORS = N_("Risk indicators")
CMD_TARGET = N_("Kabupaten: yearly targets")
CMD_CONFLICTS = N_("Teams: records that share a NIK, to decide")
TARGETS_OF = N_("Yearly targets of {region} (children to bring back to school):")
TARGET_LINE = N_("{year}: {count}")
TARGET_USAGE = N_("To set one, type /target YEAR CHILDREN, for example /target 2027 350 (/target 2027 - removes it).")
TARGET_REFUSED = {
    "region": N_("Targets are set for a kabupaten or kota."),
    "year": N_("That year is outside the programme's years."),
    "count": N_("That is not a plausible number of children."),
}
SCHOOL_ACCEPT = N_("✓ Accept")
SCHOOL_REFUSE = N_("✗ Cannot accept")
SCHOOL_ACCEPT_ASK = N_("The family of {name} ({reference}) chose {school}. Does the school accept the child? Your answer is recorded; accepting gives a short statement to print beside the parent's letter.")
SCHOOL_ACCEPTED = N_("Accepted: {name} ({reference}). The statement is attached.")
SCHOOL_ACCEPTED_PDF = N_("Statement of acceptance, to print and sign beside the parent's letter.")
SCHOOL_ACCEPTED_FOR_FAMILY = N_("{school} accepts {name}. The school's statement is attached: print it beside the parent's letter.")
SCHOOL_REFUSE_ASK = N_("Why can the school not accept the child? Type the reason; it goes to the pendamping, who will choose another school with the family.")
SCHOOL_REFUSED = N_("Recorded: the school cannot accept {reference}. The pendamping has been told.")
SCHOOL_REFUSED_FOR_PENDAMPING = N_("The chosen school cannot accept {name} ({reference}): {reason}. Please choose another school with the family.")
CHECK_NOTHING = N_("No verified case waits for the kecamatan's check.")
CHECK_CHOOSE_DESA = N_("Verified cases waiting for the kecamatan's check (complete? duplicates? plausible?). Choose a desa:")
CHECK_DESA_BUTTON = N_("{desa} ({count})")
CHECK_LIST = N_("{desa}: {count} verified cases to check. Accept them, or return one to the desa team with a note.")
CHECK_ACCEPT_ALL = N_("✓ Accept all ({count})")
CHECK_RETURN = N_("↩ Return {reference}")
CHECK_NOTE_ASK = N_("Why is {reference} returned? Type a note for the desa team (what to complete or correct).")
CHECK_RETURNED = N_("{reference} was returned to the desa team.")
CHECK_RETURNED_FOR_DESA = N_("The kecamatan returned {reference} for correction: {note}. Verify it again when it is complete.")
CHECK_ACCEPTED = N_("{count} cases of {desa} accepted: they now count for the kabupaten.")
CHECK_ACCEPTED_FOR_DESA = N_("The kecamatan checked {desa}: {count} cases accepted.")
ROSTER_NONE = N_("Nobody in this household is out of school: no case opened.")
ROSTER_CASES = N_("Out-of-school children in this household: {count}. The desa team will verify them.")
ROSTER_OPENED = N_("• {reference} · {name}: new case")
ROSTER_JOINED = N_("• {reference} · {name}: already followed, the roster was added to the case")
EXPORT_FULL_NIK = N_("Full NIKs included, for: {reason}. This export is recorded with its reason; keep the file safe and delete it when done.")
CMD_IMPORT = N_("Import a list of children (XLSX/CSV)")
IMPORT_ASK = N_("Send the list as an XLSX or CSV file in the Format Pendataan ATS (Lampiran 2) columns. Nothing is saved if any row has an error.")
IMPORT_DONE = N_("Imported {filename}: {rows} rows, {created} new children, {merged} already known (merged), {cases} cases opened.")
IMPORT_REJECTED = N_("{filename} was not imported: {count} problems. Nothing was saved. Fix these and send it again:")
IMPORT_PROBLEM = N_("row {row}, {column}: {message}")
NOT_A_LIST_FILE = N_("Please send the list as a file (XLSX or CSV).")

# -- privacy: the notice, a parent's consent by purpose, withdrawal (bot/privacy.py) --------------------------
PRIVACY_NOTICE = N_(
    "🔒 About the data: the answers are held by the ATS team of the kabupaten (Dinas Pendidikan) only to find "
    "children who are out of school and bring them back to school. Only the village team, the pendamping and the "
    "school that need them see them; NIKs are stored encrypted. They are kept while the child is accompanied and "
    "erased after the case is closed. Your rights: see your data with /dataku, correct it with /koreksi, withdraw "
    "your consent or ask for deletion with /hapus."
)
CONSENT_ASK = N_("Before the form about {child}: do you agree that ATS Bot records this data and uses it for these purposes?")
CONSENT_ALL = N_("✅ Yes: record it, share it with the chosen school, refer us to other agencies for help")
CONSENT_NO_REFERRAL = N_("✅ Record it and share it with the school only")
CONSENT_NONE = N_("✗ I do not agree")
CONSENT_GIVEN = N_("Thank you. Your consent is recorded for: {purposes}. You can withdraw it at any time with /dataku or /hapus.")
CONSENT_REFUSED = N_("Nothing was recorded. Your pendamping can explain the program; when you are ready, press the form's button again.")
PURPOSE_NAMES = {
    "collect": N_("recording the data to bring the child back to school"),
    "share_school": N_("sharing it with the chosen school"),
    "refer_agencies": N_("referral to other agencies for help"),
}
PURPOSE_NONE = N_("none")
MYDATA_CHILD = N_(
    "Your child {name} ({reference})\nStatus: {status}\nNIK: {nik}\nVillage: {village}\nAddress: {address}\n"
    "School: {school}\nYour consent: {consents}"
)
WITHDRAW_OFFER = N_("You can withdraw your consent: nothing more is recorded or shared for that child, and the team is told.")
WITHDRAW_FOR = N_("Withdraw consent for {child}")
CONSENT_WITHDRAWN = N_("Your consent is withdrawn ({purposes}). Nothing more is recorded or shared on that basis; the team has been told.")
CONSENT_WITHDRAWN_TEAM = N_("{name} withdrew their consent for the data of {child}: do not record or share more about the child on that basis.")
