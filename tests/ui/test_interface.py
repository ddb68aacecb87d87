"""The whole app's API surface: every public endpoint has a chosen name, and docs/api.md documents each one."""

from __future__ import annotations

from pathlib import Path

from playground.ui.interface import build_demo

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_public_endpoint_is_named_and_documented():
    names = sorted(build_demo().get_api_info()["named_endpoints"])
    assert not [name for name in names if name.startswith("/lambda")]  # page-only events stay private
    documented = API_DOC.read_text()
    assert [name for name in names if f"`{name}`" not in documented] == []
    assert {"/quantize", "/finetune", "/compare", "/runs_compare", "/experiment", "/resume", "/chat", "/arena",
            "/arena_vote", "/arena_tally", "/learned_analyze", "/learned_rank_sweep", "/learned_merge_check"} <= set(names)
