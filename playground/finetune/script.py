"""A run's settings as a standalone training job: train.py, its data and accelerate configs, in one folder.

    write_training_script(config, examples, out_dir)
      out_dir/train.py          train_template.py with the run's settings and texts written in: the standard
                                transformers Trainer, QLoRA (bitsandbytes 4-bit + peft LoRA), the same chat
                                template handling and answer-only labels as `playground.datasets`
      out_dir/data.jsonl        the run's examples in the playground's own format ({"instruction", "response"}
                                or {"messages"} rows, with "split": "train" / "test"): the Studio reads it too
      out_dir/accelerate/       ddp.yaml, fsdp.yaml, zero3.yaml for `accelerate launch --config_file`
      out_dir/README.txt        the commands

train.py imports nothing from the playground: it runs wherever torch, transformers, peft, bitsandbytes and
accelerate are installed, with `--model` any Hub id or local folder. Nothing here trains or loads a model.
"""

from __future__ import annotations

import json
import pprint
from dataclasses import asdict
from pathlib import Path

from playground import models
from playground.datasets import Dataset, Example
from playground.finetune.config import FinetuneConfig, resolve_dataset
from playground.i18n import t

TEMPLATE = Path(__file__).with_name("train_template.py")
DATA_FILE = "data.jsonl"
SCRIPT_FILE = "train.py"
ACCELERATE_DIR = "accelerate"
MESSAGE_KEYS = (  # train.py's own texts: "script.run.<key>" in the catalog, MESSAGES[<key>] in the script
    "help_description", "help_model", "help_data", "help_out", "help_compute_dtype", "help_batch_size",
    "help_eval_every", "help_cpu", "help_no_4bit", "help_fallback_dtype", "err_row", "err_conversation",
    "err_too_few", "err_template", "err_none_fit", "err_positive", "err_warmup", "err_rates", "err_sharded_cpu",
    "reason_flag", "fallback", "one_cpu_process", "skipped", "data", "loaded", "step", "eval", "done",
)

# accelerate launch --config_file …: one machine; --num_processes on the command line overrides the 2 here
_COMMON = """compute_environment: LOCAL_MACHINE
debug: false
machine_rank: 0
main_training_function: main
num_machines: 1
num_processes: 2
rdzv_backend: static
same_network: true
use_cpu: false
"""
ACCELERATE_CONFIGS: dict[str, str] = {
    "ddp.yaml": _COMMON + """distributed_type: MULTI_GPU
downcast_bf16: 'no'
gpu_ids: all
mixed_precision: 'no'
""",
    # QLoRA under FSDP (peft's recipe): the 4-bit weights stored as the compute dtype (train.py sets
    # bnb_4bit_quant_storage), each decoder layer one FSDP unit, the full adapter gathered for saving
    "fsdp.yaml": _COMMON + """distributed_type: FSDP
downcast_bf16: 'no'
mixed_precision: bf16
fsdp_config:
  fsdp_version: 1
  fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP
  fsdp_backward_prefetch: BACKWARD_PRE
  fsdp_cpu_ram_efficient_loading: true
  fsdp_forward_prefetch: false
  fsdp_offload_params: false
  fsdp_sharding_strategy: FULL_SHARD
  fsdp_state_dict_type: FULL_STATE_DICT
  fsdp_sync_module_states: true
  fsdp_use_orig_params: false
""",
    # DeepSpeed ZeRO-3: parameters, gradients and optimizer state sharded over the processes (needs deepspeed)
    "zero3.yaml": _COMMON + """distributed_type: DEEPSPEED
downcast_bf16: 'no'
mixed_precision: bf16
deepspeed_config:
  deepspeed_multinode_launcher: standard
  offload_optimizer_device: none
  offload_param_device: none
  zero3_init_flag: true
  zero3_save_16bit_model: true
  zero_stage: 3
""",
}


def default_model(model_id: str) -> str:
    """The script's --model default: the bundled SmolLM2's Hub original, the tiny model's local folder
    (it exists nowhere else), any other id as it is."""
    if model_id == models.BUNDLED_ID:
        return models.HUB_ID
    if model_id == models.TINY_ID:
        return str(models.model_dir(models.TINY_ID))
    return model_id


def dataset_rows(dataset: Dataset) -> list[dict]:
    """The dataset as rows of the playground's JSONL format, train first, each with its split."""
    rows = []
    for split, examples in (("train", dataset.train), ("test", dataset.test)):
        for item in examples:
            if [role for role, _ in item.messages] == ["user", "assistant"]:
                rows.append({"instruction": item.user_text, "response": item.response, "split": split})
            else:
                rows.append({"messages": item.as_messages(), "split": split})
    return rows


def _settings(config: FinetuneConfig, dataset: Dataset) -> dict:
    return {
        "model": default_model(config.model_id),
        "data_file": DATA_FILE,
        "dataset": dataset.name,
        "quant_type": config.quant_type,
        "double_quant": config.double_quant,
        "rank": config.rank,
        "alpha": config.alpha,
        "dropout": config.dropout,
        "target_modules": list(config.target_modules),
        "steps": config.steps,
        "learning_rate": config.learning_rate,
        "batch_size": config.batch_size,
        "grad_accum": config.grad_accum,
        "warmup_steps": config.warmup_steps,
        "max_length": config.max_length,
        "max_grad_norm": config.max_grad_norm,
        "seed": config.seed,
        "eval_every": config.eval_every,
        "gradient_checkpointing": config.gradient_checkpointing,
        "config": {**asdict(config), "target_modules": list(config.target_modules)},
    }


def _fill(template: str, name: str, value: dict) -> str:
    marker = f"{name}: dict = {{}}  # @{name}@"
    line = next((line for line in template.splitlines() if line.startswith(marker)), None)
    if line is None:
        raise RuntimeError(f"{TEMPLATE.name} has no {marker!r} line")
    return template.replace(line, f"{name}: dict = {pprint.pformat(value, sort_dicts=False, width=110)}", 1)


def render_script(config: FinetuneConfig, dataset: Dataset) -> str:
    """train.py's text: the template with the run's settings and this language's texts in place."""
    messages = {key: str(t(f"script.run.{key}")) for key in MESSAGE_KEYS}
    text = _fill(TEMPLATE.read_text(encoding="utf-8"), "SETTINGS", _settings(config, dataset))
    return _fill(text, "MESSAGES", messages)


def write_training_script(config: FinetuneConfig, examples: list[Example] | None, out_dir) -> Path:
    """Write train.py, data.jsonl, accelerate/{ddp,fsdp,zero3}.yaml and README.txt to `out_dir` (created if
    needed; files of the same names are replaced); returns `out_dir`. `examples` None: the config's
    built-in dataset. Trains nothing, loads no weights."""
    if not isinstance(config, FinetuneConfig):
        raise ValueError(t("script.err.config", kind=type(config).__name__))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(t("script.err.not_folder", path=str(out)))
    dataset = resolve_dataset(config, examples)
    script = render_script(config, dataset)
    try:
        (out / ACCELERATE_DIR).mkdir(parents=True, exist_ok=True)
        (out / SCRIPT_FILE).write_text(script, encoding="utf-8")
        (out / DATA_FILE).write_text(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in dataset_rows(dataset)), encoding="utf-8")
        for name, text in ACCELERATE_CONFIGS.items():
            (out / ACCELERATE_DIR / name).write_text(text, encoding="utf-8")
        (out / "README.txt").write_text(
            t("script.readme", model=default_model(config.model_id), dataset=dataset.name,
              train=len(dataset.train), test=len(dataset.test), steps=config.steps) + "\n", encoding="utf-8")
    except OSError as err:
        raise ValueError(t("script.err.write", path=str(out), error=err.strerror or str(err))) from None
    return out
