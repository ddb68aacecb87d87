"""The latency generator: what it yields, how it interleaves, how it keeps its budget, how it stops, and the
verdicts it gives (no wall-clock timing is asserted here: the budget is checked on the run's own record, or on
an injected clock; bench/ measures)."""

from __future__ import annotations

import itertools
import random

import pytest
import torch

from playground import adapters as A
from playground.adapters.latency import (
    PAPER_TABLE1,
    LatencyConfig,
    compare_timings,
    default_latency_config,
    fewest_pairs,
    measure_latency,
    sign_test,
    summarize,
)
from playground.i18n import using


@pytest.fixture(scope="module")
def variants(tiny):
    ids = tiny.tokenizer("hello there", return_tensors="pt").input_ids
    built, _ = A.build_variants(tiny.model, A.MethodSettings(r=4, bottleneck=16), ids)
    return built


class FakeMachine:
    """An injected clock and forward pass: each pass of a variant takes its set milliseconds (plus a drift),
    and every call is recorded in order."""

    def __init__(self, pass_ms: dict[str, float], drift_ms: float = 0.0) -> None:
        self.now = 0.0
        self.pass_ms = pass_ms
        self.drift_ms = drift_ms
        self.calls: list[tuple[str, tuple[int, ...]]] = []
        self.names = {}

    def clock(self) -> float:
        return self.now

    def forward(self, model, input_ids) -> float:
        name = self.names[id(model)]
        ms = self.pass_ms[name] * input_ids.shape[0] + self.drift_ms * len(self.calls)
        self.calls.append((name, tuple(input_ids.shape)))
        self.now += ms / 1000.0
        return ms

    def variants(self) -> dict:
        models = {name: torch.nn.Linear(1, 1) for name in self.pass_ms}
        models = {name: _Named(module) for name, module in models.items()}
        self.names = {id(model): name for name, model in models.items()}
        return models


class _Named(torch.nn.Module):
    def __init__(self, inner) -> None:
        super().__init__()
        self.inner = inner
        self.config = type("Config", (), {"vocab_size": 100})()


def test_every_variant_and_setting_gets_a_row(variants):
    config = LatencyConfig(batch_sizes=(1, 2), seq_lens=(4, 8), budget_s=30, min_repeats=2, max_repeats=3)
    events = list(measure_latency(variants, config))
    rows = events[-1].rows
    assert events[-1].fraction == 1.0 and events[-1].message.startswith("Done in") and events[-1].done
    assert [(r.variant, r.batch, r.seq_len) for r in rows] == [
        (v, b, s) for b, s in config.settings for v in A.VARIANTS
    ]
    for row in rows:
        assert row.repeats == 3  # max_repeats, well within 30 s on the tiny model
        assert row.min_ms <= row.q1_ms <= row.median_ms <= row.q3_ms <= row.max_ms
        assert row.median_ms > 0
    assert all(r.overhead_pct == 0.0 and r.verdict.kind == "reference" for r in rows if r.variant == "base")
    assert all(r.verdict.kind == "too_few" and r.verdict.pairs == 3 for r in rows if r.variant != "base")
    # one event per warm-up and per timed forward pass, plus the first and the last
    timed = sum(r.repeats for r in rows)
    assert len(events) == 2 + len(A.VARIANTS) * len(config.settings) + timed
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and all(f < 1 for f in fractions[:-1])


def test_a_real_run_ends_within_its_budget_plus_one_pass(variants):
    """From the run's own record of every pass (start, end): no pass started that would end past the budget at
    its last measured duration, so the run ends within budget + its longest pass."""
    config = LatencyConfig(batch_sizes=(1, 4), seq_lens=(16, 64), budget_s=1, min_repeats=1, max_repeats=500)
    last = list(measure_latency(variants, config))[-1]
    assert last.budget_reached and last.repeats_done >= 1
    starts = [start for start, _ in last.pass_log]
    ends = [end for _, end in last.pass_log]
    assert starts == sorted(starts) and all(s >= e for s, e in zip(starts[1:], ends))  # one pass at a time
    assert ends[-1] <= config.budget_s + last.longest_pass_s
    assert last.elapsed_s <= config.budget_s + last.longest_pass_s + 0.05  # the statistics after the last pass


def test_the_budget_on_an_injected_clock():
    machine = FakeMachine({"base": 100.0, "adapters": 130.0, "lora_unmerged": 110.0, "lora_merged": 100.0})
    config = LatencyConfig(batch_sizes=(1, 2), seq_lens=(4,), budget_s=10, min_repeats=1, max_repeats=100)
    events = list(measure_latency(machine.variants(), config, clock=machine.clock, forward=machine.forward))
    last = events[-1]
    # a round is 4 variants × (1 + 2) batch units = 1.32 s; warm-ups take one round: 6 more rounds fit in 10 s
    assert last.budget_reached and last.repeats_done == 6
    assert machine.now <= config.budget_s  # every pass's time is exactly known here: never past the budget
    assert last.elapsed_s == pytest.approx(machine.now)
    assert {r.repeats for r in last.rows} <= {6, 7}
    assert "the 10 s budget ended the repeats" in last.message
    # the plan follows the budget: the fraction moves steadily to the end, never 100% before it
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and max(fractions[:-1]) < 1.0 and max(fractions[:-1]) > 0.9


def test_a_budget_shorter_than_the_warm_ups_starts_nothing_it_cannot_finish():
    machine = FakeMachine({"base": 900.0, "adapters": 900.0})
    config = LatencyConfig(batch_sizes=(1,), seq_lens=(4,), budget_s=1, min_repeats=1, max_repeats=5)
    last = list(measure_latency(machine.variants(), config, clock=machine.clock, forward=machine.forward))[-1]
    # the first pass has no estimate yet and runs; each later one is expected to take 0.9 s: only what fits runs
    assert machine.calls == [("base", (1, 4)), ("adapters", (1, 4))]
    assert last.rows == [] and last.budget_reached and machine.now <= config.budget_s + 0.9


def test_passes_are_interleaved_and_the_order_rotates():
    machine = FakeMachine({"base": 1.0, "adapters": 1.0, "lora_unmerged": 1.0, "lora_merged": 1.0})
    config = LatencyConfig(batch_sizes=(1,), seq_lens=(4, 8), budget_s=60, min_repeats=1, max_repeats=4)
    list(measure_latency(machine.variants(), config, clock=machine.clock, forward=machine.forward))
    names = [name for name, _ in machine.calls]
    warmups, repeats = names[:8], names[8:]
    assert warmups == list(A.VARIANTS) * 2
    rounds = [repeats[i:i + 8] for i in range(0, len(repeats), 8)]
    assert len(rounds) == 4
    for index, round_names in enumerate(rounds):  # every variant once per setting in every repeat …
        assert round_names[:4] == round_names[4:] and sorted(round_names[:4]) == sorted(A.VARIANTS)
        assert round_names[0] == A.VARIANTS[index]  # … starting with another one each time
    shapes = [shape for _, shape in machine.calls[8:]]
    assert shapes[:8] == [(1, 4)] * 4 + [(1, 8)] * 4


def test_drift_hits_every_variant_alike():
    """A machine slowing down steadily: interleaved repeats see it in every variant, so equal variants stay equal."""
    machine = FakeMachine({"base": 50.0, "adapters": 50.0, "lora_unmerged": 50.0, "lora_merged": 50.0}, drift_ms=0.5)
    config = LatencyConfig(batch_sizes=(1,), seq_lens=(4,), budget_s=600, min_repeats=8, max_repeats=12)
    rows = list(measure_latency(machine.variants(), config, clock=machine.clock, forward=machine.forward))[-1].rows
    assert all(r.verdict.kind == "same" for r in rows if r.variant != "base"), [r.verdict for r in rows]
    assert all(abs(r.overhead_pct) < 2.0 for r in rows)


def test_stopping_between_measurements(variants):
    config = LatencyConfig(batch_sizes=(1,), seq_lens=(4, 8), budget_s=5, min_repeats=3, max_repeats=3)
    run = measure_latency(variants, config)
    first_five = list(itertools.islice(run, 5))
    run.close()  # what a Stop button does: the generator is never resumed
    assert len(first_five) == 5 and first_five[-1].rows == []
    assert "warm-up" in first_five[-1].message


# --------------------------------------------------------------------------- the verdict

def test_a_pair_within_the_noise_is_no_measurable_difference():
    rng = random.Random(0)
    base = [10.0 + rng.gauss(0, 0.5) for _ in range(20)]
    other = [10.0 + rng.gauss(0, 0.5) for _ in range(20)]
    verdict = compare_timings(base, other)
    assert verdict.kind == "same" and verdict.pairs == 20
    assert verdict.low_pct < 0 < verdict.high_pct  # the paired change's IQR straddles zero
    assert verdict.text() == "no measurable difference"
    with using("ko"):
        assert verdict.text() == "측정 가능한 차이 없음"


def test_a_clearly_separated_pair_is_slower_by_its_median_change():
    rng = random.Random(1)
    base = [10.0 + rng.gauss(0, 0.2) for _ in range(12)]
    other = [b * 1.2 + rng.gauss(0, 0.1) for b in base]
    verdict = compare_timings(base, other)
    assert verdict.kind == "slower" and verdict.slower_in == 12 and verdict.p_value < 0.001
    assert verdict.change_pct == pytest.approx(20.0, abs=2.0)
    assert verdict.text() == f"slower by {verdict.change_pct:.1f}%"
    assert verdict.evidence().startswith("slower in 12 of 12 repeats")
    faster = compare_timings(other, base)
    assert faster.kind == "faster" and faster.text().startswith("faster by ")


def test_exact_verdict_values():
    base = [10.0] * 10
    other = [11.0, 11.0, 11.0, 11.0, 11.0, 11.0, 11.0, 11.0, 11.0, 9.0]  # slower in 9 of 10
    verdict = compare_timings(base, other)
    assert verdict.slower_in == 9 and verdict.pairs == 10
    assert verdict.p_value == pytest.approx(2 * 11 / 1024)  # 0.0215: not below 0.01
    assert verdict.kind == "same" and verdict.change_pct == pytest.approx(10.0)
    assert compare_timings(base, [11.0] * 10).kind == "slower"  # 10 of 10: p = 0.002


def test_too_few_repeats_to_tell():
    assert fewest_pairs() == 8 and sign_test(8, 0) < 0.01 <= sign_test(7, 0)
    verdict = compare_timings([10.0] * 5, [20.0] * 5)
    assert verdict.kind == "too_few" and verdict.text() == "too few repeats to tell (5 of at least 8)"
    assert compare_timings([], []).kind == "too_few"
    assert compare_timings([10.0] * 9, [20.0] * 9, min_pairs=10).kind == "too_few"


def test_pairs_follow_the_repeats():
    """Pair i is the i-th pass of each: a drift that a median comparison would read as a difference cancels."""
    base = [10.0 + i for i in range(10)]
    other = [b * 1.01 for b in base]  # 1% slower in every repeat
    assert compare_timings(base, other).kind == "slower"
    shuffled = list(reversed(other))  # the same values, no longer paired with their repeats
    assert compare_timings(base, shuffled).kind == "same"


def test_summary_statistics():
    row = summarize("adapters", 1, 16, [10.0, 12.0, 11.0, 50.0, 9.0], base_times_ms=[10.0, 10.0, 10.0, 10.0, 10.0])
    assert row.median_ms == 11.0 and row.min_ms == 9.0 and row.max_ms == 50.0
    assert (row.q1_ms, row.q3_ms) == (10.0, 12.0)
    assert row.overhead_pct == pytest.approx(10.0)  # the median of the paired changes 0, 20, 10, 400, −10 %
    assert row.verdict.kind == "too_few" and row.verdict.slower_in == 3
    base = summarize("base", 1, 16, [10.0, 11.0], None)
    assert base.verdict.kind == "reference" and base.overhead_pct == 0.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(batch_sizes=()), "at least one batch size"),
        (dict(batch_sizes=(0,)), "batch size must be a whole number from 1 to 4096, got 0"),
        (dict(seq_lens=(5000,)), "sequence length must be a whole number from 1 to 4096, got 5000"),
        (dict(budget_s=0), "time budget must be 1 to 600 s"),
        (dict(min_repeats=5, max_repeats=2), "min_repeats"),
    ],
)
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LatencyConfig(**kwargs)


def test_defaults_and_paper_table():
    assert default_latency_config("cpu").settings == [(1, 16), (1, 64)]
    assert default_latency_config("cpu").max_repeats >= 3 * default_latency_config("cpu").min_repeats
    assert default_latency_config("cuda").batch_sizes == (1, 16)
    assert PAPER_TABLE1["Adapter (Houlsby)"][2] == 25.8 and PAPER_TABLE1["Fine-tune / LoRA"][2] == 19.8


def test_shared_model_is_untouched(tiny):
    before = {name: p.detach().clone() for name, p in tiny.model.state_dict().items()}
    ids = tiny.tokenizer("hello there", return_tensors="pt").input_ids
    built, _ = A.build_variants(tiny.model, A.MethodSettings(r=4, bottleneck=16), ids)
    list(measure_latency(built, LatencyConfig(batch_sizes=(1,), seq_lens=(4,), budget_s=1, min_repeats=1, max_repeats=1)))
    after = tiny.model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert not any(isinstance(m, A.SerialAdapter) for m in tiny.model.modules())
