"""Every text the reports show a person, as Babel message ids (English; translated in ``locales/``).

Functions here never format text for a language themselves: the recap renders with a
:class:`core.i18n.Translator`; import errors, risk reasons and reconciliation matches carry message ids with
parameters, so whoever shows them (the bot, the command line) translates them.
"""

from __future__ import annotations

from flows.messages import N_
from flows.schema import FieldClass

# -- recap text --------------------------------------------------------------------------------------------
RECAP_TITLE = N_("ATS recap · {region} · {date}")
RECAP_EMPTY = N_("No child is recorded in {region} yet.")
RECAP_TOTAL = N_("Children: {total} (boys {boys}, girls {girls})")
RECAP_AWAITING_CHECK = N_("Awaiting kecamatan check: {count} verified children (not yet in the kabupaten's counts)")
RECAP_CATEGORIES = N_("Never schooled {never} · dropped out {dropped} · did not continue {not_continued}")
RECAP_STATUS = N_("Status: {list}")
RECAP_AGES = N_("Age 7–12: {young} · 13–15: {middle} · 16–18: {old}")
RECAP_REASONS = N_("Main reasons: {list}")
RECAP_AREAS = N_("Most children: {list}")
RECAP_TARGET = N_("Back in school in {year}: {done} of the target {target} ({percent}%)")
RECAP_NO_TARGET = N_("Back in school in {year}: {done} (no target set)")
RECAP_QUARTER = N_("{quarter}: still in school {still}, dropped out again {dropped}")
RECAP_QUARTER_NAME = N_("Q{number} {year}")
RECAP_AT_RISK = N_("At risk of dropping out again: {count}")
RECAP_AT_RISK_NONE = N_("No pupil is flagged at risk of dropping out again.")
RECAP_AT_RISK_ITEM = N_("• {name} ({reference}): {reasons}")
RECAP_MORE = N_("…and {count} more.")
NATIONAL = N_("all regions")
REFERRALS_LINE = N_("Referrals: {list}")
REFERRALS_ITEM = N_("{agency} {total} (open {open}, done {done}, overdue {overdue})")
ASSISTANCE_LINE = N_("Assistance: {list}")
ASSISTANCE_ITEM = N_("{programme}: {children} children, {approved} approved, Rp{paid} disbursed")
PROGRAMME_LIST_NOT_ALLOWED = N_("Only the kabupaten team of this kabupaten (or the administrator) may take this list.")
AREA_WITHOUT_DESA = N_("{region} (desa not known)")

# -- chart ---------------------------------------------------------------------------------------------------
CHART_STATUS = N_("Cases by status")
CHART_CATEGORY = N_("ATS category by sex")
CHART_AGE = N_("Age group by sex")
CHART_REASONS = N_("Reasons for not being in school")
CHART_AREAS = N_("Villages with the most children")
CHART_TARGET = N_("Back in school against the yearly target")
CHART_QUARTERS = N_("Every quarter: still in school or dropped out again")
CHART_NO_DATA = N_("no data yet")
CHART_OTHERS = N_("{count} others")
BOYS = N_("Boys")
GIRLS = N_("Girls")
SEX_UNKNOWN = N_("Sex unknown")
RETURNED = N_("Back in school")
TARGET = N_("Target")
STILL_IN_SCHOOL = N_("Still in school")
DROPPED_AGAIN = N_("Dropped out again")

CATEGORY_LABELS = {
    "1": N_("never schooled"),
    "2": N_("dropped out"),
    "3": N_("did not continue"),
    None: N_("category unknown"),
}
"""ATS categories of Bab I.C.1 under their Pendataan 3.6 / Rekonfirmasi D.4 codes."""

AGE_GROUP_LABELS = {
    "7-12": N_("7–12 years"),
    "13-15": N_("13–15 years"),
    "16-18": N_("16–18 years"),
    "under-7": N_("under 7"),
    "over-18": N_("over 18"),
    "unknown": N_("age unknown"),
}


# -- early warning (Lampiran 7, Bab IV) -----------------------------------------------------------------------
RISK_ABSENCE = N_("absent more than half of the school days")
RISK_BULLYING = N_("bullied at school")
RISK_COST = N_("school costs are a burden")
RISK_LEARNING = N_("struggles to follow the lessons")
RISK_WONT_CONTINUE = N_("says they will not continue school")
RISK_UNSURE = N_("unsure about continuing school")
RISK_LOW_GRADES = N_("low marks")
RISK_NO_PARENT_SUPPORT = N_("no support from the parents")
RISK_DISABILITY = N_("disability without accessible facilities or transport")
RISK_NOT_SHOWN = N_("a reason only the pendamping sees")
RISK_LONG_TRAVEL = N_("an hour or more to school")
RISK_LARGE_POOR_FAMILY = N_("many siblings and a low family income")
RISK_LOW_PARENT_EDUCATION = N_("parents with at most primary schooling")
ALERT_TEXT = N_("Early warning: {name} ({reference}) may drop out again: {reasons}. Please visit the child, the family and the school soon.")

# -- import (Lampiran 2) --------------------------------------------------------------------------------------
IMPORT_UNREADABLE = N_("The file cannot be read as XLSX or CSV: {error}")
IMPORT_CHECK_STOPPED = N_("The check of the file stopped before its end (exit code {code}): nothing was saved. Please send the file again.")
IMPORT_TOO_LARGE = N_("The file is too large once unpacked (more than {limit} MB). Split the list into smaller files.")
IMPORT_ZIP_BOMB = N_("The file is not a normal spreadsheet: {name} unpacks to {ratio} times its size. Save it again from "
                     "Excel or LibreOffice, or send it as CSV.")
IMPORT_TOO_MANY_ROWS = N_("The list has more than {limit} rows. Split it into smaller files.")
IMPORT_TOO_MANY_COLUMNS = N_("A row has more than {limit} columns: is this the Format Pendataan ATS?")
IMPORT_TOO_MANY_CELLS = N_("The list has more than {limit} filled cells. Split it into smaller files.")
IMPORT_TOO_MANY_STRINGS = N_("The workbook holds too much text (more than {limit} different texts or {megabytes} MB of them). "
                             "Split the list into smaller files.")
IMPORT_TOO_MANY_SHEETS = N_("The workbook has more than {limit} sheets. Keep the list in one of a few sheets.")
IMPORT_NO_HEADER = N_("No header row of the Format Pendataan ATS found (NO, NIK, NAMA LENGKAP, …, DESA, KECAMATAN).")
IMPORT_MISSING_COLUMNS = N_("Missing column(s): {columns}")
IMPORT_EMPTY = N_("The file has no data rows.")
IMPORT_REQUIRED = N_("required, but empty")
IMPORT_TOO_LONG = N_("too long: at most {limit} characters, this one has {length}")
IMPORT_BAD_DATE = N_('not a date: "{value}" (write DD/MM/YYYY)')
IMPORT_FUTURE_DATE = N_('"{value}" is in the future')
IMPORT_BAD_NIK = N_('not a valid NIK: "{value}" (16 digits)')
IMPORT_BAD_NISN = N_('not a valid NISN: "{value}" (10 digits)')
IMPORT_BAD_SEX = N_('write L or P, not "{value}"')
IMPORT_UNKNOWN_DESA = N_('no desa "{value}" in {scope}')
IMPORT_UNKNOWN_KECAMATAN = N_('no kecamatan "{value}" in {scope}')
IMPORT_AMBIGUOUS_DESA = N_('there is a desa "{value}" in several kecamatan: fill in KECAMATAN')
IMPORT_OUT_OF_SCOPE = N_('region {value} is outside {scope}')
IMPORT_BAD_CATEGORY = N_('unknown category "{value}" (1 never schooled, 2 dropped out, 3 did not continue)')
IMPORT_BAD_YEAR = N_('not a year: "{value}"')
IMPORT_BAD_NUMBER = N_('write digits only, not "{value}"')
IMPORT_NIK_EXCEL = N_('"{value}" is a NIK damaged by Excel (stored as a number, its last digits are lost). In Excel select '
                      'the NIK column, Format Cells → Text, type or paste the NIKs again, save and send the file again.')
IMPORT_NOT_ALLOWED = N_("Only the kabupaten team may import lists into {scope}.")
# warnings: the row is imported
IMPORT_AGE = N_("{age} years old: ATS are 7 to 18 years old")
IMPORT_NIK_DATE = N_("the NIK says born {nik_date}")
IMPORT_MASKED_NIK = N_('"{value}" is a masked NIK (from an export): the child is matched by name, birth date and desa')
IMPORT_DUPLICATE_ROW = N_("same child as row {row}: merged")
IMPORT_NIK_CLASH = N_("same NIK as row {row}, but another name or sex: kept apart for the team to review")
IMPORT_OTHER_CHOICE = N_('"{value}" kept as "Lainnya"')
IMPORT_UNKNOWN_CHOICE = N_('"{value}" is not an option of the form: kept as written')
# summaries
IMPORT_DONE = N_("Imported {rows} rows: {created} new children, {merged} merged with children already recorded.")
IMPORT_DRY_RUN = N_("Checked {rows} rows: {created} would be new children, {merged} would be merged. Nothing was saved.")
IMPORT_REJECTED = N_("File rejected, nothing was saved: {count} problem(s). Correct them and send the file again.")
IMPORT_PROGRESS_CHECK = N_("Checking the list: {done} rows…")
IMPORT_PROGRESS_SAVE = N_("Saving: {done} of {total} rows ({percent}%)…")
IMPORT_PROGRESS_BOTH = N_("Checking the list: {checked} rows, {saved} saved…")
IMPORT_ROW_PROBLEM = N_("row {row}, {column}: {problem}")
IMPORT_WARNINGS = N_("Notes ({count}):")
IMPORT_CONFLICTS = N_("{count} row(s) carry the NIK of another child with another name or sex: not merged, kept apart "
                      "for review (ats-bot cases conflicts, or /konflik in chat).")

# -- reconciliation -------------------------------------------------------------------------------------------
MATCH_BY = {
    "nik": N_("by NIK"),
    "nisn": N_("by NISN"),
    "name+birth_date": N_("by name and birth date"),
}
RECONCILE_MATCH = N_("{name} ({reference}) is enrolled at {school}, class {class_level} ({how}): confirm back in school?")
RECONCILE_NONE = N_("No child of the ATS list was found in the enrolment file.")
RECONCILE_NO_COLUMNS = N_("No NIK, NISN or name and birth date columns found in the enrolment file.")

# -- export ---------------------------------------------------------------------------------------------------
EXPORT_NOT_ALLOWED = N_("Only the teams may export the data of {scope}.")
EXPORT_FULL_NIK_NOT_ALLOWED = N_("Full NIKs are exported only for the kabupaten team, to reconcile with Dapodik or Disdukcapil. Export without a reason to get the masked NIKs.")
EXPORT_UNKNOWN_INSTRUMENT = N_('No form "{name}".')

RISK_FIELD_CLASSES = {RISK_DISABILITY: FieldClass.HEALTH}
"""Risk reasons that reveal a field class of ``core.visibility`` (not named where that class is hidden)."""
