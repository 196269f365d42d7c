"""Scenarios: every SMSError, fault and message life on demand, and precise refusals of broken files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import pytest
import yaml

from fake_cdyne import Config, ControlAPIError, FakeCdyneClient, FakeServer, SMSError
from fake_cdyne.scenario_files import SCHEMA_PATH, ScenarioError, load_scenarios, read_scenario

from .conftest import message_id, send
from .test_sms_errors import error_of

ROOT = Path(__file__).parent.parent
SCENARIOS = ROOT / "scenarios"
ERROR_FILES = sorted((SCENARIOS / "errors").glob("*.yaml"))


@pytest.fixture
def manual_client(manual_fake: FakeServer) -> Iterator[FakeCdyneClient]:
    with FakeCdyneClient(manual_fake.url) as handle:
        yield handle


def simple(client: FakeCdyneClient, http: httpx.Client, **params: str) -> httpx.Response:
    query = {"PhoneNumber": "7575449510", "Message": "Hello", "LicenseKey": client.license_key} | params
    return http.get(f"{client.base_url}/SimpleSMSsendWithPostback", params=query)


def test_there_is_a_ready_file_for_every_sms_error() -> None:
    assert {f.stem for f in ERROR_FILES} == set(SMSError.__members__)


@pytest.mark.parametrize("path", ERROR_FILES, ids=lambda p: p.stem)
def test_each_ready_file_produces_its_error_in_both_formats(
    client: FakeCdyneClient, http: httpx.Client, path: Path
) -> None:
    client.use_scenario(path)
    expected = SMSError[path.stem]
    assert error_of(simple(client, http)) == expected.name
    reply = http.get(simple(client, http).request.url, headers={"Accept": "application/json"})
    assert reply.json()["SMSError"] == expected.value
    advanced = {"LicenseKey": client.license_key, "SMSRequests": [{"Message": "x", "PhoneNumbers": ["7575449510"]}]}
    assert error_of(http.post(f"{client.base_url}/AdvancedSMSsend", json=advanced)) == expected.name
    if expected is not SMSError.NoError:
        assert client.messages == []


def test_not_found_file_answers_status_queries_too(client: FakeCdyneClient, http: httpx.Client) -> None:
    mid = message_id(simple(client, http).text)
    client.use_scenario(SCENARIOS / "errors" / "NotFound.yaml")
    assert error_of(http.get(f"{client.base_url}/GetMessageStatus", params={"MessageID": mid})) == "NotFound"


def test_files_given_at_start_apply_to_every_key(receiver_free_key: str) -> None:
    config = Config(port=0, scenarios=(str(SCENARIOS / "errors" / "InternalError.yaml"),))
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        assert error_of(send(http, receiver_free_key)) == "InternalError"


@pytest.fixture
def receiver_free_key(key: str) -> str:
    return key


# ---- faults, as a real client sees them ----------------------------------------------------------


def test_fault_status_and_body(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario({"rules": [{"outcome": {"fault": {"status": 503, "body": "try later"}}}]})
    reply = simple(client, http)
    assert (reply.status_code, reply.text) == (503, "try later")
    assert client.messages == []


def test_fault_closes_the_connection_without_an_answer(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario({"rules": [{"outcome": {"fault": {"close": True}}}]})
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        simple(client, http)
    assert http.get("/_fake/health").status_code == 200


def test_fault_truncates_the_body(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario({"rules": [{"outcome": {"fault": {"truncate": True}}}]})
    with pytest.raises(httpx.RemoteProtocolError):
        simple(client, http)


def test_fault_malformed_body(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario({"rules": [{"outcome": {"fault": {"malformed": True}}}]})
    reply = simple(client, http)
    assert reply.status_code == 200
    assert reply.text.startswith("<SMSResponse ")
    assert not reply.text.endswith("</SMSResponse>")


def test_fault_delay_makes_a_client_time_out(client: FakeCdyneClient, fake: FakeServer) -> None:
    client.use_scenario({"rules": [{"outcome": {"fault": {"delay": 1.0, "status": 500}}}]})
    with httpx.Client(base_url=fake.url, timeout=0.2) as impatient, pytest.raises(httpx.ReadTimeout):
        simple(client, impatient)


def test_slow_answer_still_answers(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario({"rules": [{"match": {"operation": "GetMessageStatus"}, "outcome": {"delay": 0.3}}]})
    mid = message_id(simple(client, http).text)
    reply = http.get(f"{client.base_url}/GetMessageStatus", params={"MessageID": mid})
    assert error_of(reply) == "NoError"
    assert reply.elapsed.total_seconds() >= 0.3


def test_status_of_an_unknown_message_uses_the_license_key_clients_add(
    client: FakeCdyneClient, http: httpx.Client
) -> None:
    client.use_scenario(
        {"rules": [{"match": {"operation": "GetMessageStatus"}, "outcome": {"error": "InternalError"}}]}
    )
    unknown = "7fc7f083-d169-4bc6-8ac7-1beaa6f9da11"
    assert error_of(http.get(f"{client.base_url}/GetMessageStatus", params={"MessageID": unknown})) == "NotFound"
    hinted = {"MessageID": unknown, "LicenseKey": client.license_key}
    assert error_of(http.get(f"{client.base_url}/GetMessageStatus", params=hinted)) == "InternalError"


# ---- sequences and matching ----------------------------------------------------------------------


def test_fail_twice_then_succeed(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario({"rules": [{"outcomes": [{"fault": {"status": 500}, "times": 2}, {"error": "NoError"}]}]})
    assert [simple(client, http).status_code for _ in range(4)] == [500, 500, 200, 200]
    assert len(client.messages) == 2


def test_a_used_up_rule_falls_through(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario(
        {
            "rules": [
                {"outcome": {"error": "InternalError"}, "times": 1},
                {"outcome": {"error": "MessageInvalid"}, "times": 1},
            ]
        }
    )
    assert [error_of(simple(client, http)) for _ in range(3)] == ["InternalError", "MessageInvalid", "NoError"]


@pytest.mark.parametrize(
    ("match", "hit", "miss"),
    [
        ({"phone": "(757) 544-9510"}, {}, {"PhoneNumber": "7575449511"}),
        ({"phone": {"prefix": "1757"}}, {}, {"PhoneNumber": "8045449510"}),
        ({"phone": {"pattern": "9510$"}}, {}, {"PhoneNumber": "7575449511"}),
        ({"message": {"contains": "code"}}, {"Message": "your code is 12"}, {}),
        ({"message": "Hello"}, {}, {"Message": "Hello!"}),
        ({"postback_url": {"prefix": "https://"}}, {"StatusPostBackURL": "https://x/y"}, {}),
        ({"operation": "SimpleSMSsendWithPostback"}, {}, None),
    ],
)
def test_matching(
    client: FakeCdyneClient,
    http: httpx.Client,
    match: dict[str, object],
    hit: dict[str, str],
    miss: dict[str, str] | None,
) -> None:
    client.use_scenario({"rules": [{"match": match, "outcome": {"error": "InternalError"}}]})
    assert error_of(simple(client, http, **hit)) == "InternalError"
    if miss is not None:
        assert error_of(simple(client, http, **miss)) == "NoError"
    if "operation" in match:  # the same request through another operation is not matched
        query = {"PhoneNumber": "7575449510", "Message": "Hello", "LicenseKey": client.license_key}
        assert error_of(http.get(f"{client.base_url}/SimpleSMSsend", params=query)) == "NoError"


def test_advanced_send_matches_each_recipient(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario({"rules": [{"match": {"phone": "7575449511", "reference_id": "r"}, "outcome": {"error": 1}}]})
    sms = {"Message": "x", "PhoneNumbers": ["7575449510", "7575449511"], "ReferenceID": "r"}
    body = {"LicenseKey": client.license_key, "SMSRequests": [sms]}
    reply = http.post(f"{client.base_url}/AdvancedSMSsend", json=body, headers={"Accept": "application/json"})
    assert [r["SMSError"] for r in reply.json()] == [0, 1]


def test_flags_and_message_id_overrides(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario({"rules": [{"outcome": {"message_id": "zero", "queued": False, "cancelled": True}}]})
    reply = simple(client, http).text
    assert "<MessageID>00000000-0000-0000-0000-000000000000</MessageID>" in reply
    assert "<Cancelled>true</Cancelled>" in reply
    assert "<Queued>false</Queued>" in reply


def test_a_key_scenario_does_not_touch_other_keys(client: FakeCdyneClient, http: httpx.Client, key: str) -> None:
    client.use_scenario(SCENARIOS / "errors" / "InternalError.yaml")
    assert error_of(send(http, key)) == "NoError"
    client.drop_scenario()
    assert error_of(simple(client, http)) == "NoError"


def test_strict_scenario_reports_what_no_rule_matched(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario(
        {"strict": True, "rules": [{"match": {"phone": "7575449510"}, "outcome": {"error": "NoError"}}]}
    )
    simple(client, http)
    simple(client, http, PhoneNumber="7575440000", Message="surprise")
    (surprise,) = client.surprises()
    assert surprise["request"].startswith("simplesmssendwithpostback for ")
    assert "phone='17575440000'" in surprise["request"]
    assert "message='surprise'" in surprise["request"]


# ---- the message's life ------------------------------------------------------------------------


def test_conversation_example(manual_client: FakeCdyneClient, manual_http: httpx.Client) -> None:
    manual_client.use_scenario(SCENARIOS / "examples" / "conversation.yaml")
    simple(manual_client, manual_http)
    manual_client.advance_clock(5)  # the send delay of the manual fake
    assert manual_client.last_message.state == "sent"
    assert len(manual_client.last_message.replies) == 0
    manual_client.advance_clock(60)
    replies = manual_client.last_message.replies
    assert len(replies) == 1
    reply = replies[0]
    assert (reply.from_, reply.message) == ("17575449510", "YES, see you then")


def test_conversation_postbacks_in_order(manual_client: FakeCdyneClient, manual_http: httpx.Client) -> None:
    from fake_cdyne import PostbackReceiver

    manual_client.use_scenario(SCENARIOS / "examples" / "conversation.yaml")
    with PostbackReceiver() as receiver:
        simple(manual_client, manual_http, StatusPostBackURL=receiver.url)
        manual_client.advance_clock(5)
        receiver.wait_for(1)
        manual_client.advance_clock(5)
        receiver.wait_for(2)
        manual_client.advance_clock(55)
        kinds = [p.kind for p in receiver.wait_for(3)]
    assert kinds == ["sent", "receipt", "reply"]


def test_landline_example(manual_client: FakeCdyneClient, manual_http: httpx.Client) -> None:
    manual_client.use_scenario(SCENARIOS / "examples" / "landline.yaml")
    assert error_of(simple(manual_client, manual_http, PhoneNumber="7575551234")) == "NoError"
    manual_client.advance_clock(5)
    assert manual_client.last_message.state == "cancelled"
    assert [p.form["SMSSent"] for p in manual_client.postbacks] == []  # no postback URL given
    simple(manual_client, manual_http, PhoneNumber="7574441234")
    manual_client.advance_clock(5)
    assert manual_client.last_message.state == "sent"


def test_stop_example_blocks_the_number(manual_client: FakeCdyneClient, manual_http: httpx.Client) -> None:
    manual_client.use_scenario(SCENARIOS / "examples" / "stop.yaml")
    simple(manual_client, manual_http)
    manual_client.advance_clock(5 + 10)
    assert error_of(simple(manual_client, manual_http)) == "STOPfromPhoneNumber"


def test_slow_carrier_example(manual_client: FakeCdyneClient, manual_http: httpx.Client) -> None:
    manual_client.use_scenario(SCENARIOS / "examples" / "slow-carrier.yaml")
    simple(manual_client, manual_http)
    manual_client.advance_clock(119)
    assert manual_client.last_message.state == "queued"
    manual_client.advance_clock(1)
    assert manual_client.last_message.state == "sent"


def test_flaky_network_example(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario(SCENARIOS / "examples" / "flaky-network.yaml")
    assert simple(client, http).status_code == 503
    with pytest.raises(httpx.RemoteProtocolError):
        simple(client, http)
    assert error_of(simple(client, http)) == "NoError"


def test_accounts_example_at_start() -> None:
    config = Config(port=0, scenarios=(str(SCENARIOS / "examples" / "accounts.yaml"),))
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        production, suspended = "f01d89fd-5155-5455-5585-e84ab8de8591", "b01d89fd-5155-5455-5585-e84ab8de8591"
        assert error_of(send(http, "c01d89fd-5155-5455-5585-e84ab8de8591")) == "LicenseKeyInvalid"
        assert error_of(send(http, suspended)) == "ContactCdyneAccountSuspended"
        assert error_of(send(http, production, phone="17575449599")) == "STOPfromPhoneNumber"
        sms = {"Message": "x", "PhoneNumbers": ["7575449510"], "AssignedDID": "7575550124"}
        body = {"LicenseKey": production, "SMSRequests": [sms]}
        assert error_of(http.post("/sms.svc/AdvancedSMSsend", json=body)) == "NoError"
        http.post("/_fake/reset").raise_for_status()  # the file's accounts survive a reset
        assert error_of(send(http, suspended)) == "ContactCdyneAccountSuspended"


# ---- broken files --------------------------------------------------------------------------------


BROKEN = [
    (
        "rules:\n  - outcome: {error: NoError}\n  - outcome: {error: NoError}\n  - match: {operation: send}\n"
        "    outcome:\n      error: NoErorr\n",
        "x.yaml:6 rules[2].outcome.error: 'NoErorr' is not an SMSError; did you mean 'NoError'?",
    ),
    ("rulez: []\n", "x.yaml:1 rulez: unknown key 'rulez'; did you mean 'rules'?"),
    (
        "rules:\n  - outcome: {eror: InternalError}\n",
        "x.yaml:2 rules[0].outcome.eror: unknown key 'eror'; did you mean 'error'?",
    ),
    (
        "rules:\n  - match: {phone: '12'}\n    outcome: {error: 2}\n",
        "x.yaml:2 rules[0].match.phone: '12' is not a phone number",
    ),
    (
        "rules:\n  - match: {message: {pattern: '(unclosed'}}\n    outcome: {error: 2}\n",
        "x.yaml:2 rules[0].match.message.pattern: '(unclosed' is not a regular expression (RE2 syntax: no "
        "backreferences or lookaround): missing ): (unclosed",
    ),
    (
        "rules:\n  - match: {operation: SendSMS}\n    outcome: {error: 2}\n",
        "x.yaml:2 rules[0].match.operation: 'SendSMS' is not an operation",
    ),
    (
        "rules:\n  - match: {operation: send}\n",
        "x.yaml:2 rules[0]: a rule needs exactly one of 'outcome' or 'outcomes'",
    ),
    (
        "rules:\n  - outcome: {error: 2}\n    outcomes: [{error: 3}]\n",
        "x.yaml:2 rules[0]: a rule needs exactly one of 'outcome' or 'outcomes'",
    ),
    (
        "rules:\n  - outcomes:\n      - {error: 2}\n      - {error: 3}\n",
        "x.yaml:3 rules[0].outcomes[0]: every outcome but the last needs 'times' (how many requests it answers)",
    ),
    (
        "rules:\n  - outcome: {error: 2, fault: {status: 500}}\n",
        "x.yaml:2 rules[0].outcome: give either an error (a CDYNE answer) or a fault (an HTTP failure), not both",
    ),
    (
        "rules:\n  - outcome: {fault: {status: 99}}\n",
        "x.yaml:2 rules[0].outcome.fault.status: expected a whole number from 100 to 599, found 99",
    ),
    (
        "rules:\n  - outcome: {fault: {close: yes, truncate: yes}}\n",
        "x.yaml:2 rules[0].outcome.fault: choose one of close, truncate and malformed",
    ),
    (
        "rules:\n  - match: {operation: CancelMessage}\n    outcome: {life: {sent_after: 1}}\n",
        "x.yaml:3 rules[0].outcome.life: a message's life only follows a send operation",
    ),
    (
        "rules:\n  - outcome: {life: {receipt: {code: '3'}}}\n",
        "x.yaml:2 rules[0].outcome.life.receipt.code: '3' is not a three-digit receipt code",
    ),
    (
        "rules:\n  - outcome: {life: {replies: [{after: 5}]}}\n",
        "x.yaml:2 rules[0].outcome.life.replies[0]: a reply needs its message",
    ),
    (
        "rules:\n  - outcome: {delay: -1}\n",
        "x.yaml:2 rules[0].outcome.delay: expected a number from 0 to 31,536,000 (a year in seconds), found -1",
    ),
    ("rules: {}\n", "x.yaml:1 rules: expected a list of rules, found a mapping"),
    ("accounts:\n  - license_key: nope\n", "x.yaml:2 accounts[0].license_key: 'nope' is not a GUID"),
    ("accounts:\n  - dids: ['17575550000']\n", "x.yaml:2 accounts[0]: an account needs its license_key"),
    ("defaults: {default_format: yaml}\n", "x.yaml:1 defaults.default_format: 'yaml' is not a format (xml or json)"),
    ("rules:\n  - outcome: {error: NoError\n", "x.yaml:3: not valid YAML: expected ',' or '}', but got '<stream end>'"),
    ("- just\n- a list\n", "x.yaml:1: expected a scenario (a mapping), found a list"),
]


@pytest.mark.parametrize(("text", "problem"), BROKEN)
def test_broken_files_are_refused_precisely(text: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        read_scenario(text, "x.yaml")
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ScenarioError) as caught:
        read_scenario("rules:\n  - outcome: {error: Nope}\n  - outcome: {fault: {status: 1}}\nbogus: 1\n", "x.yaml")
    assert len(caught.value.problems) == 3


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "latin.yaml").write_bytes(b"name: caf\xe9\n")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([tmp_path / "latin.yaml", tmp_path / "missing.yaml", tmp_path / "empty"])
    assert caught.value.problems == [
        f"{tmp_path / 'latin.yaml'}: not UTF-8 text (invalid continuation byte at byte 9)",
        f"{tmp_path / 'missing.yaml'}: no such file or folder",
        f"{tmp_path / 'empty'}: no .yaml, .yml or .json files in this folder",
    ]


def test_json_scenarios_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"rules": [{"outcome": {"error": "InternalError"}}]}))
    (scenario,) = load_scenarios([path])
    assert scenario.rules[0].steps[0].outcome.error is SMSError.InternalError


def test_runtime_scenario_errors_name_the_source(client: FakeCdyneClient, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("rules:\n  - outcome: {error: Internal}\n")
    with pytest.raises(ControlAPIError, match=r"mine.yaml:2 rules\[0\].outcome.error: 'Internal' is not an SMSError"):
        client.use_scenario(path)
    with pytest.raises(ControlAPIError, match="defaults: can only be set by a scenario file the fake starts with"):
        client.use_scenario({"defaults": {"send_delay": 1}})


# ---- the command line and the schema -------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fake_cdyne", *args], capture_output=True, text=True, timeout=30)


def test_validate_command(tmp_path: Path) -> None:
    good = run_cli("validate", str(SCENARIOS))
    assert good.returncode == 0
    assert good.stdout.count(": ok (") == len(list(SCENARIOS.rglob("*.yaml")))
    broken = tmp_path / "x.yaml"
    broken.write_text(BROKEN[0][0])
    bad = run_cli("validate", str(broken))
    assert bad.returncode == 1
    assert f"{broken}:6 rules[2].outcome.error: 'NoErorr' is not an SMSError; did you mean 'NoError'?" in bad.stderr


def test_serve_refuses_to_start_half_configured(tmp_path: Path) -> None:
    broken = tmp_path / "x.yaml"
    broken.write_text("rules:\n  - outcome: {error: Nope}\n")
    result = run_cli("serve", "--port", "0", "--scenario", str(broken))
    assert result.returncode == 2
    assert "rules[0].outcome.error: 'Nope' is not an SMSError" in result.stderr
    assert "serving" not in result.stdout


def test_schema_command_prints_the_schema_every_shipped_file_meets() -> None:
    printed = run_cli("schema")
    schema = json.loads(printed.stdout)
    assert schema == json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    # One validator for every file: jsonschema.validate would check the schema again for each (13 s of 13.3).
    validator = jsonschema.Draft202012Validator(schema)
    for path in SCENARIOS.rglob("*.yaml"):
        validator.validate(yaml.safe_load(path.read_text()))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"rules": [{"outcome": {"error": "NoErorr"}}]})


def test_every_number_in_the_schema_has_the_loaders_limits() -> None:
    from fake_cdyne import scenario_files as files

    def numbers(node: object, name: str = "") -> Iterator[tuple[str, dict[str, object]]]:
        if isinstance(node, dict):
            if node.get("type") in ("number", "integer"):
                yield name, node
            for key, value in node.items():
                yield from numbers(
                    value, key if name == "properties" or key not in ("properties", "items", "oneOf") else name
                )
        elif isinstance(node, list):
            for value in node:
                yield from numbers(value, name)

    expected = {"max_message_length": files.MAX_SCENARIO_BYTES, "postback_retries": files.MAX_RETRIES}
    expected |= {"times": files.MAX_TIMES, "status": 599, "refuse": 100, "error": 10}
    expected |= {"per_did_per_second": 1000, "per_recipient_per_second": 1000, "burst": 1000, "seed": 2**32 - 1}
    found = list(numbers(json.loads(SCHEMA_PATH.read_text())))
    assert len(found) == 31
    for name, node in found:
        assert node["maximum"] == expected.get(name, files.MAX_SECONDS), name
