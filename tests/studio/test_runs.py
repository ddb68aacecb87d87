"""Runs side by side from real tiny-model runs: the runs table, the settings that differ, the overlaid curves and
the measures by run (no Gradio)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from playground import models
from playground.finetune import ALL_PROJECTIONS, FinetuneConfig
from playground.i18n import using
from playground.studio import Run, Studio
from playground.studio import runs as runs_view
from tests.studio.test_sessions import TINY


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """run1 r=2 α=4, run2 r=8 α=16, run3 r=8 α=16 on q and v only: three real tiny-model runs in one session."""
    models.load_model(models.TINY_ID)
    studio = Studio(tmp_path_factory.mktemp("studio"))
    owner = studio.open()
    for changes in (dict(rank=2, alpha=4.0), dict(rank=8, alpha=16.0),
                    dict(rank=8, alpha=16.0, target_modules=("q_proj", "v_proj"))):
        final = None
        for final in studio.finetune(owner, FinetuneConfig(**{**TINY, **changes})):
            pass
        assert final.kind == "done", final.message
    runs = studio.runs(owner)
    assert [run.run_id for run in runs] == ["run1", "run2", "run3"]
    return studio, owner, runs


def test_the_settings_table_lists_exactly_the_fields_that_differ(three_runs):
    _, _, runs = three_runs
    columns, rows = runs_view.settings_diff(runs)
    assert columns == ["setting", "run1", "run2", "run3"]
    assert rows == [["rank", "2", "8", "8"], ["alpha", "4", "16", "16"],
                    ["target modules", ", ".join(ALL_PROJECTIONS), ", ".join(ALL_PROJECTIONS), "q_proj, v_proj"]]
    columns, rows = runs_view.settings_diff(runs[1:])  # run2 and run3 differ in their target modules only
    assert rows == [["target modules", ", ".join(ALL_PROJECTIONS), "q_proj, v_proj"]]
    assert runs_view.settings_diff([runs[0], runs[0]])[1] == []  # nothing differs: no rows (the page says so)
    with using("ko"):
        assert runs_view.settings_diff(runs[:2])[1][0][0] == "랭크(rank)"


def test_the_overlay_has_a_train_and_a_held_out_trace_per_run_with_the_histories_values(three_runs):
    _, _, runs = three_runs
    figure = runs_view.overlay_figure(runs, log_y=False)
    assert len(figure.data) == 6
    assert [trace.name for trace in figure.data] == [
        "run1 · r=2 train", "run1 · r=2 held-out", "run2 · r=8 train", "run2 · r=8 held-out",
        "run3 · r=8 train", "run3 · r=8 held-out"]
    for index, run in enumerate(runs):
        train, held_out = figure.data[2 * index], figure.data[2 * index + 1]
        history = run.summary["history"]
        assert list(train.x) == [e["step"] for e in history if "loss" in e] == [1, 2, 3]
        assert list(train.y) == [e["loss"] for e in history if "loss" in e]
        assert list(held_out.x) == [0, 3]  # eval_every=0: before training and at its end
        assert list(held_out.y) == [e["eval_loss"] for e in history if "eval_loss" in e]
        assert train.mode == "lines" and held_out.mode == "lines+markers" and held_out.line.dash == "dash"
        assert train.line.color == held_out.line.color  # one color per run
    assert len({figure.data[i].line.color for i in (0, 2, 4)}) == 3
    assert figure.layout.yaxis.type == "linear"
    logged = runs_view.overlay_figure(runs, log_y=True)
    assert logged.layout.yaxis.type == "log" and "log scale" in logged.layout.yaxis.title.text
    assert list(logged.data[0].y) == list(figure.data[0].y)


def test_runs_rows_carry_the_summaries_numbers(three_runs):
    _, _, runs = three_runs
    assert runs_view.runs_columns() == ["run", "dataset", "status", "key settings", "final train loss",
                                        "final held-out loss", "metric before → after", "tokens/s",
                                        "peak memory (MiB)", "wall time (s)"]
    rows = runs_view.runs_rows(runs)
    for row, run in zip(rows, runs):
        summary = run.summary
        losses = [e["loss"] for e in summary["history"] if "loss" in e]
        held_out = [e["eval_loss"] for e in summary["history"] if "eval_loss" in e]
        assert row[:3] == [run.run_id, "sentiment", "done"]
        assert row[4] == round(losses[-1], 4) and row[5] == round(held_out[-1], 4)
        before, after = summary["metric_before"]["score"], summary["metric_after"]["score"]
        full = summary["metric_full_precision"]["score"]
        assert row[6] == f"{before:.2f} → {after:.2f} (full precision {full:.2f})"
        assert row[7] == summary["tokens_per_s"] > 0
        assert row[8] == round(summary["peak_memory_bytes"] / 2**20, 1) > 0
        assert row[9] == summary["wall_s"] > 0
    assert rows[0][3] == "NF4 + DQ · r=2 α=4 · all projections · lr 0.05 · 3 steps"
    assert rows[2][3] == "NF4 + DQ · r=8 α=16 · q, v · lr 0.05 · 3 steps"


def test_measures_side_by_side(three_runs):
    _, _, runs = three_runs
    columns, rows = runs_view.metrics_rows(runs)
    assert columns == ["measure", "run1", "run2", "run3"]
    by_label = {row[0]: row[1:] for row in rows}
    losses = [[e["loss"] for e in run.summary["history"] if "loss" in e] for run in runs]
    assert by_label["final train loss"] == [round(loss[-1], 4) for loss in losses]
    assert by_label["train loss, mean of the last 5 steps"] == [round(sum(loss) / len(loss), 4) for loss in losses]
    assert by_label["exact-answer rate: 4-bit base"] == [round(run.summary["metric_before"]["score"], 4)
                                                         for run in runs]
    assert by_label["exact-answer rate: 4-bit + LoRA"] == [round(run.summary["metric_after"]["score"], 4)
                                                           for run in runs]
    # the same full-precision model for all three (cached per model and dataset)
    assert len(set(by_label["exact-answer rate: full precision"])) == 1
    assert by_label["tokens/s"] == [run.summary["tokens_per_s"] for run in runs]
    assert by_label["trainable parameters"] == [run.summary["trainable_params"] for run in runs]
    # r=2 → r=8 on the same projections: 4× the LoRA parameters; q and v only: fewer
    assert by_label["trainable parameters"][1] == 4 * by_label["trainable parameters"][0]
    assert by_label["trainable parameters"][2] < by_label["trainable parameters"][1]
    assert by_label["steps done"] == [3, 3, 3]


def test_a_comparison_needs_two_runs_and_at_most_the_sessions_cap(three_runs):
    studio, _, runs = three_runs
    assert [run.run_id for run in runs_view.pick(runs, ["run3", "run1"], studio.max_runs)] == ["run1", "run3"]
    with pytest.raises(ValueError, match=r"pick at least 2 runs to compare \(1 picked; this session has 3\)"):
        runs_view.pick(runs, ["run1"], studio.max_runs)
    with pytest.raises(ValueError, match="pick at least 2"):
        runs_view.pick(runs, [], studio.max_runs)
    with pytest.raises(ValueError, match=r"pick at most 2 runs to compare \(3 picked\)"):
        runs_view.pick(runs, ["run1", "run2", "run3"], 2)
    with pytest.raises(ValueError, match="no run 'run9' in this session"):
        runs_view.pick(runs, ["run1", "run9"], studio.max_runs)
    assert runs_view.default_selection(runs) == ["run1", "run2", "run3"]
    assert runs_view.default_selection(runs, last=2) == ["run2", "run3"]


def _derived(run: Run, run_id: str, **summary) -> Run:
    """`run` under another id, with more in its summary (what an experiment or a resume registers)."""
    return dataclasses.replace(run, run_id=run_id, summary={**run.summary, **summary}, adapter_dir=Path(run_id))


def test_statuses_and_the_latest_experiment_as_the_default_selection(three_runs):
    _, _, runs = three_runs
    stopped = _derived(runs[0], "run4", stopped=True, steps_done=2)
    resumed = _derived(runs[0], "run5", resumed_from="run1")
    grid = [_derived(runs[i], f"run{6 + i}", experiment={"id": "exp1", "name": "rank", "variant": f"r={r}",
                                                         "index": i, "count": 2})
            for i, r in enumerate((2, 8))]
    statuses = [runs_view.status(run) for run in (stopped, resumed, *grid)]
    assert statuses == ["stopped at 2", "done · resumed from run1", "done · r=2 (experiment exp1, 1/2)",
                        "done · r=8 (experiment exp1, 2/2)"]
    assert runs_view.default_selection([*runs, *grid, stopped]) == ["run6", "run7"]
    with using("ko"):
        assert runs_view.status(resumed) == "완료 · run1에서 이어서 학습"
    fp4 = _derived(runs[0], "run8", experiment={"id": "exp2", "name": "quant_type", "variant": "FP4", "index": 1,
                                                "count": 2})
    assert runs_view.overlay_figure([fp4], False).data[0].name == "run8 · FP4 train"
    # the pickers name a variant unless the label already says it (r=2)
    assert runs_view.choice_label(fp4) == "run8 · sentiment · 3 steps · r=2 · FP4"
    assert runs_view.choice_label(grid[0]) == grid[0].label == "run6 · sentiment · 3 steps · r=2"


def test_values_are_formatted_readably():
    assert runs_view.format_value("learning_rate", 3e-4) == "0.0003"
    assert runs_view.format_value("alpha", 16.0) == "16"
    assert runs_view.format_value("double_quant", False) == "off"
    assert runs_view.format_value("device", None) == "auto"
    assert runs_view.format_value("target_modules", ("q_proj", "v_proj")) == "q_proj, v_proj"
    with using("ko"):
        assert runs_view.format_value("double_quant", True) == "켬"
