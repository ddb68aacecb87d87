"""Experiments on the bundled model: the "rank" preset's grid (r = 2 / 8 / 32 on the quick preset), what the
r = 8 run learned (its singular values, the rank explorer on the module that moved most, the merge check),
and a stopped run resumed against the same run uninterrupted. Everything goes through the Studio, as the
Runs and What it learned tabs use it.

    python -m bench experiments          # about 10 minutes on 2 CPU cores
"""

from __future__ import annotations

import tempfile
import threading

from playground import models


def _drain(events, stop_at: int | None = None, stop: threading.Event | None = None):
    last = None
    losses = {}
    for event in events:
        if event.kind == "step":
            losses[event.step] = event.loss
            if stop_at is not None and event.step == stop_at:
                stop.set()
        last = event
    return last, losses


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    from playground.finetune import preset
    from playground.finetune import learned
    from playground.studio import Studio

    steps = 6 if quick else 20
    studio = Studio(tempfile.mkdtemp(prefix="bench-experiments-"))
    owner = studio.open()
    base = preset("quick", model_id=models.BUNDLED_ID, steps=steps, eval_examples=12)
    _drain(studio.experiment(owner, "rank", base))
    experiment_id = studio.experiments(owner)[-1]["id"]
    runs = studio.experiment_runs(owner, experiment_id)
    out = []
    for run in runs:
        summary = run.summary
        held_out = [entry["eval_loss"] for entry in summary["history"] if "eval_loss" in entry]
        train = [entry["loss"] for entry in summary["history"] if "loss" in entry]
        metric = "; ".join(f"{name} {value:.2f} → {summary['metric_after'][name]:.2f}"
                           for name, value in (summary["metric_before"] or {}).items())
        out.append((f"rank grid, {steps} steps (quick preset, bundled SmolLM2-135M): {run.summary['experiment']['variant']}",
                    "train loss / held-out loss / metric before → after / tokens/s / peak MiB / wall",
                    f"{train[-1]:.3f} / {held_out[-1]:.3f} / {metric} / {summary['tokens_per_s']:.0f} / "
                    f"{summary['peak_memory_bytes'] / 2**20:.0f} / {summary['wall_s']:.0f} s"))

    r8 = next(run for run in runs if run.config.rank == 8)
    analysis = learned.analyze_run(studio.pool, r8)
    top = analysis.moved_most(1)[0]
    out.append(("what the r = 8 run learned", "modules / median k for 90 % energy / moved most (‖ΔW‖/‖W₀‖, top-1 energy)",
                f"{len(analysis.modules)} / {analysis.effective_rank():g} / layer {top.layer} {top.projection} "
                f"({top.relative:.2e}, {top.top1:.2f})"))
    sweep = learned.rank_sweep_run(studio.pool, r8, top.layer, top.projection)
    losses = ", ".join(f"k={point.k}: {point.loss:.4f}" for point in sweep.points)
    out.append((f"rank explorer, layer {top.layer} {top.projection} ({sweep.examples} held-out examples)",
                "held-out loss by k (full update / adapter off)",
                f"{losses} ({sweep.full_loss:.4f} / {sweep.adapter_off_loss:.4f}); {sweep.seconds:.0f} s"))
    check = learned.merge_check_run(r8)
    out.append(("merge checked (W₀ + ΔW vs unmerged, float32)", "max |Δlogit| / relative / vs served 4-bit",
                f"{check.max_abs:.2e} / {check.relative:.2e} / {check.served_max_abs:.2e}"))

    # resume: a run stopped at half its steps and resumed, against the same run uninterrupted (dropout 0)
    exact = dict(dropout=0.0, eval_every=0, eval_examples=0)
    whole = studio.open()
    _, straight = _drain(studio.finetune(whole, preset("quick", model_id=models.BUNDLED_ID, steps=steps, **exact)))
    parts = studio.open()
    stop = threading.Event()
    session = studio.session(parts)
    events = studio.finetune(parts, preset("quick", model_id=models.BUNDLED_ID, steps=steps, **exact))
    first = {}
    for event in events:
        if event.kind == "step":
            first[event.step] = event.loss
            if event.step == steps // 2:
                session.stop.set()
    _, resumed = _drain(studio.resume(parts, studio.runs(parts)[-1].run_id))
    both = {**first, **resumed}
    worst = max(abs(both[step] - straight[step]) / abs(straight[step]) for step in straight)
    out.append((f"resume: stopped at step {steps // 2} of {steps}, resumed (dropout 0)",
                "max relative loss difference against the uninterrupted run, every step",
                f"{worst:.1e}"))
    return out
