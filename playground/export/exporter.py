"""One run folder to one export folder, in any format; the size checked before any work, the time measured.

    adapter    RUN_DIR's adapter (peft) + metrics.json + README.md (model card)
    merged     model.safetensors (+ config, generation config, tokenizer, chat template) + README.md
    gguf-f16   <name>.F16.gguf  + Modelfile + README.md
    gguf-q8_0  <name>.Q8_0.gguf + Modelfile + README.md
    gguf-q4_0  <name>.Q4_0.gguf + Modelfile + README.md

The folder is written under a temporary name beside OUT and renamed into place once complete, so a failed
export never leaves a folder that looks finished.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from playground import models
from playground.export import card, gguf_file, merge, ollama
from playground.export.run_folder import ADAPTER_FILES, METRICS, RunFolder, read_run
from playground.i18n import t

FORMATS = ("adapter", "merged", *gguf_file.GGUF_TYPES)
TOKENIZER_BYTES = 8 << 20  # tokenizer files and config beside merged weights (SmolLM2's: 3.6 MB), an upper bound
MIB = 1 << 20

Progress = Callable[[float, str], None]


@dataclass
class ExportResult:
    format: str
    folder: Path
    files: list[Path]  # what a user downloads (the folder's files, the model card last)
    size_bytes: int  # the whole folder
    seconds: float
    how_to_run: str  # Markdown: the transformers lines, llama-cli, ollama create
    details: dict = field(default_factory=dict)

    def summary_markdown(self) -> str:
        return t("export.result", format=self.format, size=mib(self.size_bytes), seconds=f"{self.seconds:.1f}",
                 files=", ".join(f"`{path.name}`" for path in self.files)) + "\n\n" + self.how_to_run


def mib(size: int) -> str:
    return f"{size / MIB:,.1f} MiB"


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(t("export.err.format", format=repr(fmt), formats=", ".join(FORMATS)))
    return fmt


def estimate_bytes(run: RunFolder, fmt: str) -> int:
    """The export's size before any work, from the model's config (an upper bound within a few MiB)."""
    check_format(fmt)
    if fmt == "adapter":
        return run.adapter_bytes() + (1 << 20)
    config = models.model_config(run.model_id)
    if fmt == "merged":
        itemsize = {"float32": 4, "float16": 2, "bfloat16": 2}[str(merge.original_dtype(run.model_id)).removeprefix("torch.")]
        return merge.parameter_count(run.model_id) * itemsize + TOKENIZER_BYTES
    gguf_file.check_convertible(config)
    return gguf_file.estimate_bytes(config, gguf_file.GGUF_TYPES[fmt])


def _free_bytes(path: Path) -> int:
    probe = path
    while not probe.exists():
        probe = probe.parent
    return shutil.disk_usage(probe).free


def check_room(run: RunFolder, fmt: str, out: Path, limit_bytes: int | None = None, used_bytes: int = 0) -> int:
    """The estimate, or a ValueError when it would not fit the disk or the `limit_bytes` (with `used_bytes`
    already taken there)."""
    needed = estimate_bytes(run, fmt)
    if limit_bytes is not None and used_bytes + needed > limit_bytes:
        raise ValueError(t("export.err.too_big", format=fmt, size=mib(needed), used=mib(used_bytes),
                           limit=mib(limit_bytes)))
    free = _free_bytes(out)
    if needed > free:
        raise ValueError(t("export.err.disk_full", format=fmt, size=mib(needed), free=mib(free)))
    return needed


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "model"


def gguf_name(run: RunFolder, fmt: str) -> str:
    stem = _slug(f"{run.model_id.rsplit('/', 1)[-1]}-{run.summary.get('dataset') or 'data'}-lora")
    return f"{stem}.{gguf_file.GGUF_TYPES[fmt]}.gguf"


def how_to_run(run: RunFolder, fmt: str, where: str, gguf: str | None = None) -> str:
    """Markdown with the lines that run the export from the folder `where`."""
    config = run.config
    base = card.hub_base(config.model_id) or config.model_id
    if fmt == "adapter":
        code = (
            "```python\n"
            "from peft import PeftModel\n"
            "from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig\n\n"
            f"bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=\"{config.quant_type}\",\n"
            f"                         bnb_4bit_use_double_quant={config.double_quant})\n"
            f"base = AutoModelForCausalLM.from_pretrained(\"{base}\", quantization_config=bnb)\n"
            f"model = PeftModel.from_pretrained(base, \"{where}\")\n"
            f"tokenizer = AutoTokenizer.from_pretrained(\"{base}\")\n"
            "```"
        )
        note = t("export.how.adapter_bundled") if config.model_id == models.BUNDLED_ID else t("export.how.adapter")
        return f"{note}\n\n{code}"
    if fmt == "merged":
        return t("export.how.merged") + "\n\n" + (
            "```python\n"
            "from transformers import AutoModelForCausalLM, AutoTokenizer\n\n"
            f"model = AutoModelForCausalLM.from_pretrained(\"{where}\")\n"
            f"tokenizer = AutoTokenizer.from_pretrained(\"{where}\")\n"
            "messages = [{\"role\": \"user\", \"content\": \"Hello!\"}]\n"
            "ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors=\"pt\")\n"
            "print(tokenizer.decode(model.generate(ids, max_new_tokens=64)[0][ids.shape[1]:], skip_special_tokens=True))\n"
            "```"
        )
    name = _slug(run.summary.get("dataset", "lora")).lower()
    return "\n\n".join([
        t("export.how.llama_cpp"), f"```bash\nllama-cli -m {where}/{gguf} -cnv\n```",
        t("export.how.ollama"), f"```bash\ncd {where}\nollama create {name}-lora -f Modelfile\nollama run {name}-lora\n```",
        t("export.how.gguf_transformers"),
        "```python\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n\n"
        f"model = AutoModelForCausalLM.from_pretrained(\"{where}\", gguf_file=\"{gguf}\")\n"
        f"tokenizer = AutoTokenizer.from_pretrained(\"{where}\", gguf_file=\"{gguf}\")\n```",
    ])


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)


def export_run(run_dir: str | Path | RunFolder, fmt: str, out: str | Path, limit_bytes: int | None = None,
               used_bytes: int = 0, where: str | None = None, progress: Progress | None = None) -> ExportResult:
    """Export the run in `run_dir` as `fmt` into the new folder `out` (missing or empty). `limit_bytes`: the
    most the export may take (with `used_bytes` already used); `where`: how the how-to names the folder
    (default: `out` as given)."""
    run = run_dir if isinstance(run_dir, RunFolder) else read_run(run_dir)
    check_format(fmt)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(t("export.err.out_not_empty", path=str(out)))
    check_room(run, fmt, out, limit_bytes, used_bytes)
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    where = where or str(out)
    details: dict = {}
    try:
        if fmt == "adapter":
            _report(progress, 0.2, t("export.progress.adapter"))
            for name in (*ADAPTER_FILES, METRICS):
                shutil.copy2(run.path / name, partial / name)
            how = how_to_run(run, fmt, where)
        else:
            _report(progress, 0.1, t("export.progress.merging", model=run.model_id))
            model = merge.merged_model(run)
            if fmt == "merged":
                _report(progress, 0.6, t("export.progress.saving"))
                merge.save_merged(model, run, partial)
                how = how_to_run(run, fmt, where)
            else:
                name = details["gguf"] = gguf_name(run, fmt)
                tokenizer = models.load_tokenizer(run.model_id)
                _report(progress, 0.5, t("export.progress.gguf", kind=gguf_file.GGUF_TYPES[fmt]))
                gguf_file.write_gguf(model, tokenizer, partial / name, gguf_file.GGUF_TYPES[fmt],
                                     f"{run.model_id.rsplit('/', 1)[-1]} + LoRA ({run.summary.get('dataset')})")
                (partial / "Modelfile").write_text(ollama.modelfile(name, tokenizer))
                how = how_to_run(run, fmt, where, name)
            del model
        (partial / "README.md").write_text(card.model_card(run, fmt, how))
        if out.exists():
            out.rmdir()
        os.replace(partial, out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    files = sorted((path for path in out.iterdir() if path.is_file() and path.name != "README.md"),
                   key=lambda path: (-path.stat().st_size, path.name)) + [out / "README.md"]
    _report(progress, 1.0, t("export.progress.done"))
    return ExportResult(fmt, out, files, _folder_bytes(out), time.perf_counter() - started, how, details)
