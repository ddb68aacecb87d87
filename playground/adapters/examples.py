"""The study notes' examples, one click each: settings for the Adapter vs LoRA tab's form and the figures
the tab must then show (no Gradio here; tests/adapters/test_examples.py checks every figure with the real
counting code, and against peft where peft has the method).

    bottleneck_6_2_6   the notes' adapter: d = 6 → m = 2 → 6, one adapter: 2md + d + m = 24 + 6 + 2 = 32
    lora_4096_r16      the notes' LoRA: d = 4096, r = 16: 16·(4096 + 4096) = 131,072 = 0.78% of one
                       4096 × 4096 W (16,777,216), on q and v of a 7B-class shape (32 layers)
    lora_768_r4        the notes' code: LoRA(768, 768, rank 4) on a BERT-base-sized shape: 6,144 = 1.04% of W
    houlsby_smollm2    Houlsby placement (two adapters per layer, after attention and after the MLP) with
                       AdapterHub's reduction factor 16 (m = 576/16 = 36) on SmolLM2: 2 × 42,084 per layer
    prompt_smollm2     prompt tuning: 20 virtual tokens × d = 576 = 11,520 trainable embeddings

Each example sets every widget of the form (its `DEFAULTS` are the tab's initial settings), so applying one
always gives the same figures, whatever was set before.
"""

from __future__ import annotations

from dataclasses import dataclass

# The tab's settings widgets and their initial values (the form's names). "model_id" None: the default model.
DEFAULTS: dict = dict(
    source="loaded", model_id=None, d_model=576, d_ff=1536, layers=30, heads=9, kv_heads=3,
    r=8, alpha=16, dropout=0.05, use_rslora=False, target_modules=["q", "v"],
    bottleneck=36, placement="houlsby", prompt_tokens=20, layer=0,
)
SMOLLM2_SHAPE = dict(d_model=576, d_ff=1536, layers=30, heads=9, kv_heads=3)


@dataclass(frozen=True)
class Example:
    """One of the notes' examples: the settings it applies and the figures it must show.

    `figures` names what the parameter table then holds: "lora_module" (the first LoRA row's per-layer
    count, r·(d_in + d_out)), "weight_params" (d_in·d_out of that row's W), "lora_share_of_w" (the row's
    % of that one W), "lora_module_share_of_base" (the row's % of the whole model), "adapter_module" (the
    first adapter row's 2md + d + m), and the trainable totals "lora_total", "adapter_total", "prompt_total"."""

    name: str
    settings: dict
    figures: dict

    @property
    def title_key(self) -> str:
        return f"adapters.example.{self.name}"

    @property
    def note_key(self) -> str:
        """What to look at once it is applied (a text key)."""
        return f"adapters.example.{self.name}.note"

    def values(self, default_model_id: str) -> dict:
        """Every form widget's value (the model id filled in)."""
        values = {**DEFAULTS, **self.settings}
        values["model_id"] = values["model_id"] or default_model_id
        return values


def _custom(**shape) -> dict:
    return dict(source="custom", **shape)


EXAMPLES: dict[str, Example] = {example.name: example for example in (
    Example("bottleneck_6_2_6",
            dict(_custom(d_model=6, d_ff=12, layers=1, heads=2, kv_heads=2), r=2, alpha=4, dropout=0.0,
                 target_modules=["q", "v"], bottleneck=2, placement="pfeiffer", prompt_tokens=1),
            dict(adapter_module=2 * 2 * 6 + 6 + 2, adapter_total=32, lora_module=2 * (6 + 6), weight_params=36,
                 lora_share_of_w=100 * 24 / 36, prompt_total=6)),
    Example("lora_4096_r16",
            dict(_custom(d_model=4096, d_ff=11008, layers=32, heads=32, kv_heads=32), r=16, alpha=32, dropout=0.05,
                 target_modules=["q", "v"], bottleneck=256, placement="houlsby", prompt_tokens=20),
            dict(lora_module=131_072, weight_params=4096 * 4096, lora_share_of_w=100 * 131_072 / 16_777_216,
                 lora_module_share_of_base=0.0628,
                 lora_total=131_072 * 2 * 32, adapter_module=2 * 256 * 4096 + 4096 + 256, prompt_total=20 * 4096)),
    Example("lora_768_r4",
            dict(_custom(d_model=768, d_ff=3072, layers=12, heads=12, kv_heads=12), r=4, alpha=8, dropout=0.0,
                 target_modules=["q", "v"], bottleneck=48, placement="houlsby", prompt_tokens=20),
            dict(lora_module=4 * (768 + 768), weight_params=768 * 768, lora_share_of_w=100 * 6144 / 589_824,
                 lora_total=6144 * 2 * 12, adapter_module=2 * 48 * 768 + 768 + 48)),
    Example("houlsby_smollm2",
            dict(source="loaded", r=8, alpha=16, target_modules=["q", "v"], bottleneck=36, placement="houlsby"),
            dict(adapter_module=2 * 36 * 576 + 576 + 36, adapter_total=2 * 42_084 * 30, lora_module=8 * (576 + 576),
                 weight_params=576 * 576, lora_total=57_600 * 8)),
    Example("prompt_smollm2",
            dict(source="loaded", prompt_tokens=20),
            dict(prompt_total=20 * 576)),
)}
