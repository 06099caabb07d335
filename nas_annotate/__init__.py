"""nas_annotate: compile `@nni.mutable_layer` annotations into search spaces and plain Python."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
