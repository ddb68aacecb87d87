"""A run's memory on the device: its peak, measured while it trains, and handing it back when it ends.

On CUDA the allocator keeps the peak itself; on CPU the process RSS is sampled between phases (the
loop samples after each forward, when the activations kept for backward are largest).
"""

from __future__ import annotations

import ctypes
import gc

import torch


class PeakMemory:
    """Peak memory of this run: CUDA's allocator peak, or the process RSS sampled between phases on CPU."""

    def __init__(self, device: str):
        self.device = device
        self.peak = 0
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats(torch.device(device))
        else:
            import psutil

            self._process = psutil.Process()
        self.sample()

    def sample(self) -> int:
        if self.device.startswith("cuda"):
            current = torch.cuda.max_memory_allocated(torch.device(self.device))
        else:
            current = self._process.memory_info().rss
        self.peak = max(self.peak, int(current))
        return self.peak


def _load_libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to trim
        return None


_LIBC = _load_libc()


def free_memory(device: str) -> None:
    """Drop what a run held: Python garbage, the CUDA cache, and the C heap's free pages (glibc keeps
    freed memory in the process otherwise, so RSS would stay at the run's peak after it ended)."""
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
