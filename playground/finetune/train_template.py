"""QLoRA fine-tune, exported from the PEFT Playground with the settings of one run.

    python train.py                                                     one machine: a GPU if there is one, else CPU
    accelerate launch --config_file accelerate/ddp.yaml --num_processes N train.py       DDP, N GPUs
    accelerate launch --config_file accelerate/fsdp.yaml --num_processes N train.py      FSDP
    accelerate launch --config_file accelerate/zero3.yaml --num_processes N train.py     DeepSpeed ZeRO-3
    accelerate launch --config_file accelerate/ddp.yaml --num_processes N train.py --cpu DDP, N CPU processes (gloo)
    ... train.py --model <any Hub id or local folder>                   another base model, the same recipe

What it does, the same as the playground: every example goes through the model's own chat template;
the prompt part (everything `apply_chat_template(add_generation_prompt=True)` writes) has label -100,
so the loss is taken on the answer tokens only; examples longer than --max-length are left out, not
cut; each batch is right-padded to its longest example (pad labels -100). The base is loaded in 4 bits
by bitsandbytes (BitsAndBytesConfig with the run's quant type, double quantization and compute dtype),
prepared with peft's prepare_model_for_kbit_training, and a LoRA adapter (the run's r, alpha, dropout
and target modules) is trained with the standard transformers Trainer (AdamW, linear warmup then
cosine decay to 10 % of the peak learning rate, gradient clipping). It writes the adapter in peft's
format (adapter_config.json + adapter_model.safetensors) and metrics.json to --out.

Needs only torch, transformers, peft, bitsandbytes and accelerate (and deepspeed for ZeRO-3).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import torch

SETTINGS: dict = {}  # @SETTINGS@ (written by the export: the run's settings)
MESSAGES: dict = {}  # @MESSAGES@ (written by the export: this script's texts, in the export's language)

IGNORE_INDEX = -100  # label value torch's cross-entropy skips
HERE = Path(__file__).resolve().parent
DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
ROLES = ("system", "user", "assistant")


def say(key: str, **values) -> str:
    return MESSAGES[key].format(**values)


# --------------------------------------------------------------------------- data

def read_examples(path: Path) -> tuple[list[list[dict]], list[list[dict]]]:
    """(train, held out) conversations from a JSONL file of {"instruction", "response"} or {"messages"} rows.

    Rows with "split": "test" are held out; without any, the last tenth (at least one) is, as the playground
    does for uploaded examples."""
    train, test = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if "messages" in row:
                messages = [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
            else:
                messages = [{"role": "user", "content": row["instruction"]},
                            {"role": "assistant", "content": row["response"]}]
        except (ValueError, KeyError, TypeError) as err:
            raise SystemExit(say("err_row", path=path, number=number, error=f"{type(err).__name__}: {err}"))
        if (len(messages) < 2 or messages[-1]["role"] != "assistant"
                or any(m["role"] not in ROLES or not isinstance(m["content"], str) for m in messages)):
            raise SystemExit(say("err_row", path=path, number=number, error=say("err_conversation")))
        (test if row.get("split") == "test" else train).append(messages)
    if not test and len(train) >= 2:
        held_out = max(1, round(len(train) * 0.1))
        train, test = train[:-held_out], train[-held_out:]
    if not train or not test:
        raise SystemExit(say("err_too_few", path=path, count=len(train) + len(test)))
    return train, test


def _ids(encoded) -> list[int]:
    return list(encoded["input_ids"])


def tokenize_example(tokenizer, messages: list[dict]) -> dict[str, list[int]]:
    """input_ids of the whole templated conversation; labels -100 on the prompt (through the assistant header)."""
    prompt = _ids(tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True, return_dict=True))
    full = _ids(tokenizer.apply_chat_template(messages, return_dict=True))
    if full[: len(prompt)] != prompt:
        raise SystemExit(say("err_template"))
    return {"input_ids": full, "labels": [IGNORE_INDEX] * len(prompt) + full[len(prompt):]}


def tokenize(tokenizer, conversations: list[list[dict]], max_length: int) -> tuple[list[dict], int]:
    """Tokenized examples that fit in max_length tokens, and how many were left out."""
    items = [tokenize_example(tokenizer, messages) for messages in conversations]
    kept = [item for item in items if len(item["input_ids"]) <= max_length]
    return kept, len(items) - len(kept)


class Collator:
    """Right-pad a batch to its longest example; pad positions get attention 0 and label -100."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, items: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(item["input_ids"]) for item in items)
        pad = [width - len(item["input_ids"]) for item in items]
        return {
            "input_ids": torch.tensor([item["input_ids"] + [self.pad_id] * n for item, n in zip(items, pad)]),
            "attention_mask": torch.tensor([[1] * len(item["input_ids"]) + [0] * n for item, n in zip(items, pad)]),
            "labels": torch.tensor([item["labels"] + [IGNORE_INDEX] * n for item, n in zip(items, pad)]),
        }


def load_tokenizer(model: str):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


# --------------------------------------------------------------------------- model

def _sharded() -> str | None:
    """"FSDP" or "DeepSpeed" when accelerate launched this script with one of them, else None."""
    if os.environ.get("ACCELERATE_USE_FSDP", "false").lower() == "true":
        return "FSDP"
    if os.environ.get("ACCELERATE_USE_DEEPSPEED", "false").lower() == "true":
        return "DeepSpeed"
    return None


def compute_dtype(name: str, use_cpu: bool) -> torch.dtype:
    """"auto": bfloat16 on GPUs that have it, float16 on older ones, float32 on CPU (as the playground)."""
    if name != "auto":
        return DTYPES[name]
    if use_cpu:
        return torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def _keep_standard_4bit_layout(model) -> None:
    """bitsandbytes repacks a CPU Linear4bit for an inference kernel (no autograd) the first time it runs
    without grad on CPUs with AVX512-BF16; an eval before training would then cut the gradients."""
    for module in model.modules():
        if hasattr(module, "support_avx512bf16_for_cpu"):
            module.support_avx512bf16_for_cpu = False


def load_base(args, use_cpu: bool, log) -> tuple[object, str]:
    """The frozen base, prepared for k-bit training, and how it is stored ("4-bit nf4", or the fallback dtype)."""
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    dtype = compute_dtype(args.compute_dtype, use_cpu)
    sharded = _sharded()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device_map = None if sharded else {"": "cpu" if use_cpu else local_rank}
    reason = None
    if args.no_4bit:
        reason = say("reason_flag")
    model = None
    if reason is None:
        quant = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=args.quant_type,
            bnb_4bit_use_double_quant=args.double_quant,
            bnb_4bit_compute_dtype=dtype,
            # FSDP and ZeRO-3 shard the packed 4-bit weights as tensors of the compute dtype
            bnb_4bit_quant_storage=dtype if sharded else torch.uint8,
        )
        try:
            model = AutoModelForCausalLM.from_pretrained(args.model, quantization_config=quant, dtype=dtype,
                                                         device_map=device_map)
        except Exception as err:  # noqa: BLE001 - only on CPU (a bitsandbytes without 4-bit CPU support, in
            # one process or several): say why, then train a 16/32-bit base; on CUDA a failure stays a failure
            if not use_cpu:
                raise
            reason = f"{type(err).__name__}: {err}"[:300]
    if model is None:
        fallback = DTYPES[args.cpu_fallback_dtype]
        log(say("fallback", reason=reason, dtype=args.cpu_fallback_dtype))
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=fallback, device_map=device_map)
        precision = args.cpu_fallback_dtype
    else:
        _keep_standard_4bit_layout(model)
        precision = f"4-bit {args.quant_type}" + (" + DQ" if args.double_quant else "")
    if sharded and model is not None and precision.startswith("4-bit"):
        # sharded QLoRA: every parameter in the compute dtype (FSDP flattens tensors of one dtype)
        model.requires_grad_(False)
        model.enable_input_require_grads()
    else:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=args.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False})
    return model, precision


def add_lora(model, args, sharded_4bit: bool):
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=args.rank, lora_alpha=args.alpha, lora_dropout=args.dropout,
                      target_modules=args.target_modules.split(","), bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    if sharded_4bit:
        dtype = next(p.dtype for p in model.parameters() if not p.requires_grad)
        for parameter in model.parameters():
            if parameter.requires_grad:
                parameter.data = parameter.data.to(dtype)
    return model


# --------------------------------------------------------------------------- run

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    s = SETTINGS
    parser = argparse.ArgumentParser(description=say("help_description"),
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--model", default=s["model"], help=say("help_model"))
    parser.add_argument("--data", default=str(HERE / s["data_file"]), help=say("help_data"))
    parser.add_argument("--out", default=str(HERE / "adapter"), help=say("help_out"))
    parser.add_argument("--quant-type", choices=("nf4", "fp4"), default=s["quant_type"])
    parser.add_argument("--double-quant", action=argparse.BooleanOptionalAction, default=s["double_quant"])
    parser.add_argument("--compute-dtype", choices=("auto", *DTYPES), default="auto", help=say("help_compute_dtype"))
    parser.add_argument("--rank", type=int, default=s["rank"])
    parser.add_argument("--alpha", type=float, default=s["alpha"])
    parser.add_argument("--dropout", type=float, default=s["dropout"])
    parser.add_argument("--target-modules", default=",".join(s["target_modules"]))
    parser.add_argument("--steps", type=int, default=s["steps"])
    parser.add_argument("--learning-rate", type=float, default=s["learning_rate"])
    parser.add_argument("--batch-size", type=int, default=s["batch_size"], help=say("help_batch_size"))
    parser.add_argument("--grad-accum", type=int, default=s["grad_accum"])
    parser.add_argument("--warmup-steps", type=int, default=s["warmup_steps"])
    parser.add_argument("--max-length", type=int, default=s["max_length"])
    parser.add_argument("--max-grad-norm", type=float, default=s["max_grad_norm"])
    parser.add_argument("--seed", type=int, default=s["seed"])
    parser.add_argument("--eval-every", type=int, default=s["eval_every"], help=say("help_eval_every"))
    parser.add_argument("--gradient-checkpointing", action=argparse.BooleanOptionalAction,
                        default=s["gradient_checkpointing"] != "off")
    parser.add_argument("--cpu", action="store_true", help=say("help_cpu"))
    parser.add_argument("--no-4bit", action="store_true", help=say("help_no_4bit"))
    parser.add_argument("--cpu-fallback-dtype", choices=("float32", "bfloat16"), default="float32",
                        help=say("help_fallback_dtype"))
    args = parser.parse_args(argv)
    for name in ("steps", "batch_size", "grad_accum", "max_length", "rank"):
        if getattr(args, name) < 1:
            parser.error(say("err_positive", flag="--" + name.replace("_", "-"), value=getattr(args, name)))
    if not 0 <= args.warmup_steps <= args.steps:
        parser.error(say("err_warmup", value=args.warmup_steps, steps=args.steps))
    if not 0 < args.learning_rate <= 1 or not 0 <= args.dropout < 1:
        parser.error(say("err_rates", learning_rate=args.learning_rate, dropout=args.dropout))
    return args


def _peak_memory_bytes(use_cpu: bool) -> int:
    if not use_cpu and torch.cuda.is_available():
        return int(torch.cuda.max_memory_allocated())
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # this process's peak RSS (Linux: KiB)


def main(argv: list[str] | None = None) -> int:
    from transformers import Trainer, TrainerCallback, TrainingArguments, set_seed
    from transformers.trainer_callback import PrinterCallback

    args = parse_args(argv)
    started = time.perf_counter()
    use_cpu = args.cpu or os.environ.get("ACCELERATE_USE_CPU", "").lower() == "true" or not torch.cuda.is_available()
    processes = int(os.environ.get("WORLD_SIZE", "1"))
    main_process = int(os.environ.get("RANK", "0")) == 0

    def log(text: str) -> None:
        if main_process:
            print(text, flush=True)

    if use_cpu and _sharded():  # accelerate's FSDP and DeepSpeed run on accelerators only
        raise SystemExit(say("err_sharded_cpu", engine=_sharded()))
    if use_cpu and processes == 1 and os.environ.get("ACCELERATE_USE_CPU", "").lower() == "true":
        log(say("one_cpu_process"))
    set_seed(args.seed)
    tokenizer = load_tokenizer(args.model)
    train_conversations, test_conversations = read_examples(Path(args.data))
    train, skipped_train = tokenize(tokenizer, train_conversations, args.max_length)
    test, skipped_test = tokenize(tokenizer, test_conversations, args.max_length)
    if skipped_train or skipped_test:
        log(say("skipped", count=skipped_train + skipped_test, max_length=args.max_length))
    if not train:
        raise SystemExit(say("err_none_fit", max_length=args.max_length))
    log(say("data", train=len(train), test=len(test), path=args.data))

    model, precision = load_base(args, use_cpu, log)
    model = add_lora(model, args, bool(_sharded()) and precision.startswith("4-bit"))
    trainable_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    device = "cpu" if use_cpu else "cuda"
    log(say("loaded", model=args.model, precision=precision, device=device, processes=processes,
            params=f"{trainable_params:,}"))

    training_args = TrainingArguments(
        output_dir=args.out,
        max_steps=args.steps,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        gradient_accumulation_steps=args.grad_accum,
        learning_rate=args.learning_rate,
        weight_decay=0.0,
        warmup_steps=args.warmup_steps,
        lr_scheduler_type="cosine_with_min_lr",
        lr_scheduler_kwargs={"min_lr_rate": 0.1},
        max_grad_norm=args.max_grad_norm,
        optim="adamw_torch",
        seed=args.seed,
        data_seed=args.seed,
        gradient_checkpointing=args.gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False},
        eval_on_start=True,  # the held-out loss at step 0 (LoRA's B is zero: the base's loss), once prepared
        eval_strategy="steps" if args.eval_every else "no",
        eval_steps=args.eval_every or None,
        prediction_loss_only=True,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        remove_unused_columns=False,
        ddp_find_unused_parameters=False,
        include_num_input_tokens_seen="non_padding",
        use_cpu=use_cpu,
        # FSDP / ZeRO-3 configs ask accelerate for bf16 mixed precision; the Trainer must agree
        bf16=bool(_sharded()) and not use_cpu and compute_dtype(args.compute_dtype, use_cpu) == torch.bfloat16,
    )
    history: list[dict] = []
    train_started = [0.0]

    class TimedTrainer(Trainer):
        """The Trainer, keeping the time its held-out evaluations take (left out of tokens/s, as the playground)."""

        eval_seconds = 0.0

        def evaluate(self, *args_, **kwargs):
            begun = time.perf_counter()
            try:
                return super().evaluate(*args_, **kwargs)
            finally:
                self.eval_seconds += time.perf_counter() - begun

    def training_seconds() -> float:
        return max(time.perf_counter() - train_started[0] - trainer.eval_seconds, 1e-9)

    class Progress(TrainerCallback):
        def on_train_begin(self, args_, state, control, **kwargs):
            train_started[0] = time.perf_counter()

        def on_log(self, args_, state, control, logs=None, **kwargs):
            logs = logs or {}
            if "loss" in logs:
                history.append({"step": state.global_step, "loss": float(logs["loss"]),
                                "lr": float(logs.get("learning_rate", 0.0)),
                                "tokens_per_s": state.num_input_tokens_seen / training_seconds(),
                                "elapsed_s": time.perf_counter() - started})
                log(say("step", step=state.global_step, steps=args.steps, loss=f"{float(logs['loss']):.4f}",
                        lr=f"{float(logs.get('learning_rate', 0.0)):.2e}"))
            if "eval_loss" in logs:
                history.append({"step": state.global_step, "eval_loss": float(logs["eval_loss"])})
                log(say("eval", step=state.global_step, loss=f"{float(logs['eval_loss']):.4f}"))

    trainer = TimedTrainer(model=model, args=training_args, train_dataset=train, eval_dataset=test,
                           data_collator=Collator(tokenizer.pad_token_id), callbacks=[Progress()])
    trainer.remove_callback(PrinterCallback)  # Progress prints the steps
    if trainer.is_fsdp_enabled:  # the LoRA layers their own FSDP units: each flat parameter trainable or frozen
        from peft.utils.other import fsdp_auto_wrap_policy

        trainer.accelerator.state.fsdp_plugin.auto_wrap_policy = fsdp_auto_wrap_policy(trainer.model)
    output = trainer.train()
    train_seconds = training_seconds()
    if not history or "eval_loss" not in history[-1] or history[-1]["step"] != trainer.state.global_step:
        trainer.evaluate()
    tokens = int(trainer.state.num_input_tokens_seen)
    out = Path(args.out)
    if _sharded():
        if trainer.is_fsdp_enabled:
            trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
        trainer.save_model(str(out))  # gathers the sharded adapter; writes peft's format on the main process
        (out / "training_args.bin").unlink(missing_ok=True)
    elif trainer.is_world_process_zero():
        trainer.accelerator.unwrap_model(trainer.model).save_pretrained(str(out))
    if trainer.is_world_process_zero():
        config = dict(SETTINGS["config"])
        config.update(model_id=args.model, quant_type=args.quant_type, double_quant=args.double_quant,
                      rank=args.rank, alpha=args.alpha, dropout=args.dropout,
                      target_modules=args.target_modules.split(","), steps=args.steps,
                      learning_rate=args.learning_rate, batch_size=args.batch_size, grad_accum=args.grad_accum,
                      max_length=args.max_length, warmup_steps=args.warmup_steps, seed=args.seed,
                      eval_every=args.eval_every, max_grad_norm=args.max_grad_norm, device=device,
                      gradient_checkpointing="on" if args.gradient_checkpointing else "off")
        metrics = {
            "model_id": args.model,
            "dataset": SETTINGS["dataset"],
            "metric_name": None,  # the playground's metric on generated answers is not measured here
            "metric_before": None,
            "metric_after": None,
            "steps_done": int(output.global_step),
            "stopped": int(output.global_step) < args.steps,
            "tokens_per_s": round(tokens / train_seconds, 2) if train_seconds > 0 else 0.0,
            "wall_s": round(time.perf_counter() - started, 2),
            "peak_memory_bytes": _peak_memory_bytes(use_cpu),
            "trainable_params": trainable_params,
            "train_tokens": tokens,
            "estimated_memory_bytes": None,
            "config": config,
            "history": history,
            "base_precision": precision,
            "processes": processes,
            "launcher": _sharded() or ("DDP" if processes > 1 else "single"),
        }
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
        log(say("done", out=out, steps=metrics["steps_done"], seconds=metrics["wall_s"]))
    return 0


if __name__ == "__main__":
    if not SETTINGS:
        sys.exit("this is the template; export a script with `python -m playground.finetune ... --export-script DIR`")
    sys.exit(main())
