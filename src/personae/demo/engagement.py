"""Engagement: the e-mail tool's events and the web site's tracking events."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from personae.demo import names as vocab
from personae.demo.arrays import Rng, join, null_where, take, words
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
from personae.demo.formats import format_times, hex_ids, sequence_ids
from personae.demo.memberships import Memberships
from personae.demo.population import Population
from personae.demo.products import Tastes, catalog, pick_products
from personae.demo.rates import (
    APP_DEVICE_SHARE,
    CLICK_SHARE,
    DAY,
    DEVICES,
    EMAIL_HISTORY_DAYS,
    EMAIL_HOURS,
    MAX_EMAIL_EVENTS,
    MEAN_EMAIL_EVENTS,
    NEWSLETTER_SHARE,
    ONLINE_HOURS,
    PRODUCT_PAGE_SHARE,
    SIGN_IN_SHARE,
    UNSUBSCRIBE_SHARE,
    WEB_HISTORY_DAYS,
)
from personae.demo.render import person_emails
from personae.demo.styles import EMAIL_TOOL_STYLE


def build_email_events(rng: Rng, pop: Population, who: Memberships, anchor_day: int) -> SourceData:
    """0-40 opens and clicks per subscriber over a year; a few unsubscribe at the end."""
    audience = np.flatnonzero(who.email_audience)
    counts = np.minimum(
        rng.geometric(1 / (MEAN_EMAIL_EVENTS + 1), len(audience)) - 1, MAX_EMAIL_EVENTS
    ).astype(np.int64)
    persons = np.repeat(audience, counts)
    days = days_back(rng, len(persons), EMAIL_HISTORY_DAYS, 1.2, anchor_day)
    seconds = clock(rng, days, EMAIL_HOURS)
    kind = chance(rng, len(persons), CLICK_SHARE).astype(np.int64)  # 0 open, 1 click
    leaving = chance(rng, len(audience), UNSUBSCRIBE_SHARE)
    last_seen = clock(
        rng, days_back(rng, len(audience), EMAIL_HISTORY_DAYS, 1.0, anchor_day), EMAIL_HOURS
    )
    active = counts > 0
    if active.any():
        last_seen[active] = np.maximum.reduceat(seconds, offsets(counts)[active])
    unsubscribed = np.minimum(
        last_seen + rng.integers(60, 7200, len(audience)), anchor_day * DAY - 1
    )
    seconds, persons, kind = by_time(
        np.concatenate([seconds, unsubscribed[leaving]]),
        np.concatenate([persons, audience[leaving]]),
        np.concatenate([kind, np.full(int(leaving.sum()), 2, dtype=np.int64)]),
    )
    size = len(persons)
    newsletter = join("newsletter-", format_times(seconds, "%Y-%m"))
    promotion = take(words(vocab.CAMPAIGNS), rng.integers(0, len(vocab.CAMPAIGNS), size))
    table = pa.table(
        {
            "event_id": sequence_ids("E", size, 1, 10),
            "email": person_emails(rng, pop, persons, EMAIL_TOOL_STYLE),
            "event_type": take(words(["open", "click", "unsubscribe"]), kind),
            "campaign": pc.if_else(chance(rng, size, NEWSLETTER_SHARE), newsletter, promotion),
            "occurred_at": format_times(seconds, "%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    return SourceData("email_events", "email_events.csv", table, "event_id", persons)


def build_web_events(
    rng: Rng,
    pop: Population,
    who: Memberships,
    accounts: Accounts,
    tastes: Tastes,
    anchor_day: int,
) -> SourceData:
    """Devices browse under an anonymous id; a sign-in links it to the user id. Some
    pages are product pages, picked after the person's taste, each followed by a
    ``Product Viewed`` event (Segment's e-commerce spec) with the product and category."""
    users = np.flatnonzero(who.web)
    devices = np.array([d for d, _ in DEVICES])[weighted(rng, len(users), [w for _, w in DEVICES])]
    device_person = np.repeat(users, devices)
    app = chance(rng, len(device_person), APP_DEVICE_SHARE)
    anonymous_ids = hex_ids(rng, len(device_person))
    device_ids = pc.utf8_upper(hex_ids(rng, len(device_person), (16,)))

    sessions = capped_geometric(rng, len(device_person), 0.6, 6)
    session_device = np.repeat(np.arange(len(device_person)), sessions)
    count = len(session_device)
    days = days_back(rng, count, WEB_HISTORY_DAYS, 1.5, anchor_day)
    start = clock(rng, days, ONLINE_HOURS)
    pages = capped_geometric(rng, count, 0.5, 8)
    has_account = accounts.has_account[device_person[session_device]]
    signs_in = has_account & chance(rng, count, SIGN_IN_SHARE)
    sign_in_at = rng.integers(0, pages + 1)
    # the recent accessory shoppers sign in on their first device this week
    first = offsets(sessions)[offsets(devices)[who.recent_shopper[users]]]
    start[first] = clock(rng, anchor_day - 1 - rng.integers(0, 6, len(first)), ONLINE_HOURS)
    signs_in[first], sign_in_at[first] = True, 0
    pages[first] = np.maximum(pages[first], 2)

    per_session = pages + signs_in
    session = np.repeat(np.arange(count), per_session)
    position = np.arange(len(session)) - np.repeat(offsets(per_session), per_session)
    elapsed = np.cumsum(rng.integers(5, 240, len(session)))
    elapsed -= np.repeat(elapsed[offsets(per_session)], per_session) if len(session) else 0
    seconds = np.minimum(start[session] + elapsed, anchor_day * DAY - 1)
    is_sign_in = signs_in[session] & (position == sign_in_at[session])
    known = signs_in[session] & (position >= sign_in_at[session])
    path = rng.integers(0, len(vocab.WEB_PATHS), len(session))
    # product pages after the person's taste, each followed by a Product Viewed event
    product = np.full(len(session), -1, dtype=np.int64)
    on_product = np.flatnonzero(~is_sign_in & chance(rng, len(session), PRODUCT_PAGE_SHARE))
    product[on_product] = pick_products(
        rng, tastes, device_person[session_device[session[on_product]]]
    )
    kind = is_sign_in.astype(np.int64)  # 0 Page Viewed, 1 Signed In, 2 Product Viewed
    viewed = np.minimum(seconds[on_product] + 1, anchor_day * DAY - 1)
    seconds, device, kind, known, path, product = by_time(
        np.r_[seconds, viewed],
        session_device[np.r_[session, session[on_product]]],
        np.r_[kind, np.full(len(on_product), 2, dtype=np.int64)],
        np.r_[known, known[on_product]],
        np.r_[np.where(is_sign_in, -1, path), path[on_product]],
        np.r_[product, product[on_product]],
    )
    persons = device_person[device]
    size = len(persons)
    products = catalog()
    shown = np.maximum(product, 0)
    page_paths = take(words([vocab.SIGN_IN_PATH, *vocab.WEB_PATHS]), path + 1)
    product_paths = join(vocab.PRODUCT_PATH, take(products.ids, shown))
    table = pa.table(
        {
            "message_id": hex_ids(rng, size),
            "anonymous_id": take(anonymous_ids, device),
            "user_id": null_where(take(accounts.customer_id, persons), ~known),
            "app": app[device],
            "device_id": take(device_ids, device),
            "event": take(words(["Page Viewed", "Signed In", "Product Viewed"]), kind),
            "timestamp": format_times(seconds, "%Y-%m-%dT%H:%M:%SZ"),
            "path": pc.if_else(product >= 0, product_paths, page_paths),
            "product_id": null_where(take(products.ids, shown), kind != 2),
            "category": null_where(
                take(products.category_names, products.category[shown]), kind != 2
            ),
        }
    )
    return SourceData("web_events", "web_events.jsonl", table, "message_id", persons)
