"""Carrier realism (a scenario file's ``carrier``): throughput per DID with a queue or throttling
receipts, and delivery receipts late and out of order; all on the manual clock, over real HTTP."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_cdyne import PostbackReceiver
from fake_cdyne.carrier import RECEIPTS_KEYS, THROUGHPUT_KEYS
from fake_cdyne.scenario_files import ScenarioError, read_scenario

from .conftest import StartFake, journal, message_id, send

SCENARIOS = Path(__file__).parents[1] / "scenarios"
DID_A, DID_B = "17575550101", "17575550102"


def carrier_fake(start_fake: StartFake, tmp_path: Path, carrier: dict[str, Any], **settings: Any) -> httpx.Client:
    path = tmp_path / "carrier.yaml"
    path.write_text(yaml.safe_dump({"carrier": carrier}))
    return start_fake(manual_clock=True, scenarios=(str(path),), **settings).http


def messages(http: httpx.Client, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = http.get("/_fake/messages", params={"license_key": key}).json()
    return found


def now(http: httpx.Client) -> datetime:
    return datetime.fromisoformat(http.get("/_fake/clock").json()["now"])


def advance(http: httpx.Client, seconds: float) -> None:
    http.post("/_fake/clock/advance", json={"seconds": seconds}).raise_for_status()


def sent_at(message: dict[str, Any]) -> datetime | None:
    return datetime.fromisoformat(message["sent_at"]) if message["sent_at"] else None


def advanced(http: httpx.Client, key: str, to: str, did: str) -> str:
    sms = {"Message": "Hi", "PhoneNumbers": [to], "AssignedDID": did}
    reply = http.post("/sms.svc/AdvancedSMSsend", json={"LicenseKey": key, "SMSRequests": [sms]})
    return message_id(reply.text)


def receipt_codes(http: httpx.Client, key: str) -> list[list[str]]:
    return [[r["code"] for r in m["receipts"]] for m in messages(http, key)]


def test_over_the_rate_messages_wait_in_the_queue_and_go_at_the_rate(
    start_fake: StartFake, tmp_path: Path, key: str
) -> None:
    http = carrier_fake(start_fake, tmp_path, {"throughput": {"per_did_per_second": 1, "over": "queue"}})
    start = now(http)
    for _ in range(3):
        send(http, key)
    assert [m["state"] for m in messages(http, key)] == ["sent", "queued", "queued"]
    advance(http, 1)
    assert [m["state"] for m in messages(http, key)] == ["sent", "sent", "queued"]
    advance(http, 1)
    found = messages(http, key)
    assert [m["state"] for m in found] == ["sent"] * 3
    # within the 1/300 s the fake's datetime resolution rounds to
    gaps = [(sent_at(m) or start) - start for m in found]
    assert [round(gap.total_seconds(), 2) for gap in gaps] == [0, 1, 2]
    assert receipt_codes(http, key) == [[], [], []]  # queued is not throttled


def test_a_burst_goes_at_once_and_a_reset_empties_the_queue(start_fake: StartFake, tmp_path: Path, key: str) -> None:
    http = carrier_fake(start_fake, tmp_path, {"throughput": {"per_did_per_second": 0.5, "burst": 2}})
    for _ in range(3):
        send(http, key)
    assert [m["state"] for m in messages(http, key)] == ["sent", "sent", "queued"]
    advance(http, 2)
    assert [m["state"] for m in messages(http, key)] == ["sent"] * 3
    for _ in range(3):
        send(http, key)
    http.post("/_fake/reset", json={"license_key": key}).raise_for_status()
    send(http, key)
    assert [m["state"] for m in messages(http, key)] == ["sent"]  # the reset key's bucket is full again


def test_over_the_rate_messages_are_throttled_with_receipt_028(start_fake: StartFake, tmp_path: Path, key: str) -> None:
    http = carrier_fake(start_fake, tmp_path, {"throughput": {"per_did_per_second": 1, "over": "throttle"}})
    for _ in range(3):
        send(http, key)
    found = messages(http, key)
    assert [m["state"] for m in found] == ["sent"] * 3
    assert all(sent_at(m) == sent_at(found[0]) for m in found)
    assert receipt_codes(http, key) == [[], ["028"], ["028"]]
    assert found[1]["receipts"][0]["description"] == "Sender exceeded carrier throttle"
    advance(http, 1)
    send(http, key)  # a second later the DID is within its rate again
    assert receipt_codes(http, key)[3] == []


def test_throttled_receipts_post_back_with_their_code(
    start_fake: StartFake, tmp_path: Path, key: str, receiver: PostbackReceiver
) -> None:
    http = carrier_fake(start_fake, tmp_path, {"throughput": {"per_did_per_second": 1, "over": "throttle"}})
    first = message_id(send(http, key, StatusPostBackURL=receiver.url).text)
    second = message_id(send(http, key, StatusPostBackURL=receiver.url).text)
    posts = journal(http, key, 3)
    receipts = [p for p in posts if "DeliveryReceipt=1" in str(p["body"])]
    assert len(receipts) == 1
    assert f"MessageID={second}" in str(receipts[0]["body"])
    assert "Code=028" in str(receipts[0]["body"])
    assert first != second


def test_sender_recipient_and_both_throttles_have_their_codes(start_fake: StartFake, tmp_path: Path, key: str) -> None:
    limits = {"per_did_per_second": 1, "per_recipient_per_second": 1, "over": "throttle"}
    http = carrier_fake(start_fake, tmp_path, {"throughput": limits})
    http.put(f"/_fake/accounts/{key}", json={"dids": [DID_A, DID_B]}).raise_for_status()
    advanced(http, key, "7575449510", DID_A)  # within both rates
    advanced(http, key, "7575449511", DID_A)  # the DID is over: 028
    advanced(http, key, "7575449510", DID_B)  # the recipient is over: 029
    advanced(http, key, "7575449510", DID_A)  # both: 030
    assert receipt_codes(http, key) == [[], ["028"], ["029"], ["030"]]


def receipt_order(http: httpx.Client, key: str) -> list[int]:
    """The indexes of the key's messages (in send order) in the order their receipts came."""
    found = messages(http, key)
    return sorted(range(len(found)), key=lambda i: found[i]["receipts"][0]["at"])


def test_receipts_with_jitter_come_out_of_order_each_exactly_once(
    start_fake: StartFake, tmp_path: Path, key: str, receiver: PostbackReceiver
) -> None:
    timing = {"receipts": {"code": "003", "after": 5, "jitter": 3, "seed": 7}}
    http = carrier_fake(start_fake, tmp_path, timing)
    start = now(http)
    ids = [message_id(send(http, key, message=f"m{i}", StatusPostBackURL=receiver.url).text) for i in range(8)]
    advance(http, 4.9)
    assert receipt_codes(http, key) == [[]] * 8  # none before `after`
    advance(http, 3.2)
    found = messages(http, key)
    assert receipt_codes(http, key) == [["003"]] * 8
    for message in found:
        late = datetime.fromisoformat(message["receipts"][0]["at"]) - start
        assert timedelta(seconds=5) <= late <= timedelta(seconds=8.01)
    order = receipt_order(http, key)
    assert order != sorted(order)  # not the order of the sends
    posts = journal(http, key, 16)  # 8 sent, 8 receipts
    bodies = [str(p["body"]) for p in posts if "DeliveryReceipt=1" in str(p["body"])]
    receipts = Counter(next(i for i in ids if f"MessageID={i}" in body) for body in bodies)
    assert receipts == Counter(ids)  # each exactly once
    advance(http, 60)
    assert receipt_codes(http, key) == [["003"]] * 8  # and never again

    # The same seed: each message's receipt as late again. Stored times are rounded to 1/300 s from a
    # start that differs between the two fakes, so near-ties may round apart: compare the delays, not the order.
    again = carrier_fake(start_fake, tmp_path, timing)
    again_start = now(again)
    for i in range(8):
        send(again, key, message=f"m{i}")
    advance(again, 10)
    delays = [datetime.fromisoformat(m["receipts"][0]["at"]) - start for m in found]
    delays_again = [datetime.fromisoformat(m["receipts"][0]["at"]) - again_start for m in messages(again, key)]
    assert all(abs(a - b) <= timedelta(milliseconds=7) for a, b in zip(delays, delays_again, strict=True))


def test_a_rules_own_receipt_wins_over_the_carriers(start_fake: StartFake, tmp_path: Path, key: str) -> None:
    path = tmp_path / "both.yaml"
    path.write_text(
        "carrier:\n  receipts: {after: 5}\n"
        "rules:\n  - match: {phone: '7575440000'}\n    outcome: {life: {receipt: {code: '005', after: 1}}}\n"
    )
    http = start_fake(manual_clock=True, scenarios=(str(path),)).http
    send(http, key, phone="7575440000")
    send(http, key)
    advance(http, 1)
    assert receipt_codes(http, key) == [["005"], []]
    advance(http, 4)
    assert receipt_codes(http, key) == [["005"], ["000"]]


def test_without_a_carrier_every_send_goes_at_once_with_no_receipt(start_fake: StartFake, key: str) -> None:
    http = start_fake(manual_clock=True).http
    for _ in range(3):
        send(http, key)
    found = messages(http, key)
    assert [m["state"] for m in found] == ["sent"] * 3
    assert len({m["sent_at"] for m in found}) == 1
    advance(http, 60)
    assert receipt_codes(http, key) == [[], [], []]


def test_the_ready_example_loads() -> None:
    path = SCENARIOS / "examples" / "busy-carrier.yaml"
    scenario = read_scenario(path.read_text(), str(path))
    assert scenario.carrier is not None
    assert scenario.carrier.throughput is not None
    assert scenario.carrier.throughput.per_did_per_second == 1


BROKEN = [
    (
        "carrier:\n  throughput: {per_did_per_second: 0}\n",
        "x.yaml:2 carrier.throughput.per_did_per_second: expected a number from 0.001 to 1,000 (messages a second)",
    ),
    (
        "carrier:\n  throughput: {per_did_per_second: .nan}\n",
        "x.yaml:2 carrier.throughput.per_did_per_second: expected a number from 0.001 to 1,000 (messages a second), "
        "found nan",
    ),
    (
        "carrier:\n  throughput: {per_recipient_per_second: '1'}\n",
        "x.yaml:2 carrier.throughput.per_recipient_per_second: expected a number, found text '1'",
    ),
    (
        "carrier:\n  throughput:\n    per_recipient_per_second: 1\n    burst: 0\n",
        "x.yaml:4 carrier.throughput.burst: expected a whole number from 1 to 1,000, found 0",
    ),
    (
        "carrier:\n  throughput: {per_did_per_second: 1, over: drop}\n",
        "x.yaml:2 carrier.throughput.over: 'drop' is not queue or throttle",
    ),
    ("carrier:\n  throughput: {burst: 2}\n", "x.yaml:2 carrier.throughput: a throughput limit needs per_did_per"),
    (
        "carrier:\n  receipts:\n    jitter: .inf\n",
        "x.yaml:3 carrier.receipts.jitter: expected a number from 0 to 31,536,000 (a year in seconds), found inf",
    ),
    ("carrier:\n  receipts: {seed: -1}\n", "x.yaml:2 carrier.receipts.seed: expected a whole number from 0 to"),
    ("carrier:\n  receipts: {code: '28'}\n", "x.yaml:2 carrier.receipts.code: '28' is not a three-digit receipt code"),
    ("carrier:\n  reciepts: {}\n", "x.yaml:2 carrier.reciepts: unknown key 'reciepts'; did you mean 'receipts'?"),
    ("carrier: 5\n", "x.yaml:1 carrier: expected what the carrier does (a mapping), found 5"),
]


@pytest.mark.parametrize(("text", "problem"), BROKEN)
def test_broken_carrier_settings_are_refused_precisely(text: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        read_scenario(text, "x.yaml")
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_a_carrier_is_for_the_files_the_fake_starts_with(http: httpx.Client, key: str) -> None:
    reply = http.post("/_fake/scenario", json={"license_key": key, "scenario": {"carrier": {"receipts": {"after": 1}}}})
    assert reply.status_code == 400
    assert "carrier: can only be set by a scenario file the fake starts with" in reply.text


def test_the_schema_has_the_readers_limits() -> None:
    from fake_cdyne import carrier
    from fake_cdyne.scenario_files import SCHEMA_PATH

    schema = json.loads(SCHEMA_PATH.read_text())["properties"]["carrier"]["properties"]
    limits = schema["throughput"]["properties"]
    for rate in ("per_did_per_second", "per_recipient_per_second"):
        assert (limits[rate]["minimum"], limits[rate]["maximum"]) == (carrier.MIN_RATE, carrier.MAX_RATE)
    assert limits["burst"]["maximum"] == carrier.MAX_BURST
    assert schema["receipts"]["properties"]["seed"]["maximum"] == carrier.MAX_SEED
    assert tuple(limits) == carrier.THROUGHPUT_KEYS
    assert tuple(schema["receipts"]["properties"]) == carrier.RECEIPTS_KEYS


ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["queue", "throttle", "000", "28", ""]),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "throughput": st.dictionaries(st.sampled_from([*THROUGHPUT_KEYS, "x"]), ODD, max_size=5) | ODD,
            "receipts": st.dictionaries(st.sampled_from([*RECEIPTS_KEYS, "x"]), ODD, max_size=5) | ODD,
        },
    )
    | ODD
)
def test_any_carrier_value_loads_or_is_refused_with_its_key(carrier: object) -> None:
    problems: list[str] = []
    try:
        read_scenario(json.dumps({"carrier": carrier}), "x.json")
    except ScenarioError as error:
        problems = error.problems
    assert all(re.match(r"x\.json:1 carrier[.:]", p) for p in problems), problems
