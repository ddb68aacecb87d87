"""What the QLoRA Studio keeps between clicks: sessions with an owner and a lifetime, and their runs.

    owner token (issued by the server, kept by the browser) ──► Session(folder, runs {run1, run2, …})
        │ finetune(): reserve the owner's one slot ─► validate and estimate ─► a job in its own thread:
        │             queue ─► train ─► save run; follow() streams the job's events to whoever watches
        │ resume(): the same, continuing a saved run from its training state ─► a new run (resumed_from)
        │ experiment(): one job, a grid of runs one after another, each queued and kept as its own run
        │ compare(): the shared 4-bit base of the run's quantization + its adapter, by name (`pool`)
        └ idle past the TTL (browser or API alike): reaped ─► its run stopped, its folder (adapters,
          exports) deleted, its adapters dropped from the pool

A reload or reconnect within the TTL finds the session again by its token, with every run, loss
curve and download; a run still training goes on without its page and can be followed again. Sessions never see each other's runs: all state is keyed by the owner, files
live in the session's own folder, and a token is 32 random bytes that only its browser holds. No
Gradio here: the UI and the load test use the same objects.
"""

from __future__ import annotations

import gc
import json
import secrets
import shutil
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from playground import datasets, i18n, models, zerogpu
from playground.datasets import Example
from playground.finetune import (
    FinetuneConfig, FinetuneEvent, free_memory, held_out_metric, run_finetune, run_in_process, save_adapter,
)
from playground.checks import check_whole_number
from playground.finetune.experiments import experiment as find_experiment
from playground.finetune.result import TRAINING_STATE, has_training_state, save_training_state
from playground.generation import Decoding, generate
from playground.i18n import t
from playground.settings import LIMITS
from playground.finetune import learned
from playground.studio.pool import AdapterPool, QuantKey
from playground.studio.queue import FinetuneQueue


TRAINING_FOLDER = ".training"  # inside a session folder: the adapter of the run in progress
SHOWN = ("answers", "metrics")  # what a session keeps of its page besides its runs (the last compare)
MAX_EXPERIMENTS = 16  # experiments a session remembers (each needs free runs to start, but may keep none)

# --------------------------------------------------------------------------- sessions and runs

@dataclass
class Run:
    run_id: str
    config: FinetuneConfig
    summary: dict  # FinetuneResult.summary() (+ "metric_full_precision", "resumed_from", "experiment")
    adapter_dir: Path  # the adapter (peft format), metrics.json and training_state.pt (what `resume` reads)
    examples: list[Example] | None = None  # the user's examples it trained on; None for a built-in dataset

    @property
    def label(self) -> str:
        """How the run picker names the run, in the current language."""
        if self.summary["stopped"]:
            status = t("studio.run.stopped_at", step=self.summary["steps_done"])
        else:
            status = t("studio.run.steps", steps=self.config.steps)
        return t("studio.run.label", run_id=self.run_id, dataset=datasets.dataset_label(self.summary["dataset"]),
                 status=status, rank=self.config.rank)

    @property
    def quant_key(self) -> QuantKey:
        return (self.config.model_id, self.config.quant_type, self.config.double_quant)


class Job:
    """One fine-tune running in its own thread: its events so far, for any number of followers."""

    def __init__(self, total_steps: int) -> None:
        self.total_steps = total_steps
        self.events: list[FinetuneEvent] = []
        self.error: Exception | None = None
        self.finished = False
        self._changed = threading.Condition()

    def add(self, event: FinetuneEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def finish(self, error: Exception | None = None) -> None:
        with self._changed:
            self.error, self.finished = error, True
            self._changed.notify_all()

    def follow(self, start: int = 0) -> Iterator[FinetuneEvent]:
        """Every event from `start` on, as it comes, until the job ends (its error, if any, is raised)."""
        index = start
        while True:
            with self._changed:
                self._changed.wait_for(lambda: len(self.events) > index or self.finished)
                fresh, finished = self.events[index:], self.finished
            index += len(fresh)
            yield from fresh
            if finished and index == len(self.events):
                if self.error is not None:
                    raise self.error
                return


@dataclass(eq=False)
class Session:
    owner: str
    folder: Path
    last_seen: float
    runs: dict[str, Run] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event | None = None  # the current fine-tune's stop flag: set while one is queued or running
    job: Job | None = None  # the latest fine-tune, running or ended
    closed: bool = False
    shown: dict[str, object] = field(default_factory=dict)  # what the page last showed besides runs (`remember`)
    # the arena's votes: (model a, model b) in sorted order → {"a": n, "b": n, "tie": n} (playground.studio.chat)
    arena: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    # the experiments started here, latest last (at most MAX_EXPERIMENTS kept):
    # {"id": "exp1", "name": "rank", "variants": ["r=2", "r=8", "r=32"]}
    experiments: list[dict] = field(default_factory=list)
    experiment_count: int = 0  # experiments started so far (their ids: exp1, exp2, …)


class Studio:
    """The session registry; one per app (or per load test)."""

    def __init__(self, root: Path | None = None, queue: FinetuneQueue | None = None, pool: AdapterPool | None = None,
                 ttl_s: float | None = None, max_sessions: int | None = None, max_runs: int | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.root = Path(root) if root else Path(tempfile.gettempdir()) / "peft-playground-studio"
        self.queue = queue or FinetuneQueue()
        self.pool = pool or AdapterPool()
        self.ttl_s = ttl_s or LIMITS.session_ttl_s
        self.max_sessions = max_sessions or LIMITS.max_sessions
        self.max_runs = max_runs or LIMITS.max_runs_per_session
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._full_precision_metrics: dict[tuple[str, str], dict] = {}

    # sessions --------------------------------------------------------------
    def open(self, token: str | None = None) -> str:
        """The owner token of a live session: `token`'s own when it is still live, else a new session's."""
        if token:
            with self._lock:
                session = self._sessions.get(token)
                if session is not None and not session.closed:
                    session.last_seen = self.clock()
                    return token
        new = secrets.token_urlsafe(32)
        self._create(new)
        return new

    def session(self, owner: str) -> Session:
        """The live session of `owner` (its idle clock restarts), or a ValueError asking for a reload."""
        with self._lock:
            session = self._sessions.get(owner or "")
            if session is None or session.closed:
                raise ValueError(t("studio.err.session_ended", minutes=f"{self.ttl_s / 60:.0f}"))
            session.last_seen = self.clock()
            return session

    def session_for(self, key: str) -> Session:
        """The session of a server-chosen key (an API client without a token), created on first use."""
        with self._lock:
            session = self._sessions.get(key)
            if session is not None and not session.closed:
                session.last_seen = self.clock()
                return session
        return self._create(key)

    def _create(self, owner: str) -> Session:
        self.reap()
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                raise ValueError(t("studio.err.max_sessions", count=len(self._sessions)))
            self.root.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix="session-", dir=self.root))
            session = self._sessions[owner] = Session(owner, folder, self.clock())
            return session

    def close(self, owner: str) -> None:
        """End a session: stop its run, delete its files (adapters, exports), drop its adapters from the pool."""
        with self._lock:
            session = self._sessions.pop(owner, None)
        if session is None:
            return
        session.closed = True
        if session.stop is not None:
            session.stop.set()
        with session.lock:
            for run in session.runs.values():
                self.pool.forget(run.adapter_dir)
                learned.CACHE.forget(run.adapter_dir)  # its analysis (what the adapter learned), if one was made
            session.runs.clear()
        shutil.rmtree(session.folder, ignore_errors=True)
        free_memory(models.default_device())

    def reap(self) -> list[str]:
        """Close every session idle for longer than the TTL; returns their owners."""
        now = self.clock()
        with self._lock:
            expired = [owner for owner, session in self._sessions.items() if now - session.last_seen > self.ttl_s]
        for owner in expired:
            self.close(owner)
        return expired

    def start_reaper(self, interval_s: float | None = None) -> threading.Event:
        """Reap in a background thread every `interval_s` (a tenth of the TTL, at most a minute); set the
        returned event to end it."""
        interval = interval_s or min(60.0, self.ttl_s / 10)
        done = threading.Event()

        def loop() -> None:
            while not done.wait(interval):
                self.reap()

        threading.Thread(target=loop, name="studio-reaper", daemon=True).start()
        return done

    @property
    def session_count(self) -> int:
        with self._lock:
            return len(self._sessions)

    def remember(self, owner: str, name: str, value) -> None:
        """Keep what the page showed under `name` (one of `SHOWN`: the last compare's answers and metric table),
        so a reload shows it again. One value per name, replaced by the next: bounded per session, gone with it."""
        if name not in SHOWN:
            raise ValueError(f"not a remembered view: {name!r} (one of {SHOWN})")
        self.session(owner).shown[name] = value

    def recall(self, owner: str, name: str):
        """What `remember` kept under `name`, or None."""
        return self.session(owner).shown.get(name)

    def runs(self, owner: str) -> list[Run]:
        return list(self.session(owner).runs.values())

    def run(self, owner: str, run_id: str) -> Run:
        runs = self.session(owner).runs
        if run_id not in runs:
            raise ValueError(t("studio.err.no_run", run_id=repr(run_id),
                               runs=sorted(runs) or t("studio.err.no_runs_yet")))
        return runs[run_id]

    def running(self, owner: str) -> bool:
        return self.session(owner).stop is not None

    def follow(self, owner: str) -> Iterator[FinetuneEvent]:
        """The events of the owner's latest fine-tune, from its start, as they come (nothing if there is none)."""
        job = self.session(owner).job
        if job is None:
            return iter(())
        return self._touching(self.session(owner), job.follow())

    def _touching(self, session: Session, events: Iterator[FinetuneEvent]) -> Iterator[FinetuneEvent]:
        for event in events:
            session.last_seen = self.clock()
            yield event

    # fine-tuning -----------------------------------------------------------
    def stop(self, owner: str) -> bool:
        """Ask the owner's run (running or waiting) to stop after the current step; False if there is none."""
        stop = self.session(owner).stop
        if stop is None:
            return False
        stop.set()
        return True

    def finetune(self, owner: str, config: FinetuneConfig, examples: list[Example] | None = None
                 ) -> Iterator[FinetuneEvent]:
        """Reserve the owner's one slot, validate, then run the job in its own thread: wait in the queue
        ("waiting" events), train, save the run. Returns the job's events as they come (`follow`); the job
        goes on when nobody follows it any more (a closed tab), until it ends or is stopped.

        Everything that can be refused is refused before the run joins the queue: a second run of the
        same owner, a session with its most runs, bad settings, a run that would not fit or that would
        take longer than the work cap. The final event is the engine's "done" or "stopped"; its
        `message` names the new run.
        """
        session = self.session(owner)
        stop = self._reserve(session, runs=1)
        try:
            events = self._events(session, config, examples, stop)
        except BaseException:
            session.stop = None
            raise
        return self._start(session, config.steps, stop, [(config, events, examples, {})])

    def resume(self, owner: str, run_id: str, steps: int | None = None, examples: list[Example] | None = None
               ) -> Iterator[FinetuneEvent]:
        """Continue run `run_id` from its saved training state (adapter, AdamW state, schedule step, batch
        position, dropout stream) as a new run: the same slot, queue and checks as `finetune`.

        `steps` is the number of extra steps: None continues a stopped run to its configured total (its
        schedule as it was); a finished run needs `steps` > 0, and its cosine schedule is recomputed with
        the new total `steps_done + steps` from the current step on. `examples`: the user's data (None: the
        run's own, `Run.examples`). Refused before it queues: busy, the session's most runs, a run with no
        saved training state, a total over `LIMITS.max_steps`, the extra steps over the work cap. The new
        run's summary has "resumed_from": run_id, and its config.steps is the new total.
        """
        session = self.session(owner)
        run = self.run(owner, run_id)
        if not has_training_state(run.adapter_dir):
            raise ValueError(t("experiments.err.no_state", run_id=run_id))
        done, configured = run.summary["steps_done"], run.config.steps
        if steps is None:
            if not run.summary["stopped"] or done >= configured:
                raise ValueError(t("experiments.err.steps_needed", run_id=run_id, steps=done))
            steps = configured - done
        check_whole_number(t("experiments.field.extra_steps"), steps, 1, LIMITS.max_steps)
        total = done + steps
        if total > LIMITS.max_steps:
            raise ValueError(t("experiments.err.resume_total", run_id=run_id, done=done, extra=steps, total=total,
                               limit=LIMITS.max_steps))
        config = replace(run.config, steps=total)
        examples = run.examples if examples is None else examples
        stop = self._reserve(session, runs=1)
        try:
            events = self._events(session, config, examples, stop, resume=run.adapter_dir)
        except BaseException:
            session.stop = None
            raise
        return self._start(session, config.steps, stop, [(config, events, examples, {"resumed_from": run_id})])

    def experiment(self, owner: str, name: str, base: FinetuneConfig, examples: list[Example] | None = None
                   ) -> Iterator[FinetuneEvent]:
        """Run the experiment preset `name` (playground.finetune.experiments) on `base`: its variants one
        after another in one job (the owner's slot held throughout; `stop` ends the current run and the
        rest), each through the queue and kept as its own run, whose summary has "experiment": {"id",
        "name", "variant", "index", "count"}. Every event's message names the variant.

        Refused before anything starts: an unknown name, the owner busy, fewer runs left in the session
        than variants, and any variant that is not valid, would not fit or is over the work cap.
        """
        preset = find_experiment(name)
        session = self.session(owner)
        variants = preset.configs(base)
        stop = self._reserve(session, runs=len(variants), experiment=name)
        runs = []
        try:
            for label, config in variants:
                try:
                    events = self._events(session, config, examples, stop)
                except ValueError as err:
                    raise ValueError(t("experiments.err.variant", variant=label, error=str(err))) from None
                runs.append((label, config, events))
        except BaseException:
            for _label, _config, events in runs:
                events.close()
            session.stop = None
            raise
        with session.lock:
            session.experiment_count += 1
            experiment_id = f"exp{session.experiment_count}"
            session.experiments.append({"id": experiment_id, "name": name, "variants": [l for l, _c in variants]})
            del session.experiments[:-MAX_EXPERIMENTS]
        title, count = t(preset.title), len(runs)
        jobs = [(config, events, examples, {"experiment": {"id": experiment_id, "name": name, "variant": label,
                                                            "index": index, "count": count}},
                 t("experiments.msg.variant", title=title, index=index + 1, count=count, variant=label))
                for index, (label, config, events) in enumerate(runs)]
        return self._start(session, base.steps, stop, jobs)

    def experiment_runs(self, owner: str, experiment_id: str) -> list[Run]:
        """The runs the experiment `experiment_id` has kept so far, in its variants' order."""
        runs = [run for run in self.runs(owner) if (run.summary.get("experiment") or {}).get("id") == experiment_id]
        return sorted(runs, key=lambda run: run.summary["experiment"]["index"])

    def experiments(self, owner: str) -> list[dict]:
        """The session's experiments, latest last: {"id", "name", "variants"}."""
        return [dict(entry) for entry in self.session(owner).experiments]

    def _reserve(self, session: Session, runs: int, experiment: str | None = None) -> threading.Event:
        """The owner's one slot (its stop flag), when it is free and the session has room for `runs` runs."""
        stop = threading.Event()
        with session.lock:
            if session.stop is not None:
                raise ValueError(t("studio.err.busy"))
            if len(session.runs) >= self.max_runs:
                raise ValueError(t("studio.err.max_runs", count=len(session.runs)))
            left = self.max_runs - len(session.runs)
            if runs > left:
                raise ValueError(t("experiments.err.runs_left", name=experiment, count=runs, left=left,
                                   most=self.max_runs))
            session.stop = stop
        return stop

    def _events(self, session: Session, config: FinetuneConfig, examples: list[Example] | None,
                stop: threading.Event, resume: Path | None = None) -> Iterator[FinetuneEvent]:
        """The run's events, validated now (a ValueError before anything starts), trained when iterated."""
        training_dir = session.folder / TRAINING_FOLDER  # the child process saves the adapter here
        if LIMITS.finetune_process:
            return run_in_process(config, examples, stop, LIMITS.max_run_seconds, training_dir, resume=resume)
        if zerogpu.ON_ZEROGPU:  # one spaces.GPU call; the adapter saved in training_dir
            return zerogpu.finetune(config, examples, stop, LIMITS.max_run_seconds, training_dir, resume=resume)
        return run_finetune(config, examples, stop, max_seconds=LIMITS.max_run_seconds, resume=resume)

    def _start(self, session: Session, total_steps: int, stop: threading.Event, runs: list[tuple]
               ) -> Iterator[FinetuneEvent]:
        """One job in its own thread: each of `runs` (config, events, examples, summary extras[, message
        prefix]) queued, trained and kept in turn, until the last ends or `stop` is set; then the slot is free."""
        job = session.job = Job(total_steps)

        def work() -> None:
            error = None
            try:
                for index, (config, events, examples, extra, *prefix) in enumerate(runs):
                    if stop.is_set() or session.closed:
                        break
                    left = len(runs) - index - 1
                    for event in self._queued(session, config, events, stop, examples, extra):
                        if prefix:
                            event.message = (t("experiments.msg.variant_message", prefix=prefix[0],
                                               message=event.message) if event.message else prefix[0])
                            if event.kind == "stopped" and left:
                                event.message += t("experiments.msg.rest_skipped", count=left)
                        job.add(event)
            except Exception as err:  # noqa: BLE001 - handed to whoever follows the job
                error = err
            finally:
                for _config, events, *_rest in runs:
                    events.close()  # the variants that never ran: nothing started, nothing to keep
                session.stop = None  # the slot is free before followers see the job end
                job.finish(error)

        threading.Thread(target=i18n.bound(work), name=f"finetune-{session.folder.name}", daemon=True).start()
        return self._touching(session, job.follow())

    def _queued(self, session: Session, config: FinetuneConfig, events: Iterator[FinetuneEvent],
                stop: threading.Event, examples: list[Example] | None = None, extra: dict | None = None
                ) -> Iterator[FinetuneEvent]:
        ticket = None
        try:
            ticket = self.queue.join(session.owner)
            for position in self.queue.wait(ticket, stop):
                session.last_seen = self.clock()
                yield FinetuneEvent("waiting", total_steps=config.steps,
                                    message=t("studio.msg.waiting", position=position))
            if stop.is_set():
                events.close()
                yield FinetuneEvent("stopped", total_steps=config.steps, message=t("studio.msg.left_queue"))
                return
            for event in events:
                session.last_seen = self.clock()
                if event.kind in ("done", "stopped"):
                    event.message = self._register(session, config, event, examples, extra)
                yield event
        finally:
            if ticket is not None:
                self.queue.release(ticket)
            events.close()  # a run in its own process: stopped and waited for here
            shutil.rmtree(session.folder / TRAINING_FOLDER, ignore_errors=True)  # copied into the run, if kept

    def _register(self, session: Session, config: FinetuneConfig, event: FinetuneEvent,
                  examples: list[Example] | None = None, extra: dict | None = None) -> str:
        result = event.result
        if session.closed or result.steps_done == 0 or result.steps_done <= result.resumed_at:
            result.model = result.training_state = None
            return t("studio.msg.nothing_kept", message=event.message)
        run_id = f"run{len(session.runs) + 1}"
        adapter_dir = save_adapter(result, session.folder / run_id)  # a child's folder: its training state too
        if result.training_state is not None:  # trained in this process: the state is still in memory
            save_training_state(result.training_state, adapter_dir)
        summary = result.summary()
        if result.dataset.name != datasets.USER_DATA and config.eval_examples:
            summary["metric_full_precision"] = self.full_precision_metric(config, result.dataset)
        summary.update(extra or {})
        (adapter_dir / "metrics.json").write_text(  # write_metrics' data, and where the run came from
            json.dumps({**result.summary(), **(extra or {})}, indent=1, default=str))
        result.model = result.training_state = None  # compare loads the saved adapter into the shared base
        gc.collect()
        with session.lock:
            if session.closed:
                return event.message
            session.runs[run_id] = Run(run_id, config, summary, adapter_dir,
                                       list(examples) if examples is not None else None)
        return t("studio.msg.saved", message=event.message, run_id=run_id)

    def full_precision_metric(self, config: FinetuneConfig, dataset) -> dict:
        """The held-out metric of the full-precision model (cached per model and built-in dataset)."""
        key = (config.model_id, dataset.name)
        if key not in self._full_precision_metrics:
            loaded = models.load_model(config.model_id)
            self._full_precision_metrics[key] = held_out_metric(loaded.model, loaded.tokenizer, dataset,
                                                                config.eval_examples)
        return self._full_precision_metrics[key]

    # comparing ---------------------------------------------------------------
    def compare(self, owner: str, prompts: list[str], run_id: str | None = None,
                decoding: Decoding = Decoding(), model_id: str | None = None) -> list[dict[str, str]]:
        """Each prompt answered by the full-precision model, the 4-bit base and the 4-bit base + the run's LoRA.

        Without a run (`run_id` None) the LoRA column is empty and the 4-bit base uses NF4 + DQ. Prompts
        longer than `LIMITS.max_prompt_tokens` are refused before any model runs.
        """
        prompts = [p for p in (prompt.strip() for prompt in prompts) if p]
        if not prompts:
            raise ValueError(t("studio.err.no_prompt"))
        if len(prompts) > 16:
            raise ValueError(t("studio.err.too_many_prompts", count=len(prompts)))
        run = self.run(owner, run_id) if run_id else None
        key = run.quant_key if run else (model_id or models.default_model_id(), "nf4", True)
        tokenizer = models.load_tokenizer(key[0])
        check_prompt_length(tokenizer, prompts)
        if zerogpu.ON_ZEROGPU:  # the models live in ZeroGPU's worker, loaded inside the call
            full, base, lora = zerogpu.run_on_gpu(
                zerogpu.answers, key, run.adapter_dir if run else None, prompts, decoding, i18n.language(),
                estimate_s=zerogpu.generation_estimate_s(decoding.max_new_tokens))
        else:
            loaded = models.load_model(key[0])
            full = generate(loaded.model, tokenizer, prompts, decoding)
            with self.pool.use(key) as base_model:
                base = generate(base_model, tokenizer, prompts, decoding)
            lora = [""] * len(prompts)
            if run is not None:
                lora = self.lora_answers(owner, run.run_id, prompts, decoding)
        return [
            {"prompt": p, "full_precision": f, "base_4bit": b, "lora_4bit": a}
            for p, f, b, a in zip(prompts, full, base, lora)
        ]

    def lora_answers(self, owner: str, run_id: str, prompts: list[str], decoding: Decoding = Decoding()) -> list[str]:
        """Only the 4-bit + LoRA answers (what an exported adapter must reproduce)."""
        run = self.run(owner, run_id)
        with self.pool.use(run.quant_key, run.adapter_dir) as model:
            return generate(model, models.load_tokenizer(run.config.model_id), prompts, decoding)

    # export ------------------------------------------------------------------
    def export(self, owner: str, run_id: str) -> Path:
        """A zip of the run's adapter folder (peft format, plus metrics.json) inside the session folder."""
        session = self.session(owner)
        run = self.run(owner, run_id)
        exports = session.folder / "exports"
        exports.mkdir(exist_ok=True)
        path = exports / f"{run_id}-adapter.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(run.adapter_dir.iterdir()):
                if file.name != TRAINING_STATE:  # what resuming reads, not part of the adapter
                    archive.write(file, arcname=f"{run_id}-adapter/{file.name}")
        return path

    def metrics_table(self, owner: str, run_id: str) -> list[list]:
        """[metric, full precision, 4-bit base, 4-bit + LoRA] rows for the run's held-out split."""
        summary = self.run(owner, run_id).summary
        before, after = summary.get("metric_before") or {}, summary.get("metric_after") or {}
        full = summary.get("metric_full_precision") or {}
        rows = []
        for name in before or after:
            label = datasets.metric_label(summary["dataset"], name)
            rows.append([label, full.get(name), before.get(name), after.get(name)])
        losses = [entry["eval_loss"] for entry in summary["history"] if "eval_loss" in entry]
        if losses:
            rows.append([t("studio.metric.held_out_loss"), None, round(losses[0], 4), round(losses[-1], 4)])
        return rows


def check_prompt_length(tokenizer, prompts: list[str], message: str = "studio.err.prompt_too_long",
                        limit: int | None = None) -> None:
    """Refuse a prompt over `limit` tokens (`LIMITS.max_prompt_tokens` by default; by its length in characters
    first, so a huge paste is refused before it is tokenized), with the text `message` (`chars`, `limit`)."""
    limit = LIMITS.max_prompt_tokens if limit is None else limit
    for prompt in prompts:
        tokens = limit + 1 if len(prompt) > 16 * limit else len(tokenizer(prompt, add_special_tokens=False).input_ids)
        if tokens > limit:
            raise ValueError(t(message, chars=f"{len(prompt):,}", limit=limit))


def summary_json(run: Run) -> str:
    return json.dumps({key: value for key, value in run.summary.items() if key != "history"}, indent=1, default=str)


def loss_figure(history: list[dict]):
    """Train loss per step and held-out loss at its eval points (a plotly figure)."""
    import plotly.graph_objects as go

    train = [entry for entry in history if "loss" in entry]
    held_out = [entry for entry in history if "eval_loss" in entry]
    figure = go.Figure()
    figure.add_scatter(x=[e["step"] for e in train], y=[e["loss"] for e in train], mode="lines",
                       name=t("studio.plot.train"))
    figure.add_scatter(x=[e["step"] for e in held_out], y=[e["eval_loss"] for e in held_out], mode="lines+markers",
                       name=t("studio.plot.held_out"))
    figure.update_layout(xaxis_title=t("studio.plot.step"), yaxis_title=t("studio.plot.loss"), height=320,
                         margin=dict(l=50, r=20, t=30, b=40), legend=dict(orientation="h", y=1.12, x=1, xanchor="right"))
    return figure
