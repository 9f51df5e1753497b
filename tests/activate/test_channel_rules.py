"""Channel rules: SMS quiet hours and the French ban on commercial SMS on Sundays and
public holidays, in Paris time, against known dates."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from personae.activate.channel_rules import (
    ChannelRules,
    channel_allows,
    easter_sunday,
    french_public_holidays,
    next_allowed,
)
from personae.config.messages import MessagesConfig

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# Easter Sunday, Easter Monday, Ascension, Whit Monday (published calendars)
MOVABLE = {
    2008: ("2008-03-23", "2008-03-24", "2008-05-01", "2008-05-12"),
    2019: ("2019-04-21", "2019-04-22", "2019-05-30", "2019-06-10"),
    2024: ("2024-03-31", "2024-04-01", "2024-05-09", "2024-05-20"),
    2025: ("2025-04-20", "2025-04-21", "2025-05-29", "2025-06-09"),
    2026: ("2026-04-05", "2026-04-06", "2026-05-14", "2026-05-25"),
    2027: ("2027-03-28", "2027-03-29", "2027-05-06", "2027-05-17"),
    2038: ("2038-04-25", "2038-04-26", "2038-06-03", "2038-06-14"),
}


@pytest.mark.parametrize("year", sorted(MOVABLE))
def test_movable_feasts_fall_on_their_published_dates(year: int) -> None:
    easter, monday, ascension, whit = (dt.date.fromisoformat(d) for d in MOVABLE[year])
    assert easter_sunday(year) == easter
    holidays = french_public_holidays(year)
    assert holidays[monday] == "Easter Monday"
    assert ascension in holidays  # 2008: Ascension fell on 1 May
    assert holidays[whit] == "Whit Monday"
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    assert all(dt.date(year, m, d) in holidays for m, d in fixed)
    assert len(holidays) == (10 if year == 2008 else 11)


def paris(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS)


def test_sms_quiet_hours_are_20_to_8_paris_time() -> None:
    tuesday = "2026-12-08"
    assert channel_allows("sms", paris(f"{tuesday}T08:00"))[0]
    assert channel_allows("sms", paris(f"{tuesday}T19:59"))[0]
    allowed, reason = channel_allows("sms", paris(f"{tuesday}T20:00"))
    assert not allowed
    assert "quiet hours" in reason and "20:00 to 08:00" in reason and "Europe/Paris" in reason
    assert not channel_allows("sms", paris(f"{tuesday}T07:59"))[0]
    # naive datetimes are UTC: 19:30 UTC is 20:30 in Paris in winter
    assert not channel_allows("sms", dt.datetime(2026, 12, 8, 19, 30))[0]
    assert channel_allows("sms", dt.datetime(2026, 7, 7, 17, 30))[0]  # 19:30 in summer
    assert not channel_allows("sms", dt.datetime(2026, 7, 7, 18, 30))[0]  # 20:30 in summer


def test_no_commercial_sms_on_sundays_and_holidays_but_email_is_free() -> None:
    allowed, reason = channel_allows("sms", paris("2026-12-06T11:00"))
    assert not allowed and "Sunday" in reason
    allowed, reason = channel_allows("sms", paris("2026-05-14T11:00"))  # a Thursday
    assert not allowed and "Ascension Day" in reason and "public holidays" in reason
    assert not channel_allows("sms", paris("2026-12-25T11:00"))[0]
    # a transactional SMS only keeps quiet hours
    assert channel_allows("sms", paris("2026-12-06T11:00"), commercial=False)[0]
    assert not channel_allows("sms", paris("2026-12-06T21:00"), commercial=False)[0]
    assert channel_allows("email", paris("2026-12-06T23:00"))[0]


def test_next_allowed_defers_to_the_next_permitted_morning() -> None:
    # Thursday 24 December 2026, 21:00 -> not Christmas, not Saturday 26's night:
    # Saturday 26 December 08:00
    assert next_allowed("sms", paris("2026-12-24T21:00")) == paris("2026-12-26T08:00")
    # Saturday 22:00 -> Sunday banned -> Monday 08:00
    assert next_allowed("sms", paris("2026-12-05T22:00")) == paris("2026-12-07T08:00")
    # Ascension eve -> Friday morning
    assert next_allowed("sms", paris("2026-05-13T20:30")) == paris("2026-05-15T08:00")
    # early morning -> the same day's 08:00
    assert next_allowed("sms", paris("2026-12-08T06:10")) == paris("2026-12-08T08:00")
    # allowed now -> now
    now = paris("2026-12-08T10:00")
    assert next_allowed("sms", now) == now
    # naive UTC in, naive UTC out: Sat 5 Dec 21:00 UTC -> Mon 7 Dec 08:00 Paris = 07:00 UTC
    assert next_allowed("sms", dt.datetime(2026, 12, 5, 21)) == dt.datetime(2026, 12, 7, 7)
    # Easter weekend 2027: Saturday night -> Sunday -> Easter Monday -> Tuesday 08:00
    assert next_allowed("sms", paris("2027-03-27T20:01")) == paris("2027-03-30T08:00")


def test_rules_come_from_personae_yml() -> None:
    config = MessagesConfig.model_validate(
        {
            "timezone": "America/Martinique",
            "rules": {
                "email": {"quiet_hours": {"start": "22:00", "end": "07:00"}},
                "sms": {"no_sundays": True},
            },
        }
    )
    rules = ChannelRules.from_config(config)
    martinique = zoneinfo.ZoneInfo("America/Martinique")
    late = dt.datetime(2026, 12, 8, 22, 30, tzinfo=martinique)
    allowed, reason = channel_allows("email", late, rules)
    assert not allowed and "America/Martinique" in reason
    assert channel_allows("sms", late, rules)[0]  # no quiet hours declared for sms here
    assert channel_allows("sms", dt.datetime(2026, 12, 25, 12, tzinfo=martinique), rules)[0]


def test_bad_rules_are_refused_with_a_fix() -> None:
    with pytest.raises(ValueError, match="IANA name"):
        MessagesConfig.model_validate({"timezone": "Paris"})
    with pytest.raises(ValueError, match="are empty"):
        MessagesConfig.model_validate(
            {"rules": {"sms": {"quiet_hours": {"start": "20:00", "end": "20:00"}}}}
        )
