"""The fine-tune without the UI: flags (over a preset) to a config, progress lines on stdout, and the
adapter and metrics.json written to --out.

    python -m playground.finetune --dataset pirate --steps 40 --out runs/pirate
    python -m playground.finetune --preset quick --data my_examples.jsonl --out runs/mine
    python -m playground.finetune --preset quick --export-script job/    (train.py + data + accelerate configs,
                                                                          nothing trained; see docs/scale-out.md)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playground import datasets
from playground.checks import QUANT_TYPES
from playground.finetune.config import CHECKPOINTING_MODES, PRESETS, FinetuneConfig
from playground.finetune.engine import run_finetune
from playground.finetune.result import save_adapter, write_metrics
from playground.finetune.script import SCRIPT_FILE, write_training_script
from playground.i18n import t


def _parser() -> argparse.ArgumentParser:
    defaults = FinetuneConfig()
    parser = argparse.ArgumentParser(
        prog="python -m playground.finetune",
        description="QLoRA fine-tune headless; writes the adapter (peft format) and metrics.json to --out.",
    )
    parser.add_argument("--out", help="folder for the adapter and metrics.json")
    parser.add_argument("--export-script", metavar="DIR",
                        help="write a standalone train.py for these settings, the dataset file and accelerate "
                             "configs to DIR instead of training")
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
    if not args.out and not args.export_script:
        parser.error("one of --out (train here) or --export-script DIR (write a training script) is required")
    try:
        config = config_from_args(args)
        examples = None
        if args.data:
            path = Path(args.data)
            examples = datasets.parse_upload(path.name, path.read_bytes())
        if args.export_script:
            out = write_training_script(config, examples, args.export_script)
            print(t("script.cli.written", path=str(out), script=str(out / SCRIPT_FILE)))
            return 0
        events = run_finetune(config, examples)
        result = None
        for event in events:
            if event.kind == "start":
                print(f"start: {event.message}; {event.estimate.summary()}; about {event.estimated_seconds:.0f} s")
            elif event.kind == "step":
                print(f"step {event.step}/{event.total_steps} loss {event.loss:.4f} lr {event.lr:.2e} "
                      f"{event.tokens_per_s:.0f} tok/s eta {event.eta_s:.0f} s measured peak of this run {event.peak_memory_bytes / 2**20:.0f} MiB")
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
