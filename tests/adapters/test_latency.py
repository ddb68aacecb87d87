"""The latency generator: what it yields and how it stops (no timing is asserted here; bench/ measures)."""

from __future__ import annotations

import itertools

import pytest
import torch

from playground import adapters as A
from playground.adapters.latency import (
    PAPER_TABLE1,
    LatencyConfig,
    default_latency_config,
    measure_latency,
    summarize,
)


@pytest.fixture(scope="module")
def variants(tiny):
    ids = tiny.tokenizer("hello there", return_tensors="pt").input_ids
    built, _ = A.build_variants(tiny.model, A.MethodSettings(r=4, bottleneck=16), ids)
    return built


def test_every_variant_and_setting_gets_a_row(variants):
    config = LatencyConfig(batch_sizes=(1, 2), seq_lens=(4, 8), budget_s=2, min_repeats=2, max_repeats=3)
    events = list(measure_latency(variants, config))
    rows = events[-1].rows
    assert events[-1].fraction == 1.0 and events[-1].message.startswith("Done in")
    assert [(r.variant, r.batch, r.seq_len) for r in rows] == [
        (v, b, s) for b, s in config.settings for v in A.VARIANTS
    ]
    for row in rows:
        assert 2 <= row.repeats <= 3
        assert row.min_ms <= row.q1_ms <= row.median_ms <= row.q3_ms <= row.max_ms
        assert row.median_ms > 0
    assert all(r.overhead_pct == 0.0 for r in rows if r.variant == "base")
    # one event per warm-up and per timed forward pass, plus the first and the last
    timed = sum(r.repeats for r in rows)
    assert len(events) == 2 + len(A.VARIANTS) * len(config.settings) + timed


def test_stopping_between_measurements(variants):
    config = LatencyConfig(batch_sizes=(1,), seq_lens=(4, 8), budget_s=5, min_repeats=3, max_repeats=3)
    run = measure_latency(variants, config)
    first_five = list(itertools.islice(run, 5))
    run.close()  # what a Stop button does: the generator is never resumed
    assert len(first_five) == 5 and first_five[-1].rows == []
    assert "warm-up" in first_five[-1].message


def test_summary_statistics():
    row = summarize("adapters", 1, 16, [10.0, 12.0, 11.0, 50.0, 9.0], base_median=10.0)
    assert row.median_ms == 11.0 and row.min_ms == 9.0 and row.max_ms == 50.0
    assert (row.q1_ms, row.q3_ms) == (10.0, 12.0)
    assert row.overhead_pct == pytest.approx(10.0)


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
    assert default_latency_config("cpu").settings == [(1, 16), (1, 64), (4, 16), (4, 64)]
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
