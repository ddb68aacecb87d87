"""Push to the Hub: checked before any work, the offline message, and the token never in a message or a log."""

from __future__ import annotations

import logging

import pytest

from playground import models
from playground.export import hub

TOKEN = "hf_abcdefghijklmnopqrstuvwxyz0123456789"


def test_offline_explains_that_it_cannot_reach_the_hub(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValueError, match="Cannot reach the Hugging Face Hub") as caught:
        hub.push(tmp_path, "me/model", TOKEN)
    assert TOKEN not in str(caught.value)


def test_bad_repo_and_missing_token():
    with pytest.raises(ValueError, match="owner/name"):
        hub.check_push("not a repo", TOKEN)
    with pytest.raises(ValueError, match="Paste a Hugging Face token"):
        hub.check_push("me/model", "  ")


def test_a_failed_push_masks_the_token(monkeypatch, tmp_path, caplog):
    """A Hub that answers nothing (an endpoint nobody listens on): the error is a message without the token."""
    monkeypatch.setattr(models, "hub_reachable", lambda timeout=2.0: True)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    (tmp_path / "README.md").write_text("card")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ValueError, match="Pushing to me/model failed") as caught:
        hub.push(tmp_path, "me/model", TOKEN)
    assert TOKEN not in str(caught.value) and caught.value.__cause__ is None
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert list(tmp_path.iterdir()) == [tmp_path / "README.md"]  # nothing written beside the files


def test_mask():
    assert hub.mask(f"401 for token {TOKEN}", TOKEN) == "401 for token ***"
    assert hub.mask("Bearer hf_ZZZZZZZZZZZZ", "") == "Bearer ***"
