"""personae as a Spark application: the file to give ``spark-submit``.

    spark-submit --master spark://host:7077 --driver-memory 16g \\
        "$(python -m personae.cli.spark_submit)" --project my-project --engine spark run

spark-submit runs a Python *file*; this one runs the personae CLI with the arguments
that follow it. Run as a module, it prints its own path (for the command above). Under
spark-submit, the master and settings given to spark-submit win over ``personae.yml``'s
``master``.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    from personae.cli.main import main as cli

    cli()


if __name__ == "__main__":
    if len(sys.argv) == 1 and "PYSPARK_GATEWAY_PORT" not in os.environ:
        print(__file__)
    else:
        main()
