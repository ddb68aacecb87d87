"""Sessions, the shared fine-tune queue, per-session runs, compare and export (no Gradio)."""

from __future__ import annotations

import threading
import zipfile

import pytest
import torch

from playground import models
from playground.finetune import FinetuneConfig
from playground.generation import Decoding, generate
from playground.studio import FinetuneQueue, QueueFull, Studio, loss_figure

TINY = dict(model_id=models.TINY_ID, dataset="sentiment", steps=3, batch_size=2, max_length=96, warmup_steps=1,
            eval_every=0, eval_examples=2, learning_rate=0.05, device="cpu")


def test_queue_is_first_come_first_served_with_positions():
    queue = FinetuneQueue(concurrent=1, max_waiting=2)
    first, second, third = queue.join("a"), queue.join("b"), queue.join("c")
    assert [queue.position(t) for t in (first, second, third)] == [0, 1, 2]
    with pytest.raises(QueueFull, match="limit is 2"):
        queue.join("d")
    stop = threading.Event()
    waiting = queue.wait(third, stop, poll_s=0.01)
    assert next(waiting) == 2
    queue.release(first)
    assert queue.position(second) == 0 and next(waiting) == 1
    queue.release(second)
    assert list(waiting) == [] and queue.position(third) == 0
    queue.release(third)
    assert queue.running == queue.waiting == 0


def test_a_stopped_waiter_leaves_the_line():
    queue = FinetuneQueue(concurrent=1, max_waiting=4)
    running, waiter = queue.join("a"), queue.join("b")
    stop = threading.Event()
    stop.set()
    assert list(queue.wait(waiter, stop)) == []
    assert queue.waiting == 0 and queue.running == 1
    queue.release(running)


def test_waiting_run_reports_its_position(tiny, tmp_path):
    studio = Studio(tmp_path, FinetuneQueue(concurrent=1, max_waiting=4))
    blocker = studio.queue.join("someone else")
    events = studio.finetune("s1", FinetuneConfig(**TINY))
    first = next(events)
    assert first.kind == "waiting" and first.message == "waiting: position 1"
    studio.queue.release(blocker)
    kinds = [event.kind for event in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert studio.queue.running == 0


@pytest.fixture
def studio_with_run(tiny, tmp_path):
    studio = Studio(tmp_path)
    final = None
    for final in studio.finetune("alice", FinetuneConfig(**TINY)):
        pass
    assert final.kind == "done" and "saved as run1" in final.message
    return studio


def test_runs_are_per_session(studio_with_run):
    studio = studio_with_run
    assert [run.run_id for run in studio.runs("alice")] == ["run1"]
    assert studio.runs("bob") == []
    with pytest.raises(ValueError, match="no run 'run1' in this session"):
        studio.compare("bob", ["hi"], "run1")
    with pytest.raises(ValueError, match="no run"):
        studio.export("bob", "run1")
    assert studio.session("alice").folder != studio.session("bob").folder


def test_compare_answers_three_ways_and_the_export_reproduces_them(studio_with_run, tmp_path):
    from peft import PeftModel

    studio = studio_with_run
    prompts = ["Classify the sentiment of this review: The lamp is great.", "Hello"]
    rows = studio.compare("alice", prompts, "run1", Decoding(max_new_tokens=8))
    assert [row["prompt"] for row in rows] == prompts
    assert all(row["full_precision"] is not None and row["base_4bit"] is not None for row in rows)
    lora = [row["lora_4bit"] for row in rows]
    no_adapter = studio.compare("alice", prompts, None, Decoding(max_new_tokens=8), model_id=models.TINY_ID)
    assert [row["lora_4bit"] for row in no_adapter] == ["", ""]
    assert [row["base_4bit"] for row in no_adapter] == [row["base_4bit"] for row in rows]

    archive = studio.export("alice", "run1")
    assert archive.is_relative_to(studio.session("alice").folder)
    with zipfile.ZipFile(archive) as handle:
        assert {"run1-adapter/adapter_config.json", "run1-adapter/adapter_model.safetensors",
                "run1-adapter/metrics.json"} <= set(handle.namelist())
        handle.extractall(tmp_path / "unzipped")
    reloaded = PeftModel.from_pretrained(models.load_4bit(models.TINY_ID), tmp_path / "unzipped" / "run1-adapter")
    assert generate(reloaded, models.load_tokenizer(models.TINY_ID), prompts, Decoding(max_new_tokens=8)) == lora
    # the random tiny model often answers with an end token at once, so compare the logits too: bit-exact
    session = studio.session("alice")
    served = session.compare_models[studio.run("alice", "run1").quant_key]
    ids = torch.tensor([[1, 9690, 198, 2683, 359, 253, 5356]])
    with torch.no_grad():
        served.set_adapter("run1")
        expected = served(input_ids=ids).logits
        assert torch.equal(reloaded.eval()(input_ids=ids).logits, expected)
        with reloaded.disable_adapter():
            assert (reloaded(input_ids=ids).logits - expected).abs().max() > 1e-2


def test_adapter_switching_between_runs(studio_with_run):
    studio = studio_with_run
    for _ in studio.finetune("alice", FinetuneConfig(**{**TINY, "seed": 1, "learning_rate": 0.2})):
        pass
    assert [run.run_id for run in studio.runs("alice")] == ["run1", "run2"]
    session = studio.session("alice")
    served = session.compare_models[studio.run("alice", "run1").quant_key]
    assert set(served.peft_config) == {"run1", "run2"}  # one base, two adapters by name
    ids = torch.tensor([[1, 9690, 198, 2683, 359, 253, 5356]])

    def logits(run_id):
        studio.lora_answers("alice", run_id, ["Hello"], Decoding(max_new_tokens=2))  # switches the adapter
        with torch.no_grad():
            return served(input_ids=ids).logits

    first, second = logits("run1"), logits("run2")
    assert (first - second).abs().max() > 1e-2
    assert torch.equal(logits("run1"), first)
    table = studio.metrics_table("alice", "run1")
    assert table[0][0] == "exact-answer rate" and table[-1][0] == "held-out loss"


def test_closing_a_session_deletes_its_files_and_runs(studio_with_run):
    studio = studio_with_run
    folder = studio.session("alice").folder
    assert (folder / "run1" / "adapter_model.safetensors").exists()
    studio.close("alice")
    assert not folder.exists()
    assert studio.runs("alice") == []  # a new, empty session under the same id


def test_one_run_per_session_at_a_time(tiny, tmp_path):
    studio = Studio(tmp_path)
    events = studio.finetune("alice", FinetuneConfig(**{**TINY, "steps": 20}))
    next(events)
    with pytest.raises(ValueError, match="already has a fine-tune"):
        next(studio.finetune("alice", FinetuneConfig(**TINY)))
    assert studio.stop("alice")
    kinds = [event.kind for event in events]
    assert kinds[-1] == "stopped"
    assert not studio.stop("alice")


def test_closing_the_session_mid_run_stops_it(tiny, tmp_path):
    studio = Studio(tmp_path)
    events = studio.finetune("alice", FinetuneConfig(**{**TINY, "steps": 30}))
    for event in events:
        if event.kind == "step":
            studio.close("alice")
    assert event.kind == "stopped" and event.result.steps_done < 30
    assert studio.queue.running == 0


def test_loss_figure_has_train_and_held_out_lines():
    figure = loss_figure([{"step": 0, "eval_loss": 3.0}, {"step": 1, "loss": 2.5}, {"step": 2, "loss": 2.0},
                          {"step": 2, "eval_loss": 2.2}])
    assert [trace.name for trace in figure.data] == ["train", "held-out"]
    assert list(figure.data[0].y) == [2.5, 2.0] and list(figure.data[1].x) == [0, 2]


def test_first_use_of_the_shared_4bit_base_is_safe_from_many_threads(tiny, monkeypatch):
    # bitsandbytes may repack 4-bit weights in place on the first no-grad forward: a workshop's first
    # compare clicks arrive together, and every one must get the answer a single user would.
    from playground import studio

    monkeypatch.setattr(studio, "_shared_4bit", {})
    key = (models.TINY_ID, "nf4", True)
    prompts = ["Hello there", "What is two plus two?"]
    decoding = Decoding(max_new_tokens=8)
    reference = generate(models.load_4bit(models.TINY_ID).eval(), tiny.tokenizer, prompts, decoding)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(
        generate(studio.shared_4bit(key), tiny.tokenizer, prompts, decoding))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [reference] * 4
