"""Three ways to fine-tune a few parameters of a frozen model, counted and built on a real one.

Bottleneck adapter (Houlsby et al., arXiv 1902.00751, §2.1), serial: it runs *after* a sublayer.

    sublayer ─► h (…, d) ─┬─► down d→m ─► σ ─► up m→d ─┐
                          └──────────── skip ──────────┴─► + ─► (residual add of the block)

    Houlsby: one after the attention output projection and one after the MLP, in every block.
    Pfeiffer: one after the MLP only. Params per adapter: 2·m·d + d + m (weights and biases).

LoRA (arXiv 2106.09685), parallel: `playground.adapters.lora.LoraLinear`, r·(d_in + d_out) per layer.

Prompt tuning (Lester et al., arXiv 2104.08691): n trainable "virtual token" embeddings
(n × d) prepended to the input; the model itself is untouched.

Counting works from a config alone (nothing is loaded) or from a built model; the tests check
every count against peft and against the parameters of the model actually built here.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from playground.adapters.lora import LoraLinear, check_lora_settings
from playground.checks import check_whole_number, parse_whole_number
from playground.i18n import t
from playground.shapes import (
    LLAMA_FAMILY,
    LLAMA_TARGETS,
    ModelShape,
    SUPPORTED_MODEL_TYPES,
    block_projections,
    config_of,
    lora_param_count,
    num_layers,
    resolve_targets,
    unsupported_model_type,
)

Placement = Literal["houlsby", "pfeiffer"]
Activation = Literal["relu", "gelu", "silu"]
PLACEMENTS: tuple[str, ...] = ("houlsby", "pfeiffer")
ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}
ADAPTER_INIT_STD = 1e-2  # near-identity init (Houlsby et al. 2019, §2.1)


# --------------------------------------------------------------------------- shapes from a config

def custom_llama_config(d_model: int, d_ff: int, layers: int, heads: int, kv_heads: int | None = None,
                        vocab_size: int = 49152):
    """A Llama-style config from its shape alone, for counting (nothing is built from it here)."""
    from transformers import LlamaConfig

    kv_heads = kv_heads or heads
    for key, value, high in (("d_model", d_model, 131_072), ("d_ff", d_ff, 1 << 20), ("layers", layers, 1024),
                             ("heads", heads, 4096), ("kv_heads", kv_heads, 4096)):
        # beyond the largest published models, so counts stay quick
        check_whole_number(t(f"adapters.{key}"), value, 1, high)
    if d_model % heads:
        raise ValueError(t("adapters.err.heads_divide", d_model=d_model, heads=heads))
    if heads % kv_heads:
        raise ValueError(t("adapters.err.kv_heads_divide", heads=heads, kv_heads=kv_heads))
    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=d_model,
        intermediate_size=d_ff,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        head_dim=d_model // heads,
        tie_word_embeddings=True,
    )


CUSTOM_SHAPE_FIELDS = ("d_model", "d_ff", "layers", "heads", "kv_heads")  # custom_llama_config's arguments, in order


def custom_config_from_form(values: dict):
    """custom_llama_config from a form's typed shape (each field parsed, a message naming it if it is not
    a whole number)."""
    return custom_llama_config(*(parse_whole_number(values[name], t(f"adapters.{name}"))
                                 for name in CUSTOM_SHAPE_FIELDS))


# --------------------------------------------------------------------------- counting

def adapter_positions(config, placement: Placement) -> list[str]:
    """Where the adapters of one block go: after the attention output projection and/or after the MLP."""
    if placement not in PLACEMENTS:
        raise ValueError(t("adapters.err.placement", choices=", ".join(PLACEMENTS), value=repr(placement)))
    attn_out = "attn.c_proj" if config_of(config).model_type == "gpt2" else "self_attn.o_proj"
    return [attn_out, "mlp"] if placement == "houlsby" else ["mlp"]


def adapter_param_count(config, bottleneck: int, placement: Placement) -> int:
    """Trainable bottleneck-adapter parameters: (2·m·d + d + m) per adapter, 2 (Houlsby) or 1 (Pfeiffer) per layer."""
    d = config_of(config).hidden_size
    check_bottleneck(bottleneck, d)
    per_adapter = 2 * bottleneck * d + d + bottleneck
    return per_adapter * len(adapter_positions(config, placement)) * num_layers(config)


def prompt_tuning_param_count(config, num_virtual_tokens: int) -> int:
    """n virtual tokens × d_model."""
    check_virtual_tokens(num_virtual_tokens)
    return num_virtual_tokens * config_of(config).hidden_size


def base_param_count(config) -> int:
    """Parameters of the base model: by arithmetic on the block shapes for the Llama family, else counted on a
    meta-device build of the config (no memory, no weights)."""
    from transformers import AutoModelForCausalLM

    config = config_of(config)
    if getattr(config, "model_type", None) in LLAMA_FAMILY:
        shape = ModelShape.from_config(config)
        return shape.quantized_params + shape.unquantized_params
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


def trainable_param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def check_bottleneck(bottleneck: int, d_model: int) -> None:
    check_whole_number(t("adapters.label.bottleneck"), bottleneck)
    if bottleneck > d_model:
        raise ValueError(t("adapters.err.bottleneck_too_large", bottleneck=bottleneck, d_model=d_model))


MAX_VIRTUAL_TOKENS = 1024


def check_virtual_tokens(num_virtual_tokens: int) -> None:
    check_whole_number(t("adapters.label.prompt_tokens"), num_virtual_tokens, 1, MAX_VIRTUAL_TOKENS)


# --------------------------------------------------------------------------- settings and table

@dataclass(frozen=True)
class MethodSettings:
    """The three methods' settings, as the tab and the benchmark take them."""

    r: int = field(default=8, metadata={"label_key": "adapters.label.rank"})
    alpha: float = field(default=16.0, metadata={"label_key": "adapters.label.alpha"})
    dropout: float = field(default=0.0, metadata={"label_key": "adapters.label.dropout"})
    use_rslora: bool = False
    target_modules: tuple[str, ...] = ("q", "v")  # the LoRA paper's choice (§7.1)
    bottleneck: int = field(default=64, metadata={"label_key": "adapters.label.bottleneck"})
    placement: Placement = "houlsby"
    activation: Activation = "relu"
    prompt_tokens: int = field(default=20, metadata={"label_key": "adapters.label.virtual_tokens"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_modules", tuple(self.target_modules or ()))
        if not self.target_modules:
            raise ValueError(t("adapters.err.no_lora_target", choices=", ".join(LLAMA_TARGETS)))
        if self.placement not in PLACEMENTS:
            raise ValueError(t("adapters.err.placement", choices=", ".join(PLACEMENTS), value=repr(self.placement)))
        if self.activation not in ACTIVATIONS:
            raise ValueError(t("adapters.err.activation", choices=", ".join(ACTIVATIONS), value=repr(self.activation)))
        check_lora_settings(self.r, self.alpha, self.dropout)
        check_virtual_tokens(self.prompt_tokens)

    def check_for(self, config) -> None:
        """Checks the settings against one model's shapes (rank vs each layer, bottleneck vs d_model)."""
        targets = resolve_targets(config, self.target_modules)
        for projection in block_projections(config):
            if projection.name in targets:
                check_lora_settings(self.r, self.alpha, self.dropout, projection.d_in, projection.d_out,
                                    projection.name)
        check_bottleneck(self.bottleneck, config_of(config).hidden_size)


@dataclass
class ParamRow:
    method: str
    module: str
    formula: str
    per_layer: int
    layers: int
    trainable: int
    share_of_base: float  # percent
    # LoRA's rows: the share of the weights it adapts, in percent (a module row: of its one d_out × d_in W,
    # the total: of all the targeted W together), and how many weights those are per layer; None elsewhere
    share_of_weight: float | None = None
    weight_params: int | None = None
    bytes_fp32: int = field(init=False)
    bytes_bf16: int = field(init=False)

    def __post_init__(self) -> None:
        self.bytes_fp32 = 4 * self.trainable
        self.bytes_bf16 = 2 * self.trainable


def parameter_table(config, settings: MethodSettings) -> list[ParamRow]:
    """Per-module and total rows for LoRA, the adapters and prompt tuning, each with its formula filled in."""
    config = config_of(config)
    settings.check_for(config)
    base = base_param_count(config)
    layers = num_layers(config)
    d = config.hidden_size
    r, m = settings.r, settings.bottleneck
    targets = resolve_targets(config, settings.target_modules)
    rows: list[ParamRow] = []

    def row(method, module, formula, per_layer, n_layers=layers, weight_params=None):
        share_of_weight = None if weight_params is None else 100.0 * per_layer / weight_params
        rows.append(ParamRow(method, module, formula, per_layer, n_layers, per_layer * n_layers,
                             100.0 * per_layer * n_layers / base, share_of_weight, weight_params))

    adapted = [p for p in block_projections(config) if p.name in targets]
    for p in adapted:
        row("LoRA", p.name, f"r·(d_in+d_out) = {r}·({p.d_in}+{p.d_out})", r * (p.d_in + p.d_out),
            weight_params=p.d_in * p.d_out)
    lora_per_layer = sum(x.per_layer for x in rows)
    row("LoRA", t("adapters.row.total"), t("adapters.row.lora_total", layers=layers), lora_per_layer,
        weight_params=sum(p.d_in * p.d_out for p in adapted))

    per_adapter = 2 * m * d + d + m
    positions = adapter_positions(config, settings.placement)
    adapter = t("adapters.row.adapter", placement=settings.placement)
    for position in positions:
        row(adapter, t("adapters.row.after", position=position), f"2md+d+m = 2·{m}·{d}+{d}+{m}", per_adapter)
    row(adapter, t("adapters.row.total"),
        t("adapters.row.adapter_total", positions=len(positions), layers=layers, factor=d / m),
        per_adapter * len(positions))

    n = settings.prompt_tokens
    row(t("adapters.row.prompt"), t("adapters.row.virtual_tokens"), f"n·d = {n}·{d}", n * d, 1)
    return rows


def sweep(config, settings: MethodSettings,
          sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256)) -> dict[str, list[tuple[int, int]]]:
    """Trainable parameters against rank (LoRA), bottleneck size (adapters) and virtual tokens (prompt tuning)."""
    config = config_of(config)
    d = config.hidden_size
    targets = resolve_targets(config, settings.target_modules)
    max_rank = min(min(p.d_in, p.d_out) for p in block_projections(config) if p.name in targets)
    label = "+".join(target.removesuffix("_proj") for target in targets)
    return {
        t("adapters.sweep.lora", targets=label):
            [(s, lora_param_count(config, s, targets)) for s in sizes if s <= max_rank],
        t("adapters.sweep.houlsby"): [(s, adapter_param_count(config, s, "houlsby")) for s in sizes if s <= d],
        t("adapters.sweep.pfeiffer"): [(s, adapter_param_count(config, s, "pfeiffer")) for s in sizes if s <= d],
        t("adapters.sweep.prompt"): [(s, prompt_tuning_param_count(config, s)) for s in sizes],
    }


# --------------------------------------------------------------------------- modules and surgery

class BottleneckAdapter(nn.Module):
    """down d→m, σ, up m→d, plus the internal skip: x + up(σ(down(x)))."""

    def __init__(self, d_model: int, bottleneck: int, activation: Activation = "relu") -> None:
        super().__init__()
        check_bottleneck(bottleneck, d_model)
        if activation not in ACTIVATIONS:
            raise ValueError(t("adapters.err.activation", choices=", ".join(ACTIVATIONS), value=repr(activation)))
        self.down = nn.Linear(d_model, bottleneck)  # weight (m, d)
        self.act = ACTIVATIONS[activation]()
        self.up = nn.Linear(bottleneck, d_model)  # weight (d, m)
        self.reset_near_identity()

    def reset_near_identity(self, std: float = ADAPTER_INIT_STD) -> None:
        for linear in (self.down, self.up):
            nn.init.normal_(linear.weight, std=std)
            nn.init.zeros_(linear.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.up(self.act(self.down(x)))  # (…, d)


class SerialAdapter(nn.Module):
    """`adapter(sublayer(x))`: the adapter sits on the sublayer's output, before the block's residual add."""

    def __init__(self, sublayer: nn.Module, adapter: BottleneckAdapter) -> None:
        super().__init__()
        self.sublayer = sublayer
        self.adapter = adapter

    def forward(self, *args, **kwargs) -> torch.Tensor:
        return self.adapter(self.sublayer(*args, **kwargs))


def transformer_blocks(model: nn.Module) -> list[nn.Module]:
    """The decoder blocks of a Llama-style or GPT-2 model, in order."""
    config = config_of(model)
    if config.model_type not in SUPPORTED_MODEL_TYPES:
        raise unsupported_model_type(config.model_type)
    return [m for m in model.modules() if hasattr(m, "mlp") and (hasattr(m, "self_attn") or hasattr(m, "attn"))]


def add_adapters(model: nn.Module, bottleneck: int, placement: Placement = "houlsby",
                 activation: Activation = "relu") -> list[BottleneckAdapter]:
    """Freezes `model` and wraps its sublayers with fresh adapters, in place (pass a copy you own)."""
    config = config_of(model)
    positions = adapter_positions(config, placement)
    check_bottleneck(bottleneck, config.hidden_size)
    model.requires_grad_(False)
    reference = next(model.parameters())
    added = []
    for block in transformer_blocks(model):
        for position in positions:
            parent_path, _, attr = position.rpartition(".")
            parent = block.get_submodule(parent_path) if parent_path else block
            adapter = BottleneckAdapter(config.hidden_size, bottleneck, activation).to(reference.device, reference.dtype)
            setattr(parent, attr, SerialAdapter(getattr(parent, attr), adapter))
            added.append(adapter)
    return added


def _as_linear(module: nn.Module) -> nn.Linear:
    """GPT-2's Conv1D (weight d_in × d_out) as the equivalent nn.Linear (weight d_out × d_in)."""
    if isinstance(module, nn.Linear):
        return module
    if type(module).__name__ == "Conv1D":
        d_in, d_out = module.weight.shape
        linear = nn.Linear(d_in, d_out, device=module.weight.device, dtype=module.weight.dtype)
        with torch.no_grad():
            linear.weight.copy_(module.weight.T)
            linear.bias.copy_(module.bias)
        return linear
    raise ValueError(f"LoRA here wraps linear layers, got {type(module).__name__}")


def add_lora(model: nn.Module, r: int, alpha: float, target_modules, dropout: float = 0.0,
             use_rslora: bool = False) -> list[LoraLinear]:
    """Freezes `model` and swaps every targeted projection for a LoraLinear, in place (pass a copy you own)."""
    targets = resolve_targets(model, target_modules)
    model.requires_grad_(False)
    added = []
    for block in transformer_blocks(model):
        for name, module in list(block.named_modules()):
            parent_path, _, attr = name.rpartition(".")
            if attr in targets and not isinstance(module, LoraLinear):
                layer = LoraLinear(_as_linear(module), r, alpha, dropout, use_rslora)
                setattr(block.get_submodule(parent_path) if parent_path else block, attr, layer)
                added.append(layer)
    return added


def lora_layers(model: nn.Module) -> list[LoraLinear]:
    return [m for m in model.modules() if isinstance(m, LoraLinear)]


class PromptTuning(nn.Module):
    """Prepends n trainable embeddings to the input embeddings of a frozen causal LM (arXiv 2104.08691 §2)."""

    def __init__(self, model: nn.Module, num_virtual_tokens: int, init_token_ids: torch.Tensor | None = None) -> None:
        super().__init__()
        check_virtual_tokens(num_virtual_tokens)
        self.model = model.requires_grad_(False)
        embeddings = model.get_input_embeddings().weight  # (vocab, d)
        if init_token_ids is None:  # §3: initialise from sampled vocabulary embeddings
            init_token_ids = torch.randint(0, embeddings.shape[0], (num_virtual_tokens,))
        self.prompt = nn.Parameter(embeddings[init_token_ids.to(embeddings.device)].detach().clone())  # (n, d)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs):
        batch = input_ids.shape[0]
        embeds = self.model.get_input_embeddings()(input_ids)  # (B, T, d)
        prompt = self.prompt.unsqueeze(0).expand(batch, -1, -1).to(embeds.dtype)  # (B, n, d)
        if attention_mask is not None:
            prefix = attention_mask.new_ones(batch, self.prompt.shape[0])
            attention_mask = torch.cat([prefix, attention_mask], dim=1)  # (B, n+T)
        return self.model(inputs_embeds=torch.cat([prompt, embeds], dim=1), attention_mask=attention_mask, **kwargs)


# --------------------------------------------------------------------------- variants and checks

VARIANTS = ("base", "adapters", "lora_unmerged", "lora_merged")


def model_on(model: nn.Module, device: str) -> nn.Module:
    """`model` itself when it is already on `device`, else a copy moved there (a shared model stays put)."""
    if next(model.parameters()).device == torch.device(device):
        return model
    return copy.deepcopy(model).to(device)


@dataclass
class Check:
    name: str
    max_abs_diff: float  # of the logits
    mean_abs_diff: float
    top1_agreement: float  # share of positions whose most likely next token is unchanged
    expected: str
    passed: bool


def _logits(model: nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(input_ids=input_ids, use_cache=False).logits.float()  # (B, T, vocab)


def compare_logits(name: str, output: torch.Tensor, reference: torch.Tensor, expected: str, rule) -> Check:
    """A check of `output` against `reference`; `rule(max_diff, mean_diff, agreement)` decides if it passes."""
    diff = (output - reference).abs()
    max_diff, mean_diff = diff.max().item(), diff.mean().item()
    agreement = (output.argmax(-1) == reference.argmax(-1)).float().mean().item()
    return Check(name, max_diff, mean_diff, agreement, expected, bool(rule(max_diff, mean_diff, agreement)))


def build_variants(base: nn.Module, settings: MethodSettings, input_ids: torch.Tensor,
                   seed: int = 0) -> tuple[dict[str, nn.Module], list[Check]]:
    """The base model (shared, read-only) and three copies with adapters / LoRA / merged LoRA, plus the checks.

    The LoRA copies get a random B after the B = 0 check, standing in for a trained adapter, so that
    merging changes the weights and the merged-vs-unmerged check means something.
    """
    settings.check_for(base.config)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        reference = _logits(base, input_ids)
        # float32 rounding grows with the logits' size and the depth: a few eps per layer
        rounding = 8 * torch.finfo(torch.float32).eps * reference.abs().max().item() * num_layers(base)
        typical = reference.abs().mean().item()

        with_adapters = copy.deepcopy(base)
        add_adapters(with_adapters, settings.bottleneck, settings.placement, settings.activation)
        with_adapters.eval()

        lora_unmerged = copy.deepcopy(base)
        layers = add_lora(lora_unmerged, settings.r, settings.alpha, settings.target_modules,
                          settings.dropout, settings.use_rslora)
        lora_unmerged.eval()
        checks = [compare_logits(t("adapters.check.fresh_lora"), _logits(lora_unmerged, input_ids), reference,
                                 t("adapters.check.exactly_zero"), lambda top, mean, agree: top == 0.0)]
        for layer in layers:
            nn.init.normal_(layer.lora_B.weight, std=0.02)
        lora_merged = copy.deepcopy(lora_unmerged)
        for layer in lora_layers(lora_merged):
            layer.merge()
        unmerged_logits = _logits(lora_unmerged, input_ids)
        moved = (unmerged_logits - reference).abs().max().item()
        checks.append(compare_logits(
            t("adapters.check.merged"), _logits(lora_merged, input_ids), unmerged_logits,
            t("adapters.check.rounding", rounding=rounding, moved=moved),
            lambda top, mean, agree: top <= rounding))
        checks.append(compare_logits(
            t("adapters.check.fresh_adapters", std=ADAPTER_INIT_STD),
            _logits(with_adapters, input_ids), reference,
            t("adapters.check.near_identity", typical=typical),
            lambda top, mean, agree: mean < 0.1 * typical and agree >= 0.8))
    finally:
        torch.random.set_rng_state(generator_state)
    variants = {"base": base, "adapters": with_adapters, "lora_unmerged": lora_unmerged, "lora_merged": lora_merged}
    return variants, checks


def all_target_subsets(targets=LLAMA_TARGETS) -> list[tuple[str, ...]]:
    """Every non-empty subset of the target modules (127 for Llama's seven)."""
    return [combo for k in range(1, len(targets) + 1) for combo in itertools.combinations(targets, k)]
