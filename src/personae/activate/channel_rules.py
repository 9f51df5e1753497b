"""When a channel may carry a message: quiet hours, Sundays and public holidays.

French rules for SMS marketing (the default for ``sms``, see ``messages.rules``): no
commercial message before 08:00 or after 20:00, nor on Sundays and public holidays, in
the recipient's local time (``messages.timezone``, Europe/Paris by default).

:func:`channel_allows` says whether a message may go at an instant, and why not;
:func:`next_allowed` gives the first instant it may, for the orchestrator to defer it.
Naive datetimes are UTC (as everywhere in personae); aware ones keep their zone.

French public holidays (Code du travail, L3133-1): 1 January, Easter Monday, 1 May,
8 May, Ascension (Easter + 39 days), Whit Monday (Easter + 50 days), 14 July, 15 August,
1 November, 11 November, 25 December. Easter Sunday is computed with the anonymous
Gregorian algorithm (Meeus/Jones/Butcher). Alsace-Moselle's two extra days (Good Friday,
26 December) are not included.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass, field

from personae.config.messages import ChannelRule, MessagesConfig

_DAY = dt.timedelta(days=1)


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday of ``year`` in the Gregorian calendar."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@functools.cache
def french_public_holidays(year: int) -> dict[dt.date, str]:
    """The eleven French public holidays of ``year``: date -> name."""
    easter = easter_sunday(year)
    return {
        dt.date(year, 1, 1): "New Year's Day",
        easter + _DAY: "Easter Monday",
        dt.date(year, 5, 1): "Labour Day",
        dt.date(year, 5, 8): "Victory in Europe Day",
        easter + 39 * _DAY: "Ascension Day",
        easter + 50 * _DAY: "Whit Monday",
        dt.date(year, 7, 14): "Bastille Day",
        dt.date(year, 8, 15): "Assumption Day",
        dt.date(year, 11, 1): "All Saints' Day",
        dt.date(year, 11, 11): "Armistice Day",
        dt.date(year, 12, 25): "Christmas Day",
    }


HOLIDAYS = {"FR": french_public_holidays}


@dataclass(frozen=True)
class ChannelRules:
    """The rules of every channel, read in one time zone."""

    timezone: str = "Europe/Paris"
    rules: dict[str, ChannelRule] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: MessagesConfig) -> ChannelRules:
        return cls(config.timezone, dict(config.rules))

    @classmethod
    def default(cls) -> ChannelRules:
        return cls.from_config(MessagesConfig())

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def allows(self, channel: str, at: dt.datetime, *, commercial: bool = True) -> tuple[bool, str]:
        """Whether a message may go on ``channel`` at ``at``; when not, why, in words."""
        rule = self.rules.get(channel)
        if rule is None:
            return True, f"no rule restricts {channel}"
        local = _aware(at).astimezone(self.zone)
        quiet = rule.quiet_hours
        if quiet is not None and _in_quiet_hours(local.time(), quiet.start, quiet.end):
            return False, (
                f"quiet hours on {channel}: no message from {quiet.start:%H:%M} to "
                f"{quiet.end:%H:%M} ({self.timezone}); it is {local:%H:%M} there"
            )
        if commercial and rule.no_sundays and local.weekday() == 6:
            return False, (
                f"no commercial {channel} on Sundays; {local:%Y-%m-%d} is a Sunday in "
                f"{self.timezone}"
            )
        if commercial and rule.no_public_holidays is not None:
            holidays = HOLIDAYS[rule.no_public_holidays](local.year)
            name = holidays.get(local.date())
            if name is not None:
                return False, (
                    f"no commercial {channel} on public holidays; {local:%Y-%m-%d} is "
                    f"{name} ({rule.no_public_holidays})"
                )
        return True, f"{channel} allowed at {local:%Y-%m-%d %H:%M} {self.timezone}"

    def next_allowed(
        self, channel: str, at: dt.datetime, *, commercial: bool = True
    ) -> dt.datetime:
        """The first instant from ``at`` on when ``channel`` allows a message (``at``
        itself when it does), in the same convention as ``at`` (naive UTC or aware)."""
        moment = _aware(at)
        rule = self.rules.get(channel)
        for _ in range(1000):  # every step moves to a later boundary; a year is ~400
            allowed, _reason = self.allows(channel, moment, commercial=commercial)
            if allowed or rule is None:
                return _like(moment, at)
            local = moment.astimezone(self.zone)
            quiet = rule.quiet_hours
            if quiet is not None and _in_quiet_hours(local.time(), quiet.start, quiet.end):
                day = local.date()
                if quiet.start > quiet.end and local.time() >= quiet.start:
                    day += _DAY  # quiet hours spanning midnight end tomorrow
                moment = _local(day, quiet.end, self.zone)
            else:  # a banned day: try the next one from its midnight
                moment = _local(local.date() + _DAY, dt.time(0), self.zone)
        raise ValueError(f"the rules of {channel} never allow a message; check messages.rules")


def _in_quiet_hours(now: dt.time, start: dt.time, end: dt.time) -> bool:
    if start < end:
        return start <= now < end
    return now >= start or now < end


def _aware(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at


def _like(moment: dt.datetime, original: dt.datetime) -> dt.datetime:
    if original.tzinfo is None:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.astimezone(original.tzinfo)


def _local(day: dt.date, at: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=zone)


_DEFAULT = ChannelRules.default()


def channel_allows(
    channel: str,
    at: dt.datetime,
    rules: ChannelRules | None = None,
    *,
    commercial: bool = True,
) -> tuple[bool, str]:
    """Whether ``channel`` may carry a (commercial) message at ``at``, and why (not)."""
    return (rules or _DEFAULT).allows(channel, at, commercial=commercial)


def next_allowed(
    channel: str,
    at: dt.datetime,
    rules: ChannelRules | None = None,
    *,
    commercial: bool = True,
) -> dt.datetime:
    """The first instant from ``at`` on when ``channel`` may carry the message."""
    return (rules or _DEFAULT).next_allowed(channel, at, commercial=commercial)
