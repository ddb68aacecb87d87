"""A fine-tune in its own process: the same events and adapter as in-process, stop, close and a dying child."""

from __future__ import annotations

import threading

import psutil
import pytest
import torch

from playground import models
from playground.finetune import FinetuneConfig, run_finetune, run_in_process
from playground.finetune import process as P

TINY = dict(model_id=models.TINY_ID, dataset="sentiment", steps=4, batch_size=2, max_length=96, warmup_steps=1,
            eval_every=2, eval_examples=2, learning_rate=0.05, device="cpu", dropout=0.0)


def training_children() -> list[psutil.Process]:
    """The runs training now: children of this process's fork server (other descendants, such as a browser
    test's app server and its own fork server, are not)."""
    return [psutil.Process(pid) for pid in P.running_children()]


def test_the_same_run_in_its_own_process_gives_the_same_events_and_adapter(tiny, tmp_path):
    from peft import PeftModel

    config = FinetuneConfig(**TINY)
    here = list(run_finetune(config))
    there = list(run_in_process(config, adapter_dir=tmp_path / "adapter"))
    assert [event.kind for event in there] == [event.kind for event in here]
    assert [event.step for event in there] == [event.step for event in here]
    losses = lambda events: [event.loss for event in events if event.kind == "step"]  # noqa: E731
    assert losses(there) == pytest.approx(losses(here), rel=1e-4)  # one thread there, the default here
    result = there[-1].result
    assert result.model is None and result.adapter_dir == tmp_path / "adapter" and result.steps_done == 4
    assert result.summary()["metric_after"] == here[-1].result.summary()["metric_after"]
    # the adapter it saved is the one it trained: loaded with peft, it gives the in-process run's logits
    ids = torch.tensor([[1, 9690, 198, 2683, 359, 253, 5356]])
    reloaded = PeftModel.from_pretrained(models.load_4bit(models.TINY_ID), result.adapter_dir).eval()
    with torch.no_grad():
        expected = here[-1].result.model(input_ids=ids).logits
        assert torch.allclose(reloaded(input_ids=ids).logits, expected, atol=1e-4)
    assert training_children() == []  # the child has exited


def test_settings_are_refused_before_any_process_starts():
    with pytest.raises(ValueError, match="estimated at"):
        run_in_process(FinetuneConfig(**{**TINY, "steps": 500, "batch_size": 64}), max_seconds=1)
    assert training_children() == []


def test_stop_ends_the_run_after_its_step_and_the_child_exits(tiny, tmp_path):
    stop = threading.Event()
    events = []
    for event in run_in_process(FinetuneConfig(**{**TINY, "steps": 200, "eval_every": 0}), stop=stop,
                                adapter_dir=tmp_path / "adapter"):
        events.append(event)
        if event.kind == "step" and event.step == 2:
            stop.set()
    assert events[-1].kind == "stopped" and 2 <= events[-1].step < 200
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()  # a stopped run keeps what it learned
    assert (tmp_path / "adapter" / "training_state.pt").is_file()  # and what resuming it needs
    assert events[-1].result.training_state is None  # sent back without it: it is on disk
    assert training_children() == []


def training_run(folder):
    """A long run, started and followed up to its first step."""
    events = run_in_process(FinetuneConfig(**{**TINY, "steps": 200, "eval_every": 0}), adapter_dir=folder)
    for event in events:
        if event.kind == "step":
            return events
    raise AssertionError("the run ended before its first step")


def test_closing_the_generator_stops_and_reaps_the_child(tiny, tmp_path):
    events = training_run(tmp_path / "a")
    assert len(training_children()) == 1
    events.close()  # a session reaped, a server shutting down
    assert training_children() == []


def test_a_child_that_dies_is_a_message_not_a_hang(tiny, tmp_path):
    events = training_run(tmp_path / "a")
    (child,) = training_children()
    child.kill()  # what the kernel's OOM killer does
    with pytest.raises(ValueError, match=r"ended without finishing \(exit code -9, killed"):
        list(events)


def test_training_threads_leave_a_core_to_the_server():
    cores = len(psutil.Process().cpu_affinity())
    assert P.training_threads("cpu") == max(1, cores - 1)
    assert P.training_threads("cuda") is None
