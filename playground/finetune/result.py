"""What a finished (or stopped) run gives back, and how it is kept: the adapter in peft's format next to
a metrics.json with everything else, and the training state a later run resumes from.

    out/  adapter_config.json + adapter_model.safetensors   (save_adapter: loads back with peft)
          metrics.json                                       (write_metrics: FinetuneResult.summary())
          training_state.pt                                  (save_training_state: AdamW, schedule step,
                                                              dropout stream, batch position, history)

The training state holds no copy of the LoRA matrices on disk: they are the adapter's safetensors, read
back by `load_training_state`. For a rank-8 adapter on every projection of SmolLM2-135M (2.4 M float32
parameters) the file is mostly AdamW's two moments: 19.9 MB measured (the adapter itself: 9.8 MB).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

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
    # what a later run resumes from (None when no step was done; dropped once saved next to the adapter)
    training_state: TrainingState | None = field(default=None, repr=False)
    resumed_at: int = 0  # a resumed run: the steps done before it (a result with no step past them adds nothing)

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


TRAINING_STATE = "training_state.pt"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
# the settings a resumed run must share with the run it continues (steps, evals and the device may change)
RESUME_KEYS = ("model_id", "dataset", "quant_type", "double_quant", "rank", "alpha", "dropout", "target_modules",
               "learning_rate", "batch_size", "grad_accum", "max_length", "warmup_steps", "seed", "max_grad_norm")


@dataclass
class TrainingState:
    """Where a run stood after its last completed optimizer step: enough to continue it exactly.

    A partial step's micro-batches are discarded, so the batch position is `steps_done × grad_accum`
    and the dropout stream is the one noted right after the last optimizer step. The schedule is the
    pure `engine._lr_factor(step, warmup, total)`: the step is all it needs."""

    steps_done: int
    total_steps: int  # the schedule's total when the state was taken
    optimizer: dict  # AdamW's state_dict (CPU tensors)
    dropout_rng: torch.Tensor  # the dropout generator's state after step `steps_done`
    batches_consumed: int
    history: list[dict]
    train_tokens: int
    train_seconds: float  # training time so far (loading and evals left out): tokens/s across resumes
    wall_s: float
    config: dict  # the run's settings (`RESUME_KEYS` checked on resume)
    data_fingerprint: str  # the tokenized training split: a resumed run must train on the same data
    lora: dict[str, torch.Tensor] | None = field(default=None, repr=False)  # peft's keys; on disk: the adapter

    def to_file(self) -> dict:
        """Plain data and CPU tensors, for torch.save (loadable with weights_only=True); no LoRA matrices."""
        data = {name: getattr(self, name) for name in (
            "steps_done", "total_steps", "optimizer", "dropout_rng", "batches_consumed", "history", "train_tokens",
            "train_seconds", "wall_s", "config", "data_fingerprint")}
        data["config"] = {key: list(value) if isinstance(value, tuple) else value for key, value in self.config.items()}
        return data


def data_fingerprint(items) -> str:
    """A digest of tokenized examples (their input ids and labels, in order)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(repr((item.input_ids, item.labels)).encode())
    return digest.hexdigest()


def save_training_state(state: TrainingState, folder: str | Path) -> Path:
    """`training_state.pt` in `folder`, beside the adapter saved there (whose weights it resumes)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TRAINING_STATE
    torch.save(state.to_file(), path)
    return path


def has_training_state(folder: str | Path) -> bool:
    folder = Path(folder)
    return (folder / TRAINING_STATE).is_file() and (folder / ADAPTER_WEIGHTS).is_file()


def load_training_state(folder: str | Path, with_lora: bool = True) -> TrainingState:
    """The state `save_training_state` wrote in `folder`, its LoRA matrices read from the adapter beside it."""
    from safetensors.torch import load_file

    folder = Path(folder)
    if not has_training_state(folder):
        raise ValueError(t("experiments.err.no_state_file", folder=str(folder)))
    data = torch.load(folder / TRAINING_STATE, map_location="cpu", weights_only=True)
    state = TrainingState(**data)
    if with_lora:
        state.lora = load_file(folder / ADAPTER_WEIGHTS)
    return state


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
