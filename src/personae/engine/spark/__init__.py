"""The Spark engine (``pip install 'personae[spark]'``). Importing this package does not
import pyspark: the session is started when an engine is opened."""

from __future__ import annotations

from personae.engine.spark.arrow import to_arrow
from personae.engine.spark.engine import SparkEngine, database_name
from personae.engine.spark.files import STAGING, HadoopFiles, Staging
from personae.engine.spark.matching import CHECKPOINTS, SparkMatchingBackend
from personae.engine.spark.session import SparkMissingError, spark_session, under_spark_submit
from personae.engine.spark.transpile import to_spark_sql

__all__ = [
    "CHECKPOINTS",
    "STAGING",
    "HadoopFiles",
    "SparkEngine",
    "SparkMatchingBackend",
    "SparkMissingError",
    "Staging",
    "database_name",
    "spark_session",
    "to_arrow",
    "to_spark_sql",
    "under_spark_submit",
]
