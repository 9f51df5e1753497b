"""The ground truth: the real person behind every record of every file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from personae.demo.arrays import join, take
from personae.demo.files import CHUNK_ROWS, SourceData, write_text
from personae.demo.population import Population
from personae.engine import Engine, ReadOptions

#: the ground truth, relative to the project folder
TRUTH_FILE = Path("truth") / "records.csv"
#: where :func:`load_truth` puts it in the warehouse (never read by the pipeline)
TRUTH_TABLE = "demo_truth"
#: the records of the truth that carry evidence of who they are
PLACEABLE_TABLE = "demo_truth_placeable"


def write_truth(sources: Sequence[SourceData], pop: Population, path: Path) -> None:
    """``source,record_id,person`` for every row of every source file."""
    with path.open("wb") as handle:
        handle.write(b"source,record_id,person\n")
        for source in sources:
            record_ids = source.table.column(source.record_id)
            for start in range(0, source.rows, CHUNK_ROWS):
                persons = source.persons[start : start + CHUNK_ROWS]
                ids = record_ids.slice(start, CHUNK_ROWS)
                person_keys = take(pop.key, persons)
                write_text(handle, join(source.name + ",", ids, ",", person_keys, "\n"))


def load_truth(engine: Engine, root: Path) -> bool:
    """Load the generator's ground truth beside the warehouse (never read by the pipeline)."""
    path = root / TRUTH_FILE
    if not path.exists():
        return False
    engine.read_file(path, ReadOptions(format="csv"), TRUTH_TABLE)
    return True
