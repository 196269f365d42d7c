"""The operation tables (fake_cdyne/sms2.py, fake_cdyne/messaging/table.py) are the one list: every
surface agrees with them, and they agree with CDYNE's own schema of each service (the XSD the fake
serves, copied from the live service)."""

from __future__ import annotations

import inspect
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from fake_cdyne import Config, wsdl
from fake_cdyne.messaging.endpoint import document as messaging_document
from fake_cdyne.messaging.table import MESSAGING
from fake_cdyne.operations import Operations
from fake_cdyne.registry import Operation, Param, Registry
from fake_cdyne.scenario_files import SCHEMA_PATH
from fake_cdyne.scenario_model import OPERATIONS, SEND_OPERATIONS
from fake_cdyne.service import Service
from fake_cdyne.sms2 import SMS2

XS = "{http://www.w3.org/2001/XMLSchema}"
WSDL = "{http://schemas.xmlsoap.org/wsdl/}"


def _operation_enums(node: object, under_operation: bool = False) -> list[list[str]]:
    """Every enum of the scenario schema listed under an "operation" property."""
    if isinstance(node, list):
        return [e for item in node for e in _operation_enums(item, under_operation)]
    if not isinstance(node, dict):
        return []
    found = [node["enum"]] if under_operation and "enum" in node else []
    for name, value in node.items():
        found += _operation_enums(value, under_operation or name == "operation")
    return found


def test_the_scenario_schema_names_exactly_the_registry_operations() -> None:
    enums = _operation_enums(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert len(enums) == 2  # one name, or a list of names
    assert all(enum == ["send", *SMS2.names] for enum in enums)


def test_scenario_names_come_from_the_registry() -> None:
    assert list(OPERATIONS.values()) == list(SMS2.names)
    assert {"simplesmssend", "simplesmssendwithpostback", "advancedsmssend"} == SEND_OPERATIONS


@pytest.mark.parametrize("operation", SMS2.operations, ids=lambda op: op.name)
def test_each_operation_runs_on_a_method_taking_its_parameters_in_order(operation: Operation) -> None:
    method = getattr(Operations, operation.method)
    params = list(inspect.signature(method).parameters.values())[1:]
    assert len(params) == len(operation.params)
    assert all(p.default is inspect.Parameter.empty for p in params[: len(operation.signature)])


def _xsd0() -> ET.Element:
    return ET.fromstring(wsdl.schema("xsd0", "http://h/sms.svc"))


@pytest.mark.parametrize("operation", SMS2.operations, ids=lambda op: op.name)
def test_each_signature_is_the_wrapper_of_cdynes_schema(operation: Operation) -> None:
    elements = {e.get("name"): e for e in _xsd0().findall(f"{XS}element")}
    children = elements[operation.name].findall(f"{XS}complexType/{XS}sequence/{XS}element")
    assert [(c.get("name"), (c.get("type") or "").rpartition(":")[2]) for c in children] == [
        (p.name, p.type) for p in operation.signature
    ]
    (result,) = elements[f"{operation.name}Response"].findall(f"{XS}complexType/{XS}sequence/{XS}element")
    assert result.get("name") == f"{operation.name}Result"
    assert (result.get("type") or "").rpartition(":")[2] == operation.result


def test_the_schema_has_no_operation_the_registry_lacks() -> None:
    wrappers = {e.get("name") for e in _xsd0().findall(f"{XS}element") if e.find(f"{XS}complexType") is not None}
    assert wrappers == {*SMS2.names, *(f"{name}Response" for name in SMS2.names)}


def test_the_wsdl_declares_each_operation_with_its_action() -> None:
    root = ET.fromstring(wsdl.main_wsdl("http://h/sms.svc", "https://h/sms.svc"))
    port = root.find(f"{WSDL}portType")
    assert port is not None
    actions = [
        (op.get("name"), op.find(f"{WSDL}input").get("{http://www.w3.org/2006/05/addressing/wsdl}Action"))  # type: ignore[union-attr]
        for op in port.findall(f"{WSDL}operation")
    ]
    assert actions == [(op.name, f"http://sms2.cdyne.com/Isms/{op.name}") for op in SMS2]


def test_rest_refuses_an_unknown_operation_naming_the_registry(http: httpx.Client) -> None:
    reply = http.get("/sms.svc/Nope")
    assert reply.status_code == 404
    assert ", ".join(SMS2.names) in reply.text


def test_a_registry_refuses_two_operations_of_one_name() -> None:
    op = Operation("Ping", "GET", (Param("LicenseKey", "guid"),), "boolean", "ping")
    with pytest.raises(ValueError, match="two operations share a name"):
        Registry("x", "urn:x", (op, Operation("PING", "GET", (), "boolean", "ping")))
    registry = Registry("x", "urn:x", (op,))
    assert registry.named("ping") is op
    assert registry.exactly("ping") is None
    assert registry.by_action("urn:x/Isms/Ping") is op


def test_the_request_log_can_tell_which_operation_an_exchange_ran() -> None:
    assert SMS2.logged("/sms.svc/SecureREST/getunreadincomingmessages", "[]") is SMS2.named("GetUnreadIncomingMessages")
    soap = '<s:Envelope><s:Body><CancelMessageResponse xmlns="http://sms2.cdyne.com">'
    assert SMS2.logged("/sms.svc/Soap", soap) is SMS2.named("CancelMessage")
    assert SMS2.logged("/sms.svc/Nope", "<html>") is None


def test_the_readme_table_lists_the_registry_operations_with_their_verbs() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    served = readme.split("## What it serves", 1)[1].split("\n\n", 2)[1]
    rows = [line.split("|")[1:3] for line in served.splitlines()[2:]]
    assert [(name.strip(), rest.split(",")[0].split()[0]) for name, rest in rows] == [(op.name, op.verb) for op in SMS2]


# ---- the Messaging table (fake_cdyne/messaging/table.py) ----------------------------------------


def _messaging_xsd0() -> ET.Element:
    return ET.fromstring(messaging_document({"xsd": "xsd0"}, "http://h/Messaging.svc") or "")


@pytest.mark.parametrize("operation", MESSAGING.operations, ids=lambda op: op.name)
def test_each_messaging_signature_is_the_wrapper_of_cdynes_schema(operation: Operation) -> None:
    elements = {e.get("name"): e for e in _messaging_xsd0().findall(f"{XS}element")}
    children = elements[operation.name].findall(f"{XS}complexType/{XS}sequence/{XS}element")
    assert [(c.get("name"), (c.get("type") or "").rpartition(":")[2]) for c in children] == [
        (p.name, p.type) for p in operation.signature
    ]
    (result,) = elements[f"{operation.name}Response"].findall(f"{XS}complexType/{XS}sequence/{XS}element")
    assert result.get("name") == f"{operation.name}Result"
    assert (result.get("type") or "").rpartition(":")[2] == operation.result


def test_the_messaging_schema_has_no_operation_the_table_lacks() -> None:
    root = _messaging_xsd0()
    wrappers = {e.get("name") for e in root.findall(f"{XS}element") if e.find(f"{XS}complexType") is not None}
    assert wrappers == {*MESSAGING.names, *(f"{name}Response" for name in MESSAGING.names)}
    assert len(MESSAGING.operations) == 29


def test_the_messaging_wsdl_declares_each_operation_in_order_with_its_action() -> None:
    root = ET.fromstring(messaging_document({"wsdl": ""}, "http://h/Messaging.svc") or "")
    port = root.find(f"{WSDL}portType")
    assert port is not None
    assert port.get("name") == "IMessaging"
    actions = [
        (op.get("name"), op.find(f"{WSDL}input").get("{http://www.w3.org/2006/05/addressing/wsdl}Action"))  # type: ignore[union-attr]
        for op in port.findall(f"{WSDL}operation")
    ]
    assert actions == [(op.name, MESSAGING.action(op)) for op in MESSAGING]
    assert {op.contract for op in MESSAGING.operations[:20]} == {"Isms"}
    assert {op.contract for op in MESSAGING.operations[20:]} == {"IMessaging"}


def test_the_sms2_operations_are_sms2s_own_entries() -> None:
    for op in SMS2:
        assert MESSAGING.named(op.name) is op


@pytest.mark.parametrize("operation", MESSAGING.operations, ids=lambda op: op.name)
def test_each_messaging_operation_runs_on_a_method_taking_its_parameters(operation: Operation) -> None:
    owner: object = Operations
    name = operation.method
    if "." in name:
        part, _, name = name.partition(".")
        owner = type(getattr(Service(Config()).messaging, part))
    params = list(inspect.signature(getattr(owner, name)).parameters.values())[1:]
    assert len(params) >= len(operation.signature)
    assert all(p.default is inspect.Parameter.empty for p in params[: len(operation.signature)])


def test_web_post_twins_share_their_get_twins_path() -> None:
    twins = [op for op in MESSAGING if op.name.endswith("WebPost")]
    assert [op.name for op in twins] == [
        "GetMessageStatusWebPost",
        "GetUnreadIncomingMessagesWebPost",
        "CancelMessageWebPost",
        "GetKeywordsWebPost",
    ]
    for twin in twins:
        get = MESSAGING.named(twin.name.removesuffix("WebPost"))
        assert get is not None
        assert (twin.verb, get.verb, twin.signature, twin.method) == ("POST", "GET", get.signature, get.method)
        assert MESSAGING.at_path(get.name) == (twin, get) or MESSAGING.at_path(get.name) == (get, twin)


def test_the_readme_table_lists_the_messaging_operations_with_their_verbs() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The Messaging API", 1)[1].split("\n## ", 1)[0]
    table = next(block for block in section.split("\n\n") if block.lstrip().startswith("| #"))
    rows = [line.split("|")[2:4] for line in table.strip().splitlines()[2:]]
    assert [(name.strip().strip("`"), verb.split()[0].rstrip(",")) for name, verb in rows] == [
        (op.name, op.verb) for op in MESSAGING
    ]
