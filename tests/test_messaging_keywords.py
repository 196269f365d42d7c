"""Keywords on short codes (Messaging operations 11-14, contract §4.9), on the operation class itself:
every SMSKeywordReturnCode, short codes of the key, case, reset, odd input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_cdyne import FakeCdyneClient
from fake_cdyne import store as store_module
from fake_cdyne.clock import ManualClock
from fake_cdyne.config import Config
from fake_cdyne.dates import MIN_VALUE
from fake_cdyne.messaging.keywords import Keywords
from fake_cdyne.model import EMPTY_GUID, SMSError
from fake_cdyne.scenario_files import ScenarioError, read_scenario
from fake_cdyne.scenario_model import Fault, Match, Outcome, Rule, Scenario, Step
from fake_cdyne.service import Service

NOW = datetime(2026, 12, 1, 20, 30, 15, 120_000, tzinfo=UTC)  # 120 ms is a SQL Server datetime step


@pytest.fixture
def service() -> Service:
    return Service(Config(), clock=ManualClock(NOW))


@pytest.fixture
def ops(service: Service) -> Keywords:
    return Keywords(service)


@pytest.fixture
def key() -> uuid.UUID:
    return uuid.uuid4()


def request(key: uuid.UUID, *pairs: tuple[Any, Any]) -> dict[str, Any]:
    return {"LicenseKey": key, "SMSKeywords": [{"Keyword": k, "ShortCode": s} for k, s in pairs]}


def codes(answer: dict[str, Any] | None) -> list[str]:
    assert answer is not None
    assert answer["ReturnCode"] == "NoError"
    return [entry["ReturnCode"] for entry in answer["SMSKeyword"]]


def short_code(key: uuid.UUID) -> str:
    return store_module.test_short_code(key)


def test_a_new_key_owns_one_short_code_and_can_assign_a_keyword_on_it(ops: Keywords, key: uuid.UUID) -> None:
    code = short_code(key)
    assert len(code) == 6
    assert ops.assign_keyword(request(key, ("Pizza", code))).value == {
        "ReturnCode": "NoError",
        "SMSKeyword": [{"EntryDate": NOW, "Keyword": "Pizza", "ReturnCode": "KeywordAdded", "ShortCode": code}],
    }
    assert ops.get_keywords(key).value == {
        "ReturnCode": "NoError",
        "SMSKeyword": [{"EntryDate": NOW, "Keyword": "Pizza", "ReturnCode": "NoError", "ShortCode": code}],
    }


def test_a_key_without_keywords_lists_none(ops: Keywords, key: uuid.UUID) -> None:
    assert ops.get_keywords(key).value == {"ReturnCode": "NoError", "SMSKeyword": []}


def test_keywords_are_listed_in_the_order_assigned(service: Service, ops: Keywords, key: uuid.UUID) -> None:
    service.store.declare(key, short_codes=["55555", "666666"])
    ops.assign_keyword(request(key, ("B", "666666"), ("A", "55555")))
    assert isinstance(service.clock, ManualClock)
    service.clock.set(NOW + timedelta(seconds=1))
    ops.assign_keyword(request(key, ("C", "55555")))
    listed = (ops.get_keywords(key).value or {})["SMSKeyword"]
    assert [(e["Keyword"], e["ShortCode"], e["EntryDate"]) for e in listed] == [
        ("B", "666666", NOW),
        ("A", "55555", NOW),
        ("C", "55555", NOW + timedelta(seconds=1)),
    ]


@pytest.mark.parametrize("operation", ["get", "assign", "remove"])
def test_an_invalid_key_answers_license_key_invalid_with_no_list(operation: str) -> None:
    for service, key in ((Service(Config()), EMPTY_GUID), (Service(Config(accept_unknown_keys=False)), uuid.uuid4())):
        ops = Keywords(service)
        if operation == "get":
            answer = ops.get_keywords(key)
        elif operation == "assign":
            answer = ops.assign_keyword(request(key, ("PIZZA", "55555")))
        else:
            answer = ops.remove_keyword(request(key, ("PIZZA", "55555")))
        assert answer.value == {"ReturnCode": "LicenseKeyInvalid", "SMSKeyword": None}


@pytest.mark.parametrize("code", ["1234", "1234567", "", "12a45", "\uff15" * 5, " 55555", None, 55555])
def test_a_short_code_not_of_five_or_six_digits_is_invalid(ops: Keywords, key: uuid.UUID, code: Any) -> None:
    answer = ops.assign_keyword(request(key, ("PIZZA", code))).value
    assert codes(answer) == ["ShortCodeInvalid"]
    assert answer is not None
    entry = answer["SMSKeyword"][0]
    assert entry["EntryDate"] == MIN_VALUE
    assert entry["ShortCode"] == (code if isinstance(code, str) else None)


def test_a_short_code_of_another_key_is_not_assigned_to_this_one(
    service: Service, ops: Keywords, key: uuid.UUID
) -> None:
    service.store.declare(key, short_codes=["55555"])
    assert codes(ops.assign_keyword(request(key, ("PIZZA", "55556"))).value) == ["ShortCodeNotAssignedToKey"]


def test_a_key_declared_without_short_codes_can_assign_none(service: Service, ops: Keywords, key: uuid.UUID) -> None:
    service.store.declare(key, short_codes=[])
    assert codes(ops.assign_keyword(request(key, ("PIZZA", short_code(key)))).value) == ["ShortCodeNotAssignedToKey"]


@pytest.mark.parametrize(
    "keyword",
    [
        "",
        None,
        "TWO WORDS",
        "TAB\tBED",
        "X" * 21,
        "stop",
        "Help",
        "RESUME",
        "end",
        "Cancel",
        "UNSUBSCRIBE",
        "quit",
        7,
        "NUL\x00",
    ],
)
def test_an_invalid_or_system_keyword_is_refused(ops: Keywords, key: uuid.UUID, keyword: Any) -> None:
    assert codes(ops.assign_keyword(request(key, (keyword, short_code(key)))).value) == ["KeywordInvalid"]


def test_twenty_characters_is_long_enough(ops: Keywords, key: uuid.UUID) -> None:
    assert codes(ops.assign_keyword(request(key, ("X" * 20, short_code(key)))).value) == ["KeywordAdded"]


def test_a_keyword_held_on_the_short_code_by_any_key_is_in_use_whatever_its_case(
    service: Service, ops: Keywords, key: uuid.UUID
) -> None:
    other = uuid.uuid4()
    service.store.declare(key, short_codes=["55555", "77777"])
    service.store.declare(other, short_codes=["55555"])
    assert codes(ops.assign_keyword(request(other, ("Pizza", "55555"))).value) == ["KeywordAdded"]
    assert codes(ops.assign_keyword(request(key, ("PIZZA", "55555"), ("pizza", "77777"))).value) == [
        "KeywordAlreadyInUse",
        "KeywordAdded",
    ]
    assert codes(ops.assign_keyword(request(key, ("PiZzA", "77777"))).value) == ["KeywordAlreadyInUse"]  # its own
    assert codes(ops.assign_keyword(request(key, ("Pasta", "55555"), ("PASTA", "55555"))).value) == [
        "KeywordAdded",
        "KeywordAlreadyInUse",  # earlier in the same request
    ]


def test_checks_run_in_order_short_code_then_ownership_then_keyword_then_use(
    service: Service, ops: Keywords, key: uuid.UUID
) -> None:
    service.store.declare(key, short_codes=["55555"])
    ops.assign_keyword(request(key, ("TAKEN", "55555")))
    answer = ops.assign_keyword(request(key, ("STOP", "1"), ("STOP", "66666"), ("STOP", "55555"), ("taken", "55555")))
    assert codes(answer.value) == [
        "ShortCodeInvalid",
        "ShortCodeNotAssignedToKey",
        "KeywordInvalid",
        "KeywordAlreadyInUse",
    ]


def test_remove_answers_removed_or_not_found(service: Service, ops: Keywords, key: uuid.UUID) -> None:
    other = uuid.uuid4()
    service.store.declare(key, short_codes=["55555"])
    service.store.declare(other, short_codes=["55555"])
    ops.assign_keyword(request(key, ("Pizza", "55555")))
    ops.assign_keyword(request(other, ("Pasta", "55555")))
    answer = ops.remove_keyword(request(key, ("PIZZA", "55555"), ("pizza", "55555"), ("Pasta", "55555"), (None, 5)))
    assert answer.value == {
        "ReturnCode": "NoError",
        "SMSKeyword": [
            {"EntryDate": NOW, "Keyword": "PIZZA", "ReturnCode": "KeywordRemoved", "ShortCode": "55555"},
            {"EntryDate": MIN_VALUE, "Keyword": "pizza", "ReturnCode": "KeywordNotFound", "ShortCode": "55555"},
            {"EntryDate": MIN_VALUE, "Keyword": "Pasta", "ReturnCode": "KeywordNotFound", "ShortCode": "55555"},
            {"EntryDate": MIN_VALUE, "Keyword": None, "ReturnCode": "KeywordNotFound", "ShortCode": None},
        ],
    }
    assert codes(ops.get_keywords(key).value) == []
    assert codes(ops.assign_keyword(request(key, ("pizza", "55555"))).value) == ["KeywordAdded"]  # free again


@pytest.mark.parametrize("keywords", [None, []])
def test_no_keywords_in_a_request_answer_an_empty_list(ops: Keywords, key: uuid.UUID, keywords: Any) -> None:
    body = {"LicenseKey": key, "SMSKeywords": keywords}
    assert ops.assign_keyword(body).value == {"ReturnCode": "NoError", "SMSKeyword": []}
    assert ops.remove_keyword(body).value == {"ReturnCode": "NoError", "SMSKeyword": []}


def test_reset_forgets_one_keys_keywords_and_frees_them(service: Service, ops: Keywords, key: uuid.UUID) -> None:
    other = uuid.uuid4()
    service.store.declare(key, short_codes=["55555"])
    service.store.declare(other, short_codes=["55555"])
    ops.assign_keyword(request(key, ("PIZZA", "55555")))
    ops.assign_keyword(request(other, ("PASTA", "55555")))
    service.reset(key)
    assert codes(ops.get_keywords(key).value) == []
    assert codes(ops.get_keywords(other).value) == ["NoError"]
    assert codes(ops.assign_keyword(request(other, ("PIZZA", "55555"))).value) == ["KeywordAdded"]
    service.reset()
    assert codes(ops.get_keywords(other).value) == []


def test_a_scenario_internal_error_answers_internal_error_and_stores_nothing(
    service: Service, ops: Keywords, key: uuid.UUID
) -> None:
    rule = Rule(Match(frozenset({"assignkeyword"})), [Step(Outcome(error=SMSError.InternalError, delay=0.5), 1)], "t")
    service.install_scenario(key, Scenario("test", rules=[rule]))
    answer = ops.assign_keyword(request(key, ("PIZZA", short_code(key))))
    assert (answer.value, answer.delay) == ({"ReturnCode": "InternalError", "SMSKeyword": None}, 0.5)
    assert codes(ops.get_keywords(key).value) == []


def test_a_scenario_fault_is_played(service: Service, ops: Keywords, key: uuid.UUID) -> None:
    fault = Fault(status=500, body="boom")
    rule = Rule(Match(frozenset({"getkeywords"})), [Step(Outcome(fault=fault), None)], "t")
    service.install_scenario(key, Scenario("test", rules=[rule]))
    answer = ops.get_keywords(key)
    assert (answer.value, answer.fault) == (None, fault)


ODD = st.one_of(st.none(), st.text(max_size=25), st.integers(), st.sampled_from(["55555", "PIZZA", "STOP"]))
ITEM = st.one_of(st.fixed_dictionaries({"Keyword": ODD, "ShortCode": ODD}), st.none(), st.integers())


@settings(max_examples=150, deadline=None)
@given(license_key=st.one_of(st.none(), st.uuids(), st.text(max_size=5)), items=st.one_of(st.none(), st.lists(ITEM)))
def test_odd_input_never_raises(license_key: Any, items: Any) -> None:
    service = Service(Config())
    service.store.declare(uuid.UUID(int=1), short_codes=["55555"])
    ops = Keywords(service)
    for operation in (ops.assign_keyword, ops.remove_keyword):
        answer = operation({"LicenseKey": license_key, "SMSKeywords": items}).value
        assert answer is not None
        assert answer["ReturnCode"] in ("NoError", "LicenseKeyInvalid")
    ops.get_keywords(license_key)


# ---- short codes from scenario files and the control API ----------------------------------------


def test_a_scenario_gives_an_account_its_short_codes(service: Service, ops: Keywords, key: uuid.UUID) -> None:
    scenario = read_scenario(f"accounts:\n  - license_key: {key}\n    short_codes: ['55555', 666666]\n", "s.yaml")
    assert scenario.accounts[0].short_codes == ("55555", "666666")
    service.install_scenario(key, scenario)
    assert codes(ops.assign_keyword(request(key, ("A", "55555"), ("B", "666666"), ("C", short_code(key)))).value) == [
        "KeywordAdded",
        "KeywordAdded",
        "ShortCodeNotAssignedToKey",
    ]


def test_a_reset_declares_a_files_account_again_with_its_short_codes_and_no_keywords(
    tmp_path: Path, key: uuid.UUID
) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(f"accounts:\n  - license_key: {key}\n    short_codes: ['55555']\n")
    service = Service(Config(scenarios=(str(path),)))
    ops = Keywords(service)
    assert codes(ops.assign_keyword(request(key, ("A", "55555"))).value) == ["KeywordAdded"]
    service.reset(key)
    assert codes(ops.get_keywords(key).value) == []
    assert service.store.account(key).short_codes == ["55555"]  # type: ignore[union-attr]


def test_a_scenario_without_short_codes_keeps_the_default_and_an_empty_list_means_none(key: uuid.UUID) -> None:
    assert read_scenario(f"accounts:\n  - license_key: {key}\n", "s.yaml").accounts[0].short_codes is None
    service = Service(Config())
    service.install_scenario(key, read_scenario(f"accounts:\n  - license_key: {key}\n    short_codes: []\n", "s"))
    assert service.store.account(key).short_codes == []  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", ["'1234'", "'12a456'", "1234567", "{a: 1}"])
def test_a_short_code_a_scenario_file_cannot_have_is_a_problem_naming_it(key: uuid.UUID, bad: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        read_scenario(f"accounts:\n  - license_key: {key}\n    short_codes: [55555, {bad}]\n", "s.yaml")
    assert "accounts[0].short_codes[1]" in str(caught.value)


def test_the_control_api_sets_and_shows_short_codes(client: FakeCdyneClient) -> None:
    assert client.declare_account(short_codes=["55555", "123456"])["short_codes"] == ["55555", "123456"]
    assert client.declare_account(suspended=False)["short_codes"] == ["55555", "123456"]  # left as it is
    assert client.declare_account(short_codes=[])["short_codes"] == []


@pytest.mark.parametrize("bad", [["1234"], "55555", [55555], [None]])
def test_the_control_api_refuses_what_is_not_a_list_of_short_codes(client: FakeCdyneClient, bad: Any) -> None:
    reply = httpx.put(
        f"{client.url}/_fake/accounts/{client.license_key}", json={"short_codes": bad}, timeout=10, trust_env=False
    )
    assert reply.status_code == 400
    assert "short_codes must be a list of short codes" in reply.json()["error"]
