"""Data quality per source and field, as the status command and the UI read it."""

from __future__ import annotations

from personae.clean.quality import data_quality
from personae.engine import ENGINES
from personae.project import Project


def test_fields_of_the_demo_with_rates_and_examples(small_demo: Project) -> None:
    engine = small_demo.engine
    quality = data_quality(engine)
    assert quality.checked == engine.count("data_quality") == len(quality.fields)
    phone = next(f for f in quality.fields if (f.source, f.field) == ("crm", "phone"))
    rows, filled, valid = engine.rows(
        "SELECT count(*), count(phone), count(phone) FILTER (WHERE phone_e164 IS NOT NULL) "
        "FROM (SELECT r.phone, c.phone AS phone_e164 FROM raw_crm r "
        "JOIN records c ON c.source = 'crm' AND c.record_id = r._record_id)"
    )[0]
    assert (phone.rows, phone.filled, phone.valid) == (rows, filled, valid)
    assert phone.invalid == filled - valid > 0
    assert phone.fill_rate == filled / rows and phone.validity == valid / filled
    assert phone.examples and all(e and " | " not in e for e in phone.examples)
    invalid = data_quality(engine, only_invalid=True)
    assert invalid.fields and all(f.invalid > 0 for f in invalid.fields)
    assert invalid.checked == quality.checked
    crm = data_quality(engine, source="crm")
    assert {f.source for f in crm.fields} == {"crm"} and phone in crm.fields


def test_nothing_before_clean_ran() -> None:
    quality = data_quality(ENGINES["duckdb"]())
    assert quality.fields == () and quality.checked == 0
