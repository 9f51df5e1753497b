"""The web shop's orders."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from personae.demo import names as vocab
from personae.demo.arrays import Rng, null_where, take, text, words
from personae.demo.crm import Accounts
from personae.demo.draws import by_time, capped_geometric, chance, clock, weighted
from personae.demo.files import SourceData
from personae.demo.formats import amounts, format_times, sequence_ids
from personae.demo.population import Population
from personae.demo.products import catalog
from personae.demo.purchases import Purchases
from personae.demo.rates import (
    ABBREVIATED_STREET_SHARE,
    GUEST_ORDER_SHARE,
    GUEST_SECOND_EMAIL_SHARE,
    ONLINE_HOURS,
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


def build_orders(rng: Rng, pop: Population, accounts: Accounts, purchases: Purchases) -> SourceData:
    """The web purchases of the two years before the export: each order's main item,
    its category, price and basket size; guests check out without their account."""
    rows = purchases.on(web=True)
    persons, days, product = purchases.person[rows], purchases.day[rows], purchases.product[rows]
    size = len(persons)
    guest = ~accounts.has_account[persons] | chance(rng, size, GUEST_ORDER_SHARE)
    guest &= ~purchases.recent[rows]  # the recent accessory shoppers' order: signed in
    items = capped_geometric(rng, size, 0.6, 6)
    euros = np.maximum(3, np.round(purchases.price[rows])).astype(np.int64)
    cents = np.array([90, 99, 0, 50])[weighted(rng, size, (45, 30, 15, 10))]
    unit_price = np.where(cents > 0, (euros - 1) * 100 + cents, euros * 100)
    seconds, persons, product, items, unit_price, guest = by_time(
        clock(rng, days, ONLINE_HOURS), persons, product, items, unit_price, guest
    )
    products = catalog()
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
            "category": take(products.category_names, products.category[product]),
            "product_id": take(products.ids, product),
            "product_name": take(products.names, product),
            "items": text(items),
        }
    )
    return SourceData("orders", "orders.csv", table, "order_id", persons)
