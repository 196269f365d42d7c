"""Every date format on the wire, and the service's SQL Server time resolution.

All datetimes inside the fake are timezone-aware UTC. CDYNE stores times as SQL Server
``datetime`` (steps of 1/300 s) and hands them out as "Unspecified" .NET DateTimes, which is why the
XML form has no zone suffix and why the JSON form is shifted as if the UTC value were US Eastern
local time (WCF's rule for Unspecified values; the live capture of 0001-01-01 shows it).
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_VALUE = datetime(1, 1, 1, tzinfo=UTC)  # .NET DateTime.MinValue: "not sent yet"
MAX_VALUE = datetime.max.replace(tzinfo=UTC)  # .NET DateTime.MaxValue, to the microsecond
# .NET's DateTime range as WCF JSON milliseconds; WCF refuses a request with a date outside it.
JSON_MIN_MS = (MIN_VALUE - EPOCH) // timedelta(milliseconds=1)
JSON_MAX_MS = (MAX_VALUE - EPOCH) // timedelta(milliseconds=1)
JSON_DATE_FORM = (
    f"a WCF date like \\/Date(1480000000000)\\/, from \\/Date({JSON_MIN_MS})\\/ (0001-01-01) "
    f"to \\/Date({JSON_MAX_MS})\\/ (9999-12-31)"
)
_HOUR = timedelta(hours=1)
ZONE_LIMIT = timedelta(hours=14)
XML_DATETIME_FORM = "an xs:dateTime like 2016-12-12T00:15:52Z, its zone (if any) from -14:00 to +14:00"


def quantise(moment: datetime) -> datetime:
    """Round to SQL Server datetime resolution (1/300 s), as the service stores every time.

    .NET first truncates to whole milliseconds, then SqlDateTime rounds half up to 1/300 s, which
    gives SQL Server's documented table: .995 to .998 become .997, .999 becomes the next second.
    """
    microsecond = moment.microsecond
    return moment + _SHIFTS[_QUANTISED[microsecond // 1000] - microsecond - _LEAST]  # replace() costs 4 times more


def quantised_millis(millis: int) -> datetime:
    """``quantise`` of any time in this whole millisecond since 1970 (quantise truncates to one first)."""
    seconds, millis = divmod(millis, 1000)
    return EPOCH + timedelta(0, seconds, _QUANTISED[millis])


def _quantised(millis: int) -> int:
    """The microsecond a whole millisecond rounds to (1,000,000: the next second)."""
    ticks = (millis * 3 + 5) // 10
    return round(ticks * 10 / 3) * 1000


_QUANTISED = [_quantised(millis) for millis in range(1000)]  # computed once: quantise runs twice a send
# Every shift from a microsecond to its step, as a timedelta made once: -1,999 to +2,000 microseconds.
_LEAST = min(step - millis * 1000 - 999 for millis, step in enumerate(_QUANTISED))
_MOST = max(step - millis * 1000 for millis, step in enumerate(_QUANTISED))
_SHIFTS = list(
    itertools.accumulate(
        itertools.repeat(timedelta(microseconds=1), _MOST - _LEAST), initial=timedelta(microseconds=_LEAST)
    )
)


NEVER_XML = "0001-01-01T00:00:00"
NEVER_JSON = "\\/Date(-62135578800000-0500)\\/"


def xml_datetime(moment: datetime | None) -> str:
    """``2016-12-12T00:15:52.98``: no zone, at most 3 fraction digits, trailing zeros trimmed."""
    if moment is None:
        return NEVER_XML  # the common case, on every send: no formatting
    text = (  # formatted field by field: strftime costs three times as much
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    millis = moment.microsecond // 1000
    if millis:
        text += f".{millis:03d}".rstrip("0")
    return text


def _nth_sunday(year: int, month: int, n: int) -> datetime:
    first = datetime(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def eastern_offset(wall: datetime) -> timedelta:
    """US Eastern offset for a wall-clock time (the 2007 rule, applied to every year)."""
    naive = wall.replace(tzinfo=None)
    dst_start = _nth_sunday(naive.year, 3, 2) + 2 * _HOUR
    dst_end = _nth_sunday(naive.year, 11, 1) + _HOUR
    return -4 * _HOUR if dst_start <= naive < dst_end else -5 * _HOUR


def wcf_json_date(moment: datetime | None) -> str:
    r"""``\/Date(-62135578800000-0500)\/`` exactly as WCF writes an Unspecified DateTime."""
    if moment is None:
        return NEVER_JSON
    offset = eastern_offset(moment)
    millis = (moment - offset - EPOCH) // timedelta(milliseconds=1)
    hours, minutes = divmod(int(-offset.total_seconds()) // 60, 60)
    return f"\\/Date({millis}-{hours:02d}{minutes:02d})\\/"


_TWO_DIGITS = [f"{n:02d}" for n in range(60)]  # a format spec (":02d") costs 1,000 instructions a field


def postback_datetime(moment: datetime) -> str:
    """.NET's US short form, ``5/8/2010 2:42:36 AM``, of the UTC time."""
    hour = moment.hour
    half = "AM" if hour < 12 else "PM"
    minute, second = _TWO_DIGITS[moment.minute], _TWO_DIGITS[moment.second]
    return f"{moment.month}/{moment.day}/{moment.year} {hour % 12 or 12}:{minute}:{second} {half}"


_JSON_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")
_XML_DATETIME = re.compile(r"(\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?(Z|[+-]\d\d:\d\d)?")


def parse_json_date(text: str) -> tuple[datetime, bool]:
    r"""Parse WCF's ``/Date(ms)/`` or ``/Date(ms-0500)/``: (UTC instant, whether it was given as UTC)."""
    match = _JSON_DATE.fullmatch(text.strip())
    if match is None or not JSON_MIN_MS <= int(match[1]) <= JSON_MAX_MS:
        raise ValueError(f"{text!r} is not {JSON_DATE_FORM}")
    moment = EPOCH + timedelta(milliseconds=int(match[1]))
    return moment, match[2] is None


def parse_xml_datetime(text: str) -> tuple[datetime, bool]:
    """Parse xs:dateTime: (the instant, taking an unzoned value as UTC; whether it was marked ``Z``).

    A zone beyond xs:dateTime's -14:00 to +14:00 is refused. A zoned value whose instant falls outside
    .NET's range is clamped to DateTime.MinValue or MaxValue, as .NET's XmlConvert does.
    """
    match = _XML_DATETIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not {XML_DATETIME_FORM}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = int((match[7] or "0").ljust(6, "0")[:6])
    moment = datetime(year, month, day, hour, minute, second, fraction, tzinfo=UTC)
    zone = match[8]
    if zone and zone != "Z":
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        if offset > ZONE_LIMIT or int(zone[4:6]) > 59:
            raise ValueError(f"{text!r} is not {XML_DATETIME_FORM}")
        try:
            moment -= offset if zone[0] == "+" else -offset
        except OverflowError:
            moment = MIN_VALUE if zone[0] == "+" else MAX_VALUE
    return moment, zone == "Z"
