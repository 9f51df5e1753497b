"""Configuration of probabilistic identity matching (``identity.matching``)."""

from __future__ import annotations

from pydantic import Field

from personae.config.base import Strict

#: candidate pairs: SQL over ``l.``/``r.`` columns of the matching input (see
#: :mod:`personae.unify.matching`); a pair is compared when any rule holds
DEFAULT_BLOCKING_RULES: tuple[str, ...] = (
    # a typo (or a new surname) in one name: the other name, the postcode and an initial
    "l.postcode = r.postcode AND l.first_name_key = r.first_name_key "
    "AND substr(l.last_name_key, 1, 1) = substr(r.last_name_key, 1, 1)",
    "l.postcode = r.postcode AND l.last_name_key = r.last_name_key "
    "AND substr(l.first_name_key, 1, 1) = substr(r.first_name_key, 1, 1)",
    # the birth date and one initial
    "l.birth_date = r.birth_date "
    "AND substr(l.first_name_key, 1, 1) = substr(r.first_name_key, 1, 1)",
    "l.birth_date = r.birth_date AND substr(l.last_name_key, 1, 1) = substr(r.last_name_key, 1, 1)",
    # the same name in the same area (the first two characters of the postcode)
    "l.first_name_key = r.first_name_key AND l.last_name_key = r.last_name_key "
    "AND substr(l.postcode, 1, 2) = substr(r.postcode, 1, 2)",
    "l.phone = r.phone",
    # both names mistyped, swapped or changed: the birth date where the person lives, or
    # the same address (a household: its few members are compared, not merged)
    "l.birth_date = r.birth_date AND l.postcode = r.postcode",
    "l.address = r.address AND l.postcode = r.postcode",
    "l.address = r.address AND l.city = r.city",
    # first and last names swapped
    "l.first_name_key = r.last_name_key AND l.last_name_key = r.first_name_key",
)


class MatchingConfig(Strict):
    """Splink (Fellegi-Sunter) matching of records that carry a name."""

    enabled: bool = False
    #: pairs scoring at least this probability become probabilistic edges
    threshold_match_probability: float = Field(default=0.95, ge=0.0, le=1.0)
    #: pairs scoring up to this much match weight under the threshold are kept as near
    #: misses (``identity_near_misses``) for clerical review (``personae review``); they
    #: never link. 4 (odds 16 times weaker) reaches down to a probability of about 0.54
    #: under the default threshold: the pairs the model is unsure of. 0 keeps none
    review_band: float = Field(default=4.0, ge=0.0)
    blocking_rules: list[str] = Field(default_factory=lambda: list(DEFAULT_BLOCKING_RULES))
    #: a rule of equalities (``l.x = r.x AND ...``) skips the values it blocks on that more
    #: than this many records share (a street address in a large city, the commonest name
    #: of a region): they make the most pairs and say the least, and their records still
    #: meet through the other rules; ``null`` compares every block whatever its size
    max_block_records: int | None = Field(default=100, gt=1)
    #: random pairs sampled to estimate the u probabilities
    sample_pairs_for_u: int = Field(default=1_000_000, gt=0)
    #: prior recall of the blocking rules, used to estimate the match prior
    deterministic_recall: float = Field(default=0.7, gt=0.0, le=1.0)
    #: train again even if a saved model exists
    retrain: bool = False
    #: train on a random sample of this many input records (all of them when smaller)
    training_sample: int = Field(default=200_000, gt=1)
    #: retrain when the input grew or shrank by more than this factor since training
    retrain_on_growth: float = Field(default=4.0, gt=1.0)
    #: a cluster joined by probabilistic edges holds at most this many records with a name
    max_cluster_records: int = Field(default=50, gt=1)
    #: an identifier type with ``on_conflict: merge_when_certain`` merges two of its
    #: values (over its limit) only along an edge at least this probable
    certain_probability: float = Field(default=0.999, ge=0.0, le=1.0)
    #: count the candidate pairs each blocking rule adds on full runs (``resolve`` prints
    #: them): blocking runs a second time for it, so it is off unless you tune the rules
    blocking_diagnostics: bool = False
