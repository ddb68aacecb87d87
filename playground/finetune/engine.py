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
from dataclasses import dataclass, field
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
from playground.finetune.result import FinetuneResult
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
) -> Iterator[FinetuneEvent]:
    """Validate, then train and yield events; the last one is "done" or "stopped" with the result.

    Raises ValueError before any heavy work for a bad config, dataset, a run that would not fit, or one
    whose training is estimated to take longer than `max_seconds`; and ValueError (after freeing
    everything) when the device runs out of memory mid-run.
    """
    dataset, tokenizer, plan = prepare(config, examples, max_seconds)
    return _train(config, dataset, tokenizer, plan, stop or threading.Event())


def prepare(config: FinetuneConfig, examples: list[Example] | None = None,
            max_seconds: float | None = None) -> tuple[Dataset, object, Plan]:
    """Everything checked before a run starts: the dataset, the tokenizer, the plan (memory and time
    estimate) and the work cap. A ValueError here means nothing was loaded or started."""
    dataset = resolve_dataset(config, examples)
    tokenizer = models.load_tokenizer(config.model_id)
    plan = planning.plan(config, dataset, tokenizer)
    plan.check_work(max_seconds)
    return dataset, tokenizer, plan


def _train(config: FinetuneConfig, dataset: Dataset, tokenizer, plan: Plan,
           stop: threading.Event) -> Iterator[FinetuneEvent]:
    device = config.resolved_device
    pad_id = tokenizer.pad_token_id
    started = time.perf_counter()
    peak = PeakMemory(device)
    model = optimizer = None
    fused = contextlib.ExitStack()  # each LoRA update as one autograd function, while training
    try:
        model = build_model(config, plan.gradient_checkpointing)
        free_memory(device)  # the loader's freed buffers (the weights before quantization) are not the run's memory
        peak.loaded(model)
        dropout = torch.Generator(device=device).manual_seed(DROPOUT_SEED_OFFSET + config.seed)
        fused.enter_context(train_ops.fused_lora(model, dropout))
        trainable = [p for p in model.parameters() if p.requires_grad]
        trainable_params = sum(p.numel() for p in trainable)
        note = (t("studio.msg.start_skipped", count=plan.skipped, max_length=config.max_length)
                if plan.skipped else "")
        checkpointing = t("studio.msg.start_checkpointing") if plan.gradient_checkpointing else ""
        yield FinetuneEvent(
            "start", total_steps=config.steps, elapsed_s=time.perf_counter() - started, estimate=plan.estimate,
            estimated_seconds=plan.estimated_seconds, trainable_params=trainable_params,
            peak_memory_bytes=peak.sample(),
            message=t("studio.msg.start", train=len(plan.train), test=len(plan.test), params=f"{trainable_params:,}",
                      checkpointing=checkpointing, note=note),
        )
        history: list[dict] = []
        metric_before = metric_after = None
        if not stop.is_set():
            loss0 = eval_loss(model, plan.test, pad_id, device)
            history.append({"step": 0, "eval_loss": loss0})
            yield FinetuneEvent("eval", 0, config.steps, eval_loss=loss0,
                                elapsed_s=time.perf_counter() - started, peak_memory_bytes=peak.sample())

        optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: _lr_factor(step, config.warmup_steps, config.steps)
        )
        batches = shuffled_batches(plan.train, config.batch_size, config.seed)
        model.train()
        train_tokens, train_started, step = 0, time.perf_counter(), 0
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
                value = eval_loss(model, plan.test, pad_id, device)
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
        if not stopped:
            final = eval_loss(model, plan.test, pad_id, device)
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
            metric_before=metric_before, metric_after=metric_after, estimate=plan.estimate,
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
        model = optimizer = None
        free_memory(device)
