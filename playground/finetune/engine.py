"""The QLoRA fine-tune loop (Dettmers et al. 2023): a generator that checks the whole run before loading
anything, then trains the LoRA matrices of a 4-bit model (`model`) and reports each step as a `FinetuneEvent`.

    run_finetune(config, examples, stop)
      resolve_dataset ─► tokenizer ─► planning.plan            ValueError here: nothing loaded yet
      ─► _train(config, dataset, tokenizer, plan, stop)        a generator; from here on, events
           build_model ─► "start" ─► held-out loss at step 0 ─► "eval"
           until `steps` steps or `stop`:
               grad_accum × ( next shuffled batch ─► pad_batch ─► batch_loss ─► backward )
               ─► clip ─► AdamW step ─► lr schedule ─► "step"  (─► held-out loss ─► "eval" every eval_every)
           free optimizer and gradients ─► unless stopped: final held-out loss + metric before / after ─► "eval"
           ─► "done" or "stopped", with the FinetuneResult
      however it ends (done, stopped, closed, out of memory): the optimizer and activations are freed

    run_finetune(config, examples, stop, resume=state or folder)      continue a run (`result.TrainingState`)
      the same checks, and the state's settings and training data must be the run's; then
      build_model ─► the adapter's weights into the LoRA matrices ─► AdamW's state ─► the batch order
      advanced past the consumed batches ─► the dropout stream as it was after the last step
      ─► steps `steps_done + 1 … config.steps` (no step-0 eval) ─► history = the old one + the new entries

Made for speed and memory: the data is tokenized once, each batch is padded to its longest example
(never to max_length), the loss is taken on answer tokens only with the LM head fused into it, the
LoRA update runs as one autograd function that keeps no copies of its input (`train_ops`), AdamW
steps only the LoRA parameters, and the only host sync per step is the loss read for the progress
event. By default each block is recomputed in backward (gradient checkpointing, as in the standard
recipe). `stop` is checked between micro-batches; running out of memory mid-run becomes a ValueError.
Every random draw (batch order, LoRA's A init, dropout masks) comes from private generators seeded
from `config.seed`, never torch's global one: the same seed gives the same run whatever else runs.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterator, Literal

import torch

from playground import models
from playground.datasets import Dataset, Example
from playground.finetune import memory, planning, train_ops
from playground.finetune.batches import pad_batch, shuffled_batches
from playground.finetune.config import FinetuneConfig, resolve_dataset
from playground.finetune.evaluation import batch_loss, eval_loss, held_out_metric
from playground.finetune.model import build_model
from playground.finetune.peak import PeakMemory, free_memory
from playground.finetune.planning import Plan
from playground.finetune.result import (
    RESUME_KEYS, FinetuneResult, TrainingState, data_fingerprint, load_training_state,
)
from playground.i18n import t

EventKind = Literal["start", "step", "eval", "done", "stopped", "waiting"]  # "waiting": from studio's queue
DROPOUT_SEED_OFFSET = 2**32  # the run's dropout stream: seeded past every config seed, never an init stream


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


def _lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warmup, then cosine decay to 10 % of the peak."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


def run_finetune(
    config: FinetuneConfig,
    examples: list[Example] | None = None,
    stop: threading.Event | None = None,
    max_seconds: float | None = None,
    resume: TrainingState | str | Path | None = None,
) -> Iterator[FinetuneEvent]:
    """Validate, then train and yield events; the last one is "done" or "stopped" with the result.

    Raises ValueError before any heavy work for a bad config, dataset, a run that would not fit, or one
    whose training is estimated to take longer than `max_seconds`; and ValueError (after freeing
    everything) when the device runs out of memory mid-run.

    `resume` (a `TrainingState`, or the folder of a saved run holding its adapter and training_state.pt)
    continues that run from step `steps_done + 1` to `config.steps`, with its adapter, AdamW state,
    batch order and dropout stream: a stopped run resumed with its own `steps` gives the steps an
    uninterrupted run would have given. With a larger `config.steps` (a finished run trained N more
    steps: `steps_done + N`) the cosine schedule is recomputed with the new total from the current step
    on: the steps already done had the old total's learning rates, so the run differs from an
    uninterrupted run with the larger total, whose schedule decays more slowly from the start. The
    result's history is the old one followed by the new entries; `train_tokens`, `wall_s` and
    `tokens_per_s` add up both parts (tokens/s over both parts' training time, loading and evals left out).
    `max_seconds` is checked against the remaining steps only.
    """
    dataset, tokenizer, plan, state = prepare(config, examples, max_seconds, resume, with_state=True)
    return _train(config, dataset, tokenizer, plan, stop or threading.Event(), state)


def prepare(config: FinetuneConfig, examples: list[Example] | None = None,
            max_seconds: float | None = None, resume: TrainingState | str | Path | None = None,
            with_state: bool = False):
    """Everything checked before a run starts: the dataset, the tokenizer, the plan (memory and time
    estimate) and the work cap. A ValueError here means nothing was loaded or started.

    Returns (dataset, tokenizer, plan), and the resumed run's `TrainingState` (or None) as a fourth item when
    `with_state`. When resuming, the plan's time estimate is that of the remaining steps."""
    dataset = resolve_dataset(config, examples)
    tokenizer = models.load_tokenizer(config.model_id)
    plan = planning.plan(config, dataset, tokenizer)
    state = None
    if resume is not None:
        state = resume if isinstance(resume, TrainingState) else load_training_state(resume)
        check_resume(config, plan, state)
        remaining = config.steps - state.steps_done
        plan = replace(plan, estimated_seconds=plan.estimated_seconds * remaining / config.steps)
    plan.check_work(max_seconds)
    return (dataset, tokenizer, plan, state) if with_state else (dataset, tokenizer, plan)


def check_resume(config: FinetuneConfig, plan: Plan, state: TrainingState) -> None:
    """A ValueError when `state` cannot be continued by `config` on the plan's data: other settings
    (`result.RESUME_KEYS`), other training examples, or no step left to train."""
    current = asdict(config)
    changed = [key for key in RESUME_KEYS
               if _plain(current.get(key)) != _plain(state.config.get(key))]
    if changed:
        raise ValueError(t("experiments.err.resume_settings", keys=", ".join(changed)))
    if data_fingerprint(plan.train) != state.data_fingerprint:
        raise ValueError(t("experiments.err.resume_data"))
    if config.steps <= state.steps_done:
        raise ValueError(t("experiments.err.resume_steps", steps=config.steps, done=state.steps_done))


def _plain(value):
    return list(value) if isinstance(value, (tuple, list)) else value


def _train(config: FinetuneConfig, dataset: Dataset, tokenizer, plan: Plan,
           stop: threading.Event, resume: TrainingState | str | Path | None = None) -> Iterator[FinetuneEvent]:
    device = config.resolved_device
    pad_id = tokenizer.pad_token_id
    started = time.perf_counter()
    peak = PeakMemory(device)
    model = optimizer = None
    fused = contextlib.ExitStack()  # each LoRA update as one autograd function, while training
    state = resume if resume is None or isinstance(resume, TrainingState) else load_training_state(resume)
    # what the run continues from: nothing, or the resumed run's steps, tokens, times and history
    done = state.steps_done if state else 0
    before_tokens, before_seconds = (state.train_tokens, state.train_seconds) if state else (0, 0.0)
    before_wall = state.wall_s if state else 0.0
    try:
        model = build_model(config, plan.gradient_checkpointing)
        if state is not None:
            _load_lora(model, state.lora)
        free_memory(device)  # the loader's freed buffers (the weights before quantization) are not the run's memory
        peak.loaded(model)
        dropout = torch.Generator(device=device).manual_seed(DROPOUT_SEED_OFFSET + config.seed)
        if state is not None:
            dropout.set_state(state.dropout_rng)
        dropout_after_step = dropout.get_state()  # the stream as it was after the last completed step
        fused.enter_context(train_ops.fused_lora(model, dropout))
        trainable = [p for p in model.parameters() if p.requires_grad]
        trainable_params = sum(p.numel() for p in trainable)
        note = (t("studio.msg.start_skipped", count=plan.skipped, max_length=config.max_length)
                if plan.skipped else "")
        if state is not None:
            note += t("experiments.msg.resumed_note", step=done)
        checkpointing = t("studio.msg.start_checkpointing") if plan.gradient_checkpointing else ""
        yield FinetuneEvent(
            "start", done, total_steps=config.steps, elapsed_s=before_wall + time.perf_counter() - started,
            estimate=plan.estimate, estimated_seconds=plan.estimated_seconds, trainable_params=trainable_params,
            peak_memory_bytes=peak.sample(),
            message=t("studio.msg.start", train=len(plan.train), test=len(plan.test), params=f"{trainable_params:,}",
                      checkpointing=checkpointing, note=note),
        )
        history: list[dict] = [dict(entry) for entry in state.history] if state else []
        metric_before = metric_after = None
        if state is None and not stop.is_set():
            loss0 = eval_loss(model, plan.test, pad_id, device)
            history.append({"step": 0, "eval_loss": loss0})
            yield FinetuneEvent("eval", 0, config.steps, eval_loss=loss0,
                                elapsed_s=time.perf_counter() - started, peak_memory_bytes=peak.sample())

        optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)
        if state is not None:
            optimizer.load_state_dict(state.optimizer)
        batches = shuffled_batches(plan.train, config.batch_size, config.seed)
        for _ in range(state.batches_consumed if state else 0):
            next(batches)
        state = None  # the resumed state's tensors are the optimizer's now
        model.train()
        train_tokens, train_started, step = 0, time.perf_counter(), done
        eval_seconds = 0.0  # held-out evals inside the loop, left out of tokens/s
        while step < config.steps and not stop.is_set():
            step_loss = torch.zeros((), device=device)
            for _ in range(config.grad_accum):
                items = next(batches)
                loss = batch_loss(model, pad_batch(items, pad_id, device)) / config.grad_accum
                peak.sample()
                loss.backward()
                step_loss += loss.detach()
                train_tokens += sum(len(item.input_ids) for item in items)
                if stop.is_set():
                    break
            if stop.is_set():
                break
            torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm)
            # linear warmup, then cosine over `config.steps` (a resumed run: the new total from here on)
            lr = config.learning_rate * _lr_factor(step, config.warmup_steps, config.steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            dropout_after_step = dropout.get_state()
            step += 1
            loss_value = step_loss.item()  # the one host sync per step
            train_elapsed = time.perf_counter() - train_started - eval_seconds
            tokens_per_s = (before_tokens + train_tokens) / (before_seconds + train_elapsed)
            elapsed = before_wall + time.perf_counter() - started
            history.append({"step": step, "loss": loss_value, "lr": lr, "tokens_per_s": tokens_per_s,
                            "elapsed_s": elapsed})
            yield FinetuneEvent(
                "step", step, config.steps, loss=loss_value, lr=lr, tokens_per_s=tokens_per_s, elapsed_s=elapsed,
                eta_s=train_elapsed / (step - done) * (config.steps - step), peak_memory_bytes=peak.sample(),
            )
            if (config.eval_every and step % config.eval_every == 0 and step < config.steps) and not stop.is_set():
                eval_started = time.perf_counter()
                value = eval_loss(model, plan.test, pad_id, device)
                eval_seconds += time.perf_counter() - eval_started
                model.train()
                history.append({"step": step, "eval_loss": value})
                yield FinetuneEvent("eval", step, config.steps, eval_loss=value,
                                    elapsed_s=before_wall + time.perf_counter() - started,
                                    peak_memory_bytes=peak.sample())

        train_wall = time.perf_counter() - train_started - eval_seconds
        stopped = stop.is_set() and step < config.steps
        fused.close()
        optimizer_state = _on_cpu(optimizer.state_dict()) if step > 0 else None
        del optimizer
        optimizer = None
        for parameter in trainable:
            parameter.grad = None
        free_memory(device)
        model.eval()
        if not stopped:
            final = eval_loss(model, plan.test, pad_id, device)
            history.append({"step": step, "eval_loss": final})
            if config.eval_examples:
                # "before" is the same 4-bit model with the adapter switched off (what B = 0 gave at step 0)
                with model.disable_adapter():
                    metric_before = held_out_metric(model, tokenizer, dataset, config.eval_examples)
                metric_after = held_out_metric(model, tokenizer, dataset, config.eval_examples)
            yield FinetuneEvent("eval", step, config.steps, eval_loss=final, metric=metric_after,
                                elapsed_s=before_wall + time.perf_counter() - started, peak_memory_bytes=peak.sample())
        all_tokens, all_seconds = before_tokens + train_tokens, before_seconds + train_wall
        wall_s = before_wall + time.perf_counter() - started
        training_state = None
        if optimizer_state is not None:
            training_state = TrainingState(
                steps_done=step, total_steps=config.steps, optimizer=optimizer_state,
                dropout_rng=dropout_after_step.cpu(), batches_consumed=step * config.grad_accum,
                history=[dict(entry) for entry in history], train_tokens=all_tokens, train_seconds=all_seconds,
                wall_s=wall_s, config=asdict(config), data_fingerprint=data_fingerprint(plan.train),
                lora=_lora_state(model),
            )
        result = FinetuneResult(
            model=model, tokenizer=tokenizer, config=config, dataset=dataset, history=history,
            tokens_per_s=all_tokens / all_seconds if all_seconds > 0 and step else 0.0,
            wall_s=wall_s, peak_memory_bytes=peak.sample(),
            trainable_params=trainable_params, train_tokens=all_tokens, steps_done=step, stopped=stopped,
            metric_before=metric_before, metric_after=metric_after, estimate=plan.estimate,
            training_state=training_state, resumed_at=done,
        )
        model = None
        kind = "stopped" if stopped else "done"
        message = (t("studio.msg.stopped", step=step, steps=config.steps) if stopped
                   else t("studio.msg.finished", step=step))
        yield FinetuneEvent(kind, step, config.steps, elapsed_s=result.wall_s, peak_memory_bytes=result.peak_memory_bytes,
                            tokens_per_s=result.tokens_per_s, metric=metric_after, message=message, result=result)
    except torch.OutOfMemoryError:
        model = optimizer = None
        free_memory(device)
        raise ValueError(t("studio.err.oom", device=device, batch_size=config.batch_size,
                           max_length=config.max_length)) from None
    finally:
        fused.close()
        model = optimizer = state = None
        free_memory(device)


def _on_cpu(value):
    """A copy of a (nested) state dict with every tensor on the CPU (the same tensors when already there)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {key: _on_cpu(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_on_cpu(item) for item in value]
    return value


def _lora_state(model) -> dict[str, torch.Tensor]:
    """The adapter's matrices under peft's saved names (what adapter_model.safetensors holds), CPU copies."""
    from peft import get_peft_model_state_dict

    return {name: tensor.detach().to("cpu", copy=True) for name, tensor in get_peft_model_state_dict(model).items()}


def _load_lora(model, lora: dict[str, torch.Tensor] | None) -> None:
    """The saved adapter's matrices into the fresh LoRA parameters; every one must be there, by name."""
    from peft import get_peft_model_state_dict, set_peft_model_state_dict

    expected = set(get_peft_model_state_dict(model))
    if not lora or set(lora) != expected:
        raise ValueError(t("experiments.err.resume_adapter"))
    outcome = set_peft_model_state_dict(model, lora)
    if getattr(outcome, "unexpected_keys", None):
        raise ValueError(t("experiments.err.resume_adapter"))
