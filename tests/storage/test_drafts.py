"""Drafts: every answer saved in its own transaction, optimistic versions, listing and closing."""

from __future__ import annotations

from typing import Any

import pytest

from storage.db import Database
from storage.errors import DraftClosedError, NotFoundError, StaleDraftError
from storage.models import DraftStatus
from storage.repositories.drafts import cancel_draft, create_draft, get_draft, list_drafts, save_state


def test_create_and_get(db: Database, pendata: int) -> None:
    draft = create_draft(db, pendata, "pendataan", 3, state={"q": "1.1"}, label=None)
    stored = get_draft(db, draft.id)
    assert stored is not None
    assert (stored.instrument, stored.instrument_version, stored.state, stored.version, stored.status) == (
        "pendataan",
        3,
        {"q": "1.1"},
        1,
        DraftStatus.DRAFT,
    )
    assert get_draft(db, 999) is None


def test_save_state_bumps_version_and_keeps_label(db: Database, pendata: int) -> None:
    draft = create_draft(db, pendata, "pendataan", 1, label="Draft")
    state: dict[str, Any] = {"current": "1.2", "answers": {"1.1": "Ayu Lestari"}}
    version = save_state(db, draft.id, state, 1, current_question="1.2", label="Ayu Lestari")
    assert version == 2
    version = save_state(
        db, draft.id, {**state, "answers": {**state["answers"], "1.2": "2"}}, 2, current_question="1.3"
    )
    stored = get_draft(db, draft.id)
    assert stored is not None
    assert (stored.version, stored.current_question, stored.label) == (3, "1.3", "Ayu Lestari")
    assert stored.state["answers"] == {"1.1": "Ayu Lestari", "1.2": "2"}
    assert stored.updated_at >= stored.created_at


def test_stale_save_is_refused(db: Database, pendata: int) -> None:
    draft = create_draft(db, pendata, "pendataan", 1)
    save_state(db, draft.id, {"a": 1}, 1)
    with pytest.raises(StaleDraftError) as caught:
        save_state(db, draft.id, {"a": 2}, 1)
    assert (caught.value.expected_version, caught.value.actual_version) == (1, 2)
    stored = get_draft(db, draft.id)
    assert stored is not None and stored.state == {"a": 1}


def test_closed_or_missing_draft_cannot_be_saved(db: Database, pendata: int) -> None:
    draft = create_draft(db, pendata, "pendataan", 1)
    cancel_draft(db, draft.id)
    with pytest.raises(DraftClosedError):
        save_state(db, draft.id, {}, 2)
    with pytest.raises(DraftClosedError):
        cancel_draft(db, draft.id)
    with pytest.raises(NotFoundError):
        save_state(db, 4242, {}, 1)
    with pytest.raises(NotFoundError):
        cancel_draft(db, 4242)
    stored = get_draft(db, draft.id)
    assert stored is not None and stored.status == DraftStatus.CANCELLED  # kept, not deleted


def test_list_drafts_newest_first_open_only(db: Database, pendata: int) -> None:
    first = create_draft(db, pendata, "pendataan", 1, label="Ayu")
    second = create_draft(db, pendata, "monitoring", 1, label="Budi")
    cancelled = create_draft(db, pendata, "pendataan", 1)
    cancel_draft(db, cancelled.id)
    save_state(db, first.id, {"x": 1}, 1)  # touched last
    assert [d.id for d in list_drafts(db, pendata)] == [first.id, second.id]
    assert list_drafts(db, pendata + 1) == []
