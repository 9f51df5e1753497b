"""``personae serve``: a durable, Segment-compatible collection API.

Messages flow: HTTP request → :mod:`.messages` (validate, correct the clock) →
:mod:`.wal` (fsync'd write-ahead log, group commit; only then 200) →
:mod:`.flush` (sealed segments → Parquet files) → :mod:`.load` (Parquet →
``raw_collected`` in the warehouse, exactly once) → :mod:`.records` (canonical
``records`` and ``events`` rows). The server never opens the warehouse.
"""
