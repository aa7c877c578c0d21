"""The closed vocabularies, re-exported beside the models (they live in ``storage.enums``: cheap to import)."""

from storage.enums import (
    DataRequestKind,
    DataRequestStatus,
    DraftStatus,
    Language,
    RegionLevel,
    ReminderState,
    Role,
    SchoolLevel,
    SchoolStatus,
    Sex,
    TimeZone,
)

__all__ = ["DataRequestKind", "DataRequestStatus", "DraftStatus", "Language", "RegionLevel", "ReminderState", "Role",
           "SchoolLevel", "SchoolStatus", "Sex", "TimeZone"]
