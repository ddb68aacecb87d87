"""What autograd keeps for backward, measured: the reference for the memory claims in the tests."""

from __future__ import annotations

import torch
from torch import nn


def saved_bytes(run, module: nn.Module) -> int:
    """Bytes of the distinct storages autograd keeps while `run()` builds its graph, leaving out the
    storages of `module`'s parameters and buffers (weights, not activations, even when saved as views)."""
    weights = {tensor.untyped_storage().data_ptr() for tensor in [*module.parameters(), *module.buffers()]}
    storages: dict[int, int] = {}

    def pack(tensor):
        pointer = tensor.untyped_storage().data_ptr()
        if pointer not in weights:
            storages[pointer] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = run()
    del output
    return sum(storages.values())
