"""The canonical fields every source maps its columns onto."""

from __future__ import annotations

from typing import Literal

FieldType = Literal["string", "number", "date", "timestamp", "boolean"]

#: Fields that identify a person. Records sharing a normalised value are stitched together.
IDENTITY_FIELDS: tuple[str, ...] = (
    "email",
    "phone",
    "customer_id",
    "user_id",
    "anonymous_id",
    "loyalty_id",
    "device_id",
)

#: Fields that describe a person, chosen into the golden profile by survivorship rules.
ATTRIBUTE_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "gender",
    "birth_date",
    "address",
    "postcode",
    "city",
    "country",
    "language",
)

#: Pseudo-field that is split into first_name and last_name.
FULL_NAME = "full_name"

#: The type of each built-in field once cleaned.
BUILTIN_TYPES: dict[str, FieldType] = {
    **dict.fromkeys(IDENTITY_FIELDS, "string"),
    **dict.fromkeys(ATTRIBUTE_FIELDS, "string"),
    "birth_date": "date",
}

BUILTIN_FIELDS: tuple[str, ...] = IDENTITY_FIELDS + ATTRIBUTE_FIELDS
