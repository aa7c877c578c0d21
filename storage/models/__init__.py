"""All tables. Importing this package registers every model on ``Base.metadata`` (Alembic relies on it)."""

from core.enums import (
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
from storage.models.base import Base
from storage.models.cases import Assignment, Case, CaseEvent, Enrolment, SchoolChoice, Visit
from storage.models.children import Child, Household, IdentityConflict, School
from storage.models.derived import CaseReminderDue, RecapCount, RecapFact
from storage.models.instruments import InstrumentSession, ReferenceCounter, Response
from storage.models.keys import DataKey
from storage.models.operations import AuditLog, ImportBatch, ProcessedUpdate, Reminder, StoredFile
from storage.models.people import ButtonToken, Consent, DataRequest, Invitation, Person
from storage.models.programme import Assistance, ProgrammeEvent, Referral
from storage.models.regions import Region, RegionTarget
from storage.models.web import WebLogin, WebSession

__all__ = [
    "Assignment",
    "Assistance",
    "AuditLog",
    "Base",
    "ButtonToken",
    "Case",
    "CaseEvent",
    "CaseReminderDue",
    "Child",
    "Consent",
    "DataKey",
    "DataRequest",
    "DataRequestKind",
    "DataRequestStatus",
    "DraftStatus",
    "Enrolment",
    "Household",
    "IdentityConflict",
    "ImportBatch",
    "InstrumentSession",
    "Invitation",
    "Language",
    "Person",
    "ProcessedUpdate",
    "ProgrammeEvent",
    "RecapCount",
    "RecapFact",
    "ReferenceCounter",
    "Referral",
    "Region",
    "RegionLevel",
    "RegionTarget",
    "Reminder",
    "ReminderState",
    "Response",
    "Role",
    "School",
    "SchoolChoice",
    "SchoolLevel",
    "SchoolStatus",
    "Sex",
    "StoredFile",
    "TimeZone",
    "Visit",
    "WebLogin",
    "WebSession",
]
