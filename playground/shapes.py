"""The shapes of a decoder block, read from a transformers config: the one place they are written down.

    Llama family (llama, mistral, qwen2, qwen3, smollm3)         GPT-2
      q_proj  d → heads·head_dim       gate_proj d → d_ff          c_attn  d → 3d
      k_proj  d → kv_heads·head_dim    up_proj   d → d_ff          c_proj  d → d      (attention)
      v_proj  d → kv_heads·head_dim    down_proj d_ff → d          c_fc    d → d_ff
      o_proj  heads·head_dim → d                                   c_proj  d_ff → d   (MLP)

Every count and estimate in the playground starts here: LoRA parameters (r·(d_in + d_out) per adapted
projection, LoRA §4.1), the adapter tab's tables and drawings, the fine-tune's memory estimate and its
fused training operations. Supporting another architecture means teaching this module its projections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from playground.i18n import t

# Model types whose blocks have the seven projections below and whose LM head is a plain Linear on the
# body's last hidden state (no logit scaling or soft-capping).
LLAMA_FAMILY = frozenset({"llama", "mistral", "qwen2", "qwen3", "smollm3"})
SUPPORTED_MODEL_TYPES = (*sorted(LLAMA_FAMILY), "gpt2")
LLAMA_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
# The same seven by the short names the UI shows ("q", …, "down").
LLAMA_TARGETS = tuple(name.removesuffix("_proj") for name in LLAMA_PROJECTIONS)


@dataclass(frozen=True)
class Projection:
    """One projection of a transformer block: its module name and d_in → d_out."""

    name: str
    d_in: int
    d_out: int


@dataclass(frozen=True)
class ModelShape:
    """What the estimates need to know of a Llama-family model, without loading it."""

    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    tied: bool
    model_type: str = "llama"

    @classmethod
    def from_config(cls, config) -> "ModelShape":
        config = config_of(config)
        model_type = getattr(config, "model_type", None)
        if model_type not in LLAMA_FAMILY:
            raise unsupported_model_type(model_type)
        heads = config.num_attention_heads
        return cls(
            hidden=config.hidden_size,
            intermediate=config.intermediate_size,
            layers=config.num_hidden_layers,
            heads=heads,
            kv_heads=getattr(config, "num_key_value_heads", None) or heads,
            head_dim=getattr(config, "head_dim", None) or config.hidden_size // heads,
            vocab=config.vocab_size,
            tied=bool(getattr(config, "tie_word_embeddings", False)),
            model_type=model_type,
        )

    @property
    def plain_head(self) -> bool:
        """The LM head is a plain Linear on the last hidden state (the fused answer-token loss applies)."""
        return self.model_type in LLAMA_FAMILY

    def projections(self) -> list[Projection]:
        """The seven projections of one block, in forward order."""
        h, ff = self.hidden, self.intermediate
        q, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        return [
            Projection("q_proj", h, q),
            Projection("k_proj", h, kv),
            Projection("v_proj", h, kv),
            Projection("o_proj", q, h),
            Projection("gate_proj", h, ff),
            Projection("up_proj", h, ff),
            Projection("down_proj", ff, h),
        ]

    def projection_shapes(self) -> dict[str, tuple[int, int]]:
        """(in, out) features of each Linear in one block, by its module name."""
        return {p.name: (p.d_in, p.d_out) for p in self.projections()}

    @property
    def quantized_params(self) -> int:
        """Weights of every block's projections: what a 4-bit load stores in 4 bits."""
        return self.layers * sum(p.d_in * p.d_out for p in self.projections())

    @property
    def unquantized_params(self) -> int:
        """Embeddings (and an untied head) and the norms: left in 16/32 bits by a 4-bit load."""
        embeddings = self.vocab * self.hidden * (1 if self.tied else 2)
        norms = self.layers * 2 * self.hidden + self.hidden
        return embeddings + norms


def unsupported_model_type(model_type) -> ValueError:
    return ValueError(t("adapters.err.unsupported_model", model_type=repr(model_type),
                        supported=", ".join(SUPPORTED_MODEL_TYPES)))


def config_of(source):
    """The transformers config of a model, or the config itself."""
    return getattr(source, "config", source)


def num_layers(source) -> int:
    if isinstance(source, ModelShape):
        return source.layers
    return int(config_of(source).num_hidden_layers)


def block_projections(source) -> list[Projection]:
    """The projections in one block, in forward order, for a config, a model or a ModelShape
    (GPT-2 has two `c_proj`, of different shapes)."""
    if isinstance(source, ModelShape):
        return source.projections()
    config = config_of(source)
    if getattr(config, "model_type", None) == "gpt2":
        d = config.hidden_size
        inner = config.n_inner or 4 * d
        return [Projection("c_attn", d, 3 * d), Projection("c_proj", d, d), Projection("c_fc", d, inner),
                Projection("c_proj", inner, d)]
    return ModelShape.from_config(config).projections()


def resolve_targets(source, target_modules: str | Iterable[str]) -> tuple[str, ...]:
    """Module names for `target_modules`, given as short names ("q", "down") or module names ("q_proj")."""
    names = list(dict.fromkeys(p.name for p in block_projections(source)))
    targets = [target_modules] if isinstance(target_modules, str) else list(target_modules or [])
    if not targets:
        raise ValueError(t("adapters.err.no_target", choices=", ".join(names)))
    resolved = []
    for target in targets:
        name = target if target in names else f"{target}_proj"
        if name not in names:
            raise ValueError(t("adapters.err.unknown_target", target=repr(target), choices=", ".join(names)))
        resolved.append(name)
    return tuple(dict.fromkeys(resolved))


def lora_param_count(source, r: int, target_modules: str | Iterable[str]) -> int:
    """Trainable LoRA parameters: r·(d_in + d_out) for every targeted projection in every layer (LoRA §4.1).

    `source` is a config, a model or a ModelShape; targets are short or module names."""
    targets = resolve_targets(source, target_modules)
    per_layer = sum(r * (p.d_in + p.d_out) for p in block_projections(source) if p.name in targets)
    return per_layer * num_layers(source)
