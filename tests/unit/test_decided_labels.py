"""Two printed labels that asked something else are decided, and the three languages ask the same (issue 14 §7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.i18n import translator
from flows.registry import engine

RESOLUTIONS = Path(__file__).resolve().parents[2] / "flows" / "instruments" / "RESOLUTIONS.md"
ANXIETY = {"id": "cemas", "en": "anxious", "jv": "was-was"}
SCHOOL = {"id": "sekolah", "en": "school", "jv": "sekolah"}


@pytest.mark.parametrize(("instrument", "qid"), [("pendataan", "4.23"), ("rekonfirmasi", "F.23")])
def test_the_anxiety_item_asks_about_anxiety_in_every_language(instrument: str, qid: str) -> None:
    labels = {language: translator(language).label(engine(instrument).layout.nodes[qid].question.label).lower() for language in ANXIETY}
    assert all(ANXIETY[language] in label and "asing" not in label for language, label in labels.items()), labels


@pytest.mark.parametrize(("instrument", "qid"), [("pendataan", "3.1"), ("rekonfirmasi", "D.1")])
def test_distance_reason_speaks_of_the_school_in_every_language(instrument: str, qid: str) -> None:
    choice = engine(instrument).layout.nodes[qid].choice("10")
    assert choice is not None
    labels = {language: translator(language).label(choice.label).lower() for language in SCHOOL}
    assert all(SCHOOL[language] in label and "jarak rumah" not in label for language, label in labels.items()), labels


def test_resolutions_record_the_decisions_and_no_longer_list_them_as_open() -> None:
    text = RESOLUTIONS.read_text(encoding="utf-8")
    decided = text[text.index("## Decided questions"):text.index("## Open questions")]
    still_open = text[text.index("## Open questions"):text.index("## Lampiran 6")]
    assert "Terlihat Asing" in decided and "Jarak Rumah Terlalu Jauh" in decided
    assert "**\"Terlihat Asing\"" not in still_open and "(3.1 / D.1 code 10)" not in still_open
