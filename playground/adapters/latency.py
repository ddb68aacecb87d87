"""Forward-pass latency of the base model and its adapter / LoRA variants, measured, not asserted.

The LoRA paper (arXiv 2106.09685, §3 and Table 1) argues that serial adapters add latency that
cannot be hidden at batch 1, while merged LoRA adds none. This module measures exactly that:

    for each (batch, seq):              warm up every variant once
        for each repeat:                base, adapters, lora_unmerged, lora_merged   (interleaved,
            time one forward            so drift in the machine hits all variants alike)
    → median, quartiles, min and max per variant and setting

`measure_latency` is a generator: it validates first, yields a progress event after every single
forward pass (so a consumer can stop it between measurements), and the repeats per setting come
from a time budget, so a run on a slow CPU and a run on a GPU both end in bounded time. Each event's
`fraction` is of the work done (forward passes), not of the time budget: it stays below 1 until the
final event, the only one with `done` set.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn

from playground.checks import check_whole_number
from playground.i18n import t

# The LoRA paper's Table 1: GPT-2 medium, forward ms, Quadro RTX8000 (REFERENCE.md).
PAPER_TABLE1 = {
    "settings": ["32 / 512 / 0.5M", "16 / 256 / 11M", "1 / 128 / 11M"],
    "Fine-tune / LoRA": [1449.4, 338.0, 19.8],
    "Adapter (Lin)": [1482.0, 354.8, 23.9],
    "Adapter (Houlsby)": [1492.2, 366.3, 25.8],
}


@dataclass(frozen=True)
class LatencyConfig:
    batch_sizes: tuple[int, ...] = (1, 4)
    seq_lens: tuple[int, ...] = (16, 64)
    budget_s: float = 30.0  # the whole run, warm-ups included; repeats are fitted into it
    min_repeats: int = 3
    max_repeats: int = 15
    # CPU threads for the timed passes (None: torch's default). One thread gives steady numbers on a
    # shared CPU and leaves the other cores to other users; it applies to the measuring thread only.
    threads: int | None = 1

    def __post_init__(self) -> None:
        if not self.batch_sizes or not self.seq_lens:
            raise ValueError("latency needs at least one batch size and one sequence length")
        for label, values in ((t("adapters.label.batch_size"), self.batch_sizes),
                              (t("adapters.label.seq_len"), self.seq_lens)):
            for value in values:
                check_whole_number(label, value, 1, 4096)
        if not 1 <= self.budget_s <= 600:
            raise ValueError(t("adapters.err.budget", value=repr(self.budget_s)))
        if self.threads is not None and not 1 <= self.threads <= 256:
            raise ValueError(f"threads must be 1 to 256 or None, got {self.threads!r}")
        if not 1 <= self.min_repeats <= self.max_repeats:
            raise ValueError(f"need 1 ≤ min_repeats ≤ max_repeats, got {self.min_repeats}, {self.max_repeats}")

    @property
    def settings(self) -> list[tuple[int, int]]:
        return [(b, s) for b in self.batch_sizes for s in self.seq_lens]


def default_latency_config(device: str) -> LatencyConfig:
    """Short settings on CPU (2 cores: a ~30 s run), the paper's shapes' neighbourhood on a GPU."""
    if device.startswith("cuda"):
        return LatencyConfig(batch_sizes=(1, 16), seq_lens=(128, 512), budget_s=30.0, max_repeats=50, threads=None)
    return LatencyConfig()


@dataclass
class LatencyRow:
    variant: str
    batch: int
    seq_len: int
    median_ms: float
    q1_ms: float
    q3_ms: float
    min_ms: float
    max_ms: float
    repeats: int
    overhead_pct: float  # median against the base model's median in the same setting


# The largest fraction an event before the last one reports: "100%" means the measurement is over.
BEFORE_DONE = 0.99


@dataclass
class LatencyEvent:
    # Of the forward passes done so far: every setting counts the same, and within one, the passes done
    # over the passes planned (while its warm-ups run, the plan is the most repeats allowed, so the
    # fraction never goes back). At most BEFORE_DONE until the final event, which has 1.0.
    fraction: float
    message: str
    rows: list[LatencyRow]  # every finished setting so far
    done: bool = False  # the final event: every row is in


def _quartiles(times_ms: list[float]) -> tuple[float, float]:
    if len(times_ms) < 2:
        return times_ms[0], times_ms[0]
    q = statistics.quantiles(times_ms, n=4, method="inclusive")
    return q[0], q[2]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_forward(model: nn.Module, input_ids: torch.Tensor, threads: int | None = None) -> float:
    """Milliseconds for one forward pass (prefill: all tokens in, the last position's logits out).

    torch's CPU thread count is per calling thread, and a server may run each step of a generator on
    a different worker thread, so it is set and restored around every pass."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        _sync(input_ids.device)
        start = time.perf_counter()
        with torch.inference_mode():
            model(input_ids=input_ids, use_cache=False, logits_to_keep=1)
        _sync(input_ids.device)
        return 1000.0 * (time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)


def summarize(variant: str, batch: int, seq_len: int, times_ms: list[float], base_median: float | None) -> LatencyRow:
    median = statistics.median(times_ms)
    q1, q3 = _quartiles(times_ms)
    overhead = 0.0 if base_median is None else 100.0 * (median - base_median) / base_median
    return LatencyRow(variant, batch, seq_len, median, q1, q3, min(times_ms), max(times_ms), len(times_ms), overhead)


def measure_latency(variants: dict[str, nn.Module], config: LatencyConfig | None = None,
                    vocab_size: int | None = None, seed: int = 0) -> Iterator[LatencyEvent]:
    """Times every variant at every (batch, seq) setting; the first variant is the reference for overheads."""
    if not variants:
        raise ValueError("no model variants to measure")
    config = config or LatencyConfig()
    first = next(iter(variants.values()))
    device = next(first.parameters()).device
    vocab_size = vocab_size or first.config.vocab_size
    generator = torch.Generator().manual_seed(seed)
    settings = config.settings
    per_setting_s = config.budget_s / len(settings)
    started = time.perf_counter()
    rows: list[LatencyRow] = []

    def elapsed() -> float:
        return time.perf_counter() - started

    def work_done(index: int, passes: int, planned: int) -> float:
        return min((index + passes / planned) / len(settings), BEFORE_DONE)

    yield LatencyEvent(0.0, t("adapters.lat.start", variants=len(variants), settings=len(settings),
                              budget=config.budget_s), [])
    for index, (batch, seq_len) in enumerate(settings):
        input_ids = torch.randint(0, vocab_size, (batch, seq_len), generator=generator).to(device)  # (B, T)
        warmup_ms = {}
        planned = len(variants) * (1 + config.max_repeats)  # until the warm-ups tell how many repeats fit
        for name, model in variants.items():
            warmup_ms[name] = time_forward(model, input_ids, config.threads)
            yield LatencyEvent(work_done(index, len(warmup_ms), planned),
                               t("adapters.lat.warmup", batch=batch, seq=seq_len, name=name), list(rows))
        round_s = sum(warmup_ms.values()) / 1000.0
        remaining_s = max(per_setting_s * (index + 1) - elapsed(), 0.0)
        repeats = int(min(max(remaining_s // max(round_s, 1e-6), config.min_repeats), config.max_repeats))
        planned = len(variants) * (1 + repeats)
        passes = len(variants)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for repeat in range(repeats):
            for name, model in variants.items():
                times[name].append(time_forward(model, input_ids, config.threads))
                passes += 1
                yield LatencyEvent(work_done(index, passes, planned),
                                   t("adapters.lat.repeat", batch=batch, seq=seq_len, repeat=repeat + 1,
                                     repeats=repeats, name=name), list(rows))
        base_median = None
        for name, values in times.items():
            rows.append(summarize(name, batch, seq_len, values, base_median))
            if base_median is None:
                base_median = rows[-1].median_ms
    yield LatencyEvent(1.0, t("adapters.lat.done", elapsed=elapsed()), list(rows), done=True)
