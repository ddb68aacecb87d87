"""What a fine-tune is asked to do: one validated `FinetuneConfig`, the presets, and the data it names.

A config is checked whole when it is made (`playground.checks` for counts and choices), so a bad value
fails with a message that names it before anything is tokenized or loaded. Presets are keyword sets
for the config; `resolve_dataset` turns it (and optional user examples) into the examples to train on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from playground import datasets, models
from playground.checks import MAX_SEED, QUANT_TYPES, QuantType, check_choice, check_whole_number
from playground.datasets import Dataset, Example
from playground.i18n import t
from playground.settings import LIMITS
from playground.shapes import LLAMA_PROJECTIONS

ALL_PROJECTIONS = LLAMA_PROJECTIONS
CHECKPOINTING_MODES = ("auto", "on", "off")


def _labelled(default, name: str):
    """A number field that form messages name by its text "studio.form.<name>" (checks.field_label)."""
    return field(default=default, metadata={"label_key": f"studio.form.{name}"})


@dataclass
class FinetuneConfig:
    model_id: str = models.BUNDLED_ID
    dataset: str = "pirate"  # a built-in name (see datasets.BUILT_INS); user examples are passed separately
    quant_type: QuantType = "nf4"
    double_quant: bool = True
    rank: int = _labelled(8, "rank")
    alpha: float = _labelled(16.0, "alpha")
    dropout: float = _labelled(0.05, "dropout")
    target_modules: tuple[str, ...] = ALL_PROJECTIONS
    steps: int = _labelled(40, "steps")
    learning_rate: float = _labelled(1e-3, "learning_rate")
    batch_size: int = _labelled(4, "batch_size")
    grad_accum: int = _labelled(1, "grad_accum")
    # tokens per example, chat template included; longer examples are left out
    max_length: int = _labelled(128, "max_length")
    warmup_steps: int = _labelled(4, "warmup_steps")
    seed: int = _labelled(0, "seed")
    # steps between held-out eval losses (0: only at the end)
    eval_every: int = _labelled(10, "eval_every")
    device: str | None = None  # None: CUDA when present, else CPU
    # held-out examples answered for the before/after metric (0: skip the metric)
    eval_examples: int = _labelled(24, "eval_examples")
    max_grad_norm: float = _labelled(1.0, "max_grad_norm")
    # "on": keep only each block's input and recompute the block in backward (the recipe's default:
    # least memory, ~1.4× the step time); "off": keep every activation (fastest, most memory);
    # "auto": off when the run fits that way, else on.
    gradient_checkpointing: Literal["auto", "on", "off"] = "on"

    def __post_init__(self) -> None:
        self.target_modules = tuple(self.target_modules)
        check_whole_number(t("studio.field.steps"), self.steps, 1, LIMITS.max_steps)
        check_whole_number(t("studio.field.batch_size"), self.batch_size, 1, 64)
        check_whole_number(t("studio.field.grad_accum"), self.grad_accum, 1, 64)
        check_whole_number(t("studio.field.max_length"), self.max_length, 16, 4096)
        check_whole_number(t("studio.field.warmup_steps"), self.warmup_steps, 0, self.steps)
        check_whole_number(t("studio.field.rank"), self.rank, 1, 256)
        check_whole_number(t("studio.field.eval_every"), self.eval_every, 0, LIMITS.max_steps)
        check_whole_number(t("studio.field.eval_examples"), self.eval_examples, 0, 512)
        check_whole_number(t("studio.field.seed"), self.seed, 0, MAX_SEED)
        if not 0 < self.learning_rate <= 1:
            raise ValueError(t("studio.err.learning_rate", value=repr(self.learning_rate)))
        if not 0 < self.alpha <= 4096:
            raise ValueError(t("studio.err.alpha", value=repr(self.alpha)))
        if not 0 <= self.dropout < 1:
            raise ValueError(t("studio.err.dropout", value=repr(self.dropout)))
        if not 0 < self.max_grad_norm <= 100:
            raise ValueError(t("studio.err.max_grad_norm", value=repr(self.max_grad_norm)))
        check_choice(t("studio.field.quant_type"), self.quant_type, QUANT_TYPES)
        unknown = [name for name in self.target_modules if name not in ALL_PROJECTIONS]
        if not self.target_modules or unknown:
            raise ValueError(t("studio.err.target_modules", allowed=ALL_PROJECTIONS,
                               value=repr(self.target_modules)))
        if self.dataset not in datasets.BUILT_INS:
            raise ValueError(t("studio.err.dataset", names=sorted(datasets.BUILT_INS), value=repr(self.dataset)))
        check_choice(t("studio.field.gradient_checkpointing"), self.gradient_checkpointing, CHECKPOINTING_MODES)
        if self.device is not None and self.device != "cpu" and not self.device.startswith("cuda"):
            raise ValueError(t("studio.err.device", value=repr(self.device)))

    @property
    def resolved_device(self) -> str:
        return self.device or models.default_device()


# Presets are keyword sets for FinetuneConfig. "quick" is tuned so that on the bundled SmolLM2 on
# 2 CPU cores it finishes in about two minutes and lifts the pirate metric with this seed.
PRESETS: dict[str, dict] = {
    "quick": dict(dataset="pirate", steps=20, learning_rate=1e-3, batch_size=4, max_length=96, warmup_steps=2,
                  rank=8, alpha=16.0, eval_every=10, eval_examples=12),
    "workshop-gpu": dict(dataset="json-extract", steps=150, learning_rate=1e-3, batch_size=16, max_length=160,
                         warmup_steps=10, rank=16, alpha=32.0, eval_every=25, eval_examples=32),
    "thorough": dict(dataset="json-extract", steps=400, learning_rate=5e-4, batch_size=8, grad_accum=2,
                     max_length=160, warmup_steps=20, rank=32, alpha=64.0, eval_every=50, eval_examples=32),
}


def preset(name: str, **overrides) -> FinetuneConfig:
    if name not in PRESETS:
        raise ValueError(t("studio.err.preset", names=sorted(PRESETS), value=repr(name)))
    return FinetuneConfig(**{**PRESETS[name], **overrides})


def resolve_dataset(config: FinetuneConfig, examples: list[Example] | None) -> Dataset:
    """The user's examples (split into train and held-out) when given, else the config's built-in dataset."""
    return datasets.user_dataset(list(examples)) if examples is not None else datasets.built_in(config.dataset)
