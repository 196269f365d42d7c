"""Keywords and postback settings over real HTTP: REST JSON and XML, SOAP 1.1 and 1.2 on /Messaging.svc.

Expected JSON is CDYNE's own help-page example (contract §3.2) with its sample values replaced by the
test's; the fake's clock stands at the example's date, 1999-05-31T11:20:00 UTC (``\\/Date(928164000000-0400)\\/``
on a US Eastern server, contract §4.8). Expected XML follows the XSD's member order and the sms2 layout.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from fake_cdyne.app import create_app
from fake_cdyne.clock import ManualClock
from fake_cdyne.config import Config
from fake_cdyne.server import ThreadedServer

SMS2 = "http://sms2.cdyne.com"
XSI = 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
JSON = {"Accept": "application/json"}
EXAMPLE_DATE = datetime(1999, 5, 31, 11, 20, tzinfo=UTC)
# [wire: H:GetKeywords], [wire: H:AssignKeyword] (request), [wire: H:GetPostbackSettingsForLicenseKey]
HELP_KEYWORDS = (
    r'{"ReturnCode":0,"SMSKeyword":[{"EntryDate":"\/Date(928164000000-0400)\/","Keyword":"String content",'
    r'"ReturnCode":0,"ShortCode":"String content"}]}'
)
HELP_SETTINGS = (
    '[{"Country":"String content","PhoneNumber":"String content","PostbackEnabled":true,"PostbackType":0,'
    '"PostbackUrl":"String content","ReturnCode":0}]'
)
URL = "http://127.0.0.1:9/pb"
URL_IN_JSON = r"http:\/\/127.0.0.1:9\/pb"  # WCF's JSON writes "/" as "\/"


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with (
        ThreadedServer(create_app(Config(), clock=ManualClock(EXAMPLE_DATE))) as server,
        httpx.Client(base_url=f"{server.url}/Messaging.svc", timeout=10, trust_env=False) as client,
    ):
        yield client


@pytest.fixture
def key() -> str:
    return str(uuid.uuid4())


def short_code(key: str) -> str:
    from fake_cdyne import store

    return store.test_short_code(uuid.UUID(key))


def did(key: str) -> str:
    from fake_cdyne import store

    return store.test_did(uuid.UUID(key))


EXAMPLE_JSON_DATE = r"\/Date(928164000000-0400)\/"
MIN_JSON_DATE = r"\/Date(-62135578800000-0500)\/"  # DateTime.MinValue on a US Eastern server (contract §4.8)


def keywords_json(*entries: tuple[str, int, str] | tuple[str, int, str, str], top: int = 0) -> str:
    """The help page's SMSKeywordResponse, one KeywordResponseInfo per (keyword, code, short code[, date])."""
    head, _, rest = HELP_KEYWORDS.partition("[")
    item, _, tail = rest.rpartition("]")
    items = []
    for keyword, code, short, *date in entries:
        items.append(
            item.replace('"Keyword":"String content"', f'"Keyword":"{keyword}"')
            .replace('"ReturnCode":0', f'"ReturnCode":{code}')
            .replace('"ShortCode":"String content"', f'"ShortCode":"{short}"')
            .replace(EXAMPLE_JSON_DATE, date[0] if date else EXAMPLE_JSON_DATE)
        )
    return head.replace('"ReturnCode":0', f'"ReturnCode":{top}') + "[" + ",".join(items) + "]" + tail


def settings_json(*entries: tuple[str | None, str | None, bool, int, str | None, int]) -> str:
    """The help page's PostbackSettingsResponse array, one per (country, number, enabled, type, URL, code)."""
    item = HELP_SETTINGS[1:-1]

    def text(value: str | None) -> str:
        return "null" if value is None else f'"{value}"'

    items = [
        item.replace('"Country":"String content"', f'"Country":{text(country)}')
        .replace('"PhoneNumber":"String content"', f'"PhoneNumber":{text(number)}')
        .replace('"PostbackEnabled":true', f'"PostbackEnabled":{"true" if enabled else "false"}')
        .replace('"PostbackType":0', f'"PostbackType":{kind}')
        .replace('"PostbackUrl":"String content"', f'"PostbackUrl":{text(url)}')
        .replace('"ReturnCode":0', f'"ReturnCode":{code}')
        for country, number, enabled, kind, url, code in entries
    ]
    return "[" + ",".join(items) + "]"


def soap11(http: httpx.Client, operation: str, inner: str) -> httpx.Response:
    call = f'<{operation} xmlns="{SMS2}">{inner}</{operation}>'
    body = f'<s:Envelope xmlns:s="{SOAP11}"><s:Body>{call}</s:Body></s:Envelope>'
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"http://sms2.cdyne.com/Isms/{operation}"'}
    return http.post("/Soap", content=body, headers=headers)


def soap12(http: httpx.Client, operation: str, inner: str) -> httpx.Response:
    header = (
        f'<a:Action s:mustUnderstand="1">http://sms2.cdyne.com/Isms/{operation}</a:Action>'
        "<a:MessageID>urn:uuid:5e4b1c11-9d3f-4c9a-8d7e-123456789abc</a:MessageID>"
        f'<a:To s:mustUnderstand="1">http://127.0.0.1/Messaging.svc/WS</a:To>'
    )
    body = (
        f'<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}"><s:Header>{header}</s:Header>'
        f'<s:Body><{operation} xmlns="{SMS2}">{inner}</{operation}></s:Body></s:Envelope>'
    )
    return http.post("/WS", content=body, headers={"Content-Type": "application/soap+xml; charset=utf-8"})


Soap = Callable[[httpx.Client, str, str], httpx.Response]


def soap_result(reply: httpx.Response, operation: str) -> str:
    """What the reply's ``<OpResult>`` holds."""
    assert reply.status_code == 200, reply.text
    opening = f"<{operation}Result"
    start = reply.text.index(">", reply.text.index(opening)) + 1
    return reply.text[start : reply.text.index(f"</{operation}Result>")]


# ---- keywords -----------------------------------------------------------------------------------


def test_assign_and_get_keywords_in_json(http: httpx.Client, key: str) -> None:
    code = short_code(key)
    body = {
        "LicenseKey": key,
        "SMSKeywords": [{"Keyword": "Pizza", "ShortCode": code}, {"Keyword": "STOP", "ShortCode": code}],
    }
    reply = http.post("/AssignKeyword", json=body, headers=JSON)
    assert reply.status_code == 200
    assert reply.text == keywords_json(("Pizza", 1, code), ("STOP", 5, code, MIN_JSON_DATE))
    assert http.get("/GetKeywords", params={"LicenseKey": key}, headers=JSON).text == keywords_json(("Pizza", 0, code))
    # The POST form takes a bare GUID [doc: CD:methods/GetKeywords], also as GetKeywordsWebPost.
    assert http.post("/GetKeywords", json=key, headers=JSON).text == keywords_json(("Pizza", 0, code))
    assert http.post("/GetKeywordsWebPost", json=key, headers=JSON).text == keywords_json(("Pizza", 0, code))


def test_remove_keyword_in_json(http: httpx.Client, key: str) -> None:
    code = short_code(key)
    keyword = {"LicenseKey": key, "SMSKeywords": [{"Keyword": "Tacos", "ShortCode": code}]}
    http.post("/AssignKeyword", json=keyword, headers=JSON)
    assert http.post("/RemoveKeyword", json=keyword, headers=JSON).text == keywords_json(("Tacos", 7, code))
    assert http.post("/RemoveKeyword", json=keyword, headers=JSON).text == keywords_json(
        ("Tacos", 8, code, MIN_JSON_DATE)
    )
    assert http.get("/GetKeywords", params={"LicenseKey": key}, headers=JSON).text == '{"ReturnCode":0,"SMSKeyword":[]}'


def test_a_bad_key_gets_license_key_invalid_and_a_null_list(http: httpx.Client) -> None:
    zero = str(uuid.UUID(int=0))
    assert (
        http.get("/GetKeywords", params={"LicenseKey": zero}, headers=JSON).text == '{"ReturnCode":4,"SMSKeyword":null}'
    )
    reply = http.get("/GetKeywords", params={"LicenseKey": zero})
    assert reply.text == (
        f'<SMSKeywordResponse xmlns="{SMS2}" {XSI}><ReturnCode>LicenseKeyInvalid</ReturnCode>'
        '<SMSKeyword i:nil="true"/></SMSKeywordResponse>'
    )


def test_assign_keyword_in_xml(http: httpx.Client, key: str) -> None:
    code = short_code(key)
    body = (
        f'<SMSKeywordRequest xmlns="{SMS2}"><LicenseKey>{key}</LicenseKey><SMSKeywords>'
        f"<KeywordRequestInfo><Keyword>Sushi</Keyword><ShortCode>{code}</ShortCode></KeywordRequestInfo>"
        "<KeywordRequestInfo><Keyword>Sushi</Keyword><ShortCode>1234</ShortCode></KeywordRequestInfo>"
        "</SMSKeywords></SMSKeywordRequest>"
    )
    reply = http.post("/AssignKeyword", content=body, headers={"Content-Type": "text/xml"})
    assert reply.status_code == 200
    assert reply.text == (
        f'<SMSKeywordResponse xmlns="{SMS2}" {XSI}><ReturnCode>NoError</ReturnCode><SMSKeyword>'
        f"<KeywordResponseInfo><EntryDate>1999-05-31T11:20:00</EntryDate><Keyword>Sushi</Keyword>"
        f"<ReturnCode>KeywordAdded</ReturnCode><ShortCode>{code}</ShortCode></KeywordResponseInfo>"
        "<KeywordResponseInfo><EntryDate>0001-01-01T00:00:00</EntryDate><Keyword>Sushi</Keyword>"
        "<ReturnCode>ShortCodeInvalid</ReturnCode><ShortCode>1234</ShortCode></KeywordResponseInfo>"
        "</SMSKeyword></SMSKeywordResponse>"
    )


@pytest.mark.parametrize("soap", [soap11, soap12])
def test_keywords_over_soap(http: httpx.Client, key: str, soap: Soap) -> None:
    code = short_code(key)
    request = (
        f"<KeywordRequest><LicenseKey>{key}</LicenseKey><SMSKeywords><KeywordRequestInfo><Keyword>Bagel</Keyword>"
        f"<ShortCode>{code}</ShortCode></KeywordRequestInfo></SMSKeywords></KeywordRequest>"
    )
    entry = (
        "<KeywordResponseInfo><EntryDate>1999-05-31T11:20:00</EntryDate><Keyword>Bagel</Keyword>"
        f"<ReturnCode>{{}}</ReturnCode><ShortCode>{code}</ShortCode></KeywordResponseInfo>"
    )
    added = soap_result(soap(http, "AssignKeyword", request), "AssignKeyword")
    assert added == f"<ReturnCode>NoError</ReturnCode><SMSKeyword>{entry.format('KeywordAdded')}</SMSKeyword>"
    listed = soap_result(soap(http, "GetKeywords", f"<LicenseKey>{key}</LicenseKey>"), "GetKeywords")
    assert listed == f"<ReturnCode>NoError</ReturnCode><SMSKeyword>{entry.format('NoError')}</SMSKeyword>"
    in_use = soap_result(soap(http, "AssignKeyword", request.replace("Bagel", "BAGEL")), "AssignKeyword")
    assert "<ReturnCode>KeywordAlreadyInUse</ReturnCode>" in in_use


# ---- postback settings --------------------------------------------------------------------------


def test_set_and_get_key_settings_in_json_as_clients_send_them(http: httpx.Client, key: str) -> None:
    # C3 sends PostBackType=All (the docs' spelling of the parameter); the docs also show numbers.
    set_all = {"LicenseKey": key, "PostBackType": "All", "Url": URL}
    assert http.get("/SetPostbackUrlForLicenseKey", params=set_all, headers=JSON).text == "0"
    set_receipts = {"LicenseKey": key, "PostbackType": "1", "Url": URL}
    assert http.get("/SetPostbackUrlForLicenseKey", params=set_receipts, headers=JSON).text == "0"
    disable = {"LicenseKey": key, "PostbackType": "DeliveryReceipt", "Enabled": "false"}
    assert http.get("/SetPostbackEnabledForLicenseKey", params=disable, headers=JSON).text == "0"
    reply = http.get("/GetPostbackSettingsForLicenseKey", params={"LicenseKey": key}, headers=JSON)
    assert reply.text == settings_json((None, None, True, 0, URL_IN_JSON, 0), (None, None, False, 1, URL_IN_JSON, 0))


def test_return_codes_in_json(http: httpx.Client, key: str) -> None:
    def code(operation: str, **params: str) -> str:
        return http.get(f"/{operation}", params={"LicenseKey": key} | params, headers=JSON).text

    assert code("SetPostbackUrlForLicenseKey", LicenseKey=str(uuid.UUID(int=0)), PostbackType="All", Url=URL) == "1"
    assert code("SetPostbackUrlForLicenseKey", PostbackType="All", Url="/relative") == "2"
    assert code(
        "SetPostbackUrlForPhoneNumber", PhoneNumber="17575550000", Country="US", PostbackType="All", Url=URL
    ) == ("3")
    assert code("SetPostbackUrlForLicenseKey", PostbackType="7", Url=URL) == "4"
    assert code("SetPostbackEnabledForLicenseKey", PostbackType="IncomingMessage", Enabled="true") == "5"
    assert code("SetPostbackUrlForPhoneNumber", PhoneNumber=did(key), Country="CA", PostbackType="All", Url=URL) == "6"
    invalid_key = {"LicenseKey": str(uuid.UUID(int=0))}
    assert http.get("/GetPostbackSettingsForLicenseKey", params=invalid_key, headers=JSON).text == settings_json(
        (None, None, False, 0, None, 1)
    )


def test_number_settings_in_xml(http: httpx.Client, key: str) -> None:
    number = did(key)
    params = {"LicenseKey": key, "PhoneNumber": number[1:], "Country": "US", "PostBackType": "3", "Url": URL}
    reply = http.get("/SetPostbackUrlForPhoneNumber", params=params)
    assert reply.text == f'<SMSPostbackReturnCode xmlns="{SMS2}">NoError</SMSPostbackReturnCode>'
    query = {"LicenseKey": key, "PhoneNumber": number, "Country": "US"}
    assert http.get("/GetPostbackSettingsForPhoneNumber", params=query).text == (
        f'<ArrayOfPostbackSettingsResponse xmlns="{SMS2}" {XSI}><PostbackSettingsResponse>'
        f"<Country>US</Country><PhoneNumber>{number}</PhoneNumber><PostbackEnabled>true</PostbackEnabled>"
        f"<PostbackType>OutgoingMessage</PostbackType><PostbackUrl>{URL}</PostbackUrl><ReturnCode>NoError</ReturnCode>"
        "</PostbackSettingsResponse></ArrayOfPostbackSettingsResponse>"
    )
    toggle = query | {"PostbackType": "OutgoingMessage", "Enabled": "false"}
    assert http.get("/SetPostbackEnabledForPhoneNumber", params=toggle).text == (
        f'<SMSPostbackReturnCode xmlns="{SMS2}">NoError</SMSPostbackReturnCode>'
    )
    assert http.get("/GetPostbackSettingsForPhoneNumber", params=query, headers=JSON).text == settings_json(
        ("US", number, False, 3, URL_IN_JSON, 0)
    )
    unknown = query | {"PhoneNumber": "17575550000"}
    assert http.get("/GetPostbackSettingsForPhoneNumber", params=unknown).text == (
        f'<ArrayOfPostbackSettingsResponse xmlns="{SMS2}" {XSI}><PostbackSettingsResponse>'
        '<Country i:nil="true"/><PhoneNumber i:nil="true"/><PostbackEnabled>false</PostbackEnabled>'
        '<PostbackType>All</PostbackType><PostbackUrl i:nil="true"/><ReturnCode>InvalidPhoneNumber</ReturnCode>'
        "</PostbackSettingsResponse></ArrayOfPostbackSettingsResponse>"
    )


@pytest.mark.parametrize("soap", [soap11, soap12])
def test_postback_settings_over_soap(http: httpx.Client, key: str, soap: Soap) -> None:
    inner = f"<LicenseKey>{key}</LicenseKey><PostbackType>IncomingMessage</PostbackType><Url>{URL}</Url>"
    assert soap_result(soap(http, "SetPostbackUrlForLicenseKey", inner), "SetPostbackUrlForLicenseKey") == "NoError"
    enabled = f"<LicenseKey>{key}</LicenseKey><PostbackType>All</PostbackType><Enabled>true</Enabled>"
    assert soap_result(soap(http, "SetPostbackEnabledForLicenseKey", enabled), "SetPostbackEnabledForLicenseKey") == (
        "NotFound"
    )
    listed = soap_result(
        soap(http, "GetPostbackSettingsForLicenseKey", f"<LicenseKey>{key}</LicenseKey>"),
        "GetPostbackSettingsForLicenseKey",
    )
    assert listed == (
        '<PostbackSettingsResponse><Country i:nil="true"/><PhoneNumber i:nil="true"/>'
        "<PostbackEnabled>true</PostbackEnabled><PostbackType>IncomingMessage</PostbackType>"
        f"<PostbackUrl>{URL}</PostbackUrl><ReturnCode>NoError</ReturnCode></PostbackSettingsResponse>"
    )
