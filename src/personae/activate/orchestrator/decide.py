"""The orchestrator's decisions: which of the messages journeys and campaigns want to send
may go, and why each other one may not.

Every candidate gets one status (the first rule that stops it wins):

1. ``suppressed``: the person no longer exists (erased, or merged away), has no address on
   the channel, has no consent for the campaign's purpose on the channel
   (``consent_flags``), bounced or complained on the channel
   (``orchestration.suppress_events``), or their address is on the suppression list;
2. ``deduped``: the person already got (or was held out of) the campaign, on any channel,
   in an earlier run, also under a person id since merged into theirs (``resend_after``
   lets it go again after a while);
3. ``quiet_hours``: a channel rule forbids the channel now (the journey retries later);
4. ``conflict``: the person got an offer today that contradicts this one;
5. ``capped``: the channel's caps are already reached by earlier sends;
6. ``control``: the person falls in the campaign's control group (a hash of campaign
   and person id below ``control_share``): recorded, never sent;
7. then per person, most important first (priority, then the order they came in):
   ``deduped`` when the same campaign was already chosen on another channel,
   ``conflict`` when a chosen message makes a contradicting offer, ``outranked`` when a
   more important message took the cap; the rest are sent.

Transactional campaigns skip consent, caps and contradictions, never suppression.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from personae.activate.attribution.control import check_control_groups
from personae.activate.attribution.control import in_control_group as held_out_by_hash
from personae.activate.orchestrator.rules import ChannelRule, Held, always_allowed
from personae.activate.orchestrator.tables import MESSAGES_SCHEMA, dicts, ensure_table
from personae.catalog import ACTIVATION_MESSAGES, CONSENT_FLAGS, EVENTS, PERSONS, PROFILES
from personae.config.journeys import Campaign
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError, PersonaeError, did_you_mean
from personae.profile.consent import consent_column
from personae.protect.suppression import Suppression
from personae.query.asof import timestamp_sql, window_delta
from personae.query.people import LIVE_PERSONS_SQL, person_events_sql
from personae.sql import ident, literal

#: scratch table of the persons a batch of candidates is about
_PERSONS = "_orchestrator_persons"
#: what ``Message.to`` reads for a channel's address in the suppression list
_SUPPRESSION_KINDS = {"email": "email", "phone": "phone"}


@dataclass(frozen=True)
class Candidate:
    """A message someone wants to send: a journey's send step, or a campaign's."""

    message_id: str
    campaign: str
    person_id: int
    channel: str
    journey: str | None = None
    step: str | None = None


@dataclass
class Decision:
    candidate: Candidate
    priority: int
    #: ``send`` until the message goes out (then ``sent`` or ``failed``), or a status
    status: str = "send"
    reason: str = ""
    #: the address on the channel (``Message.to``)
    address: str | None = None
    provider_id: str | None = None
    destination: str | None = None
    #: held back for now (quiet hours, a temporary failure): when to try again (None:
    #: at the next run)
    retry_at: dt.datetime | None = None
    retry: bool = False

    def row(self, now: dt.datetime) -> dict[str, Any]:
        c = self.candidate
        return {
            "message_id": c.message_id,
            "campaign": c.campaign,
            "journey": c.journey,
            "step": c.step,
            "person_id": c.person_id,
            "channel": c.channel,
            "destination": self.destination or c.channel,
            "priority": self.priority,
            "decided_at": now,
            "status": self.status,
            "reason": self.reason,
            "provider_id": self.provider_id,
        }


def message_id(*parts: object) -> str:
    """A deterministic message id: the same decision in a retried run has the same id
    (a provider can use it to refuse a duplicate)."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24]


def in_control_group(campaign: str, person_id: int, share: float) -> bool:
    """Whether a person is held out of a campaign holding out ``share`` (0 to 1) of its
    audience: the hash of :mod:`personae.activate.attribution.control`, so the same
    persons are held out on every run and channel, and the report agrees."""
    return held_out_by_hash(campaign, person_id, share * 100)


def control_share(config: ProjectConfig, campaign: str, spec: Campaign) -> float:
    """The share of ``campaign``'s audience held out: its ``control_share``, the one
    declaration of a campaign the orchestrator sends (``attribution.control_groups``
    may not name it: :func:`check_control_groups`)."""
    return spec.control_share


def campaign_of(config: ProjectConfig, name: str, path: str) -> Campaign:
    campaigns = config.orchestration.campaigns
    if name not in campaigns:
        hint = did_you_mean(name, list(campaigns), prefix="") or (
            "declare it under orchestration.campaigns with its purpose, e.g. "
            f"orchestration: {{campaigns: {{{name}: {{purpose: email_marketing}}}}}}"
        )
        raise ConfigError(f"no campaign {name!r}; {hint}", path=path)
    return campaigns[name]


def check_send(config: ProjectConfig, campaign: str, channel: str | None, path: str) -> str:
    """The channel a send of ``campaign`` uses, after checking the campaign, its purpose
    on that channel and the channel's address field; raises ConfigError."""
    spec = campaign_of(config, campaign, f"{path}.campaign")
    chosen = channel or spec.channel
    if chosen is None:
        raise ConfigError(
            f"campaign {campaign!r} names no channel; add channel: email to the send step or "
            f"to orchestration.campaigns.{campaign}",
            path=f"{path}.channel",
        )
    if spec.purpose is not None:
        problem = config.consent.problem(spec.purpose, chosen)
        if problem:
            raise ConfigError(problem, path=f"orchestration.campaigns.{campaign}.purpose")
    if chosen not in config.orchestration.addresses:
        raise ConfigError(
            f"no address field for channel {chosen!r}; add orchestration.addresses.{chosen}: "
            "<profile field> (e.g. email or phone)",
            path=f"{path}.channel",
        )
    return chosen


def validate_orchestration(config: ProjectConfig) -> None:
    """Check what ``orchestration:`` names elsewhere: channels, purposes, and that no
    campaign's control group is declared twice. Raises ConfigError."""
    rules = config.orchestration
    channels = config.consent.channels
    declared: list[tuple[str, Collection[str]]] = [("caps", list(rules.caps))]
    if "addresses" in rules.model_fields_set:  # the defaults name channels one may not use
        declared.append(("addresses", list(rules.addresses)))
    for section, named in declared:
        for channel in named:
            if channel not in channels:
                raise ConfigError(
                    f"channel {channel!r} is not one of {', '.join(channels)}; use one of "
                    "them or declare it under consent.channels",
                    path=f"orchestration.{section}.{channel}",
                )
    for name, campaign in rules.campaigns.items():
        if campaign.purpose is not None:
            problem = config.consent.problem(campaign.purpose, campaign.channel)
            if problem:
                raise ConfigError(problem, path=f"orchestration.campaigns.{name}")
    check_control_groups(config)


@dataclass
class _Facts:
    """What the warehouse says about the candidates' persons."""

    live: set[int] = field(default_factory=set)
    #: person -> column -> value (addresses and consent flags)
    values: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: (person, campaign) -> (status, decided_at) of the latest sent or control row
    done: dict[tuple[int, str], tuple[str, dt.datetime]] = field(default_factory=dict)
    #: person -> channel -> decided_at of each earlier send (for caps)
    sends: dict[int, dict[str, list[dt.datetime]]] = field(default_factory=dict)
    #: person -> (campaign, decided_at) sent since midnight (for contradictions)
    today: dict[int, list[tuple[str, dt.datetime]]] = field(default_factory=dict)
    #: (person, channel) -> the suppressing event seen
    stopped: dict[tuple[int, str], str] = field(default_factory=dict)


class Orchestrator:
    """Decides a batch of candidates against the warehouse's history, at ``now``."""

    def __init__(
        self,
        engine: Engine,
        config: ProjectConfig,
        *,
        suppression: Suppression | None = None,
        channel_rule: ChannelRule = always_allowed,
    ) -> None:
        self.engine = engine
        self.config = config
        self.rules = config.orchestration
        self.suppression = suppression or Suppression(b"")
        self.channel_rule = channel_rule
        #: channel -> (max, window, "1/1d") of each cap
        self.caps = {
            channel: [(cap.max, window_delta(cap.per), f"{cap.max}/{cap.per}") for cap in caps]
            for channel, caps in self.rules.caps.items()
        }
        self._consent: dict[tuple[str, str], str] = {}
        #: offer -> the offers contradicting it
        self.against = {
            c.offer: self.rules.contradicting(c.offer)
            for c in self.rules.campaigns.values()
            if c.offer is not None
        }

    # ------------------------------------------------------------------ facts

    def _facts(self, candidates: Sequence[Candidate], now: dt.datetime) -> _Facts:
        facts = _Facts()
        engine = self.engine
        persons = pa.table(
            {"person_id": pa.array(sorted({c.person_id for c in candidates}), pa.int64())}
        )
        engine.write_arrow(_PERSONS, persons, mode="replace")
        try:
            self._profile_facts(candidates, facts)
            self._history_facts(candidates, facts, now)
            self._event_facts(candidates, facts, now)
        finally:
            engine.drop_table(_PERSONS)
        return facts

    def _profile_facts(self, candidates: Sequence[Candidate], facts: _Facts) -> None:
        engine = self.engine
        if not engine.table_exists(PROFILES):
            raise PersonaeError(
                f"there is no {PROFILES} table yet, so no message has an address; run "
                "`personae run` first"
            )
        profile_columns = set(engine.columns(PROFILES))
        wanted: dict[str, str] = {}
        for channel in sorted({c.channel for c in candidates}):
            column = self.rules.addresses[channel]
            if column not in profile_columns:
                raise ConfigError(
                    f"profiles have no field {column!r} for the {channel} address; use one of "
                    f"{', '.join(sorted(profile_columns))}",
                    path=f"orchestration.addresses.{channel}",
                )
            wanted[column] = f"p.{ident(column)}"
        consent = self._consent_columns(candidates)
        joins = f"LEFT JOIN {PROFILES} p ON p.person_id = x.person_id"
        if consent:
            if not engine.table_exists(CONSENT_FLAGS):
                raise PersonaeError(
                    f"there is no {CONSENT_FLAGS} table, so nobody's consent can be checked; "
                    "run `personae profiles` (or `personae run`) first"
                )
            have = set(engine.columns(CONSENT_FLAGS))
            for column in consent:
                if column not in have:
                    raise PersonaeError(
                        f"{CONSENT_FLAGS} has no column {column}: consent: changed since the "
                        "last run; run `personae profiles` (or `personae run`) first"
                    )
                wanted[column] = f"f.{ident(column)}"
            joins += f" LEFT JOIN {CONSENT_FLAGS} f ON f.person_id = x.person_id"
        select = ", ".join(f"{sql} AS {ident(name)}" for name, sql in wanted.items())
        table = engine.query(
            f"SELECT x.person_id, l.person_id IS NOT NULL AS live, {select} "
            f"FROM {_PERSONS} x LEFT JOIN ({LIVE_PERSONS_SQL}) l ON l.person_id = x.person_id "
            f"{joins}"
        )
        for row in dicts(table):
            person = int(row.pop("person_id"))
            if row.pop("live"):
                facts.live.add(person)
            facts.values[person] = row

    def _consent_column(self, purpose: str, channel: str) -> str:
        key = (purpose, channel)
        if key not in self._consent:
            self._consent[key] = consent_column(self.config, purpose, channel)
        return self._consent[key]

    def _consent_columns(self, candidates: Sequence[Candidate]) -> list[str]:
        columns: set[str] = set()
        for c in candidates:
            spec = self.rules.campaigns[c.campaign]
            if spec.purpose is not None and not spec.transactional:
                columns.add(self._consent_column(spec.purpose, c.channel))
        return sorted(columns)

    def _history_facts(
        self, candidates: Sequence[Candidate], facts: _Facts, now: dt.datetime
    ) -> None:
        ensure_table(self.engine, ACTIVATION_MESSAGES, MESSAGES_SCHEMA)
        windows = [window_delta(cap.per) for caps in self.rules.caps.values() for cap in caps]
        midnight = dt.datetime.combine(now.date(), dt.time())
        since = min([now - w for w in windows] + [midnight])
        campaigns = ", ".join(literal(c) for c in sorted({c.campaign for c in candidates}))
        # a person merged into another brings their history along
        rows = self.engine.rows(
            "SELECT coalesce(p.merged_into, m.person_id), m.campaign, m.channel, m.status, "
            f"m.decided_at FROM {ACTIVATION_MESSAGES} m "
            f"LEFT JOIN {PERSONS} p ON p.person_id = m.person_id "
            f"JOIN {_PERSONS} x ON x.person_id = coalesce(p.merged_into, m.person_id) "
            f"WHERE m.status IN ('sent', 'control') AND (m.campaign IN ({campaigns}) "
            f"OR m.decided_at >= {timestamp_sql(since)}) ORDER BY m.decided_at"
        )
        for person, campaign, channel, status, at in rows:
            facts.done[(person, campaign)] = (status, at)
            if status != "sent" or at < since:
                continue
            spec = self.rules.campaigns.get(campaign)
            if spec is not None and spec.transactional:
                continue
            facts.sends.setdefault(person, {}).setdefault(channel, []).append(at)
            if at >= midnight:
                facts.today.setdefault(person, []).append((campaign, at))

    def _event_facts(
        self, candidates: Sequence[Candidate], facts: _Facts, now: dt.datetime
    ) -> None:
        channels = {c.channel for c in candidates}
        by_event: dict[str, list[str]] = defaultdict(list)
        for channel in channels:
            for event in self.rules.suppress_events.get(channel, ()):
                by_event[event].append(channel)
        if not by_event or not self.engine.table_exists(EVENTS):
            return
        events = person_events_sql(timestamp_sql(now), events=tuple(by_event))
        rows = self.engine.rows(
            f"SELECT e.person_id, e.event, max(e.timestamp) FROM ({events}) e "
            f"JOIN {_PERSONS} x ON x.person_id = e.person_id GROUP BY e.person_id, e.event"
        )
        for person, event, at in rows:
            for channel in by_event[event]:
                facts.stopped[(person, channel)] = f"{event} on {at:%Y-%m-%d}"

    # ------------------------------------------------------------------ decisions

    def decide(self, candidates: Sequence[Candidate], now: dt.datetime) -> list[Decision]:
        """One decision per candidate, in the candidates' order."""
        if not candidates:
            return []
        for c in candidates:
            campaign_of(self.config, c.campaign, "orchestration.campaigns")
        facts = self._facts(candidates, now)
        blocked = {ch: self.channel_rule(ch, now) for ch in {c.channel for c in candidates}}
        decisions = [self._alone(c, facts, now, blocked) for c in candidates]
        by_person: dict[int, list[Decision]] = defaultdict(list)
        for decision in decisions:
            if decision.status == "send":
                by_person[decision.candidate.person_id].append(decision)
        for person, mine in by_person.items():
            self._rank(mine, facts.sends.get(person, {}), now)
        return decisions

    def _alone(
        self,
        c: Candidate,
        facts: _Facts,
        now: dt.datetime,
        blocked: dict[str, str | Held | None],
    ) -> Decision:
        spec = self.rules.campaigns[c.campaign]
        decision = Decision(c, spec.priority)
        values = facts.values.get(c.person_id, {})
        address = values.get(self.rules.addresses[c.channel])
        decision.address = None if address is None else str(address)
        reason = self._suppressed(c, spec, facts, decision.address)
        if reason is not None:
            return _status(decision, "suppressed", reason)
        done = facts.done.get((c.person_id, c.campaign))
        if done is not None:
            status, at = done
            again = spec.resend_after is not None and at <= now - window_delta(spec.resend_after)
            if not again:
                what = "was held out of it (control group)" if status == "control" else "got it"
                return _status(decision, "deduped", f"already {what} on {at:%Y-%m-%d %H:%M}")
        held = blocked[c.channel]
        if held is not None and not spec.transactional:
            decision.retry = True
            if isinstance(held, Held):
                decision.retry_at = held.until
                return _status(decision, "quiet_hours", held.reason)
            return _status(decision, "quiet_hours", held)
        if not spec.transactional:
            against = self.against.get(spec.offer or "", set())
            for campaign, at in facts.today.get(c.person_id, []):
                other = self.rules.campaigns.get(campaign)
                if other is not None and other.offer in against:
                    return _status(
                        decision,
                        "conflict",
                        f"offer {spec.offer!r} contradicts {other.offer!r} of campaign "
                        f"{campaign!r} sent today at {at:%H:%M}",
                    )
            full = self._full_cap(c.channel, facts.sends.get(c.person_id, {}), now, 0)
            if full is not None:
                return _status(decision, "capped", f"cap {full} on {c.channel} already reached")
        share = control_share(self.config, c.campaign, spec)
        if in_control_group(c.campaign, c.person_id, share):
            return _status(
                decision,
                "control",
                f"held out: control group of {share:.0%} of campaign {c.campaign!r}",
            )
        return decision

    def _suppressed(
        self, c: Candidate, spec: Campaign, facts: _Facts, address: str | None
    ) -> str | None:
        if c.person_id not in facts.live:
            return "the person no longer exists (erased, or merged into another person)"
        field_name = self.rules.addresses[c.channel]
        if address is None or not address.strip():
            return f"no {field_name} to reach them on {c.channel}"
        if spec.purpose is not None and not spec.transactional:
            column = self._consent_column(spec.purpose, c.channel)
            if not facts.values.get(c.person_id, {}).get(column):
                return (
                    f"no consent for {spec.purpose} on {c.channel} (unsubscribed or never granted)"
                )
        stopped = facts.stopped.get((c.person_id, c.channel))
        if stopped is not None:
            return f"stopped on {c.channel} by {stopped}"
        kind = _SUPPRESSION_KINDS.get(field_name)
        if kind is not None and self.suppression.matches(kind, address):
            return f"the {field_name} is on the suppression list (an erased person's)"
        return None

    def _full_cap(
        self, channel: str, sends: dict[str, list[dt.datetime]], now: dt.datetime, extra: int
    ) -> str | None:
        """The first cap of ``channel`` that earlier sends (plus ``extra`` chosen now)
        already fill, as ``1/1d``; None when another message fits."""
        times = sends.get(channel, [])
        for most, window, label in self.caps.get(channel, ()):
            start = now - window
            if sum(1 for t in times if t > start) + extra >= most:
                return label
        return None

    def _rank(
        self, mine: list[Decision], sends: dict[str, list[dt.datetime]], now: dt.datetime
    ) -> None:
        """Choose among one person's remaining messages, most important first."""
        order = sorted(range(len(mine)), key=lambda i: (-mine[i].priority, i))
        chosen: list[Decision] = []
        for i in order:
            decision = mine[i]
            c = decision.candidate
            spec = self.rules.campaigns[c.campaign]
            same = next((d for d in chosen if d.candidate.campaign == c.campaign), None)
            if same is not None:
                _status(
                    decision,
                    "deduped",
                    f"the same campaign goes to them on {same.candidate.channel} "
                    f"(message {same.candidate.message_id})",
                )
                continue
            if not spec.transactional:
                against = self.against.get(spec.offer or "", set())
                clash = next(
                    (
                        d
                        for d in chosen
                        if self.rules.campaigns[d.candidate.campaign].offer in against
                    ),
                    None,
                )
                if clash is not None:
                    _status(
                        decision,
                        "conflict",
                        f"offer {spec.offer!r} contradicts {_describe(self, clash)} chosen today",
                    )
                    continue
                taken = sum(
                    1
                    for d in chosen
                    if d.candidate.channel == c.channel
                    and not self.rules.campaigns[d.candidate.campaign].transactional
                )
                full = self._full_cap(c.channel, sends, now, taken)
                if full is not None:
                    winners = [d for d in chosen if d.candidate.channel == c.channel]
                    _status(
                        decision,
                        "outranked",
                        f"cap {full} on {c.channel}: they get "
                        + ", ".join(_describe(self, d) for d in winners)
                        + " instead",
                    )
                    continue
            chosen.append(decision)


def _describe(orchestrator: Orchestrator, decision: Decision) -> str:
    spec = orchestrator.rules.campaigns[decision.candidate.campaign]
    return f"campaign {decision.candidate.campaign!r} (priority {spec.priority})"


def _status(decision: Decision, status: str, reason: str) -> Decision:
    decision.status = status
    decision.reason = reason
    return decision
