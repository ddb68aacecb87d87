"""Limits for a public deployment (a Space, a workshop server), read from the environment.

Every limit has a safe default; a host raises or lowers it with an environment variable
named in the field's comment. The UI and the engine read the one `LIMITS` object.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

from playground.i18n import t

# The default model's Hub original (playground/models.py's HUB_ID): the only Hub id a Space loads by default.
SPACE_MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"


def _truthy(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true", "yes", "on")


def on_space() -> bool:
    """True on a Hugging Face Space: the platform sets SPACE_ID ("owner/name") in every Space's environment.
    There the defaults are the public-hosting ones (see `Limits`)."""
    return bool(os.environ.get("SPACE_ID", "").strip())


def on_zerogpu() -> bool:
    """True on a ZeroGPU Space: SPACE_ID set, Hugging Face's `spaces` package importable, and SPACES_ZERO_GPU
    true (the platform sets it on ZeroGPU hardware only; `spaces` is a no-op without it)."""
    return on_space() and _truthy(os.environ.get("SPACES_ZERO_GPU")) and importlib.util.find_spec("spaces") is not None


def _space_models() -> tuple[str, ...]:
    """A Space's default allow-list: the default model's Hub id, and PLAYGROUND_MODEL when the host set one."""
    return tuple(dict.fromkeys(model for model in (SPACE_MODEL_ID, os.environ.get("PLAYGROUND_MODEL", "").strip()) if model))


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(t("common.settings.not_whole", name=name, raw=repr(raw))) from None


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Limits:
    max_values: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_VALUES", 1 << 22))  # Quantization Lab input size
    max_typed_chars: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_TYPED_CHARS", 1 << 20))  # typed numbers
    max_steps: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_STEPS", 500))  # per fine-tune run
    max_upload_bytes: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_UPLOAD_BYTES", 5 << 20))  # dataset upload
    max_examples: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_EXAMPLES", 5000))  # rows kept from an upload
    queue_size: int = field(default_factory=lambda: _env_int("PLAYGROUND_QUEUE_SIZE", 16))  # fine-tunes waiting at once
    concurrent_finetunes: int = field(default_factory=lambda: _env_int("PLAYGROUND_CONCURRENT_FINETUNES", 1))
    # Largest Hub download (every file a load fetches, weights included), checked before it starts:
    # 2 GiB is enough for models up to ~1B parameters in bf16 (2 bytes each).
    max_model_bytes: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_MODEL_BYTES", 2 << 30))
    # Full-precision models kept in memory at once; loading one more evicts the least recently used.
    max_loaded_models: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_LOADED_MODELS", 2))
    # Sessions: idle longer than the TTL (no click, no API call, no run progress) they are reaped.
    session_ttl_s: int = field(default_factory=lambda: _env_int("PLAYGROUND_SESSION_TTL_S", 3600))
    max_sessions: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_SESSIONS", 200))
    max_runs_per_session: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_RUNS_PER_SESSION", 8))
    # Work caps, checked against the estimate before a run queues: a few minutes of training on 2 CPU cores
    max_run_seconds: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_RUN_SECONDS", 300))
    max_prompt_tokens: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_PROMPT_TOKENS", 512))  # per compare prompt
    # 1: each fine-tune trains in its own process (its own GIL and cores; its memory returned when it ends);
    # 0: in the server's process. Default 0 on ZeroGPU, whose GPU is attached only to `spaces.GPU` calls made
    # from the server's process (they run in ZeroGPU's own worker: playground/zerogpu.py), 1 everywhere else.
    finetune_process: int = field(
        default_factory=lambda: _env_int("PLAYGROUND_FINETUNE_PROCESS", 0 if on_zerogpu() else 1)
    )
    # Exports (merged model, GGUF): one session's folder may hold at most this with its new export, and all
    # sessions' kept exports together at most the server-wide cap (each session keeps only its latest export).
    max_session_disk_bytes: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_SESSION_DISK_BYTES", 2 << 30))
    max_export_disk_bytes: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_EXPORT_DISK_BYTES", 8 << 30))
    max_loaded_adapters: int = field(default_factory=lambda: _env_int("PLAYGROUND_MAX_LOADED_ADAPTERS", 16))  # in compare's shared bases
    # "*" allows any Hub id; an empty list allows only the bundled and tiny models. On a Space the default is
    # the default model's Hub id only: any id would let anonymous visitors fill the disk 2 GiB at a time.
    allowed_model_ids: tuple[str, ...] = field(
        default_factory=lambda: _env_list("PLAYGROUND_ALLOWED_MODELS", _space_models() if on_space() else ("*",))
    )
    # Longest GPU time one ZeroGPU call may request (the platform refuses longer ones by the visitor's tier);
    # work whose estimate plus loading exceeds it is refused before it starts. Used on ZeroGPU only.
    zerogpu_max_seconds: int = field(default_factory=lambda: _env_int("PLAYGROUND_ZEROGPU_MAX_S", 120))
    cache_dir: Path = field(
        default_factory=lambda: Path(
            os.environ.get("PLAYGROUND_CACHE")
            or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "peft-playground"
        )
    )

    def __post_init__(self) -> None:
        for name in ("max_values", "max_typed_chars", "max_steps", "max_upload_bytes", "max_examples", "queue_size", "concurrent_finetunes",
                     "session_ttl_s", "max_sessions", "max_runs_per_session", "max_run_seconds", "max_prompt_tokens",
                     "max_loaded_adapters", "max_model_bytes", "max_loaded_models", "zerogpu_max_seconds",
                     "max_session_disk_bytes", "max_export_disk_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(t("common.settings.at_least_1", name=name, value=getattr(self, name)))

        if self.finetune_process not in (0, 1):
            raise ValueError(t("common.settings.finetune_process", value=self.finetune_process))

    def model_allowed(self, model_id: str) -> bool:
        return "*" in self.allowed_model_ids or model_id in self.allowed_model_ids


LIMITS = Limits()
