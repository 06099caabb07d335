"""Whether this process has touched its accelerators: the trial worker forks every trial, and
a CUDA context (or CUDA itself, once initialised) does not survive `fork()`, so the worker
must never have one. Importing TensorFlow, PyTorch or JAX does not initialise their devices;
listing the devices or running an op does. Checked without importing anything."""

from __future__ import annotations

import sys


def initialized() -> str | None:
    """What initialised its devices in this process (TensorFlow, PyTorch's CUDA, JAX), or None."""
    if "tensorflow" in sys.modules:
        try:
            from tensorflow.python.eager import context

            found = context.context_safe()
            if found is not None and (found._context_handle is not None or found._physical_devices is not None):
                return "TensorFlow's devices"
        except (ImportError, AttributeError):
            pass
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and getattr(cuda, "is_initialized", lambda: False)():
        return "PyTorch's CUDA"
    bridge = sys.modules.get("jax._src.xla_bridge")
    if bridge is not None and getattr(bridge, "_backends", None):
        return "JAX's backends"
    return None
