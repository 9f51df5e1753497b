"""Activate: send unified customers where they are used (files for now)."""

from personae.activate.export import export_identities, export_profiles, export_segment

__all__ = ["export_identities", "export_profiles", "export_segment"]
