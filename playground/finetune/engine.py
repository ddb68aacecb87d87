"""QLoRA fine-tuning (Dettmers et al. 2023): a frozen 4-bit base, trainable LoRA matrices on top.

    x ──► [ W0: NF4/FP4 codes + absmax (+ DQ) ] ─ dequantize to the compute dtype ─► W0·x ──┐
    │                                                                                   (+)──► h
    └──► dropout ─► A (r × d_in) ─► B (d_out × r) ─► · α/r ───────────────────────────────┘
                    trainable, float32, B = 0 at step 0 so the run starts from the 4-bit base

QLoRA §3: weights stored in 4 bits (bitsandbytes via transformers' BitsAndBytesConfig), computed in
bfloat16 on GPUs that have it (float16 on older ones, float32 on CPU, where bf16 is ~8× slower);
gradients flow through the frozen dequantized weights into A and B only (peft's LoRA).

The loop is a plain PyTorch one, made for speed and memory: the data is tokenized once, each batch
is padded to its longest example (never to max_length), the loss is taken on answer tokens only
with the LM head fused into it, the LoRA update runs as one autograd function that keeps no copies
of its input (`train_ops`), AdamW steps only the LoRA parameters, and the only host sync per step
is the loss read for the progress event. By default each block is recomputed in backward (gradient
checkpointing, as in the standard recipe). It is a generator: it validates the whole run before
loading anything, then yields events, checks `stop` between micro-batches, and frees the optimizer
and activations when it ends, however it ends.

    python -m playground.finetune --dataset pirate --steps 40 --out runs/pirate
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import math
import random
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Literal

import torch

from playground import datasets, models
from playground.finetune import memory
from playground.finetune import train_ops
from playground.datasets import IGNORE_INDEX, Dataset, Example, Tokenized
from playground.generation import Decoding, generate
from playground.checks import QUANT_TYPES, QuantType, check_choice, check_whole_number
from playground.settings import LIMITS
from playground.shapes import LLAMA_PROJECTIONS

ALL_PROJECTIONS = LLAMA_PROJECTIONS
CHECKPOINTING_MODES = ("auto", "on", "off")
EventKind = Literal["start", "step", "eval", "done", "stopped", "waiting"]  # "waiting": from studio's queue


@dataclass
class FinetuneConfig:
    model_id: str = models.BUNDLED_ID
    dataset: str = "pirate"  # a built-in name (see datasets.BUILT_INS); user examples are passed separately
    quant_type: QuantType = "nf4"
    double_quant: bool = True
    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ALL_PROJECTIONS
    steps: int = 40
    learning_rate: float = 1e-3
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 128  # tokens per example, chat template included; longer examples are left out
    warmup_steps: int = 4
    seed: int = 0
    eval_every: int = 10  # steps between held-out eval losses (0: only at the end)
    device: str | None = None  # None: CUDA when present, else CPU
    eval_examples: int = 24  # held-out examples answered for the before/after metric (0: skip the metric)
    max_grad_norm: float = 1.0
    # "on": keep only each block's input and recompute the block in backward (the recipe's default:
    # least memory, ~1.4× the step time); "off": keep every activation (fastest, most memory);
    # "auto": off when the run fits that way, else on.
    gradient_checkpointing: Literal["auto", "on", "off"] = "on"

    def __post_init__(self) -> None:
        self.target_modules = tuple(self.target_modules)
        check_whole_number("steps", self.steps, 1, LIMITS.max_steps)
        check_whole_number("batch_size", self.batch_size, 1, 64)
        check_whole_number("grad_accum", self.grad_accum, 1, 64)
        check_whole_number("max_length", self.max_length, 16, 4096)
        check_whole_number("warmup_steps", self.warmup_steps, 0, self.steps)
        check_whole_number("rank", self.rank, 1, 256)
        check_whole_number("eval_every", self.eval_every, 0, LIMITS.max_steps)
        check_whole_number("eval_examples", self.eval_examples, 0, 512)
        if not 0 < self.learning_rate <= 1:
            raise ValueError(f"learning_rate must be in (0, 1], got {self.learning_rate!r}")
        if not 0 < self.alpha <= 4096:
            raise ValueError(f"alpha must be in (0, 4096], got {self.alpha!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not 0 < self.max_grad_norm <= 100:
            raise ValueError(f"max_grad_norm must be in (0, 100], got {self.max_grad_norm!r}")
        check_choice("quant_type", self.quant_type, QUANT_TYPES)
        unknown = [name for name in self.target_modules if name not in ALL_PROJECTIONS]
        if not self.target_modules or unknown:
            raise ValueError(f"target_modules must be a non-empty subset of {ALL_PROJECTIONS}, got {self.target_modules!r}")
        if self.dataset not in datasets.BUILT_INS:
            raise ValueError(f"dataset must be one of {sorted(datasets.BUILT_INS)}, got {self.dataset!r}")
        check_choice("gradient_checkpointing", self.gradient_checkpointing, CHECKPOINTING_MODES)
        if self.device is not None and self.device != "cpu" and not self.device.startswith("cuda"):
            raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {self.device!r}")

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
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {name!r}")
    return FinetuneConfig(**{**PRESETS[name], **overrides})


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
            "estimated_memory_bytes": self.estimate.total_bytes if self.estimate else None,
            "config": asdict(self.config),
            "history": self.history,
        }


@dataclass
class FinetuneEvent:
    kind: EventKind
    step: int = 0
    total_steps: int = 0
    loss: float | None = None
    lr: float | None = None
    tokens_per_s: float | None = None
    elapsed_s: float = 0.0
    eta_s: float | None = None
    peak_memory_bytes: int | None = None
    eval_loss: float | None = None
    metric: dict[str, float] | None = None
    message: str = ""
    estimate: memory.MemoryEstimate | None = None
    estimated_seconds: float | None = None
    trainable_params: int | None = None
    result: FinetuneResult | None = field(default=None, repr=False)


# --------------------------------------------------------------------------- pieces

def _batch(items: list[Tokenized], pad_id: int, device: str) -> dict[str, torch.Tensor]:
    """Right-pad to the longest example in this batch; pad labels are IGNORE_INDEX."""
    width = max(len(item.input_ids) for item in items)
    input_ids = [item.input_ids + [pad_id] * (width - len(item.input_ids)) for item in items]
    labels = [item.labels + [IGNORE_INDEX] * (width - len(item.labels)) for item in items]
    mask = [[1] * len(item.input_ids) + [0] * (width - len(item.input_ids)) for item in items]
    return {
        "input_ids": torch.tensor(input_ids, device=device),  # (B, T)
        "attention_mask": torch.tensor(mask, device=device),  # (B, T)
        "labels": torch.tensor(labels, device=device),  # (B, T)
    }


def _batches_forever(items: list[Tokenized], batch_size: int, seed: int) -> Iterator[list[Tokenized]]:
    """Shuffled epochs, reshuffled each pass; a dataset smaller than a batch is repeated within it."""
    rng = random.Random(seed)
    order: list[int] = []
    while True:
        while len(order) < batch_size:
            epoch = list(range(len(items)))
            rng.shuffle(epoch)
            order.extend(epoch)
        chosen, order = order[:batch_size], order[batch_size:]
        yield [items[i] for i in chosen]


class PeakMemory:
    """Peak memory of this run: CUDA's allocator peak, or the process RSS sampled between phases on CPU."""

    def __init__(self, device: str):
        self.device = device
        self.peak = 0
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats(torch.device(device))
        else:
            import psutil

            self._process = psutil.Process()
        self.sample()

    def sample(self) -> int:
        if self.device.startswith("cuda"):
            current = torch.cuda.max_memory_allocated(torch.device(self.device))
        else:
            current = self._process.memory_info().rss
        self.peak = max(self.peak, int(current))
        return self.peak


def _lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warmup, then cosine decay to 10 % of the peak."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


def batch_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean loss per answer token of one batch: on answer positions only where the model allows it
    (`train_ops.answer_token_loss`, equal to the model's own loss), else the model's own loss."""
    if train_ops.supports_answer_loss(model):
        return train_ops.answer_token_loss(model, **batch)
    return model(**batch).loss


@torch.no_grad()
def eval_loss(model, items: list[Tokenized], pad_id: int, device: str, batch_size: int = 8) -> float:
    """Mean loss per answer token on the held-out split."""
    was_training = model.training
    model.eval()
    total, count = torch.zeros((), device=device), 0
    for start in range(0, len(items), batch_size):
        batch = _batch(items[start:start + batch_size], pad_id, device)
        tokens = sum(sum(label != IGNORE_INDEX for label in item.labels[1:]) for item in items[start:start + batch_size])
        total += batch_loss(model, batch).float() * tokens
        count += tokens
    model.train(was_training)
    return float(total) / max(count, 1)


def held_out_metric(model, tokenizer, dataset: Dataset, count: int, decoding: Decoding | None = None) -> dict[str, float]:
    """The dataset's metric on the answers to its first `count` held-out prompts."""
    examples = list(dataset.test[:count])
    decoding = decoding or Decoding(max_new_tokens=dataset.max_new_tokens)
    answers = generate(model, tokenizer, [e.prompt for e in examples], decoding)
    return {name: round(value, 4) for name, value in dataset.metric(answers, examples).items()}


def model_shape(model_id: str) -> memory.ModelShape:
    from transformers import AutoConfig

    return memory.ModelShape.from_config(AutoConfig.from_pretrained(models.model_dir(model_id), trust_remote_code=False))


def resolve_dataset(config: FinetuneConfig, examples: list[Example] | None) -> Dataset:
    return datasets.user_dataset(list(examples)) if examples is not None else datasets.built_in(config.dataset)


def plan(config: FinetuneConfig, dataset: Dataset, tokenizer):
    """Tokenize and estimate, before anything heavy. Returns (train, test, skipped, estimate, checkpointing, seconds)."""
    device = config.resolved_device
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for, but this machine has no CUDA GPU")
    train, skipped_train = datasets.tokenize(tokenizer, dataset.train, config.max_length)
    test, skipped_test = datasets.tokenize(tokenizer, dataset.test, config.max_length)
    if not train:
        raise ValueError(
            f"all {len(dataset.train)} training examples are longer than max_length={config.max_length} tokens "
            "(chat template included): raise max_length or shorten the examples"
        )
    if not test:
        raise ValueError(f"every held-out example is longer than max_length={config.max_length} tokens")
    shape = model_shape(config.model_id)
    settings = dict(rank=config.rank, target_modules=config.target_modules, batch_size=config.batch_size,
                    max_length=max(len(item.input_ids) for item in train), double_quant=config.double_quant,
                    compute_dtype=models.compute_dtype_for(device), device=device)
    checkpointing = config.gradient_checkpointing == "on"
    estimate = memory.estimate_memory(shape, gradient_checkpointing=checkpointing, **settings)
    if not estimate.fits and config.gradient_checkpointing == "auto":
        with_checkpointing = memory.estimate_memory(shape, gradient_checkpointing=True, **settings)
        if with_checkpointing.fits:
            estimate, checkpointing = with_checkpointing, True
    if not estimate.fits:
        raise ValueError(f"this run would not fit in memory: {estimate.summary()}. "
                         "Lower batch_size or max_length, or pick a smaller model.")
    mean_length = sum(len(item.input_ids) for item in train) / len(train)
    seconds = memory.estimate_seconds(shape, steps=config.steps, batch_size=config.batch_size,
                                      grad_accum=config.grad_accum, mean_length=mean_length, device=device,
                                      gradient_checkpointing=checkpointing)
    return train, test, skipped_train + skipped_test, estimate, checkpointing, seconds


def build_model(config: FinetuneConfig, gradient_checkpointing: bool = False):
    """The 4-bit base, prepared for k-bit training, with a fresh LoRA adapter named "default"."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    device = config.resolved_device
    base = models.load_4bit(config.model_id, config.quant_type, config.double_quant, device=device)
    _allow_inference_repacking(base, False)
    # prepare_model_for_kbit_training freezes the base and upcasts norms to float32. With gradient
    # checkpointing it keeps only each block's input and recomputes the block in backward.
    base = prepare_model_for_kbit_training(
        base,
        use_gradient_checkpointing=gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False},
    )
    torch.manual_seed(config.seed)  # LoRA's A init
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=list(config.target_modules), bias="none", task_type="CAUSAL_LM")
    return get_peft_model(base, lora)


def _allow_inference_repacking(model, allowed: bool) -> None:
    """On CPUs with AVX512-BF16, bitsandbytes repacks a Linear4bit's weight in place the first time it
    runs in eval mode without grad, for a faster inference kernel that has no autograd: training after
    that silently drops the gradient through the frozen weights to earlier layers. So a model keeps the
    trainable layout while it trains, and is allowed the fast one once training is over."""
    from bitsandbytes.nn import Linear4bit
    from bitsandbytes.functional import has_avx512bf16

    for module in model.modules():
        if isinstance(module, Linear4bit):
            module.support_avx512bf16_for_cpu = allowed and has_avx512bf16()


def _load_libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to trim
        return None


_LIBC = _load_libc()


def free_memory(device: str) -> None:
    """Drop what a run held: Python garbage, the CUDA cache, and the C heap's free pages (glibc keeps
    freed memory in the process otherwise, so RSS would stay at the run's peak after it ended)."""
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


# --------------------------------------------------------------------------- the run

def run_finetune(
    config: FinetuneConfig,
    examples: list[Example] | None = None,
    stop: threading.Event | None = None,
) -> Iterator[FinetuneEvent]:
    """Validate, then train and yield events; the last one is "done" or "stopped" with the result.

    Raises ValueError before any heavy work for a bad config, dataset or a run that would not fit,
    and ValueError (after freeing everything) when the device runs out of memory mid-run.
    """
    dataset = resolve_dataset(config, examples)
    tokenizer = models.load_tokenizer(config.model_id)
    train, test, skipped, estimate, checkpointing, estimated_s = plan(config, dataset, tokenizer)
    return _train(config, dataset, tokenizer, train, test, skipped, estimate, checkpointing, estimated_s,
                  stop or threading.Event())


def _train(config, dataset, tokenizer, train, test, skipped, estimate, checkpointing, estimated_s, stop):
    device = config.resolved_device
    pad_id = tokenizer.pad_token_id
    started = time.perf_counter()
    peak = PeakMemory(device)
    model = optimizer = None
    fused = contextlib.ExitStack()  # each LoRA update as one autograd function, while training
    try:
        model = build_model(config, checkpointing)
        fused.enter_context(train_ops.fused_lora(model))
        trainable = [p for p in model.parameters() if p.requires_grad]
        trainable_params = sum(p.numel() for p in trainable)
        note = f"; {skipped} example(s) longer than max_length={config.max_length} left out" if skipped else ""
        yield FinetuneEvent(
            "start", total_steps=config.steps, elapsed_s=time.perf_counter() - started, estimate=estimate,
            estimated_seconds=estimated_s, trainable_params=trainable_params, peak_memory_bytes=peak.sample(),
            message=f"{len(train)} training / {len(test)} held-out examples, {trainable_params:,} trainable "
                    f"parameters{' (gradient checkpointing on)' if checkpointing else ''}{note}",
        )
        history: list[dict] = []
        metric_before = metric_after = None
        if not stop.is_set():
            loss0 = eval_loss(model, test, pad_id, device)
            history.append({"step": 0, "eval_loss": loss0})
            yield FinetuneEvent("eval", 0, config.steps, eval_loss=loss0,
                                elapsed_s=time.perf_counter() - started, peak_memory_bytes=peak.sample())

        optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: _lr_factor(step, config.warmup_steps, config.steps)
        )
        batches = _batches_forever(train, config.batch_size, config.seed)
        model.train()
        train_tokens, train_started, step = 0, time.perf_counter(), 0
        eval_seconds = 0.0  # held-out evals inside the loop, left out of tokens/s
        while step < config.steps and not stop.is_set():
            step_loss = torch.zeros((), device=device)
            for _ in range(config.grad_accum):
                items = next(batches)
                loss = batch_loss(model, _batch(items, pad_id, device)) / config.grad_accum
                peak.sample()
                loss.backward()
                step_loss += loss.detach()
                train_tokens += sum(len(item.input_ids) for item in items)
                if stop.is_set():
                    break
            if stop.is_set():
                break
            torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm)
            lr = scheduler.get_last_lr()[0]
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            loss_value = step_loss.item()  # the one host sync per step
            train_elapsed = time.perf_counter() - train_started - eval_seconds
            history.append({"step": step, "loss": loss_value, "lr": lr,
                            "tokens_per_s": train_tokens / train_elapsed, "elapsed_s": time.perf_counter() - started})
            yield FinetuneEvent(
                "step", step, config.steps, loss=loss_value, lr=lr, tokens_per_s=train_tokens / train_elapsed,
                elapsed_s=time.perf_counter() - started, eta_s=train_elapsed / step * (config.steps - step),
                peak_memory_bytes=peak.sample(),
            )
            if (config.eval_every and step % config.eval_every == 0 and step < config.steps) and not stop.is_set():
                eval_started = time.perf_counter()
                value = eval_loss(model, test, pad_id, device)
                eval_seconds += time.perf_counter() - eval_started
                model.train()
                history.append({"step": step, "eval_loss": value})
                yield FinetuneEvent("eval", step, config.steps, eval_loss=value,
                                    elapsed_s=time.perf_counter() - started, peak_memory_bytes=peak.sample())

        train_wall = time.perf_counter() - train_started - eval_seconds
        stopped = stop.is_set() and step < config.steps
        fused.close()
        del optimizer, scheduler
        optimizer = None
        for parameter in trainable:
            parameter.grad = None
        free_memory(device)
        model.eval()
        _allow_inference_repacking(model, True)
        if not stopped:
            final = eval_loss(model, test, pad_id, device)
            history.append({"step": step, "eval_loss": final})
            if config.eval_examples:
                # "before" is the same 4-bit model with the adapter switched off (what B = 0 gave at step 0)
                with model.disable_adapter():
                    metric_before = held_out_metric(model, tokenizer, dataset, config.eval_examples)
                metric_after = held_out_metric(model, tokenizer, dataset, config.eval_examples)
            yield FinetuneEvent("eval", step, config.steps, eval_loss=final, metric=metric_after,
                                elapsed_s=time.perf_counter() - started, peak_memory_bytes=peak.sample())
        result = FinetuneResult(
            model=model, tokenizer=tokenizer, config=config, dataset=dataset, history=history,
            tokens_per_s=train_tokens / train_wall if train_wall > 0 and step else 0.0,
            wall_s=time.perf_counter() - started, peak_memory_bytes=peak.sample(),
            trainable_params=trainable_params, train_tokens=train_tokens, steps_done=step, stopped=stopped,
            metric_before=metric_before, metric_after=metric_after, estimate=estimate,
        )
        model = None
        kind = "stopped" if stopped else "done"
        message = f"stopped after {step} of {config.steps} steps" if stopped else f"finished {step} steps"
        yield FinetuneEvent(kind, step, config.steps, elapsed_s=result.wall_s, peak_memory_bytes=result.peak_memory_bytes,
                            tokens_per_s=result.tokens_per_s, metric=metric_after, message=message, result=result)
    except torch.OutOfMemoryError:
        model = optimizer = None
        free_memory(device)
        raise ValueError(
            f"out of memory on {device} at batch_size={config.batch_size}, max_length={config.max_length}: "
            "lower one of them (the run was stopped and its memory freed)"
        ) from None
    finally:
        fused.close()
        model = optimizer = None
        free_memory(device)


# --------------------------------------------------------------------------- saving and the CLI

def save_adapter(result: FinetuneResult, out_dir: str | Path) -> Path:
    """The adapter in peft format (adapter_config.json + adapter_model.safetensors)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result.model.save_pretrained(out)
    return out


def write_metrics(result: FinetuneResult, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(result.summary(), indent=1, default=str))
    return path


def _parser() -> argparse.ArgumentParser:
    defaults = FinetuneConfig()
    parser = argparse.ArgumentParser(
        prog="python -m playground.finetune",
        description="QLoRA fine-tune headless; writes the adapter (peft format) and metrics.json to --out.",
    )
    parser.add_argument("--out", required=True, help="folder for the adapter and metrics.json")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="start from a preset; other flags override it")
    parser.add_argument("--data", help="a .jsonl or .csv file of your own examples instead of a built-in dataset")
    parser.add_argument("--model-id", help=f"default {defaults.model_id}")
    parser.add_argument("--dataset", choices=sorted(datasets.BUILT_INS))
    parser.add_argument("--quant-type", choices=QUANT_TYPES)
    parser.add_argument("--double-quant", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--target-modules", help="comma-separated, e.g. q_proj,v_proj")
    for name, kind in [("rank", int), ("alpha", float), ("dropout", float), ("steps", int),
                       ("learning-rate", float), ("batch-size", int), ("grad-accum", int), ("max-length", int),
                       ("warmup-steps", int), ("seed", int), ("eval-every", int), ("eval-examples", int)]:
        parser.add_argument(f"--{name}", type=kind)
    parser.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when present)")
    parser.add_argument("--gradient-checkpointing", choices=CHECKPOINTING_MODES,
                        help="recompute each block in backward (default on; auto: only when keeping activations "
                             "would not fit; off: keep them, fastest)")
    return parser


def config_from_args(args: argparse.Namespace) -> FinetuneConfig:
    values = dict(PRESETS[args.preset]) if args.preset else {}
    for name in ("model_id", "dataset", "quant_type", "double_quant", "rank", "alpha", "dropout", "steps",
                 "learning_rate", "batch_size", "grad_accum", "max_length", "warmup_steps", "seed", "eval_every",
                 "eval_examples", "device", "gradient_checkpointing"):
        value = getattr(args, name)
        if value is not None:
            values[name] = value
    if args.target_modules:
        values["target_modules"] = tuple(name.strip() for name in args.target_modules.split(",") if name.strip())
    if "steps" in values and "warmup_steps" not in values:
        values["warmup_steps"] = min(FinetuneConfig.warmup_steps, values["steps"])
    return FinetuneConfig(**values)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        examples = None
        if args.data:
            path = Path(args.data)
            examples = datasets.parse_upload(path.name, path.read_bytes())
        events = run_finetune(config, examples)
        result = None
        for event in events:
            if event.kind == "start":
                print(f"start: {event.message}; {event.estimate.summary()}; about {event.estimated_seconds:.0f} s")
            elif event.kind == "step":
                print(f"step {event.step}/{event.total_steps} loss {event.loss:.4f} lr {event.lr:.2e} "
                      f"{event.tokens_per_s:.0f} tok/s eta {event.eta_s:.0f} s peak {event.peak_memory_bytes / 2**20:.0f} MiB")
            elif event.kind == "eval":
                metric = f" metric {event.metric}" if event.metric else ""
                print(f"eval at step {event.step}: held-out loss {event.eval_loss:.4f}{metric}")
            else:
                result = event.result
                print(event.message)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = save_adapter(result, args.out)
    write_metrics(result, out / "metrics.json")
    print(f"adapter and metrics.json written to {out}")
    return 0


