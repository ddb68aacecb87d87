"""Load test: many users' quick actions while two fine-tunes queue, through the app's real API.

    app (own process) ◄── 20 gradio_client sessions: quantize · adapter counts · compare, in rounds
                      ◄── 2 more sessions: one fine-tune each (the queue runs them one after the other)

Every quick answer is checked: against the same request made alone before the load (so an answer
under load is the answer, not merely *an* answer), against playground's own functions where they
give the number directly, and against the client's own inputs (no session is ever answered with
another session's data). The report gives p50/p95 latency per action, the fine-tunes' order and
the queue positions the waiting one was told, and the server's memory before, during and after.

    python -m bench.load_test [--clients 20] [--rounds 3] [--model tiny/llama] [--steps 8]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import psutil

from bench.server import launch_app, stop_app, wait_until_up

QUICK_ACTIONS = ("quantize", "adapter_counts", "compare")


@dataclass
class LoadReport:
    clients: int
    latencies: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in QUICK_ACTIONS})
    failures: list[str] = field(default_factory=list)  # exceptions and wrong answers, described
    finetunes: list[dict] = field(default_factory=list)  # per run: start, first_step, end, positions seen, final text
    rss_baseline: int = 0
    rss_peak: int = 0
    rss_after: int = 0

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def percentile(self, action: str, q: float) -> float:
        return float(np.percentile(self.latencies[action], q)) if self.latencies[action] else float("nan")

    def finetunes_serial(self) -> bool:
        """The second fine-tune began training only after the first ended."""
        runs = sorted(self.finetunes, key=lambda run: run["first_step"] or float("inf"))
        return all(
            later["first_step"] is not None and earlier["end"] is not None and later["first_step"] >= earlier["end"]
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
                heads=4, kv_heads=4, r=1 + client % 8, target_modules=["q", "v"], bottleneck=8, api_name="/adapter_counts")


def compare_request(client: int, model_id: str) -> dict:
    return dict(prompt=f"Say something about the number {client}.", run_id="", held_out=0, temperature=0.0,
                seed=0, max_new_tokens=8, model_id=model_id, api_name="/compare")


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


# --------------------------------------------------------------------------- the runners

def _timed(client, **request):
    start = time.perf_counter()
    result = client.predict(**request)
    return result, time.perf_counter() - start


def _quick_client(url: str, index: int, rounds: int, model_id: str, report: LoadReport, lock: threading.Lock,
                  reference: dict) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    try:
        for _ in range(rounds):
            for action in QUICK_ACTIONS:
                request = {"quantize": quantize_request, "adapter_counts": adapter_counts_request}.get(action)
                request = request(index) if request else compare_request(index, model_id)
                try:
                    result, seconds = _timed(client, **request)
                except Exception as err:  # noqa: BLE001 - every failure is reported, not raised
                    with lock:
                        report.failures.append(f"client {index} {action}: {type(err).__name__}: {err}")
                    continue
                problem = {"quantize": check_quantize, "adapter_counts": check_adapter_counts}.get(
                    action, lambda i, r: None)(index, result)
                if action == "compare" and _tables(result) != reference[index]:
                    problem = f"client {index}: compare answered differently under load"
                with lock:
                    report.latencies[action].append(seconds)
                    if problem:
                        report.failures.append(problem)
    finally:
        client.close()


def _finetune_client(url: str, model_id: str, steps: int, report: LoadReport, lock: threading.Lock) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    record = {"start": time.monotonic(), "first_step": None, "end": None, "positions": [], "final": ""}
    try:
        job = client.submit(model_id=model_id, source="builtin", upload=None, pasted="", dataset="pirate", steps=steps, batch_size=2,
                            max_length=96, warmup_steps=1, eval_every=0, api_name="/finetune")
        for output in job:
            text = str(output[0])
            waiting = re.search(r"waiting: position (\d+)", text)
            if waiting:
                record["positions"].append(int(waiting.group(1)))
            if record["first_step"] is None and re.search(r"step \d+/", text):  # the page shows steps at most twice a second
                record["first_step"] = time.monotonic()
            record["final"] = text
        job.result()
    except Exception as err:  # noqa: BLE001
        with lock:
            report.failures.append(f"fine-tune: {type(err).__name__}: {err}")
    finally:
        record["end"] = time.monotonic()
        client.close()
        with lock:
            report.finetunes.append(record)


def run_load_test(clients: int = 20, rounds: int = 3, finetunes: int = 2, model_id: str = "tiny/llama",
                  steps: int = 8) -> LoadReport:
    from gradio_client import Client

    report = LoadReport(clients)
    lock = threading.Lock()
    process, url = launch_app({"PLAYGROUND_CONCURRENT_FINETUNES": "1"})
    try:
        wait_until_up(url, process)
        server = psutil.Process(process.pid)
        # Warm-up and references: every client's requests once, alone, before any load.
        warm = Client(url, verbose=False)
        reference = {i: _tables(warm.predict(**compare_request(i, model_id))) for i in range(clients)}
        warm.predict(**quantize_request(0))
        warm.predict(**adapter_counts_request(0))
        warm.close()
        report.rss_baseline = server.memory_info().rss
        sampling = threading.Event()

        def sample_memory():
            while not sampling.is_set():
                report.rss_peak = max(report.rss_peak, server.memory_info().rss)
                time.sleep(0.2)

        threads = [threading.Thread(target=sample_memory)]
        threads += [threading.Thread(target=_finetune_client, args=(url, model_id, steps, report, lock))
                    for _ in range(finetunes)]
        threads += [threading.Thread(target=_quick_client, args=(url, i, rounds, model_id, report, lock, reference))
                    for i in range(clients)]
        for thread in threads:
            thread.start()
            time.sleep(0.05)
        for thread in threads[1:]:
            thread.join(timeout=1800)
        sampling.set()
        threads[0].join()
        time.sleep(3)  # let the server drop the closed sessions
        report.rss_after = server.memory_info().rss
    finally:
        stop_app(process)
    return report


def summarize(report: LoadReport) -> list[tuple[str, str, str]]:
    name = f"load test ({report.clients} clients + {len(report.finetunes)} fine-tunes)"
    mib = 1024 * 1024
    rows = [(name, f"{action} p50 / p95", f"{report.percentile(action, 50) * 1000:.0f} / "
                                          f"{report.percentile(action, 95) * 1000:.0f} ms")
            for action in QUICK_ACTIONS]
    rows += [
        (name, "quick requests completed / wrong or failed", f"{report.requests} / {len(report.failures)}"),
        (name, "fine-tunes one after the other; positions told",
         f"{report.finetunes_serial()}; {sorted({p for run in report.finetunes for p in run['positions']})}"),
        (name, "server RSS baseline → peak → after", f"{report.rss_baseline / mib:.0f} → {report.rss_peak / mib:.0f}"
                                                     f" → {report.rss_after / mib:.0f} MiB"),
    ]
    return rows


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    report = run_load_test(clients=6 if quick else 20, rounds=1 if quick else 3)
    return summarize(report)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default="tiny/llama")
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args(argv)
    report = run_load_test(args.clients, args.rounds, model_id=args.model, steps=args.steps)
    for row in summarize(report):
        print(" | ".join(row))
    for failure in report.failures:
        print("FAILURE:", failure)
    print(json.dumps({"p50": {a: statistics.median(v) for a, v in report.latencies.items() if v}}, indent=1))


if __name__ == "__main__":
    main()
