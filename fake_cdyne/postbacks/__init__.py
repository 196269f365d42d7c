"""Postbacks: what the fake POSTs to a client's StatusPostBackURL, and the journal of every attempt.

Life events become postbacks (``postbacks_for``); the ``Dispatcher`` delivers them with a real async
HTTP client, one attempt by default as CDYNE does, retries with backoff when configured. Every delay
(retries, chaos) runs on the fake's clock, so a manual clock makes them instant and deterministic.
A postback ends delivered, failed or dropped, and stays in the journal either way: nothing is lost.

License keys share the ``postback_workers`` fairly: each key has its own queue, keys take turns, and
no key has more than ``postback_workers_per_key`` attempts in flight, so one tenant's receiver that
never answers cannot delay another's postbacks. Resetting a key cancels its queued, retrying and
in-flight postbacks. Stopping delivers what it can within ``postback_drain_seconds`` and then names
every postback still undelivered, once, in a ``StopReport``.
"""

from .dispatcher import INTERRUPTED, MAX_RESPONSE_BYTES, USER_AGENT, Dispatcher
from .journal import FINISHED, Attempt, Journal, Kind, Outgoing, Postback, State
from .outgoing import POSTED_EVENTS, Chaos, postbacks_for
from .report import NAMED_IN_LOG, StopReport

__all__ = [
    "FINISHED",
    "INTERRUPTED",
    "MAX_RESPONSE_BYTES",
    "NAMED_IN_LOG",
    "POSTED_EVENTS",
    "USER_AGENT",
    "Attempt",
    "Chaos",
    "Dispatcher",
    "Journal",
    "Kind",
    "Outgoing",
    "Postback",
    "State",
    "StopReport",
    "postbacks_for",
]
