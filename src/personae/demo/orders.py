"""The web shop's orders."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from personae.demo import names as vocab
from personae.demo.arrays import Rng, null_where, take, text, words
from personae.demo.crm import Accounts
from personae.demo.draws import (
    by_time,
    capped_geometric,
    chance,
    clock,
    days_back,
    offsets,
    weighted,
)
from personae.demo.files import SourceData
from personae.demo.formats import amounts, format_times, sequence_ids
from personae.demo.memberships import Memberships
from personae.demo.population import Population
from personae.demo.rates import (
    ABBREVIATED_STREET_SHARE,
    CHURNED_BUYER_SHARE,
    GUEST_ORDER_SHARE,
    GUEST_SECOND_EMAIL_SHARE,
    MAX_ORDERS,
    ONLINE_HOURS,
    ORDER_HISTORY_DAYS,
    ORDERS_GEOMETRIC_P,
)
from personae.demo.render import (
    address_at,
    cities_of,
    person_emails,
    person_names,
    person_phones,
    postcodes_of,
    render_addresses,
    with_spaces,
)
from personae.demo.styles import ORDERS_STYLE


def build_orders(
    rng: Rng, pop: Population, who: Memberships, accounts: Accounts, anchor_day: int
) -> SourceData:
    """1-10 orders per buyer over two years, recent ones likelier; churned buyers stopped."""
    buyers = np.flatnonzero(who.buyer)
    counts = capped_geometric(rng, len(buyers), ORDERS_GEOMETRIC_P, MAX_ORDERS)
    churned = chance(rng, len(buyers), CHURNED_BUYER_SHARE) & ~who.recent_shopper[buyers]
    last_day = np.repeat(
        np.where(churned, anchor_day - rng.integers(180, 540, len(buyers)), anchor_day), counts
    )
    spend = np.repeat(rng.lognormal(0.0, 0.45, len(buyers)), counts)
    persons = np.repeat(buyers, counts)
    size = len(persons)
    days = days_back(rng, size, last_day - (anchor_day - ORDER_HISTORY_DAYS), 1.6, last_day)
    category = weighted(rng, size, [c[2] for c in vocab.CATEGORIES])
    guest = ~accounts.has_account[persons] | chance(rng, size, GUEST_ORDER_SHARE)
    # the recent accessory shoppers' first order: accessories, signed in, this month
    recent = offsets(counts)[who.recent_shopper[buyers]]
    days[recent] = anchor_day - 1 - rng.integers(0, 25, len(recent))
    category[recent] = [c[0] for c in vocab.CATEGORIES].index("accessories")
    guest[recent] = False
    items = capped_geometric(rng, size, 0.6, 6)
    price = np.array([c[1] for c in vocab.CATEGORIES])[category] * spend
    euros = np.maximum(3, np.round(price * rng.lognormal(0, 0.3, size))).astype(np.int64)
    cents = np.array([90, 99, 0, 50])[weighted(rng, size, (45, 30, 15, 10))]
    unit_price = np.where(cents > 0, (euros - 1) * 100 + cents, euros * 100)
    seconds, persons, category, items, unit_price, guest = by_time(
        clock(rng, days, ONLINE_HOURS), persons, category, items, unit_price, guest
    )
    second_email = guest & chance(rng, size, GUEST_SECOND_EMAIL_SHARE)
    first, last = person_names(rng, pop, persons, ORDERS_STYLE)
    address = address_at(pop, persons, seconds)
    street = render_addresses(rng, address, ABBREVIATED_STREET_SHARE)
    table = pa.table(
        {
            "order_id": sequence_ids("O", size, 10_000_001, 8),
            "customer_id": null_where(take(accounts.customer_id, persons), guest),
            "email": person_emails(rng, pop, persons, ORDERS_STYLE, second=second_email),
            "phone": person_phones(rng, pop, persons, ORDERS_STYLE),
            "first_name": first,
            "last_name": last,
            "shipping_address": with_spaces(rng, street, ORDERS_STYLE.spaces),
            "shipping_postcode": postcodes_of(address),
            "shipping_city": cities_of(address),
            "shipping_country": take(words(vocab.COUNTRY_CODES), pop.country[persons]),
            "ordered_at": format_times(seconds, "%Y-%m-%d %H:%M:%S"),
            "total": amounts(unit_price * items),
            "currency": pa.repeat(pa.scalar("EUR", pa.string()), size),
            "category": take(words([c[0] for c in vocab.CATEGORIES]), category),
            "items": text(items),
        }
    )
    return SourceData("orders", "orders.csv", table, "order_id", persons)
