"""One purchase process per customer, shared by web orders and till tickets.

Each customer (a web buyer, a loyalty member, or both) is acquired on the day of their
first purchase: web buyers up to three years before the order history starts, loyalty
members on the day they took their card. From then on they buy at a rate of their own
(gamma-distributed across people), with gaps between purchases more regular than a
Poisson process (gamma-shaped), more often at Christmas and in the January and July
sales (seasonal lift, by thinning), until their lifetime ends (exponential, with a mean
of their own): after that they never buy again, on either channel. Each purchase goes to
the web or the store: web buyers buy online, loyalty members at the till, people who are
both mix the two in a proportion of their own (online only before they took a card).
Each person has a spend level; each purchase's price varies around it, and its main item
follows the person's taste (``products``).

The process is simulated in continuous time, a batch of gaps per round for every person
still buying (no loop over people). It runs a year past the export for the ground truth
of what comes next (``truth/purchases.csv``); the files hold the two years before it.
Web buyers are the people the web shop knows as buyers: they are drawn again until they
have at least one web order in those two years (the shop's export only holds them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from personae.demo import names as vocab
from personae.demo.arrays import BoolArray, IntArray, Rng
from personae.demo.memberships import Memberships
from personae.demo.products import FloatArray, Tastes, catalog, pick_products
from personae.demo.rates import (
    ACQUIRED_BEFORE_DAYS,
    FUTURE_DAYS,
    LIFETIME_MEDIAN_DAYS,
    LIFETIME_RATE_CORRELATION,
    LIFETIME_SIGMA,
    MEAN_PURCHASE_GAP_DAYS,
    MONTH_LIFT,
    NEVER,
    ORDER_HISTORY_DAYS,
    ORDER_PRICE_NOISE,
    PURCHASE_GAP_SHAPE,
    PURCHASE_RATE_SHAPE,
    SPEND_RATE_CORRELATION,
    SPEND_SIGMA,
    WEB_SHARE_BETA,
)

#: gaps drawn per person and round of the simulation
_GAPS_PER_ROUND = 16
#: rounds of drawing web buyers again before the last resort (see ``_redraw``)
_REDRAWS = 30
#: the recent accessory shoppers' forced order: within this many days before the export
RECENT_ORDER_DAYS = 25


@dataclass(frozen=True)
class Customers:
    """Each person's purchase process (the ground truth); zeros and NEVER for others."""

    customer: BoolArray
    #: the day of the first purchase
    first_day: IntArray
    #: purchases per day, on average over the year
    rate: FloatArray
    #: the day the lifetime ends (a fraction of a day in ``end``)
    end: FloatArray
    #: the spend level: prices are the products' prices times this
    spend: FloatArray
    #: the share of purchases made online once the person holds a loyalty card
    web_share: FloatArray
    #: the first purchase on or after the export day, NEVER when none within FUTURE_DAYS
    next_day: IntArray
    #: purchases from the export day to FUTURE_DAYS after it
    next_count: IntArray

    @property
    def end_day(self) -> IntArray:
        return np.where(self.customer, np.floor(self.end), NEVER).astype(np.int64)


@dataclass(frozen=True)
class Purchases:
    """Every purchase of the order history, in no particular order."""

    person: IntArray
    day: IntArray
    web: BoolArray
    product: IntArray
    #: unit price of the main item in euros: its price, the spend level, some noise
    price: FloatArray
    #: the recent accessory shoppers' order of the last days (one each)
    recent: BoolArray
    customers: Customers

    def on(self, web: bool) -> IntArray:
        """The rows of one channel."""
        return np.flatnonzero(self.web == web)


def draw_purchases(
    rng: Rng,
    who: Memberships,
    joined_day: IntArray,
    tastes: Tastes,
    anchor_day: int,
) -> Purchases:
    """The purchases of every web buyer and loyalty member (``joined_day``: NEVER without
    a card), from the start of the order history to ``anchor_day`` (excluded)."""
    size = len(who.buyer)
    people = np.flatnonzero(who.buyer | who.loyalty)
    row_of = np.full(size, -1, dtype=np.int64)
    row_of[people] = np.arange(len(people))
    latent = _Latent.draw(rng, people, who, joined_day, anchor_day)
    person, time = latent.simulate(rng, anchor_day)
    web = latent.channels(rng, row_of[person], time, joined_day[person])
    missing = latent.without_web_order(row_of[person], time, web, anchor_day)
    # web buyers without a web order in the history were not buyers: draw them again
    for attempt in range(_REDRAWS + 1):
        if not len(missing):
            break
        again = _Latent.draw(rng, people[missing], who, joined_day, anchor_day)
        if attempt == _REDRAWS:
            again = again.last_resort(rng, anchor_day)
        latent = latent.replace(missing, again)
        redrawn = np.zeros(len(people), dtype=bool)
        redrawn[missing] = True
        kept = ~redrawn[row_of[person]]
        new_person, new_time = again.simulate(rng, anchor_day)
        new_web = latent.channels(rng, row_of[new_person], new_time, joined_day[new_person])
        still = latent.without_web_order(row_of[new_person], new_time, new_web, anchor_day)
        missing = np.intersect1d(missing, still, assume_unique=True)
        person, time = np.r_[person[kept], new_person], np.r_[time[kept], new_time]
        web = np.r_[web[kept], new_web]
    day = np.floor(time).astype(np.int64)
    future = day >= anchor_day
    customers = latent.customers(size, person[future], day[future])
    past = ~future & (day >= anchor_day - ORDER_HISTORY_DAYS)
    person, day, web = person[past], day[past], web[past]
    product = pick_products(rng, tastes, person)
    # the recent accessory shoppers: an accessory ordered online in the last days
    recent = np.flatnonzero(who.recent_shopper)
    accessories = [c[0] for c in vocab.CATEGORIES].index("accessories")
    person = np.r_[person, recent]
    day = np.r_[day, latent.recent_day[row_of[recent]]]
    web = np.r_[web, np.ones(len(recent), dtype=bool)]
    product = np.r_[product, pick_products(rng, tastes, recent, accessories)]
    noise = rng.lognormal(0.0, ORDER_PRICE_NOISE, len(person))
    price = catalog().price[product] * customers.spend[person] * noise
    recent_order = np.r_[
        np.zeros(len(person) - len(recent), dtype=bool), np.ones(len(recent), dtype=bool)
    ]
    return Purchases(person, day, web, product, price, recent_order, customers)


@dataclass(frozen=True)
class _Latent:
    """The purchase process of ``people`` (sorted person indices)."""

    people: IntArray
    buyer: BoolArray
    first_day: IntArray
    rate: FloatArray
    mean_lifetime: FloatArray
    end: FloatArray
    spend: FloatArray
    web_share: FloatArray
    #: the recent accessory shoppers' forced order, NEVER for others
    recent_day: IntArray

    @staticmethod
    def draw(
        rng: Rng, people: IntArray, who: Memberships, joined_day: IntArray, anchor_day: int
    ) -> _Latent:
        size = len(people)
        buyer = who.buyer[people]
        span = ORDER_HISTORY_DAYS + ACQUIRED_BEFORE_DAYS
        web_first = anchor_day - 1 - np.floor(span * rng.random(size) ** 1.2).astype(np.int64)
        # loyalty members who do not buy online took their card at their first purchase
        first_day = np.where(buyer, web_first, joined_day[people])
        shape = PURCHASE_RATE_SHAPE
        rate = rng.gamma(shape, 1 / (shape * MEAN_PURCHASE_GAP_DAYS), size)
        log_mean, log_sd = _log_gamma_moments(shape)
        z_rate = (np.log(rate * shape * MEAN_PURCHASE_GAP_DAYS) - log_mean) / log_sd
        mean_lifetime = LIFETIME_MEDIAN_DAYS * np.exp(
            LIFETIME_SIGMA * _correlated(rng, z_rate, LIFETIME_RATE_CORRELATION)
        )
        end = first_day + rng.exponential(mean_lifetime)
        recent = who.recent_shopper[people]
        recent_day = np.where(
            recent, anchor_day - 1 - rng.integers(0, RECENT_ORDER_DAYS, size), NEVER
        )
        # the recent shoppers bought this month, so were acquired by then and are alive
        # at the export: an exponential lifetime past a day is that day plus a new one
        first_day = np.minimum(first_day, recent_day)
        alive = anchor_day + rng.exponential(mean_lifetime)
        end = np.where(recent & (end <= anchor_day), alive, end)
        spend = np.exp(SPEND_SIGMA * _correlated(rng, z_rate, SPEND_RATE_CORRELATION))
        return _Latent(
            people=people,
            buyer=buyer,
            first_day=first_day,
            rate=rate,
            mean_lifetime=mean_lifetime,
            end=end,
            spend=spend,
            web_share=np.where(
                who.loyalty[people], rng.beta(*WEB_SHARE_BETA, size), buyer.astype(np.float64)
            ),
            recent_day=recent_day,
        )

    def simulate(self, rng: Rng, anchor_day: int) -> tuple[IntArray, FloatArray]:
        """Purchase times (days, continuous) of every person until their lifetime ends or
        FUTURE_DAYS after the export: the first purchase, then gamma-shaped gaps at the
        person's rate times the highest seasonal lift, each kept with the lift of its day
        divided by the highest lift."""
        lift = _month_lift()
        top = float(lift.max())
        stop = np.minimum(self.end, anchor_day + FUTURE_DAYS)
        first = self.first_day < stop
        persons, times = [self.people[first]], [self.first_day[first].astype(np.float64)]
        active = np.flatnonzero(first)
        now = self.first_day.astype(np.float64)
        k = PURCHASE_GAP_SHAPE
        while len(active):
            gaps = rng.gamma(k, 1.0, (len(active), _GAPS_PER_ROUND))
            gaps /= (k * self.rate[active] * top)[:, None]
            at = now[active, None] + np.cumsum(gaps, axis=1)
            inside = at < stop[active, None]
            rows, cols = np.nonzero(inside)
            when = at[rows, cols]
            month = when.astype(np.int64).astype("datetime64[D]").astype("datetime64[M]")
            keep = rng.random(len(when)) * top < lift[month.astype(np.int64) % 12]
            persons.append(self.people[active[rows[keep]]])
            times.append(when[keep])
            now[active] = at[:, -1]
            active = active[inside[:, -1]]
        return np.concatenate(persons), np.concatenate(times)

    def channels(self, rng: Rng, rows: IntArray, time: FloatArray, joined: IntArray) -> BoolArray:
        """Web or store for each purchase of ``rows`` at ``time``: the store needs a card
        (``joined``: the day the person took it), the web a web buyer."""
        online = rng.random(len(rows)) < self.web_share[rows]
        return np.where(self.buyer[rows], online | (time < joined), False)

    def without_web_order(
        self, rows: IntArray, time: FloatArray, web: BoolArray, anchor_day: int
    ) -> IntArray:
        """The web buyers with no web order in the history among purchases of ``rows``
        (recent shoppers have their forced order)."""
        in_history = (time >= anchor_day - ORDER_HISTORY_DAYS) & (time < anchor_day) & web
        ordered = np.bincount(rows[in_history], minlength=len(self.people)) > 0
        return np.flatnonzero(self.buyer & ~ordered & (self.recent_day == NEVER))

    def last_resort(self, rng: Rng, anchor_day: int) -> _Latent:
        """Web buyers who had no web order in any draw: a first purchase within the
        history, online, and every later one too."""
        size = len(self.people)
        first_day = anchor_day - 1 - rng.integers(0, ORDER_HISTORY_DAYS, size)
        return _Latent(
            **{
                **self.__dict__,
                "first_day": first_day,
                "end": first_day + rng.exponential(self.mean_lifetime),
                "web_share": np.ones(size),
            }
        )

    def replace(self, rows: IntArray, other: _Latent) -> _Latent:
        fields = {}
        for name, values in self.__dict__.items():
            values = values.copy()
            values[rows] = getattr(other, name)
            fields[name] = values
        return _Latent(**fields)

    def customers(self, size: int, next_person: IntArray, next_day: IntArray) -> Customers:
        def spread(values: FloatArray | IntArray, empty: float) -> FloatArray:
            out = np.full(size, empty, dtype=np.float64)
            out[self.people] = values
            return out

        customer = np.zeros(size, dtype=bool)
        customer[self.people] = True
        first_next = np.full(size, NEVER, dtype=np.int64)
        np.minimum.at(first_next, next_person, next_day)
        return Customers(
            customer=customer,
            first_day=spread(self.first_day, NEVER).astype(np.int64),
            rate=spread(self.rate, 0.0),
            end=spread(self.end, float(NEVER)),
            spend=spread(self.spend, 0.0),
            web_share=spread(self.web_share, 0.0),
            next_day=first_next,
            next_count=np.bincount(next_person, minlength=size).astype(np.int64),
        )


def _correlated(rng: Rng, z: FloatArray, correlation: float) -> FloatArray:
    """Standard normal values with ``correlation`` to the standard normal ``z``."""
    return correlation * z + math.sqrt(1 - correlation**2) * rng.standard_normal(len(z))


def _month_lift() -> FloatArray:
    """The seasonal lift of each month, normalised to a mean of 1 over the year's days."""
    lift = np.array(MONTH_LIFT, dtype=np.float64)
    days = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    normalised: FloatArray = lift / (lift * days).sum() * days.sum()
    return normalised


def _log_gamma_moments(shape: float) -> tuple[float, float]:
    """Mean and standard deviation of log X for X ~ Gamma(shape, 1): digamma and the
    square root of trigamma, by recurrence and their asymptotic series."""
    x, digamma, trigamma = shape, 0.0, 0.0
    while x < 6:
        digamma -= 1 / x
        trigamma += 1 / x**2
        x += 1
    digamma += math.log(x) - 1 / (2 * x) - 1 / (12 * x**2) + 1 / (120 * x**4) - 1 / (252 * x**6)
    trigamma += 1 / x + 1 / (2 * x**2) + 1 / (6 * x**3) - 1 / (30 * x**5) + 1 / (42 * x**7)
    return digamma, math.sqrt(trigamma)
