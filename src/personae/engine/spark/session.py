"""The Spark session personae runs in, and pyspark imported only when it is asked for.

pyspark is an optional extra (``pip install 'personae[spark]'``): nothing here imports it
at module level, so ``personae.engine`` imports with the core dependencies only.
"""

from __future__ import annotations

import os
from typing import Any

from personae.errors import PersonaeError


class SparkMissingError(PersonaeError):
    """pyspark is not installed."""


def import_pyspark_sql() -> Any:
    """``pyspark.sql``, or :class:`SparkMissingError` saying what to install."""
    try:
        import pyspark.sql
    except ImportError:
        raise SparkMissingError(
            "the Spark engine needs pyspark: pip install 'personae[spark]' (Java 17 must be "
            "installed too)"
        ) from None
    return pyspark.sql


def spark_session(master: str, warehouse: str, conf: dict[str, str] | None = None) -> Any:
    """The process's Spark session (created once, shared by every engine and test)."""
    sql = import_pyspark_sql()
    builder = sql.SparkSession.builder
    if not under_spark_submit():
        builder = builder.master(master)
    builder = (
        builder.appName("personae")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.ui.enabled", "false")
        # personae reports its own progress; Spark's bars and warnings would drown it
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", "ERROR")
    )
    settings = dict(conf or {})
    jar = _splink_jar()
    if jar:
        # Splink's string similarity functions (Jaro-Winkler…) for matching on Spark
        settings["spark.jars"] = ",".join(filter(None, [settings.get("spark.jars"), jar]))
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def under_spark_submit() -> bool:
    """Started by ``spark-submit``, whose master and settings then prevail (it starts the
    JVM and tells Python where through this variable)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _splink_jar() -> str | None:
    """The jar of Splink's Spark functions, when Splink is installed."""
    try:
        from splink.backends.spark import similarity_jar_location
    except ImportError:
        return None
    return str(similarity_jar_location())
