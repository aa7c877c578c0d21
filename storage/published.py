"""What a person may see of imported lists: nothing of a list until all of it is published.

An import (``reports.import_publish``) writes its children, cases and ``impor`` responses chunk by chunk, each
chunk in its own short transaction, and marks every row it creates with its ``import_batch_id``. The batch's
row (``import_batches``) is ``publishing`` while the chunks are written and becomes ``published`` in one short
transaction at the end (``undone`` when a failed or interrupted import was removed). Nothing is updated on the
imported rows themselves at publication: :func:`published` decides, for every reader, by the batch's state.

Every reader a person reaches (case lists and searches in chat and on the dashboard, a case opened by id or
link, exports, programme lists, early warning, reminders) applies :func:`published` to the cases, children and
responses it reads. Writers do not: an import must find the children its earlier chunks recorded, and a chat
submission must not record a second child or open a second case for one a list being published already holds.

No index on ``import_batch_id``: the rule keeps nearly every row, so it is checked on the rows a reader scans
anyway, against the few hidden batch ids (an uncorrelated subquery, evaluated once per statement).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select

from storage.models import ImportBatch

PUBLISHED = "published"


def hidden_batches() -> Any:
    """The ids of the batches whose rows no one may see yet (``publishing``; ``undone`` ones keep no rows, but a
    removal stopped half-way could leave some): a handful of rows, found through ``ix_import_batches_state``."""
    return select(ImportBatch.id).where(ImportBatch.state != PUBLISHED)


def published(entity: Any) -> ColumnElement[bool]:
    """Rows of ``entity`` (``Case``, ``Child``, ``Response`` or an alias of one) a person may see: written by no
    import, or by an import that is published. The only place this rule is written."""
    column = entity.import_batch_id
    return or_(column.is_(None), column.not_in(hidden_batches()))
