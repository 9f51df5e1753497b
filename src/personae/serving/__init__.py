"""The serving store and the Profile API: what a run publishes for fast reads by person.

:mod:`.store` (the SQLite file, its generations and codec, erasure), :mod:`.publish`
(warehouse -> store, swapped in atomically), :mod:`.profiles` (external ids resolved,
a person's parts read) and :mod:`.api` (the Starlette app ``personae serve`` mounts).
"""
