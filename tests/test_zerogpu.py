"""ZeroGPU: with Hugging Face's `spaces` package (a fake one here, recording what it is asked for) heavy work runs
inside `spaces.GPU` with a duration from its own estimate, and work over the per-call limit is refused before
it starts; without the package the same function is called directly."""

from __future__ import annotations

import importlib
import importlib.util
import math
import pickle
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from playground import models
from playground.settings import Limits

# Like ZeroGPU: every call's arguments and every result cross a process boundary pickled, so the fake pickles
# them too (a lambda, a closure or a threading.Event in them fails here as it would on a Space).
FAKE_SPACES = '''
import inspect, pickle

calls = []  # the duration each call asked for


def GPU(task=None, *, duration=None, size=None):
    def decorate(fn):
        def asked(args, kwargs):
            seconds = duration(*args, **kwargs) if callable(duration) else duration
            calls.append(seconds)
            return pickle.loads(pickle.dumps((args, kwargs)))

        if inspect.isgeneratorfunction(fn):
            def wrapper(*args, **kwargs):
                args, kwargs = asked(args, kwargs)
                for item in fn(*args, **kwargs):
                    yield pickle.loads(pickle.dumps(item))
        else:
            def wrapper(*args, **kwargs):
                args, kwargs = asked(args, kwargs)
                return pickle.loads(pickle.dumps(fn(*args, **kwargs)))
        return wrapper

    return decorate if task is None else decorate(task)
'''


def _reload(monkeypatch, spaces_dir: Path | None, zero_gpu: bool, real: bool):
    sys.modules.pop("spaces", None)
    if spaces_dir is not None:
        monkeypatch.syspath_prepend(str(spaces_dir))
    elif not real:
        monkeypatch.setitem(sys.modules, "spaces", None)  # `import spaces` raises ImportError
    for name, value in (("SPACE_ID", "someone/peft-playground"), ("SPACES_ZERO_GPU", "true")):
        if zero_gpu:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    from playground import zerogpu

    return importlib.reload(zerogpu)


@pytest.fixture
def fake_spaces(tmp_path):
    folder = tmp_path / "site"
    (folder / "spaces").mkdir(parents=True)
    (folder / "spaces" / "__init__.py").write_text(textwrap.dedent(FAKE_SPACES))
    return folder


@pytest.fixture
def load(monkeypatch):
    """Import playground.zerogpu with or without the fake package; the real state comes back afterwards."""
    yield lambda spaces_dir=None, zero_gpu=False, real=False: _reload(monkeypatch, spaces_dir, zero_gpu, real)
    monkeypatch.undo()
    sys.modules.pop("spaces", None)
    from playground import zerogpu

    importlib.reload(zerogpu)


# module-level, so that they pickle by reference (as ZeroGPU needs)
def double(x, plus=0):
    return 2 * x + plus


def count(n):
    yield from range(n)


def until_stopped(limit, stop):
    yield getattr(stop, "path", type(stop).__name__)  # a StopFile's path, else the type of the flag
    for i in range(limit):
        if stop.is_set():
            return
        yield i
        time.sleep(0.01)


CALLED = []


def record():
    CALLED.append(1)
    return "ran"


def test_without_spaces_the_same_function_is_called_directly(load):
    zerogpu = load()
    assert not zerogpu.HAS_SPACES and not zerogpu.ON_ZEROGPU
    assert zerogpu.run_on_gpu(double, 21, plus=1, estimate_s=10) == 43
    assert zerogpu.run_on_gpu(double, 1, estimate_s=10**6) == 2  # no limit off ZeroGPU
    stop = threading.Event()
    items = zerogpu.iterate_on_gpu(until_stopped, 3, estimate_s=1, stop=stop)
    assert next(items) == "Event"  # the event itself, not a file
    assert list(items) == [0, 1, 2]
    assert list(zerogpu.iterate_on_gpu(count, 3, estimate_s=1)) == [0, 1, 2]


def test_on_zerogpu_the_work_runs_inside_spaces_gpu_with_its_estimate(load, fake_spaces):
    zerogpu = load(fake_spaces, zero_gpu=True)
    spaces = sys.modules["spaces"]
    assert zerogpu.HAS_SPACES and zerogpu.ON_ZEROGPU
    assert zerogpu.run_on_gpu(double, 21, plus=1, estimate_s=10) == 43
    assert spaces.calls == [10 + zerogpu.LOAD_MARGIN_S]
    assert list(zerogpu.iterate_on_gpu(count, 3, estimate_s=5.2)) == [0, 1, 2]
    assert spaces.calls[-1] == 36  # 5.2 + 30, rounded up to whole seconds
    # one wrapper per trampoline (spaces keeps the first duration per function): the duration is per call
    zerogpu.run_on_gpu(double, 1, estimate_s=60)
    assert spaces.calls[-1] == 90


def test_the_duration_is_the_estimate_plus_the_loading_margin(load):
    zerogpu = load()
    assert zerogpu.gpu_duration(0) == zerogpu.LOAD_MARGIN_S == 30
    assert zerogpu.gpu_duration(10.2) == 41
    assert zerogpu.gpu_duration(90) == 120
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="seconds"):
            zerogpu.gpu_duration(bad)
    assert zerogpu.generation_estimate_s(64) == pytest.approx(3 * 64 * zerogpu.SECONDS_PER_NEW_TOKEN)


def test_work_over_the_limit_is_refused_before_it_starts(load, fake_spaces, monkeypatch):
    zerogpu = load(fake_spaces, zero_gpu=True)
    spaces = sys.modules["spaces"]
    assert zerogpu.LIMITS.zerogpu_max_seconds == 120
    CALLED.clear()
    with pytest.raises(ValueError, match=r"estimated at 91 s of GPU time \(121 s with loading\), more than the 120 s"):
        zerogpu.run_on_gpu(record, estimate_s=91)
    with pytest.raises(ValueError, match="more than the 120 s one ZeroGPU call may take"):
        zerogpu.iterate_on_gpu(count, 3, estimate_s=200, what="this fine-tune")  # refused now, not when iterated
    assert CALLED == [] and spaces.calls == []
    assert zerogpu.run_on_gpu(record, estimate_s=90) == "ran"  # 120 s: exactly the limit
    monkeypatch.setenv("PLAYGROUND_ZEROGPU_MAX_S", "300")
    monkeypatch.setattr(zerogpu, "LIMITS", Limits())
    assert zerogpu.run_on_gpu(record, estimate_s=200) == "ran"
    assert spaces.calls == [120, 230]


def test_spaces_off_zerogpu_refuses_nothing(load, fake_spaces):
    zerogpu = load(fake_spaces, zero_gpu=False)  # e.g. a CPU Space or a laptop with `spaces` installed
    assert zerogpu.HAS_SPACES and not zerogpu.ON_ZEROGPU
    assert zerogpu.run_on_gpu(double, 2, estimate_s=10**4) == 4


def test_a_stop_event_crosses_into_the_call_as_a_file(load, fake_spaces):
    zerogpu = load(fake_spaces, zero_gpu=True)
    stop = threading.Event()
    items = zerogpu.iterate_on_gpu(until_stopped, 10_000, estimate_s=1, stop=stop)
    path = Path(next(items))
    assert path.name.startswith("peft-playground-stop-")
    seen = [next(items)]
    stop.set()
    seen += list(items)  # ends within a poll or two
    assert len(seen) < 1000
    assert not path.exists()  # cleaned up

    flag = zerogpu.StopFile.new()
    assert pickle.loads(pickle.dumps(flag)) == flag and not flag.is_set()
    flag.set()
    assert flag.is_set()
    flag.discard()
    assert not flag.is_set()


def test_a_fine_tune_on_zerogpu_sends_its_events_and_saves_its_adapter(load, fake_spaces, tiny, tmp_path,
                                                                        monkeypatch):
    from playground.finetune import FinetuneConfig

    zerogpu = load(fake_spaces, zero_gpu=True)
    spaces = sys.modules["spaces"]
    config = FinetuneConfig(model_id=models.TINY_ID, dataset="sentiment", steps=2, batch_size=2, max_length=96,
                            warmup_steps=1, eval_every=0, eval_examples=2, device="cpu", dropout=0.0)
    events = list(zerogpu.finetune(config, adapter_dir=tmp_path / "adapter", max_seconds=300))
    assert events[-1].kind == "done" and [e.kind for e in events].count("step") == 2
    result = events[-1].result
    assert result.model is None and result.adapter_dir == tmp_path / "adapter"
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    assert len(spaces.calls) == 1 and spaces.calls[0] >= zerogpu.LOAD_MARGIN_S

    monkeypatch.setenv("PLAYGROUND_ZEROGPU_MAX_S", "1")
    monkeypatch.setattr(zerogpu, "LIMITS", Limits())
    with pytest.raises(ValueError, match=r"this fine-tune is estimated at .* more than the 1 s"):
        zerogpu.finetune(config, adapter_dir=tmp_path / "refused")
    assert len(spaces.calls) == 1 and not (tmp_path / "refused").exists()


def test_a_run_resumed_on_zerogpu_continues_the_same_losses(load, fake_spaces, tiny, tmp_path):
    """A 4-step run done at once, and the same run done as 2 steps + a resume of the saved folder (one GPU call
    each): the same losses for steps 3 and 4, so the training state travels into the call."""
    from dataclasses import replace

    from playground.finetune import FinetuneConfig

    zerogpu = load(fake_spaces, zero_gpu=True)
    config = FinetuneConfig(model_id=models.TINY_ID, dataset="sentiment", steps=4, batch_size=2, max_length=96,
                            warmup_steps=1, eval_every=0, eval_examples=0, device="cpu", dropout=0.0,
                            learning_rate=0.05)
    straight = [e.loss for e in zerogpu.finetune(config, adapter_dir=tmp_path / "whole") if e.kind == "step"]
    stop = threading.Event()
    first = []
    for event in zerogpu.finetune(config, stop=stop, adapter_dir=tmp_path / "part"):
        if event.kind == "step":
            first.append(event.loss)
            if event.step == 2:
                stop.set()
    assert (tmp_path / "part" / "training_state.pt").is_file()
    rest = [e.loss for e in zerogpu.finetune(config, adapter_dir=tmp_path / "rest", resume=tmp_path / "part")
            if e.kind == "step"]
    done = first[:2] + rest
    assert len(straight) == 4 and len(done) == 4
    assert max(abs(a - b) / abs(a) for a, b in zip(straight, done)) < 1e-5


def test_with_the_real_spaces_package_nothing_changes_off_zerogpu(load):
    """Only where Hugging Face's `spaces` is installed (not a requirement: Spaces provide it)."""
    if importlib.util.find_spec("spaces") is None:
        pytest.skip("Hugging Face's `spaces` package is not installed")
    zerogpu = load(real=True)
    import spaces

    assert zerogpu.HAS_SPACES and not zerogpu.ON_ZEROGPU
    assert spaces.GPU(duration=zerogpu._requested)(double) is double  # a no-op off ZeroGPU
    assert zerogpu._call_on_gpu is zerogpu._call and zerogpu._iterate_on_gpu is zerogpu._iterate
    assert zerogpu.run_on_gpu(double, 21, estimate_s=10**4) == 42


def test_compare_answers_come_from_models_loaded_inside_the_call(load, fake_spaces, tiny):
    from playground.generation import Decoding

    zerogpu = load(fake_spaces, zero_gpu=True)
    spaces = sys.modules["spaces"]
    decoding = Decoding(max_new_tokens=4)
    key = (models.TINY_ID, "nf4", True)
    full, base, lora = zerogpu.run_on_gpu(zerogpu.answers, key, None, ["Hi", "Name a colour"], decoding,
                                          estimate_s=zerogpu.generation_estimate_s(decoding.max_new_tokens))
    assert len(full) == len(base) == 2 and lora == ["", ""]
    assert all(isinstance(answer, str) for answer in full + base)
    assert spaces.calls == [math.ceil(3 * 4 * zerogpu.SECONDS_PER_NEW_TOKEN + zerogpu.LOAD_MARGIN_S)]


def test_chat_answers_stream_from_one_call_each(load, fake_spaces, tiny, tmp_path):
    """On ZeroGPU a chat answer (full precision or 4-bit) comes from one GPU call of one model's duration, token
    by token, and equals the answer generated outside ZeroGPU."""
    from playground.generation import Decoding, generate
    from playground.studio import AdapterPool, Studio, chat

    zerogpu = load(fake_spaces, zero_gpu=True)
    spaces = sys.modules["spaces"]
    studio = Studio(tmp_path)
    owner = studio.open()
    decoding = Decoding(max_new_tokens=6)
    messages = [{"role": "user", "content": "Name a colour"}]
    expected_full = generate(tiny.model, tiny.tokenizer, [messages], decoding)[0]
    with AdapterPool().use((models.TINY_ID, "nf4", True)) as model:
        expected_base = generate(model, tiny.tokenizer, [messages], decoding)[0]
    for name, expected in (("full", expected_full), ("base", expected_base)):
        texts = list(chat.chat_stream(studio, owner, name, messages, decoding, model_id=models.TINY_ID))
        assert texts[-1] == expected
    one_model = math.ceil(6 * zerogpu.SECONDS_PER_NEW_TOKEN + zerogpu.LOAD_MARGIN_S)
    assert spaces.calls == [one_model, one_model]
    assert studio.pool.bases == []  # the server's own pool loaded nothing: the models live in the call


def test_what_an_adapter_learned_is_measured_inside_one_call(load, fake_spaces, tiny, tmp_path):
    """On ZeroGPU the analysis and the rank explorer run in a GPU call on its own 4-bit bases, with the same
    numbers as on the server's."""
    from playground.finetune import FinetuneConfig, learned
    from playground.studio import Studio

    studio = Studio(tmp_path)
    owner = studio.open()
    config = FinetuneConfig(model_id=models.TINY_ID, dataset="sentiment", steps=2, batch_size=2, max_length=96,
                            warmup_steps=1, eval_every=0, eval_examples=0, device="cpu", learning_rate=0.05)
    for _ in studio.finetune(owner, config):
        pass
    run = studio.runs(owner)[-1]
    here = learned.analyze_run(studio.pool, run, cache=learned.AnalysisCache())
    sweep_here = learned.rank_sweep_run(studio.pool, run, 1, "v_proj", 2)
    zerogpu = load(fake_spaces, zero_gpu=True)
    spaces = sys.modules["spaces"]
    learned.CACHE.forget(run.adapter_dir)
    there = learned.served(learned.analyze_run, None, run)  # no server pool is touched
    sweep_there = learned.served(learned.rank_sweep_run, None, run, 1, "v_proj", 2)
    assert [m.relative for m in there.modules] == pytest.approx([m.relative for m in here.modules], rel=1e-6)
    assert [p.loss for p in sweep_there.points] == pytest.approx([p.loss for p in sweep_here.points], rel=1e-6)
    assert len(spaces.calls) == 2 and zerogpu._pool is not None


def test_the_latency_measurement_runs_inside_one_call(load, fake_spaces, tiny):
    from playground import adapters as A
    from playground.adapters.latency import LatencyConfig, LatencyEvent

    zerogpu = load(fake_spaces, zero_gpu=True)
    spaces = sys.modules["spaces"]
    config = LatencyConfig(batch_sizes=(1,), seq_lens=(8,), budget_s=1, min_repeats=1, max_repeats=2)
    items = list(zerogpu.iterate_on_gpu(zerogpu.latency, models.TINY_ID, A.MethodSettings(r=4, bottleneck=8),
                                        config, "Hello there", estimate_s=config.budget_s,
                                        stop=threading.Event()))
    checks, events = items[0], items[1:]
    assert checks and all(hasattr(check, "max_abs_diff") for check in checks)
    assert all(isinstance(event, LatencyEvent) for event in events) and events[-1].done
    assert {row.variant for row in events[-1].rows} >= {"base"}
    assert spaces.calls == [1 + zerogpu.LOAD_MARGIN_S]


def test_the_app_imported_on_a_zerogpu_space_wraps_its_gpu_work(fake_spaces):
    """`python app.py` on ZeroGPU, as Spaces starts it (a fresh interpreter: settings are read at import): the
    GPU calls are decorated before launch, fine-tunes train in the server's process, and a run's duration
    comes from its own estimate."""
    import json
    import os
    import subprocess

    probe = textwrap.dedent('''
        import json, sys
        import app
        from playground import zerogpu
        from playground.finetune import FinetuneConfig, prepare
        from playground.settings import LIMITS
        import spaces
        plan = prepare(FinetuneConfig(model_id="tiny/llama", dataset="sentiment", steps=3, batch_size=2,
                                      max_length=96, warmup_steps=1, eval_every=0))[2]
        print(json.dumps({"on": zerogpu.ON_ZEROGPU, "wrapped": zerogpu._call_on_gpu is not zerogpu._call
                          and zerogpu._iterate_on_gpu is not zerogpu._iterate,
                          "process": LIMITS.finetune_process, "estimate": plan.estimated_seconds,
                          "seconds": zerogpu.check_duration(plan.estimated_seconds),
                          "fake": spaces.__file__}))
    ''')
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "SPACE_ID": "someone/peft-playground", "SPACES_ZERO_GPU": "true", "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(fake_spaces), str(root)])}
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["fake"].startswith(str(fake_spaces))
    assert found["on"] and found["wrapped"] and found["process"] == 0
    assert found["seconds"] == math.ceil(found["estimate"] + 30)  # the run's own estimate plus the loading margin
