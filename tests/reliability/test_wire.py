"""Text a client can send but not spell in UTF-8: the fake stores, shows and posts it like any other."""

from __future__ import annotations

import httpx


def test_a_lone_surrogate_in_a_json_send_is_stored_as_a_replacement_character(http: httpx.Client, key: str) -> None:
    request = '"SMSRequests": [{"PhoneNumbers": ["7575449510"], "Message": "a\\ud800b \\ud83d\\ude00"}]'
    body = f'{{"LicenseKey": "{key}", {request}}}'
    before = len(http.get("/_fake/errors").json())
    sent = http.post("/sms.svc/AdvancedSMSsend", content=body, headers={"content-type": "application/json"})
    assert sent.status_code == 200, sent.text
    assert "<SMSError>NoError</SMSError>" in sent.text, sent.text
    (message,) = http.get("/_fake/messages", params={"license_key": key}).json()
    assert message["message"] == "a\ufffdb \U0001f600"  # the pair stays one character
    for path in ("/_fake/inbox/conversations", "/_fake/inbox", "/_fake/messages", "/_fake/requests"):
        assert http.get(path).status_code == 200, path
    status = http.get("/sms.svc/GetMessageStatus", params={"MessageID": message["message_id"]})
    assert status.status_code == 200
    assert http.get("/_fake/errors").json()[before:] == []


def test_the_same_send_as_xml_cannot_carry_a_lone_surrogate(http: httpx.Client, key: str) -> None:
    body = (
        f'<SMSAdvancedRequest xmlns="http://sms2.cdyne.com"><LicenseKey>{key}</LicenseKey><SMSRequests>'
        "<SMSRequest><Message>a&#xD800;b</Message><PhoneNumbers><string>7575449510</string></PhoneNumbers>"
        "</SMSRequest></SMSRequests></SMSAdvancedRequest>"
    )
    refused = http.post("/sms.svc/AdvancedSMSsend", content=body, headers={"content-type": "text/xml"})
    assert refused.status_code == 400
    assert "not well-formed" in refused.text
