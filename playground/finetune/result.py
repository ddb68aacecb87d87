"""What a finished (or stopped) run gives back, and how it is kept: the adapter in peft's format next to
a metrics.json with everything else.

    out/  adapter_config.json + adapter_model.safetensors   (save_adapter: loads back with peft)
          metrics.json                                       (write_metrics: FinetuneResult.summary())
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from playground.datasets import Dataset
from playground.finetune import memory
from playground.finetune.config import FinetuneConfig
from playground.i18n import t


@dataclass
class FinetuneResult:
    model: object  # PeftModel on the 4-bit base (eval mode, adapter "default")
    tokenizer: object
    config: FinetuneConfig
    dataset: Dataset
    history: list[dict]  # {"step", "loss", "lr", ...} and {"step", "eval_loss"} entries
    tokens_per_s: float
    wall_s: float
    peak_memory_bytes: int
    trainable_params: int
    train_tokens: int
    steps_done: int
    stopped: bool
    metric_before: dict[str, float] | None = None  # on the 4-bit base (adapter disabled)
    metric_after: dict[str, float] | None = None
    estimate: memory.MemoryEstimate | None = None
    adapter_dir: Path | None = None  # where the adapter was saved, when the run trained in its own process


    def summary(self) -> dict:
        """Everything but the model, as plain JSON-able data."""
        return {
            "model_id": self.config.model_id,
            "dataset": self.dataset.name,
            "metric_name": self.dataset.metric_name,
            "metric_before": self.metric_before,
            "metric_after": self.metric_after,
            "steps_done": self.steps_done,
            "stopped": self.stopped,
            "tokens_per_s": round(self.tokens_per_s, 2),
            "wall_s": round(self.wall_s, 2),
            "peak_memory_bytes": self.peak_memory_bytes,
            "trainable_params": self.trainable_params,
            "train_tokens": self.train_tokens,
            "estimated_memory_bytes": self.estimate.run_bytes if self.estimate else None,  # as peak_memory_bytes: the run's own
            "config": asdict(self.config),
            "history": self.history,
        }


def save_adapter(result: FinetuneResult, out_dir: str | Path) -> Path:
    """The adapter in peft format (adapter_config.json + adapter_model.safetensors). A run trained in its own
    process (`process.run_in_process`) comes back without its model: its saved adapter is copied."""
    out = Path(out_dir)
    if result.model is None:
        if result.adapter_dir is None:
            raise ValueError(t("studio.err.no_adapter"))
        if out.resolve() != result.adapter_dir.resolve():
            shutil.copytree(result.adapter_dir, out, dirs_exist_ok=True)
        return out
    out.mkdir(parents=True, exist_ok=True)
    result.model.save_pretrained(out)
    return out


def write_metrics(result: FinetuneResult, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(result.summary(), indent=1, default=str))
    return path
