"""Fine-tune throughput: our engine against the standard QLoRA recipe from the peft docs.

    standard recipe   BitsAndBytesConfig(nf4, double quant) → prepare_model_for_kbit_training
                      → get_peft_model(LoraConfig) → transformers Trainer (DataCollatorForSeq2Seq)
    ours              playground.finetune.run_finetune with the same model, data and settings

Same model, same tokenized examples, same hyperparameters and number of steps. Each side runs in
its own process, so peak memory (GPU: max allocated; CPU: peak RSS) is not shared between them.
Tokens are the non-padding tokens trained on; tokens/s = tokens / training wall time.

    python -m bench.finetune [--steps N] [--model ID] [--device cpu|cuda]   # prints the comparison
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import torch

from playground.launch import ROOT


def _peak_memory_bytes(device: str) -> int:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


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
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        output = trainer.train()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        wall = time.perf_counter() - start
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    return {
        "wall_s": wall,
        "tokens": tokens_seen[0],
        "tokens_per_s": tokens_seen[0] / wall,
        "peak_memory_bytes": _peak_memory_bytes(device),
        "final_loss": losses[-1] if losses else output.training_loss,
    }


def run_ours(config) -> dict:
    from playground.finetune import run_finetune

    result = None
    for event in run_finetune(config):
        if event.kind == "done":
            result = event.result
    return {
        "wall_s": result.train_tokens / result.tokens_per_s,  # the training loop alone, as for the recipe
        "tokens": result.train_tokens,
        "tokens_per_s": result.tokens_per_s,
        "peak_memory_bytes": _peak_memory_bytes(config.device or "cpu"),
        "final_loss": [entry["loss"] for entry in result.history if "loss" in entry][-1],
    }


def _config(args):
    from playground.finetune import preset

    overrides = {"steps": args.steps, "eval_every": 0, "eval_examples": 0, "device": args.device}
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


def compare(argv: list[str]) -> tuple[dict, dict]:
    return _measure_in_subprocess("recipe", argv), _measure_in_subprocess("ours", argv)


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    argv = ["--steps", "6" if quick else "30"]
    recipe, ours = compare(argv)
    name = "fine-tune vs Trainer recipe"
    mib = 1024 * 1024
    return [
        (name, "steps / tokens trained (recipe, ours)", f"{argv[1]} / {recipe['tokens']}, {ours['tokens']}"),
        (name, "tokens/s: recipe → ours", f"{recipe['tokens_per_s']:.0f} → {ours['tokens_per_s']:.0f} "
                                           f"(×{ours['tokens_per_s'] / recipe['tokens_per_s']:.2f})"),
        (name, "training wall time: recipe → ours", f"{recipe['wall_s']:.1f} s → {ours['wall_s']:.1f} s"),
        (name, "peak memory: recipe → ours", f"{recipe['peak_memory_bytes'] / mib:.0f} MiB → "
                                              f"{ours['peak_memory_bytes'] / mib:.0f} MiB"),
        (name, "final train loss: recipe, ours", f"{recipe['final_loss']:.3f}, {ours['final_loss']:.3f}"),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=["recipe", "ours"], help="run one side and print its JSON")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--model", default=None)
    parser.add_argument("--device", default=None)
    args, _ = parser.parse_known_args(argv)
    if args.side:
        config = _config(args)
        torch.manual_seed(config.seed)
        measured = run_recipe(config) if args.side == "recipe" else run_ours(config)
        print(json.dumps(measured))
        return
    forwarded = ["--steps", str(args.steps), "--preset", args.preset]
    forwarded += ["--model", args.model] if args.model else []
    forwarded += ["--device", args.device] if args.device else []
    recipe, ours = compare(forwarded)
    print(json.dumps({"recipe": recipe, "ours": ours}, indent=1))


if __name__ == "__main__":
    main()
