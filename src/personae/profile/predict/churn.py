"""Churn risk: the probability that a customer places no order in the next ``window``
days, from scikit-learn's histogram gradient boosting on RFM and engagement features.

The classifier learns from the past as it will be used: features as of ``window`` days
before the cut-off, the label whether the customer then ordered before the cut-off. It
scores features as of the cut-off. Missing engagement (a customer never e-mailed) is a
missing value, which the trees route on their own. Among its features are BG/NBD's own
answers (:data:`LIFETIME_FEATURES`, from a BG/NBD fitted at the same date), so that it
starts from the lifetime model and learns what engagement adds to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

#: the purchase-summary features, with what they mean in an explanation
PURCHASE_FEATURES: dict[str, str] = {
    "days_since_last": "days since the last order",
    "frequency": "repeat orders",
    "t": "days since the first order",
    "recency": "days between the first and last orders",
    "monetary": "mean repeat order value",
    "first_amount": "first order value",
    "revenue": "revenue",
}
#: BG/NBD's answers, given to the classifier as features
LIFETIME_FEATURES: dict[str, str] = {
    "bg_nbd_p_no_order": "BG/NBD: probability of no order in the window",
    "bg_nbd_p_alive": "BG/NBD: probability of being a customer still",
}
#: training rows kept at most (a random sample beyond): the fit's time stays flat
MAX_TRAINING_ROWS = 300_000


def feature_matrix(
    features: pa.Table, engagement: list[str], lifetime: dict[str, np.ndarray]
) -> tuple[np.ndarray, list[str]]:
    """The model's inputs, one row per customer, and the columns' names: the purchase
    summary, the engagement columns of ``features``, and ``lifetime`` (BG/NBD's answers
    for the same customers, by the names of :data:`LIFETIME_FEATURES`)."""
    columns: list[np.ndarray] = []

    def numbers(name: str) -> np.ndarray:
        return np.asarray(
            features[name].cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float
        )

    for name in PURCHASE_FEATURES:
        if name == "days_since_last":
            columns.append(numbers("t") - numbers("recency"))
        else:
            columns.append(numbers(name))
    for name in engagement:
        columns.append(numbers(name))
    columns += [lifetime[name] for name in LIFETIME_FEATURES]
    return np.column_stack(columns), [*PURCHASE_FEATURES, *engagement, *LIFETIME_FEATURES]


@dataclass
class ChurnModel:
    classifier: Any
    names: list[str]
    #: the columns the classifier reads (a feature no customer has is left out)
    used: list[int]
    #: the permutation importance of each feature (AUC lost when it is shuffled)
    importance: dict[str, float]

    def risk(self, matrix: np.ndarray) -> np.ndarray:
        return np.asarray(self.classifier.predict_proba(matrix[:, self.used])[:, 1], dtype=float)


def fit_churn(
    matrix: np.ndarray, churned: np.ndarray, names: list[str], *, seed: int = 0
) -> ChurnModel:
    """Fit on ``matrix`` with ``churned`` (True: no order in the window that followed)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(seed)
    if len(matrix) > MAX_TRAINING_ROWS:
        keep = rng.choice(len(matrix), MAX_TRAINING_ROWS, replace=False)
        matrix, churned = matrix[keep], churned[keep]
    classifier = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.08, max_leaf_nodes=31, l2_regularization=1.0,
        early_stopping=True, validation_fraction=0.1, random_state=seed,
    )  # fmt: skip
    if len(np.unique(churned)) < 2:
        raise ValueError("every customer had the same outcome in the training window")
    used = [i for i in range(matrix.shape[1]) if not np.isnan(matrix[:, i]).all()]
    matrix = matrix[:, used]
    classifier.fit(matrix, churned)
    sample = rng.choice(len(matrix), min(len(matrix), 5_000), replace=False)
    kept = [names[i] for i in used]
    weights = dict.fromkeys(names, 0.0)
    weights.update(_importance(classifier, matrix[sample], churned[sample], kept, rng))
    return ChurnModel(classifier, names, used, weights)


def _importance(
    classifier: Any,
    matrix: np.ndarray,
    churned: np.ndarray,
    names: list[str],
    rng: np.random.Generator,
) -> dict[str, float]:
    """Permutation importance: the ROC AUC lost when one feature's values are shuffled
    across customers (mean of three shuffles)."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(churned)) < 2:
        return dict.fromkeys(names, 0.0)
    base = roc_auc_score(churned, classifier.predict_proba(matrix)[:, 1])
    weights: dict[str, float] = {}
    for column, name in enumerate(names):
        lost = []
        for _ in range(3):
            shuffled = matrix.copy()
            shuffled[:, column] = rng.permutation(shuffled[:, column])
            lost.append(base - roc_auc_score(churned, classifier.predict_proba(shuffled)[:, 1]))
        weights[name] = round(float(np.mean(lost)), 4)
    return weights
