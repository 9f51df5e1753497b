"""The unify stage: deterministic identity stitching with guards and stable person ids."""

from personae.unify.inspection.evaluate import PairwiseScores, evaluate_against_truth
from personae.unify.resolve import ResolveReport, resolve_identities
from personae.unify.stable_ids import resolve_person_id

__all__ = [
    "PairwiseScores",
    "ResolveReport",
    "evaluate_against_truth",
    "resolve_identities",
    "resolve_person_id",
]
