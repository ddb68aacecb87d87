"""Sessions with an owner and a lifetime, their runs, compare through the shared pool, export (no Gradio)."""

from __future__ import annotations

import threading
import zipfile

import pytest
import torch

from playground import models
from playground.datasets import example
from playground.finetune import FinetuneConfig
from playground.generation import Decoding, generate
from playground.studio import AdapterPool, FinetuneQueue, Studio, loss_figure

TINY = dict(model_id=models.TINY_ID, dataset="sentiment", steps=3, batch_size=2, max_length=96, warmup_steps=1,
            eval_every=0, eval_examples=2, learning_rate=0.05, device="cpu")


def test_waiting_run_reports_its_position(tiny, tmp_path):
    studio = Studio(tmp_path, FinetuneQueue(concurrent=1, max_waiting=4))
    blocker = studio.queue.join("someone else")
    events = studio.finetune(studio.open(), FinetuneConfig(**TINY))
    first = next(events)
    assert first.kind == "waiting" and first.message == "waiting: position 1"
    studio.queue.release(blocker)
    kinds = [event.kind for event in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert studio.queue.running == 0


@pytest.fixture
def studio_with_run(tiny, tmp_path):
    """A studio where alice (an owner token) has trained run1 and bob has an empty session."""
    studio = Studio(tmp_path)
    alice, bob = studio.open(), studio.open()
    final = None
    for final in studio.finetune(alice, FinetuneConfig(**TINY)):
        pass
    assert final.kind == "done" and "saved as run1" in final.message
    return studio, alice, bob


def test_runs_are_per_session(studio_with_run):
    studio, alice, bob = studio_with_run
    assert [run.run_id for run in studio.runs(alice)] == ["run1"]
    assert studio.runs(bob) == []
    with pytest.raises(ValueError, match="no run 'run1' in this session"):
        studio.compare(bob, ["hi"], "run1")
    with pytest.raises(ValueError, match="no run"):
        studio.export(bob, "run1")
    assert studio.session(alice).folder != studio.session(bob).folder


def test_compare_answers_three_ways_and_the_export_reproduces_them(studio_with_run, tmp_path):
    from peft import PeftModel

    studio, alice, bob = studio_with_run
    prompts = ["Classify the sentiment of this review: The lamp is great.", "Hello"]
    rows = studio.compare(alice, prompts, "run1", Decoding(max_new_tokens=8))
    assert [row["prompt"] for row in rows] == prompts
    assert all(row["full_precision"] is not None and row["base_4bit"] is not None for row in rows)
    lora = [row["lora_4bit"] for row in rows]
    no_adapter = studio.compare(alice, prompts, None, Decoding(max_new_tokens=8), model_id=models.TINY_ID)
    assert [row["lora_4bit"] for row in no_adapter] == ["", ""]
    assert [row["base_4bit"] for row in no_adapter] == [row["base_4bit"] for row in rows]

    archive = studio.export(alice, "run1")
    assert archive.is_relative_to(studio.session(alice).folder)
    with zipfile.ZipFile(archive) as handle:
        assert {"run1-adapter/adapter_config.json", "run1-adapter/adapter_model.safetensors",
                "run1-adapter/metrics.json"} <= set(handle.namelist())
        handle.extractall(tmp_path / "unzipped")
    reloaded = PeftModel.from_pretrained(models.load_4bit(models.TINY_ID), tmp_path / "unzipped" / "run1-adapter")
    assert generate(reloaded, models.load_tokenizer(models.TINY_ID), prompts, Decoding(max_new_tokens=8)) == lora
    # the random tiny model often answers with an end token at once, so compare the logits too: bit-exact
    run = studio.run(alice, "run1")
    ids = torch.tensor([[1, 9690, 198, 2683, 359, 253, 5356]])
    with torch.no_grad(), studio.pool.use(run.quant_key, run.adapter_dir) as served:
        expected = served(input_ids=ids).logits
        assert torch.equal(reloaded.eval()(input_ids=ids).logits, expected)
        with reloaded.disable_adapter():
            assert (reloaded(input_ids=ids).logits - expected).abs().max() > 1e-2


def test_adapter_switching_between_runs(studio_with_run):
    studio, alice, bob = studio_with_run
    for _ in studio.finetune(alice, FinetuneConfig(**{**TINY, "seed": 1, "learning_rate": 0.2})):
        pass
    assert [run.run_id for run in studio.runs(alice)] == ["run1", "run2"]
    ids = torch.tensor([[1, 9690, 198, 2683, 359, 253, 5356]])

    def logits(run_id):
        run = studio.run(alice, run_id)
        with torch.no_grad(), studio.pool.use(run.quant_key, run.adapter_dir) as served:
            return served(input_ids=ids).logits

    first, second = logits("run1"), logits("run2")
    key = studio.run(alice, "run1").quant_key
    assert len(studio.pool.adapter_names(key)) == 2  # one shared base, both adapters in it by name
    assert (first - second).abs().max() > 1e-2
    assert torch.equal(logits("run1"), first)
    table = studio.metrics_table(alice, "run1")
    assert table[0][0] == "exact-answer rate" and table[-1][0] == "held-out loss"


def test_closing_a_session_deletes_its_files_and_runs(studio_with_run):
    studio, alice, bob = studio_with_run
    folder = studio.session(alice).folder
    assert (folder / "run1" / "adapter_model.safetensors").exists()
    studio.close(alice)
    assert not folder.exists()
    with pytest.raises(ValueError, match="this session has ended"):
        studio.runs(alice)  # the token is dead: a reload gets a new one
    assert studio.open(alice) != alice and studio.runs(bob) == []


def test_one_run_per_session_at_a_time(tiny, tmp_path):
    studio = Studio(tmp_path)
    alice = studio.open()
    events = studio.finetune(alice, FinetuneConfig(**{**TINY, "steps": 20}))
    next(events)
    with pytest.raises(ValueError, match="already has a fine-tune"):
        next(studio.finetune(alice, FinetuneConfig(**TINY)))
    assert studio.stop(alice)
    kinds = [event.kind for event in events]
    assert kinds[-1] == "stopped"
    assert not studio.stop(alice)


def test_closing_the_session_mid_run_stops_it(tiny, tmp_path):
    studio = Studio(tmp_path)
    alice = studio.open()
    events = studio.finetune(alice, FinetuneConfig(**{**TINY, "steps": 30}))
    for event in events:
        if event.kind == "step":
            studio.close(alice)
    assert event.kind == "stopped" and event.result.steps_done < 30
    assert studio.queue.running == 0


def test_loss_figure_has_train_and_held_out_lines():
    figure = loss_figure([{"step": 0, "eval_loss": 3.0}, {"step": 1, "loss": 2.5}, {"step": 2, "loss": 2.0},
                          {"step": 2, "eval_loss": 2.2}])
    assert [trace.name for trace in figure.data] == ["train", "held-out"]
    assert list(figure.data[0].y) == [2.5, 2.0] and list(figure.data[1].x) == [0, 2]


def test_a_reload_within_the_ttl_finds_the_runs_and_an_idle_session_is_reaped(studio_with_run):
    studio, alice, bob = studio_with_run
    clock = [0.0]
    studio.clock = lambda: clock[0]
    studio.session(alice), studio.session(bob)  # both seen at t = 0
    folder = studio.session(alice).folder
    clock[0] = studio.ttl_s - 1
    assert studio.open(alice) == alice and [run.run_id for run in studio.runs(alice)] == ["run1"]  # a reload
    assert studio.reap() == [] and studio.session_count == 2
    clock[0] = studio.ttl_s + 1  # bob idle for longer than the TTL, alice not
    assert studio.reap() == [bob] and studio.session_count == 1
    clock[0] = 2 * studio.ttl_s + 1
    assert studio.reap() == [alice] and not folder.exists()
    run_dir = folder / "run1"
    assert not run_dir.exists() and studio.pool.loaded_adapters == 0
    with pytest.raises(ValueError, match="this session has ended"):
        studio.export(alice, "run1")


def test_api_sessions_without_a_token_are_reaped_too(tmp_path):
    clock = [0.0]
    studio = Studio(tmp_path, ttl_s=60, clock=lambda: clock[0])
    session = studio.session_for("api:abc")
    assert studio.session_for("api:abc") is session
    clock[0] = 61
    assert studio.reap() == ["api:abc"] and not session.folder.exists()


def test_session_and_run_caps(tiny, tmp_path):
    studio = Studio(tmp_path, max_sessions=2, max_runs=1)
    alice, _ = studio.open(), studio.open()
    with pytest.raises(ValueError, match="the server has 2 open sessions, its limit"):
        studio.open()
    for _ in studio.finetune(alice, FinetuneConfig(**TINY)):
        pass
    with pytest.raises(ValueError, match="already keeps 1 runs, the most one session may keep"):
        studio.finetune(alice, FinetuneConfig(**TINY))
    assert studio.session(alice).stop is None  # the refused run left the owner's slot free


def test_admission_is_atomic_for_simultaneous_starts(tiny, tmp_path):
    studio = Studio(tmp_path)
    alice = studio.open()
    barrier, outcomes = threading.Barrier(3), []

    def start():
        barrier.wait()
        try:
            outcomes.append(studio.finetune(alice, FinetuneConfig(**{**TINY, "steps": 50})))
        except ValueError as err:
            outcomes.append(str(err))

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted = [outcome for outcome in outcomes if not isinstance(outcome, str)]
    assert len(accepted) == 1 and sum("already has a fine-tune" in str(o) for o in outcomes) == 2
    events = accepted[0]
    assert next(events).kind == "start"
    assert studio.stop(alice)  # Stop reaches the one accepted run, whichever thread started it
    assert [event.kind for event in events][-1] == "stopped"


def test_a_run_over_the_work_cap_is_refused_before_it_queues(tiny, tmp_path, monkeypatch):
    from playground.settings import Limits
    from playground.studio import sessions

    monkeypatch.setattr(sessions, "LIMITS", Limits(max_run_seconds=1))
    studio = Studio(tmp_path)
    alice = studio.open()
    with pytest.raises(ValueError, match=r"estimated at [\d,]+ s of training on cpu, more than the 1 s one run may "
                                         r"take on this server \(PLAYGROUND_MAX_RUN_SECONDS\)"):
        studio.finetune(alice, FinetuneConfig(**{**TINY, "steps": 500, "batch_size": 64, "grad_accum": 64}))
    assert studio.queue.waiting == studio.queue.running == 0 and studio.session(alice).stop is None


def test_compare_prompts_are_bounded_in_tokens(tiny, tmp_path, monkeypatch):
    from playground.settings import Limits
    from playground.studio import sessions

    monkeypatch.setattr(sessions, "LIMITS", Limits(max_prompt_tokens=8))
    studio = Studio(tmp_path)
    alice = studio.open()
    with pytest.raises(ValueError, match="longer than the 8 tokens a compare may take"):
        studio.compare(alice, ["one two three four five six seven eight nine ten"], model_id=models.TINY_ID)
    with pytest.raises(ValueError, match="a prompt of 60,000 characters is longer than the 8 tokens"):
        studio.compare(alice, ["x" * 60_000], model_id=models.TINY_ID)
    rows = studio.compare(alice, ["hello there"], model_id=models.TINY_ID, decoding=Decoding(max_new_tokens=2))
    assert rows[0]["prompt"] == "hello there"


def test_the_pool_keeps_at_most_its_adapters_and_answers_the_same_after_eviction(studio_with_run, tmp_path):
    studio, alice, bob = studio_with_run
    for seed in (1, 2):
        for _ in studio.finetune(alice, FinetuneConfig(**{**TINY, "seed": seed, "learning_rate": 0.2})):
            pass
    pool = AdapterPool(max_adapters=2)
    runs = studio.runs(alice)
    ids = torch.tensor([[1, 9690, 198, 2683, 359, 253, 5356]])

    def logits(run):
        with torch.no_grad(), pool.use(run.quant_key, run.adapter_dir) as model:
            return model(input_ids=ids).logits

    first = logits(runs[0])
    logits(runs[1]), logits(runs[2])  # the third evicts the least recently used: run1
    assert pool.loaded_adapters == 2 and len(pool.adapter_names(runs[0].quant_key)) == 2
    assert torch.equal(logits(runs[0]), first)  # loaded again from its folder, same answer
    with torch.no_grad(), pool.use(runs[0].quant_key) as base:
        plain = base(input_ids=ids).logits
    reference = models.load_4bit(models.TINY_ID).eval()
    with torch.no_grad():
        assert torch.equal(plain, reference(input_ids=ids).logits)  # "no adapter" is the plain 4-bit base
    for run in runs:
        pool.forget(run.adapter_dir)
    assert pool.loaded_adapters == 0 and pool.adapter_names(runs[0].quant_key) == set()


def test_first_use_of_the_shared_4bit_base_is_safe_from_many_threads(tiny):
    # bitsandbytes may repack 4-bit weights in place on the first no-grad forward: a workshop's first
    # compare clicks arrive together, and every one must get the answer a single user would.
    pool = AdapterPool()
    key = (models.TINY_ID, "nf4", True)
    prompts = ["Hello there", "What is two plus two?"]
    decoding = Decoding(max_new_tokens=8)
    reference = generate(models.load_4bit(models.TINY_ID).eval(), tiny.tokenizer, prompts, decoding)
    answers = []

    def answer():
        with pool.use(key) as model:
            answers.append(generate(model, tiny.tokenizer, prompts, decoding))

    threads = [threading.Thread(target=answer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [reference] * 4


def test_the_pool_keeps_at_most_its_bases(studio_with_run):
    studio, alice, bob = studio_with_run
    run = studio.run(alice, "run1")
    pool = AdapterPool(max_adapters=4, max_bases=1)
    with pool.use(run.quant_key, run.adapter_dir):
        pass
    other = (models.TINY_ID, "fp4", False)
    with pool.use(other):
        pass
    assert pool.bases == [other] and pool.loaded_adapters == 0  # the NF4 base went, and its adapter with it
    with pool.use(run.quant_key, run.adapter_dir) as model:
        assert len(model.peft_config) == 1 and pool.bases == [run.quant_key]


@pytest.mark.parametrize("own_process", [1, 0])
def test_a_run_trains_in_its_own_process_or_in_the_servers(tiny, tmp_path, monkeypatch, own_process):
    """The default (PLAYGROUND_FINETUNE_PROCESS=1) and the in-process mode keep the same run the same way."""
    from playground.finetune.process import running_children
    from playground.settings import Limits
    from playground.studio import sessions

    monkeypatch.setattr(sessions, "LIMITS", Limits(finetune_process=own_process))
    studio = Studio(tmp_path)
    alice = studio.open()
    pids = set()
    for event in studio.finetune(alice, FinetuneConfig(**TINY)):
        if event.kind == "step":
            pids |= set(running_children())  # runs training in their own process now
    assert "saved as run1" in event.message
    folder = studio.session(alice).folder
    assert sorted(path.name for path in (folder / "run1").iterdir()) == [
        "README.md", "adapter_config.json", "adapter_model.safetensors", "metrics.json", "training_state.pt"]
    assert not (folder / sessions.TRAINING_FOLDER).exists()  # the child's copy is gone once the run is kept
    assert bool(pids) == bool(own_process)  # a child trained it, or none did
    rows = studio.compare(alice, ["Hello"], "run1", Decoding(max_new_tokens=4))
    assert isinstance(rows[0]["lora_4bit"], str)


def test_a_session_remembers_the_last_compare_for_a_reload_and_forgets_it_with_the_session(tmp_path):
    studio = Studio(tmp_path)
    owner = studio.open()
    assert studio.recall(owner, "answers") is None
    studio.remember(owner, "answers", ([["hi", "a", "b", ""]], ("tiny/llama",)))
    studio.remember(owner, "answers", ([["hello", "c", "d", ""]], ("tiny/llama",)))  # replaces: one per name
    assert studio.recall(owner, "answers") == ([["hello", "c", "d", ""]], ("tiny/llama",))
    assert studio.session(owner).shown.keys() == {"answers"}
    with pytest.raises(ValueError, match="not a remembered view"):
        studio.remember(owner, "anything", 1)
    other = studio.open()
    assert studio.recall(other, "answers") is None  # sessions never see each other's
    studio.close(owner)
    with pytest.raises(ValueError, match="this session has ended"):
        studio.recall(owner, "answers")


# --------------------------------------------------------------------------- resuming a run

def _until_step(events, studio, owner, step):
    """Follow a Studio run, asking it to stop once step `step`'s event arrives; its last event."""
    for event in events:
        if event.kind == "step" and event.step == step:
            studio.stop(owner)
    return event


def test_a_stopped_run_resumes_as_a_new_run_with_the_uninterrupted_steps(tiny, tmp_path):
    """The server's way (each run in its own process): run1 stopped, resumed as run2 to its configured total;
    the steps after the stop are those of run3, the same run uninterrupted. The stopped run1 stays usable."""
    from peft import PeftModel

    studio = Studio(tmp_path)
    alice = studio.open()
    config = FinetuneConfig(**{**TINY, "steps": 6, "dropout": 0.0, "eval_examples": 0})
    last = _until_step(studio.finetune(alice, config), studio, alice, 2)
    assert last.kind == "stopped" and "saved as run1" in last.message
    run1 = studio.run(alice, "run1")
    done = run1.summary["steps_done"]
    assert 2 <= done < 6 and run1.summary["stopped"] and run1.examples is None
    # a stopped run keeps its partial adapter: it loads with peft and answers in compare
    reloaded = PeftModel.from_pretrained(models.load_4bit(models.TINY_ID), run1.adapter_dir)
    assert reloaded.peft_config["default"].r == config.rank
    rows = studio.compare(alice, ["Hello"], "run1", Decoding(max_new_tokens=4))
    assert isinstance(rows[0]["lora_4bit"], str)

    events = list(studio.resume(alice, "run1"))
    assert events[-1].kind == "done" and "saved as run2" in events[-1].message
    run2 = studio.run(alice, "run2")
    assert run2.summary["resumed_from"] == "run1" and run2.config.steps == 6 and run2.summary["steps_done"] == 6
    assert [e["step"] for e in run2.summary["history"] if "loss" in e] == list(range(1, 7))
    for _ in studio.finetune(alice, config):
        pass
    whole = {e["step"]: e["loss"] for e in studio.run(alice, "run3").summary["history"] if "loss" in e}
    resumed = {e.step: e.loss for e in events if e.kind == "step"}
    assert sorted(resumed) == list(range(done + 1, 7))
    assert all(abs(resumed[step] - whole[step]) <= 1e-5 * whole[step] for step in resumed), (resumed, whole)
    assert sorted(path.name for path in run2.adapter_dir.iterdir()) == [
        "README.md", "adapter_config.json", "adapter_model.safetensors", "metrics.json", "training_state.pt"]
    with zipfile.ZipFile(studio.export(alice, "run2")) as archive:  # the download: the adapter, not the state
        assert not any(name.endswith("training_state.pt") for name in archive.namelist())


def test_resume_refusals_come_before_anything_queues(tiny, tmp_path, monkeypatch):
    from playground.settings import Limits
    from playground.studio import sessions

    monkeypatch.setattr(sessions, "LIMITS", Limits(finetune_process=0, max_steps=8))
    studio = Studio(tmp_path)
    alice = studio.open()
    examples = [example(f"Repeat: {word}", word) for word in ("red", "green", "blue", "cyan", "pink", "gold")]
    for _ in studio.finetune(alice, FinetuneConfig(**{**TINY, "steps": 3}), examples):
        pass
    run1 = studio.run(alice, "run1")
    assert run1.examples == examples  # user data: the run keeps what it trained on
    with pytest.raises(ValueError, match="run1 finished its 3 steps: give the number of extra steps"):
        studio.resume(alice, "run1")
    with pytest.raises(ValueError, match=r"for 6 more steps makes 9 steps, more than the 8 one run may have"):
        studio.resume(alice, "run1", steps=6)
    with pytest.raises(ValueError, match="more steps"):
        studio.resume(alice, "run1", steps=0)
    with pytest.raises(ValueError, match="not the ones the run trained on"):
        studio.resume(alice, "run1", steps=2, examples=examples[::-1])
    assert studio.session(alice).stop is None and studio.queue.waiting == studio.queue.running == 0
    events = list(studio.resume(alice, "run1", steps=2))  # the run's own examples
    assert events[-1].kind == "done" and [e.step for e in events if e.kind == "step"] == [4, 5]
    run2 = studio.run(alice, "run2")
    assert run2.config.steps == 5 and run2.examples == examples and run2.summary["resumed_from"] == "run1"
    (run1.adapter_dir / "training_state.pt").unlink()
    with pytest.raises(ValueError, match="run1 kept no training state"):
        studio.resume(alice, "run1", steps=2)


# --------------------------------------------------------------------------- experiment presets

def test_an_experiment_queues_its_grid_and_keeps_each_variant_as_a_run(tiny, tmp_path, monkeypatch):
    from playground.settings import Limits
    from playground.studio import sessions

    monkeypatch.setattr(sessions, "LIMITS", Limits(finetune_process=0))
    studio = Studio(tmp_path, FinetuneQueue(concurrent=1, max_waiting=4))
    alice = studio.open()
    blocker = studio.queue.join("someone else")
    base = FinetuneConfig(**{**TINY, "steps": 2, "eval_examples": 0})
    events = studio.experiment(alice, "rank", base)
    first = next(events)
    assert first.kind == "waiting" and first.message == "LoRA rank 1/3: r=2 · waiting: position 1"
    studio.queue.release(blocker)
    events = [first, *events]
    assert studio.experiments(alice) == [{"id": "exp1", "name": "rank", "variants": ["r=2", "r=8", "r=32"]}]
    runs = studio.experiment_runs(alice, "exp1")
    assert [run.run_id for run in runs] == ["run1", "run2", "run3"]
    assert [(run.config.rank, run.config.alpha) for run in runs] == [(2, 4.0), (8, 16.0), (32, 64.0)]
    assert [run.summary["experiment"] for run in runs] == [
        {"id": "exp1", "name": "rank", "variant": label, "index": index, "count": 3}
        for index, label in enumerate(["r=2", "r=8", "r=32"])]
    assert all(run.config.steps == 2 and run.summary["steps_done"] == 2 for run in runs)
    params = [run.summary["trainable_params"] for run in runs]
    assert params[1] == 4 * params[0] and params[2] == 4 * params[1]  # LoRA parameters ∝ r
    ends = [event for event in events if event.kind == "done"]
    assert [event.message.split(" · ")[0] for event in ends] == ["LoRA rank 1/3: r=2", "LoRA rank 2/3: r=8",
                                                                 "LoRA rank 3/3: r=32"]
    assert ends[-1].message.endswith("saved as run3")
    assert all(event.message.startswith("LoRA rank ") for event in events)
    assert studio.session(alice).stop is None and studio.queue.running == 0
    assert studio.experiment_runs(alice, "exp2") == []


def test_stop_mid_grid_ends_the_current_run_and_the_rest(tiny, tmp_path, monkeypatch):
    from playground.settings import Limits
    from playground.studio import sessions

    monkeypatch.setattr(sessions, "LIMITS", Limits(finetune_process=0))
    studio = Studio(tmp_path)
    alice = studio.open()
    events = studio.experiment(alice, "learning_rate", FinetuneConfig(**{**TINY, "steps": 30, "eval_examples": 0}))
    with pytest.raises(ValueError, match="already has a fine-tune"):
        studio.finetune(alice, FinetuneConfig(**TINY))  # the grid holds the owner's slot throughout
    last = _until_step(events, studio, alice, 2)
    assert last.kind == "stopped"
    assert last.message.startswith("Learning rate: ×0.3, ×1, ×3 1/3: lr×0.3")
    assert last.message.endswith("the experiment's 2 remaining runs were not started")
    runs = studio.experiment_runs(alice, "exp1")
    assert [run.run_id for run in runs] == ["run1"] and runs[0].summary["stopped"]
    assert runs[0].config.learning_rate == pytest.approx(0.3 * TINY["learning_rate"])
    assert studio.session(alice).stop is None and studio.queue.running == 0 and not studio.running(alice)


def test_an_experiment_is_refused_before_anything_starts(tiny, tmp_path, monkeypatch):
    from playground.settings import Limits
    from playground.studio import sessions

    monkeypatch.setattr(sessions, "LIMITS", Limits(finetune_process=0))
    studio = Studio(tmp_path, max_runs=3)
    alice = studio.open()
    base = FinetuneConfig(**{**TINY, "steps": 2, "eval_examples": 0})
    with pytest.raises(ValueError, match="no experiment called 'size': the experiments are rank, quant_type"):
        studio.experiment(alice, "size", base)
    for _ in studio.finetune(alice, base):
        pass
    with pytest.raises(ValueError, match=r"the rank experiment makes 3 runs, and this session has room for 2 more"):
        studio.experiment(alice, "rank", base)
    with pytest.raises(ValueError, match=r"the variant lr×3 \(1.5e\+00\): learning_rate must be in"):
        studio.experiment(alice, "learning_rate", FinetuneConfig(**{**TINY, "learning_rate": 0.5, "steps": 2}))
    monkeypatch.setattr(sessions, "LIMITS", Limits(finetune_process=0, max_run_seconds=1))
    with pytest.raises(ValueError, match=r"the variant NF4: .*estimated at [\d,]+ s of training on cpu"):
        studio.experiment(alice, "quant_type", FinetuneConfig(**{**TINY, "steps": 500, "batch_size": 64}))
    assert studio.session(alice).stop is None and studio.experiments(alice) == []
    assert studio.queue.waiting == studio.queue.running == 0 and [r.run_id for r in studio.runs(alice)] == ["run1"]


def test_a_closed_session_leaves_no_analysis_of_its_runs(studio_with_run):
    from playground.finetune import learned

    studio, alice, _ = studio_with_run
    run = studio.runs(alice)[0]
    assert learned.analyze_run(studio.pool, run).rank == 8
    assert learned.CACHE.get(run.adapter_dir) is not None
    studio.close(alice)
    assert learned.CACHE.get(run.adapter_dir) is None
