"""The CRM: customer accounts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from personae.demo import names as vocab
from personae.demo.arrays import BoolArray, Rng, Strings, null_where, take, words
from personae.demo.draws import by_time, chance, clock, days_back, pick_in_groups
from personae.demo.files import SourceData
from personae.demo.formats import format_times, sequence_ids
from personae.demo.memberships import Memberships
from personae.demo.population import Population
from personae.demo.rates import (
    CRM_HISTORY_DAYS,
    CRM_SHOWS_OLD_ADDRESS_SHARE,
    DAY,
    NEVER,
    ONLINE_HOURS,
    OPTIN_EMAIL_SHARE_AUDIENCE,
    OPTIN_EMAIL_SHARE_OTHER,
    OPTIN_PARTNERS_SHARE,
)
from personae.demo.render import (
    cities_of,
    per_person,
    person_emails,
    person_names,
    person_phones,
    postcodes_of,
    render_addresses,
    with_spaces,
)
from personae.demo.styles import (
    CRM_MISSING_COUNTRY,
    CRM_MISSING_GENDER,
    CRM_MISSING_LANGUAGE,
    CRM_STYLE,
)


@dataclass(frozen=True)
class Accounts:
    """The CRM's customer ids, per person (null for people without an account)."""

    customer_id: Strings
    has_account: BoolArray


def build_crm(
    rng: Rng, pop: Population, who: Memberships, anchor_day: int
) -> tuple[SourceData, Accounts]:
    """One row per account; movers mostly still show their old address (never updated)."""
    anchor_s = anchor_day * DAY
    main = np.flatnonzero(who.crm)
    moved = pop.move_day[main] < NEVER
    created = clock(
        rng,
        np.where(
            moved,
            days_back(rng, len(main), 1500, 1.0, pop.move_day[main] - 30),
            days_back(rng, len(main), CRM_HISTORY_DAYS, 1.0, anchor_day),
        ),
        ONLINE_HOURS,
    )
    shows_old = moved & chance(rng, len(main), CRM_SHOWS_OLD_ADDRESS_SHARE)
    move_s = pop.move_day[main] * DAY
    low = np.where(moved & ~shows_old, move_s, created)
    high = np.where(shows_old, move_s, anchor_s)
    updated = low + (rng.random(len(main)) * (high - low)).astype(np.int64)
    # some people registered twice, later, with their second e-mail
    dup = np.flatnonzero(who.crm_duplicate[main])
    dup_created = created[dup] + (rng.random(len(dup)) * (anchor_s - created[dup])).astype(np.int64)
    dup_updated = dup_created + (rng.random(len(dup)) * (anchor_s - dup_created) / 5).astype(
        np.int64
    )
    created, persons, updated, is_dup, old = by_time(
        np.concatenate([created, dup_created]),
        np.concatenate([main, main[dup]]),
        np.concatenate([updated, dup_updated]),
        np.r_[np.zeros(len(main), dtype=bool), np.ones(len(dup), dtype=bool)],
        np.r_[shows_old, np.zeros(len(dup), dtype=bool)],
    )
    size = len(persons)
    ids = sequence_ids("C", size, 1_000_001, 7)
    first, last = person_names(rng, pop, persons, CRM_STYLE)
    address = pop.home.take(persons).where(old, pop.previous.take(persons))
    gender = pick_in_groups(rng, pop.gender[persons], vocab.GENDER_SPELLINGS)
    birth = format_times(pop.birth_day[persons] * DAY, "%d/%m/%Y")
    country = pick_in_groups(rng, pop.country[persons], [c.spellings for c in vocab.COUNTRIES])
    table = pa.table(
        {
            "customer_id": ids,
            "first_name": first,
            "last_name": last,
            "email": person_emails(rng, pop, persons, CRM_STYLE, second=is_dup),
            "phone": person_phones(rng, pop, persons, CRM_STYLE),
            "birth_date": null_where(birth, chance(rng, size, CRM_STYLE.missing_birth_date)),
            "gender": null_where(gender, chance(rng, size, CRM_MISSING_GENDER)),
            "address": with_spaces(rng, render_addresses(rng, address), CRM_STYLE.spaces),
            "postcode": postcodes_of(address),
            "city": cities_of(address),
            "country": null_where(country, chance(rng, size, CRM_MISSING_COUNTRY)),
            "language": null_where(
                take(words(vocab.LANGUAGES), pop.culture[persons]),
                chance(rng, size, CRM_MISSING_LANGUAGE),
            ),
            "created_at": format_times(created, "%Y-%m-%d %H:%M:%S"),
            "updated_at": format_times(updated, "%Y-%m-%d %H:%M:%S"),
        }
    )
    accounts = Accounts(per_person(pop, persons, ids), np.isin(np.arange(pop.size), persons))
    return SourceData("crm", "crm.csv", table, "customer_id", persons), accounts


def with_consent_flags(rng: Rng, crm: SourceData, who: Memberships) -> SourceData:
    """The CRM with its sign-up check boxes, ``optin_email`` (the newsletter) and
    ``optin_partenaires`` (partners' offers), as ``oui``/``non``, given when the account
    was last updated. Drawn from their own ``rng`` so that adding them changes no other
    value of the demo."""
    size = crm.rows
    email_share = np.where(
        who.email_audience[crm.persons], OPTIN_EMAIL_SHARE_AUDIENCE, OPTIN_EMAIL_SHARE_OTHER
    )
    answers = words(["non", "oui"])
    table = crm.table.append_column(
        "optin_email", take(answers, chance(rng, size, email_share).astype(np.int64))
    ).append_column(
        "optin_partenaires",
        take(answers, chance(rng, size, OPTIN_PARTNERS_SHARE).astype(np.int64)),
    )
    return dataclasses.replace(crm, table=table)
