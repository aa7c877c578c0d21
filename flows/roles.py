"""The roles code reads questions by: each name, what it means and which instruments must bind it.

Workflow, reports, the dashboard and the bot never name a paper code (``3.6``, ``K.1``): they ask an
instrument for the question it binds to a role (``flows.loader.bound("pendataan", "category")``). Each
instrument file declares its roles under ``bindings:`` (the child's identity stays under ``subject:``, which
storage links by), and the loader refuses a file whose bindings name an unknown role or question, or that
lacks a role listed here as required for it. A district may reword or renumber a form: only its YAML changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    """What a bound question means, and the instruments code reads it from (so they must bind it)."""

    meaning: str
    required_by: tuple[str, ...] = ()


_CHILD_FORMS = ("pendataan", "rekonfirmasi")
_LETTERS = ("kesediaan", "pemilihan-sekolah")

ROLES: Mapping[str, Role] = {
    # -- the child's identity (declared under subject:) ------------------------------------------------------
    "name": Role("the child's name", ("pendataan", "rekonfirmasi", "monitoring", "kesediaan", "pemilihan-sekolah", "usulan")),
    "nik": Role("the child's NIK", (*_CHILD_FORMS, "pemilihan-sekolah")),
    "nisn": Role("the child's NISN", (*_CHILD_FORMS, "pemilihan-sekolah")),
    "sex": Role("the child's sex", ("pendataan", *_LETTERS)),
    "birth_place": Role("the child's place of birth", ("pendataan", *_LETTERS)),
    "birth_date": Role("the child's date of birth", ("pendataan", *_LETTERS)),
    "kecamatan": Role("the kecamatan the child lives in (a region code)", ("pendataan", "usulan")),
    "desa": Role("the desa the child lives in (a region code, or a typed name in older answers)", (*_CHILD_FORMS, "usulan")),
    "address": Role("the child's street address", ("pendataan", *_LETTERS, "usulan")),
    # -- about the child -------------------------------------------------------------------------------------
    "has_nik": Role("whether the child has a NIK (code 1: yes, the number follows)", ("pendataan",)),
    "has_nisn": Role("whether the child has a NISN (code 1: yes, the number follows)", ("pendataan",)),
    "rt": Role("the RT of the child's address", ("pendataan",)),
    "rw": Role("the RW of the child's address", ("pendataan",)),
    "religion": Role("the child's religion", (*_CHILD_FORMS, *_LETTERS)),
    "marital_status": Role("the child's marital status", _CHILD_FORMS),
    "occupation": Role("the child's occupation", _CHILD_FORMS),
    "last_education": Role("the child's last completed schooling", (*_CHILD_FORMS, *_LETTERS)),
    "previous_npsn": Role("the NPSN of the child's last school", ("pemilihan-sekolah",)),
    "father_name": Role("the father's name", _CHILD_FORMS),
    "father_occupation": Role("the father's occupation", _CHILD_FORMS),
    "mother_name": Role("the mother's name", _CHILD_FORMS),
    "mother_occupation": Role("the mother's occupation", _CHILD_FORMS),
    "category": Role("the ATS category (1 never schooled, 2 dropped out, 3 did not continue)", _CHILD_FORMS),
    "reasons": Role("why the child left school (select one or several)", _CHILD_FORMS),
    "year_left": Role("the year the child left school", ("pendataan",)),
    "previous_school": Role("the name of the child's last school", ("pendataan",)),
    "home_location": Role("GPS of the child's home", ("rekonfirmasi", "usulan")),
    "members": Role("the repeat group of a household's members", ("rumah-tangga",)),
    # -- a proposal by anyone (usulan) ---------------------------------------------------------------------
    "estimated_age": Role("the child's age as the proposer guesses it", ("usulan",)),
    "note": Role("what the proposer knows about the child", ("usulan",)),
    "photo": Role("a photo of the child or the house", ("usulan",)),
    # -- the parent (Surat Pernyataan Kesediaan, Pemilihan Satuan Pendidikan) ------------------------------
    "parent_name": Role("the parent's or guardian's name", _LETTERS),
    "parent_nik": Role("the parent's or guardian's NIK", ("pemilihan-sekolah",)),
    "parent_birth_place": Role("the parent's place of birth", _LETTERS),
    "parent_birth_date": Role("the parent's date of birth", _LETTERS),
    "parent_occupation": Role("the parent's occupation", _LETTERS),
    "parent_religion": Role("the parent's religion", _LETTERS),
    "parent_address": Role("the parent's address", _LETTERS),
    "parent_phone": Role("the parent's phone number", ("pemilihan-sekolah",)),
    # -- willingness (Lampiran 8) -----------------------------------------------------------------------------
    "willingness": Role("whether the parents will (keep) send the child to school", ("kesediaan", "pendampingan")),
    "reason_not_willing": Role("why the parents are not willing", ("kesediaan",)),
    "what_would_help": Role("what would help undecided parents decide", ("kesediaan",)),
    "programme_year": Role("the programme year the letter is for", ("kesediaan",)),
    "signed_place": Role("where the letter was signed", ("kesediaan",)),
    "signed_date": Role("the day the letter was signed", ("kesediaan",)),
    # -- the school chosen and the return (Lampiran 9, back in school) ------------------------------------
    "pathway": Role("formal school or PKBM (code 1 formal, 2 nonformal)", ("pemilihan-sekolah",)),
    "formal_level": Role("the level of a formal school (SD, SMP, ...)", ("pemilihan-sekolah",)),
    "nonformal_level": Role("the PKBM package (Paket A, B, C)", ("pemilihan-sekolah",)),
    "school_name": Role("the name of the chosen school or PKBM", ("pemilihan-sekolah",)),
    "school_npsn": Role("the NPSN of the chosen school, or of the school the child is back in", ("pemilihan-sekolah", "kembali-sekolah")),
    "school_address": Role("the address of the chosen school", ("pemilihan-sekolah",)),
    "school_head": Role("the name of the head of the chosen school", ("pemilihan-sekolah",)),
    "class_level": Role("the class or PKBM level the child enters", ("pemilihan-sekolah", "kembali-sekolah")),
    "year_entered": Role("the year the child entered the school", ("kembali-sekolah",)),
    # -- a pendamping's visit (Catatan Hasil Pendampingan) ------------------------------------------------
    "visit_date": Role("the day of the visit", ("pendampingan",)),
    "situation": Role("the child's situation now (4 dropped out again, 5 moved away)", ("pendampingan",)),
    # -- monthly monitoring (Lampiran 6) --------------------------------------------------------------------
    "still_in_school": Role("whether the child is still in school (1 yes, 2 no)", ("monitoring",)),
    "absence_band": Role("the share of days absent last semester, as a band (2: more than 50 %)", ("monitoring",)),
    "average_mark": Role("the average mark at the end of the semester (0-100)", ("monitoring", "indikator-risiko")),
    "obstacles": Role("the obstacles the child meets at school (select several)", ("monitoring",)),
    "bullying_count": Role("how often the child was bullied last semester (1: never)", ("monitoring",)),
    "will_continue": Role("whether the child will carry on despite obstacles", ("monitoring",)),
    "dropout_date": Role("when the child dropped out again", ("monitoring",)),
    "dropout_reasons": Role("why the child dropped out again (select several)", ("monitoring",)),
    "parent_support": Role("the parents' support (select several; 1: none)", ("monitoring",)),
    # -- the nine key indicators (Lampiran 7) ---------------------------------------------------------------
    "days_absent": Role("days absent this semester (a)", ("indikator-risiko",)),
    "school_days": Role("school days this semester (H)", ("indikator-risiko",)),
    "absence_percent": Role("days absent as a percentage (A = a/H x 100)", ("indikator-risiko",)),
    "travel_hours": Role("the hours of the way to school", ("indikator-risiko",)),
    "travel_minutes": Role("the minutes of the way to school", ("indikator-risiko",)),
    "siblings": Role("the number of siblings", ("indikator-risiko",)),
    "parent_education": Role("the parents' last schooling", ("indikator-risiko",)),
    "parent_income": Role("the parents' income a month", ("indikator-risiko",)),
    "attitude_mark": Role("the non-academic (attitude) mark", ("indikator-risiko",)),
    "disability": Role("the child's disability status", ("indikator-risiko",)),
    "disability_support": Role("the disability support the school has (select several)", ("indikator-risiko",)),
    "accessible_transport": Role("whether the child's transport to school is accessible", ("indikator-risiko",)),
}


def required_roles(instrument: str) -> list[str]:
    """The roles code reads from ``instrument``, in registry order."""
    return [name for name, role in ROLES.items() if instrument in role.required_by]


def check_read(instrument: str, role: str) -> None:
    """Refuse to read a role the registry does not list for ``instrument``: only listed roles are checked at load,
    so reading another one could fail on a district's form in the middle of a chat or a report."""
    known = ROLES.get(role)
    if known is None or instrument not in known.required_by:
        raise LookupError(f"code reads the role {role!r} of {instrument!r}, which flows/roles.py does not list for it: "
                          "add the instrument to the role's required_by")
