"""Customer service: help-desk tickets and satisfaction (NPS) answers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from personae.demo import names as vocab
from personae.demo.arrays import Rng, join, null_where, take, text, words
from personae.demo.draws import (
    by_time,
    capped_geometric,
    chance,
    clock,
    days_back,
    pick_in_groups,
    weighted,
)
from personae.demo.files import SourceData
from personae.demo.formats import format_times, sequence_ids
from personae.demo.memberships import Memberships
from personae.demo.population import Population
from personae.demo.rates import (
    EMAIL_HISTORY_DAYS,
    EMAIL_HOURS,
    NOM_PRENOM_SHARE,
    NPS_NO_COMMENT_SHARE,
    NPS_SCORES,
    ONLINE_HOURS,
    SUPPORT_SECOND_EMAIL_SHARE,
)
from personae.demo.render import person_emails, person_names, person_phones
from personae.demo.styles import NPS_STYLE, SUPPORT_STYLE


def build_support_tickets(
    rng: Rng, pop: Population, who: Memberships, anchor_day: int
) -> SourceData:
    """Help-desk tickets: the name typed in one field, "Prénom Nom" or "NOM Prénom"."""
    people = np.flatnonzero(who.support)
    persons = np.repeat(people, capped_geometric(rng, len(people), 0.6, 3))
    days = days_back(rng, len(persons), EMAIL_HISTORY_DAYS, 1.0, anchor_day)
    seconds, persons = by_time(clock(rng, days, ONLINE_HOURS), persons)
    size = len(persons)
    first, last = person_names(rng, pop, persons, SUPPORT_STYLE)
    nom_prenom = chance(rng, size, NOM_PRENOM_SHARE)
    name = pc.if_else(nom_prenom, join(pc.utf8_upper(last), " ", first), join(first, " ", last))
    second = chance(rng, size, SUPPORT_SECOND_EMAIL_SHARE)
    subjects = vocab.SUPPORT_SUBJECTS
    table = pa.table(
        {
            "ticket_id": sequence_ids("SUP-", size, 1, 7),
            "customer_name": name,
            "email": person_emails(rng, pop, persons, SUPPORT_STYLE, second=second),
            "phone": person_phones(rng, pop, persons, SUPPORT_STYLE),
            "subject": take(words(subjects), rng.integers(0, len(subjects), size)),
            "created_at": format_times(seconds, "%Y-%m-%d %H:%M:%S"),
        }
    )
    return SourceData("support_tickets", "support_tickets.csv", table, "ticket_id", persons)


def build_nps_survey(rng: Rng, pop: Population, who: Memberships, anchor_day: int) -> SourceData:
    """Satisfaction answers: a 0-10 score and, for about half, a comment matching it."""
    people = np.flatnonzero(who.nps)
    persons = np.repeat(people, capped_geometric(rng, len(people), 0.7, 3))
    days = days_back(rng, len(persons), EMAIL_HISTORY_DAYS, 1.0, anchor_day)
    seconds, persons = by_time(clock(rng, days, EMAIL_HOURS), persons)
    size = len(persons)
    score = weighted(rng, size, NPS_SCORES)
    band = np.where(score <= 6, 0, np.where(score <= 8, 1, 2))
    comments = [[(c, 1.0) for c in band_comments] for band_comments in vocab.NPS_COMMENTS]
    comment = pick_in_groups(rng, band, comments)
    table = pa.table(
        {
            "response_id": sequence_ids("R", size, 1, 8),
            "email": person_emails(rng, pop, persons, NPS_STYLE),
            "score": text(score),
            "comment": null_where(comment, chance(rng, size, NPS_NO_COMMENT_SHARE)),
            "answered_at": format_times(seconds, "%d/%m/%Y"),
        }
    )
    return SourceData("nps_survey", "nps_survey.csv", table, "response_id", persons)
