"""Probabilistic identity matching: a Fellegi-Sunter model (Splink) over ``records``.

Deterministic stitching links records that share an identifier. This package scores the
pairs of records that share none, from their names, birth date, address, postcode, city,
email local part and phone, with a model trained without labels:

1. the matching input is the ``records`` of kind ``people`` plus every record that carries
   a name, reduced to the compared columns (:data:`.records.INPUT_SQL`);
2. candidate pairs come from the blocking rules of :class:`MatchingConfig`;
3. u probabilities are estimated by random sampling, m probabilities by expectation
   maximisation over blocked pairs; term-frequency adjustments make a common name count
   for less;
4. the model is saved as JSON and reused until ``retrain`` is set or the file is removed;
5. pairs scoring at least ``threshold_match_probability`` are written to
   ``identity_edges_probabilistic``.

Splink runs where the engine's :class:`MatchingBackend` says: a private in-memory DuckDB
fed with Arrow by default, Splink's Spark backend in the engine's own session on Spark
(where the input and the edges never leave the executors). Splink is a core dependency,
imported only when matching runs.

Modules: :mod:`.records` (the matching input), :mod:`.model` (train, save, load, dialect),
:mod:`.frequencies` (term frequencies frozen with the model), :mod:`.blocking`,
:mod:`.score` (edges, incrementally), :mod:`.clustering` (edges join the deterministic
parts) and :mod:`.waterfall` (what each comparison adds to a pair's weight).
"""

from personae.unify.matching.model import model_path
from personae.unify.matching.score import EDGES_TABLE, ProbabilisticResult, score_pairs

__all__ = ["EDGES_TABLE", "ProbabilisticResult", "model_path", "score_pairs"]
