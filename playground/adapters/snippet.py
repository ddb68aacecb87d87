"""The tab's current settings as the few lines of peft (and plain torch) that build the same thing.

    LoRA           peft.LoraConfig(r, lora_alpha, lora_dropout, target_modules, use_rslora) + get_peft_model
    prompt tuning  peft.PromptTuningConfig(num_virtual_tokens) + get_peft_model
    adapters       plain torch: peft has no serial bottleneck adapter (Houlsby / Pfeiffer; the AdapterHub
                   `adapters` library has them), so the snippet writes the module out, as the tab builds it

`snippet(values)` is the whole program: a `load()` for the base model, then `methods_code(values)`, which
builds `lora_model`, `prompt_model` and `adapter_model` from fresh loads and prints what each trains. A
custom shape is built on the meta device (shapes only: counting a 7B shape allocates nothing). The tests
run both parts and check every count against the tab's (tests/adapters/test_snippet.py). Comments are
in the current language; the code itself is plain Python.
"""

from __future__ import annotations

from playground import models
from playground.adapters.methods import MethodSettings, adapter_positions, custom_config_from_form
from playground.checks import config_from_form
from playground.i18n import t
from playground.shapes import LLAMA_FAMILY, config_of, resolve_targets

# Where a model's decoder blocks are, by model type (the adapters are put into them by hand).
BLOCKS = {**{model_type: "model.model.layers" for model_type in LLAMA_FAMILY}, "gpt2": "model.transformer.h"}


def _llama_config_code(config) -> str:
    fields = dict(hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
                  num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
                  num_key_value_heads=config.num_key_value_heads,
                  head_dim=getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads,
                  vocab_size=config.vocab_size, tie_word_embeddings=bool(config.tie_word_embeddings))
    items = [f"{key}={value!r}" for key, value in fields.items()]
    lines = [", ".join(items[i:i + 3]) for i in range(0, len(items), 3)]
    return "config = transformers.LlamaConfig(\n    " + ",\n    ".join(lines) + ")"


def loading_code(values: dict, config=None) -> str:
    """`import …` and a `load()` that returns a fresh base model for the form's model or custom shape."""
    lines = ["import peft, torch, transformers", ""]
    if values["source"] == "custom":
        config = config or custom_config_from_form(values)
        lines += [_llama_config_code(config), "",
                  f"def load():  # {t('adapters.code.meta')}",
                  '    with torch.device("meta"):',
                  "        return transformers.AutoModelForCausalLM.from_config(config)"]
        return "\n".join(lines)
    model_id = (values.get("model_id") or "").strip() or models.default_model_id()
    if model_id == models.TINY_ID:
        lines += [f"# {t('adapters.code.tiny')}", _llama_config_code(config or models.tiny_config()), "",
                  f"def load():  # {t('adapters.code.fresh')}",
                  "    return transformers.AutoModelForCausalLM.from_config(config)"]
        return "\n".join(lines)
    hub_id = models.HUB_ID if model_id == models.BUNDLED_ID else model_id
    note = t("adapters.code.hub_original") if model_id == models.BUNDLED_ID else t("adapters.code.fresh")
    lines += [f"def load():  # {note}",
              f"    return transformers.AutoModelForCausalLM.from_pretrained({hub_id!r})"]
    return "\n".join(lines)


def methods_code(values: dict, config) -> str:
    """Builds `lora_model`, `prompt_model` and `adapter_model` from `load()` with the form's settings."""
    settings = config_from_form(MethodSettings, values)
    config = config_of(config)
    settings.check_for(config)
    targets = list(resolve_targets(config, settings.target_modules))
    d, m = config.hidden_size, settings.bottleneck
    blocks = BLOCKS.get(config.model_type, "model.model.layers")
    positions = adapter_positions(config, settings.placement)
    wraps = [f"    decoder_layer.{position} = AfterSublayer(decoder_layer.{position}, {d}, {m})"
             for position in positions]
    activation = {"relu": "torch.relu", "gelu": "torch.nn.functional.gelu", "silu": "torch.nn.functional.silu"}[
        settings.activation]
    return "\n".join([
        f"def trainable(model):  # {t('adapters.code.trainable')}",
        "    return sum(x.numel() for x in model.parameters() if x.requires_grad)",
        "",
        f"# LoRA: {t('adapters.code.lora')}",
        "lora_model = peft.get_peft_model(load(), peft.LoraConfig(",
        f"    r={settings.r}, lora_alpha={settings.alpha:g}, lora_dropout={settings.dropout:g},",
        f"    target_modules={targets!r}, use_rslora={settings.use_rslora}, task_type=\"CAUSAL_LM\"))",
        "print(trainable(lora_model))",
        "",
        f"# {t('adapters.code.prompt')}",
        "prompt_model = peft.get_peft_model(load(), peft.PromptTuningConfig(",
        f"    num_virtual_tokens={settings.prompt_tokens}, task_type=\"CAUSAL_LM\"))",
        "print(trainable(prompt_model))",
        "",
        f"# {t('adapters.code.adapter', placement=settings.placement)}",
        f"class Adapter(torch.nn.Module):  # 2md + d + m = 2·{m}·{d} + {d} + {m}",
        "    def __init__(self, d, m):",
        "        super().__init__()",
        "        self.down, self.up = torch.nn.Linear(d, m), torch.nn.Linear(m, d)",
        "",
        "    def forward(self, x):",
        f"        return x + self.up({activation}(self.down(x)))",
        "",
        "",
        f"class AfterSublayer(torch.nn.Module):  # {t('adapters.code.serial')}",
        "    def __init__(self, sublayer, d, m):",
        "        super().__init__()",
        "        self.sublayer, self.adapter = sublayer, Adapter(d, m)",
        "",
        "    def forward(self, x):",
        "        return self.adapter(self.sublayer(x))",
        "",
        "",
        "adapter_model = load().requires_grad_(False)",
        f"for decoder_layer in adapter_model{blocks.removeprefix('model')}:",
        *wraps,
        "print(trainable(adapter_model))",
    ])


def snippet(values: dict, config=None) -> str:
    """The whole program for the form's `values` (`config`: the model's, when the caller has it already)."""
    if config is None:
        if values["source"] == "custom":
            config = custom_config_from_form(values)
        else:
            config = models.model_config((values.get("model_id") or "").strip() or models.default_model_id())
    return loading_code(values, config) + "\n\n\n" + methods_code(values, config) + "\n"
