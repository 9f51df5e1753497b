"""Fitting and scoring every predicted trait on a large project (target: 1M persons in
under 120 s on the 2-core machine), phase by phase, then the accuracy of a backtest.

Run on a project that has been run (``personae demo --people 1000000`` or ``personae
run``) and whose personae.yml declares ``predictions:``:

    python benchmarks/bench_predictions.py /path/to/project [--repeat 3] [--backtest]

Each repeat times the whole build (``compute_predictions``: features in SQL, BG/NBD and
Gamma-Gamma MAP fits, the churn classifier trained on the previous window, item-to-item
affinity in SQL, the predictions table and the traits' new columns), then each phase
alone; it prints medians, the ratio to the target, and the ratio to the traits
statement on the same warehouse (``compute_traits``, timed in the same run), with the
process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from personae.lock import warehouse_lock
from personae.profile import compute_traits
from personae.profile.predict.affinity import top_items
from personae.profile.predict.backtest import backtest
from personae.profile.predict.build import compute_predictions
from personae.profile.predict.features import customer_features
from personae.profile.predict.lifetime import fit_lifetime
from personae.profile.predict.models import train_churn
from personae.project import Project
from personae.query.asof import as_of_end

TARGET_S = 120.0


@contextmanager
def clock(phases: dict[str, list[float]], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    phases.setdefault(name, []).append(time.perf_counter() - start)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backtest", action="store_true", help="also run and print a backtest")
    args = parser.parse_args()
    with warehouse_lock(args.project), Project.load(args.project) as project:
        engine, config = project.engine, project.config
        predictions = config.predictions
        if predictions is None:
            raise SystemExit("personae.yml declares no predictions")
        end = as_of_end(config)
        persons = engine.scalar("SELECT count(*) FROM persons WHERE merged_into IS NULL")
        print(f"{persons:,} live persons; as of {config.reference_date()}")
        phases: dict[str, list[float]] = {}
        report = None
        for _ in range(args.repeat):
            with clock(phases, "traits statement (reference)"):
                compute_traits(engine, config)
            with clock(phases, "whole build"):
                report = compute_predictions(engine, config, project.state_dir)
            with clock(phases, "features (SQL)"):
                features = customer_features(engine, predictions, end)
            with clock(phases, "BG/NBD + Gamma-Gamma fits"):
                lifetime = fit_lifetime(features)
            with clock(phases, "lifetime scoring"):
                lifetime.p_alive()
                lifetime.expected_orders(predictions.horizon_days)
                lifetime.lifetime_value(predictions.horizon_months, predictions.discount_rate)
                lifetime.next_order_in_days(predictions.horizon_days)
            with clock(phases, "churn training (SQL + trees)"):
                train_churn(engine, predictions, end)
            if predictions.affinity is not None:
                with clock(phases, "affinity (SQL)"):
                    top_items(engine, predictions, end)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        assert report is not None
        print(f"{report.customers:,} customers scored, {report.with_affinity:,} with an affinity")
        print(f"{'phase':<32} {'median s':>9}  runs")
        for name, values in phases.items():
            print(f"{name:<32} {statistics.median(values):>9.1f}  {len(values)}")
        whole = statistics.median(phases["whole build"])
        reference = statistics.median(phases["traits statement (reference)"])
        print(
            f"whole build {whole:.1f}s: {whole / TARGET_S:.2f} of the {TARGET_S:.0f}s target, "
            f"{whole / reference:.1f}x the traits statement; peak RSS {rss:.2f} GB"
        )
        if args.backtest:
            seconds, result = timed(lambda: backtest(engine, predictions, config.reference_date()))
            print(f"backtest in {seconds:.1f}s: {result.customers:,} customers")
            for label, compared in (("orders", result.orders), ("revenue", result.revenue)):
                name, best = compared.best_baseline
                print(
                    f"  {label}: MAE {compared.mae:.3f} vs {best:.3f} ({name}): "
                    f"{compared.improvement:+.1%}; RMSE {compared.rmse:.3f}: "
                    f"{compared.rmse_improvement:+.1%}; correlation {compared.correlation:.3f}"
                )
            print("  churn AUC: " + ", ".join(f"{m} {a:.3f}" for m, a in result.churn_auc.items()))
            if result.affinity_precision is not None:
                print(
                    f"  affinity precision@{result.affinity_top}: {result.affinity_precision:.3f}"
                    f" vs popularity {result.popularity_precision:.3f}"
                )


if __name__ == "__main__":
    main()
