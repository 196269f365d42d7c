"""Scenario texts, dates and XML declarations from a careless or hostile client: each refused quickly
and precisely (a 400 naming the limit, or an error naming file, line and key), never a 500, a hang
or an entry in /_fake/errors."""

from __future__ import annotations

import contextlib
import json
import math
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fake_cdyne.scenario_files import (
    MAX_DEPTH,
    MAX_PATTERN_LENGTH,
    MAX_SCENARIO_BYTES,
    MAX_SECONDS,
    MAX_VALUES,
    ScenarioError,
    build_scenario,
    load_scenarios,
    read_scenario,
)

from ..conftest import send

SMSWS = "http://schemas.datacontract.org/2004/07/SmsWS"
ARRAYS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"


def alias_bomb(levels: int = 9) -> str:
    """Nine nested anchors, each a list of nine aliases of the one before: 9**9 values expanded."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "\n".join([*lines, f"rules: *a{levels - 1}", ""])


@pytest.fixture
def errors_unchanged(http: httpx.Client) -> Iterator[None]:
    """The test's client input left no internal error behind."""
    before = len(http.get("/_fake/errors").json())
    yield
    assert http.get("/_fake/errors").json()[before:] == []


def post_scenario(http: httpx.Client, key: str, **body: object) -> httpx.Response:
    return http.post("/_fake/scenario", json={"license_key": key, **body})


def problems_of(answer: httpx.Response) -> list[str]:
    """The problems a 400 lists; a body the control API refuses before reading the scenario (nested
    too deep for any JSON body) has one, its error."""
    assert answer.status_code == 400, answer.text
    problems = answer.json().get("problems") or [answer.json()["error"]]
    assert isinstance(problems, list)
    return problems


# ---- bounded YAML --------------------------------------------------------------------------------


@pytest.mark.xdist_group("timing")  # a time bound: run apart from the other timed and the heaviest tests
def test_the_alias_bomb_file_is_refused_at_once_by_validate(tmp_path: Path) -> None:
    """In a child with 1 GiB of address space and 8 s: before the guard it was killed or timed out."""
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
    run = f"{limit}from fake_cdyne.cli import main; raise SystemExit(main(['validate', {str(bomb)!r}]))"
    started = time.perf_counter()
    try:
        result = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, timeout=8)
    except subprocess.TimeoutExpired:
        pytest.fail("validate was still expanding the alias bomb after 8 s")
    assert time.perf_counter() - started < 8
    assert result.returncode == 1, result.stderr[-500:]
    assert f"{bomb}:" in result.stderr
    assert f"more than {MAX_VALUES:,} values once aliases are expanded" in result.stderr


@pytest.mark.xdist_group("timing")  # a time bound: run apart from the other timed and the heaviest tests
def test_the_alias_bomb_posted_is_a_400_naming_the_limit(http: httpx.Client, key: str, errors_unchanged: None) -> None:
    started = time.perf_counter()
    answer = post_scenario(http, key, text=alias_bomb(), source="bomb.yaml")
    assert time.perf_counter() - started < 2
    (problem,) = problems_of(answer)
    assert problem.startswith("bomb.yaml:")
    assert f"more than {MAX_VALUES:,} values once aliases are expanded (the limit)" in problem
    assert send(http, key).status_code == 200


def test_aliases_within_the_limit_still_work() -> None:
    text = "ok: &ok {error: NoError}\nrules:\n  - match: {phone: '7575449510'}\n    outcome: *ok\n  - outcome: *ok\n"
    with pytest.raises(ScenarioError, match=r"x.yaml:1 ok: unknown key 'ok'"):
        read_scenario(text, "x.yaml")  # the anchor's holder is no scenario key
    scenario = read_scenario(text.replace("ok: &ok", "description: &ok"), "x.yaml")
    assert len(scenario.rules) == 2


@pytest.mark.xdist_group("timing")  # a time bound: run apart from the other timed and the heaviest tests
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rules: *nowhere\n", "x.yaml:1: not valid YAML: found undefined alias 'nowhere'"),
        ("a: &a [*a]\n", "x.yaml:1 a[0]"),
        ("rules:" + " [" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n", f"deeper than {MAX_DEPTH} levels"),
        ("rules: [" + ", ".join(["1"] * (MAX_VALUES + 1)) + "]\n", f"more than {MAX_VALUES:,} values (the limit)"),
        ("rules:\n  - outcome: {times: " + "9" * 5000 + "}\n", "x.yaml:2: "),
        ("name: 2001-13-45\n", "x.yaml:1: not valid YAML: month must be in 1..12"),
    ],
    ids=["undefined-alias", "recursive-alias", "deep", "many-values", "huge-integer", "bad-date"],
)
def test_documents_beyond_the_limits_are_refused_with_their_line(text: str, problem: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as caught:
        read_scenario(text, "x.yaml")
    took = time.perf_counter() - started
    # At once: within 2 s, or within twice what PyYAML's own loader takes to read the same text here and now
    # (10,001 values take it 0.8-1.4 s on a loaded machine; nothing but the reading may cost more).
    started = time.perf_counter()
    with contextlib.suppress(yaml.YAMLError):
        yaml.compose(text, Loader=yaml.SafeLoader)
    assert took < max(2, 2 * (time.perf_counter() - started))
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_a_deep_json_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"rules":\t' + "[" * 100_000 + "]" * 100_000 + "}")  # the tab: YAML refuses, JSON reads
    with pytest.raises(ScenarioError, match=rf"deep.json: .*deeper than {MAX_DEPTH} levels"):
        load_scenarios([path])


def test_scenario_text_over_the_size_limit(tmp_path: Path, http: httpx.Client, key: str) -> None:
    text = "description: " + "x" * MAX_SCENARIO_BYTES + "\n"
    big = tmp_path / "big.yaml"
    big.write_text(text)
    with pytest.raises(ScenarioError, match=rf"big.yaml: larger than {MAX_SCENARIO_BYTES:,} bytes \(the limit\)"):
        load_scenarios([big])
    answer = post_scenario(http, key, text=text)
    assert answer.status_code in (400, 413), answer.text  # the control API's body limit may come first
    if answer.status_code == 400:
        assert f"larger than {MAX_SCENARIO_BYTES:,} bytes (the limit)" in problems_of(answer)[0]


def test_posted_scenario_objects_have_the_same_limits(http: httpx.Client, key: str, errors_unchanged: None) -> None:
    deep: Any = []
    for _ in range(MAX_DEPTH + 3):
        deep = [deep]
    (problem,) = problems_of(post_scenario(http, key, scenario={"rules": [{"outcome": {"error": deep}}]}))
    assert f"{MAX_DEPTH} levels" in problem  # the scenario's limit, or the same limit on any JSON body
    many = problems_of(post_scenario(http, key, scenario={"rules": list(range(MAX_VALUES + 1))}))
    assert len(many) == 1
    assert many[0].startswith("scenario rules[")
    assert many[0].endswith(f"]: more than {MAX_VALUES:,} values (the limit)")


def test_many_problems_are_reported_up_to_a_hundred(http: httpx.Client, key: str) -> None:
    problems = problems_of(post_scenario(http, key, scenario={"rules": [1] * 500}))
    assert len(problems) == 101
    assert problems[-1] == "... and 900 more problems"  # two for each: not a mapping, no outcome


# ---- numbers -------------------------------------------------------------------------------------


DURATIONS = [
    ("defaults", "send_delay"),
    ("defaults", "postback_backoff"),
    ("defaults", "postback_timeout"),
    ("outcome", "delay"),
    ("outcome.fault", "delay"),
    ("outcome.life", "sent_after"),
    ("outcome.life.receipt", "after"),
    ("outcome.life.replies[0]", "after"),
    ("outcome.life.stop", "after"),
]


def _scenario_with(where: str, key: str, value: object) -> dict[str, Any]:
    if where == "defaults":
        return {"defaults": {key: value}}
    inner: dict[str, Any] = {key: value}
    if where.endswith("replies[0]"):
        inner["message"] = "hi"
        inner = {"replies": [inner]}
        where = where.removesuffix(".replies[0]")
    for part in reversed(where.split(".")[1:]):
        inner = {part: inner}
    return {"rules": [{"outcome": inner}]}


@pytest.mark.parametrize(("where", "name"), DURATIONS)
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e308, MAX_SECONDS + 1])
def test_every_duration_is_finite_and_at_most_a_year(where: str, name: str, value: float) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_from_json(_scenario_with(where, name, value))
    (problem,) = caught.value.problems
    assert f".{name}: expected a number from 0 to {MAX_SECONDS:,} (a year in seconds)" in problem
    assert problem.startswith("s.json")


@pytest.mark.parametrize(
    ("scenario", "problem"),
    [
        ({"rules": [{"outcome": {"error": 2}, "times": 10**10}]}, "rules[0].times: expected a whole number from 1 to"),
        ({"rules": [{"outcome": {"life": {"refuse": 101}}}]}, "refuse: expected a whole number from 1 to 100"),
        ({"defaults": {"postback_retries": 21}}, "postback_retries: expected a whole number from 0 to 20"),
        ({"defaults": {"max_message_length": 10**7}}, "max_message_length: expected a whole number from 1 to"),
        ({"rules": [{"outcome": {"fault": {"status": 10**30}}}]}, "status: expected a whole number from 100 to 599"),
    ],
)
def test_every_count_is_bounded(scenario: dict[str, Any], problem: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_from_json(scenario)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def load_from_json(scenario: dict[str, Any]) -> None:
    """As the control API builds an object posted to it (JSON's NaN and Infinity included)."""
    build_scenario(json.loads(json.dumps(scenario)), "s.json")


def test_infinite_sent_after_posted_is_a_400_and_sends_go_on(
    http: httpx.Client, key: str, errors_unchanged: None
) -> None:
    (problem,) = problems_of(post_scenario(http, key, text="rules:\n  - outcome: {life: {sent_after: .inf}}\n"))
    assert problem.startswith("scenario:2 rules[0].outcome.life.sent_after: expected a number from 0 to")
    assert "found inf" in problem
    assert "<SMSError>NoError</SMSError>" in send(http, key).text


# ---- patterns ------------------------------------------------------------------------------------


def test_a_backtracking_pattern_answers_at_once(http: httpx.Client, key: str, errors_unchanged: None) -> None:
    rule = {"match": {"message": {"pattern": "(a+)+$"}}, "outcome": {"error": "MessageInvalid"}}
    assert post_scenario(http, key, scenario={"rules": [rule]}).status_code == 200
    for message, error in (("a" * 40 + "b", "NoError"), ("a" * 40, "MessageInvalid")):
        started = time.perf_counter()
        answer = send(http, key, message=message)
        assert time.perf_counter() - started < 1  # Python's re took minutes on this message
        assert f"<SMSError>{error}</SMSError>" in answer.text


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        (r"(a)\1", r"'(a)\\1' is not a regular expression (RE2 syntax: no backreferences or lookaround):"),
        ("(?=a)", "is not a regular expression (RE2 syntax"),
        ("a" * (MAX_PATTERN_LENGTH + 1), f"a pattern of at most {MAX_PATTERN_LENGTH:,} characters, found"),
        ("(?:a{1000}){1000}", "is not a regular expression"),
    ],
)
def test_patterns_outside_re2_or_too_long_are_refused(pattern: str, problem: str) -> None:
    text = f"rules:\n  - match: {{message: {{pattern: {json.dumps(pattern)}}}}}\n    outcome: {{error: 2}}\n"
    with pytest.raises(ScenarioError) as caught:
        read_scenario(text, "x.yaml")
    (found,) = caught.value.problems
    assert found.startswith("x.yaml:2 rules[0].match.message.pattern: "), found
    assert problem in found


def test_a_pattern_on_a_message_with_a_lone_surrogate(http: httpx.Client, key: str, errors_unchanged: None) -> None:
    rule = {"match": {"message": {"pattern": "^x.y$"}}, "outcome": {"error": "MessageInvalid"}}
    assert post_scenario(http, key, scenario={"rules": [rule]}).status_code == 200
    body = json.dumps({"LicenseKey": key, "SMSRequests": [{"Message": "x\ud800y", "PhoneNumbers": ["7575449510"]}]})
    answer = http.post("/sms.svc/AdvancedSMSsend", content=body, headers={"Content-Type": "application/json"})
    assert "<SMSError>MessageInvalid</SMSError>" in answer.text  # the surrogate matched '.' (as '?')


# ---- dates ---------------------------------------------------------------------------------------


def advanced_xml(key: str, when: str) -> str:
    return (
        f'<SMSAdvancedRequest xmlns="{SMSWS}"><LicenseKey>{key}</LicenseKey><SMSRequests><SMSRequest>'
        f'<Message>x</Message><PhoneNumbers><string xmlns="{ARRAYS}">7575449510</string></PhoneNumbers>'
        f"<ScheduledDateTime>{when}</ScheduledDateTime></SMSRequest></SMSRequests></SMSAdvancedRequest>"
    )


def soap_send(key: str, when: str) -> str:
    request = advanced_xml(key, when).replace("SMSAdvancedRequest", "AdvancedRequest")
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<AdvancedSMSsend xmlns="http://sms2.cdyne.com">{request}</AdvancedSMSsend></s:Body></s:Envelope>'
    )


SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"http://sms2.cdyne.com/Isms/AdvancedSMSsend"'}


@pytest.mark.parametrize(
    ("when", "error"),
    [
        ("9999-12-31T23:59:59-14:00", "ScheduledDateTimeIsNotUTC"),  # .NET clamps to MaxValue: not UTC
        ("0001-01-01T00:00:00+14:00", "NoError"),  # clamps to MinValue, the unset date: sent now
    ],
)
def test_xml_dates_beyond_dotnet_range_are_clamped_as_dotnet_does(
    http: httpx.Client, key: str, when: str, error: str, errors_unchanged: None
) -> None:
    rest = http.post("/sms.svc/AdvancedSMSsend", content=advanced_xml(key, when), headers={"Content-Type": "text/xml"})
    assert rest.status_code == 200, rest.text
    assert f"<SMSError>{error}</SMSError>" in rest.text
    soap = http.post(
        "/sms.svc/Soap",
        content=soap_send(key, when),
        headers=SOAP_HEADERS,
    )
    assert soap.status_code == 200, soap.text
    assert f"<SMSError>{error}</SMSError>" in soap.text


@pytest.mark.parametrize("when", ["2030-01-01T00:00:00+15:00", "2030-01-01T00:00:00-99:99"])
def test_xml_zones_beyond_fourteen_hours_are_a_400(http: httpx.Client, key: str, when: str) -> None:
    answer = http.post(
        "/sms.svc/AdvancedSMSsend", content=advanced_xml(key, when), headers={"Content-Type": "text/xml"}
    )
    assert answer.status_code == 400
    assert "SMSRequests[0].ScheduledDateTime" in answer.text
    assert "-14:00 to +14:00" in answer.text


@pytest.mark.parametrize(
    "millis", ["-99999999999999", "-62135596800001", "253402300800000", "9" * 30, "-99999999999999-0500"]
)
def test_json_dates_beyond_dotnet_range_are_a_400_naming_the_range(
    http: httpx.Client, key: str, millis: str, errors_unchanged: None
) -> None:
    sms = {"Message": "x", "PhoneNumbers": ["7575449510"], "ScheduledDateTime": f"/Date({millis})/"}
    answer = http.post("/sms.svc/AdvancedSMSsend", json={"LicenseKey": key, "SMSRequests": [sms]})
    assert answer.status_code == 400, answer.text
    assert "SMSRequests[0].ScheduledDateTime" in answer.text
    assert "from \\/Date(-62135596800000)\\/ (0001-01-01) to \\/Date(253402300799999)\\/ (9999-12-31)" in answer.text


def test_json_dates_at_the_edges_of_the_range_are_accepted(http: httpx.Client, key: str) -> None:
    for millis in ("-62135596800000", "253402300799999"):
        sms = {"Message": "x", "PhoneNumbers": ["7575449510"], "ScheduledDateTime": f"/Date({millis})/"}
        answer = http.post("/sms.svc/AdvancedSMSsend", json={"LicenseKey": key, "SMSRequests": [sms]})
        assert "<SMSError>NoError</SMSError>" in answer.text


# ---- XML declarations ----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["x-bogus", "base64", "rot13", "mbcs"])
def test_an_unknown_xml_encoding_is_malformed_xml(
    http: httpx.Client, key: str, encoding: str, errors_unchanged: None
) -> None:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'
    rest = http.post(
        "/sms.svc/AdvancedSMSsend",
        content=declaration + advanced_xml(key, "2030-01-01T00:00:00Z"),
        headers={"Content-Type": "text/xml"},
    )
    assert rest.status_code == 400
    assert "not well-formed XML" in rest.text
    assert "encoding" in rest.text
    soap = http.post(
        "/sms.svc/Soap",
        content=declaration + soap_send(key, "2030-01-01T00:00:00Z"),
        headers=SOAP_HEADERS,
    )
    assert soap.status_code == 500  # SOAP 1.1 answers its faults with 500, as WCF does
    assert "s:Client</faultcode>" in soap.text
    assert "not well-formed XML" in soap.text
    assert "fake-cdyne internal error" not in soap.text


# ---- fuzzing scenario texts ----------------------------------------------------------------------


KNOWN_KEYS = sorted(
    {
        "name", "description", "accept_unknown_keys", "strict", "accounts", "defaults", "rules", "license_key",
        "dids", "suspended", "blocked", "postback_url", "send_delay", "max_message_length", "default_format",
        "postback_retries", "postback_backoff", "postback_timeout", "match", "outcome", "outcomes", "times",
        "operation", "phone", "message", "reference_id", "assigned_did", "equals", "prefix", "contains",
        "pattern", "error", "message_id", "queued", "sent", "cancelled", "fault", "delay", "life", "status",
        "body", "content_type", "close", "truncate", "malformed", "sent_after", "refuse", "receipt", "replies",
        "stop", "code", "after", "carrier", "throughput", "receipts", "per_did_per_second",
        "per_recipient_per_second", "burst", "over", "jitter", "seed", "message_status", "short_codes",
    }
)  # fmt: skip
TEXT = st.characters(exclude_categories=["Cs"])  # lone surrogates: test_a_pattern_on_a_message_with_a_lone_surrogate
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["NoError", "send", "fresh", "zero", "000", "7575449510", "(a+)+$", "json", "x" * 5000]),
    st.text(TEXT, max_size=30),
)
DOCUMENTS = st.recursive(
    ODD_VALUES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(TEXT, max_size=8)), inner, max_size=5),
    ),
    max_leaves=30,
)

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**10), st.sampled_from([0, 0.5, MAX_SECONDS])
)
LIVES = st.fixed_dictionaries(
    {},
    optional={
        "sent_after": NUMBERS,
        "refuse": NUMBERS,
        "receipt": st.fixed_dictionaries({}, optional={"code": st.sampled_from(["000", "003", "3"]), "after": NUMBERS}),
        "replies": st.lists(st.fixed_dictionaries({"message": st.text(TEXT, max_size=9)}, optional={"after": NUMBERS})),
        "stop": st.fixed_dictionaries({}, optional={"after": NUMBERS}),
    },
)
OUTCOMES = st.fixed_dictionaries(
    {"error": st.sampled_from(["NoError", "MessageInvalid", 2, 99])},
    optional={"message_id": st.sampled_from(["zero", "fresh"]), "queued": st.booleans(), "life": LIVES},
)
PATTERNS = st.sampled_from(["(a+)+$", "^Hel", "(a)\\1", "[", "(?i)hello", "x" * 2000])
MATCHES = st.fixed_dictionaries(
    {},
    optional={
        "operation": st.sampled_from(["send", "GetMessageStatus", "SimpleSMSsend", "nope"]),
        "message": st.one_of(st.text(TEXT, max_size=9), st.fixed_dictionaries({"pattern": PATTERNS})),
    },
)
SHAPED = st.fixed_dictionaries(
    {"rules": st.lists(st.fixed_dictionaries({"outcome": OUTCOMES}, optional={"match": MATCHES, "times": NUMBERS}))},
    optional={"strict": st.booleans(), "name": st.text(TEXT, max_size=9)},
)


def _deep(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = {"rules": [value]}
    return value


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    document=st.one_of(
        SHAPED,
        DOCUMENTS.map(lambda d: {"rules": d}),
        DOCUMENTS,
        st.builds(_deep, DOCUMENTS, st.integers(min_value=1, max_value=60)),
    ),
    as_yaml=st.booleans(),
)
def test_fuzzed_scenarios_are_refused_or_installed_never_a_500(
    http: httpx.Client, key: str, document: Any, as_yaml: bool, errors_unchanged: None
) -> None:
    text = yaml.safe_dump(document, allow_unicode=True) if as_yaml else json.dumps(document)
    for answer in (
        post_scenario(http, key, text=text, source="f.yaml" if as_yaml else "f.json"),
        http.post(
            "/_fake/scenario",
            content=json.dumps({"license_key": key, "scenario": document}),
            headers={"content-type": "application/json"},
        ),
    ):
        assert answer.status_code in (200, 400), answer.text
        event(f"answered {answer.status_code}")
        if answer.status_code == 400:
            problems = answer.json().get("problems") or [answer.json()["error"]]
            assert all(isinstance(p, str) and p and "Traceback" not in p for p in problems)
        elif not _asks_for_failure(document, key):
            sent = send(http, key)
            assert sent.status_code == 200, sent.text
            assert "<SMSError>" in sent.text
    assert all(p.startswith("f.") for p in _problems(text, "f.yaml" if as_yaml else "f.json"))
    http.delete("/_fake/scenario", params={"license_key": key})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from("&*ab: -[]{},\n'\"!|>#%@`?0.e+"), max_size=200))
def test_fuzzed_yaml_syntax_is_a_scenario_error(text: str) -> None:
    assert all(p.startswith("f.yaml") for p in _problems(text, "f.yaml"))


def _asks_for_failure(document: Any, key: str) -> bool:
    """Whether an accepted scenario asks for an HTTP fault or a slow answer, which a send then gets."""
    rules = build_scenario(document, "f", for_key=uuid.UUID(key)).rules
    return any(step.outcome.fault or step.outcome.delay for rule in rules for step in rule.steps)


def _problems(text: str, source: str) -> list[str]:
    """The loader's problems with a text, none if it is a scenario; any other exception fails the test."""
    try:
        read_scenario(text, source)
    except ScenarioError as error:
        return error.problems
    return []


def test_the_fuzz_keys_are_every_key_the_loader_knows() -> None:
    from fake_cdyne import carrier
    from fake_cdyne import scenario_files as files

    names = (
        "TOP_KEYS", "ACCOUNT_KEYS", "DEFAULT_KEYS", "RULE_KEYS", "MATCH_KEYS", "TEXT_HOWS", "OUTCOME_KEYS",
        "FAULT_KEYS", "LIFE_KEYS",
    )  # fmt: skip
    known = {key for name in names for key in getattr(files, name)} | {"code", "after"}
    known |= {*carrier.CARRIER_KEYS, *carrier.THROUGHPUT_KEYS, *carrier.RECEIPTS_KEYS}
    assert known == set(KNOWN_KEYS)
