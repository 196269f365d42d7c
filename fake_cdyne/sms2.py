"""sms2 (``/sms.svc``): CDYNE SMS Notify!'s seven operations, in the WSDL's order.

Adding an operation is one line here and its method on ``Operations``; REST, SOAP, the WSDL,
scenario names and the docs follow from this table.
"""

from __future__ import annotations

from .registry import (
    ADVANCED_REQUEST,
    BOOLEAN,
    GUID,
    INCOMING_MESSAGES,
    SMS_RESPONSE,
    SMS_RESPONSES,
    STRING,
    Operation,
    Param,
    Registry,
)

_PHONE, _MESSAGE, _KEY = Param("PhoneNumber", STRING), Param("Message", STRING), Param("LicenseKey", GUID)
_MESSAGE_ID = Param("MessageID", GUID)

SMS2 = Registry(
    service="sms",
    namespace="http://sms2.cdyne.com",
    operations=(
        Operation("SimpleSMSsend", "GET", (_PHONE, _MESSAGE, _KEY), SMS_RESPONSE, "simple_sms_send", sends=True),
        Operation(
            "SimpleSMSsendWithPostback",
            "GET",
            (_PHONE, _MESSAGE, _KEY, Param("StatusPostBackURL", STRING)),
            SMS_RESPONSE,
            "simple_sms_send_with_postback",
            sends=True,
        ),
        Operation(
            "AdvancedSMSsend",
            "POST",
            (Param("AdvancedRequest", ADVANCED_REQUEST),),
            SMS_RESPONSES,
            "advanced_sms_send",
            sends=True,
        ),
        Operation(
            "GetMessageStatus",
            "GET",
            (_MESSAGE_ID, Param("LicenseKey", GUID, hint=True)),
            SMS_RESPONSE,
            "get_message_status",
        ),
        Operation(
            "GetMessageStatusByReferenceID",
            "GET",
            (Param("ReferenceID", STRING), _KEY),
            SMS_RESPONSES,
            "get_message_status_by_reference_id",
        ),
        Operation("GetUnreadIncomingMessages", "GET", (_KEY,), INCOMING_MESSAGES, "get_unread_incoming_messages"),
        Operation("CancelMessage", "GET", (_MESSAGE_ID,), BOOLEAN, "cancel_message"),
    ),
)
