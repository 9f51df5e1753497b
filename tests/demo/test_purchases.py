"""The demo's purchase histories: one process per customer behind web orders and till
tickets, with lifetimes, regular gaps, seasons, spend levels and product tastes."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from personae.demo import generate_demo
from personae.demo import names as vocab
from personae.demo import purchases as purchases_module
from personae.demo.memberships import draw_memberships
from personae.demo.population import build_population
from personae.demo.products import draw_tastes
from personae.demo.purchases import draw_purchases
from personae.demo.stores import build_loyalty

PEOPLE = 4_000
ANCHOR = dt.date(2026, 11, 1)
PRODUCTS = {p.id: p for p in vocab.PRODUCTS}
CATEGORIES = [c[0] for c in vocab.CATEGORIES]


@dataclass(frozen=True)
class Purchase:
    person: str
    day: dt.date
    channel: str  # web or store
    product: str
    row: dict[str, str]


@dataclass(frozen=True)
class Histories:
    root: Path
    purchases: list[Purchase]
    #: person -> their row of truth/purchases.csv
    truth: dict[str, dict[str, str]]
    #: (person, product) of every Product Viewed event
    views: list[tuple[str, str, dict[str, object]]]
    anonymous_tickets: list[dict[str, str]]
    people_by_source: dict[str, set[str]]

    def by_person(self) -> dict[str, list[Purchase]]:
        out: dict[str, list[Purchase]] = defaultdict(list)
        for p in sorted(self.purchases, key=lambda p: p.day):
            out[p.person].append(p)
        return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle)]


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text) if text else dt.date.max


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> Histories:
    root = tmp_path_factory.mktemp("purchases")
    generate_demo(PEOPLE, root, seed=7)
    truth = {
        (r["source"], r["record_id"]): r["person"] for r in _rows(root / "truth" / "records.csv")
    }
    people_by_source: dict[str, set[str]] = defaultdict(set)
    for (source, _), person in truth.items():
        people_by_source[source].add(person)
    purchases = []
    seen = set()
    for row in _rows(root / "data" / "orders.csv"):
        if row["order_id"] in seen:  # the order the export repeats
            continue
        seen.add(row["order_id"])
        day = dt.datetime.fromisoformat(row["ordered_at"]).date()
        person = truth[("orders", row["order_id"])]
        purchases.append(Purchase(person, day, "web", row["product_id"], row))
    anonymous = []
    for row in _rows(root / "data" / "store_tickets.csv"):
        if not row["loyalty_id"]:
            anonymous.append(row)
            continue
        day = dt.datetime.strptime(row["purchased_at"], "%d/%m/%Y %H:%M").date()
        person = truth[("store_tickets", row["ticket_id"])]
        purchases.append(Purchase(person, day, "store", row["product_id"], row))
    views = []
    for line in (root / "data" / "web_events.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["event"] == "Product Viewed":
            person = truth[("web_events", event["message_id"])]
            views.append((person, event["properties"]["product_id"], event))
    customers = {r["person"]: r for r in _rows(root / "truth" / "purchases.csv")}
    return Histories(root, purchases, customers, views, anonymous, people_by_source)


# --------------------------------------------------------------------------- the process


def test_every_purchase_falls_within_the_person_s_lifetime(histories: Histories) -> None:
    for p in histories.purchases:
        truth = histories.truth[p.person]
        assert _date(truth["first_purchase_date"]) <= p.day, (p, truth)
        assert p.day <= _date(truth["lifetime_end_date"]), (p, truth)
        assert p.day < ANCHOR


def test_both_channels_stop_when_the_lifetime_ends(histories: Histories) -> None:
    """People who buy on both channels and lapsed before the export stopped on both: their
    last order and last ticket precede the end, which comes before the export."""
    lapsed_on_both = 0
    for person, bought in histories.by_person().items():
        end = _date(histories.truth[person]["lifetime_end_date"])
        channels = {p.channel for p in bought}
        if end < ANCHOR and channels == {"web", "store"}:
            lapsed_on_both += 1
            assert max(p.day for p in bought if p.channel == "web") <= end
            assert max(p.day for p in bought if p.channel == "store") <= end
    assert lapsed_on_both >= 20
    # and lapsed people are really gone: none of them is still counted as buying
    for row in histories.truth.values():
        if _date(row["lifetime_end_date"]) < ANCHOR:
            assert row["next_purchase_date"] == "" and row["purchases_next_365d"] == "0", row


def test_gaps_are_more_regular_than_a_poisson_process_but_not_clockwork(
    histories: Histories,
) -> None:
    """Within a person, gaps between purchases vary less than the exponential gaps of a
    Poisson process would (compared on the same numbers of gaps), yet they do vary."""
    gaps_per_person = []
    for bought in histories.by_person().values():
        days = sorted(p.day for p in bought)
        gaps = [(b - a).days for a, b in itertools.pairwise(days)]
        if len(gaps) >= 3 and sum(gaps) > 0:
            gaps_per_person.append(gaps)
    assert len(gaps_per_person) >= 100

    def spread(samples: list[list[float]]) -> float:
        """The coefficient of variation of gaps divided by their person's mean gap."""
        scaled = [g / (sum(gaps) / len(gaps)) for gaps in samples for g in gaps]
        return float(np.std(scaled) / np.mean(scaled))

    rng = random.Random(3)
    poisson = [[rng.expovariate(1.0) for _ in gaps] for gaps in gaps_per_person]
    ours, memoryless = spread(gaps_per_person), spread(poisson)
    assert 0.3 < ours < 0.85 * memoryless, (ours, memoryless)


def test_christmas_and_the_sales_lift_purchases(histories: Histories) -> None:
    per_month = np.zeros(12)
    for p in histories.purchases:
        per_month[p.day.month - 1] += 1
    days = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    per_day = per_month / days
    assert per_day[11] > 1.3 * per_day[[1, 2]].mean()  # December over February-March
    assert per_day[[0, 6]].mean() > 1.15 * per_day[[1, 7]].mean()  # sales over the month after


def test_the_true_rate_is_the_rate_people_buy_at(histories: Histories) -> None:
    """Customers acquired before the history and alive after it bought, on the two
    channels together, about their true rate over the two years."""
    counts: dict[str, int] = defaultdict(int)
    for p in histories.purchases:
        counts[p.person] += 1
    start = ANCHOR - dt.timedelta(days=730)
    expected = observed = 0.0
    for person, row in histories.truth.items():
        if _date(row["first_purchase_date"]) < start and _date(row["lifetime_end_date"]) > ANCHOR:
            expected += float(row["purchases_per_year"]) * 2
            observed += counts[person]
    assert expected > 200
    assert 0.8 < observed / expected < 1.25, (observed, expected)


def test_spend_levels_drive_prices(histories: Histories) -> None:
    """An order's unit price is its product's price times the person's spend level, give
    or take some noise: people's price ratios follow their spend level."""
    ratios: dict[str, list[float]] = defaultdict(list)
    for p in histories.purchases:
        if p.channel == "web":
            unit = float(p.row["total"]) / int(p.row["items"])
            ratios[p.person].append(math.log(unit / PRODUCTS[p.product].price))
    people = [person for person, r in ratios.items() if len(r) >= 2]
    level = [math.log(float(histories.truth[person]["spend_level"])) for person in people]
    mean_ratio = [float(np.mean(ratios[person])) for person in people]
    assert np.corrcoef(level, mean_ratio)[0, 1] > 0.6


def test_the_truth_lists_every_customer_once(histories: Histories) -> None:
    buyers = histories.people_by_source["orders"]
    members = histories.people_by_source["loyalty_members"]
    assert set(histories.truth) == buyers | members
    for row in histories.truth.values():
        assert float(row["purchases_per_year"]) > 0 and float(row["spend_level"]) > 0
        assert 0 <= float(row["web_share"]) <= 1
        assert row["main_style"] in vocab.STYLES
        upcoming = row["next_purchase_date"]
        assert (upcoming == "") == (row["purchases_next_365d"] == "0")
        assert upcoming == "" or ANCHOR <= _date(upcoming) <= _date(row["lifetime_end_date"])


def test_volumes_stay_near_the_old_generator_s(histories: Histories) -> None:
    orders = [p for p in histories.purchases if p.channel == "web"]
    carded = [p for p in histories.purchases if p.channel == "store"]
    buyers = {p.person for p in orders}
    assert buyers == histories.people_by_source["orders"]  # every web buyer ordered
    assert 2.0 <= len(orders) / len(buyers) <= 3.2
    members = len(histories.people_by_source["loyalty_members"])
    assert 1.0 <= len(carded) / members <= 2.0
    tickets = len(carded) + len(histories.anonymous_tickets)
    assert 0.25 < len(histories.anonymous_tickets) / tickets < 0.35


# --------------------------------------------------------------------------- products


def test_products_belong_to_the_category_written_beside_them(histories: Histories) -> None:
    assert 60 <= len(PRODUCTS) <= 120
    assert {p.category for p in PRODUCTS.values()} == set(range(len(CATEGORIES)))
    for p in histories.purchases:
        product = PRODUCTS[p.product]
        assert p.row["category"] == CATEGORIES[product.category], p
        assert p.product.startswith(f"P-{vocab.CATEGORY_CODES[product.category]}-")
        if p.channel == "web":
            assert p.row["product_name"] == product.name
    for row in histories.anonymous_tickets:
        assert row["category"] == CATEGORIES[PRODUCTS[row["product_id"]].category]
    for _, product_id, event in histories.views:
        properties = event["properties"]
        assert isinstance(properties, dict)
        assert properties["category"] == CATEGORIES[PRODUCTS[product_id].category]
        assert properties["path"] == vocab.PRODUCT_PATH + product_id


def _shares_a_style(a: str, b: str) -> bool:
    return bool(set(PRODUCTS[a].styles) & set(PRODUCTS[b].styles))


def test_a_person_s_purchases_follow_their_style(histories: Histories) -> None:
    """Two purchases of one person share a style far more often than two purchases of
    two people; and a few products sell much more than most."""
    pairs = [
        (a.product, b.product)
        for bought in histories.by_person().values()
        for a, b in itertools.pairwise(bought)
    ]
    everything = [p.product for p in histories.purchases]
    rng = random.Random(5)
    strangers = [(rng.choice(everything), rng.choice(everything)) for _ in range(len(pairs))]
    same = np.mean([_shares_a_style(a, b) for a, b in pairs])
    random_pairs = np.mean([_shares_a_style(a, b) for a, b in strangers])
    assert same > random_pairs + 0.1, (same, random_pairs)
    sales = sorted(np.bincount([list(PRODUCTS).index(p) for p in everything]), reverse=True)
    top_tenth = sum(sales[: len(sales) // 10]) / sum(sales)
    assert top_tenth > 0.2  # the best-selling tenth of the catalogue: over a fifth of sales


def test_people_buy_in_their_own_style_more_than_others_do(histories: Histories) -> None:
    """A person's purchases fall in their main style (the truth) far more often than the
    purchases of everyone else do."""
    everything = [p.product for p in histories.purchases]
    in_style = {
        s: np.mean([s in PRODUCTS[p].styles for p in everything]) for s in range(len(vocab.STYLES))
    }
    own, population = [], []
    for person, bought in histories.by_person().items():
        if len(bought) >= 3:
            style = vocab.STYLES.index(histories.truth[person]["main_style"])
            own.append(np.mean([style in PRODUCTS[p.product].styles for p in bought]))
            population.append(in_style[style])
    assert len(own) >= 100
    assert np.mean(own) > np.mean(population) + 0.2, (np.mean(own), np.mean(population))


def test_what_people_browse_follows_what_they_buy(histories: Histories) -> None:
    bought: dict[str, list[str]] = defaultdict(list)
    for p in histories.purchases:
        bought[p.person].append(p.product)
    rng = random.Random(9)
    everything = [p.product for p in histories.purchases]
    own, other = [], []
    for person, viewed, _ in histories.views:
        if bought.get(person):
            own.append(_shares_a_style(viewed, rng.choice(bought[person])))
            other.append(_shares_a_style(viewed, rng.choice(everything)))
    assert len(own) >= 200
    assert np.mean(own) > np.mean(other) + 0.1, (np.mean(own), np.mean(other))


def test_product_pages_are_followed_by_product_viewed(histories: Histories) -> None:
    lines = (histories.root / "data" / "web_events.jsonl").read_text(encoding="utf-8")
    events = [json.loads(line) for line in lines.splitlines()]
    product_pages = [
        e
        for e in events
        if e["event"] == "Page Viewed" and e["properties"]["path"].startswith(vocab.PRODUCT_PATH)
    ]
    assert len(product_pages) == len(histories.views) > 0
    assert all("product_id" not in e["properties"] for e in product_pages)
    names = {e["event"] for e in events}
    assert names == {"Page Viewed", "Signed In", "Product Viewed"}


def test_every_web_buyer_orders_even_when_redrawing_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Web buyers are drawn again until they have a web order in the history; the last
    resort (no more draws) gives them a first purchase within it, online."""
    monkeypatch.setattr(purchases_module, "_REDRAWS", 0)
    rng = np.random.default_rng(1)
    anchor_day = (ANCHOR - dt.date(1970, 1, 1)).days
    pop = build_population(rng, 3_000, anchor_day)
    who = draw_memberships(rng, pop)
    _, cards = build_loyalty(rng, pop, who, anchor_day)
    tastes = draw_tastes(rng, pop.size)
    bought = draw_purchases(rng, who, cards.joined_day, tastes, anchor_day)
    assert set(bought.person[bought.web]) == set(np.flatnonzero(who.buyer))
    assert set(bought.person[~bought.web]) <= set(np.flatnonzero(who.loyalty))
    assert (bought.day <= bought.customers.end_day[bought.person]).all()
    assert (bought.day >= bought.customers.first_day[bought.person]).all()
    assert ((bought.day >= anchor_day - 730) & (bought.day < anchor_day)).all()
