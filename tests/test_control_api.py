"""The control API's own contract: its OpenAPI document and its optional bearer token."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from fake_cdyne import Config, ControlAPIError, FakeCdyneClient, FakeServer, create_app
from fake_cdyne.control import TABLE

from .conftest import send


def _served(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every (method, path) the routes answer, mounts walked (the app's whole tree)."""
    for route in routes:
        if isinstance(route, Route):
            yield from ((method.lower(), prefix + route.path) for method in (route.methods or set()) - {"HEAD"})
        elif isinstance(route, Mount):
            yield from _served(route.routes, prefix + route.path)


def test_openapi_document_is_valid_and_names_every_route(http: httpx.Client, fake: FakeServer) -> None:
    """Every JSON route the app serves under /_fake, the inbox's data included (not its page, /_fake/ui)."""
    from openapi_spec_validator import validate  # here: half a second to import, in every worker's collection

    document = http.get("/_fake/openapi.json").json()
    validate(document)
    assert document["servers"] == [{"url": fake.url}]
    served = {(m, p) for m, p in _served(create_app().routes) if p.startswith("/_fake/") and "/_fake/ui" not in p}
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert {("get", "/_fake/inbox/conversations"), ("get", "/_fake/inbox/thread")} <= served
    assert ("post", "/_fake/inbox/seen") in served
    assert served == documented


def test_the_readme_names_every_control_route() -> None:
    """Its control API table has a row for each route of the table (paths' {names} written as K, ID)."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The control API", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = {found for row in rows for found in re.findall(r"`((?:GET|POST|PUT|DELETE) /_fake/[^`?]*)", row)}
    written = {"{license_key}": "K", "{message_id}": "ID", "{media_id}": "ID", "{name}": "NAME"}
    declared = {f"{r.method} /_fake" + re.sub(r"{\w+}", lambda m: written[m[0]], r.path) for r in TABLE}
    assert declared - named == set()


def test_each_input_is_documented_as_its_route_declares_it(http: httpx.Client, key: str) -> None:
    """The document comes from the table the handlers read: ranges, requirements and statuses agree."""
    paths = http.get("/_fake/openapi.json").json()["paths"]
    (count,) = [p for p in paths["/_fake/postbacks/wait"]["get"]["parameters"] if p["name"] == "count"]
    assert count["schema"] == {"type": "integer", "minimum": 0, "maximum": 1_000_000}
    refused = http.get("/_fake/postbacks/wait", params={"count": 1_000_001})
    assert refused.status_code == 400
    assert refused.json()["error"] == "count must be a whole number from 0 to 1,000,000, not '1000001'"
    incoming = paths["/_fake/incoming"]["post"]
    assert incoming["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "license_key",
        "message",
        "from",
    ]
    assert "201" in incoming["responses"]
    answered = http.post("/_fake/incoming", json={"license_key": key, "from": "7575449510", "message": "hi"})
    assert answered.status_code == 201
    assert paths["/_fake/reset"]["post"]["requestBody"]["required"] is False
    assert http.post("/_fake/reset", params={"license_key": key}).json() == {"reset": key}


def test_a_handler_reads_only_what_its_route_declares() -> None:
    health = next(route for route in TABLE if route.path == "/health")
    with pytest.raises(KeyError, match="declares no input 'license_key'"):
        health.input("license_key")


@pytest.fixture(scope="module")
def guarded() -> Iterator[FakeServer]:
    with FakeServer(Config(port=0, control_token="s3cret")) as server:
        yield server


def test_the_token_guards_the_control_api(guarded: FakeServer, key: str) -> None:
    with httpx.Client(base_url=guarded.url) as http:
        refused = http.get("/_fake/messages")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "FAKE_CDYNE_CONTROL_TOKEN" in refused.json()["error"]
        assert http.get("/_fake/messages", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert http.get("/_fake/messages", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert http.get("/_fake/health").status_code == 200  # health checks need no token
        assert "<SMSError>NoError</SMSError>" in send(http, key).text  # the service itself is open
        document = http.get("/_fake/openapi.json", headers={"Authorization": "Bearer s3cret"}).json()
        assert document["security"] == [{"bearer": []}]


def test_the_client_sends_the_token(guarded: FakeServer) -> None:
    with FakeCdyneClient(guarded.url, token="s3cret") as client:
        assert client.messages == []
    with FakeCdyneClient(guarded.url) as client, pytest.raises(ControlAPIError, match="401"):
        client.messages  # noqa: B018


def test_the_plugin_takes_the_token_from_the_environment(pytester: pytest.Pytester, guarded: FakeServer) -> None:
    pytester.makepyfile("def test_remote(fake_cdyne):\n    assert fake_cdyne.messages == []\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FAKE_CDYNE_URL", guarded.url)
        patch.setenv("FAKE_CDYNE_CONTROL_TOKEN", "s3cret")
        pytester.runpytest_subprocess().assert_outcomes(passed=1)
        patch.setenv("FAKE_CDYNE_CONTROL_TOKEN", "wrong")
        pytester.runpytest_subprocess().assert_outcomes(errors=1)


pytest_plugins = ["pytester"]


def test_the_inbox_data_most_recent_first_filtered_and_limited(manual_http: httpx.Client, key: str) -> None:
    http = manual_http  # times a second apart: stored times have SQL Server's 3 ms steps, and sends are faster
    for phone, text in (("7575449501", "hello A"), ("7575449502", "hello B"), ("7575449503", "hello C")):
        send(http, key, phone=phone, message=text)
        http.post("/_fake/clock/advance", json={"seconds": 1}).raise_for_status()
    http.post("/_fake/incoming", json={"license_key": key, "from": "7575449501", "message": "back"})
    newest = http.get("/_fake/inbox", params={"license_key": key, "limit": 2}).json()
    assert [c["phone"] for c in newest] == ["17575449501", "17575449503"]
    assert [(i["direction"], i["message"]) for i in newest[0]["items"]] == [("out", "hello A"), ("in", "back")]
    assert newest[0]["last"] == newest[0]["items"][-1]["at"]
    everything = http.get("/_fake/inbox", params={"license_key": key}).json()
    assert [c["phone"] for c in everything] == ["17575449501", "17575449503", "17575449502"]
    (found,) = http.get("/_fake/inbox", params={"license_key": key, "q": "HELLO b"}).json()
    assert found["phone"] == "17575449502"
    refused = http.get("/_fake/inbox", params={"license_key": key, "limit": "many"})
    assert (refused.status_code, refused.json()["error"]) == (
        400,
        "limit must be a whole number from 0 to 1,000,000, not 'many'",
    )


def test_a_long_conversation_shows_its_newest_texts(http: httpx.Client, key: str) -> None:
    body = {
        "LicenseKey": key,
        "SMSRequests": [{"Message": f"text {n}", "PhoneNumbers": ["7575449510"]} for n in range(53)],
    }
    http.post("/sms.svc/AdvancedSMSsend", json=body).raise_for_status()
    (conversation,) = http.get("/_fake/inbox", params={"license_key": key}).json()
    assert conversation["earlier"] == 3
    assert [item["message"] for item in conversation["items"]] == [f"text {n}" for n in range(3, 53)]
