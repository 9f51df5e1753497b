"""Deterministic stitching of a micro-batch's messages onto the persons of the serving
store, as the batch's deterministic stage would stitch them.

Each message carries identifiers (``user_id``, ``anonymous_id``, the traits' e-mail and
phone, ``context.device.id``), normalised and blocked as the clean and unify stages do.
In the order of the project's identity types (highest priority first):

1. the message's person is the person of its highest-priority identifier the store
   knows (the anchor); none: a new, provisional person;
2. another person holding one of its other identifiers is merged with the anchor when
   the union keeps every type within its ``limit`` (``per_source`` limits counted per
   source), as the batch's limits would; else the two stay apart (a guard hit) and the
   message stays with the anchor;
3. an identifier no one holds is attached to the anchor when the anchor stays within
   the type's limit; else it is left for the batch run.

Of two merged persons, the lower id survives (a batch person over a provisional one;
the older of two batch persons); the other id is linked to it, as a batch merge links
it. Probabilistic matching and household judgements stay with the batch run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from personae.stream.generation import Generation, Person
from personae.unify.rules import IdentityType

#: an identifier: (type, value)
Identifier = tuple[str, str]


@dataclass
class Incoming:
    """One message's record: where it is from and its identifiers, by priority."""

    source: str
    record_id: str
    #: ``YYYY-MM-DD HH:MM:SS[.ffffff]``
    at: str
    ids: list[Identifier]


@dataclass
class Stitched:
    #: message index -> person id
    person_of: dict[int, int] = field(default_factory=dict)
    #: every person touched, by id (survivors only)
    persons: dict[int, Person] = field(default_factory=dict)
    #: loser -> survivor
    merged: dict[int, int] = field(default_factory=dict)
    #: the persons merged away, as they were
    losers: dict[int, Person] = field(default_factory=dict)
    #: new lookup rows ``(type, value, person)``
    lookups: list[tuple[str, str, int]] = field(default_factory=list)
    next_person_id: int = 0
    guard_hits: int = 0
    new_persons: int = 0


class Stitcher:
    def __init__(self, generation: Generation, types: list[IdentityType]) -> None:
        self.generation = generation
        self.types = {t.name: t for t in types}
        self._cache: dict[Identifier, int | None] = {}

    def stitch(self, messages: list[Incoming]) -> Stitched:
        out = Stitched(next_person_id=self.generation.next_person_id())
        self._cache.clear()
        # what the store knows of the batch, read up front in a few queries
        identifiers = list({i for m in messages for i in m.ids})
        found = self.generation.persons_of(identifiers)
        self._cache.update({i: found.get(i) for i in identifiers})
        out.persons.update(self.generation.load_many(list(set(found.values()))))
        for index, message in enumerate(messages):
            out.person_of[index] = self._one(message, out)
        # a message stitched before a later merge follows it
        for index, person in out.person_of.items():
            out.person_of[index] = _follow(out.merged, person)
        return out

    def _resolve(self, identifier: Identifier, out: Stitched) -> int | None:
        if identifier not in self._cache:
            found = self.generation.person_of(*identifier)
            self._cache[identifier] = found
        person = self._cache[identifier]
        return None if person is None else _follow(out.merged, person)

    def _person(self, person_id: int, out: Stitched) -> Person:
        person = out.persons.get(person_id)
        if person is None:
            person = self.generation.load(person_id)
            if person is None:  # a lookup left on a merged id: follow the link
                survivor = self.generation.survivor(person_id)
                if survivor != person_id:
                    return self._person(survivor, out)
                person = Person(person_id, new=True)
            out.persons[person.person_id] = person
        return person

    def _one(self, message: Incoming, out: Stitched) -> int:
        held = [(i, self._resolve(i, out)) for i in message.ids]
        known = [p for _, p in held if p is not None]
        if known:
            anchor = self._person(known[0], out)
        else:
            anchor = Person(out.next_person_id, new=True)
            out.persons[anchor.person_id] = anchor
            out.next_person_id += 1
            out.new_persons += 1
        for other_id in dict.fromkeys(known[1:]):
            other_id = _follow(out.merged, other_id)
            if other_id == anchor.person_id:
                continue
            other = self._person(other_id, out)
            values = [(x["t"], str(x["i"]), x.get("s")) for x in other.external_ids]
            if not self._fits(anchor, values):
                out.guard_hits += 1
                continue
            anchor = self._merge(anchor, other, out)
        for identifier, person in held:
            if person is not None:
                continue
            kind, value = identifier
            if not self._fits(anchor, [(kind, value, message.source)]):
                out.guard_hits += 1
                continue
            anchor.external_ids.append(
                {"t": kind, "i": value, "s": message.source, "c": message.at}
            )
            self._cache[identifier] = anchor.person_id
            out.lookups.append((kind, value, anchor.person_id))
        return anchor.person_id

    def _fits(self, person: Person, adding: list[tuple[str, str, Any]]) -> bool:
        """Would ``person`` stay within every type's limit with ``adding``'s values?"""
        for kind, rule in ((k, t.rule) for k, t in self.types.items()):
            if rule.limit is None:
                continue
            new = [(v, s) for k, v, s in adding if k == kind]
            if not new:
                continue
            held = [(str(x["i"]), x.get("s")) for x in person.external_ids if x.get("t") == kind]
            if rule.per_source:
                by_source: dict[Any, set[str]] = {}
                for value, source in [*held, *new]:
                    by_source.setdefault(source, set()).add(value)
                if any(len(values) > rule.limit for values in by_source.values()):
                    return False
            elif len({v for v, _ in held} | {v for v, _ in new}) > rule.limit:
                return False
        return True

    def _merge(self, a: Person, b: Person, out: Stitched) -> Person:
        survivor, loser = (a, b) if a.person_id < b.person_id else (b, a)
        seen = {(x["t"], str(x["i"])) for x in survivor.external_ids}
        for x in loser.external_ids:
            if (x["t"], str(x["i"])) not in seen:
                survivor.external_ids.append(x)
            out.lookups.append((x["t"], str(x["i"]), survivor.person_id))
        held = {(e.get("s"), e.get("m")) for e in survivor.events}
        survivor.events.extend(e for e in loser.events if (e.get("s"), e.get("m")) not in held)
        survivor.events.sort(key=event_order)
        for name, value in loser.traits.items():
            if survivor.traits.get(name) is None:
                survivor.traits[name] = value
        survivor.new = survivor.new and loser.new
        out.merged[loser.person_id] = survivor.person_id
        for old, into in list(out.merged.items()):
            if into == loser.person_id:
                out.merged[old] = survivor.person_id
        out.persons.pop(loser.person_id, None)
        out.persons[survivor.person_id] = survivor
        out.losers[loser.person_id] = loser
        self._cache = {
            k: (survivor.person_id if v == loser.person_id else v) for k, v in self._cache.items()
        }
        return survivor


def _follow(merged: dict[int, int], person: int) -> int:
    while person in merged:
        person = merged[person]
    return person


def event_order(event: dict[str, Any]) -> tuple[str, str, str]:
    return (str(event.get("t")), str(event.get("s")), str(event.get("m")))
