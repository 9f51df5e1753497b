"""Protection of the data personae holds: the project's secret and keyed hashes, the
suppression list of erased persons, encryption at rest, private files and the audit log.

It sits just above ``config``: the engine (encrypted warehouse), collection (suppressed
events, encrypted WAL) and ingest (suppressed rows) all use it.
"""
