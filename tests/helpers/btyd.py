"""Customers simulated from BG/NBD and Gamma-Gamma with known parameters: the known
answers the prediction tests check the fitted models against."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa


@dataclass
class Simulated:
    summary: pa.Table
    #: repeat purchases each customer made in the ``future`` days after their ``t``
    future_orders: np.ndarray
    future: float
    #: each customer's own mean order value
    mean_spend: np.ndarray


def simulate(
    n: int,
    *,
    r: float = 0.25,
    alpha: float = 4.0,
    a: float = 0.8,
    b: float = 2.5,
    p: float = 6.0,
    q: float = 4.0,
    v: float = 15.0,
    future: float = 60.0,
    seed: int = 0,
) -> Simulated:
    """BG/NBD purchases over each customer's observation time ``t`` (uniform 30-120
    days) and ``future`` days after; Gamma-Gamma order values."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    t_obs = rng.uniform(30, 120, n)
    horizon = t_obs + future
    now = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    frequency = np.zeros(n)
    recency = np.zeros(n)
    later = np.zeros(n)
    for _ in range(400):
        if not alive.any():
            break
        step = now + rng.exponential(1 / np.maximum(rate, 1e-12))
        buys = alive & (step < horizon)
        observed = buys & (step < t_obs)
        frequency[observed] += 1
        recency[observed] = step[observed]
        later[buys & ~observed] += 1
        now = np.where(buys, step, now)
        alive &= buys & (rng.random(n) >= drop)
    mean_spend = p / rng.gamma(q, 1 / v, n)  # the customer's mean: p / nu, nu ~ Gamma(q, v)
    monetary = np.zeros(n)
    repeat = frequency > 0
    draws = rng.gamma(
        np.repeat(p, int(frequency.sum())), np.repeat(mean_spend / p, frequency.astype(int))
    )
    owners = np.repeat(np.arange(n), frequency.astype(int))
    sums = np.bincount(owners, weights=draws, minlength=n)
    monetary[repeat] = sums[repeat] / frequency[repeat]
    summary = pa.table(
        {
            "person_id": np.arange(1, n + 1, dtype=np.int64),
            "frequency": frequency,
            "recency": recency,
            "t": t_obs,
            "monetary": monetary,
            "first_amount": monetary,
            "orders": frequency + 1,
            "revenue": monetary * frequency,
        }
    )
    return Simulated(summary, later, future, mean_spend)


ORDER, VIEW, OPEN = "Order Completed", "Product Viewed", "Email Opened"
STYLES = {"a": ["A1", "A2", "A3", "A4"], "b": ["B1", "B2", "B3", "B4"]}


def shop_history(seed: int = 1) -> list[tuple[int, str, dt.datetime, str]]:
    """400 customers of two tastes buying every 20-60 days until they stop; some are
    still buying, some stopped long ago; everyone also buys the popular P1 now and then."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, str, dt.datetime, str]] = []
    start = dt.datetime(2024, 7, 1)
    end = dt.datetime(2026, 6, 30, 12)
    for person in range(1, 401):
        items = STYLES["a" if person % 2 else "b"]
        first = start + dt.timedelta(days=int(rng.integers(0, 300)))
        stop = first + dt.timedelta(days=int(rng.exponential(400)))
        gap = rng.uniform(20, 60)
        when = first
        while when < min(stop, end):
            product = "P1" if rng.random() < 0.3 else str(rng.choice(items))
            props = {"revenue": round(float(rng.gamma(5, 10)), 2), "product_id": product}
            rows.append((person, ORDER, when, json.dumps(props)))
            if rng.random() < 0.5:
                viewed = str(rng.choice(items))
                rows.append(
                    (person, VIEW, when - dt.timedelta(hours=1), json.dumps({"product_id": viewed}))
                )
            if rng.random() < 0.6:
                rows.append((person, OPEN, when - dt.timedelta(days=2), "{}"))
            when += dt.timedelta(days=float(rng.gamma(4, gap / 4)))
    # two customers whose answer is plain: 7 buys every week up to yesterday; 8 bought
    # twice, 20 months ago
    for week in range(30):
        rows.append(
            (
                7001,
                ORDER,
                end - dt.timedelta(days=1 + 7 * week),
                '{"revenue": 80, "product_id": "A1"}',
            )
        )
    for day in (600, 590):
        rows.append(
            (7002, ORDER, end - dt.timedelta(days=day), '{"revenue": 80, "product_id": "A1"}')
        )
    return rows
