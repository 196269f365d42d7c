"""``fake-cdyne verify``: the probe suite passes against the fake and fails, naming the probe, against a
server that is not CDYNE; and the details the verification against the real service found."""

from __future__ import annotations

from datetime import datetime

import httpx

from fake_cdyne import Config, FakeServer

from .conftest import send

# ---- sent_at and created_at at the same SQL Server resolution ---------------------------------


def test_created_at_is_stored_at_sql_datetime_resolution_so_sent_at_never_precedes_it(key: str) -> None:
    """The service keeps every time as a SQL Server datetime (1/300 s; the captures show
    ``2016-12-12T00:15:52.98``). A message made at x.0015 s and sent at once was created at x.000 by that
    rule; were only sent_at rounded, it would read as sent 1.5 ms before it was created."""
    with FakeServer(Config(port=0, manual_clock=True)) as fake, httpx.Client(base_url=fake.url) as http:
        now = datetime.fromisoformat(http.get("/_fake/clock").json()["now"])
        to_next_second = 1 - now.microsecond / 1e6
        http.post("/_fake/clock/advance", json={"seconds": round(to_next_second + 0.0015, 6)}).raise_for_status()
        send(http, key)
        http.post("/_fake/clock/advance", json={"seconds": 0}).raise_for_status()
        (message,) = http.get("/_fake/messages", params={"license_key": key}).json()
        created, sent = (datetime.fromisoformat(message[name]) for name in ("created_at", "sent_at"))
        assert sent >= created, message
        assert created.microsecond == 0, message  # .0015 s is 0 in steps of 1/300 s
