"""How the Studio names the models it answers with, in the current language (one source for the compare view's
columns, the chat's targets and the arena's pairs)."""

from __future__ import annotations

from playground import models
from playground.i18n import t


def quant_label(quant_type: str, double_quant: bool) -> str:
    return quant_type.upper() + (" + DQ" if double_quant else "")


def model_kind(model_id: str) -> str:
    """Which text names the model's own weights: the bundled copy (float32 from a Q4_1 GGUF), the tiny random
    model, the default model's Hub original (bf16), or another Hub model."""
    return ("bundled" if model_id == models.BUNDLED_ID else "tiny" if model_id == models.TINY_ID
            else "smollm" if model_id == models.HUB_ID else "hub")


def full_label(model_id: str) -> str:
    return t(f"studio.col.full.{model_kind(model_id)}", format=models.BUNDLED_FORMAT)


def base_label(quant_type: str = "nf4", double_quant: bool = True) -> str:
    return t("studio.col.base.quant", quant=quant_label(quant_type, double_quant))


def lora_label(quant_type: str = "nf4", double_quant: bool = True) -> str:
    return t("studio.col.lora.quant", quant=quant_label(quant_type, double_quant))


def model_columns(model_id: str | None, quant_type: str = "nf4", double_quant: bool = True) -> list[str]:
    """The compare view's three model columns, each named by what it is: the model's own weights, its 4-bit
    base, and the base + LoRA."""
    model_id = model_id or models.default_model_id()
    return [full_label(model_id), base_label(quant_type, double_quant), lora_label(quant_type, double_quant)]
