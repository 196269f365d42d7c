"""``/Messaging.svc``: the 29 operations of port type ``IMessaging``, in the WSDL's order.

Types are the XSD's names (``contract.py`` reads them). The seven sms2 operations are sms2's own
entries (``sms2.py``: the same ``Operations`` methods and renderers), so an sms2 client only changes its
URL; their WebPost twins run the same methods with the GUID as a POST body on the GET twin's path.
The Messaging operations name a dotted method of ``MessagingOperations`` (``"sending.send_message"``).
Operations 1-20 keep sms2's SOAP contract ``Isms``; 21-29 are ``IMessaging``'s.
"""

from __future__ import annotations

from ..registry import BOOLEAN, GUID, INCOMING_MESSAGES, SMS_RESPONSE, STRING, Operation, Param, Registry
from ..sms2 import SMS2

_KEY, _MESSAGE_ID = Param("LicenseKey", GUID), Param("MessageID", GUID)
_PHONE, _COUNTRY = Param("PhoneNumber", STRING), Param("Country", STRING)
_TYPE, _ENABLED, _URL = Param("PostbackType", "SMSPostbackType"), Param("Enabled", BOOLEAN), Param("Url", STRING)
_MEDIA_ID = Param("MediaId", "long")
_KEYWORDS, _SETTINGS, _CODE = "SMSKeywordResponse", "ArrayOfPostbackSettingsResponse", "SMSPostbackReturnCode"
_KEYWORD_REQUEST, _METADATA = Param("KeywordRequest", "SMSKeywordRequest"), "MediaMetadata"
_URL_REQUEST = Param("request", "CreateMediaUrlRequest")


def _legacy(name: str) -> Operation:
    operation = SMS2.named(name)
    assert operation is not None, name
    return operation


def _web_post(twin: str, param: Param, result: str, method: str) -> Operation:
    """The POST form of a GET operation: the same path, its one GUID as the body."""
    return Operation(f"{twin}WebPost", "POST", (param,), result, method, path=twin)


def _settings(name: str, params: tuple[Param, ...], result: str = _CODE) -> Operation:
    method = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return Operation(name, "GET", (_KEY, *params), result, f"postback_settings.{method}")


def _media(name: str, verb: str, params: tuple[Param, ...], result: str, method: str) -> Operation:
    return Operation(name, verb, params, result, f"media.{method}", contract="IMessaging")


MESSAGING = Registry(
    service="Messaging",
    namespace="http://sms2.cdyne.com",
    operations=(
        _legacy("SimpleSMSsend"),
        _legacy("SimpleSMSsendWithPostback"),
        _legacy("AdvancedSMSsend"),
        _web_post("GetMessageStatus", _MESSAGE_ID, SMS_RESPONSE, "get_message_status"),
        _legacy("GetMessageStatus"),
        _legacy("GetMessageStatusByReferenceID"),
        _web_post("GetUnreadIncomingMessages", _KEY, INCOMING_MESSAGES, "get_unread_incoming_messages"),
        _legacy("GetUnreadIncomingMessages"),
        _web_post("CancelMessage", _MESSAGE_ID, BOOLEAN, "cancel_message"),
        _legacy("CancelMessage"),
        _web_post("GetKeywords", _KEY, _KEYWORDS, "keywords.get_keywords"),
        Operation("GetKeywords", "GET", (_KEY,), _KEYWORDS, "keywords.get_keywords"),
        Operation("AssignKeyword", "POST", (_KEYWORD_REQUEST,), _KEYWORDS, "keywords.assign_keyword"),
        Operation("RemoveKeyword", "POST", (_KEYWORD_REQUEST,), _KEYWORDS, "keywords.remove_keyword"),
        _settings("GetPostbackSettingsForPhoneNumber", (_PHONE, _COUNTRY), _SETTINGS),
        _settings("GetPostbackSettingsForLicenseKey", (), _SETTINGS),
        _settings("SetPostbackEnabledForPhoneNumber", (_PHONE, _COUNTRY, _TYPE, _ENABLED)),
        _settings("SetPostbackUrlForPhoneNumber", (_PHONE, _COUNTRY, _TYPE, _URL)),
        _settings("SetPostbackEnabledForLicenseKey", (_TYPE, _ENABLED)),
        _settings("SetPostbackUrlForLicenseKey", (_TYPE, _URL)),
        _media(
            "CreateMediaFromContent",
            "POST",
            (Param("request", "CreateMediaContentRequest"),),
            _METADATA,
            "create_media_from_content",
        ),
        _media("CreateMediaFromUrl", "POST", (_URL_REQUEST,), _METADATA, "create_media_from_url"),
        _media("GetMedia", "GET", (_KEY, _MEDIA_ID), STRING, "get_media"),
        _media("GetMediaInfo", "POST", (Param("criteria", "MediaCriteria"),), "MediaReply", "get_media_info"),
        _media("RemoveMedia", "GET", (_KEY, _MEDIA_ID), BOOLEAN, "remove_media"),
        Operation(
            "GetUnsubscribedNumbers",
            "GET",
            (_KEY,),
            "ArrayOfUnsubscribedNumber",
            "incoming.get_unsubscribed_numbers",
            contract="IMessaging",
        ),
        Operation(
            "ReadIncomingMessages",
            "POST",
            (Param("Criteria", "IncomingMessageCriteria"),),
            "ArrayOfIncomingMessageResponse",
            "incoming.read_incoming_messages",
            contract="IMessaging",
        ),
        Operation(
            "ReadMessageStatus",
            "GET",
            (_KEY, Param("MessageId", GUID)),
            "OutgoingMessageResponse",
            "sending.read_message_status",
            contract="IMessaging",
        ),
        Operation(
            "SendMessage",
            "POST",
            (Param("Request", "OutgoingMessageRequest"),),
            "ArrayOfOutgoingMessageResponse",
            "sending.send_message",
            sends=True,
            contract="IMessaging",
        ),
    ),
)
