"""The control API's state handlers: export and import of the whole state, and named snapshots of it."""

from __future__ import annotations

import json

from starlette.responses import Response

from ..inputs import ControlError
from ..persist import state
from ..persist.records import StateError
from ..persist.snapshots import TooManySnapshots
from ..routing import Call


async def state_get(call: Call) -> Response:
    return call.answer(state.capture(call.service))


async def state_put(call: Call) -> Response:
    """Replace the state with the document: checked whole first, so a bad one changes nothing."""
    document = {name: call[name] for name in state.TOP if name in call}
    try:
        loaded = state.read(document)
    except StateError as error:
        raise ControlError(f"the state is not valid: {error}") from None
    state.apply(call.service, loaded)
    return call.answer({"imported": loaded.counts()})


async def snapshots_list(call: Call) -> Response:
    return call.answer([snapshot.summary() for snapshot in call.service.snapshots.all()])


async def snapshot_take(call: Call) -> Response:
    try:
        snapshot = call.service.snapshots.take(call["name"], state.capture(call.service))
    except TooManySnapshots as error:
        raise ControlError(str(error), 409) from None
    return call.answer(snapshot.summary())


async def snapshot_restore(call: Call) -> Response:
    name = call["name"]
    snapshot = call.service.snapshots.get(name)
    if snapshot is None:
        raise ControlError(f"no snapshot {name!r}", 404)
    try:
        loaded = state.read(json.loads(snapshot.text))
    except (StateError, ValueError) as error:  # one kept by another version of fake-cdyne, say
        raise ControlError(f"snapshot {name!r} cannot be restored: {error}", 409) from None
    state.apply(call.service, loaded)
    return call.answer(snapshot.summary() | {"restored": True})


async def snapshot_delete(call: Call) -> Response:
    name = call["name"]
    if not call.service.snapshots.delete(name):
        raise ControlError(f"no snapshot {name!r}", 404)
    return call.answer({"deleted": name})
