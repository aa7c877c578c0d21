"""The closed vocabularies of the product, stored in the database (values are what is written to the columns).

A plain module below ``storage.models`` so argument checks and the visibility matrix import it without SQLAlchemy.
"""

from __future__ import annotations

from enum import StrEnum


class RegionLevel(StrEnum):
    KABUPATEN = "kabupaten"  # kabupaten or kota
    KECAMATAN = "kecamatan"
    DESA = "desa"  # desa or kelurahan


class TimeZone(StrEnum):
    WIB = "Asia/Jakarta"
    WITA = "Asia/Makassar"
    WIT = "Asia/Jayapura"


class Role(StrEnum):
    ADMIN = "admin"
    TIM_KABUPATEN = "tim_kabupaten"
    TIM_KECAMATAN = "tim_kecamatan"
    TIM_DESA = "tim_desa"
    PENDATA = "pendata"
    PENDAMPING = "pendamping"
    OPERATOR_SEKOLAH = "operator_sekolah"
    ORANG_TUA = "orang_tua"
    MASYARAKAT = "masyarakat"


class Language(StrEnum):
    ID = "id"
    EN = "en"
    JV = "jv"


class Sex(StrEnum):
    L = "L"
    P = "P"


class DraftStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"


class SchoolLevel(StrEnum):
    SD = "SD"
    MI = "MI"
    SMP = "SMP"
    MTS = "MTs"
    SMA = "SMA"
    SMK = "SMK"
    MA = "MA"
    SLB = "SLB"
    PKBM = "PKBM"


class SchoolStatus(StrEnum):
    NEGERI = "negeri"
    SWASTA = "swasta"


class ReminderState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    SNOOZED = "snoozed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class DataRequestKind(StrEnum):
    CORRECTION = "correction"
    DELETION = "deletion"


class DataRequestStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    REJECTED = "rejected"
