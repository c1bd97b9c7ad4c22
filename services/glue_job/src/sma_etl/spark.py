"""The Spark session: one this process starts on this machine, or the one Glue already runs."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from sma_etl import class_archive, forkless_fs
from sma_etl.java_runtime import require_java

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Settings every run needs, locally and on Glue: the lake contract depends on them.
SQL_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
}

# The job sets its own partition counts (segments, the writer's clustering), so adaptive
# execution has nothing to tune; without it each query is one Spark job, not one per stage.
PLAN_CONF: dict[str, str] = {"spark.sql.adaptive.enabled": "false"}

# Hadoop output settings: no _SUCCESS marker and no Parquet summary files in the lake, so a
# partition folder holds only its data file.
HADOOP_CONF: dict[str, str] = {
    "mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    "parquet.summary.metadata.level": "NONE",
}

# Sessions this process starts itself (`master` local[N]): one small machine, no UI. Their
# file:// writes go through the forkless raw local file system (``forkless_fs``): no .crc
# checksum file beside each data file, no chmod process per file.
SINGLE_MACHINE_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "2g",
    "spark.hadoop.fs.file.impl.disable.cache": "true",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
}
# The driver's JVM: UTC, and the JIT compiles methods of any size: Spark generates a method per
# query stage, which for the tick rule passes the 8,000 bytes above which Java would run it
# interpreted, ten times slower.
DRIVER_JAVA_OPTIONS = "-Duser.timezone=UTC -XX:-DontCompileHugeMethods"
# A short run (the scheduled one, a backfill of up to ``run.QUICK_JIT_TICKER_HOURS``) is over
# before the optimising JIT compiler pays for itself: its compile threads take the CPU the run
# needs. The quick compiler alone is enough there.
SHORT_RUN_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1"


def driver_java_options(*, short: bool = False, extra: str = "") -> str:
    """The driver JVM's options for a session started here (`short`: a run of a few seconds)."""
    options = [
        DRIVER_JAVA_OPTIONS,
        class_archive.java_options(),
        SHORT_RUN_JAVA_OPTIONS if short else "",
        extra,
    ]
    return " ".join(o for o in options if o)


def build_session(
    app_name: str,
    shuffle_partitions: int = 2,
    master: str | None = "local[2]",
    *,
    short: bool = False,
    java_options: str = "",
) -> SparkSession:
    """A session with the lake's settings; `master=None` joins the session Glue already started.

    `short` says the run will last seconds, not minutes; `java_options` are added to the
    driver JVM's (``driver_java_options``). A session this process starts runs on the Java
    Spark's launcher finds, checked first (``java_runtime.JavaUnavailable`` says in one line
    what is missing).
    """
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        require_java()
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        # Python workers must run this interpreter (the one with sma and sma_etl installed).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = builder.master(master)
        for key, value in {
            **SINGLE_MACHINE_CONF,
            "spark.driver.extraJavaOptions": driver_java_options(short=short, extra=java_options),
            **forkless_fs.spark_conf(),
            **{f"spark.hadoop.{k}": v for k, v in HADOOP_CONF.items()},
        }.items():
            builder = builder.config(key, value)
    session = builder.getOrCreate()
    for key, value in {**SQL_CONF, **PLAN_CONF}.items():
        session.conf.set(key, value)
    session.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
    hadoop_conf = session.sparkContext._jsc.hadoopConfiguration()
    for key, value in HADOOP_CONF.items():
        hadoop_conf.set(key, value)
    session.sparkContext.setLogLevel("WARN")
    return session
