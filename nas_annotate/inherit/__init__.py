"""Weight inheritance (`search --inherit`, `--sampler morphism`): a child trial starts from its
parent's trained weights wherever they correspond.

The stages, one module each:

- `record`: in a trial, every Keras layer created is given its place: the mutable layer whose
  call created it (its key, its candidate, which call of that key, the order of creation within
  the call), or the fixed part of the model (the order of creation outside every mutable layer);
- `store`: a trial's weights by place, saved beside its log (`.weights.npz`) and read back;
- `match`: a child's layers against its parent's: the same place and equal shapes are copied;
  a candidate that replaces its parent's allows a function-preserving start where the rules of
  docs/search.md ("Children that inherit") say so; everything else starts fresh;
- `trial`: the trial's side: recording from the start, the parent's weights given before the
  first `fit` trains, its own saved when the script ends, and what was inherited reported.

The driver's side (which trial is whose parent, which weights to keep) is in `search`.
"""

from __future__ import annotations

INHERITED_ENV = "NAS_ANNOTATE_INHERITED"  # "1" in a trial that starts from its parent's weights
