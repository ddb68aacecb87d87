"""Forward-pass latency of the base model and its adapter / LoRA variants, measured, not asserted.

The LoRA paper (arXiv 2106.09685, §3 and Table 1) argues that serial adapters add latency that
cannot be hidden at batch 1, while merged LoRA adds none (its merged weight has W0's shape: the very
same computation). This module measures that, and says only what the measurement can tell:

    warm up:   every (batch, seq) setting × every variant, one pass each
    repeat:    for each setting: base, adapters, lora_unmerged, lora_merged   (interleaved, the order
               rotated every repeat, so drift in the machine hits all variants alike)
    → per variant and setting: median, quartiles, min and max; against the base: the paired change
      (each repeat's variant pass over the base pass next to it) and a verdict (`compare_timings`)

The time budget is a limit, not a target: no pass starts that would, at its last measured duration,
end past the budget (so a run ends within the budget plus at most one pass's misestimate). `max_repeats`
caps the repeats. `measure_latency` is a generator: it validates first and yields a progress event after
every forward pass (a consumer can stop it between passes); each event's `fraction` is of the passes
done over those planned, below 1 until the final event, the only one with `done` set.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Literal

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

# A difference is called measurable when a two-sided sign test over the paired repeats gives p below this:
# strict, because one run makes a dozen comparisons (3 variants × 4 settings).
SIGNIFICANCE = 0.01


def fewest_pairs(significance: float = SIGNIFICANCE) -> int:
    """The fewest paired repeats at which a sign test can reach `significance` at all (8 for 0.01):
    all n pairs on one side has p = 2·0.5ⁿ."""
    return math.ceil(math.log2(2 / significance) + 1e-12)


@dataclass(frozen=True)
class LatencyConfig:
    batch_sizes: tuple[int, ...] = (1, 4)
    seq_lens: tuple[int, ...] = (16, 64)
    budget_s: float = 30.0  # the whole run, warm-ups included: a limit, never exceeded by a pass started in time
    min_repeats: int = fewest_pairs()  # the fewest paired repeats a verdict is given on
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
    """On a CPU, batch 1 at two short lengths, where the notes' effect is expected (one repeat of SmolLM2's four
    variants is about 1 s on one core, so a 30 s budget gives the 8+ repeats a verdict needs); on a GPU, the
    paper's shapes' neighbourhood, batch 1 and 16."""
    if device.startswith("cuda"):
        return LatencyConfig(batch_sizes=(1, 16), seq_lens=(128, 512), budget_s=30.0, max_repeats=50, threads=None)
    return LatencyConfig(batch_sizes=(1,), seq_lens=(16, 64), max_repeats=25)


VerdictKind = Literal["reference", "same", "slower", "faster", "too_few"]


@dataclass(frozen=True)
class Verdict:
    """What a set of paired repeats says about a variant against the reference (the base)."""

    kind: VerdictKind
    change_pct: float  # median of the paired changes (variant pass / base pass − 1), in percent
    low_pct: float  # their interquartile range
    high_pct: float
    slower_in: int  # repeats in which the variant was slower than the base pass beside it
    pairs: int
    p_value: float  # two-sided sign test (1.0 for the reference)

    def text(self) -> str:
        """The verdict in words, in the current language ("slower by 12%", "no measurable difference" …)."""
        if self.kind == "reference":
            return t("adapters.verdict.reference")
        if self.kind == "too_few":
            return t("adapters.verdict.too_few", pairs=self.pairs, needed=fewest_pairs())
        if self.kind == "same":
            return t("adapters.verdict.same")
        return t(f"adapters.verdict.{self.kind}", change=abs(self.change_pct))

    def evidence(self) -> str:
        """Why: in how many repeats the variant was slower, and the spread of the paired change."""
        if self.kind == "reference" or self.pairs == 0:
            return ""
        return t("adapters.verdict.evidence", slower=self.slower_in, pairs=self.pairs, low=self.low_pct,
                 high=self.high_pct)


REFERENCE_VERDICT = Verdict("reference", 0.0, 0.0, 0.0, 0, 0, 1.0)


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def sign_test(above: int, below: int) -> float:
    """Two-sided sign test: the chance of a split at least this lopsided if either side were as likely."""
    n = above + below
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(above, below) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def compare_timings(reference_ms: list[float], other_ms: list[float], min_pairs: int | None = None,
                    significance: float = SIGNIFICANCE) -> Verdict:
    """The verdict on `other` against `reference`, from passes timed in turns (pair i: the i-th of each).

    Each pair's change is other/reference − 1: pairing cancels what drifts between repeats. The difference is
    measurable only when the variant is slower (or faster) in so many of the repeats that chance is ruled out
    (sign test, p < `significance`); then the verdict is the median change, else "no measurable difference";
    with fewer than `min_pairs` pairs (at least `fewest_pairs()`), "too few repeats to tell"."""
    pairs = min(len(reference_ms), len(other_ms))
    if pairs == 0:
        return Verdict("too_few", 0.0, 0.0, 0.0, 0, 0, 1.0)
    changes = [100.0 * (o / r - 1.0) for r, o in zip(reference_ms, other_ms)]
    slower = sum(c > 0 for c in changes)
    faster = sum(c < 0 for c in changes)
    low, high = _quartiles(changes)
    median = statistics.median(changes)
    p_value = sign_test(slower, faster)
    needed = max(min_pairs or 0, fewest_pairs(significance))
    if pairs < needed:
        kind: VerdictKind = "too_few"
    elif p_value >= significance:
        kind = "same"
    else:
        kind = "slower" if slower > faster else "faster"
    return Verdict(kind, median, low, high, slower, pairs, p_value)


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
    overhead_pct: float  # the median paired change against the base in the same setting (0 for the base)
    verdict: Verdict = REFERENCE_VERDICT


# The largest fraction an event before the last one reports: "100%" means the measurement is over.
BEFORE_DONE = 0.99


@dataclass
class LatencyEvent:
    # Of the forward passes done over those planned (the plan is re-estimated after the warm-ups and after
    # every repeat, and the fraction never goes back). At most BEFORE_DONE until the final event, which has 1.0.
    fraction: float
    message: str
    rows: list[LatencyRow]  # every setting measured so far (the final event: all of them)
    done: bool = False  # the final event: every row is in
    elapsed_s: float = 0.0  # since the measurement started, by its clock
    longest_pass_s: float = 0.0  # the longest single pass so far (what a budget may be overrun by, at most)
    repeats_done: int = 0  # repeats completed over every setting and variant
    budget_reached: bool = False  # the final event: the budget, not max_repeats, ended the repeats
    pass_log: list[tuple[float, float]] = field(default_factory=list)  # the final event: (start, end) of each pass


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


def summarize(variant: str, batch: int, seq_len: int, times_ms: list[float],
              base_times_ms: list[float] | None, min_pairs: int | None = None) -> LatencyRow:
    """One variant's row in one setting; `base_times_ms` None: this is the base itself."""
    median = statistics.median(times_ms)
    q1, q3 = _quartiles(times_ms)
    verdict = REFERENCE_VERDICT if base_times_ms is None else compare_timings(base_times_ms, times_ms, min_pairs)
    return LatencyRow(variant, batch, seq_len, median, q1, q3, min(times_ms), max(times_ms), len(times_ms),
                      verdict.change_pct, verdict)


def measure_latency(variants: dict[str, nn.Module], config: LatencyConfig | None = None,
                    vocab_size: int | None = None, seed: int = 0,
                    clock: Callable[[], float] = time.perf_counter,
                    forward: Callable[[nn.Module, torch.Tensor], float] | None = None) -> Iterator[LatencyEvent]:
    """Times every variant at every (batch, seq) setting; the first variant is the reference.

    `clock` (seconds) and `forward` (one timed pass, ms) are the real ones unless a test passes its own."""
    if not variants:
        raise ValueError("no model variants to measure")
    config = config or LatencyConfig()
    first = next(iter(variants.values()))
    device = next(first.parameters()).device
    vocab_size = vocab_size or first.config.vocab_size
    forward = forward or (lambda model, ids: time_forward(model, ids, config.threads))
    generator = torch.Generator().manual_seed(seed)
    settings = config.settings
    inputs = {setting: torch.randint(0, vocab_size, setting, generator=generator).to(device)  # (B, T)
              for setting in settings}
    names = list(variants)
    per_round = len(settings) * len(names)
    times: dict[tuple[tuple[int, int], str], list[float]] = {(s, n): [] for s in settings for n in names}
    last_s: dict[tuple[tuple[int, int], str], float] = {}  # each pass's latest duration: the next one's estimate
    log: list[tuple[float, float]] = []
    started = clock()
    state = {"fraction": 0.0, "planned": per_round * (1 + config.max_repeats), "repeats": 0}

    def elapsed() -> float:
        return clock() - started

    def fits(key) -> bool:
        return elapsed() + last_s.get(key, 0.0) <= config.budget_s

    def timed_pass(key) -> float:
        start = elapsed()
        ms = forward(variants[key[1]], inputs[key[0]])
        end = elapsed()
        log.append((start, end))
        last_s[key] = max(end - start, ms / 1000.0)
        return ms

    def event(message: str) -> LatencyEvent:
        state["fraction"] = max(state["fraction"], min(len(log) / state["planned"], BEFORE_DONE))
        return LatencyEvent(state["fraction"], message, rows(), elapsed_s=elapsed(),
                            longest_pass_s=max(end - start for start, end in log), repeats_done=state["repeats"])

    def rows() -> list[LatencyRow]:
        out = []
        for batch, seq_len in settings:
            base = times[((batch, seq_len), names[0])]
            if not base:
                continue
            for name in names:
                values = times[((batch, seq_len), name)]
                if values:
                    out.append(summarize(name, batch, seq_len, values, None if name == names[0] else base,
                                         config.min_repeats))
        return out

    yield LatencyEvent(0.0, t("adapters.lat.start", variants=len(names), settings=len(settings),
                              budget=config.budget_s), [])
    budget_reached = False
    for setting in settings:  # warm-ups: untimed for the statistics, timed for the plan
        for name in names:
            if not fits((setting, name)):
                budget_reached = True
                break
            timed_pass((setting, name))
            yield event(t("adapters.lat.warmup", batch=setting[0], seq=setting[1], name=name))
        if budget_reached:
            break
    repeats = 0
    while not budget_reached and repeats < config.max_repeats:
        round_s = sum(last_s.values())
        fit = int(max(config.budget_s - elapsed(), 0.0) // max(round_s, 1e-9))
        state["planned"] = len(log) + per_round * max(min(fit, config.max_repeats - repeats), 1)
        order = names[repeats % len(names):] + names[:repeats % len(names)]  # rotated: no variant always first
        for setting in settings:
            for name in order:
                if not fits((setting, name)):
                    budget_reached = True
                    break
                times[(setting, name)].append(timed_pass((setting, name)))
                yield event(t("adapters.lat.repeat", batch=setting[0], seq=setting[1], repeat=repeats + 1,
                              repeats=config.max_repeats, name=name))
            if budget_reached:
                break
        repeats += 1
        if not budget_reached:
            state["repeats"] = repeats
    message = t("adapters.lat.done", elapsed=elapsed())
    if budget_reached:
        message += " · " + t("adapters.lat.budget_reached", budget=config.budget_s)
    yield LatencyEvent(1.0, message, rows(), done=True, elapsed_s=elapsed(),
                       longest_pass_s=max((end - start for start, end in log), default=0.0),
                       repeats_done=state["repeats"], budget_reached=budget_reached, pass_log=list(log))
