"""fake-cdyne's own exceptions: every error it raises on purpose is a ``FakeCdyneError``.

The tree (where each lives, when it is not here)::

    FakeCdyneError
    ├── ConfigError             the settings or a scenario file are invalid: reported before the server starts
    │   └── ScenarioError       (scenario_yaml) every problem of a scenario, each naming file, line and key
    ├── RequestError            a client's request refused before any CDYNE logic: status + a sentence
    │   ├── BadParameter, BadBody, PayloadTooLarge, UriTooLong, UnsupportedMediaType
    │   ├── ControlError        (inputs) a control API request refused: {"error": ...} with its 4xx
    │   └── StateError          (persist.records) a state document that cannot be read: its path and key
    ├── SoapFault               (soap) a fault answered as WCF does: code, subcode, reason
    ├── FaultRequested          (scenarios) a scenario asks for an HTTP fault instead of CDYNE's answer
    ├── ClockIsNotManual        (clock) the clock was moved on a fake with the system clock (a 409)
    ├── TooManySnapshots        (persist.snapshots) one more would pass MAX_SNAPSHOTS (a 409)
    ├── ClockOutOfRange         (clock) the manual clock would pass its last day (a 400)
    ├── PostFailed              (form_post) a postback attempt failed; its text is what the journal records
    ├── ServerFailed            (server) the server did not start or stop within its deadline
    ├── ControlAPIError         (client) the fake refused a control request; also an AssertionError
    └── ContainerNotReady       (testcontainers) the container stopped or never got healthy; a RuntimeError

The HTTP layer turns ``RequestError``, ``ControlError`` and ``SoapFault`` into short, specific answers
(never a traceback). Any other exception reaching it is a bug in the fake: a 500 that ``/_fake/errors``
lists. Private exceptions (``_Stale``, ``_NoDoctype``, ``_Limit``) are signals inside one module that
never leave it.
"""

from __future__ import annotations


class FakeCdyneError(Exception):
    """Base of every error fake-cdyne raises on purpose."""


class ConfigError(FakeCdyneError):
    """The fake's configuration (options, environment, scenario files) is invalid."""


class RequestError(FakeCdyneError):
    """A client request the service would refuse before any CDYNE logic runs."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadParameter(RequestError):
    """A query parameter or body member has a value of the wrong type (for example not a GUID)."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        shown = value if len(str(value)) <= 80 else f"{str(value)[:80]}..."
        super().__init__(f"The value {shown!r} of '{name}' is not {expected}.")
        self.name = name


class BadBody(RequestError):
    """The request body cannot be read as the operation's input."""


class PayloadTooLarge(RequestError):
    status = 413
    title = "Request Entity Too Large"


class UriTooLong(RequestError):
    status = 414
    title = "Request-URI Too Long"


class UnsupportedMediaType(RequestError):
    status = 415
    title = "Unsupported Media Type"
