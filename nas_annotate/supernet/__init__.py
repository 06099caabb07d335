"""One-shot search inside the trial: the supernet, and the framework that trains it.

- `sites.py`: a `Site` per mutable layer, which the supernet form of the script's code asks
  the runtime for (`runtime.supernet` -> `Net.site`); shapes and their errors;
- `layers.py`: the decision layers (`OpChoice`, `InputChoice`) holding each site's state, their
  weights computed by the strategy in the forward pass;
- `hook.py`: the script's `keras.Model.fit` and `evaluate`, wrapped for the net;
- `backends.py`: what differs between Keras's backends (TensorFlow, JAX, PyTorch): JAX's `fit`
  state, compiled forward passes, the gradient step of chosen variables, a JAX loop's own state;
- `net.py`: `Net`, the framework: data gathering, the strategy's calls around batches and
  epochs, BatchNorm recalibration, scoring a path with the shared weights, the driver's state.

The worker makes the strategy, a `Net` of it, and registers it: `runtime.set_supernet(net)`.
Nothing here imports the runtime, and nothing imports TensorFlow or Keras until a site meets
tensors.  The strategies are in `nas_annotate.strategies`; docs/strategies.md is the reference.
"""

from __future__ import annotations

from .net import RECALIBRATE, Net, Path
from .sites import Site, SupernetError, derive_inputs, input_subsets, is_tensor

__all__ = ["RECALIBRATE", "Net", "Path", "Site", "SupernetError", "derive_inputs", "input_subsets", "is_tensor"]
