"""Control groups: which persons a campaign holds out, decided by a hash.

A person is in ``campaign``'s control group when the first 8 bytes of
``SHA-256("<campaign>:<person_id>")``, read as a fraction of 2**64, fall below the
campaign's holdout percent. The choice is deterministic (the same person stays in or out
across runs and machines), independent between campaigns, and uniform, so x% of any
audience is held out whatever its ids look like. The orchestrator records held-out
persons as ``control`` rows of ``activation_messages`` instead of sending them anything.
"""

from __future__ import annotations

import hashlib

from personae.config.attribution import AttributionConfig


def control_fraction(campaign: str, person_id: int) -> float:
    """A number in [0, 1) that is uniform over persons and fixed for each one."""
    digest = hashlib.sha256(f"{campaign}:{person_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_control_group(campaign: str, person_id: int, percent: float) -> bool:
    """Whether ``campaign`` holding out ``percent``% of its audience keeps this person out."""
    return percent > 0 and control_fraction(campaign, person_id) * 100 < percent


def held_out(config: AttributionConfig, campaign: str, person_id: int) -> bool:
    """Whether ``attribution.control_groups`` holds this person out of ``campaign``."""
    return in_control_group(campaign, person_id, config.holdout(campaign))
