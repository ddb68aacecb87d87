"""What the QLoRA Studio keeps between clicks: sessions, one shared fine-tune queue, each session's runs.

    browser session ──► Session(folder=<tmp>/studio-<hash>/, runs={run1, run2, …}, compare model)
                              │ finetune(): validate ─► queue (position N …) ─► run_finetune ─► save adapter
                              ▼
                        compare model = a fresh 4-bit base + every run's adapter, by name (peft's
                        load_adapter / set_adapter); "no adapter" answers from the shared 4-bit base

Sessions never see each other's runs: all state is keyed by the session id, files live in the
session's own temporary folder, and `close()` stops its run and deletes everything it held.
The queue lets `LIMITS.concurrent_finetunes` runs train at once (one by default) and at most
`LIMITS.queue_size` wait; a waiting run reports its position. No Gradio here: the UI and the
load test use the same objects.
"""

from __future__ import annotations

import gc
import itertools
import json
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import torch

from playground import models
from playground.datasets import Example
from playground.finetune import (
    FinetuneConfig, FinetuneEvent, free_memory, held_out_metric, run_finetune, save_adapter, write_metrics,
)
from playground.generation import Decoding, generate

QuantKey = tuple[str, str, bool]  # (model_id, quant_type, double_quant)


class QueueFull(ValueError):
    """More fine-tunes are waiting than the server allows."""


# --------------------------------------------------------------------------- the queue

@dataclass(eq=False)
class Ticket:
    owner: str
    number: int


class FinetuneQueue:
    """First come, first served: `concurrent` tickets run at once, at most `max_waiting` wait."""

    def __init__(self, concurrent: int | None = None, max_waiting: int | None = None):
        from playground.settings import LIMITS

        self.concurrent = concurrent or LIMITS.concurrent_finetunes
        self.max_waiting = max_waiting or LIMITS.queue_size
        self._condition = threading.Condition()
        self._running: list[Ticket] = []
        self._waiting: list[Ticket] = []
        self._numbers = itertools.count(1)

    def join(self, owner: str) -> Ticket:
        with self._condition:
            if len(self._waiting) >= self.max_waiting and len(self._running) >= self.concurrent:
                raise QueueFull(
                    f"{len(self._waiting)} fine-tunes are already waiting (the limit is {self.max_waiting}); "
                    "try again in a few minutes"
                )
            ticket = Ticket(owner, next(self._numbers))
            self._waiting.append(ticket)
            self._admit()
            return ticket

    def _admit(self) -> None:
        while self._waiting and len(self._running) < self.concurrent:
            self._running.append(self._waiting.pop(0))
        self._condition.notify_all()

    def position(self, ticket: Ticket) -> int:
        """0 when running, N ≥ 1 for the N-th in line."""
        with self._condition:
            if ticket in self._running:
                return 0
            return self._waiting.index(ticket) + 1

    def wait(self, ticket: Ticket, stop: threading.Event, poll_s: float = 0.5) -> Iterator[int]:
        """Yields the ticket's position while it waits; returns once it runs, or leaves the line if `stop` is set."""
        while True:
            with self._condition:
                if ticket in self._running:
                    return
                if stop.is_set():
                    self._leave(ticket)
                    return
                position = self._waiting.index(ticket) + 1
            yield position
            with self._condition:
                if ticket not in self._running:
                    self._condition.wait(poll_s)

    def release(self, ticket: Ticket) -> None:
        with self._condition:
            self._leave(ticket)

    def _leave(self, ticket: Ticket) -> None:
        if ticket in self._running:
            self._running.remove(ticket)
        elif ticket in self._waiting:
            self._waiting.remove(ticket)
        self._admit()

    @property
    def running(self) -> int:
        with self._condition:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._condition:
            return len(self._waiting)


# --------------------------------------------------------------------------- sessions and runs

@dataclass
class Run:
    run_id: str  # also the adapter's name in the session's compare model
    config: FinetuneConfig
    summary: dict
    adapter_dir: Path

    @property
    def label(self) -> str:
        status = f"stopped at {self.summary['steps_done']}" if self.summary["stopped"] else f"{self.config.steps} steps"
        return f"{self.run_id} · {self.summary['dataset']} · {status} · r={self.config.rank}"

    @property
    def quant_key(self) -> QuantKey:
        return (self.config.model_id, self.config.quant_type, self.config.double_quant)


@dataclass(eq=False)
class Session:
    session_id: str
    folder: Path
    runs: dict[str, Run] = field(default_factory=dict)
    compare_models: dict[QuantKey, object] = field(default_factory=dict)  # PeftModel with every run's adapter
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event | None = None  # the current fine-tune's stop flag
    closed: bool = False


_shared_4bit: dict[QuantKey, object] = {}
_shared_lock = threading.Lock()


def shared_4bit(key: QuantKey):
    """One 4-bit base per (model, quantization) per process, never wrapped by peft: the "4-bit base" answers."""
    with _shared_lock:
        if key not in _shared_4bit:
            model_id, quant_type, double_quant = key
            model = models.load_4bit(model_id, quant_type, double_quant)
            model.eval().requires_grad_(False)
            # bitsandbytes may repack each 4-bit weight in place on its first no-grad forward (CPUs with
            # AVX512-BF16); do that once here, under the lock, so concurrent first users never race on it.
            with torch.inference_mode():
                model(torch.zeros((1, 1), dtype=torch.long, device=model.device))
            _shared_4bit[key] = model
        return _shared_4bit[key]


class Studio:
    """The session registry; one per app (or per load test)."""

    def __init__(self, root: Path | None = None, queue: FinetuneQueue | None = None):
        self.root = Path(root) if root else Path(tempfile.gettempdir()) / "peft-playground-studio"
        self.queue = queue or FinetuneQueue()
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._full_precision_metrics: dict[tuple[str, str], dict] = {}

    # sessions --------------------------------------------------------------
    def session(self, session_id: str) -> Session:
        if not session_id:
            raise ValueError("no session: reload the page")
        with self._lock:
            if session_id not in self._sessions:
                self.root.mkdir(parents=True, exist_ok=True)
                folder = Path(tempfile.mkdtemp(prefix="session-", dir=self.root))
                self._sessions[session_id] = Session(session_id, folder)
            return self._sessions[session_id]

    def close(self, session_id: str) -> None:
        """The session ended (tab closed): stop its run, delete its files, drop its models."""
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is None:
            return
        session.closed = True
        if session.stop is not None:
            session.stop.set()
        with session.lock:
            session.compare_models.clear()
            session.runs.clear()
        shutil.rmtree(session.folder, ignore_errors=True)
        free_memory(models.default_device())

    @property
    def session_count(self) -> int:
        with self._lock:
            return len(self._sessions)

    def runs(self, session_id: str) -> list[Run]:
        return list(self.session(session_id).runs.values())

    def run(self, session_id: str, run_id: str) -> Run:
        runs = self.session(session_id).runs
        if run_id not in runs:
            raise ValueError(f"no run {run_id!r} in this session (runs: {sorted(runs) or 'none yet'})")
        return runs[run_id]

    # fine-tuning -----------------------------------------------------------
    def stop(self, session_id: str) -> bool:
        """Ask the session's run (running or waiting) to stop after the current step; False if none."""
        session = self.session(session_id)
        if session.stop is None:
            return False
        session.stop.set()
        return True

    def finetune(self, session_id: str, config: FinetuneConfig, examples: list[Example] | None = None
                 ) -> Iterator[FinetuneEvent]:
        """Validate, wait in the queue ("waiting" events), train, then save and register the run.

        The final event is the engine's "done" or "stopped"; its `message` names the new run.
        """
        session = self.session(session_id)
        if session.stop is not None:
            raise ValueError("this session already has a fine-tune running or waiting; stop it first")
        stop = threading.Event()
        events = run_finetune(config, examples, stop)  # validates now: bad input fails before queueing
        session.stop = stop
        ticket = None
        try:
            ticket = self.queue.join(session_id)
            for position in self.queue.wait(ticket, stop):
                yield FinetuneEvent("waiting", total_steps=config.steps, message=f"waiting: position {position}")
            if stop.is_set():
                events.close()
                yield FinetuneEvent("stopped", total_steps=config.steps, message="left the queue before starting")
                return
            for event in events:
                if event.kind in ("done", "stopped"):
                    event.message = self._register(session, config, event)
                yield event
        finally:
            if ticket is not None:
                self.queue.release(ticket)
            events.close()
            session.stop = None

    def _register(self, session: Session, config: FinetuneConfig, event: FinetuneEvent) -> str:
        result = event.result
        if session.closed or result.steps_done == 0:
            result.model = None
            return event.message + " (nothing to keep)"
        run_id = f"run{len(session.runs) + 1}"
        adapter_dir = save_adapter(result, session.folder / run_id)
        summary = result.summary()
        if result.dataset.name != "user data" and config.eval_examples:
            summary["metric_full_precision"] = self.full_precision_metric(config, result.dataset)
        write_metrics(result, adapter_dir / "metrics.json")
        result.model = None  # the training copy goes; the compare model loads the saved adapter
        gc.collect()
        run = Run(run_id, config, summary, adapter_dir)
        with session.lock:
            if session.closed:
                return event.message
            session.runs[run_id] = run
            self._attach(session, run)
        return f"{event.message}; saved as {run_id}"

    def full_precision_metric(self, config: FinetuneConfig, dataset) -> dict:
        """The held-out metric of the full-precision model (cached per model and built-in dataset)."""
        key = (config.model_id, dataset.name)
        if key not in self._full_precision_metrics:
            loaded = models.load_model(config.model_id)
            self._full_precision_metrics[key] = held_out_metric(loaded.model, loaded.tokenizer, dataset,
                                                                config.eval_examples)
        return self._full_precision_metrics[key]

    def _attach(self, session: Session, run: Run) -> None:
        """Load the run's saved adapter into the session's compare model for its quantization (lock held)."""
        from peft import PeftModel

        model = session.compare_models.get(run.quant_key)
        if model is None:
            base = models.load_4bit(run.config.model_id, run.config.quant_type, run.config.double_quant)
            model = PeftModel.from_pretrained(base, run.adapter_dir, adapter_name=run.run_id)
            model.eval()
            session.compare_models[run.quant_key] = model
        else:
            model.load_adapter(run.adapter_dir, adapter_name=run.run_id)

    # comparing ---------------------------------------------------------------
    def compare(self, session_id: str, prompts: list[str], run_id: str | None = None,
                decoding: Decoding = Decoding(), model_id: str | None = None) -> list[dict[str, str]]:
        """Each prompt answered by the full-precision model, the 4-bit base and the 4-bit base + the run's LoRA.

        Without a run (`run_id` None) the LoRA column is empty and the 4-bit base uses NF4 + DQ.
        """
        prompts = [p for p in (prompt.strip() for prompt in prompts) if p]
        if not prompts:
            raise ValueError("type a prompt to compare")
        if len(prompts) > 16:
            raise ValueError(f"compare at most 16 prompts at once, got {len(prompts)}")
        session = self.session(session_id)
        run = self.run(session_id, run_id) if run_id else None
        key = run.quant_key if run else (model_id or models.default_model_id(), "nf4", True)
        loaded = models.load_model(key[0])
        full = generate(loaded.model, loaded.tokenizer, prompts, decoding)
        base = generate(shared_4bit(key), loaded.tokenizer, prompts, decoding)
        lora = [""] * len(prompts)
        if run is not None:
            with session.lock:
                model = session.compare_models[run.quant_key]
                model.set_adapter(run.run_id)
                lora = generate(model, loaded.tokenizer, prompts, decoding)
        return [
            {"prompt": p, "full_precision": f, "base_4bit": b, "lora_4bit": a}
            for p, f, b, a in zip(prompts, full, base, lora)
        ]

    def lora_answers(self, session_id: str, run_id: str, prompts: list[str], decoding: Decoding = Decoding()) -> list[str]:
        """Only the 4-bit + LoRA answers (what an exported adapter must reproduce)."""
        session = self.session(session_id)
        run = self.run(session_id, run_id)
        with session.lock:
            model = session.compare_models[run.quant_key]
            model.set_adapter(run.run_id)
            return generate(model, models.load_tokenizer(run.config.model_id), prompts, decoding)

    # export ------------------------------------------------------------------
    def export(self, session_id: str, run_id: str) -> Path:
        """A zip of the run's adapter folder (peft format, plus metrics.json) inside the session folder."""
        session = self.session(session_id)
        run = self.run(session_id, run_id)
        exports = session.folder / "exports"
        exports.mkdir(exist_ok=True)
        path = exports / f"{run_id}-adapter.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(run.adapter_dir.iterdir()):
                archive.write(file, arcname=f"{run_id}-adapter/{file.name}")
        return path

    def metrics_table(self, session_id: str, run_id: str) -> list[list]:
        """[metric, full precision, 4-bit base, 4-bit + LoRA] rows for the run's held-out split."""
        summary = self.run(session_id, run_id).summary
        before, after = summary.get("metric_before") or {}, summary.get("metric_after") or {}
        full = summary.get("metric_full_precision") or {}
        rows = []
        for name in before or after:
            label = summary["metric_name"] if name == "score" else name.replace("_", " ")
            rows.append([label, full.get(name), before.get(name), after.get(name)])
        losses = [entry["eval_loss"] for entry in summary["history"] if "eval_loss" in entry]
        if losses:
            rows.append(["held-out loss", None, round(losses[0], 4), round(losses[-1], 4)])
        return rows


def summary_json(run: Run) -> str:
    return json.dumps({key: value for key, value in run.summary.items() if key != "history"}, indent=1, default=str)


def loss_figure(history: list[dict]):
    """Train loss per step and held-out loss at its eval points (a plotly figure)."""
    import plotly.graph_objects as go

    train = [entry for entry in history if "loss" in entry]
    held_out = [entry for entry in history if "eval_loss" in entry]
    figure = go.Figure()
    figure.add_scatter(x=[e["step"] for e in train], y=[e["loss"] for e in train], mode="lines", name="train")
    figure.add_scatter(x=[e["step"] for e in held_out], y=[e["eval_loss"] for e in held_out], mode="lines+markers",
                       name="held-out")
    figure.update_layout(xaxis_title="step", yaxis_title="loss per answer token", height=320,
                         margin=dict(l=50, r=20, t=30, b=40), legend=dict(orientation="h", y=1.12, x=1, xanchor="right"))
    return figure
