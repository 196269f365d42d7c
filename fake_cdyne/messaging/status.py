"""MessageStatus, and how a stored message reads in it; the legacy SMSError of each status and back.

One store holds the messages of both APIs (contract §4.3): a message's status is read from its state
(scheduled, queued, sent, cancelled), its delivery receipts and a status a scenario gave it, so a
SendMessage message answers sms2's GetMessageStatus and an sms2 message answers ReadMessageStatus.
"""

from __future__ import annotations

import enum

from ..model import Message, MessageState, SMSError


class MessageStatus(enum.IntEnum):
    """The Messaging API's MessageStatus: written by name in XML, by number in JSON (M1.xsd:732-841)."""

    Hold = 0
    Sent = 200
    Ready = 201
    Processing = 202
    InvalidDid = 400
    InvalidLicenseKey = 401
    AccountSuspended = 402
    StopOnPhoneNumber = 403
    MissingDidOrInvalidMessageId = 404
    InvalidDateTime = 405
    InvalidDestination = 406
    NoMessage = 411
    MessageExceedsLimit = 413
    Failed = 506
    Cancelled = 507
    FailedByProvider = 508

    @property
    def refuses(self) -> bool:
        """A 4xx status: the recipient's message was not accepted (nothing is stored)."""
        return 400 <= self < 500


# DeliveryReceiptCode (D:t/DeliveryReceiptCode): a code's name is an MMS receipt's DeliveryReceiptMessage.
RECEIPT_NAMES = {
    "000": "DeliveredToDevice",
    "003": "DeliveredToCarrier",
    "004": "Accepted",
    "005": "UndelivOrDeleted",
    "008": "Expired",
    "023": "Rejected",
    "028": "SenderExceededCarrierThrottle",
    "029": "RecipientExceededCarrierThrottle",
    "030": "SenderAndRecipentExceededCarrierThrottle",
    "032": "InvalidMessageFormatOrTextMsgContentSizeExceeded",
    "090": "BadAddress",
    "091": "InvalidRouting",
    "999": "CarrierErrorUnknown",
}
# Receipts that say the message did not reach the phone: the message is then FailedByProvider.
DELIVERED_CODES = frozenset({"000", "003", "004"})

_OF_STATE = {
    MessageState.SCHEDULED: MessageStatus.Ready,
    MessageState.QUEUED: MessageStatus.Processing,
    MessageState.SENT: MessageStatus.Sent,
    MessageState.CANCELLED: MessageStatus.Cancelled,
}

# The legacy view (contract §4.3): the SMSError each refusing status reads as in sms2, and back.
ERROR_OF_STATUS = {
    MessageStatus.InvalidDid: SMSError.InvalidAssignedDID,
    MessageStatus.InvalidLicenseKey: SMSError.LicenseKeyInvalid,
    MessageStatus.AccountSuspended: SMSError.ContactCdyneAccountSuspended,
    MessageStatus.StopOnPhoneNumber: SMSError.STOPfromPhoneNumber,
    MessageStatus.MissingDidOrInvalidMessageId: SMSError.AssignedDIDRequired,
    MessageStatus.InvalidDateTime: SMSError.ScheduledDateTimeIsNotUTC,
    MessageStatus.InvalidDestination: SMSError.PhoneNumberInvalid,
    MessageStatus.NoMessage: SMSError.MessageInvalid,
    MessageStatus.MessageExceedsLimit: SMSError.MessageInvalid,
}
STATUS_OF_ERROR = {error: status for status, error in ERROR_OF_STATUS.items() if status != 413} | {
    SMSError.NoError: MessageStatus.Ready,
    SMSError.NotFound: MessageStatus.MissingDidOrInvalidMessageId,
    SMSError.InternalError: MessageStatus.Failed,
}


def status_of(message: Message) -> MessageStatus:
    """The message's MessageStatus now: a scenario's, else from its state and last delivery receipt."""
    if message.status is not None:
        return MessageStatus[message.status]
    status = _OF_STATE[message.state]
    if status is MessageStatus.Sent and message.receipts and message.receipts[-1].code not in DELIVERED_CODES:
        return MessageStatus.FailedByProvider
    return status
