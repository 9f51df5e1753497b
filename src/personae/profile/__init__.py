"""Profile: golden records by survivorship rules with lineage, computed traits and RFM."""

from personae.profile.golden import ProfilesReport, build_profiles
from personae.profile.stage import PROFILE, ProfileReport
from personae.profile.traits import TraitsReport, compute_traits

__all__ = [
    "PROFILE",
    "ProfileReport",
    "ProfilesReport",
    "TraitsReport",
    "build_profiles",
    "compute_traits",
]
