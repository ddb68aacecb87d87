"""What a run's adapter learned: the singular values of each update ΔW = scale·B·A, how far it moved each layer,
its intrinsic rank measured on the held-out loss, and the merge checked against the unmerged forward.

    adapter_model.safetensors ─► per target module: B (d_out × r), A (r × d_in), scale = α/r (α/√r with rsLoRA)
        │ QR of B and Aᵀ, SVD of the small r × r core: ΔW's singular values, exactly, without forming ΔW
        ▼
    energy share of the top k directions (cumsum s² / Σ s²), ‖ΔW‖_F / ‖W₀‖_F (W₀: the run's dequantized
    4-bit weights), a layers × projections matrix, the modules that moved most
        │ one module: ΔW replaced by its best rank-k truncation (Eckart–Young), k = 0 … r
        ▼
    held-out loss per k on the shared 4-bit model with the run's adapter ─► the intrinsic rank (LoRA §7)

The LoRA paper (Hu et al. 2021, §7) finds that the update has a very low intrinsic rank: a few directions carry
almost all of it. Here it is measured on the user's own run, by norm and by its effect on the held-out loss.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch

from playground.finetune.config import ALL_PROJECTIONS
from playground.i18n import t

ENERGY_SHARE = 0.9  # the effective rank: the fewest directions holding this share of ‖ΔW‖²_F
MAX_EXAMPLES = 32  # held-out examples a rank sweep scores each k on (at most the run's held-out split)
MAX_POINTS = 34  # ranks a sweep scores (k = 0, every k up to 32, r): above rank 32 a spread of k
MERGE_PROMPTS = 4  # held-out examples the merge check compares logits on
# max |Δlogit|, merged vs unmerged, float32: the merge only reorders float32 sums (measured: 4.2e-7 on the
# tiny model, 9.3e-5 on the bundled SmolLM2, whose logits reach 37.6)
MERGE_TOLERANCE = 5e-4
CACHE_SIZE = 32  # analyses kept, by run folder (a few KB each)
_KEY = re.compile(r"^(?P<module>.*\.layers\.(?P<layer>\d+)\.[\w.]*?(?P<projection>[a-z]+_proj))"
                  r"\.lora_(?P<factor>[AB])\.weight$")


# --------------------------------------------------------------------------- the adapter's factors

@dataclass(frozen=True)
class AdapterFactors:
    """A run's LoRA adapter as saved: each module's B and A, and the scale of B·A."""

    rank: int
    alpha: float
    use_rslora: bool
    factors: dict[str, tuple[torch.Tensor, torch.Tensor]]  # module path → (B, A), float32
    where: dict[str, tuple[int, str]]  # module path → (layer, projection)

    @property
    def scale(self) -> float:
        """α/r (LoRA), or α/√r (rsLoRA)."""
        return self.alpha / (math.sqrt(self.rank) if self.use_rslora else self.rank)

    def module_path(self, layer: int, projection: str) -> str:
        """The path of the module of `layer` and `projection`, or a ValueError naming the ones there are."""
        for path, where in self.where.items():
            if where == (layer, projection):
                return path
        layers = sorted({lay for lay, _ in self.where.values()})
        projections = sorted({proj for _, proj in self.where.values()}, key=_projection_order)
        raise ValueError(t("learned.err.no_module", layer=layer, projection=projection,
                           layers=f"{layers[0]}–{layers[-1]}", projections=", ".join(projections)))


def read_factors(adapter_dir: str | Path) -> AdapterFactors:
    """The adapter in `adapter_dir` (peft format), or a ValueError that says what is missing or unexpected."""
    from safetensors.torch import load_file

    folder = Path(adapter_dir)
    config_path, weights_path = folder / "adapter_config.json", folder / "adapter_model.safetensors"
    missing = [p.name for p in (config_path, weights_path) if not p.is_file()]
    if missing:
        raise ValueError(t("learned.err.not_adapter", path=str(folder), missing=", ".join(missing)))
    try:
        config = json.loads(config_path.read_text())
        rank, alpha = int(config["r"]), float(config["lora_alpha"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(t("learned.err.bad_config", path=str(config_path), error=str(err))) from None
    if config.get("rank_pattern") or config.get("alpha_pattern"):
        raise ValueError(t("learned.err.patterns", path=str(config_path)))
    tensors = load_file(weights_path)
    parts: dict[str, dict[str, torch.Tensor]] = {}
    where: dict[str, tuple[int, str]] = {}
    for key, tensor in tensors.items():
        match = _KEY.match(key)
        if match is None:
            continue
        module = match["module"]
        parts.setdefault(module, {})[match["factor"]] = tensor.to(torch.float32)
        where[module] = (int(match["layer"]), match["projection"])
    factors = {}
    for module, pair in parts.items():
        if set(pair) != {"A", "B"} or pair["B"].shape[1] != rank or pair["A"].shape[0] != rank:
            raise ValueError(t("learned.err.factors", module=module, rank=rank))
        factors[module] = (pair["B"], pair["A"])
    if not factors:
        raise ValueError(t("learned.err.no_modules", path=str(weights_path)))
    order = sorted(factors, key=lambda m: (where[m][0], _projection_order(where[m][1])))
    return AdapterFactors(rank, alpha, bool(config.get("use_rslora")), {m: factors[m] for m in order},
                          {m: where[m] for m in order})


def _projection_order(name: str) -> int:
    return ALL_PROJECTIONS.index(name) if name in ALL_PROJECTIONS else len(ALL_PROJECTIONS)


@dataclass(frozen=True)
class UpdateSVD:
    """ΔW = scale·B·A = U·diag(s)·Vᵀ with U (d_out × m), V (d_in × m), m = min(r, d_out, d_in), float64."""

    u: torch.Tensor
    s: torch.Tensor
    v: torch.Tensor


@torch.no_grad()
def update_svd(b: torch.Tensor, a: torch.Tensor, scale: float) -> UpdateSVD:
    """The SVD of scale·B·A from its factors: B = Q_B·R_B, Aᵀ = Q_A·R_A, so ΔW = Q_B·(scale·R_B·R_Aᵀ)·Q_Aᵀ and the
    small core's SVD gives ΔW's (exact) nonzero singular values and vectors; ΔW itself is never formed."""
    q_b, r_b = torch.linalg.qr(b.to(torch.float64))
    q_a, r_a = torch.linalg.qr(a.to(torch.float64).T)
    u, s, vh = torch.linalg.svd(scale * r_b @ r_a.T, full_matrices=False)
    return UpdateSVD(q_b @ u, s, q_a @ vh.T)


def energy_share(s: torch.Tensor) -> list[float]:
    """The share of ‖ΔW‖²_F in the top 1, 2, … directions: cumsum(s²)/Σs² (ends at 1)."""
    squares = s.to(torch.float64) ** 2
    total = float(squares.sum())
    if total == 0.0:
        return [0.0] * len(s)
    return [float(x) for x in torch.cumsum(squares, 0) / total]


def truncation(svd: UpdateSVD, k: int, rank: int, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """LoRA factors (B', A') whose scale·B'·A' is the best rank-k approximation of ΔW (Eckart–Young): B' = U_k·S_k/scale
    and A' = V_kᵀ, padded with zeros to r columns and rows; k = 0 is no update."""
    if not 0 <= k <= rank:
        raise ValueError(t("learned.err.k", k=k, rank=rank))
    d_out, d_in = svd.u.shape[0], svd.v.shape[0]
    b = torch.zeros(d_out, rank, dtype=torch.float64)
    a = torch.zeros(rank, d_in, dtype=torch.float64)
    k = min(k, len(svd.s))
    b[:, :k] = svd.u[:, :k] * (svd.s[:k] / scale)
    a[:k] = svd.v[:, :k].T
    return b, a


def truncation_error(s: torch.Tensor, k: int) -> float:
    """‖ΔW − ΔW_k‖_F / ‖ΔW‖_F = √(Σ_{i>k} s_i²) / √(Σ s_i²)."""
    squares = s.to(torch.float64) ** 2
    total = float(squares.sum())
    return math.sqrt(float(squares[k:].sum()) / total) if total > 0 else 0.0


# --------------------------------------------------------------------------- per-module analysis

@dataclass(frozen=True)
class ModuleUpdate:
    module: str  # the peft module path
    layer: int
    projection: str
    shape: tuple[int, int]  # (d_out, d_in)
    singular_values: list[float]  # of ΔW, largest first (min(r, d_out, d_in) of them)
    energy: list[float]  # cumulative share of ‖ΔW‖²_F
    update_norm: float  # ‖ΔW‖_F
    base_norm: float  # ‖W₀‖_F, W₀ the dequantized 4-bit weight

    @property
    def relative(self) -> float:
        return self.update_norm / self.base_norm if self.base_norm else float("nan")

    @property
    def top1(self) -> float:
        return self.energy[0] if self.energy else 0.0

    def k_for(self, share: float = ENERGY_SHARE) -> int:
        """The fewest directions holding `share` of the update's energy (0 for an update that is all zero)."""
        if not self.energy or self.energy[-1] == 0.0:
            return 0
        return next(i + 1 for i, value in enumerate(self.energy) if value >= share - 1e-12)


@dataclass(frozen=True)
class AdapterAnalysis:
    rank: int
    alpha: float
    scale: float
    use_rslora: bool
    modules: list[ModuleUpdate]

    @property
    def layers(self) -> list[int]:
        return sorted({m.layer for m in self.modules})

    @property
    def projections(self) -> list[str]:
        return sorted({m.projection for m in self.modules}, key=_projection_order)

    def module(self, layer: int, projection: str) -> ModuleUpdate:
        for m in self.modules:
            if m.layer == layer and m.projection == projection:
                return m
        raise ValueError(t("learned.err.no_module", layer=layer, projection=projection,
                           layers=f"{self.layers[0]}–{self.layers[-1]}", projections=", ".join(self.projections)))

    def matrix(self) -> list[list[float | None]]:
        """‖ΔW‖_F/‖W₀‖_F by layer (rows) and projection (columns); None where the projection has no adapter."""
        cells = {(m.layer, m.projection): m.relative for m in self.modules}
        return [[cells.get((layer, p)) for p in self.projections] for layer in self.layers]

    def moved_most(self, count: int = 5) -> list[ModuleUpdate]:
        """The modules whose update is largest relative to their weight."""
        return sorted(self.modules, key=lambda m: -m.relative)[:count]

    def effective_rank(self) -> float:
        """The median over modules of k for 90% of the energy."""
        ks = sorted(m.k_for() for m in self.modules)
        middle = len(ks) // 2
        return float(ks[middle]) if len(ks) % 2 else (ks[middle - 1] + ks[middle]) / 2


def base_module_path(name: str) -> str:
    """A module's path in the plain model: peft's wrapper prefix and the LoRA layer's `base_layer` left out."""
    return name.removeprefix("base_model.model.").removesuffix(".base_layer")


@torch.no_grad()
def dequantized_norms(model) -> dict[str, float]:
    """‖W₀‖_F of every 4-bit linear layer of `model`, by plain module path: W₀ dequantized by bitsandbytes from the
    model's own codes (the values a run on this quantization trained against)."""
    from bitsandbytes.functional import dequantize_4bit
    from bitsandbytes.nn import Linear4bit

    norms = {}
    for name, module in model.named_modules():
        if isinstance(module, Linear4bit):
            weight = dequantize_4bit(module.weight.data, module.weight.quant_state).to(torch.float64)
            norms[base_module_path(name)] = float(torch.linalg.matrix_norm(weight))
    if not norms:
        raise ValueError(t("learned.err.no_4bit"))
    return norms


def analyze(adapter: AdapterFactors, base_norms: dict[str, float]) -> AdapterAnalysis:
    """Singular values, energy shares and relative size of every module's update."""
    modules = []
    for path, (b, a) in adapter.factors.items():
        svd = update_svd(b, a, adapter.scale)
        s = svd.s
        plain = base_module_path(path)
        if plain not in base_norms:
            raise ValueError(t("learned.err.no_base", module=plain))
        layer, projection = adapter.where[path]
        modules.append(ModuleUpdate(path, layer, projection, (b.shape[0], a.shape[1]), [float(x) for x in s],
                                    energy_share(s), float(torch.linalg.vector_norm(s)), base_norms[plain]))
    return AdapterAnalysis(adapter.rank, adapter.alpha, adapter.scale, adapter.use_rslora, modules)


class AnalysisCache:
    """Analyses by run folder (and the time its weights were written), at most `size`; W₀ norms by quantization.
    A folder that is gone (its session reaped) is dropped at the next store."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._analyses: OrderedDict[tuple[Path, int], AdapterAnalysis] = OrderedDict()
        self._norms: OrderedDict[tuple, dict[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(adapter_dir: Path) -> tuple[Path, int]:
        weights = Path(adapter_dir) / "adapter_model.safetensors"
        return Path(adapter_dir), weights.stat().st_mtime_ns if weights.is_file() else 0

    def get(self, adapter_dir: Path) -> AdapterAnalysis | None:
        key = self._key(adapter_dir)
        with self._lock:
            if key in self._analyses:
                self._analyses.move_to_end(key)
                return self._analyses[key]
        return None

    def put(self, adapter_dir: Path, analysis: AdapterAnalysis) -> None:
        with self._lock:
            for gone in [key for key in self._analyses if not key[0].is_dir()]:
                del self._analyses[gone]
            self._analyses[self._key(adapter_dir)] = analysis
            while len(self._analyses) > self.size:
                self._analyses.popitem(last=False)

    def forget(self, adapter_dir: Path) -> None:
        with self._lock:
            for key in [key for key in self._analyses if key[0] == Path(adapter_dir)]:
                del self._analyses[key]

    def norms(self, quant_key: tuple, compute) -> dict[str, float]:
        """The W₀ norms of `quant_key`, computed by `compute()` once (kept for as many quantizations as `size`)."""
        with self._lock:
            if quant_key in self._norms:
                self._norms.move_to_end(quant_key)
                return self._norms[quant_key]
        norms = compute()
        with self._lock:
            self._norms[quant_key] = norms
            while len(self._norms) > self.size:
                self._norms.popitem(last=False)
        return norms

    def __len__(self) -> int:
        with self._lock:
            return len(self._analyses)


CACHE = AnalysisCache()


def analyze_run(pool, run, cache: AnalysisCache = CACHE) -> AdapterAnalysis:
    """The analysis of a Studio run (`run.adapter_dir`, `run.quant_key`), with W₀ read from the shared 4-bit base of
    the run's quantization (`pool`); cached by run folder."""
    kept = cache.get(run.adapter_dir)
    if kept is not None:
        return kept
    adapter = read_factors(run.adapter_dir)

    def compute() -> dict[str, float]:
        with pool.use(run.quant_key) as model:
            return dequantized_norms(model)

    analysis = analyze(adapter, cache.norms(tuple(run.quant_key), compute))
    cache.put(run.adapter_dir, analysis)
    return analysis


def served(fn, pool, run, *args, estimate_s: float = 60.0):
    """`fn(pool, run, *args)` (`analyze_run`, `rank_sweep_run`) on the server's shared 4-bit bases; on ZeroGPU the
    same inside one GPU call, on the call's own bases (the server's process has no GPU of its own there)."""
    from playground import i18n, zerogpu

    if zerogpu.ON_ZEROGPU:
        return zerogpu.run_on_gpu(zerogpu.on_pool, fn, run, args, i18n.language(), estimate_s=estimate_s)
    return fn(pool, run, *args)


# --------------------------------------------------------------------------- intrinsic rank on the held-out loss

@dataclass(frozen=True)
class RankPoint:
    k: int
    relative_error: float  # ‖ΔW − ΔW_k‖_F / ‖ΔW‖_F
    loss: float  # held-out loss per answer token with this module's update truncated to rank k


@dataclass(frozen=True)
class RankSweep:
    layer: int
    projection: str
    rank: int
    points: list[RankPoint]  # k = 0 (this module's update off), 1, …, r (a spread of k above rank 32)
    full_loss: float  # the adapter as trained
    adapter_off_loss: float  # the 4-bit base: every module's update off
    examples: int  # held-out examples scored per k
    tokens: int  # answer tokens scored per k
    passes: int  # forward passes over those examples
    seconds: float

    @property
    def full_rank_loss(self) -> float:
        return self.points[-1].loss

    def k_within(self, fraction: float = 0.1) -> int:
        """The smallest k whose loss is within `fraction` of the way from the full update's to this module's
        update off (the module's intrinsic rank on the held-out loss)."""
        off = self.points[0].loss
        gap = off - self.full_loss
        for point in self.points:
            if point.loss - self.full_loss <= fraction * abs(gap) + 1e-9:
                return point.k
        return self.rank


def sweep_ranks(rank: int, max_points: int = MAX_POINTS) -> list[int]:
    """The ranks a sweep scores: 0 … r when that is at most `max_points` ranks, else every k up to
    `max_points` − 2 and a geometric spread up to r."""
    if rank + 1 <= max_points:
        return list(range(rank + 1))
    dense = max_points - 2
    ks = set(range(dense + 1))
    ratio = rank / dense
    for i in range(1, 9):
        ks.add(round(dense * ratio ** (i / 8)))
    return sorted(ks | {rank})


def lora_layer(model, module: str):
    """The LoRA layer at `module` (a path as saved in the adapter, `base_model.model.…`) of a PeftModel."""
    try:
        return model.get_submodule(module)
    except AttributeError:
        raise ValueError(t("learned.err.no_lora_layer", module=module)) from None


@torch.no_grad()
def rank_sweep(model, adapter: AdapterFactors, layer: int, projection: str, items: list, pad_id: int,
               ks: list[int] | None = None) -> RankSweep:
    """The held-out loss on `items` with one module's update replaced by its best rank-k truncation, for each k,
    on `model` (a PeftModel with this adapter active, held exclusively by the caller). That module's LoRA weights
    are swapped in place and restored exactly in `finally`."""
    from playground.finetune.evaluation import eval_loss
    from playground.datasets import IGNORE_INDEX

    started = time.perf_counter()
    path = adapter.module_path(layer, projection)
    if not items:
        raise ValueError(t("learned.err.no_held_out"))
    name = model.active_adapter
    target = lora_layer(model, path)
    weight_a, weight_b = target.lora_A[name].weight, target.lora_B[name].weight
    scale = float(target.scaling[name])
    b, a = adapter.factors[path]
    svd = update_svd(b, a, scale)
    ks = sorted(set(ks if ks is not None else sweep_ranks(adapter.rank)))
    device = str(weight_a.device)
    tokens = sum(sum(label != IGNORE_INDEX for label in item.labels[1:]) for item in items)
    saved_a, saved_b = weight_a.detach().clone(), weight_b.detach().clone()
    try:
        full = eval_loss(model, items, pad_id, device)
        with model.disable_adapter():
            off = eval_loss(model, items, pad_id, device)
        points = []
        for k in ks:
            new_b, new_a = truncation(svd, k, adapter.rank, scale)
            weight_b.copy_(new_b.to(weight_b.dtype))
            weight_a.copy_(new_a.to(weight_a.dtype))
            points.append(RankPoint(k, truncation_error(svd.s, k), eval_loss(model, items, pad_id, device)))
    finally:
        weight_a.copy_(saved_a)
        weight_b.copy_(saved_b)
    return RankSweep(layer, projection, adapter.rank, points, full, off, len(items), int(tokens), len(ks) + 2,
                     time.perf_counter() - started)


def held_out_items(run, max_examples: int = MAX_EXAMPLES) -> tuple[list, int]:
    """The run's tokenized held-out examples (its own dataset and max_length, as its training scored them), at most
    `max_examples`, and the tokenizer's pad id."""
    from playground import models
    from playground.finetune.config import resolve_dataset
    from playground.finetune.planning import plan

    if not isinstance(max_examples, int) or not 1 <= max_examples <= MAX_EXAMPLES:
        raise ValueError(t("learned.err.examples", value=repr(max_examples), limit=MAX_EXAMPLES))
    tokenizer = models.load_tokenizer(run.config.model_id)
    dataset = resolve_dataset(run.config, getattr(run, "examples", None))
    return plan(run.config, dataset, tokenizer).test[:max_examples], tokenizer.pad_token_id


def rank_sweep_run(pool, run, layer: int, projection: str, max_examples: int = MAX_EXAMPLES) -> RankSweep:
    """`rank_sweep` for a Studio run, on the shared 4-bit base with the run's adapter (exclusive while it runs)."""
    adapter = read_factors(run.adapter_dir)
    adapter.module_path(layer, projection)  # an unknown module is refused before anything runs
    items, pad_id = held_out_items(run, max_examples)
    with pool.use(run.quant_key, run.adapter_dir) as model:
        return rank_sweep(model, adapter, layer, projection, items, pad_id)


# --------------------------------------------------------------------------- the merge, checked

@dataclass(frozen=True)
class MergeCheck:
    max_abs: float  # max |logit merged − logit unmerged| over every position of the prompts
    relative: float  # max_abs / max |logit unmerged|
    max_logit: float
    served_max_abs: float  # merged vs the 4-bit model + adapter the Studio answers with
    tolerance: float
    prompts: int
    tokens: int
    seconds: float

    @property
    def passed(self) -> bool:
        return self.max_abs <= self.tolerance


_MERGE_LOCK = threading.Lock()  # a merge check holds a dense float32 copy of the model: one at a time


@torch.no_grad()
def merge_check(run_dir: str | Path, items: list, tolerance: float = MERGE_TOLERANCE) -> MergeCheck:
    """The run's adapter merged into the dequantized 4-bit base (W₀ + ΔW, float32) against the same base with the
    adapter unmerged, and against the 4-bit model + adapter, on `items` (tokenized held-out examples)."""
    from playground.export import merge, read_run

    if not items:
        raise ValueError(t("learned.err.no_held_out"))
    started = time.perf_counter()
    folder = read_run(run_dir)
    with _MERGE_LOCK:
        four_bit = merge.four_bit_base(folder)
        base = merge.dequantized_base(folder, four_bit)
        served = merge.with_adapter(four_bit, folder)
        unmerged = merge.with_adapter(base, folder)
        ids = [torch.tensor([item.input_ids]) for item in items]
        served_logits = [served(x).logits for x in ids]
        unmerged_logits = [unmerged(x).logits for x in ids]
        merged = unmerged.merge_and_unload()
        merged_logits = [merged(x).logits for x in ids]
        del four_bit, base, served, unmerged, merged
    max_abs = max(float((m - u).abs().max()) for m, u in zip(merged_logits, unmerged_logits))
    served_abs = max(float((m - s).abs().max()) for m, s in zip(merged_logits, served_logits))
    max_logit = max(float(u.abs().max()) for u in unmerged_logits)
    return MergeCheck(max_abs, max_abs / max_logit if max_logit else 0.0, max_logit, served_abs, tolerance,
                      len(items), sum(len(item.input_ids) for item in items), time.perf_counter() - started)


def merge_check_run(run, prompts: int = MERGE_PROMPTS) -> MergeCheck:
    """`merge_check` on the first `prompts` held-out examples of a Studio run."""
    if not isinstance(prompts, int) or not 1 <= prompts <= 8:
        raise ValueError(t("learned.err.prompts", value=repr(prompts)))
    items, _ = held_out_items(run, prompts)
    return merge_check(run.adapter_dir, items)
