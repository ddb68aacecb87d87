"""Heavy work on a ZeroGPU Space: inside `spaces.GPU` calls, each asking for the GPU time its own estimate needs.

    run_on_gpu(fn, *args, estimate_s=…, **kwargs)       one call: fn's return value
    iterate_on_gpu(fn, *args, estimate_s=…, stop=…)      a generator fn: its items, as they come
        │ ON_ZEROGPU and gpu_duration(estimate_s) > LIMITS.zerogpu_max_seconds ─► ValueError, nothing started
        ▼
    `spaces` importable: spaces.GPU(duration=<the requested seconds>)(trampoline)(fn, args, kwargs, seconds)
    not importable:      fn(*args, **kwargs), called directly (nothing changes)
    finetune(config, …)  run_in_process's twin on ZeroGPU: the same checks first, then the same events

What ZeroGPU does with a call (spaces 0.51, read from its source): the server's process schedules a GPU for
the requested duration, then hands the call to a worker forked from the server's process, the one process
where CUDA is real (in the server's process, torch.cuda.is_available() is True but CUDA must not be
initialized, and tensors moved to "cuda" stay on the CPU until a worker starts). Hence:

- `fn` and its arguments cross to the worker pickled: `fn` must be a module-level function, never a lambda,
  a closure or a bound method of an object holding locks; its return value or items come back pickled, so
  they must hold no CUDA tensor (a trained model is saved to disk in the call and left out of the result).
- State the call changes (a model cache, a pool) changes in the worker, not in the server's process: load
  models inside the call (models.load_model / load_4bit cache per process, and an idle worker is reused).
- A threading.Event cannot cross: `iterate_on_gpu(…, stop=event)` hands `fn` a `StopFile` as its `stop`
  keyword (the same `is_set()`), set from the event by the server's process.
- `spaces.GPU` keeps one wrapper per decorated function, with the duration it was first given; so the two
  trampolines here are decorated once, at import (which ZeroGPU also wants: decorated functions known
  before launch), with a duration callable that reads each call's own requested seconds.

No Gradio import here (`spaces` imports it on ZeroGPU only).
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from playground.settings import LIMITS, on_zerogpu

try:
    import spaces
except ImportError:
    spaces = None

HAS_SPACES = spaces is not None
ON_ZEROGPU = on_zerogpu()  # a ZeroGPU Space: SPACE_ID, SPACES_ZERO_GPU and `spaces` importable
# Added to every estimate: the worker's start (ZeroGPU moves the server's CUDA tensors, none here), loading the
# model inside the call (from the disk cache: seconds for SmolLM2-135M), and the evaluations around training.
LOAD_MARGIN_S = 30
# Rough GPU seconds per generated token of one answer column (compare answers with three models at once).
SECONDS_PER_NEW_TOKEN = 0.05
POLL_S = 0.2  # how often the server's process looks at a stop event while a GPU call runs


# --------------------------------------------------------------------------- durations

def gpu_duration(estimate_s: float) -> int:
    """Whole seconds to ask ZeroGPU for: the work's own estimate plus LOAD_MARGIN_S, rounded up."""
    if not math.isfinite(estimate_s) or estimate_s < 0:
        raise ValueError(f"a GPU time estimate must be a number of seconds ≥ 0, got {estimate_s!r}")
    return max(1, math.ceil(estimate_s + LOAD_MARGIN_S))


def check_duration(estimate_s: float, what: str | None = None) -> int:
    """The seconds to request for `estimate_s`; on ZeroGPU, a ValueError naming both numbers when that is more
    than one call may take (LIMITS.zerogpu_max_seconds). Nothing is refused off ZeroGPU."""
    requested = gpu_duration(estimate_s)
    limit = LIMITS.zerogpu_max_seconds
    if ON_ZEROGPU and requested > limit:
        raise ValueError(_too_long(what, estimate_s, requested, limit))
    return requested


def _too_long(what: str | None, estimate_s: float, requested: int, limit: int) -> str:
    from playground.i18n import t

    return t("common.zerogpu.too_long", what=what or t("common.zerogpu.this_work"), estimate=f"{estimate_s:,.0f}",
             requested=requested, limit=limit)


def generation_estimate_s(max_new_tokens: int, columns: int = 3) -> float:
    """A rough GPU estimate for answering with `columns` models (compare: full precision, 4-bit, 4-bit + LoRA),
    each generating up to `max_new_tokens` for a batch of prompts."""
    return columns * max_new_tokens * SECONDS_PER_NEW_TOKEN


# --------------------------------------------------------------------------- the calls

@dataclass(frozen=True)
class StopFile:
    """A stop flag that crosses processes: set when its file exists. `threading.Event`'s `is_set`/`set`."""

    path: str

    @classmethod
    def new(cls) -> "StopFile":
        return cls(str(Path(tempfile.gettempdir()) / f"peft-playground-stop-{secrets.token_hex(8)}"))

    def is_set(self) -> bool:
        return os.path.exists(self.path)

    def set(self) -> None:
        Path(self.path).touch()

    def discard(self) -> None:
        Path(self.path).unlink(missing_ok=True)


def _requested(fn: Callable, args: tuple, kwargs: dict, seconds: int) -> int:
    """ZeroGPU's dynamic duration: called with the trampoline's own arguments."""
    return seconds


def _call(fn: Callable, args: tuple, kwargs: dict, seconds: int) -> Any:
    return fn(*args, **kwargs)


def _iterate(fn: Callable, args: tuple, kwargs: dict, seconds: int) -> Iterator:
    try:
        yield from fn(*args, **kwargs)
    finally:  # in the worker: the stop file, if any, has done its job
        stop = kwargs.get("stop")
        if isinstance(stop, StopFile):
            stop.discard()


if HAS_SPACES:
    _call_on_gpu = spaces.GPU(duration=_requested)(_call)
    _iterate_on_gpu = spaces.GPU(duration=_requested)(_iterate)
else:
    _call_on_gpu, _iterate_on_gpu = _call, _iterate


def run_on_gpu(fn: Callable, *args, estimate_s: float, what: str | None = None, **kwargs) -> Any:
    """`fn(*args, **kwargs)`, inside a `spaces.GPU` call of gpu_duration(estimate_s) seconds when `spaces` is
    importable (refused first on ZeroGPU when that is over the limit), else called directly."""
    seconds = check_duration(estimate_s, what)
    if not HAS_SPACES:
        return fn(*args, **kwargs)
    return _call_on_gpu(fn, args, kwargs, seconds)


def iterate_on_gpu(fn: Callable[..., Iterator], *args, estimate_s: float, stop: threading.Event | None = None,
                   what: str | None = None, **kwargs) -> Iterator:
    """The items of the generator `fn(*args, **kwargs)`, produced inside one `spaces.GPU` call. Checked now
    (a ValueError before anything starts); runs when iterated. With `stop`, `fn` gets it as its `stop` keyword:
    the event itself when called directly, a `StopFile` that follows it inside a GPU call; closing the
    returned generator stops `fn` too."""
    seconds = check_duration(estimate_s, what)
    if not HAS_SPACES:
        return fn(*args, **kwargs) if stop is None else fn(*args, stop=stop, **kwargs)
    if stop is None:
        return _iterate_on_gpu(fn, args, kwargs, seconds)
    flag = StopFile.new()
    return _following(_iterate_on_gpu(fn, args, {**kwargs, "stop": flag}, seconds), stop, flag)


def _following(items: Iterator, stop: threading.Event, flag: StopFile) -> Iterator:
    """`items`, with `stop` copied to `flag` while they come (and `flag` set when the consumer leaves early)."""
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if stop.wait(POLL_S):
                flag.set()
                return

    watcher = threading.Thread(target=watch, name="zerogpu-stop", daemon=True)
    watcher.start()
    finished = False
    try:
        yield from items
        finished = True
    finally:
        done.set()
        watcher.join()
        if finished:
            flag.discard()
        else:  # closed early (a reaped session, a failure): the call stops after its current step
            flag.set()
            with contextlib.suppress(Exception):
                items.close()


# --------------------------------------------------------------------------- the fine-tune

def finetune(config, examples=None, stop: threading.Event | None = None, max_seconds: float | None = None,
             adapter_dir: str | Path = "finetune-adapter", resume=None) -> Iterator:
    """`run_in_process` on ZeroGPU: the same checks up front in the server's process (dataset, plan, the work
    cap, then the GPU limit: a ValueError before anything starts), then the run's events from inside one
    GPU call asking for its training estimate plus the loading margin. As with a run in its own process, the
    final event's result has no model: its adapter is saved in `adapter_dir` (`result.adapter_dir`). `resume`
    (a run folder with its training state) continues that run; the state is read here and sent into the call."""
    from playground.finetune.engine import prepare
    from playground.i18n import language, t

    dataset, _tokenizer, plan, state = prepare(config, examples, max_seconds, resume=resume, with_state=True)
    what = t("common.zerogpu.this_finetune")
    return iterate_on_gpu(_finetune_in_call, config, dataset, plan, str(adapter_dir), language(), state,
                          estimate_s=plan.estimated_seconds, stop=stop or threading.Event(), what=what)


def _finetune_in_call(config, dataset, plan, adapter_dir: str, language_code: str, state, stop) -> Iterator:
    """Inside the GPU call (ZeroGPU's worker): train, save the adapter, send the events without the model."""
    from playground import models
    from playground.finetune import engine
    from playground.finetune.process import detached
    from playground.i18n import language, using

    scope = contextlib.nullcontext() if language_code == language() else using(language_code)
    with scope:  # the run's messages in the language of whoever started it
        tokenizer = models.load_tokenizer(config.model_id)
        for event in engine._train(config, dataset, tokenizer, plan, stop, resume=state):
            yield detached(event, adapter_dir)  # the last one: the adapter on disk, the rest sent back


# --------------------------------------------------------------------------- compare and latency

_pool = None  # compare's shared 4-bit bases inside ZeroGPU's worker (an idle worker is reused, and so are they)


def _language_scope(language_code: str | None):
    from playground.i18n import language, using

    return contextlib.nullcontext() if language_code in (None, language()) else using(language_code)


def answers(key: tuple[str, str, bool], adapter_dir: str | Path | None, prompts: list[str], decoding,
            language_code: str | None = None) -> tuple[list[str], list[str], list[str]]:
    """Inside one GPU call (`run_on_gpu(answers, …, estimate_s=generation_estimate_s(decoding.max_new_tokens))`):
    the full-precision, 4-bit and 4-bit + LoRA answers of Studio.compare, from models loaded in the call
    (the LoRA column empty without `adapter_dir`)."""
    from playground import models
    from playground.generation import generate
    from playground.studio.pool import AdapterPool

    global _pool
    with _language_scope(language_code):
        if _pool is None:
            _pool = AdapterPool()
        tokenizer = models.load_tokenizer(key[0])
        full = generate(models.load_model(key[0]).model, tokenizer, prompts, decoding)
        with _pool.use(key) as model:
            base = generate(model, tokenizer, prompts, decoding)
        lora = [""] * len(prompts)
        if adapter_dir is not None:
            with _pool.use(key, Path(adapter_dir)) as model:
                lora = generate(model, tokenizer, prompts, decoding)
        return full, base, lora


def chat(key: tuple[str, str, bool] | None, adapter_dir: str | Path | None, model_id: str, messages: list[dict],
         decoding, language_code: str | None = None, stop=None) -> Iterator[str]:
    """Inside one GPU call (`iterate_on_gpu(chat, …, estimate_s=generation_estimate_s(decoding.max_new_tokens),
    stop=stop)`): one chat or arena answer, the text so far at each new token, from the full-precision model
    (`key` None) or the 4-bit base of `key` with the adapter in `adapter_dir`, loaded in the call."""
    from playground import models
    from playground.generation import stream
    from playground.studio.pool import AdapterPool

    global _pool
    with _language_scope(language_code):
        tokenizer = models.load_tokenizer(model_id)
        if key is None:
            yield from stream(models.load_model(model_id).model, tokenizer, messages, decoding, stop)
            return
        if _pool is None:
            _pool = AdapterPool()
        with _pool.use(key, Path(adapter_dir) if adapter_dir is not None else None) as model:
            yield from stream(model, tokenizer, messages, decoding, stop)


def on_pool(fn: Callable, run, args: tuple, language_code: str | None = None):
    """Inside one GPU call (`run_on_gpu(on_pool, fn, run, args, …)`): `fn(pool, run, *args)` on the call's own
    shared 4-bit bases (what an adapter learned: its analysis and the rank explorer)."""
    from playground.studio.pool import AdapterPool

    global _pool
    with _language_scope(language_code):
        if _pool is None:
            _pool = AdapterPool()
        return fn(_pool, run, *args)


def latency(model_id: str, settings, latency_config, sample_text: str, language_code: str | None = None,
            stop=None) -> Iterator:
    """Inside one GPU call (`iterate_on_gpu(latency, …, estimate_s=latency_config.budget_s, stop=stop)`): the
    Adapter vs LoRA measurement, the model loaded and moved in the call. Yields the checks (a list of
    methods.Check) first, then measure_latency's LatencyEvents; ends early once `stop` is set."""
    from playground import adapters as A, models
    from playground.adapters.latency import measure_latency

    with _language_scope(language_code):
        device = models.default_device()
        loaded = models.load_model(model_id)
        base = A.model_on(loaded.model, device)
        input_ids = loaded.tokenizer(sample_text, return_tensors="pt").input_ids.to(device)  # (1, T)
        variants, checks = A.build_variants(base, settings, input_ids)
        yield checks
        for event in measure_latency(variants, latency_config):
            if stop is not None and stop.is_set():
                return
            yield event
