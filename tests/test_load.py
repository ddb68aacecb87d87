"""A small version of the load test (bench/load_test.py): concurrent sessions through the real API."""

from __future__ import annotations

import pytest

from bench.load_test import QUICK_ACTIONS, run_load_test

pytestmark = pytest.mark.slow


def test_concurrent_sessions_get_their_own_correct_answers_and_finetunes_queue():
    report = run_load_test(clients=4, rounds=1, finetunes=2, model_id="tiny/llama", steps=3)
    assert report.failures == []
    assert {action: len(values) for action, values in report.latencies.items()} == {a: 4 for a in QUICK_ACTIONS}
    assert len(report.finetunes) == 2
    assert all("saved as run1" in run["final"] for run in report.finetunes)  # each session's own first run
    assert report.finetunes_serial(), report.finetunes
    assert any(run["positions"] == [1] or 1 in run["positions"] for run in report.finetunes)
    assert report.rss_after < report.rss_baseline + 400 * 2**20, (report.rss_baseline, report.rss_after)
