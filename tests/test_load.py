"""A small version of the load test (bench/load_test.py): concurrent API sessions, two queued fine-tunes and a
few hostile requests through the real app; then every session reaped and the memory back near its baseline.
Speed is the benchmark's business: nothing here is timed."""

from __future__ import annotations

import pytest

from bench.load_test import HOSTILE_CASES, QUICK_ACTIONS, run_load_test

pytestmark = pytest.mark.slow

CLIENTS = 6
HOSTILE = ("compare prompt of 60,000 characters", "pasted dataset of 6.4 MB", "quantize seed 1e30")


def test_concurrent_sessions_get_their_answers_hostile_requests_are_refused_and_nothing_leaks():
    cases = tuple(case for case in HOSTILE_CASES if case.case in HOSTILE)
    report = run_load_test(clients=CLIENTS, rounds=1, finetunes=2, model_id="tiny/llama", steps=3, hostile=1,
                           hostile_cases=cases, ttl_s=20, finetune_alone=False, hostile_gap_s=0.5,
                           idle_samples=CLIENTS)
    assert report.failures == []
    assert all(len(report.latencies[action]) >= CLIENTS for action in QUICK_ACTIONS), report.latencies
    # the two fine-tunes: each session's own first run, one after the other, the second told its place
    assert len(report.finetunes) == 2
    assert all("saved as run1" in run["final"] for run in report.finetunes)
    assert report.finetunes_serial(), report.finetunes
    assert any(1 in run["positions"] for run in report.finetunes)
    # every hostile request refused with its own message (counted apart from the users' requests)
    assert report.hostile_counts() == {case: (1, 1) for case in HOSTILE}
    # nothing leaked: every session folder reaped after the TTL, no file left in Gradio's cache, memory back
    assert report.folders_after == 0
    assert report.cache_files_after <= report.cache_files_baseline
    assert report.rss_after < report.rss_baseline + 300 * 2**20, (report.rss_baseline, report.rss_after)
