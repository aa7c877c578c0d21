"""Every message the engine can give a person, as Babel message ids.

The engine stays free of I/O and of languages: it returns a :class:`Problem` (a message id and its
parameters) and whoever renders it (the bot, the terminal chat) translates it with the catalogs in ``locales/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:
    """Mark a message id for extraction (``pybabel extract -k N_``) without translating it here."""
    return message


@dataclass(frozen=True)
class Problem:
    """Why an answer was refused or needs a second look; ``params`` fill the message's placeholders."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    """A stable identifier for warnings, so a confirmed warning is not asked again."""
    form: bool = False
    """The form's own words (a ``message:`` of its YAML), translated with the questionnaire labels."""


REQUIRED = N_("This question needs an answer.")
CANNOT_SKIP = N_("This question cannot be skipped.")
NOT_AN_INTEGER = N_('"{input}" is not a whole number. Write digits only, for example 12.')
NOT_A_DECIMAL = N_('"{input}" is not a number. Write it like 12 or 12,5.')
BELOW_MIN = N_("The answer must be at least {min}.")
ABOVE_MAX = N_("The answer must be at most {max}.")
TOO_SHORT = N_("The answer is too short: at least {min} characters.")
TOO_LONG = N_("The answer is too long: at most {max} characters.")
PATTERN = N_('"{input}" does not have the expected form.')
NOT_A_DATE = N_('Sorry, "{input}" is not a date. Write it like 05/03/2012.')
FUTURE_DATE = N_("{date} is in the future.")
AGE_OUT_OF_RANGE = N_("This child is {age} years old; the form is for children aged {min} to {max}.")
NIK_LENGTH = N_('A NIK has exactly 16 digits; "{input}" has {count}.')
NIK_PROVINCE = N_("This NIK cannot be right: province code {code} does not exist.")
NIK_ZERO_REGION = N_("This NIK cannot be right: its regency and district codes cannot be 00.")
NIK_BIRTH_DATE = N_("This NIK cannot be right: digits 7–12 are not a real birth date.")
NIK_SERIAL = N_("This NIK cannot be right: its last four digits cannot be 0000.")
NISN_FORMAT = N_('A NISN has exactly 10 digits; "{input}" has {count}.')
PHONE_INVALID = N_('"{input}" is not an Indonesian phone number. Write it like 0812-3456-7890.')
NOT_A_REGION_CODE = N_("Choose the {level} from the list: tap a button or type part of its name.")
NOT_A_CHOICE = N_('"{input}" is not one of the options. Tap a button or type its number.')
NOTHING_SELECTED = N_("Choose at least one option.")
EXCLUSIVE = N_('"{label}" cannot be combined with other options.')
NOT_A_LOCATION = N_("Send the location with the button, or type it like -7.0345, 109.5821.")
LOCATION_RANGE = N_("Latitude must be between -90 and 90 and longitude between -180 and 180.")
NOT_A_PHOTO = N_("Please send a photo.")
PHOTO_TOO_BIG = N_("The photo is {size} MB; the limit is {max} MB. Send a smaller photo.")
NOT_ANSWERABLE = N_("This item is not a question to answer.")

WARN_NIK_BIRTH_DATE = N_("The NIK shows the birth date {nik_date}, but the answer to {question} is {answer_date}.")
WARN_NIK_SAYS_GIRL = N_("The NIK belongs to a girl (day of birth + 40), but the answer to {question} is male.")
WARN_NIK_SAYS_BOY = N_("The NIK belongs to a boy, but the answer to {question} is female.")
WARN_NIK_REGION = N_("The NIK was issued in kecamatan {nik_region}, but the answer to {question} is {answer_region}.")
