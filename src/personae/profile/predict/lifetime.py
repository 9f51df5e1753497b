"""Lifetime value: BG/NBD for how many orders a customer places and whether they are still
a customer, Gamma-Gamma for how much an order is worth, both fitted by maximum a
posteriori with pymc-marketing's CLV module (the maintained successor of ``lifetimes``).

BG/NBD (Fader, Hardie and Lee, 2005): while alive, a customer buys at a Poisson rate
drawn from Gamma(r, alpha) across customers; after each purchase they drop out with a
probability drawn from Beta(a, b). Gamma-Gamma: a customer's order values scatter
around their own mean, itself drawn from a Gamma across customers (p, q, v), independent
of how often they buy. Times are days.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from personae.errors import PersonaeError

if TYPE_CHECKING:
    import pandas as pd

INSTALL_HINT = "pip install 'personae[predict]'"
#: what predictions import
LIBRARIES = ("pymc_marketing", "sklearn")


class PredictionsUnavailable(PersonaeError):
    """The prediction libraries are not installed."""


def predictions_available() -> bool:
    """Whether pymc-marketing and scikit-learn are installed (without importing them:
    PyMC takes seconds to import)."""
    return all(find_spec(name) is not None for name in LIBRARIES)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the libraries' notices (ArviZ's refactor, PyTensor's BLAS) around a call."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def require_prediction_libraries() -> None:
    """Raise PredictionsUnavailable, saying what to install, when they are missing."""
    missing = [name for name in LIBRARIES if find_spec(name) is None]
    if missing:
        raise _unavailable(missing[0])


def _clv_module() -> Any:
    try:
        with _quiet():
            import sklearn  # noqa: F401
            from pymc_marketing import clv
    except ImportError as error:
        raise _unavailable(error.name or "pymc_marketing") from error
    return clv


def _unavailable(missing: str) -> PredictionsUnavailable:
    return PredictionsUnavailable(
        "personae.yml declares predictions, which need pymc-marketing and scikit-learn; "
        f"the core install leaves them out: {INSTALL_HINT} (or set "
        f"'predictions: {{enabled: false}}'); missing: {missing}"
    )


def _frame(summary: pa.Table) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "customer_id": np.arange(summary.num_rows),
            "frequency": summary["frequency"].to_numpy(zero_copy_only=False),
            "recency": summary["recency"].to_numpy(zero_copy_only=False),
            "T": summary["t"].to_numpy(zero_copy_only=False),
            "monetary_value": np.asarray(
                summary["monetary"].to_numpy(zero_copy_only=False), dtype=float
            ),
        }
    )


def _values(array: Any) -> np.ndarray:
    """A MAP fit's prediction (chain 1, draw 1, customer) as one value per customer."""
    return np.asarray(array.mean(dim=("chain", "draw")).values, dtype=float)


@dataclass
class LifetimeModels:
    """Fitted BG/NBD and Gamma-Gamma models and the customers they score."""

    transactions: Any
    spend: Any | None
    data: pd.DataFrame

    @property
    def bg_nbd(self) -> dict[str, float]:
        summary = self.transactions.fit_summary()
        return {k: float(summary[k]) for k in ("r", "alpha", "a", "b")}

    @property
    def gamma_gamma(self) -> dict[str, float] | None:
        if self.spend is None:
            return None
        summary = self.spend.fit_summary()
        return {k: float(summary[k]) for k in ("p", "q", "v")}

    def expected_orders(self, days: float) -> np.ndarray:
        with _quiet():
            return _values(self.transactions.expected_purchases(data=self.data, future_t=days))

    def p_alive(self) -> np.ndarray:
        with _quiet():
            return _values(self.transactions.expected_probability_alive(data=self.data))

    def p_no_order(self, days: int) -> np.ndarray:
        """The probability of no order in the next ``days``."""
        with _quiet():
            no = self.transactions.expected_probability_no_purchase(t=days, data=self.data)
        clipped: np.ndarray = np.clip(_values(no), 0.0, 1.0)
        return clipped

    def expected_order_value(self) -> np.ndarray:
        """Each customer's expected order value (their mean shrunk toward the
        population's; the population's for one-time buyers)."""
        if self.spend is None:
            mean = self.data["monetary_value"][self.data["frequency"] > 0].mean()
            return np.full(len(self.data), float(mean) if mean == mean else 0.0)
        with _quiet():
            spend = self.spend.expected_customer_spend(data=self.data)
        return _values(spend)

    def lifetime_value(self, months: int, yearly_discount: float) -> np.ndarray:
        """Discounted value of the next ``months`` (expected orders month by month, each
        at the expected order value)."""
        if self.spend is None:
            orders = self.expected_orders(months * 365.25 / 12)
            return np.asarray(orders * self.expected_order_value(), dtype=float)
        monthly = (1 + yearly_discount) ** (1 / 12) - 1
        with _quiet():
            value = self.spend.expected_customer_lifetime_value(
                transaction_model=self.transactions,
                data=self.data,
                future_t=months,
                discount_rate=monthly,
                time_unit="D",
            )
        return _values(value)

    def next_order_in_days(self, horizon_days: int) -> np.ndarray:
        """Days until the customer's next order is more likely than not (the median of
        the time to it), interpolated on a grid; NaN when not within the horizon."""
        grid = np.unique(np.r_[np.geomspace(1, horizon_days, 14).round(), horizon_days])
        none = np.stack([self.p_no_order(int(days)) for days in grid], axis=1)
        below = none <= 0.5
        found = below.any(axis=1)
        first = np.argmax(below, axis=1)
        after_days, after_p = grid[first], none[np.arange(len(none)), first]
        before = np.maximum(first - 1, 0)
        before_days = np.where(first > 0, grid[before], 0.0)
        before_p = np.where(first > 0, none[np.arange(len(none)), before], 1.0)
        span = np.where(before_p > after_p, before_p - after_p, 1.0)
        days = before_days + (before_p - 0.5) / span * (after_days - before_days)
        return np.where(found, np.ceil(days), np.nan)


def fit_lifetime(summary: pa.Table) -> LifetimeModels:
    """Fit BG/NBD on every customer of ``summary`` (the columns of
    :data:`~personae.profile.predict.features.SUMMARY_COLUMNS`) and Gamma-Gamma on those
    with a repeat order of positive value."""
    clv = _clv_module()
    data = _frame(summary)
    with _quiet():
        transactions = clv.BetaGeoModel(data=data[["customer_id", "frequency", "recency", "T"]])
        transactions.fit(method="map", progressbar=False)
        repeat = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
        spend = None
        if len(repeat) >= 20:
            spend = clv.GammaGammaModel(data=repeat)
            spend.fit(method="map", progressbar=False)
    return LifetimeModels(transactions, spend, data)
