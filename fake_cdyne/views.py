"""The control API's JSON for the fake's records: messages, texts received, postbacks and accounts.
The control API and the inbox page both show records through these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import IncomingMessage, Message
from .postbacks import Postback
from .store import Account


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def incoming_json(incoming: IncomingMessage) -> dict[str, Any]:
    return {
        "incoming_message_id": str(incoming.id),
        "license_key": str(incoming.license_key),
        "from": incoming.from_number,
        "to": incoming.to_number,
        "message": incoming.text,
        "matched_message_id": str(incoming.matched_message_id),
        "received_at": iso(incoming.received_at),
        "read": incoming.read,
        "auto_reply": incoming.auto_reply,
        "subject": incoming.subject,
        "attachments": list(incoming.attachments),
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "message_id": str(message.id),
        "license_key": str(message.license_key),
        "to": message.to_number,
        "from": message.from_number,
        "message": message.text,
        "reference_id": message.reference_id,
        "status_postback_url": message.postback_url,
        "state": message.state.value,
        "segments": message.segments,
        "created_at": iso(message.created_at),
        "scheduled_for": iso(message.scheduled_for),
        "sent_at": iso(message.sent_at),
        "replies": [incoming_json(reply) for reply in message.replies],
        "receipts": [{"at": iso(r.at), "code": r.code, "description": r.description} for r in message.receipts],
        "refused_at": iso(message.refused_at),
    }


def postback_json(postback: Postback) -> dict[str, Any]:
    return {
        "id": postback.id,
        "kind": postback.kind,
        "license_key": str(postback.license_key),
        "message_id": str(postback.message_id),
        "url": postback.url,
        "body": postback.body,
        "state": postback.state.value,
        "created_at": iso(postback.created_at),
        "duplicate_of": postback.duplicate_of,
        "attempts": [
            {"number": a.number, "at": iso(a.at), "status": a.status, "error": a.error, "latency_ms": a.latency_ms}
            for a in postback.attempts
        ],
    }


def account_json(account: Account) -> dict[str, Any]:
    return {
        "license_key": str(account.license_key),
        "dids": account.dids,
        "postback_url": account.postback_url,
        "suspended": account.suspended,
        "blocked": sorted(account.blocked),
        "short_codes": account.short_codes,
        "messages": len(account.messages),
        "unread": len(account.unread),
    }
