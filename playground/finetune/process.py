"""A fine-tune in its own process: the training loop and the server each get their own interpreter (and
GIL), their own cores, and their own memory.

    parent: run_in_process(config, examples, stop, adapter_dir, resume)
      prepare(): dataset, tokenizer, plan, work cap (a resumed run's state checked too)    ValueError: nothing started
      ─► a child process (forked from a server process that imported torch, transformers, peft and
         bitsandbytes once; a fresh interpreter on CUDA hosts)
            torch threads: every core but one on CPU
            engine._train(...) ─► each event over a pipe ─► yielded here, in order
            last event: the adapter and its training state saved to `adapter_dir`, the result sent
            without its model
      `stop` set ─► the child's stop flag (it stops after the current micro-batch, as in-process)
      the generator closed (a session reaped, a server shutting down) ─► stop, wait, kill if it hangs
      the child dies (killed, out of memory) ─► ValueError naming its exit code

Why a process: in one process a training step of a small model is Python dispatch, and so is a quick
request (plotly figures, pandas tables); both need the one GIL, and beside one user clicking without
pause the fine-tune kept 0.21 of its tokens/s on 2 cores (docs/benchmarks.md, load test). In its own
process it keeps its core whatever the server does, and every byte it allocated goes back to the OS
when it exits (no allocator slack left in the server after a run).
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import multiprocessing
import os
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from playground.datasets import Dataset, Example
from playground.finetune.config import FinetuneConfig
from playground.finetune.engine import FinetuneEvent, prepare
from playground.finetune.planning import Plan
from playground.finetune.result import TrainingState
from playground.i18n import language

POLL_S = 0.2  # how often the parent looks at its stop flag while it waits for the child's next event
JOIN_S = 60.0  # after a stop, how long the child may take to finish its micro-batch before it is killed
# Imported once in the fork server, so that each run's child starts with them (a fork: milliseconds).
PRELOAD = ["torch", "transformers", "peft", "bitsandbytes", "playground.finetune.engine"]

_contexts: dict[str, multiprocessing.context.BaseContext] = {}
_contexts_lock = threading.Lock()


def _context(device: str):
    """forkserver on CPU (the libraries imported once, each child a fork of that clean process); spawn on
    CUDA, where a process that touched the driver must not be forked."""
    kind = "forkserver" if device == "cpu" and "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    with _contexts_lock:
        if kind not in _contexts:
            context = multiprocessing.get_context(kind)
            if kind == "forkserver":
                context.set_forkserver_preload(PRELOAD)
            _contexts[kind] = context
        return _contexts[kind]


# multiprocessing re-runs the parent's main script in each child (to find functions defined there); a child
# here needs none of it (its target lives in this module), and re-running app.py would build the whole UI
# again. A main module named "<package>.__main__" is the one kind it leaves alone, so that is what it sees.
_CHILD_MAIN = importlib.machinery.ModuleSpec("playground.finetune.__main__", None)
_start_lock = threading.Lock()


@contextlib.contextmanager
def _main_left_alone():
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = getattr(main, "__spec__", None)
    with _start_lock:
        main.__spec__ = _CHILD_MAIN
        try:
            yield
        finally:
            main.__spec__ = saved


def start_server(device: str) -> None:
    """Start the fork server now (it imports the libraries: seconds), so the first run starts as fast as the
    next; nothing to do where children are spawned."""
    context = _context(device)
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def running_children() -> list[int]:
    """Process ids of the runs training now in their own process (children of this process's fork server)."""
    import psutil

    from multiprocessing import forkserver

    server = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if not server:
        return []
    running = []
    try:
        children = psutil.Process(server).children()
    except psutil.NoSuchProcess:
        return []
    for child in children:
        try:
            if child.status() != psutil.STATUS_ZOMBIE:  # one that has ended, not yet reaped, is not running
                running.append(child.pid)
        except psutil.NoSuchProcess:
            pass
    return running


def training_threads(device: str) -> int | None:
    """CPU threads for a run: every core but one (the server keeps one for its requests); None on a GPU."""
    if device != "cpu":
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores - 1)


@dataclass
class _Failure:
    """What the child sends instead of an event when the run raised."""

    user_facing: bool  # a ValueError: its message is for the user
    text: str


def _child(writer, stop, config: FinetuneConfig, dataset: Dataset, plan: Plan, adapter_dir: str,
           threads: int | None, language_code: str, resume=None) -> None:
    from playground.i18n import using

    with using(language_code):  # the run's messages in the language of whoever started it
        _train_and_send(writer, stop, config, dataset, plan, adapter_dir, threads, resume)


def _train_and_send(writer, stop, config: FinetuneConfig, dataset: Dataset, plan: Plan, adapter_dir: str,
                    threads: int | None, resume=None) -> None:
    from playground import models
    from playground.finetune import engine

    try:
        import torch

        if threads is not None:
            torch.set_num_threads(threads)
        tokenizer = models.load_tokenizer(config.model_id)
        for event in engine._train(config, dataset, tokenizer, plan, stop, resume):
            writer.send(detached(event, adapter_dir))
    except ValueError as err:
        writer.send(_Failure(True, str(err)))
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which logs it
        writer.send(_Failure(False, "".join(traceback.format_exception(err))))
    finally:
        writer.close()


def detached(event: FinetuneEvent, adapter_dir: str | Path) -> FinetuneEvent:
    """An event fit to leave the training process: the last one's adapter and training state saved to
    `adapter_dir` (when a step was done) and its result without the model, tokenizer and state."""
    from playground.finetune.result import save_adapter, save_training_state

    result = event.result
    if result is not None:
        if result.steps_done > 0:
            save_adapter(result, adapter_dir)
            if result.training_state is not None:
                save_training_state(result.training_state, adapter_dir)
            result.adapter_dir = Path(adapter_dir)
        result.model = result.tokenizer = result.training_state = None
    return event


def run_in_process(config: FinetuneConfig, examples: list[Example] | None = None,
                   stop: threading.Event | None = None, max_seconds: float | None = None,
                   adapter_dir: str | Path = "finetune-adapter", resume=None) -> Iterator[FinetuneEvent]:
    """`run_finetune`, with the training in a child process: the same validation up front (a ValueError
    before anything starts), then the same events. The final event's result has no model: its adapter is
    saved in `adapter_dir` (`result.adapter_dir`; None when no step was done) and loads with peft, with
    `training_state.pt` beside it (what `resume` takes). `resume`: as `run_finetune`'s (a saved run's
    folder is read again by the child; a `TrainingState` is sent to it)."""
    dataset, _tokenizer, plan, state = prepare(config, examples, max_seconds, resume, with_state=True)
    if state is not None and not isinstance(resume, TrainingState):
        resume, state = str(resume), None  # checked here; the child reads the folder itself
    return _follow(config, dataset, plan, stop or threading.Event(), Path(adapter_dir), state or resume)


def _follow(config: FinetuneConfig, dataset: Dataset, plan: Plan, stop: threading.Event,
            adapter_dir: Path, resume=None) -> Iterator[FinetuneEvent]:
    device = config.resolved_device
    context = _context(device)
    reader, writer = context.Pipe(duplex=False)
    child_stop = context.Event()
    process = context.Process(
        target=_child, name="finetune-run", daemon=True,
        args=(writer, child_stop, config, dataset, plan, str(adapter_dir), training_threads(device), language(),
              resume),
    )
    with _main_left_alone():
        process.start()
    writer.close()  # the child holds the only writer: its end (or death) is an EOF here
    try:
        while True:
            if stop.is_set():
                child_stop.set()
            if not reader.poll(POLL_S):
                continue
            try:
                message = reader.recv()
            except EOFError:
                process.join(JOIN_S)
                raise ValueError(
                    f"the fine-tune's process ended without finishing (exit code {process.exitcode}"
                    f"{', killed: out of memory?' if process.exitcode and process.exitcode < 0 else ''}); "
                    "try fewer steps, a smaller batch or a shorter max length"
                ) from None
            if isinstance(message, _Failure):
                if message.user_facing:
                    raise ValueError(message.text)
                raise RuntimeError(f"the fine-tune's process failed:\n{message.text}")
            yield message
            if message.kind in ("done", "stopped"):
                return
    finally:
        child_stop.set()
        process.join(JOIN_S)
        if process.is_alive():
            process.kill()
            process.join()
        reader.close()
