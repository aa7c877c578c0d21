"""Declarative instrument schema: what a questionnaire file may say.

Instruments are data (YAML under ``flows/instruments``). This module only describes their shape with pydantic;
cross-references (jump targets, condition questions, choice lists) are checked in ``flows.validate`` so that
every error can name the instrument and the question id.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class QuestionType(str, Enum):
    """The kinds of question the engine can ask."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    NIK = "nik"
    NISN = "nisn"
    PHONE = "phone"
    SELECT_ONE = "select_one"
    SELECT_MULTIPLE = "select_multiple"
    PHOTO = "photo"
    LOCATION = "location"
    NOTE = "note"
    CALCULATE = "calculate"
    REPEAT = "repeat"


ALWAYS_PERSONAL = frozenset({QuestionType.NIK, QuestionType.PHONE, QuestionType.LOCATION})
"""Answers that identify or locate a person whatever the question says: they must be declared ``personal``."""
ANSWERABLE = frozenset(QuestionType) - {QuestionType.NOTE, QuestionType.CALCULATE, QuestionType.REPEAT}
SELECTS = frozenset({QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE})


class FieldClass(str, Enum):
    """What kind of personal data an answer is, for field visibility by role (``core.visibility``)."""

    IDENTITY = "identity"
    """Names, birth place and date, photos of a person."""
    NIK = "nik"
    """NIK, KK and NISN numbers: shown in full only in exports with a stated reason."""
    CONTACT = "contact"
    LOCATION = "location"
    """Street address, RT/RW, GPS (the desa and kecamatan are not: recaps are counted by them)."""
    HEALTH = "health"
    """Disability and functioning (Washington Group questions)."""
    FREE_TEXT = "free_text"
    """What someone typed about a family: reasons, notes, observations."""


TYPE_FIELD_CLASS = {QuestionType.NIK: FieldClass.NIK, QuestionType.NISN: FieldClass.NIK, QuestionType.PHONE: FieldClass.CONTACT,
                    QuestionType.LOCATION: FieldClass.LOCATION, QuestionType.PHOTO: FieldClass.IDENTITY}
"""The class a question of these types has unless the instrument's ``field_classes`` says otherwise."""
PERSONAL_CLASSES = frozenset({FieldClass.NIK, FieldClass.CONTACT})
"""Questions declared in these classes (KK numbers, contacts) must also be declared ``personal`` (encrypted)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Choice(_Strict):
    """One printed option: the guide's code and label."""

    code: str
    label: str
    other: bool = False
    """"Lainnya, sebutkan": choosing it asks a follow-up free text, id ``<question>.lainnya``."""
    exclusive: bool = False
    """In a select-multiple, this option cannot be combined with others (e.g. "Tidak ada kendala")."""

    @model_validator(mode="before")
    @classmethod
    def _code_as_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("code"), int):
            data = {**data, "code": str(data["code"])}
        return data


class Condition(_Strict):
    """A test on earlier answers; exactly one operator per node.

    ``q`` names the question; inside a repeat group a sibling id means the same instance.
    """

    q: str | None = None
    is_: str | None = Field(default=None, alias="is")
    in_: list[str] | None = Field(default=None, alias="in")
    has: str | None = None
    has_any: list[str] | None = None
    answered: bool | None = None
    gte: float | None = None
    lte: float | None = None
    gt: float | None = None
    lt: float | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="before")
    @classmethod
    def _codes_as_text(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("is", "has"):
                if isinstance(data.get(key), int):
                    data[key] = str(data[key])
            for key in ("in", "has_any"):
                if isinstance(data.get(key), list):
                    data[key] = [str(v) for v in data[key]]
        return data

    @model_validator(mode="after")
    def _one_operator(self) -> Condition:
        leaf = [k for k in ("is_", "in_", "has", "has_any", "answered", "gte", "lte", "gt", "lt") if getattr(self, k) is not None]
        branch = [k for k in ("all", "any", "not_") if getattr(self, k) is not None]
        if len(leaf) + len(branch) != 1:
            raise ValueError("a condition needs exactly one operator (is, in, has, has_any, answered, gte, lte, gt, lt, all, any, not)")
        if leaf and not self.q:
            raise ValueError(f"condition operator {leaf[0].rstrip('_')!r} needs 'q', the question it tests")
        if branch and self.q:
            raise ValueError("'all', 'any' and 'not' take conditions, not 'q'")
        return self

    def questions(self) -> list[str]:
        """Every question id this condition reads."""
        found = [self.q] if self.q else []
        for child in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            found += child.questions()
        return found


class Constraint(_Strict):
    """Limits an answer must respect; ``message`` is what the person reads when it does not."""

    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    age_min: int | None = None
    """For a birth date: the youngest age allowed, in whole years on the day of the answer."""
    age_max: int | None = None
    not_future: bool = False
    message: str | None = None


class Calculation(_Strict):
    """A value the engine derives from other answers."""

    age_from: str | None = None
    """Whole years from this birth-date question to today."""
    percent_of: tuple[str, str] | None = None
    """``[part, whole]``: part / whole × 100, rounded to one decimal (the guide's A = a/H × 100)."""

    @model_validator(mode="after")
    def _one_kind(self) -> Calculation:
        if (self.age_from is None) == (self.percent_of is None):
            raise ValueError("a calculation needs exactly one of 'age_from' or 'percent_of'")
        return self

    def questions(self) -> list[str]:
        """Every question id this calculation reads."""
        return [self.age_from] if self.age_from else list(self.percent_of or ())


class SchoolField(str, Enum):
    """What a school picked from the district's list answers."""

    NPSN = "npsn"
    NAME = "name"
    ADDRESS = "address"


SCHOOL_KINDS = frozenset({"SD", "MI", "SMP", "MTs", "SMA", "SMK", "MA", "SLB", "PKBM"})
"""The kinds of school in the district's list (Dapodik's bentuk pendidikan as the guide names them)."""


class SchoolLookup(_Strict):
    """A text question answered by picking from the district's school list (Lampiran 9, Bab II.E).

    The bot offers the schools as buttons; typed text searches the list. The engine still checks every answer
    a pick gives, exactly as if it had been typed, so the lookup is a convenience and never a way around a
    constraint.
    """

    answer: SchoolField
    """The field of the picked school that answers this question."""
    fills: dict[str, SchoolField] = Field(default_factory=dict)
    """Questions right after this one that the same pick answers (e.g. the NPSN and the address)."""
    kinds: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    """Earlier select questions that narrow the list: question id → answer code → kinds of school offered."""
    listed_only: bool = False
    """A typed answer must be a school of the list (an NPSN the district does not know is refused)."""

    def kinds_for(self, answers: Mapping[str, Any]) -> frozenset[str] | None:
        """The kinds of school the answers so far point to; None when nothing narrows the list."""
        for ref, by_code in self.kinds.items():
            code = answers.get(ref)
            if code is not None and str(code) in by_code:
                return frozenset(by_code[str(code)])
        return None

    @model_validator(mode="before")
    @classmethod
    def _codes_as_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("kinds"), dict):
            kinds = {str(q): {str(code): v for code, v in (by_code or {}).items()} for q, by_code in data["kinds"].items()}
            data = {**data, "kinds": kinds}
        return data


class RegionLevel(str, Enum):
    """The levels of a Kemendagri region a form question can ask for."""

    KECAMATAN = "kecamatan"
    DESA = "desa"


REGION_CODE_PATTERNS: Mapping[RegionLevel, str] = {
    RegionLevel.KECAMATAN: r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$",
    RegionLevel.DESA: r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$",
}
"""The shape of a kecamatan code (``33.26.08``) and of a desa/kelurahan code (``33.26.08.2002``)."""


class RegionLookup(_Strict):
    """A text question answered by picking a kecamatan or desa of the person's own kabupaten (loaded regions).

    The answer is the Kemendagri code; the form itself holds no list, so one instrument serves every district.
    The bot offers the regions as buttons and searches them by name; the engine only checks the code's shape.
    """

    level: RegionLevel
    within: str | None = None
    """For a desa: the earlier kecamatan question whose answer narrows the list."""


class Question(_Strict):
    """One item of the paper form, or a repeat group of items."""

    id: str
    type: QuestionType
    label: str
    hint: str | None = None
    required: bool = True
    choices: list[Choice] | str | None = None
    """Options, or the name of one of the instrument's ``choice_lists``."""
    jumps: dict[str, str] | None = None
    """The paper's "Lompat ke": answer code → the question to go to next."""
    jump: str | None = None
    """An unconditional "lanjut ke" after this question, whatever the answer."""
    relevant: Condition | None = None
    constraint: Constraint | None = None
    calculate: Calculation | None = None
    max_size_mb: float | None = None
    """For photos: the largest file accepted."""
    repeat_count: str | None = None
    """For repeat groups: the integer question that says how many instances to ask."""
    questions: list[Question] | None = None
    """For repeat groups: the questions asked once per instance."""
    note: str | None = None
    """The paper's CATATAN column or a transcription remark; not shown to respondents."""
    schools: SchoolLookup | None = None
    """For text questions: offer the district's school list (see :class:`SchoolLookup`)."""
    regions: RegionLookup | None = None
    """For text questions: a kecamatan or desa of the person's kabupaten (see :class:`RegionLookup`)."""
    personal: bool = False
    """The answer identifies or locates a person (NIK, KK number, phone, GPS): it is encrypted at rest."""

    @model_validator(mode="before")
    @classmethod
    def _jump_codes_as_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("jumps"), dict):
            data = {**data, "jumps": {str(k): str(v) for k, v in data["jumps"].items()}}
        return data


class Section(_Strict):
    """A titled part of the paper form (e.g. "1 INFORMASI PERSONAL ATS")."""

    id: str
    title: str
    questions: list[Question]


class NikCheck(_Strict):
    """Cross-check of a NIK against other answers; a disagreement is a warning the person may confirm."""

    nik: str
    birth_date: str | None = None
    sex: str | None = None
    sex_codes: dict[str, str] = Field(default_factory=dict)
    """Choice code of the sex question → "L" or "P"."""
    kecamatan: str | None = None
    """A select-one whose choice codes are Kemendagri kecamatan codes (e.g. ``33.26.01``)."""


class Rule(_Strict):
    """An answer the paper rules out given other answers, checked when ``question`` is answered.

    Exactly one test: ``when`` (a combination of answers that cannot be true), or a comparison of the answer
    with another question's answer or ``today``: ``not_after`` / ``not_before`` (dates; a year is compared with
    a date's year) or ``at_most`` (numbers). A missing answer on either side passes.
    """

    question: str
    when: Condition | None = None
    not_after: str | None = None
    not_before: str | None = None
    at_most: str | None = None
    warn: bool = False
    """A warning the person may confirm (unlikely but possible), instead of a refusal (impossible)."""
    message: str

    @model_validator(mode="after")
    def _one_test(self) -> Rule:
        if sum(x is not None for x in (self.when, self.not_after, self.not_before, self.at_most)) != 1:
            raise ValueError("a rule needs exactly one of 'when', 'not_after', 'not_before' or 'at_most'")
        return self

    def questions(self) -> list[str]:
        """Every question id the rule reads."""
        refs = [self.question, *(self.when.questions() if self.when else [])]
        return refs + [r for r in (self.not_after, self.not_before, self.at_most) if r and r != TODAY]


TODAY = "today"
"""In a rule, the day of the answer instead of a question."""


class Subject(_Strict):
    """Which answers identify the child, so storage can find and link the child's record."""

    name: str | None = None
    nik: str | None = None
    nisn: str | None = None
    sex: str | None = None
    birth_place: str | None = None
    birth_date: str | None = None
    kecamatan: str | None = None
    desa: str | None = None
    address: str | None = None
    category: str | None = None
    """The select question saying whether and how the child is out of school (a roster member's status)."""
    category_codes: dict[str, str] = Field(default_factory=dict)
    """Answer codes of ``category`` that mean out of school → the ATS category of the case (Pendataan 3.6:
    1 never schooled, 2 dropped out, 3 did not continue); other answers (in school) open no case."""


SUBJECT_ROLES: frozenset[str] = frozenset(Subject.model_fields) - {"category", "category_codes"}
"""Roles an instrument binds under ``subject:`` (the child's identity) rather than under ``bindings:``."""


class Instrument(_Strict):
    """A whole questionnaire as the guide prints it."""

    spec: int = 1
    name: str
    version: int
    title: str
    source: str
    """Where in the guide it comes from, e.g. "Lampiran 4"."""
    intro: str | None = None
    respondent: str | None = None
    """Who fills it: pendata, pendamping, orang_tua, sekolah."""
    choice_lists: dict[str, list[Choice]] = Field(default_factory=dict)
    sections: list[Section]
    checks: list[NikCheck] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    """Answers the paper rules out in combination (a year of leaving school before the birth, ...)."""
    subject: Subject = Field(default_factory=Subject)
    field_classes: dict[FieldClass, list[str]] = Field(default_factory=dict)
    """Field class → question ids (NIK, phone, GPS and photo questions have their class by type)."""
    bindings: dict[str, str] = Field(default_factory=dict)
    """Role → question id: how code finds the questions it reads (roles are listed in ``flows.roles``)."""

    def bound(self, role: str) -> str:
        """The question id bound to ``role``: from ``bindings``, or ``subject`` for the child's identity."""
        ref = getattr(self.subject, role) if role in SUBJECT_ROLES else self.bindings.get(role)
        if ref is None:
            raise KeyError(f"instrument {self.name!r} binds no question to the role {role!r}")
        return str(ref)
