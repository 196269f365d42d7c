"""The send path's own ways to a stored time and to a MessageID's text, against the general ones."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fake_cdyne import clock
from fake_cdyne.dates import EPOCH, quantise, quantised_millis
from fake_cdyne.values import guid_text

MAX_MILLIS = (datetime(9999, 12, 31, 23, 59, 58, tzinfo=UTC) - EPOCH) // timedelta(milliseconds=1)


@given(st.integers(min_value=0, max_value=(1 << 128) - 1))
def test_a_guids_text_is_the_uuid_modules(bits: int) -> None:
    guid = uuid.UUID(int=bits)
    assert guid_text(guid) == str(guid)


@given(st.integers(min_value=0, max_value=MAX_MILLIS), st.integers(min_value=0, max_value=999))
def test_a_milliseconds_stamp_is_quantise_of_any_time_in_it(millis: int, micro: int) -> None:
    assert quantised_millis(millis) == quantise(EPOCH + timedelta(milliseconds=millis, microseconds=micro))


def test_the_system_clock_stamps_each_millisecond_once(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_480_000_000_995_400_000]  # nanoseconds: .995 s rounds to .997 s (SQL Server's step)
    monkeypatch.setattr(time, "time_ns", lambda: now[0])  # the clock reads time.time_ns()
    system = clock.SystemClock()
    first = system.stamp()
    assert first == datetime(2016, 11, 24, 15, 6, 40, 997_000, tzinfo=UTC)
    now[0] += 500_000  # the same millisecond
    assert system.stamp() is first
    now[0] += 4_000_000  # 1480000000.9999: the next second
    assert system.stamp() == datetime(2016, 11, 24, 15, 6, 41, tzinfo=UTC)


def test_the_system_clocks_stamp_is_its_time_quantised() -> None:
    system = clock.SystemClock()
    before, stamp, after = system.now(), system.stamp(), system.now()
    assert quantise(before) <= stamp <= quantise(after)


def test_the_manual_clocks_stamp_is_its_time_quantised() -> None:
    manual = clock.ManualClock(datetime(2016, 12, 12, 0, 15, 52, 991_500, tzinfo=UTC))
    assert manual.stamp() == datetime(2016, 12, 12, 0, 15, 52, 990_000, tzinfo=UTC)
