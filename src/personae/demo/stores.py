"""The stores: loyalty cards and till receipts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from personae.demo.arrays import IntArray, Rng, Strings, null_where, take
from personae.demo.draws import by_time, capped_geometric, chance, clock, days_back
from personae.demo.files import SourceData
from personae.demo.formats import amounts, fill_template, format_times, sequence_ids, us_short_dates
from personae.demo.memberships import Memberships
from personae.demo.population import Population
from personae.demo.products import Tastes, catalog, pick_products
from personae.demo.purchases import Purchases
from personae.demo.rates import (
    ANONYMOUS_TICKET_SHARE,
    DAY,
    HOME_STORE_SHARE,
    LOYALTY_HISTORY_DAYS,
    NEVER,
    ORDER_HISTORY_DAYS,
    ORDER_PRICE_NOISE,
    STORE_HOURS,
    STORES,
)
from personae.demo.render import (
    address_at,
    per_person,
    person_emails,
    person_names,
    person_phones,
    postcodes_of,
)
from personae.demo.styles import LOYALTY_STYLE


@dataclass(frozen=True)
class LoyaltyCards:
    """Loyalty card numbers (null without a card) and when each person joined, per person."""

    loyalty_id: Strings
    joined_day: IntArray  # NEVER without a card


def build_loyalty(
    rng: Rng, pop: Population, who: Memberships, anchor_day: int
) -> tuple[SourceData, LoyaltyCards]:
    """Cards typed at the till: upper case, accents often lost, US-style birth dates."""
    members = np.flatnonzero(who.loyalty)
    days = days_back(rng, len(members), LOYALTY_HISTORY_DAYS, 1.0, anchor_day)
    numbers = rng.choice(9 * 10**8, size=len(members), replace=False) + 10**8
    joined, persons, numbers = by_time(clock(rng, days, STORE_HOURS), members, numbers)
    size = len(persons)
    ids = fill_template("L" + "X" * 9, numbers)
    first, last = person_names(rng, pop, persons, LOYALTY_STYLE)
    birth = us_short_dates(pop.birth_day[persons])
    table = pa.table(
        {
            "loyalty_id": ids,
            "first_name": first,
            "last_name": last,
            "phone": person_phones(rng, pop, persons, LOYALTY_STYLE),
            "email": person_emails(rng, pop, persons, LOYALTY_STYLE),
            "birth_date": null_where(birth, chance(rng, size, LOYALTY_STYLE.missing_birth_date)),
            "postcode": postcodes_of(address_at(pop, persons, joined)),
            "store_id": _store_ids(pop.home_store[persons]),
            "joined_at": format_times(joined, "%Y-%m-%d"),
        }
    )
    joined_day = np.full(pop.size, NEVER, dtype=np.int64)
    joined_day[persons] = joined // DAY
    cards = LoyaltyCards(per_person(pop, persons, ids), joined_day)
    return SourceData("loyalty_members", "loyalty_members.csv", table, "loyalty_id", persons), cards


def _store_ids(store: IntArray) -> Strings:
    return fill_template("SXXX", store + 1)


def build_store_tickets(
    rng: Rng,
    pop: Population,
    cards: LoyaltyCards,
    purchases: Purchases,
    tastes: Tastes,
    anchor_day: int,
) -> SourceData:
    """Receipts of card holders' store purchases, plus anonymous ones (no identifier),
    each with the category and product id of its main item."""
    rows = purchases.on(web=False)
    carded, carded_days = purchases.person[rows], purchases.day[rows]
    in_france = np.flatnonzero(pop.country == 0)
    anonymous_count = round(len(carded) * ANONYMOUS_TICKET_SHARE / (1 - ANONYMOUS_TICKET_SHARE))
    anonymous = rng.choice(in_france, size=anonymous_count if len(in_france) else 0)
    anonymous_days = days_back(rng, len(anonymous), ORDER_HISTORY_DAYS, 1.3, anchor_day)
    anonymous_product = pick_products(rng, tastes, anonymous)
    anonymous_price = catalog().price[anonymous_product] * rng.lognormal(
        0.0, ORDER_PRICE_NOISE, len(anonymous)
    )
    persons = np.concatenate([carded, anonymous]).astype(np.int64)
    product = np.concatenate([purchases.product[rows], anonymous_product])
    basket = capped_geometric(rng, len(persons), 0.6, 6)
    price = np.concatenate([purchases.price[rows], anonymous_price]) * basket
    home = chance(rng, len(persons), HOME_STORE_SHARE)
    store = np.where(home, pop.home_store[persons], rng.integers(0, STORES, len(persons)))
    cents = np.maximum(100, np.round(price * 10) * 10).astype(np.int64)
    seconds, persons, store, cents, product, with_card = by_time(
        clock(rng, np.concatenate([carded_days, anonymous_days]), STORE_HOURS),
        persons,
        store,
        cents,
        product,
        np.r_[np.ones(len(carded), dtype=bool), np.zeros(len(anonymous), dtype=bool)],
    )
    size = len(persons)
    table = pa.table(
        {
            "ticket_id": sequence_ids("T", size, 100_000_001, 9),
            "loyalty_id": null_where(take(cards.loyalty_id, persons), ~with_card),
            "store_id": _store_ids(store),
            "amount": amounts(cents),
            "purchased_at": format_times(seconds, "%d/%m/%Y %H:%M"),
            "category": take(catalog().category_names, catalog().category[product]),
            "product_id": take(catalog().ids, product),
        }
    )
    return SourceData("store_tickets", "store_tickets.csv", table, "ticket_id", persons)
