"""The 4-bit models the compare view answers with, shared by every session of the server.

    (model_id, "nf4", double_quant) ─► one 4-bit base ─► PeftModel(base, {adapter1, adapter7, …})
                                            "4-bit base" answers: the same model with its adapters disabled
                                            "4-bit + LoRA" answers: set_adapter(the run's adapter)

A session holds no model of its own, so memory does not grow with the number of sessions: each base
is loaded once per quantization, and the runs' LoRA adapters (a few MB each) are loaded into it by
name when a compare asks for them and evicted least-recently-used beyond `max_adapters` (an evicted
adapter loads again from its folder the next time it is asked for). Bases are evicted least-recently-used
too, beyond `max_bases` (a Space that lets visitors pick Hub models would otherwise keep them all). One lock covers every model of
the pool: peft's active adapter is state of the model, so two answers must not interleave.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterator

import torch

from playground import models

QuantKey = tuple[str, str, bool]  # (model_id, quant_type, double_quant)


class AdapterPool:
    def __init__(self, max_adapters: int | None = None, max_bases: int | None = None):
        from playground.settings import LIMITS

        self.max_adapters = max_adapters or LIMITS.max_loaded_adapters
        self.max_bases = max_bases or 2 * LIMITS.max_loaded_models  # e.g. NF4 and FP4 of each loaded model
        self._models: OrderedDict[QuantKey, object] = OrderedDict()  # the 4-bit base, or a PeftModel around it
        self._loaded: OrderedDict[Path, tuple[QuantKey, str]] = OrderedDict()  # adapter folder → (base, name)
        self._names = itertools.count(1)
        self._lock = threading.RLock()

    def _base(self, key: QuantKey):
        if key in self._models:
            self._models.move_to_end(key)
        else:
            while len(self._models) >= self.max_bases:
                self._drop_base(next(iter(self._models)))
            model_id, quant_type, double_quant = key
            model = models.load_4bit(model_id, quant_type, double_quant)
            model.eval().requires_grad_(False)
            # the first forward does the model's one-time lazy set-up (compute types, rotary caches): once
            # here, under the lock, so no two first users race on it (load_4bit forbids bitsandbytes' CPU
            # repacking, which would otherwise also happen here)
            with torch.inference_mode():
                model(torch.zeros((1, 1), dtype=torch.long, device=model.device))
            self._models[key] = model
        return self._models[key]

    @contextlib.contextmanager
    def use(self, key: QuantKey, adapter_dir: Path | None = None) -> Iterator[object]:
        """The 4-bit model of `key` with the adapter saved in `adapter_dir` active (None: no adapter), held
        exclusively for the duration of the block."""
        with self._lock:
            model = self._base(key)
            if adapter_dir is None:
                disabled = model.disable_adapter() if hasattr(model, "disable_adapter") else contextlib.nullcontext()
                with disabled:
                    yield model
                return
            name = self._load(key, Path(adapter_dir))
            model = self._models[key]
            model.set_adapter(name)
            yield model

    def _load(self, key: QuantKey, adapter_dir: Path) -> str:
        if adapter_dir in self._loaded:
            self._loaded.move_to_end(adapter_dir)
            return self._loaded[adapter_dir][1]
        from peft import PeftModel

        name = f"adapter{next(self._names)}"
        model = self._models[key]
        if isinstance(model, PeftModel):
            model.load_adapter(adapter_dir, adapter_name=name)
        else:
            self._models[key] = PeftModel.from_pretrained(model, adapter_dir, adapter_name=name).eval()
        self._loaded[adapter_dir] = (key, name)
        while len(self._loaded) > self.max_adapters:
            self.forget(next(iter(self._loaded)))
        return name

    def forget(self, adapter_dir: Path) -> None:
        """Drop the adapter saved in `adapter_dir` from its base, if it is loaded."""
        with self._lock:
            entry = self._loaded.pop(Path(adapter_dir), None)
            if entry is None:
                return
            key, name = entry
            model = self._models[key]
            if len(model.peft_config) == 1:  # its last adapter: back to the plain 4-bit base
                self._models[key] = model.unload()
            else:
                model.delete_adapter(name)

    def _drop_base(self, key: QuantKey) -> None:
        for adapter_dir in [folder for folder, (base, _) in self._loaded.items() if base == key]:
            del self._loaded[adapter_dir]
        del self._models[key]
        gc.collect()

    @property
    def bases(self) -> list[QuantKey]:
        with self._lock:
            return list(self._models)

    @property
    def loaded_adapters(self) -> int:
        with self._lock:
            return len(self._loaded)

    def adapter_names(self, key: QuantKey) -> set[str]:
        with self._lock:
            model = self._models.get(key)
            return set(getattr(model, "peft_config", {}) or {})
