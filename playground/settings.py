"""Limits for a public deployment (a Space, a workshop server), read from the environment.

Every limit has a safe default; a host raises or lowers it with an environment variable
named in the field's comment. The UI and the engine read the one `LIMITS` object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number") from None


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
    # "*" allows any Hub id; an empty list allows only the bundled and tiny models.
    allowed_model_ids: tuple[str, ...] = field(
        default_factory=lambda: _env_list("PLAYGROUND_ALLOWED_MODELS", ("*",))
    )
    cache_dir: Path = field(
        default_factory=lambda: Path(
            os.environ.get("PLAYGROUND_CACHE")
            or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "peft-playground"
        )
    )

    def __post_init__(self) -> None:
        for name in ("max_values", "max_typed_chars", "max_steps", "max_upload_bytes", "max_examples", "queue_size", "concurrent_finetunes"):
            if getattr(self, name) < 1:
                raise ValueError(f"limit {name} must be at least 1, got {getattr(self, name)}")

    def model_allowed(self, model_id: str) -> bool:
        return "*" in self.allowed_model_ids or model_id in self.allowed_model_ids


LIMITS = Limits()
