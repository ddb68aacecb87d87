"""The exported training job: its files, a train.py that stands alone and tokenizes as the playground does,
and real runs (plain python, two gloo processes under accelerate) whose adapter the compare view answers with."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from playground import datasets, models
from playground.datasets import Example, example
from playground.finetune import FinetuneConfig, FinetuneResult
from playground.finetune.batches import pad_batch
from playground.finetune.script import ACCELERATE_CONFIGS, DATA_FILE, dataset_rows, write_training_script
from playground.generation import Decoding
from playground.i18n import CATALOG, using
from playground.studio.pool import AdapterPool
from playground.studio.sessions import Run, Studio

PYTHON = Path(sys.executable)
ACCELERATE = PYTHON.with_name("accelerate")
RUN_FLAGS = ["--steps", "2", "--batch-size", "2", "--max-length", "64", "--eval-every", "0", "--warmup-steps", "1"]
STANDALONE_MODULES = {"__future__", "argparse", "json", "os", "resource", "sys", "time", "pathlib", "torch",
                      "transformers", "peft"}


def _load_script(folder: Path):
    spec = importlib.util.spec_from_file_location(f"exported_train_{abs(hash(folder))}", folder / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _small_examples() -> list[Example]:
    """12 short sentiment examples (11 train, 1 held out) and one with a system prompt."""
    train = datasets.built_in("sentiment").train
    chosen = list(train[:12])  # 50 to 56 tokens each with SmolLM2's template
    with_system = Example((("system", "Answer in two words."), ("user", "Classify: great phone."),
                           ("assistant", "Sentiment: positive")))
    return [*chosen[:6], with_system, *chosen[6:]]


def _run(command: list[str], cwd: Path, timeout: float = 420) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    return done


def _summary_keys() -> set[str]:
    config = FinetuneConfig(model_id=models.TINY_ID)
    return set(FinetuneResult(None, None, config, datasets.built_in("pirate"), [], 0.0, 0.0, 0, 0, 0, 0,
                              False).summary())


def _check_metrics(adapter: Path, processes: int, precision: str) -> dict:
    metrics = json.loads((adapter / "metrics.json").read_text())
    assert _summary_keys() <= set(metrics)  # the playground's write_metrics keys
    assert metrics["steps_done"] == 2 and metrics["stopped"] is False
    assert metrics["processes"] == processes and metrics["base_precision"] == precision
    assert [entry["step"] for entry in metrics["history"] if "loss" in entry] == [1, 2]
    assert [entry["step"] for entry in metrics["history"] if "eval_loss" in entry] == [0, 2]
    assert metrics["train_tokens"] > 0 and metrics["tokens_per_s"] > 0 and metrics["trainable_params"] > 0
    assert metrics["config"]["steps"] == 2 and metrics["config"]["max_length"] == 64
    return metrics


def _answers_in_compare_view(adapter: Path, model_id: str) -> None:
    """The Studio's compare machinery (its AdapterPool, via Studio.lora_answers) answers with the adapter on
    the 4-bit base; its logits are base + adapter as peft computes them on a fresh 4-bit copy."""
    saved = load_file(adapter / "adapter_model.safetensors")
    assert any("lora_B" in name and tensor.abs().max() > 0 for name, tensor in saved.items())  # it trained
    config = FinetuneConfig(model_id=model_id, dataset="sentiment", steps=2, warmup_steps=1)
    studio = Studio(root=adapter.parent / "studio", pool=AdapterPool())
    owner = studio.open()
    summary = json.loads((adapter / "metrics.json").read_text())
    studio.session(owner).runs["run1"] = Run("run1", config, summary, adapter)
    prompts = ["Classify the sentiment of this review: it broke in a day."]
    answers = studio.lora_answers(owner, "run1", prompts, Decoding(max_new_tokens=6))
    assert len(answers) == 1 and isinstance(answers[0], str)
    tokenizer = models.load_tokenizer(model_id)
    ids = torch.tensor([datasets.prompt_ids(tokenizer, [{"role": "user", "content": prompts[0]}])])
    with torch.inference_mode():
        with studio.pool.use(run_key := (model_id, "nf4", True), adapter) as model:
            pooled = model(ids).logits
        with studio.pool.use(run_key) as model:
            base = model(ids).logits
        from peft import PeftModel

        reference = PeftModel.from_pretrained(models.load_4bit(model_id, "nf4", True, device="cpu"), adapter).eval()
        expected = reference(ids).logits
    assert torch.allclose(pooled, expected, atol=1e-5, rtol=0)
    assert (pooled - base).abs().max() > 0  # the adapter changes the answer's logits
    studio.close(owner)


@pytest.fixture(scope="module")
def job(tmp_path_factory) -> Path:
    """An export of the tiny model with 13 small examples (one with a system prompt)."""
    folder = tmp_path_factory.mktemp("job")
    config = FinetuneConfig(model_id=models.TINY_ID, dataset="sentiment", steps=2, warmup_steps=1, batch_size=2,
                            max_length=64, eval_every=0, rank=4, alpha=8.0)
    assert write_training_script(config, _small_examples(), folder) == folder
    return folder


# --------------------------------------------------------------------------- the files

def test_export_writes_script_data_configs_and_readme(job):
    assert sorted(path.name for path in job.iterdir()) == ["README.txt", "accelerate", DATA_FILE, "train.py"]
    # the data file is the playground's own format: the Studio's upload reads the same examples back
    parsed = datasets.parse_upload(DATA_FILE, (job / DATA_FILE).read_bytes())
    assert parsed == _small_examples()
    rows = [json.loads(line) for line in (job / DATA_FILE).read_text().splitlines()]
    assert [row["split"] for row in rows] == ["train"] * 12 + ["test"]
    assert rows[6]["messages"][0] == {"role": "system", "content": "Answer in two words."}
    readme = (job / "README.txt").read_text()
    for command in ("python train.py", "accelerate/ddp.yaml", "accelerate/fsdp.yaml", "accelerate/zero3.yaml"):
        assert command in readme


def test_train_py_stands_alone_with_the_runs_settings_as_defaults(job):
    tree = ast.parse((job / "train.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= STANDALONE_MODULES, imported - STANDALONE_MODULES
    args = _load_script(job).parse_args([])
    assert (args.model, args.quant_type, args.double_quant) == (str(models.model_dir(models.TINY_ID)), "nf4", True)
    assert (args.rank, args.alpha, args.dropout, args.steps, args.learning_rate) == (4, 8.0, 0.05, 2, 1e-3)
    assert (args.batch_size, args.grad_accum, args.warmup_steps, args.seed, args.max_length) == (2, 1, 1, 0, 64)
    assert args.target_modules == "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"
    assert args.gradient_checkpointing is True and Path(args.data) == job / DATA_FILE
    with pytest.raises(SystemExit):
        _load_script(job).parse_args(["--steps", "0"])


def test_bundled_model_defaults_to_its_hub_original(tmp_path):
    write_training_script(FinetuneConfig(), None, tmp_path)
    args = _load_script(tmp_path).parse_args([])
    assert args.model == models.HUB_ID and args.steps == FinetuneConfig.steps
    rows = [json.loads(line) for line in (tmp_path / DATA_FILE).read_text().splitlines()]
    pirate = datasets.built_in("pirate")
    assert len(rows) == len(pirate.train) + len(pirate.test) and rows == dataset_rows(pirate)


@pytest.mark.parametrize("name", sorted(ACCELERATE_CONFIGS))
def test_accelerate_configs_are_valid_launch_configs(job, name):
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    args = launch_command_parser().parse_args(
        ["--config_file", str(job / "accelerate" / name), "--num_processes", "2", str(job / "train.py")])
    args, defaults, _ = _validate_launch_command(args)
    expected = {"ddp.yaml": "MULTI_GPU", "fsdp.yaml": "FSDP", "zero3.yaml": "DEEPSPEED"}[name]
    assert defaults.distributed_type.value == expected and args.num_processes == 2
    assert (args.use_fsdp, args.use_deepspeed, args.multi_gpu) == (name == "fsdp.yaml", name == "zero3.yaml",
                                                                  name == "ddp.yaml")
    if name == "fsdp.yaml":
        assert args.fsdp_auto_wrap_policy == "TRANSFORMER_BASED_WRAP" and args.fsdp_state_dict_type == "FULL_STATE_DICT"
    if name == "zero3.yaml":
        assert args.zero_stage == 3 and args.zero3_init_flag is True


def test_texts_follow_the_language(tmp_path):
    with using("ko"):
        write_training_script(FinetuneConfig(model_id=models.TINY_ID), None, tmp_path)
    assert (tmp_path / "README.txt").read_text().startswith(CATALOG["ko"]["script.readme"][:20])
    assert _load_script(tmp_path).MESSAGES["done"] == CATALOG["ko"]["script.run.done"]


def test_bad_destinations_and_data_are_clear_errors(tmp_path):
    file = tmp_path / "a-file"
    file.write_text("x")
    with pytest.raises(ValueError, match="it is a file, not a folder"):
        write_training_script(FinetuneConfig(model_id=models.TINY_ID), None, file)
    with pytest.raises(ValueError, match="at least 2"):
        write_training_script(FinetuneConfig(model_id=models.TINY_ID), [example("a", "b")], tmp_path / "job")
    assert not (tmp_path / "job").exists()


# --------------------------------------------------------------------------- the same tokens and labels

def test_script_tokenizes_and_pads_exactly_as_the_playground(job):
    script = _load_script(job)
    tokenizer = models.load_tokenizer(models.TINY_ID)  # SmolLM2's tokenizer and chat template
    train, test = script.read_examples(job / DATA_FILE)
    examples = _small_examples()
    assert train == [item.as_messages() for item in examples[:-1]] and test == [examples[-1].as_messages()]
    ours = [script.tokenize_example(tokenizer, messages) for messages in train]
    theirs = [datasets.tokenize_example(tokenizer, item) for item in examples[:-1]]
    assert [item["input_ids"] for item in ours] == [item.input_ids for item in theirs]
    assert [item["labels"] for item in ours] == [item.labels for item in theirs]
    prompt = len(datasets.prompt_ids(tokenizer, examples[6].prompt))  # system + user + assistant header
    assert set(ours[6]["labels"][:prompt]) == {datasets.IGNORE_INDEX}
    assert ours[6]["labels"][prompt:] == ours[6]["input_ids"][prompt:] and len(ours[6]["labels"]) > prompt
    batch = script.Collator(tokenizer.pad_token_id)(ours[:5])
    reference = pad_batch(theirs[:5], tokenizer.pad_token_id, "cpu")
    assert batch.keys() == reference.keys()
    assert all(torch.equal(batch[key], reference[key]) for key in batch)
    # examples over max_length are left out, never cut, in both
    kept, skipped = script.tokenize(tokenizer, train, 53)
    expected, expected_skipped = datasets.tokenize(tokenizer, examples[:-1], 53)
    assert skipped == expected_skipped > 0 and len(kept) > 0 and [item["input_ids"] for item in kept] == [i.input_ids for i in expected]


def test_sharded_engines_on_cpu_are_refused_before_loading(job, monkeypatch, capsys):
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    with pytest.raises(SystemExit, match="FSDP on GPUs"):
        _load_script(job).main(["--cpu", "--model", str(job / "no-such-model")])


# --------------------------------------------------------------------------- real runs

def test_plain_python_run_on_the_tiny_model(job):
    out = job / "plain"
    done = _run([str(PYTHON), "train.py", "--cpu", "--out", str(out), *RUN_FLAGS], job)
    assert "4-bit nf4 + DQ on cpu, 1 process(es)" in done.stdout
    _check_metrics(out, processes=1, precision="4-bit nf4 + DQ")
    assert {path.name for path in out.iterdir()} >= {"adapter_config.json", "adapter_model.safetensors"}
    _answers_in_compare_view(out, models.TINY_ID)


@pytest.mark.parametrize("model_id", [models.TINY_ID, models.BUNDLED_ID])
def test_two_gloo_processes_under_accelerate(job, model_id):
    out = job / f"ddp-{model_id.split('/')[0]}"
    command = [str(ACCELERATE), "launch", "--config_file", "accelerate/ddp.yaml", "--num_processes", "2",
               "train.py", "--cpu", "--model", str(models.model_dir(model_id)), "--out", str(out), *RUN_FLAGS]
    done = _run(command, job)
    assert "4-bit nf4 + DQ on cpu, 2 process(es)" in done.stdout  # bitsandbytes 4-bit runs under DDP on CPU
    metrics = _check_metrics(out, processes=2, precision="4-bit nf4 + DQ")
    assert metrics["launcher"] == "DDP"
    _answers_in_compare_view(out, model_id)


def test_accelerate_cpu_flag_alone_starts_one_process(job):
    """`accelerate launch --num_processes 2 --cpu` runs the script once (multi-CPU needs mpirun): it says so."""
    out = job / "cpu-flag"
    done = _run([str(ACCELERATE), "launch", "--num_processes", "2", "--cpu", "train.py", "--out", str(out),
                 *RUN_FLAGS], job)
    assert CATALOG["en"]["script.run.one_cpu_process"] in done.stdout
    _check_metrics(out, processes=1, precision="4-bit nf4 + DQ")


def test_cpu_fallback_to_a_32_bit_base_says_so_and_keeps_the_format(job):
    out = job / "fallback"
    done = _run([str(PYTHON), "train.py", "--cpu", "--no-4bit", "--out", str(out), *RUN_FLAGS], job)
    assert "Note: 4-bit loading is not used for this CPU run (--no-4bit was given)" in done.stdout
    assert "float32 on cpu" in done.stdout
    _check_metrics(out, processes=1, precision="float32")
    _answers_in_compare_view(out, models.TINY_ID)  # the same adapter format: it loads onto the 4-bit base
