"""Records as JSON, field by field: any dataclass, with the fields it has today or gains tomorrow."""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import pytest

from fake_cdyne.persist import state
from fake_cdyne.persist.records import Codec, StateError


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Inner:
    at: datetime
    count: int = 0


@dataclass
class Made:
    """A record no code of the store names: each kind of value the codecs know."""

    id: uuid.UUID
    colour: Colour
    inner: Inner
    inners: tuple[Inner, ...] = ()
    pair: tuple[str, int] = ("a", 1)
    tags: set[str] = field(default_factory=set)
    by_key: dict[uuid.UUID, float] = field(default_factory=dict)
    kind: Literal["sent", "reply"] = "sent"
    maybe: str | None = None
    anything: dict[str, object] | None = None
    _index: list[int] = field(default_factory=list)  # an index: not written


def test_any_dataclass_round_trips_through_json() -> None:
    codec = Codec()
    now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    made = Made(
        uuid.uuid4(),
        Colour.BLUE,
        Inner(now, 3),
        (Inner(now),),
        ("b", 2),
        {"y", "x"},
        {uuid.UUID(int=1): 1.5},
        "reply",
        "here",
        {"a": [1, {"b": None}]},
        [1, 2],
    )
    written = json.loads(json.dumps(codec.encode(made)))
    assert written["tags"] == ["x", "y"]
    assert "_index" not in written
    assert "index" not in written
    assert codec.decode(Made, written, "made") == dataclasses.replace(made, _index=[])


def test_a_missing_field_takes_its_default_and_an_unknown_one_is_named() -> None:
    codec = Codec()
    written = {"id": str(uuid.UUID(int=5)), "colour": "red", "inner": {"at": "2026-12-01T00:00:00+00:00"}}
    assert codec.decode(Made, written, "made").pair == ("a", 1)
    with pytest.raises(StateError, match=r"^made\.shade: Made has no such field"):
        codec.decode(Made, written | {"shade": 1}, "made")
    with pytest.raises(StateError, match=r"^made\.inner\.count: must be a whole number, not 'x'"):
        codec.decode(Made, written | {"inner": {"at": "2026-12-01T00:00:00+00:00", "count": "x"}}, "made")
    with pytest.raises(StateError, match=r"^made\.pair: must have 2 items, not 3"):
        codec.decode(Made, written | {"pair": ["a", 1, 2]}, "made")
    with pytest.raises(StateError, match=r"^made\.kind: 'gone' is not one of 'sent', 'reply'"):
        codec.decode(Made, written | {"kind": "gone"}, "made")


@pytest.mark.parametrize("kind", state.KINDS, ids=lambda kind: kind.name)
def test_every_field_of_every_kind_has_a_codec(kind: state.Kind) -> None:
    """Each field of each kept record (whoever added it) is read back by its annotation: a type with no
    codec fails here, naming it."""
    codec = state.codec()
    hints = codec.hints(kind.cls)
    for each in dataclasses.fields(kind.cls):
        if not each.name.startswith("_") or each.name in kind.private:
            assert _readable(codec, hints[each.name]), f"{kind.name}.{each.name}: no codec for {hints[each.name]}"


def _readable(codec: Codec, hint: object) -> bool:
    """Whether ``Codec.read`` has a branch for the type and all it holds."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) is Literal or hint in (typing.Any, object, type(None), bool, int, float, str):
        return True
    if hint in (uuid.UUID, datetime, bytes) or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
        return True
    if isinstance(hint, type) and hint in codec.references:
        return True
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        nested = codec.hints(hint)
        return all(_readable(codec, nested[f.name]) for f in dataclasses.fields(hint) if not f.name.startswith("_"))
    if typing.get_origin(hint) in (list, tuple, set, frozenset, dict, typing.Union, types.UnionType):
        return all(arg is Ellipsis or _readable(codec, arg) for arg in args)
    return False


def test_a_record_of_no_kind_is_named_once_and_the_others_are_still_written(tmp_path: object) -> None:
    from pathlib import Path

    import httpx

    from fake_cdyne import Config, FakeServer

    assert isinstance(tmp_path, Path)
    with FakeServer(Config(port=0, store=str(tmp_path / "state.db"))) as fake, httpx.Client(base_url=fake.url) as http:
        service = fake.starlette.state.service
        service.store.changed(Inner(datetime.now(UTC)))
        service.store.changed(Inner(datetime.now(UTC)))
        key = str(uuid.uuid4())
        http.put(f"/_fake/accounts/{key}", json={"suspended": True}).raise_for_status()
    (error,) = service.errors
    assert (
        error.where
        == f"store {tmp_path / 'state.db'}: cannot write a Inner (no kind in persist/state.py KINDS, or no codec)"
    )
    with FakeServer(Config(port=0, store=str(tmp_path / "state.db"))) as fake, httpx.Client(base_url=fake.url) as http:
        assert http.get(f"/_fake/accounts/{key}").json()["suspended"] is True
