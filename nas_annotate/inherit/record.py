"""Each Keras layer a trial creates, given its place in the annotated script.

The runtime tells a `Recorder` where each mutable layer's call begins (`enter(key, candidate)`,
at `decide`) and ends (`leave(key)`, when its output is made); Keras's `Layer.__init__` tells it
of every layer created.  A layer created inside a call belongs to the innermost open mutable
layer: its place is (key, candidate, the call's number for that key, its order among that call's
layers).  A layer created outside every call belongs to the fixed part: ("", "", 0, its order
among the fixed layers).  Places never depend on Keras's generated names, so a parent and a
child built by the same script agree on them wherever they made the same choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple


class Place(NamedTuple):
    """Where a layer was created: `key` "" for the fixed part."""

    key: str
    candidate: str
    call: int
    order: int


class Call(NamedTuple):
    """One call of a mutable layer: its key, the candidate it took, which call of the key."""

    key: str
    candidate: str
    call: int


@dataclass
class _Open:
    key: str
    candidate: str
    call: int
    made: int = 0


class Recorder:
    """The places of the layers created while it records, in creation order (`layers`)."""

    def __init__(self) -> None:
        self.layers: list[tuple[Place, Any]] = []
        self.calls: list[Call] = []
        self._stack: list[_Open] = []
        self._calls: dict[str, int] = {}
        self._fixed = 0
        self._undo: Callable[[], None] | None = None
        self.on_update: Callable[[Any], None] | None = None  # told of a loop's training updates

    def updated(self, state: Any) -> None:
        """A training update of the script's own loop (`state`: a JAX loop's, or None)."""
        if self.on_update is not None:
            self.on_update(state)

    def enter(self, key: str, candidate: str) -> None:
        call = self._calls.get(key, 0)
        self._calls[key] = call + 1
        self.calls.append(Call(key, candidate, call))
        self._stack.append(_Open(key, candidate, call))

    def leave(self, key: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):  # an exception may have skipped inner ends
            if self._stack[i].key == key:
                del self._stack[i:]
                return

    def created(self, layer: Any) -> None:
        if self._stack:
            top = self._stack[-1]
            place = Place(top.key, top.candidate, top.call, top.made)
            top.made += 1
        else:
            place = Place("", "", 0, self._fixed)
            self._fixed += 1
        self.layers.append((place, layer))

    def start(self) -> None:
        """Record from now: the runtime's layer calls and Keras's layer creations."""
        import keras

        from .. import runtime

        layer_class = keras.layers.Layer
        original = layer_class.__init__
        recorder = self

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            recorder.created(self)
            original(self, *args, **kwargs)

        layer_class.__init__ = __init__
        runtime.watch(self)

        def undo() -> None:
            layer_class.__init__ = original
            runtime.watch(None)

        self._undo = undo

    def stop(self) -> None:
        if self._undo is not None:
            self._undo()
            self._undo = None

    def weighted(self) -> list[tuple[Place, Any]]:
        """The recorded layers that own variables (their own, not their sublayers'), in order."""
        return [(place, layer) for place, layer in self.layers if own_variables(layer)]


def own_variables(layer: Any) -> list[Any]:
    """The variables a Keras layer owns itself (its sublayers' are theirs), trainable first."""
    return list(getattr(layer, "_trainable_variables", [])) + list(getattr(layer, "_non_trainable_variables", []))
