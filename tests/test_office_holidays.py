"""The 135 is closed on Benin's public holidays, fixed and movable, with local corrections."""

from __future__ import annotations

import datetime as dt

import pytest

from channels.config import ConfigError, Settings
from dialogs.desk.hours import OfficeHours

BENIN = dt.timezone(dt.timedelta(hours=1))


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=BENIN)


@pytest.mark.parametrize("day", [
    "2026-08-03",  # a Monday, after National Day (1 August) fell on a Saturday: open
])
def test_an_ordinary_weekday_is_open(day):
    assert OfficeHours.parse("mon-fri 08:00-17:30").is_open(at(day))


@pytest.mark.parametrize(("day", "feast"), [
    ("2026-01-01", "New Year"), ("2026-05-01", "Labour Day"),  # fixed
    ("2026-04-06", "Easter Monday"), ("2026-05-14", "Ascension"),  # movable
    ("2026-05-25", "Whit Monday"), ("2026-12-25", "Christmas"),
])
def test_public_holidays_close_the_line_and_it_reopens_the_next_working_day(day, feast):
    hours = OfficeHours.parse("mon-fri 08:00-17:30")
    assert not hours.is_open(at(day)), feast
    reopens = hours.next_open(at(day))
    assert reopens is not None and reopens.date() > dt.date.fromisoformat(day)
    assert hours.is_open(reopens + dt.timedelta(minutes=1))


def test_local_corrections_and_round_the_clock():
    eve = dt.date(2026, 12, 24)  # a Thursday, not a public holiday
    christmas = dt.date(2026, 12, 25)
    hours = OfficeHours.parse("mon-fri 08:00-17:30", closed=[eve], opened=[christmas])
    assert not hours.is_open(at("2026-12-24")) and hours.is_open(at("2026-12-25"))
    assert OfficeHours.parse("always").is_open(at("2026-12-25"))  # 24/7 means holidays too
    assert OfficeHours.parse("mon-fri 08:00-17:30", calendar=None).is_open(at("2026-12-25"))


def test_the_settings_name_a_bad_calendar_or_date():
    assert Settings.from_env({}).office_holidays == "BJ"
    assert Settings.from_env({"OFFICE_HOLIDAYS": "none"}).office_holidays is None
    settings = Settings.from_env({"OFFICE_CLOSED_DATES": "2026-12-24, 2026-12-31"})
    assert settings.office_closed_dates == (dt.date(2026, 12, 24), dt.date(2026, 12, 31))
    for env, variable in (({"OFFICE_HOLIDAYS": "XX"}, "OFFICE_HOLIDAYS"),
                          ({"OFFICE_OPEN_DATES": "25/12/2026"}, "OFFICE_OPEN_DATES")):
        with pytest.raises(ConfigError) as caught:
            Settings.from_env(env)
        assert caught.value.variable == variable
