"""Field visibility by role: the declared matrix, its masking, and the classes instruments declare."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from core.enums import Role
from core.visibility import FULL, HIDDEN, MASKED, MATRIX, FieldClass, Level, filter_answers, mask, mask_phone, policy
from flows.errors import InstrumentError
from flows.loader import INSTRUMENT_DIR, instrument_names, parse_instrument
from flows.registry import engine

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
NIK = "3326081234560001"


def test_every_role_has_a_level_for_every_field_class() -> None:
    assert set(MATRIX) == set(Role)
    assert all(set(row) == set(FieldClass) for row in MATRIX.values())


def test_the_documented_matrix_is_the_code_matrix() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- visibility-matrix")[1].split("<!-- /visibility-matrix -->")[0]
    rows = [line for line in block.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert header == ["role", *(fc.value for fc in FieldClass)]
    documented = {}
    for line in rows[1:]:
        role, *levels = (cell.strip() for cell in line.strip("|").split("|"))
        documented[Role(role)] = {fc: Level(level) for fc, level in zip(FieldClass, levels, strict=True)}
    assert documented == MATRIX


def test_public_sees_nothing_and_desa_sees_names_with_masked_niks() -> None:
    public, desa = policy(Role.MASYARAKAT), policy(Role.TIM_DESA)
    assert not any(public.shows(fc) for fc in FieldClass)
    assert desa.present(FieldClass.IDENTITY, "Ayu Lestari") == "Ayu Lestari"
    assert desa.present(FieldClass.NIK, NIK) == "3326********0001"
    assert desa.present(FieldClass.HEALTH, "2") is HIDDEN
    assert policy("no-such-role").role is Role.MASYARAKAT


def test_full_nik_only_with_a_reason_and_never_in_chat() -> None:
    kabupaten = policy(Role.TIM_KABUPATEN)
    assert kabupaten.full(FieldClass.NIK)
    assert kabupaten.for_chat().level(FieldClass.NIK) is MASKED
    assert kabupaten.for_export(None).level(FieldClass.NIK) is MASKED
    assert kabupaten.for_export("  ").level(FieldClass.NIK) is MASKED
    assert kabupaten.for_export("rekonsiliasi Dapodik").level(FieldClass.NIK) is FULL
    # A reason never raises a lower level: the desa team's NIKs stay masked.
    assert policy(Role.TIM_DESA).for_export("rekonsiliasi").level(FieldClass.NIK) is MASKED
    # Capping never lowers a hidden field to masked.
    assert policy(Role.MASYARAKAT).for_chat().level(FieldClass.NIK) is HIDDEN


@pytest.mark.parametrize(("field_class", "value", "masked"), [
    (FieldClass.NIK, NIK, "3326********0001"),
    (FieldClass.NIK, "1234", "****"),
    (FieldClass.CONTACT, "0812-3456-7321", "*********321"),
    (FieldClass.CONTACT, "12", "***"),
    (FieldClass.IDENTITY, "ayu  lestari", "A. L."),
    (FieldClass.IDENTITY, "2012-05-17", "2012"),
    (FieldClass.LOCATION, {"latitude": -7.123456, "longitude": 109.654321}, {"latitude": -7.12, "longitude": 109.65}),
    (FieldClass.LOCATION, "Jl. Merdeka 5", "***"),
    (FieldClass.FREE_TEXT, "ayahnya sakit", "***"),
])
def test_masking(field_class: FieldClass, value: object, masked: object) -> None:
    assert mask(field_class, value) == masked


def test_mask_phone_keeps_three_digits() -> None:
    assert mask_phone("+62 812 3456 7890").endswith("890") and "3456" not in mask_phone("+62 812 3456 7890")


def test_filter_answers_hides_masks_and_descends_into_repeat_groups() -> None:
    classes = engine("rumah-tangga").layout.field_classes
    answers = {"R.1": "3326080101010001", "R.2": "Pak Darto", "R.7": "Dusun Krajan 3", "R.8": "081234567890", "R.9": 1,
               "ART": [{"ART.1": "Ayu", "ART.2": NIK, "ART.10": "1", "ART.7": "3"}]}
    kabupaten = filter_answers(policy(Role.TIM_KABUPATEN).for_chat(), answers, classes)
    assert kabupaten == {"R.1": "3326********0001", "R.2": "Pak Darto", "R.7": "***", "R.9": 1,
                         "ART": [{"ART.1": "Ayu", "ART.2": "3326********0001", "ART.7": "3"}]}
    assert filter_answers(policy(Role.MASYARAKAT), answers, classes) == {"R.9": 1, "ART": [{"ART.7": "3"}]}
    assert filter_answers(policy(Role.ADMIN), answers, classes) == answers


def test_instruments_declare_their_sensitive_questions() -> None:
    pendataan = engine("pendataan").layout.field_classes
    assert pendataan["1.1"] is FieldClass.IDENTITY and pendataan["1.2.nik"] is FieldClass.NIK
    assert pendataan["1.7.jalan"] is FieldClass.LOCATION and pendataan["4.24"] is FieldClass.HEALTH
    assert "3.6" not in pendataan  # the ATS category is plain record data
    rekonfirmasi = engine("rekonfirmasi").layout.field_classes
    assert rekonfirmasi["D.8"] is FieldClass.LOCATION and rekonfirmasi["D.7"] is FieldClass.IDENTITY  # by type
    assert engine("pemilihan-sekolah").layout.field_classes["B.8"] is FieldClass.CONTACT
    assert engine("pendampingan").layout.field_classes["V.11"] is FieldClass.FREE_TEXT
    assert all(engine(name).layout.field_classes is not None for name in instrument_names())


@pytest.mark.parametrize(("classes", "message"), [
    ({"health": ["9.9"]}, "field_classes.health refers to '9.9'"),
    ({"health": ["1.1"], "identity": ["1.1"]}, "listed under field_classes 'health' and 'identity'"),
    ({"secret": ["1.1"]}, "field_classes.secret"),
])
def test_bad_field_classes_are_refused_at_load(classes: dict[str, list[str]], message: str) -> None:
    raw = yaml.safe_load((INSTRUMENT_DIR / "pendataan.yaml").read_text(encoding="utf-8"))
    with pytest.raises(InstrumentError, match=re.escape(message)):
        parse_instrument({**raw, "field_classes": classes}, "pendataan")
