"""Identity resolution at full strength: accuracy, speed, scaling and incremental runs.

    python benchmarks/bench_identity.py accuracy --people 100000
    python benchmarks/bench_identity.py speed --records 250000 500000 1000000 2000000
    python benchmarks/bench_identity.py incremental --records 1000000 --new 10000

``accuracy`` generates the demo, runs ingest and clean, then resolves the same records
four ways and prints pairwise precision, recall and F1 over source records (all of them,
and the placeable ones: see :func:`personae.unify.inspection.evaluate.placeable_truth`),
the person count and the time:

* **personae**: deterministic stitching with its guards + probabilistic matching +
  clustering that resists chaining (the demo's ``personae.yml``);
* personae deterministic only (``identity.matching.enabled: false``);
* **plain connected components** over shared identifiers (no guard, no limit);
* **plain Splink**: junk e-mails and phones removed (personae's blocked and generic
  values), then a model configured as Splink's tutorials teach (``NameComparison``
  per name with term frequencies, ``DateOfBirthComparison``, ``EmailComparison``, exact
  postcode, city and phone; ``block_on`` rules; EM on names and on birth date), over the
  people records and every record with a name (the customer table a Splink user would
  dedupe; the other records stay alone), clustered at the same threshold.

``speed`` times ``resolve`` end to end (deterministic + probabilistic + clustering + stable
ids) on demo data of about the given numbers of source records: once training the model,
once reusing it (every pair scored again). ``incremental`` resolves all but ``--new``
records, adds them, and times the incremental run, then checks that a full rebuild gives
the same partition. Memory is this process's peak resident set (DuckDB and Splink run in
process). Targets (issue #5, 2 cores): 1M records < 60 s and < 6 GB; 10k new records
against 1M < 10 s; F1 >= 0.95 with precision >= 0.97 on the demo at 100k and 1M people.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from bench_pipeline import RssSampler, measure
from personae.catalog import IDENTITY_GUARDS, IDENTITY_MAP, PERSONS, RECORDS
from personae.demo.generator import generate_demo
from personae.demo.truth import TRUTH_TABLE, load_truth
from personae.engine import Engine
from personae.pipeline import run
from personae.project import Project
from personae.unify import resolve_identities
from personae.unify.components import connected_components
from personae.unify.inspection import (
    PairwiseScores,
    evaluate_against_truth,
    oracle_bound,
    placeable_truth,
)

#: source records per demo person (measured on the generator's defaults)
RECORDS_PER_PERSON = 8.64
PLACEABLE = "bench_truth_placeable"
NAMED = "bench_truth_named"
NOW = dt.datetime(2026, 11, 1)


def prepare(people: int, directory: Path) -> Project:
    """Generate the demo and run ingest and clean."""
    if directory.exists():
        shutil.rmtree(directory)
    generate_demo(people, directory, seed=42)
    project = Project.load(directory)
    run(project, ("ingest", "clean"))
    return project


def with_matching(project: Project, enabled: bool, **settings: Any) -> Any:
    identity = project.config.identity
    matching = identity.matching.model_copy(update={"enabled": enabled, **settings})
    return project.config.model_copy(
        update={"identity": identity.model_copy(update={"matching": matching})}
    )


# --------------------------------------------------------------------------- accuracy


def plain_components(engine: Engine, out: str) -> None:
    """``out(source, record_id, person_id)``: connected components over shared ids."""
    ids = ("email", "phone", "customer_id", "user_id", "loyalty_id", "device_id", "anonymous_id")
    engine.create_table_as(
        "bench_rec",
        "SELECT row_number() OVER () AS rid, source, record_id, "
        + ", ".join(ids)
        + f" FROM {RECORDS}",
    )
    unpivot = " UNION ALL ".join(
        f"SELECT rid, '{c}' AS t, {c} AS v FROM bench_rec WHERE {c} IS NOT NULL" for c in ids
    )
    engine.create_table_as(
        "bench_holds",
        f"""
        SELECT rid, (SELECT max(rid) FROM bench_rec) + dense_rank() OVER (ORDER BY t, v) AS vid
        FROM ({unpivot}) AS u
        """,
    )
    connected_components(
        engine, "SELECT rid AS a, vid AS b FROM bench_holds", "bench_labels", work="bench_cc"
    )
    engine.create_table_as(
        out,
        """
        SELECT r.source, r.record_id, coalesce(l.label, r.rid) AS person_id
        FROM bench_rec AS r LEFT JOIN bench_labels AS l ON l.node = r.rid
        """,
    )
    for name in ("bench_rec", "bench_holds", "bench_labels"):
        engine.drop_table(name)


def plain_splink(engine: Engine, out: str, threshold: float) -> None:
    """``out(source, record_id, person_id)``: a tutorial-style Splink model, clustered."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    # junk e-mails and phones (test@test.com, 0123456789: personae's blocked and generic
    # values) are removed first: with them, every method that trusts an e-mail chains
    # the whole population into one person
    data = engine.query(
        f"""
        SELECT row_number() OVER (ORDER BY source, record_id) AS uid, source, record_id,
               first_name_key AS first_name, last_name_key AS surname,
               CAST(birth_date AS VARCHAR) AS dob, city, postcode,
               CASE WHEN email IN (SELECT id_value FROM {IDENTITY_GUARDS}
                                   WHERE id_type = 'email' AND guard <> 'household')
                    THEN NULL ELSE email END AS email,
               CASE WHEN phone IN (SELECT id_value FROM {IDENTITY_GUARDS}
                                   WHERE id_type = 'phone' AND guard <> 'household')
                    THEN NULL ELSE phone END AS phone
        FROM {RECORDS}
        WHERE source_kind = 'people' OR first_name_key IS NOT NULL OR last_name_key IS NOT NULL
        """
    )
    con = duckdb.connect()
    con.register("input_arrow", data)
    con.execute("CREATE TABLE plain_input AS SELECT * FROM input_arrow")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("email"),
            block_on("phone"),
            block_on("postcode", "first_name"),
        ],
        additional_columns_to_retain=["source", "record_id"],
    )
    linker = Linker("plain_input", settings, DuckDBAPI(connection=con), set_up_basic_logging=False)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob"), block_on("email")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    found = con.sql(
        f"SELECT source, record_id, cluster_id FROM {clusters.physical_name}"
    ).to_arrow_table()
    con.close()
    engine.write_arrow("bench_splink_found", found, mode="replace")
    # records outside the input are alone
    engine.create_table_as(
        out,
        f"""
        SELECT r.source, r.record_id,
               coalesce(CAST(f.cluster_id AS VARCHAR), 'alone:' || r.source || ':' || r.record_id)
               AS person_id
        FROM {RECORDS} AS r LEFT JOIN bench_splink_found AS f
          ON f.source = r.source AND f.record_id = r.record_id
        """,
    )
    engine.drop_table("bench_splink_found")


def accuracy(args: argparse.Namespace) -> None:
    directory = args.dir or Path(tempfile.mkdtemp(prefix="personae-identity-"))
    project = prepare(args.people, directory)
    engine = project.engine
    load_truth(engine, project.root)
    placeable = placeable_truth(engine, TRUTH_TABLE, PLACEABLE)
    engine.create_table_as(
        NAMED,
        f"""
        SELECT t.* FROM {TRUTH_TABLE} AS t
        JOIN {RECORDS} AS r ON r.source = t.source AND r.record_id = t.record_id
        WHERE r.source_kind = 'people' OR r.first_name_key IS NOT NULL
           OR r.last_name_key IS NOT NULL
        """,
    )
    named = engine.count(NAMED)
    total = engine.count(TRUTH_TABLE)
    threshold = project.config.identity.matching.threshold_match_probability
    scopes = {"all": TRUTH_TABLE, "placeable": PLACEABLE, "named": NAMED}
    results: dict[str, tuple[dict[str, PairwiseScores], float]] = {}
    largest: dict[str, int] = {}

    def score(name: str, map_table: str, seconds: float) -> None:
        results[name] = (
            {
                scope: evaluate_against_truth(engine, truth, map_table)
                for scope, truth in scopes.items()
            },
            seconds,
        )
        largest[name] = int(
            engine.scalar(
                f"SELECT max(n) FROM (SELECT count(*) AS n FROM {map_table} GROUP BY person_id)"
            )
        )

    def personae(enabled: bool, table: str) -> None:
        config = with_matching(project, enabled)
        engine.drop_table(IDENTITY_MAP)
        engine.drop_table(PERSONS)
        shutil.rmtree(project.root / ".personae" / "models", ignore_errors=True)
        started = time.perf_counter()
        resolve_identities(engine, config, table, NOW, project_dir=project.root, full=True)
        seconds = time.perf_counter() - started
        engine.create_table_as(table, f"SELECT * FROM {IDENTITY_MAP}")
        score("personae" if enabled else "personae deterministic only", table, seconds)

    personae(True, "bench_personae")
    personae(False, "bench_deterministic")
    started = time.perf_counter()
    plain_components(engine, "bench_cc")
    score("plain connected components", "bench_cc", time.perf_counter() - started)
    started = time.perf_counter()
    plain_splink(engine, "bench_splink", threshold)
    score("plain Splink", "bench_splink", time.perf_counter() - started)
    ceilings = {scope: oracle_bound(engine, truth).recall for scope, truth in scopes.items()}
    project.close()

    print(
        f"\nidentity accuracy on {args.people:,} demo people; pairwise over source records "
        f"of three scopes: all {total:,} records; the {placeable:,} placeable ones "
        f"({placeable / total:.1%}); the {named:,} named ones (people records and records "
        "with a name: the matching input, and plain Splink's)"
    )
    for scope in scopes:
        print(f"\n[{scope}]")
        print(f"{'method':<30}{'P':>8}{'R':>8}{'F1':>8}{'persons':>10}{'seconds':>9}")
        for name, (scores, seconds) in results.items():
            found = scores[scope]
            print(
                f"{name:<30}{found.precision:>8.4f}{found.recall:>8.4f}{found.f1:>8.4f}"
                f"{found.persons:>10,}{seconds:>9.1f}"
            )
    print(
        "\nevidence ceiling (oracle following shared e-mails, phones, ids and identical "
        "names within each real person): "
        + ", ".join(
            f"{scope} R {ceilings[scope]:.4f}, personae at "
            f"{results['personae'][0][scope].recall / ceilings[scope]:.1%} of it"
            for scope in scopes
        )
    )
    print("\nlargest person (records): " + ", ".join(f"{k} {v:,}" for k, v in largest.items()))
    best = results["personae"][0]
    print()
    for peer in ("plain Splink", "plain connected components", "personae deterministic only"):
        other = results[peer][0]
        ratios = ", ".join(f"{scope} {best[scope].f1 / other[scope].f1:.3f}" for scope in scopes)
        print(f"F1 ratio personae / {peer}: {ratios}")
    if not args.keep:
        shutil.rmtree(directory, ignore_errors=True)


# --------------------------------------------------------------------------- speed


def speed(args: argparse.Namespace) -> None:
    sampler = RssSampler()
    cpu: dict[str, float] = {}
    sampler.start()
    lines = []
    for size in args.records:
        people = max(100, round(size / RECORDS_PER_PERSON))
        directory = Path(tempfile.mkdtemp(prefix="personae-speed-"))
        project = prepare(people, directory)
        engine = project.engine
        records = engine.count(RECORDS)
        config = with_matching(project, True)

        def resolve(
            run_id: str, full: bool, project: Project = project, config: Any = config
        ) -> Any:
            return resolve_identities(
                project.engine, config, run_id, NOW, project_dir=project.root, full=full
            )

        trained_s, trained_peak, report = measure(
            sampler, lambda: resolve("s1", True), cpu, "trained"
        )
        again_s, again_peak, again = measure(sampler, lambda: resolve("s2", True), cpu, "saved")
        steps = ", ".join(f"{k} {v:.1f}" for k, v in again.seconds.items())
        lines.append(
            f"{records:>10,}{report.match_records:>10,}{trained_s:>10.1f}{again_s:>10.1f}"
            f"{max(trained_peak, again_peak) / 1e9:>10.2f}{report.persons:>10,}"
            f"{again.match_edges:>10,}{again.match_near_misses:>10,}  [{steps}]"
        )
        print(lines[-1], flush=True)
        project.close()
        shutil.rmtree(directory, ignore_errors=True)
    sampler.stop()
    print("\nresolve end to end (deterministic + probabilistic + clustering + stable ids)")
    print(
        f"{'records':>10}{'named':>10}{'train s':>10}{'saved s':>10}{'peak GB':>10}"
        f"{'persons':>10}{'edges':>10}{'near':>10}  [steps of the saved-model run, s]"
    )
    for line in lines:
        print(line)


# --------------------------------------------------------------------------- incremental


def incremental(args: argparse.Namespace) -> None:
    size = args.records[0]
    people = max(100, round(size / RECORDS_PER_PERSON))
    directory = args.dir or Path(tempfile.mkdtemp(prefix="personae-incremental-"))
    project = prepare(people, directory)
    engine = project.engine
    config = with_matching(project, True)
    engine.create_table_as("bench_records_all", f"SELECT * FROM {RECORDS}")
    engine.create_table_as(
        "bench_new",
        f"SELECT source, record_id FROM {RECORDS} ORDER BY hash(source || record_id) "
        f"LIMIT {args.new}",
    )
    engine.create_table_as(
        RECORDS,
        "SELECT * FROM bench_records_all WHERE (source, record_id) NOT IN "
        "(SELECT (source, record_id) FROM bench_new)",
    )

    def resolve(run_id: str, full: bool) -> Any:
        return resolve_identities(engine, config, run_id, NOW, project_dir=project.root, full=full)

    sampler = RssSampler()
    cpu: dict[str, float] = {}
    sampler.start()
    base_s, _, base = measure(sampler, lambda: resolve("i1", True), cpu, "base")
    engine.execute(
        f"INSERT INTO {RECORDS} SELECT * FROM bench_records_all WHERE (source, record_id) IN "
        "(SELECT (source, record_id) FROM bench_new)"
    )
    inc_s, inc_peak, inc = measure(sampler, lambda: resolve("i2", False), cpu, "incremental")
    engine.create_table_as("bench_inc_map", f"SELECT * FROM {IDENTITY_MAP}")
    full_s, _, _ = measure(sampler, lambda: resolve("i3", True), cpu, "full")
    sampler.stop()
    same = _same_partition(engine, "bench_inc_map", "identity_map")
    records = engine.count(RECORDS)
    project.close()
    print(
        f"\nincremental: {args.new:,} new records against {records - args.new:,} resolved "
        f"({base.match_records:,} named records before)"
    )
    print(f"first full resolve      {base_s:>8.1f} s")
    print(
        f"incremental resolve     {inc_s:>8.1f} s  peak {inc_peak / 1e9:.2f} GB; "
        f"{inc.match_scored:,} records scored; {inc.new_persons:,} new persons, "
        f"{inc.merges:,} merges, {inc.splits:,} splits"
    )
    print("incremental steps: " + ", ".join(f"{k} {v:.1f}" for k, v in inc.seconds.items()))
    print(f"full rebuild            {full_s:>8.1f} s; same partition: {same}")
    if not args.keep:
        shutil.rmtree(directory, ignore_errors=True)


def _same_partition(engine: Engine, a: str, b: str) -> bool:
    """Whether two identity maps group the records the same way (ids may differ)."""
    key = "min(source || chr(1) || record_id) OVER (PARTITION BY person_id)"
    differing = engine.scalar(
        f"""
        SELECT count(*) FROM (SELECT source, record_id, {key} AS k FROM {a}) AS x
        FULL JOIN (SELECT source, record_id, {key} AS k FROM {b}) AS y
          ON x.source = y.source AND x.record_id = y.record_id
        WHERE x.k IS DISTINCT FROM y.k
        """
    )
    return int(differing) == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["accuracy", "speed", "incremental"])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--records", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    {"accuracy": accuracy, "speed": speed, "incremental": incremental}[args.mode](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
