"""The languages of the product (cheap to import: the command line's argument checks use it)."""

LANGUAGES = ("id", "en", "jv")
DEFAULT_LANGUAGE = "id"
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English", "jv": "Basa Jawa"}
