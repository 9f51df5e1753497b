"""Control groups: which persons a campaign holds out, decided by a hash.

A person is in ``campaign``'s control group when the first 8 bytes of
``SHA-256("<campaign>:<person_id>")``, read as a fraction of 2**64, fall below the
campaign's holdout percent. The choice is deterministic (the same person stays in or out
across runs and machines), independent between campaigns, and uniform, so x% of any
audience is held out whatever its ids look like. The orchestrator records held-out
persons as ``control`` rows of ``activation_messages`` instead of sending them anything.

A campaign's control group is declared once: ``orchestration.campaigns.<c>.control_share``
for a campaign the orchestrator sends, ``attribution.control_groups.<c>`` only for one
it does not (sent by another tool, which asks :func:`held_out`); a campaign named in both
is refused (:func:`check_control_groups`).
"""

from __future__ import annotations

import hashlib

from personae.config.attribution import AttributionConfig
from personae.config.models import ProjectConfig
from personae.errors import ConfigError


def control_fraction(campaign: str, person_id: int) -> float:
    """A number in [0, 1) that is uniform over persons and fixed for each one."""
    digest = hashlib.sha256(f"{campaign}:{person_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_control_group(campaign: str, person_id: int, percent: float) -> bool:
    """Whether ``campaign`` holding out ``percent``% of its audience keeps this person out."""
    return percent > 0 and control_fraction(campaign, person_id) * 100 < percent


def held_out(config: AttributionConfig, campaign: str, person_id: int) -> bool:
    """Whether ``attribution.control_groups`` holds this person out of ``campaign`` (a
    campaign another tool sends: the orchestrator decides its own campaigns)."""
    return in_control_group(campaign, person_id, config.holdout(campaign))


def check_control_groups(config: ProjectConfig) -> None:
    """``attribution.control_groups`` names only campaigns the orchestrator does not send:
    those it sends declare their control group as ``control_share``. Raises ConfigError."""
    for campaign, percent in config.attribution.control_groups.items():
        spec = config.orchestration.campaigns.get(campaign)
        if spec is None:
            continue
        where = f"orchestration.campaigns.{campaign}"
        also = (
            f" (it says control_share: {spec.control_share:g} there too)"
            if spec.control_share > 0
            else ""
        )
        share = spec.control_share if spec.control_share > 0 else percent / 100
        raise ConfigError(
            f"campaign {campaign!r} is sent by the orchestrator ({where}), so its control "
            f"group is declared there{also}; remove attribution.control_groups.{campaign} "
            f"and keep control_share: {share:g} under {where} (control_groups is for "
            "campaigns other tools send)",
            path=f"attribution.control_groups.{campaign}",
        )
