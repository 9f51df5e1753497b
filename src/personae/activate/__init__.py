"""Activate: send unified customers where they are used (files for now), consent checked
and personal data pseudonymised when asked."""

from personae.activate.audience import AudienceReport, write_audience
from personae.activate.destinations import sync_destination, sync_destinations
from personae.activate.export import (
    export_identities,
    export_profiles,
    export_segment,
    profiles_sql,
    segment_members_sql,
)
from personae.activate.sync import SyncReport

__all__ = [
    "AudienceReport",
    "SyncReport",
    "export_identities",
    "export_profiles",
    "export_segment",
    "profiles_sql",
    "segment_members_sql",
    "sync_destination",
    "sync_destinations",
    "write_audience",
]
