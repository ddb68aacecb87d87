"""A public server under hostile use, against the real app: API sessions that never say goodbye, a client that
starts three runs at once, runs far over the work cap, oversized inputs of every kind, and concurrent sampling
with one seed. Each is answered with a clear message or its intended result, and the app keeps serving."""

from __future__ import annotations

import concurrent.futures
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from bench.server import launch_app, stop_app, tree_rss, wait_until_up

pytestmark = pytest.mark.browser

TTL_S = 20
TINY_RUN = dict(model_id="tiny/llama", source="builtin", upload=None, pasted="", dataset="sentiment", steps=2,
                batch_size=2, max_length=96, warmup_steps=1, eval_every=0)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app with a short session TTL and its own Gradio cache folder, so the test can watch both."""
    cache = tmp_path_factory.mktemp("gradio-cache")
    process, url = launch_app({"PLAYGROUND_SESSION_TTL_S": str(TTL_S), "GRADIO_TEMP_DIR": str(cache)},
                              log_path=cache.parent / "hosting-app.log")
    try:
        wait_until_up(url, process)
        yield url, process, cache / "peft-playground-studio"
    finally:
        stop_app(process)


def wait_until(condition, what: str, bound_s: float = 300) -> None:
    """Polls `condition` (server state) until it holds; the bound only guards against a hang."""
    deadline = time.monotonic() + bound_s
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for: {what}"
        time.sleep(0.2)


def session_folders(studio_root: Path) -> list[Path]:
    return list(studio_root.glob("session-*")) if studio_root.exists() else []


def finetune_compare_export(url: str) -> dict:
    """One API client, no browser and no heartbeat: fine-tune, compare, export; returns the download's URL."""
    client = Client(url, verbose=False, download_files=False)
    try:
        progress, *_ = client.predict(**TINY_RUN, api_name="/finetune")
        assert "saved as run1" in progress
        answers, _ = client.predict(prompt="Hello", run_id="run1", held_out=0, max_new_tokens=8, api_name="/compare")
        assert len(answers["data"]) == 1
        client.predict(prompt="Hello", run_id="", held_out=0, max_new_tokens=8,
                       model_id="bundled/SmolLM2-135M-Instruct", api_name="/compare")
        return client.predict(run_id="run1", api_name="/export_adapter")  # {"path": on the server, "url": …}
    finally:
        client.close()


def rss(process) -> int:
    return tree_rss(psutil.Process(process.pid))  # the server, the fine-tunes' fork server, any run in progress


def test_api_sessions_are_reaped_with_their_files_and_memory(server):
    url, process, studio_root = server
    finetune_compare_export(url)
    wait_until(lambda: not session_folders(studio_root), "the first session to be reaped")
    baseline = rss(process)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        downloads = list(pool.map(lambda _: finetune_compare_export(url), range(4)))
    assert len(session_folders(studio_root)) == 4  # one folder per API connection, each with its own run1
    paths = [Path(download["path"]) for download in downloads]
    assert all(path.is_file() and path.is_relative_to(studio_root) for path in paths)
    with urllib.request.urlopen(downloads[0]["url"], timeout=30) as response:
        assert response.read(2) == b"PK"  # the zip is served while its session lives
    wait_until(lambda: not session_folders(studio_root), "four idle API sessions to be reaped")
    assert not any(path.exists() for path in paths)
    with pytest.raises(urllib.error.HTTPError):  # and its link serves nothing once the session is reaped
        urllib.request.urlopen(downloads[0]["url"], timeout=30)
    assert rss(process) - baseline < 300 << 20, f"RSS grew by {(rss(process) - baseline) / 2**20:.0f} MiB"


def test_one_connection_starting_three_runs_at_once_gets_one(server):
    url, _, _ = server
    client = Client(url, verbose=False)
    try:
        jobs = [client.submit(**{**TINY_RUN, "steps": 6}, api_name="/finetune") for _ in range(3)]
        outcomes = []
        for job in jobs:
            try:
                outcomes.append(job.result()[0])
            except AppError as err:
                outcomes.append(f"refused: {err}")
        assert sum("saved as run1" in outcome for outcome in outcomes) == 1
        assert sum("already has a fine-tune running or waiting" in outcome for outcome in outcomes) == 2
        assert "Nothing is running." in client.predict(api_name="/finetune_stop")
    finally:
        client.close()


def test_a_run_over_the_work_cap_is_refused_before_it_queues(server):
    url, _, _ = server
    client = Client(url, verbose=False)
    try:
        with pytest.raises(AppError, match=r"estimated at [\d,]+ s of training .* \(PLAYGROUND_MAX_RUN_SECONDS\)"):
            client.predict(**{**TINY_RUN, "steps": 500, "batch_size": 64, "grad_accum": 64}, api_name="/finetune")
        estimate = client.predict(**{**TINY_RUN, "steps": 500, "batch_size": 64, "grad_accum": 64},
                                  api_name="/finetune_estimate")
        assert estimate.startswith("⚠️ this run is estimated at")
    finally:
        client.close()


@pytest.mark.parametrize(
    ("endpoint", "arguments", "message"),
    [
        ("/compare", dict(prompt="word " * 12_000, run_id="", held_out=0), "longer than the 512 tokens"),
        ("/finetune", {**TINY_RUN, "source": "paste", "pasted": "q ||| a\n" * 800_000}, "the pasted text is"),
        ("/adapter_counts", dict(source="custom", layers=20_000), "layers must be a whole number from 1 to 1024"),
        ("/adapter_counts", dict(source="custom", d_model=1e12), "d_model must be a whole number from 1 to 131072"),
        ("/quantize", dict(source="synthetic", seed=1e30), "seed must be a whole number from 0 to 4294967295"),
        ("/quantize", dict(source="typed", numbers="1, " * 400_000), "characters is more than the limit"),
        ("/compare", dict(prompt="hi", run_id="", held_out=0, seed=-1), "seed must be a whole number from 0"),
    ],
)
def test_oversized_inputs_are_refused_with_a_message(server, endpoint, arguments, message):
    url, _, _ = server
    client = Client(url, verbose=False)
    try:
        with pytest.raises(AppError, match=message):
            client.predict(**arguments, api_name=endpoint)
        summary, *_ = client.predict(source="typed", numbers="1, 2, 3", api_name="/quantize")
        assert "3 values" in summary  # and the app goes on serving
    finally:
        client.close()


def test_an_upload_over_the_cap_is_refused_before_it_is_stored(server):
    from playground.settings import LIMITS

    url, _, _ = server
    boundary = "playground-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.jsonl\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + b"x" * (LIMITS.max_upload_bytes + 1) + \
        f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{url}/gradio_api/upload", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=60)
    assert raised.value.code == 413


def test_one_seed_gives_one_answer_whatever_runs_beside_it(server):
    url, _, _ = server

    def sample(seed: int) -> list:
        client = Client(url, verbose=False)
        try:
            answers, _ = client.predict(prompt="Tell me a story.", run_id="", held_out=0, temperature=1.0, seed=seed,
                                        max_new_tokens=16, model_id="tiny/llama", api_name="/compare")
            return answers["data"][0]
        finally:
            client.close()

    alone = sample(7)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        together = list(pool.map(sample, [7, 8, 7]))
    assert together[0] == together[2] == alone


@pytest.mark.parametrize(
    ("body", "status"),
    [(b'{"data": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", 400), (b'{"data": ["' + b"1" * (12 << 20) + b'"]}', 413)],
)
def test_json_too_deep_or_too_large_is_refused_before_it_is_parsed(server, body, status):
    url, _, _ = server
    request = urllib.request.Request(f"{url}/gradio_api/call/quantize", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=60)
    assert raised.value.code == status
    client = Client(url, verbose=False)
    try:
        summary, *_ = client.predict(source="typed", numbers="1, 2, 3", api_name="/quantize")
        assert "3 values" in summary
    finally:
        client.close()


def test_an_api_client_uses_its_runs_in_every_tab(server):
    """One gradio_client session, no page: two tiny runs, then each new tab's endpoint on them by run id (the
    pickers the page fills are not needed): the comparison, a resume, chat and arena with a vote, what the adapter
    learned; an unknown run id gets a message."""
    url, _, _ = server
    client = Client(url, verbose=False, download_files=False)
    try:
        client.predict(**TINY_RUN, api_name="/finetune")
        progress, *_ = client.predict(**{**TINY_RUN, "steps": 3}, api_name="/finetune")
        assert "saved as run2" in progress
        compared = client.predict(selected=["run1", "run2"], api_name="/runs_compare")
        assert compared["runs"] == ["run1", "run2"]
        assert compared["settings_differ"]["rows"] == [["steps", "2", "3"]]
        assert len(compared["figure"]["data"]) == 4  # train and held-out per run
        progress, *_ = client.predict(run_id="run2", steps=2, api_name="/resume")
        assert "saved as run3" in progress
        chat, _, status = client.predict(target="run3", message="Hello", history=[], max_new_tokens=8,
                                         api_name="/chat")
        assert chat[-1]["role"] == "assistant" and "run3" in status
        client.predict(a="base", b="run3", prompt="Hello", max_new_tokens=8, model_id="tiny/llama", api_name="/arena")
        tally, said = client.predict(a="base", b="run3", winner="b", model_id="tiny/llama", api_name="/arena_vote")
        assert tally["data"][0][3:] == [1, 0, 1]  # run3 won the pair's one vote
        summary, *_ = client.predict(run_id="run3", api_name="/learned_analyze")
        assert "r = 8" in summary
        with pytest.raises(AppError, match="no run 'run9'"):
            client.predict(run_id="run9", api_name="/learned_analyze")
        with pytest.raises(AppError, match="at least 2"):
            client.predict(selected=["run1"], api_name="/runs_compare")
    finally:
        client.close()
