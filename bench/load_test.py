"""Load test: fifty API users, three fine-tunes and a few hostile clients at once, through the app's real API.

    app (own process, short session TTL, its own Gradio cache folder)
      1. alone     one client: every user's quantize / adapter counts / compare once (the reference answers
                   and the idle latencies); one fine-tune alone (its tokens/s); the same fine-tune again while
                   one client sends the same quick requests (the fairness check: quick p95 within 3× idle,
                   the fine-tune at least half its tokens/s)
      2. baseline  every session of phase 1 reaped (waited for, not slept): RSS, session folders, cache files
      3. load      ◄── 50 gradio_client sessions (no browser, no heartbeat): quantize · adapter counts ·
                       compare, in rounds, until every fine-tune has ended
                   ◄── 3 sessions: a fine-tune each (the queue runs them one after the other), then a compare
                       with the new run and its adapter's export
                   ◄── 3 hostile sessions, interleaved: a 60,000-character prompt, a 6.4 MB paste, a custom shape
                       of 20,000 layers or d_model 1e12, a seed of 1e30, 1.2 MB of typed numbers, a run over the
                       work cap, three /finetune calls at once — each must be refused with its message
      4. after     every session reaped (the server's folders polled until they are gone), Gradio's cache swept:
                   RSS, session folders and cache files against the baseline

Every quick answer is checked: against the same request made alone before the load (so an answer
under load is the answer, not merely *an* answer), against playground's own functions where they
give the number directly, and against the client's own inputs (no session is ever answered with
another session's data). Hostile requests are counted apart from the users' requests.

    python -m bench.load_test [--clients 50] [--rounds 3] [--finetunes 3] [--hostile 3] [--steps 40] [--ttl 120]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import psutil

from bench.server import launch_app, stop_app, tree_rss, wait_until_up

QUICK_ACTIONS = ("quantize", "adapter_counts", "compare")
FAIRNESS_ACTIONS = ("quantize", "adapter_counts")  # the bar: within 3× their idle p95 while a fine-tune trains
STUDIO_FOLDER = "peft-playground-studio"  # inside GRADIO_TEMP_DIR (playground/ui/studio_tab.py)
CACHE_BOOKKEEPING = ("vibe_edit_history",)  # Gradio's own folders in its cache, not users' files
MIB = 1024 * 1024
IDLE_SAMPLES = 40  # idle requests per quick action at least


@dataclass
class LoadReport:
    clients: int
    rounds: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in QUICK_ACTIONS})
    idle: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in QUICK_ACTIONS})
    during_finetune: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in FAIRNESS_ACTIONS})
    failures: list[str] = field(default_factory=list)  # exceptions and wrong answers, described
    hostile: list[dict] = field(default_factory=list)  # per hostile request: case, client, refused, detail
    finetunes: list[dict] = field(default_factory=list)  # under load, per run: times, positions, final text, tokens/s
    finetune_alone: dict | None = None  # the same run with nothing else on the server
    finetune_beside_quick: dict | None = None  # the same run while one client sends quick requests
    rss_baseline: int = 0
    rss_peak: int = 0
    rss_after: int = 0
    folders_baseline: int = 0
    folders_after: int = 0
    cache_files_baseline: int = 0
    cache_files_after: int = 0
    reaped_after_s: float = float("nan")  # from the end of the load until every session folder was gone
    load_s: float = 0.0
    machine_load: tuple[float, float] = (float("nan"), float("nan"))  # 1-minute load average before / after

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @staticmethod
    def _percentile(values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) if values else float("nan")

    def percentile(self, action: str, q: float) -> float:
        return self._percentile(self.latencies[action], q)

    def idle_percentile(self, action: str, q: float) -> float:
        return self._percentile(self.idle[action], q)

    def during_finetune_percentile(self, action: str, q: float) -> float:
        return self._percentile(self.during_finetune[action], q)

    def tokens_per_s_loaded(self) -> float:
        values = [run["tokens_per_s"] for run in self.finetunes if run.get("tokens_per_s")]
        return float(np.median(values)) if values else float("nan")

    def hostile_counts(self) -> dict[str, tuple[int, int]]:
        """case → (requests refused with their message, requests)."""
        counts: dict[str, tuple[int, int]] = {}
        for entry in self.hostile:
            refused, requests = counts.get(entry["case"], (0, 0))
            counts[entry["case"]] = (refused + entry["refused"], requests + entry["requests"])
        return counts

    def finetunes_serial(self) -> bool:
        """Each fine-tune began training only after the one before it ended."""
        runs = sorted(self.finetunes, key=lambda run: run["first_step"] or float("inf"))
        return all(
            later["first_step"] is not None and earlier["done"] is not None and later["first_step"] >= earlier["done"]
            for earlier, later in zip(runs, runs[1:])
        )


# --------------------------------------------------------------------------- the three quick actions

def _numbers_for(client: int) -> list[float]:
    """Inputs unique to each client, so a mixed-up answer shows."""
    rng = np.random.default_rng(1000 + client)
    return [round(float(v), 4) for v in rng.normal(0, 1 + client, size=8)]


def quantize_request(client: int) -> dict:
    numbers = ", ".join(str(v) for v in _numbers_for(client))
    return dict(source="typed", numbers=numbers, layer=None, schemes=["absmax", "nf4"], bits=8, granularity="tensor",
                blocksize="64", double_quant=False, block=-1, api_name="/quantize")


def adapter_counts_request(client: int) -> dict:
    return dict(source="custom", d_model=64 * (client + 1), d_ff=128 * (client + 1), layers=2 + client % 5,
                heads=4, kv_heads=4, r=1 + client % 8, target_modules=["q", "v"], bottleneck=8,
                api_name="/adapter_counts")


def compare_request(client: int, model_id: str) -> dict:
    return dict(prompt=f"Say something about the number {client}.", run_id="", held_out=0, temperature=0.0,
                seed=0, max_new_tokens=8, model_id=model_id, api_name="/compare")


def finetune_request(model_id: str, steps: int) -> dict:
    return dict(model_id=model_id, source="builtin", upload=None, pasted="", dataset="pirate", steps=steps,
                batch_size=2, max_length=96, warmup_steps=1, eval_every=0, api_name="/finetune")


def _request(action: str, client: int, model_id: str) -> dict:
    if action == "quantize":
        return quantize_request(client)
    if action == "adapter_counts":
        return adapter_counts_request(client)
    return compare_request(client, model_id)


def _tables(result) -> list:
    """The data of every Dataframe in an endpoint's result (figures and markdown are left out)."""
    items = result if isinstance(result, (list, tuple)) else [result]
    return [item["data"] for item in items if isinstance(item, dict) and "data" in item and "headers" in item]


def check_quantize(client: int, result) -> str | None:
    from playground.quant import quantize

    metrics, steps = _tables(result)[:2]
    numbers = _numbers_for(client)
    values = [float(row[2]) for row in steps if row[0].startswith("NF4")]
    if not np.allclose(values, numbers, rtol=1e-3, atol=1e-6):
        return f"client {client}: quantize answered for other numbers {values[:3]}…"
    expected = quantize(np.array(numbers, dtype=np.float32), "nf4").dequantized.tolist()
    served = [float(row[8]) for row in steps if row[0].startswith("NF4")]
    if not np.allclose(served, expected, rtol=1e-3, atol=1e-6):
        return f"client {client}: NF4 dequantized {served[:3]}… instead of {expected[:3]}…"
    return None


def check_adapter_counts(client: int, result) -> str | None:
    request = adapter_counts_request(client)
    d, layers, r = request["d_model"], request["layers"], request["r"]
    expected_lora = layers * r * (d + d) * 2  # q and v are d → d here (kv_heads = heads)
    table = _tables(result)[0]
    lora_total = next(row for row in table if row[0] == "LoRA" and row[1] == "total")
    if int(lora_total[5]) != expected_lora:
        return f"client {client}: LoRA total {lora_total[5]} instead of {expected_lora}"
    return None


def check_answer(action: str, client: int, result, reference: dict) -> str | None:
    if action == "quantize":
        return check_quantize(client, result)
    if action == "adapter_counts":
        return check_adapter_counts(client, result)
    if _tables(result) != reference[client]:
        return f"client {client}: compare answered differently under load"
    return None


# --------------------------------------------------------------------------- hostile inputs

TINY_RUN = dict(model_id="tiny/llama", source="builtin", upload=None, pasted="", dataset="sentiment", steps=2,
                batch_size=2, max_length=96, warmup_steps=1, eval_every=0)
THREE_AT_ONCE = "three /finetune calls at once from one client"


@dataclass(frozen=True)
class Hostile:
    case: str
    endpoint: str
    arguments: dict
    message: str  # a regular expression the refusal must match


HOSTILE_CASES = (
    Hostile("compare prompt of 60,000 characters", "/compare",
            dict(prompt="word " * 12_000, run_id="", held_out=0, max_new_tokens=8, model_id="tiny/llama"),
            "longer than the 512 tokens"),
    Hostile("pasted dataset of 6.4 MB", "/finetune", {**TINY_RUN, "source": "paste", "pasted": "q ||| a\n" * 800_000},
            "the pasted text is"),
    Hostile("custom shape with 20,000 layers", "/adapter_counts", dict(source="custom", layers=20_000),
            "layers must be a whole number from 1 to 1024"),
    Hostile("custom shape with d_model 1e12", "/adapter_counts", dict(source="custom", d_model=1e12),
            "d_model must be a whole number from 1 to 131072"),
    Hostile("quantize seed 1e30", "/quantize", dict(source="synthetic", seed=1e30),
            "seed must be a whole number from 0 to 4294967295"),
    Hostile("1.2 MB of typed numbers", "/quantize", dict(source="typed", numbers="1, " * 400_000),
            "characters is more than the limit"),
    Hostile("run over the work cap (500 steps × batch 64 × accumulation 64)", "/finetune",
            {**TINY_RUN, "steps": 500, "batch_size": 64, "grad_accum": 64},
            r"estimated at [\d,]+ s of training .* \(PLAYGROUND_MAX_RUN_SECONDS\)"),
    Hostile(THREE_AT_ONCE, "/finetune", {**TINY_RUN, "steps": 6}, "already has a fine-tune running or waiting"),
)


def _still_serves(client) -> str | None:
    """The hostile client's own next ordinary request is answered (the refusal broke nothing)."""
    summary, *_ = client.predict(source="typed", numbers="1, 2, 3", api_name="/quantize")
    return None if "3 values" in summary else f"quantize after a refused request answered {summary[:80]!r}"


def _one_hostile(client, case: Hostile) -> dict:
    entry = {"case": case.case, "requests": 1, "refused": 0, "ok": False, "detail": ""}
    try:
        client.predict(**case.arguments, api_name=case.endpoint)
        entry["detail"] = "accepted"
    except Exception as err:  # noqa: BLE001 - a refusal is what is wanted; its message is checked
        entry["refused"] = int(bool(re.search(case.message, str(err))))
        entry["ok"] = bool(entry["refused"])
        entry["detail"] = "" if entry["ok"] else f"refused with another message: {str(err)[:200]}"
    return entry


def _three_at_once(client, case: Hostile) -> dict:
    """Three /finetune calls at once on one connection: two refused at once, one accepted, which the client then
    stops (so it adds no fourth fine-tune to the figures); the client's slot is free again when all have ended."""
    entry = {"case": case.case, "requests": 3, "refused": 0, "ok": False, "detail": ""}
    jobs = [client.submit(**case.arguments, api_name=case.endpoint) for _ in range(3)]
    deadline = time.monotonic() + 300
    while sum(job.done() for job in jobs) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    client.predict(api_name="/finetune_stop")
    accepted = []
    for job in jobs:
        try:
            accepted.append(str(job.result(timeout=600)[0]))
        except Exception as err:  # noqa: BLE001
            if re.search(case.message, str(err)):
                entry["refused"] += 1
            else:
                entry["detail"] = f"refused with another message: {str(err)[:200]}"
    entry["ok"] = entry["refused"] == 2 and len(accepted) == 1
    if not entry["ok"] and not entry["detail"]:
        entry["detail"] = f"{entry['refused']} refused, {len(accepted)} accepted"
    return entry


def _hostile_client(client, index: int, cases: tuple[Hostile, ...], gap_s: float, report: LoadReport,
                    lock: threading.Lock, stop: threading.Event) -> None:
    """Every hostile case, each client in its own order, with a pause before each so they land amid the load."""
    try:
        shift = index % max(1, len(cases))
        for case in cases[shift:] + cases[:shift]:
            if stop.wait(gap_s):
                break
            entry = _three_at_once(client, case) if case.case == THREE_AT_ONCE else _one_hostile(client, case)
            entry["client"] = index
            problem = _still_serves(client)
            with lock:
                report.hostile.append(entry)
                if not entry["ok"]:
                    report.failures.append(f"hostile {index} {case.case}: {entry['detail']}")
                if problem:
                    report.failures.append(f"hostile {index} {case.case}: {problem}")
    except Exception as err:  # noqa: BLE001
        with lock:
            report.failures.append(f"hostile {index}: {type(err).__name__}: {err}")
    finally:
        client.close()


# --------------------------------------------------------------------------- the runners

def connect(url: str, **options):
    """A gradio_client session, no browser and no heartbeat; a minute before any one HTTP call counts as hung
    (the default 5 s is less than the server takes to answer 50 users' first calls on 2 cores)."""
    from gradio_client import Client

    return Client(url, verbose=False, httpx_kwargs={"timeout": 60}, **options)


def _timed(client, **request):
    start = time.perf_counter()
    result = client.predict(**request)
    return result, time.perf_counter() - start


def _quick_client(client, index: int, rounds: int, model_id: str, report: LoadReport, lock: threading.Lock,
                  reference: dict, keep_going: Callable[[], bool]) -> None:
    """`rounds` rounds of the three quick actions, then more while `keep_going()` (fine-tunes still running)."""
    done = 0
    try:
        while done < rounds or keep_going():
            for action in QUICK_ACTIONS:
                try:
                    result, seconds = _timed(client, **_request(action, index, model_id))
                except Exception as err:  # noqa: BLE001 - every failure is reported, not raised
                    with lock:
                        report.failures.append(f"client {index} {action}: {type(err).__name__}: {err}")
                    continue
                problem = check_answer(action, index, result, reference)
                with lock:
                    report.latencies[action].append(seconds)
                    if problem:
                        report.failures.append(problem)
            done += 1
    finally:
        client.close()
        with lock:
            report.rounds = max(report.rounds, done)


def _finetune(client, model_id: str, steps: int, report: LoadReport, lock: threading.Lock,
              then_compare_and_export: bool = False) -> dict:
    """One fine-tune on its own connection (`client`, closed at the end): queue positions seen, when training
    began and ended, its tokens/s (from the run's summary JSON); then, if asked, a compare with the new run and
    its adapter's export."""
    record = {"start": time.monotonic(), "first_step": None, "last_step": None, "done": None, "end": None,
              "positions": [], "final": "", "tokens_per_s": None, "export": None}
    try:
        job = client.submit(**finetune_request(model_id, steps))
        for output in job:
            text = str(output[0])
            waiting = re.search(r"waiting: position (\d+)", text)
            if waiting:
                record["positions"].append(int(waiting.group(1)))
            if re.search(r"step \d+/", text):  # the page shows steps at most twice a second: any step will do
                record["first_step"] = record["first_step"] or time.monotonic()
                record["last_step"] = time.monotonic()
            record["final"] = text
        progress, _, summary, _ = job.result()
        record["done"] = time.monotonic()  # the run has ended (its last event came)
        record["final"] = str(progress)
        record["tokens_per_s"] = json.loads(summary or "{}").get("tokens_per_s")
        if "saved as run1" not in record["final"]:
            raise RuntimeError(f"the run ended with {record['final'][-160:]!r}")
        if then_compare_and_export:
            answers, _ = client.predict(prompt="Hello", run_id="run1", held_out=0, max_new_tokens=8,
                                        api_name="/compare")
            if len(answers["data"]) != 1 or not all(isinstance(cell, str) for cell in answers["data"][0]):
                raise RuntimeError(f"compare with run1 answered {answers['data']!r}")
            record["export"] = client.predict(run_id="run1", api_name="/export_adapter")["path"]
    except Exception as err:  # noqa: BLE001
        with lock:
            report.failures.append(f"fine-tune: {type(err).__name__}: {err}")
    finally:
        record["end"] = time.monotonic()
        client.close()
    return record


def _quick_beside_finetune(url: str, clients: int, model_id: str, steps: int, report: LoadReport,
                           lock: threading.Lock, reference: dict) -> dict:
    """The fairness check: one client sends the idle measurement's requests back to back while one fine-tune
    trains; only requests made wholly between its first and its last step shown count."""
    result: dict = {}
    tuner, client = connect(url, download_files=False), connect(url)
    runner = threading.Thread(target=lambda: result.update(_finetune(tuner, model_id, steps, report, lock)))
    runner.start()
    samples: list[tuple[str, float, float]] = []  # action, start, end
    try:
        index = 0
        while runner.is_alive():
            for action in FAIRNESS_ACTIONS:
                start = time.monotonic()
                try:
                    answer = client.predict(**_request(action, index % clients, model_id))
                    problem = check_answer(action, index % clients, answer, reference)
                except Exception as err:  # noqa: BLE001
                    problem = f"beside the fine-tune, {action}: {type(err).__name__}: {err}"
                samples.append((action, start, time.monotonic()))
                if problem:
                    with lock:
                        report.failures.append(problem)
            index += 1
    finally:
        runner.join()
        client.close()
    first, last = result.get("first_step"), result.get("last_step")
    for action, start, end in samples:
        if first is not None and last is not None and start >= first and end <= last:
            report.during_finetune[action].append(end - start)
    return result


def studio_root(cache: Path) -> Path:
    return cache / STUDIO_FOLDER


def session_folders(cache: Path) -> int:
    root = studio_root(cache)
    return len(list(root.glob("session-*"))) if root.exists() else 0


def cache_files(cache: Path) -> int:
    """Files in Gradio's cache folder outside the session folders and Gradio's own bookkeeping."""
    root = studio_root(cache)
    count = 0
    for path in cache.rglob("*"):
        relative = path.relative_to(cache)
        in_session = path.is_relative_to(root) and len(relative.parts) > 1 and relative.parts[1].startswith("session-")
        if relative.parts[0] not in CACHE_BOOKKEEPING and not in_session:
            count += path.is_file()
    return count


def wait_until(condition: Callable[[], bool], bound_s: float) -> bool:
    """Polls `condition` (server state) until it holds; the bound only guards against a hang."""
    deadline = time.monotonic() + bound_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def run_load_test(clients: int = 50, rounds: int = 3, finetunes: int = 3, model_id: str = "tiny/llama",
                  steps: int = 40, hostile: int = 3, hostile_cases: tuple[Hostile, ...] = HOSTILE_CASES,
                  ttl_s: int = 120, finetune_alone: bool = True, hostile_gap_s: float = 3.0,
                  idle_samples: int = IDLE_SAMPLES, extra_env: dict[str, str] | None = None) -> LoadReport:
    """The whole test (see the module's docstring); `finetune_alone=False` leaves out the fine-tune's runs
    alone and beside one quick client (the suite's version keeps to correctness and leaks).

    `ttl_s` must be longer than a request waits in the queue under the load: an API session's idle clock
    runs while its request waits, so a shorter TTL reaps sessions whose requests are still queued."""
    report = LoadReport(clients)
    report.machine_load = (os.getloadavg()[0], float("nan"))
    lock = threading.Lock()
    cache = Path(tempfile.mkdtemp(prefix="load-test-gradio-cache-"))
    env = {"PLAYGROUND_CONCURRENT_FINETUNES": "1", "PLAYGROUND_SESSION_TTL_S": str(ttl_s),
           "GRADIO_TEMP_DIR": str(cache), **(extra_env or {})}
    log = cache.parent / f"{cache.name}.log"  # the server's log, kept only when something failed
    process, url = launch_app(env, log_path=log)
    reap_bound = 5 * ttl_s + 120  # the reaper runs every TTL/10; this only guards against a hang
    sweep_bound = max(60, ttl_s // 10) + ttl_s + 60  # Gradio's cache sweep (playground/ui/interface.py)
    try:
        wait_until_up(url, process)
        server = psutil.Process(process.pid)

        # 1. alone: the reference answers, the idle latencies, the fine-tune alone and beside quick requests
        warm = connect(url)
        warm.predict(**quantize_request(0))
        warm.predict(**adapter_counts_request(0))
        warm.predict(**compare_request(0, model_id))
        reference = {}
        for i in range(clients):
            result, seconds = _timed(warm, **compare_request(i, model_id))
            reference[i] = _tables(result)
            report.idle["compare"].append(seconds)
        for i in range(max(clients, idle_samples)):  # every user's requests, and enough of them for a p95
            for action in FAIRNESS_ACTIONS:
                result, seconds = _timed(warm, **_request(action, i % clients, model_id))
                report.idle[action].append(seconds)
                problem = check_answer(action, i % clients, result, reference)
                if problem:
                    report.failures.append(problem)
        warm.close()
        if finetune_alone:
            _finetune(connect(url, download_files=False), model_id, 2, report, lock)  # loads what later runs use
            report.finetune_alone = _finetune(connect(url, download_files=False), model_id, steps, report, lock)
            report.finetune_beside_quick = _quick_beside_finetune(url, clients, model_id, steps, report, lock,
                                                                  reference)

        # 2. baseline: nothing of phase 1 left
        if not wait_until(lambda: session_folders(cache) == 0, reap_bound):
            report.failures.append(f"{session_folders(cache)} session folders of phase 1 still there")
        report.rss_baseline = tree_rss(server)
        report.folders_baseline = session_folders(cache)
        report.cache_files_baseline = cache_files(cache)

        # 3. load
        sampling, stop_hostile = threading.Event(), threading.Event()
        running: list[bool] = [True] * finetunes  # per fine-tune client: not ended yet
        give_up = time.monotonic() + 1800  # only against a hang: users stop asking after half an hour
        keep_going = lambda: any(running) and time.monotonic() < give_up  # noqa: E731

        def sample_memory():
            while not sampling.is_set():
                report.rss_peak = max(report.rss_peak, tree_rss(server))
                time.sleep(0.2)

        def finetune_client(slot: int, client) -> None:
            try:
                record = _finetune(client, model_id, steps, report, lock, then_compare_and_export=True)
                with lock:
                    report.finetunes.append(record)
            finally:
                running[slot] = False

        # Every session connects first (one at a time): the load is the users' requests, not 56 page loads at once.
        sampler = threading.Thread(target=sample_memory)
        quick = [threading.Thread(target=_quick_client, args=(connect(url), i, rounds, model_id, report, lock,
                                                              reference, keep_going)) for i in range(clients)]
        tunes = [threading.Thread(target=finetune_client, args=(slot, connect(url, download_files=False)))
                 for slot in range(finetunes)]
        attackers = [threading.Thread(target=_hostile_client, args=(connect(url, download_files=False), h,
                                                                    hostile_cases, hostile_gap_s, report, lock,
                                                                    stop_hostile)) for h in range(hostile)]
        started = time.monotonic()
        sampler.start()
        for thread in quick:
            thread.start()
            time.sleep(0.02)
        for thread in tunes + attackers:  # the fine-tunes and hostile requests land on a server already busy
            thread.start()
            time.sleep(0.2)
        for thread in quick + tunes + attackers:
            thread.join(timeout=3600)
        report.load_s = time.monotonic() - started
        sampling.set()
        sampler.join()
        exports = [Path(run["export"]) for run in report.finetunes if run["export"]]
        if len({path.parent.parent for path in exports}) != len(exports) or \
                not all(path.is_relative_to(studio_root(cache)) for path in exports):
            report.failures.append(f"exports not each in its own session folder: {exports}")

        # 4. after: every session reaped, the cache swept
        ended = time.monotonic()
        if not wait_until(lambda: session_folders(cache) == 0, reap_bound):
            report.failures.append(f"{session_folders(cache)} session folders left {reap_bound} s after the load")
        report.reaped_after_s = time.monotonic() - ended
        wait_until(lambda: cache_files(cache) <= report.cache_files_baseline, sweep_bound)
        report.rss_after = tree_rss(server)
        report.folders_after = session_folders(cache)
        report.cache_files_after = cache_files(cache)
    finally:
        stop_app(process)
        shutil.rmtree(cache, ignore_errors=True)
        if report.failures:
            print(f"server log: {log}")
        else:
            log.unlink(missing_ok=True)
        report.machine_load = (report.machine_load[0], os.getloadavg()[0])
    return report


# --------------------------------------------------------------------------- the report

def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def summarize(report: LoadReport) -> list[tuple[str, str, str]]:
    name = (f"load test ({report.clients} clients + {len(report.finetunes)} fine-tunes + "
            f"{len({entry['client'] for entry in report.hostile})} hostile)")
    rows = []
    for action in QUICK_ACTIONS:
        idle95, load95 = report.idle_percentile(action, 95), report.percentile(action, 95)
        rows.append((name, f"{action} p50 / p95 idle → loaded",
                     f"{_ms(report.idle_percentile(action, 50))} / {_ms(idle95)} → "
                     f"{_ms(report.percentile(action, 50))} / {_ms(load95)} ms (p95 × {load95 / idle95:.1f})"))
    for action in FAIRNESS_ACTIONS:
        if report.during_finetune[action]:
            idle95, beside95 = report.idle_percentile(action, 95), report.during_finetune_percentile(action, 95)
            rows.append((name, f"{action} p95 while one fine-tune trains (bar: ≤ 3× idle)",
                         f"{_ms(beside95)} ms (× {beside95 / idle95:.1f} idle; "
                         f"{len(report.during_finetune[action])} requests)"))
    alone = (report.finetune_alone or {}).get("tokens_per_s")
    beside = (report.finetune_beside_quick or {}).get("tokens_per_s")
    loaded = report.tokens_per_s_loaded()
    runs = ", ".join(f"{run['tokens_per_s']:.0f}" for run in report.finetunes if run["tokens_per_s"])
    if alone:
        rows.append((name, "fine-tune tokens/s alone → beside one quick client (bar: ≥ ½)",
                     f"{alone:.0f} → {beside:.0f} (× {beside / alone:.2f})" if beside else f"{alone:.0f} → ?"))
        rows.append((name, "fine-tune tokens/s alone → under the full load (median of the runs)",
                     f"{alone:.0f} → {loaded:.0f} (× {loaded / alone:.2f}); runs: {runs}"))
    else:
        rows.append((name, "fine-tune tokens/s under the full load", runs))
    hostile = report.hostile_counts()
    rows += [
        (name, "quick requests completed / wrong or failed (rounds)",
         f"{report.requests} / {len(report.failures)} ({report.rounds} rounds in {report.load_s:.0f} s)"),
        (name, "hostile requests refused with their message",
         f"{sum(r for r, _ in hostile.values())} of {sum(n for _, n in hostile.values())} over {len(hostile)} cases"
         + (" (of three simultaneous /finetune calls two are refused; the third runs and is stopped)"
            if THREE_AT_ONCE in hostile else "")),
        (name, "fine-tunes one after the other; queue positions told",
         f"{report.finetunes_serial()}; {sorted({p for run in report.finetunes for p in run['positions']})}"),
        (name, "memory (server RSS + its children's PSS) baseline → peak → after the TTL",
         f"{report.rss_baseline / MIB:.0f} → {report.rss_peak / MIB:.0f} → {report.rss_after / MIB:.0f} MiB"),
        (name, "session folders / cache files, baseline → after the TTL",
         f"{report.folders_baseline} → {report.folders_after} / {report.cache_files_baseline} → "
         f"{report.cache_files_after} (all reaped {report.reaped_after_s:.0f} s after the load)"),
        (name, "machine load average (1 min) before → after", f"{report.machine_load[0]:.1f} → "
                                                              f"{report.machine_load[1]:.1f}"),
    ]
    return rows


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    if quick:
        report = run_load_test(clients=6, rounds=1, finetunes=2, steps=8, hostile=1, ttl_s=20)
    else:
        report = run_load_test()
    return summarize(report)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent API users (quick actions)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds each user makes at least")
    parser.add_argument("--finetunes", type=int, default=3, help="fine-tunes under load (they queue)")
    parser.add_argument("--hostile", type=int, default=3, help="hostile clients, each sending every hostile case")
    parser.add_argument("--model", default="tiny/llama")
    parser.add_argument("--steps", type=int, default=40, help="steps per fine-tune")
    parser.add_argument("--ttl", type=int, default=120, help="the app's PLAYGROUND_SESSION_TTL_S (longer than a "
                        "request waits in the queue under the load: an API session's idle clock runs meanwhile)")
    args = parser.parse_args(argv)
    report = run_load_test(args.clients, args.rounds, args.finetunes, model_id=args.model, steps=args.steps,
                           hostile=args.hostile, ttl_s=args.ttl)
    for row in summarize(report):
        print(" | ".join(row[1:]))
    for case, (refused, total) in report.hostile_counts().items():
        print(f"  hostile: {case}: {refused} of {total} refused")
    for failure in report.failures:
        print("FAILURE:", failure)


if __name__ == "__main__":
    main()
