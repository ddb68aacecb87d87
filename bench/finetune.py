"""Fine-tune throughput: our engine against the standard QLoRA recipe from the peft docs.

    standard recipe   BitsAndBytesConfig(nf4, double quant) → prepare_model_for_kbit_training
                      → get_peft_model(LoraConfig) → transformers Trainer (DataCollatorForSeq2Seq)
    ours              playground.finetune.run_finetune with the same model, data and settings

    ours, keeping    the same with gradient_checkpointing="off" (activations kept: faster, more memory)

Same model, same tokenized examples, same hyperparameters and number of steps. Each side runs in
its own process; peak memory is measured while training (GPU: max allocated; CPU: peak RSS).
Tokens are the non-padding tokens trained on; tokens/s = tokens / training wall time. The sides run
in turn for several rounds (recipe, ours, ours keeping, recipe, …) and each figure is the median
over the rounds, so that a slow minute of a shared machine does not land on one side only.

    python -m bench.finetune [--steps N] [--rounds R] [--model ID] [--device cpu|cuda]   # prints JSON
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import psutil
import torch

from bench.server import ROOT

SIDES = ("recipe", "ours", "ours-keeping")


class TrainingPeak:
    """Peak memory while training, the model already loaded: GPU allocator peak on CUDA, else the
    process RSS sampled every 20 ms (loading the weights peaks higher than training on CPU and
    would hide the difference between the two loops)."""

    def __init__(self, device: str):
        self.device, self.peak, self._done = device, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._done.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            time.sleep(0.02)

    def start(self) -> "TrainingPeak":
        if self.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        else:
            self._thread.start()
        return self

    def stop(self) -> None:
        if self.device.startswith("cuda"):
            self.peak = torch.cuda.max_memory_allocated()
        else:
            self._done.set()
            self._thread.join()

    def __enter__(self) -> "TrainingPeak":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_recipe(config) -> dict:
    """The peft docs' QLoRA recipe with transformers' Trainer, on our tokenized data."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from playground import datasets, models

    device = config.device or models.default_device()
    tokenizer = models.load_tokenizer(config.model_id)
    tokenized, _ = datasets.tokenize(tokenizer, datasets.built_in(config.dataset).train, config.max_length)
    train = [{"input_ids": item.input_ids, "labels": item.labels} for item in tokenized]
    model = models.load_4bit(config.model_id, config.quant_type, config.double_quant, device=device)
    model = prepare_model_for_kbit_training(model)  # the recipe as documented: gradient checkpointing on
    model = get_peft_model(
        model,
        LoraConfig(
            r=config.rank,
            lora_alpha=config.alpha,
            lora_dropout=config.dropout,
            target_modules=list(config.target_modules),
            task_type="CAUSAL_LM",
        ),
    )
    pad = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100)
    tokens_seen = [0]

    def collate(features):
        batch = pad(features)
        tokens_seen[0] += int(batch["attention_mask"].sum())
        return batch

    compute_dtype = models.compute_dtype_for(device)
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            max_steps=config.steps,
            per_device_train_batch_size=config.batch_size,
            gradient_accumulation_steps=config.grad_accum,
            learning_rate=config.learning_rate,
            warmup_steps=config.warmup_steps,
            logging_steps=max(1, config.steps // 5),
            save_strategy="no",
            report_to=[],
            seed=config.seed,
            use_cpu=not device.startswith("cuda"),
            bf16=compute_dtype is torch.bfloat16,
            fp16=compute_dtype is torch.float16,
            dataloader_num_workers=0,
            disable_tqdm=True,
        )
        trainer = Trainer(model=model, args=args, train_dataset=train, data_collator=collate)
        with TrainingPeak(device) as peak:
            start = time.perf_counter()
            output = trainer.train()  # the Trainer synchronizes CUDA when it logs the last loss
            wall = time.perf_counter() - start
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    return {
        "wall_s": wall,
        "tokens": tokens_seen[0],
        "tokens_per_s": tokens_seen[0] / wall,
        "peak_memory_bytes": peak.peak,
        "final_loss": losses[-1] if losses else output.training_loss,
    }


def run_ours(config) -> dict:
    from playground.finetune import run_finetune

    peak = TrainingPeak(config.resolved_device)
    result = None
    for event in run_finetune(config):
        if event.kind == "start":  # the model is built: measure from here, as for the recipe
            peak.start()
        elif event.kind == "done":
            peak.stop()
            result = event.result
    return {
        "wall_s": result.train_tokens / result.tokens_per_s,  # the training loop alone, as for the recipe
        "tokens": result.train_tokens,
        "tokens_per_s": result.tokens_per_s,
        "peak_memory_bytes": peak.peak,
        "final_loss": [entry["loss"] for entry in result.history if "loss" in entry][-1],
    }


def _config(args):
    from playground.finetune import preset

    overrides = {"steps": args.steps, "eval_every": 0, "eval_examples": 0, "device": args.device,
                 "gradient_checkpointing": "off" if args.side == "ours-keeping" else "on"}
    if args.model:
        overrides["model_id"] = args.model
    return preset(args.preset, **overrides)


def _measure_in_subprocess(side: str, argv: list[str]) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.finetune", "--side", side, *argv],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")},
        capture_output=True,
        text=True,
    )
    if output.returncode != 0:
        raise RuntimeError(f"{side} run failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def compare(argv: list[str], rounds: int = 1) -> dict[str, dict]:
    """Each side `rounds` times, in turn; per side the median of each figure and the rounds themselves."""
    runs: dict[str, list[dict]] = {side: [] for side in SIDES}
    for _ in range(rounds):
        for side in SIDES:
            runs[side].append(_measure_in_subprocess(side, argv))
    return {
        side: {**{key: statistics.median(run[key] for run in measured)
                  for key in ("wall_s", "tokens", "tokens_per_s", "peak_memory_bytes", "final_loss")},
               "rounds": measured}
        for side, measured in runs.items()
    }


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    steps, rounds = (6, 1) if quick else (30, 3)
    measured = compare(["--steps", str(steps)], rounds)
    recipe = measured["recipe"]
    name = f"fine-tune vs Trainer recipe ({steps} steps, quick preset, median of {rounds} rounds)"
    result = [(name, "tokens trained (recipe / ours / ours keeping activations)",
               " / ".join(f"{measured[side]['tokens']:.0f}" for side in SIDES))]
    for side, label in (("recipe", "Trainer recipe (checkpointing on)"),
                        ("ours", "ours, default (checkpointing on)"),
                        ("ours-keeping", "ours, checkpointing off")):
        run = measured[side]
        result.append((name, label, f"{run['tokens_per_s']:.0f} tokens/s (×{run['tokens_per_s'] / recipe['tokens_per_s']:.2f}), "
                                    f"{run['wall_s']:.1f} s, peak {run['peak_memory_bytes'] / 2**20:.0f} MiB "
                                    f"(×{run['peak_memory_bytes'] / recipe['peak_memory_bytes']:.2f}), "
                                    f"final loss {run['final_loss']:.3f}"))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=SIDES, help="run one side and print its JSON")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3, help="times each side runs, in turn (medians reported)")
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--model", default=None)
    parser.add_argument("--device", default=None)
    args, _ = parser.parse_known_args(argv)
    if args.side:
        config = _config(args)
        torch.manual_seed(config.seed)
        measured = run_recipe(config) if args.side == "recipe" else run_ours(config)
        measured["gradient_checkpointing"] = args.side != "ours-keeping"
        print(json.dumps(measured))
        return
    forwarded = ["--steps", str(args.steps), "--preset", args.preset]
    forwarded += ["--model", args.model] if args.model else []
    forwarded += ["--device", args.device] if args.device else []
    print(json.dumps(compare(forwarded, args.rounds), indent=1))


if __name__ == "__main__":
    main()
