"""Every piece of UI text, keyed by element id, so a translation is a data change.

Each tab owns one section (a dict below); `t(key)` looks a key up in all of them.
"""

from __future__ import annotations

APP = {
    "app.title": "PEFT Playground",
    "app.header": (
        "# PEFT Playground\n"
        "See how **quantization** and **parameter-efficient fine-tuning** work, on a real model, in your browser."
    ),
    "app.model": "Model",
    "app.model_info": "Bundled SmolLM2-135M works offline; tiny/llama is a 2-layer random model; a Hub id loads when online.",
    "tab.quant": "Quantization Lab",
    "tab.adapters": "Adapter vs LoRA",
    "tab.studio": "QLoRA Studio",
}

QUANT: dict[str, str] = {}

ADAPTERS: dict[str, str] = {}

STUDIO: dict[str, str] = {}

TEXT: dict[str, str] = {**APP, **QUANT, **ADAPTERS, **STUDIO}


def t(key: str) -> str:
    """The UI text for `key`; a missing key is a bug, so it fails loudly."""
    return TEXT[key]
