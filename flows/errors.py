"""The one catalogue of instrument-definition errors.

Every problem found while loading a form names the instrument, the question id and how to fix it, the way
pyxform reports the row of an XLSForm. Errors stop loading; warnings are kept apart and only reported.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DefinitionProblem:
    """One finding about an instrument file."""

    instrument: str
    question: str | None
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.instrument}, question {self.question}" if self.question else self.instrument
        return f"[{where}] {self.message}" + (f" — {self.fix}" if self.fix else "")


class InstrumentError(ValueError):
    """An instrument definition that cannot be served; lists every problem found, not only the first."""

    def __init__(self, problems: list[DefinitionProblem], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        """The file the definition was read from, when it came from one."""
        super().__init__("\n".join([f"{source}:"] * bool(source) + [str(p) for p in problems]))


# Message templates, one place for all of them.
UNKNOWN_TARGET = "jump target {target!r} does not exist"
UNKNOWN_TARGET_FIX = "use the id of a question printed later in the form"
BACKWARD_JUMP = "jump to {target!r} goes back to an earlier question and would make a cycle"
BACKWARD_JUMP_FIX = "jumps must go forward; use 'relevant' to repeat nothing and ask later questions conditionally"
OUTSIDE_GROUP_JUMP = "jump to {target!r} leaves or enters a repeat group"
OUTSIDE_GROUP_JUMP_FIX = "jump only between questions of the same repeat group"
UNREACHABLE = "no answer to the questions before it can lead here"
UNREACHABLE_FIX = "check the jumps that pass over it"
DUPLICATE_ID = "the id is used more than once"
DUPLICATE_ID_FIX = "give each question its own id (e.g. a suffix for a repeated paper number)"
UNKNOWN_QUESTION = "{field} refers to {ref!r}, which is not a question of this instrument"
UNKNOWN_QUESTION_FIX = "refer to an existing question id"
TWO_FIELD_CLASSES = "the question is listed under field_classes {first!r} and {second!r}"
TWO_FIELD_CLASSES_FIX = "list each question under one field class only"
LATER_QUESTION = "{field} refers to {ref!r}, which is asked later"
LATER_QUESTION_FIX = "a question can only depend on answers given before it"
UNKNOWN_CODE = "{field} uses code {code!r}, which is not an option of {ref!r}"
UNKNOWN_CODE_FIX = "use one of the option codes of that question"
NO_CHOICES = "a {type} question needs choices"
NO_CHOICES_FIX = "add 'choices' or name a choice list"
UNKNOWN_CHOICE_LIST = "choice list {name!r} is not defined"
UNKNOWN_CHOICE_LIST_FIX = "define it under 'choice_lists'"
CHOICE_WITHOUT_LABEL = "option {code!r} has no label"
CHOICE_WITHOUT_LABEL_FIX = "give every option the label printed in the guide"
DUPLICATE_CODE = "option code {code!r} appears twice"
DUPLICATE_CODE_FIX = "option codes must be unique within a question"
CHOICES_NOT_ALLOWED = "a {type} question cannot have choices or jumps"
CHOICES_NOT_ALLOWED_FIX = "remove them or change the type"
BAD_REPEAT = "a repeat group needs 'questions' and a 'repeat_count' integer question asked before it"
BAD_REPEAT_FIX = "add them"
NESTED_REPEAT = "repeat groups cannot be nested"
NESTED_REPEAT_FIX = "flatten the inner group"
BAD_CALCULATE = "a calculate question needs 'calculate'"
BAD_CALCULATE_FIX = "add {age_from: ID} or {percent_of: [PART, WHOLE]}"
NOT_A_TYPE = "{field} refers to {ref!r}, which is a {actual} question, not {expected}"
NOT_A_TYPE_FIX = "point it at a question of the right type"
NOT_PERSONAL = "a {type} answer identifies or locates a person but the question is not declared personal"
NOT_PERSONAL_FIX = "add 'personal: true' so the answer is encrypted at rest"
TEXT_TOO_LONG_LIMIT = "max_length {max} is outside 1..{limit}: a longer answer cannot be read back in one chat message"
TEXT_TOO_LONG_LIMIT_FIX = "give a sensible max_length (names 100, addresses 200, notes 1000)"
RULE_UNKNOWN_QUESTION = "a rule reads question {ref!r}, which the form does not have"
RULE_UNKNOWN_QUESTION_FIX = "name a question id of this form, or 'today'"
EMPTY_LABEL = "the label is empty"
EMPTY_LABEL_FIX = "copy the question text from the guide"
BAD_LOOKUP = "a school lookup is only for text questions"
BAD_LOOKUP_FIX = "make the question a text question or remove 'schools'"
BAD_LOOKUP_FILL = "schools.fills names {ref!r}, which is not a text question following this one in its section"
BAD_LOOKUP_FILL_FIX = "list the questions right after this one that the picked school answers"
BAD_REGION_LOOKUP = "a region lookup is only for text questions, and not together with 'schools'"
BAD_REGION_LOOKUP_FIX = "make the question a text question with either 'regions' or 'schools'"
BAD_REGION_WITHIN = "regions.within names {ref!r}, which is not an earlier kecamatan question"
BAD_REGION_WITHIN_FIX = "a desa question names the kecamatan question asked before it (regions: {{level: desa, within: ID}})"
UNKNOWN_SCHOOL_KIND = "schools.kinds names {kind!r}, which is not a kind of school"
UNKNOWN_SCHOOL_KIND_FIX = "use one of: {kinds}"
UNKNOWN_ROLE = "bindings.{role} is not a role the code reads"
UNKNOWN_ROLE_FIX = "use one of the roles of flows/roles.py: {known}"
ROLE_IN_BINDINGS = "bindings.{role} is part of the child's identity"
ROLE_IN_BINDINGS_FIX = "declare it under 'subject:' instead"
MISSING_ROLE = "{where}.{role} is missing: the code reads {meaning} from this form"
MISSING_ROLE_FIX = "add '{where}: {{{role}: QUESTION_ID}}' naming the question that asks it"
SCHEMA = "{message}"
SCHEMA_FIX = "see flows/instruments/README.md for the format"
