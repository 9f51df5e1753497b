"""The matching input: the records Splink compares, and the columns it compares."""

from __future__ import annotations

#: the compared columns every matching input must have (NULL where unknown)
MATCH_COLUMNS = (
    "first_name_key",
    "last_name_key",
    "full_name_key",
    "birth_date",
    "postcode",
    "city",
    "address",
    "email_local",
    "phone",
)

#: the matching input, from the clean stage's ``records`` (``{table}`` is filled in)
INPUT_SQL = """
SELECT
    row_number() OVER (ORDER BY source, record_id) AS uid,
    source,
    record_id,
    first_name_key,
    last_name_key,
    nullif(concat_ws(' ', first_name_key, last_name_key), '') AS full_name_key,
    CAST(birth_date AS VARCHAR) AS birth_date,
    postcode,
    city,
    address,
    -- the e-mail's local part without the record's own names: "jean.dupont" says no
    -- more than the name does (namesakes share it), "jdupont75" keeps "j75"
    nullif(regexp_replace(
        replace(replace(lower(split_part(email, '@', 1)),
                        coalesce(nullif(last_name_key, ''), chr(1)), ''),
                coalesce(nullif(first_name_key, ''), chr(1)), ''),
        '[^a-z0-9]', '', 'g'), '') AS email_local,
    phone
FROM {table}
WHERE source_kind = 'people' OR first_name_key IS NOT NULL OR last_name_key IS NOT NULL
"""


def unguarded_records(records: str, values: str) -> str:
    """``records`` without the e-mails and phones that guards stop from linking.

    ``values`` is the stage's table of distinct identifiers with their ``role``: a
    blocked or generic value (``test@test.com``, a shop's phone) is no evidence either,
    and comparing it would make millions of candidate pairs.
    """
    guarded = (
        "SELECT id_value FROM {values} WHERE id_type = '{kind}' AND role IN ('blocked', 'generic')"
    )
    return f"""(
        SELECT r.source, r.record_id, r.source_kind, r.first_name_key, r.last_name_key,
               r.birth_date, r.postcode, r.city, r.address,
               CASE WHEN r.email IN ({guarded.format(values=values, kind="email")})
                    THEN NULL ELSE r.email END AS email,
               CASE WHEN r.phone IN ({guarded.format(values=values, kind="phone")})
                    THEN NULL ELSE r.phone END AS phone
        FROM {records} AS r
    ) AS unguarded"""
