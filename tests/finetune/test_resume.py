"""Resuming a run: a stopped run continued from its training state gives the steps an uninterrupted run gives."""

from __future__ import annotations

import threading

import pytest
import torch

from playground import finetune as ft
from playground import models
from playground.datasets import example
from playground.finetune import engine
from playground.finetune.result import TRAINING_STATE, load_training_state, save_training_state

TINY = dict(model_id=models.TINY_ID, dataset="sentiment", steps=10, batch_size=2, max_length=96, warmup_steps=2,
            eval_every=0, eval_examples=0, learning_rate=0.05, device="cpu")
TOLERANCE = 1e-5  # relative, per step loss and per LoRA weight


def _lora(model) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters() if "lora_" in name}


def _losses(events) -> dict[int, float]:
    return {event.step: event.loss for event in events if event.kind == "step"}


def _stopped_after(config, step: int, **kwargs):
    """The run's events, stopped when step `step`'s event arrives (in-process runs are synchronous)."""
    stop = threading.Event()
    events = []
    for event in ft.run_finetune(config, stop=stop, **kwargs):
        events.append(event)
        if event.kind == "step" and event.step == step:
            stop.set()
    return events


def _max_relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b).abs() / b.abs().clamp_min(1e-8)).max())


@pytest.mark.parametrize("dropout", [0.0, 0.1])
def test_a_stopped_run_resumed_gives_the_uninterrupted_runs_steps(tiny, dropout, tmp_path):
    config = ft.FinetuneConfig(**{**TINY, "dropout": dropout})
    whole = list(ft.run_finetune(config))
    first = _stopped_after(config, 5)
    stopped = first[-1].result
    assert first[-1].kind == "stopped" and stopped.steps_done == 5
    state = stopped.training_state
    assert state.steps_done == 5 and state.batches_consumed == 5 and state.total_steps == 10
    # through the saved files (the adapter + training_state.pt), as the Studio keeps a run
    ft.save_adapter(stopped, tmp_path)
    save_training_state(state, tmp_path)
    resumed = list(ft.run_finetune(config, resume=tmp_path))
    kinds = [event.kind for event in resumed]
    assert kinds[0] == "start" and kinds[1] == "step" and kinds[-1] == "done"  # no step-0 eval
    assert resumed[0].step == 5 and "resumed after step 5" in resumed[0].message
    expected, got = _losses(whole), _losses(resumed)
    assert sorted(got) == [6, 7, 8, 9, 10]
    diffs = [abs(got[step] - expected[step]) / abs(expected[step]) for step in got]
    assert max(diffs) <= TOLERANCE, diffs
    assert [e.lr for e in resumed if e.kind == "step"] == [e.lr for e in whole if e.kind == "step"][5:]
    after, reference = _lora(resumed[-1].result.model), _lora(whole[-1].result.model)
    assert after.keys() == reference.keys()
    assert max(_max_relative(after[name], reference[name]) for name in after) <= TOLERANCE
    result = resumed[-1].result
    history = result.history
    assert [entry["step"] for entry in history if "loss" in entry] == list(range(1, 11))  # old + new entries
    assert history[0] == {"step": 0, "eval_loss": whole[1].eval_loss}  # the first part's step-0 eval, kept
    assert result.steps_done == 10 and not result.stopped
    assert result.train_tokens > stopped.train_tokens and result.wall_s > stopped.wall_s


def test_a_finished_run_trains_more_steps_with_the_schedule_recomputed(tiny):
    config = ft.FinetuneConfig(**{**TINY, "steps": 4})
    first = list(ft.run_finetune(config))
    state = first[-1].result.training_state
    longer = ft.FinetuneConfig(**{**TINY, "steps": 7})
    more = list(ft.run_finetune(longer, resume=state))
    steps = [event for event in more if event.kind == "step"]
    assert [event.step for event in steps] == [5, 6, 7]
    # from step 5 on: the cosine over the new total of 7 steps, from the current step
    assert [event.lr for event in steps] == [0.05 * engine._lr_factor(step, 2, 7) for step in (4, 5, 6)]
    assert more[-1].result.steps_done == 7 and len(more[-1].result.history) == len(first[-1].result.history) + 4


def test_resuming_refuses_other_settings_data_or_no_steps_left(tiny, tmp_path):
    config = ft.FinetuneConfig(**{**TINY, "steps": 3})
    result = list(ft.run_finetune(config))[-1].result
    state = result.training_state
    with pytest.raises(ValueError, match=r"taken with other settings \(rank, alpha\)"):
        ft.run_finetune(ft.FinetuneConfig(**{**TINY, "steps": 6, "rank": 4, "alpha": 8.0}), resume=state)
    with pytest.raises(ValueError, match="not the ones the run trained on"):
        ft.run_finetune(ft.FinetuneConfig(**{**TINY, "steps": 6}), resume=state,
                        examples=[example(f"Say {n}", f"{n}!") for n in range(8)])
    with pytest.raises(ValueError, match="resuming needs more than 3 steps in all"):
        ft.run_finetune(config, resume=state)
    with pytest.raises(ValueError, match="no saved training state"):
        ft.run_finetune(config, resume=tmp_path)


def test_the_saved_state_loads_with_weights_only_and_holds_no_lora_copy(tiny, tmp_path):
    result = list(ft.run_finetune(ft.FinetuneConfig(**{**TINY, "steps": 2})))[-1].result
    ft.save_adapter(result, tmp_path)
    save_training_state(result.training_state, tmp_path)
    data = torch.load(tmp_path / TRAINING_STATE, weights_only=True)
    assert "lora" not in data and data["steps_done"] == 2
    moments = sum(t.numel() for s in data["optimizer"]["state"].values() for k, t in s.items() if k != "step")
    assert moments == 2 * result.trainable_params  # AdamW's two moments per LoRA parameter, nothing more
    loaded = load_training_state(tmp_path)
    assert loaded.lora.keys() == result.training_state.lora.keys()
    assert all(torch.equal(loaded.lora[k], v) for k, v in result.training_state.lora.items())


def test_resuming_in_a_child_process_gives_the_same_steps(tiny, tmp_path):
    """The server's way: stopped in its own process, the state saved beside the adapter, resumed in another."""
    from playground.finetune.process import run_in_process

    config = ft.FinetuneConfig(**{**TINY, "steps": 6})
    whole = list(run_in_process(config, adapter_dir=tmp_path / "whole"))
    stop = threading.Event()
    for event in run_in_process(config, stop=stop, adapter_dir=tmp_path / "first"):
        if event.kind == "step" and event.step == 3:
            stop.set()
    assert event.kind == "stopped" and event.result.steps_done == 3 and event.result.training_state is None
    assert (tmp_path / "first" / TRAINING_STATE).is_file()
    resumed = list(run_in_process(config, adapter_dir=tmp_path / "second", resume=tmp_path / "first"))
    expected, got = _losses(whole), _losses(resumed)
    assert sorted(got) == [4, 5, 6]
    assert max(abs(got[step] - expected[step]) / expected[step] for step in got) <= TOLERANCE
    final, reference = load_training_state(tmp_path / "second"), load_training_state(tmp_path / "whole")
    assert final.steps_done == 6 and final.history[-1]["step"] == 6
    assert max(_max_relative(final.lora[name], reference.lora[name]) for name in reference.lora) <= TOLERANCE


def test_a_resumed_run_stopped_before_its_first_new_step_adds_nothing(tiny):
    state = list(ft.run_finetune(ft.FinetuneConfig(**{**TINY, "steps": 2})))[-1].result.training_state
    stop = threading.Event()
    stop.set()
    final = list(ft.run_finetune(ft.FinetuneConfig(**{**TINY, "steps": 4}), stop=stop, resume=state))[-1]
    assert final.kind == "stopped" and final.result.steps_done == final.result.resumed_at == 2  # the Studio keeps none
