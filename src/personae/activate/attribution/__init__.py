"""Campaign results: touches and conversions, attribution by four models over a lookback
window, control groups and uplift (``personae report campaigns``)."""

from personae.activate.attribution.control import held_out, in_control_group
from personae.activate.attribution.report import (
    Attributed,
    CampaignReport,
    CampaignRow,
    campaign_report,
    write_csv,
)
from personae.activate.attribution.uplift import Uplift

__all__ = [
    "Attributed",
    "CampaignReport",
    "CampaignRow",
    "Uplift",
    "campaign_report",
    "held_out",
    "in_control_group",
    "write_csv",
]
