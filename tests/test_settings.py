"""Hosting limits come from the environment, with safe defaults and clear errors."""

from __future__ import annotations

import pytest

from playground.settings import Limits


def test_defaults_are_safe(monkeypatch):
    for name in ("PLAYGROUND_MAX_STEPS", "PLAYGROUND_MAX_UPLOAD_BYTES", "PLAYGROUND_ALLOWED_MODELS",
                 "PLAYGROUND_CONCURRENT_FINETUNES", "PLAYGROUND_QUEUE_SIZE", "PLAYGROUND_MAX_VALUES",
                 "PLAYGROUND_MAX_MODEL_BYTES", "PLAYGROUND_MAX_LOADED_MODELS"):
        monkeypatch.delenv(name, raising=False)
    limits = Limits()
    assert limits.max_steps == 500
    assert limits.max_upload_bytes == 5 * 1024 * 1024
    assert limits.concurrent_finetunes == 1
    assert limits.queue_size == 16
    assert limits.max_values == 4 * 1024 * 1024
    assert limits.max_model_bytes == 2 * 1024**3  # ~1B parameters in bf16
    assert limits.max_loaded_models == 2
    assert limits.model_allowed("any/model")


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_STEPS", "20")
    monkeypatch.setenv("PLAYGROUND_ALLOWED_MODELS", "org/a, org/b")
    monkeypatch.setenv("PLAYGROUND_CACHE", "/tmp/somewhere")
    monkeypatch.setenv("PLAYGROUND_MAX_MODEL_BYTES", str(500 << 20))
    monkeypatch.setenv("PLAYGROUND_MAX_LOADED_MODELS", "1")
    limits = Limits()
    assert limits.max_steps == 20
    assert (limits.max_model_bytes, limits.max_loaded_models) == (500 << 20, 1)
    assert limits.allowed_model_ids == ("org/a", "org/b")
    assert limits.model_allowed("org/b") and not limits.model_allowed("org/c")
    assert str(limits.cache_dir) == "/tmp/somewhere"


def test_empty_allow_list_allows_no_hub_model(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_ALLOWED_MODELS", "")
    assert not Limits().model_allowed("HuggingFaceTB/SmolLM2-135M-Instruct")


@pytest.mark.parametrize(("value", "message"), [("ten", "not a whole number"), ("0", "at least 1")])
def test_bad_values_are_named(monkeypatch, value, message):
    monkeypatch.setenv("PLAYGROUND_MAX_STEPS", value)
    with pytest.raises(ValueError, match=message):
        Limits()


@pytest.mark.parametrize("name", ["PLAYGROUND_MAX_MODEL_BYTES", "PLAYGROUND_MAX_LOADED_MODELS"])
def test_model_limits_must_be_positive(monkeypatch, name):
    monkeypatch.setenv(name, "0")
    with pytest.raises(ValueError, match="at least 1"):
        Limits()


def test_messages_follow_the_language(monkeypatch):
    from playground.i18n import in_language, using

    monkeypatch.setenv("PLAYGROUND_MAX_STEPS", "ten")
    for language in ("ko", "en"):
        with using(language), pytest.raises(ValueError) as raised:
            Limits()
        assert str(raised.value) == in_language("common.settings.not_whole", language,
                                                name="PLAYGROUND_MAX_STEPS", raw="'ten'")
    monkeypatch.setenv("PLAYGROUND_MAX_STEPS", "0")
    with using("ko"), pytest.raises(ValueError) as raised:
        Limits()
    assert str(raised.value) == in_language("common.settings.at_least_1", "ko", name="max_steps", value=0)
    with using("en"), pytest.raises(ValueError, match="limit max_steps must be at least 1, got 0"):
        Limits()
