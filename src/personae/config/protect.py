"""``protect:``: encryption at rest.

.. code-block:: yaml

    protect:
      encryption: true          # the key comes from PERSONAE_ENCRYPTION_KEY, or:
      key_file: ~/.config/personae/shop.key   # outside the project folder
"""

from __future__ import annotations

from personae.config.base import Strict


class ProtectConfig(Strict):
    #: encrypt every file under ``.personae/`` (warehouse, collected WAL and Parquet,
    #: models); the key comes from ``PERSONAE_ENCRYPTION_KEY`` or ``key_file``
    encryption: bool = False
    #: a file holding the master key (base64 or hex of 32 bytes), outside the project
    #: folder; used when ``PERSONAE_ENCRYPTION_KEY`` is not set
    key_file: str | None = None
