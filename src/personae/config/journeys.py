"""``journeys:`` and ``orchestration:``: multi-step journeys, and the one orchestrator that
decides every message across journeys (caps, priorities, contradictory offers, control
groups).

A journey has an ``entry`` (entering a segment, or doing an event), ``steps`` run in order
(``send``, ``wait``, ``wait_until``, ``branch``, ``audience``, ``exit``; a branch jumps to
a named step), ``exit_when`` tests that end it early, and a ``reentry`` rule. Each send
names a campaign of ``orchestration.campaigns``, which says what the message is for
(``purpose``: consent is checked for it on the channel), how important it is
(``priority``), which ``offer`` it makes (two offers listed together in
``orchestration.contradictions`` never reach one person on the same day) and the share of
its audience held out as a control group.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from personae.config.base import Strict
from personae.config.segments import Condition
from personae.config.traits import Window

#: a step name (it is stored in ``journey_state.step`` and shown by ``journeys status``)
STEP_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: ``1/1d``: at most 1 message per day; ``3/7d``: at most 3 a week
CAP = re.compile(r"^\s*(\d+)\s*/\s*(\d+\s*(?:d|day|days|w|week|weeks|h|hour|hours))\s*$")
#: where a journey goes after a step when it jumps out of the list
EXIT = "exit"


class Entry(Strict):
    """Who enters: members entering a segment, or persons doing an event."""

    segment: str | None = None
    event: str | list[str] | None = None
    #: SQL over the event's columns and properties, as in segments
    where: str | None = None
    #: how far back an event may be to let its person enter (late events still count)
    lookback: Window = "1d"

    @model_validator(mode="after")
    def _one_kind(self) -> Entry:
        if (self.segment is None) == (self.event is None):
            raise ValueError(
                "an entry is a segment or an event, exactly one of them, e.g. "
                "entry: {segment: vip_tier_1} or entry: {event: Order Completed}"
            )
        if self.segment is not None and self.where is not None:
            raise ValueError("'where' filters an event entry; a segment entry takes none")
        return self


class Test(Strict):
    """What a branch or an exit tests for one person, exactly one of:

    * ``event`` (with ``where``): the person did it since entering the journey (in a
      ``wait_until``: since reaching that step); ``message_of: <send step>`` keeps only
      events carrying the message id that step sent them (an open or a click of that
      e-mail);
    * ``segment``: the person is a member (``member: false``: is not);
    * ``condition``: a segment condition over traits, profile fields, consent and events.
    """

    event: str | list[str] | None = None
    where: str | None = None
    message_of: str | None = None
    segment: str | None = None
    member: bool = True
    condition: Condition | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Test:
        kinds = [k for k in ("event", "segment", "condition") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "test exactly one of event, segment or condition, e.g. {event: Email Opened, "
                "message_of: first_email}, {segment: vip, member: false} or {condition: "
                "{trait: order_count, '>=': 2}}"
            )
        if self.event is None and (self.where is not None or self.message_of is not None):
            raise ValueError("'where' and 'message_of' go with an event test")
        if self.segment is None and not self.member:
            raise ValueError("'member' goes with a segment test")
        return self


class SendStep(Strict):
    campaign: str
    #: the channel it goes out on (default: the campaign's)
    channel: str | None = None


class WaitUntil(Test):
    """Wait until the test holds (checked at every tick), for at most ``within``."""

    within: Window
    #: where to go when it holds (default: the next step)
    then: str | None = None
    #: where to go when ``within`` runs out first (default: the next step)
    else_: str | None = Field(default=None, alias="else")


class Branch(Test):
    then: str | None = None
    else_: str | None = Field(default=None, alias="else")


class AudienceStep(Strict):
    """Add the person to, or remove them from, an ad audience destination."""

    add: str | None = None
    remove: str | None = None

    @model_validator(mode="after")
    def _one(self) -> AudienceStep:
        if (self.add is None) == (self.remove is None):
            raise ValueError("an audience step says add: <destination> or remove: <destination>")
        return self


STEP_KINDS = ("send", "wait", "wait_until", "branch", "audience", "exit")


class Step(Strict):
    """One step: a ``name`` (default ``<kind>_<position>``) and exactly one kind."""

    name: str | None = None
    send: SendStep | None = None
    wait: Window | None = None
    wait_until: WaitUntil | None = None
    branch: Branch | None = None
    audience: AudienceStep | None = None
    #: end the journey here; the value is the reason shown in the path (e.g. ``done``)
    exit: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_exit(cls, value: Any) -> Any:
        if isinstance(value, dict) and "exit" in value and value["exit"] is None:
            return {**value, "exit": "done"}
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in STEP_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            raise ValueError(
                f"a step is exactly one of {', '.join(STEP_KINDS)} (found: {found}), e.g. "
                "- send: {campaign: vip_welcome, channel: email} or - wait: 3d"
            )
        if self.name is not None and not STEP_NAME.match(self.name):
            raise ValueError(
                f"step name {self.name!r}: use lower-case letters, digits and underscores"
            )
        if self.name == EXIT:
            raise ValueError("'exit' is where a branch ends the journey; name the step otherwise")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in STEP_KINDS if getattr(self, k) is not None)


class Journey(Strict):
    description: str | None = None
    entry: Entry
    steps: list[Step]
    #: any test that holds ends the journey for the person at the next tick
    exit_when: list[Test] = Field(default_factory=list)
    #: ``never`` (once per person), ``always`` (on every new entry), or a cool-down after
    #: the last entry (``30d``)
    reentry: str = "never"

    @field_validator("reentry")
    @classmethod
    def _reentry(cls, value: str) -> str:
        if value in ("never", "always") or re.match(
            r"^\s*\d+\s*(d|day|days|w|week|weeks|h|hour|hours)\s*$", value
        ):
            return value
        raise ValueError(f"reentry {value!r}: use never, always, or a cool-down such as 30d or 2w")

    @model_validator(mode="after")
    def _steps(self) -> Journey:
        if not self.steps:
            raise ValueError("a journey needs steps, e.g. steps: [{send: {campaign: welcome}}]")
        names = self.step_names()
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                raise ValueError(f"steps[{i}]: the step name {name!r} is used twice")
            seen.add(name)
        targets = {*names, EXIT}
        for i, step in enumerate(self.steps):
            jumps = []
            if step.branch is not None:
                jumps = [step.branch.then, step.branch.else_]
            if step.wait_until is not None:
                jumps = [step.wait_until.then, step.wait_until.else_]
            for target in jumps:
                if target is not None and target not in targets:
                    raise ValueError(
                        f"steps[{i}] ({names[i]}) jumps to {target!r}, which is no step; "
                        f"use one of {', '.join(sorted(targets))}"
                    )
            tested: Test | None = step.branch or step.wait_until
            if tested is not None:
                self._check_refs(tested, f"steps[{i}] ({names[i]})")
        for i, exit_test in enumerate(self.exit_when):
            self._check_refs(exit_test, f"exit_when[{i}]")
        self._no_instant_loop()
        return self

    def _no_instant_loop(self) -> None:
        """A branch may jump back, but a loop must wait somewhere: otherwise a person
        would go round it forever within one run."""
        names = self.step_names()

        def after(i: int) -> list[str]:
            step = self.steps[i]
            following = names[i + 1] if i + 1 < len(names) else EXIT
            if step.branch is not None:
                return [step.branch.then or following, step.branch.else_ or following]
            if step.send is not None or step.audience is not None:
                return [following]
            return []  # wait, wait_until and exit stop the run here

        for start in range(len(self.steps)):
            seen: list[str] = []
            todo = [(start, [names[start]])]
            while todo:
                i, trail = todo.pop()
                for target in after(i):
                    if target == EXIT:
                        continue
                    if target == names[start]:
                        loop = " > ".join([*trail, target])
                        raise ValueError(
                            f"steps loop without waiting ({loop}); add a wait step to the "
                            "loop, e.g. - wait: 1d"
                        )
                    if target not in seen:
                        seen.append(target)
                        todo.append((names.index(target), [*trail, target]))

    def _check_refs(self, test: Test, where: str) -> None:
        names = self.step_names()
        ref = test.message_of
        if ref is not None and ref not in names:
            raise ValueError(
                f"{where}: message_of {ref!r} is no step; use one of {', '.join(names)}"
            )
        if ref is not None and self.steps[names.index(ref)].send is None:
            raise ValueError(f"{where}: message_of {ref!r} must name a send step")

    def step_names(self) -> list[str]:
        """Each step's name: its own, or ``<kind>_<position>``."""
        return [step.name or f"{step.kind}_{i + 1}" for i, step in enumerate(self.steps)]

    def step_index(self) -> dict[str, int]:
        """Step name -> position."""
        return {name: i for i, name in enumerate(self.step_names())}


class Cap(Strict):
    max: int
    per: str


class Campaign(Strict):
    """A message: what it is for, how important it is, which offer it makes."""

    #: the channel it goes out on when a send step names none
    channel: str | None = None
    #: the purpose of processing it serves: consent is checked for it on the channel
    #: (required unless ``transactional``)
    purpose: str | None = None
    #: a person entitled to several messages gets the highest priority first
    priority: int = 0
    #: the offer it makes; see ``orchestration.contradictions``
    offer: str | None = None
    #: share of persons held out as a control group (0.1: 10%), chosen by a hash of the
    #: campaign and the person id, recorded as ``control`` and never sent; the one place
    #: a campaign the orchestrator sends declares it (not ``attribution.control_groups``)
    control_share: float = Field(default=0.0, ge=0.0, lt=1.0)
    #: a transactional message (an order confirmation) ignores caps and marketing consent
    transactional: bool = False
    #: send it again to a person who got it this long ago (default: once per person)
    resend_after: Window | None = None
    subject: str | None = None
    #: the template (or the text) the message connector renders
    template: str | None = None
    body: str | None = None

    @model_validator(mode="after")
    def _purpose(self) -> Campaign:
        if self.purpose is None and not self.transactional:
            raise ValueError(
                "a marketing campaign needs the purpose it serves, so consent can be checked "
                "(e.g. purpose: email_marketing), or transactional: true"
            )
        return self


def _default_addresses() -> dict[str, str]:
    return {"email": "email", "sms": "phone", "phone": "phone", "post": "address"}


def _default_suppress_events() -> dict[str, tuple[str, ...]]:
    return {
        "email": ("Email Bounced", "Email Marked as Spam", "Email Complained"),
        "sms": ("SMS Bounced", "SMS Undelivered"),
    }


class Orchestration(Strict):
    """The rules every message goes through, across journeys and campaigns."""

    #: channel -> caps such as ``1/1d`` (at most 1 a day) and ``3/7d`` (3 a week)
    caps: dict[str, list[Cap]] = Field(default_factory=dict)
    #: groups of offers that contradict each other: never two of one group the same day
    contradictions: list[list[str]] = Field(default_factory=list)
    campaigns: dict[str, Campaign] = Field(default_factory=dict)
    #: channel -> the profile field holding the address on it
    addresses: dict[str, str] = Field(default_factory=_default_addresses)
    #: channel -> events that stop messages on it for good (a hard bounce, a complaint)
    suppress_events: dict[str, tuple[str, ...]] = Field(default_factory=_default_suppress_events)

    @field_validator("caps", mode="before")
    @classmethod
    def _cap_strings(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        parsed: dict[str, list[Any]] = {}
        for channel, caps in value.items():
            items = [caps] if isinstance(caps, str | dict) else caps or []
            parsed[channel] = []
            for cap in items:
                if isinstance(cap, str):
                    match = CAP.match(cap)
                    if match is None:
                        raise ValueError(
                            f"orchestration.caps.{channel}: {cap!r} is not a cap; write "
                            "'1/1d' (at most 1 a day) or '3/7d' (3 a week)"
                        )
                    cap = {"max": int(match.group(1)), "per": match.group(2)}
                parsed[channel].append(cap)
        return parsed

    @field_validator("suppress_events", mode="before")
    @classmethod
    def _event_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _caps(self) -> Orchestration:
        for channel, caps in self.caps.items():
            for cap in caps:
                if cap.max < 0 or not CAP.match(f"{cap.max}/{cap.per}"):
                    raise ValueError(
                        f"orchestration.caps.{channel}: {cap.max}/{cap.per} is not a cap; write "
                        "'1/1d' (at most 1 a day) or '3/7d' (3 a week)"
                    )
        offers = {c.offer for c in self.campaigns.values() if c.offer is not None}
        for i, group in enumerate(self.contradictions):
            if len(group) < 2:
                raise ValueError(
                    f"orchestration.contradictions[{i}] lists {group}: a contradiction needs "
                    "two offers or more, e.g. [welcome_discount, full_price_preview]"
                )
            for offer in group:
                if offer not in offers:
                    raise ValueError(
                        f"orchestration.contradictions[{i}]: no campaign makes the offer "
                        f"{offer!r}; offers made: {', '.join(sorted(offers)) or 'none'} "
                        "(set offer: on a campaign)"
                    )
        return self

    def contradicting(self, offer: str | None) -> set[str]:
        """The offers that contradict ``offer`` (never itself)."""
        if offer is None:
            return set()
        found: set[str] = set()
        for group in self.contradictions:
            if offer in group:
                found.update(group)
        found.discard(offer)
        return found
