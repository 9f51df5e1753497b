"""Reading the unify stage's outputs after the fact.

:mod:`.explain` says why a person holds its records and why two records are (or are not)
one person (result types in :mod:`.explanations`); :mod:`.duplicates` lists the
accounts of one source merged into one person; :mod:`.evaluate` measures the stage
against ground truth (the demo's story, the benchmarks); :mod:`.review` is the clerical
review queue of borderline matches and records a reviewer's decisions.
"""

from personae.unify.inspection.duplicates import Duplicate, find_duplicates
from personae.unify.inspection.evaluate import (
    OracleBound,
    PairwiseScores,
    evaluate_against_truth,
    oracle_bound,
    placeable_truth,
)
from personae.unify.inspection.explain import explain_person, explain_records
from personae.unify.inspection.explanations import (
    ChainStep,
    ExplainedRecord,
    HistoryEntry,
    Link,
    MatchLink,
    PersonExplanation,
    RecordsExplanation,
    SharedValue,
)

__all__ = [
    "ChainStep",
    "Duplicate",
    "ExplainedRecord",
    "HistoryEntry",
    "Link",
    "MatchLink",
    "OracleBound",
    "PairwiseScores",
    "PersonExplanation",
    "RecordsExplanation",
    "SharedValue",
    "evaluate_against_truth",
    "explain_person",
    "explain_records",
    "find_duplicates",
    "oracle_bound",
    "placeable_truth",
]
