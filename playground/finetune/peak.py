"""A run's memory on the device: its own peak, measured while it trains, and handing it back when it ends.

What is measured is the run's own memory, the same thing the estimate's "peak of this run" counts (weights,
LoRA and AdamW, activations): the peak less what the device held when the run began, before it loaded
anything. On CUDA that is the allocator's peak of tensors less those allocated before the run (another
model the server holds). On Linux CPUs it is the kernel's high-water mark of the process's resident
memory (VmHWM: it catches the short-lived logits and gradients between samples too), restarted once the
model is loaded (`loaded`: the loader's transient copies are not the training peak), less the
file-backed pages resident now (the model file the loader mapped stays in the page cache: the kernel's,
not the run's; the weights that are views of that file, such as SmolLM2's float32 embeddings, are
added back by their size) and less the anonymous memory before the run (the interpreter and the imported
libraries, which every process has and the estimate counts apart as the runtime overhead). Elsewhere
the RSS is sampled between phases (after each forward, when the activations kept for backward are
largest).
"""

from __future__ import annotations

import ctypes
import gc

import torch


def _load_libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to trim
        return None


_LIBC = _load_libc()


class PeakMemory:
    """Peak memory of this run: CUDA's allocator peak, the process's resident high-water mark on Linux, or its
    RSS sampled between phases elsewhere; each less the `baseline` the device held when the run began
    (`run_peak`)."""

    def __init__(self, device: str):
        self.device = device
        self.peak = 0  # the device's (process's) whole peak, baseline included
        self.mapped = 0  # the model's weights that are views of its mapped file (CPU): resident, but not anonymous
        self._status = None
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats(torch.device(device))
        else:
            import psutil

            self._process = psutil.Process()
            self._status = _STATUS if _status_fields() else None
            if _LIBC is not None:
                _LIBC.malloc_trim(0)  # the baseline without free heap pages a trim after loading would return
        self.baseline = self._current(allocated=True)
        self.loaded()
        self.sample()

    def _current(self, allocated: bool = False) -> int:
        """Now (`allocated`) or the peak since the last restart, without file-backed pages."""
        if self.device.startswith("cuda"):
            device = torch.device(self.device)
            return int(torch.cuda.memory_allocated(device) if allocated else torch.cuda.max_memory_allocated(device))
        if self._status is not None:
            fields = _status_fields()
            if fields:
                resident = fields["VmRSS"] if allocated else max(fields["VmHWM"], fields["VmRSS"])
                return resident - fields["RssFile"] - fields.get("RssShmem", 0)
        info = self._process.memory_info()
        return int(info.rss - getattr(info, "shared", 0))  # anonymous pages: without the mapped model file

    def loaded(self, model=None) -> None:
        """The model is loaded: restart the high-water mark (the loader's freed copies are not the run's peak),
        and count the model's weights that live in its mapped file (storages the allocator does not own)."""
        if model is not None and not self.device.startswith("cuda"):
            storages = {}
            for tensor in [*model.parameters(), *model.buffers()]:
                storage = tensor.untyped_storage()
                if not storage.resizable():  # a view of a mapped file, not an allocation of torch's
                    storages[storage.data_ptr()] = storage.nbytes()
            self.mapped = sum(storages.values())
        if self._status is not None:
            try:
                with open(_CLEAR_REFS, "w") as handle:
                    handle.write("5")  # Linux: reset VmHWM to the current RSS
            except OSError:
                self._status = None  # sample the RSS instead

    @property
    def run_peak(self) -> int:
        """The run's own peak: the whole peak less the baseline."""
        return max(0, self.peak - self.baseline) + self.mapped

    def sample(self) -> int:
        """Take a sample; returns the run's own peak so far (`run_peak`)."""
        self.peak = max(self.peak, self._current())
        return self.run_peak


_STATUS, _CLEAR_REFS = "/proc/self/status", "/proc/self/clear_refs"


def _status_fields() -> dict[str, int] | None:
    """VmHWM, VmRSS, RssFile, RssShmem of this process in bytes (Linux), or None."""
    try:
        with open(_STATUS) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    fields = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS", "RssFile", "RssShmem"):
            fields[name] = int(value.split()[0]) * 1024
    return fields if {"VmHWM", "VmRSS", "RssFile"} <= fields.keys() else None




def free_memory(device: str) -> None:
    """Drop what a run held: Python garbage, the CUDA cache, and the C heap's free pages (glibc keeps
    freed memory in the process otherwise, so RSS would stay at the run's peak after it ended)."""
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
