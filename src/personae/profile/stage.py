"""The profile stage: golden records by survivorship, computed traits, then the
predicted traits when personae.yml declares predictions."""

from __future__ import annotations

from dataclasses import dataclass, field

from personae.catalog import (
    CONSENT_LEDGER,
    EVENTS,
    IDENTITY_MAP,
    PERSONS,
    RECORDS,
    Table,
    tables_of,
)
from personae.profile.consent import ConsentReport, build_consent
from personae.profile.golden import ProfilesReport, build_profiles
from personae.profile.predict.build import PredictionsReport, compute_predictions
from personae.profile.traits import TraitsReport, compute_traits, trait_columns
from personae.stage import RunContext


@dataclass
class ProfileReport:
    profiles: ProfilesReport
    traits: TraitsReport
    consent: ConsentReport = field(default_factory=ConsentReport)
    #: None when personae.yml declares no predictions
    predictions: PredictionsReport | None = None
    warnings: list[str] = field(default_factory=list)


class ProfileStage:
    name = "profile"
    reads: tuple[Table, ...] = (RECORDS, EVENTS, IDENTITY_MAP, PERSONS, CONSENT_LEDGER)
    #: the tables it owns, as the catalog lists them
    writes: tuple[Table, ...] = tables_of("profile")

    def run(self, context: RunContext) -> ProfileReport:
        engine, config = context.project.engine, context.project.config
        profiles = build_profiles(engine, config)
        traits = compute_traits(engine, config)
        predictions = compute_predictions(engine, config, context.project.state_dir)
        if predictions is not None:
            traits.columns = list(trait_columns(config))
        return ProfileReport(
            profiles,
            traits,
            build_consent(engine, config),
            predictions,
            warnings=predictions.warnings if predictions else [],
        )


PROFILE = ProfileStage()
