"""Write keys of the collection API: the ``write`` scope of :mod:`personae.protect.keys`.

A write key only writes, and only to its own source; read and admin keys are refused by
every collection endpoint (403 ``wrong_scope``).
"""

from __future__ import annotations

from personae.protect.keys import Key, KeyRefused, KeyStore

#: a key allowed to write (the collection API's view of :class:`Key`)
WriteKey = Key

__all__ = ["Key", "KeyRefused", "KeyStore", "WriteKey"]
