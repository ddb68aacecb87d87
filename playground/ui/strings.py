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

QUANT: dict[str, str] = {
    "quant.intro": (
        "Quantization stores each value as a small integer **code** plus a few constants per **block**. "
        "Pick values, pick schemes, and see the levels each scheme can represent, where it rounds, what error "
        "that leaves, and how many bits it costs. NF4 and FP4 match bitsandbytes bit for bit."
    ),
    "quant.inputs": "### Values",
    "quant.source": "Source",
    "quant.source.synthetic": "Synthetic distribution",
    "quant.source.weights": "A weight matrix of the model",
    "quant.source.typed": "Numbers I type",
    "quant.distribution": "Distribution",
    "quant.size": "Number of values",
    "quant.size_info": "16 to 4,194,304",
    "quant.seed": "Seed",
    "quant.outlier_fraction": "Outlier fraction",
    "quant.outlier_magnitude": "Outlier magnitude (±)",
    "quant.layer": "Layer",
    "quant.layer_info": "Every linear layer of the transformer blocks; listed once the model is loaded.",
    "quant.numbers": "Numbers",
    "quant.numbers_info": "Separated by commas, spaces or new lines. Up to 64 get a step-by-step table.",
    "quant.numbers_default": "0.5, -1.2, 3.1, 0, 2.7, -0.4, 1.9, -2.2",
    "quant.schemes_heading": "### Schemes",
    "quant.schemes": "Schemes (shown side by side)",
    "quant.scheme.absmax": "absmax (symmetric)",
    "quant.scheme.zeropoint": "zero-point (asymmetric)",
    "quant.scheme.nf4": "NF4",
    "quant.scheme.fp4": "FP4",
    "quant.bits": "Bits for absmax and zero-point",
    "quant.granularity": "Granularity",
    "quant.granularity.tensor": "Per tensor",
    "quant.granularity.row": "Per row",
    "quant.granularity.block": "Blockwise",
    "quant.granularity_info": "Per row uses the last dimension (a 1-D input is one row).",
    "quant.blocksize": "Block size",
    "quant.blocksize_info": "32 … 4096, as bitsandbytes allows",
    "quant.double_quant": "Double quantization of the block constants (NF4, FP4)",
    "quant.block": "Block to show (-1: whole tensor)",
    "quant.block_info": "Histogram, staircase and errors of one block; counted from 0.",
    "quant.run": "Run",
    "quant.metrics": "Metrics per scheme",
    "quant.steps": "Step by step (typed numbers)",
    "quant.summary_empty": "Press **Run** to quantize.",
    "quant.derivation": "Where NF4's 16 levels come from",
    "quant.derivation_text": (
        "QLoRA §3: weights are roughly normal, so NF4 puts its levels at quantiles of N(0, 1) — equal "
        "probability between neighbours — rescaled so the outermost are ±1, with an exact 0 "
        "(8 positive and 7 negative quantiles). Hover a point for its probability and level."
    ),
    "quant.model_heading": "### The whole model",
    "quant.model_text": (
        "Every linear layer of the transformer blocks quantized under each chosen scheme (same bits, "
        "granularity and block size as above), and the memory the model's weights take in each format."
    ),
    "quant.sample_rows": "Quick estimate: 128 random rows per layer",
    "quant.run_model": "Quantize every linear layer",
    "quant.memory": "Weight memory of the model",
    "quant.layer_table": "Mean error per scheme",
}

ADAPTERS: dict[str, str] = {
    "adapters.intro": (
        "Adapters and LoRA both train a few new parameters beside a frozen model, but differently: an adapter "
        "runs **after** a sublayer (serial, with a nonlinearity, weights and biases), LoRA runs **beside** a "
        "linear layer (parallel, linear, weights only) and can be merged into it. Choose settings to see both "
        "paths with this model's real shapes, count what each trains, then **measure** what each costs at inference."
    ),
    "adapters.source": "Base model",
    "adapters.source_loaded": "Model from the list",
    "adapters.source_custom": "Custom shape (counts only)",
    "adapters.d_model": "d_model",
    "adapters.d_ff": "d_ff",
    "adapters.layers": "layers",
    "adapters.heads": "heads",
    "adapters.kv_heads": "KV heads",
    "adapters.lora_heading": "### LoRA",
    "adapters.rank": "Rank r",
    "adapters.alpha": "Alpha α",
    "adapters.dropout": "Dropout (on the LoRA branch input)",
    "adapters.rslora": "rsLoRA scaling (α/√r)",
    "adapters.targets": "Target modules",
    "adapters.adapter_heading": "### Bottleneck adapter",
    "adapters.bottleneck": "Bottleneck size m",
    "adapters.bottleneck_info": "AdapterHub's default reduction factor 16 is m = d/16 (36 for SmolLM2's 576).",
    "adapters.placement": "Placement",
    "adapters.placement_houlsby": "Houlsby: after attention and after MLP",
    "adapters.placement_pfeiffer": "Pfeiffer: after MLP only",
    "adapters.prompt_heading": "### Prompt tuning",
    "adapters.prompt_tokens": "Virtual tokens n",
    "adapters.layer": "Layer to draw",
    "adapters.paths_heading": "## Forward paths",
    "adapters.paths_label": "Forward paths",
    "adapters.params_label": "Trainable parameters",
    "adapters.sweep_label": "Parameter sweep",
    "adapters.status_label": "Status",
    "adapters.latency_plot_label": "Latency chart",
    "adapters.params_heading": "## Trainable parameters",
    "adapters.sweep_heading": "## Parameters against rank and bottleneck size",
    "adapters.latency_heading": (
        "## Measured latency\n"
        "Four variants of the selected model on this server's device: the base, base + adapters, base + LoRA "
        "unmerged and base + LoRA merged, at batch 1 and a larger batch, two sequence lengths. Each is warmed "
        "up, then timed in turns (median and interquartile range). The numerical checks run on the same copies first."
    ),
    "adapters.budget": "Time budget (s)",
    "adapters.measure": "Check numbers & measure latency",
    "adapters.stop": "Stop",
    "adapters.status_idle": "Not measured yet in this session.",
    "adapters.checks": "Numerical checks (logits on a sample sentence)",
    "adapters.latency_table": "Latency (ms)",
    "adapters.paper": (
        "**LoRA paper, Table 1** (GPT-2 medium, forward ms, Quadro RTX8000; batch / seq / adapter params):\n\n"
        "| | 32 / 512 / 0.5M | 16 / 256 / 11M | 1 / 128 / 11M |\n|---|---|---|---|\n"
        "| Fine-tune / LoRA | 1449.4 | 338.0 | 19.8 |\n"
        "| Adapter (Lin) | 1482.0 (+2.2%) | 354.8 (+5.0%) | 23.9 (+20.7%) |\n"
        "| Adapter (Houlsby) | 1492.2 (+3.0%) | 366.3 (+8.4%) | 25.8 (+30.3%) |"
    ),
    "adapters.custom_no_latency": (
        "Latency needs real weights: choose 'Model from the list' (a custom shape only has counts)."
    ),
    "adapters.stopped": "Stopped.",
    # The latency run's status line starts with its phase (the page marks it with class phase-<name>).
    "adapters.phase_idle": "Ready",
    "adapters.phase_loading": "Step 1 of 3: loading the model",
    "adapters.phase_building": "Step 2 of 3: building the copies and checking them",
    "adapters.phase_measuring": "Step 3 of 3: measuring latency",
    "adapters.phase_done": "Finished",
    "adapters.phase_stopped": "Stopped.",
    "adapters.phase_failed": "Failed",
    "adapters.of_load": "of the model load",
    "adapters.of_passes": "of the forward passes",
    "adapters.elapsed": "{elapsed:.0f} s since the click",
    "adapters.budget_note": "budget {budget:.0f} s for the timing",
    "adapters.loading": "Loading {model_id}",
    "adapters.building": "Copying the model into base + adapters, base + LoRA and base + LoRA merged, then comparing their logits",
    "adapters.checks_done": "Checks done (table below); warming up",
    "adapters.stopped_detail": "The run was cancelled; the tables keep what finished before.",
    "adapters.failed_detail": "See the message at the corner of the page.",
    "adapters.sample_text": "Adapters run in series after a sublayer; LoRA runs beside the frozen weight and merges into it.",
}

STUDIO: dict[str, str] = {
    "studio.intro": (
        "Fine-tune the model with **QLoRA**: its weights stay frozen in 4 bits (NF4 or FP4), and small LoRA "
        "matrices are trained on top. Pick a preset and a dataset, check the memory estimate, start, and watch "
        "the loss fall. Then compare answers from the full-precision model, the 4-bit base and the 4-bit base + "
        "your adapter: what quantization cost, and what the adapter won back."
    ),
    "studio.settings": "### Settings",
    "studio.preset": "Preset",
    "studio.preset_info": "quick: ~2 min on CPU · workshop GPU: a few minutes on a GPU · thorough: longer, larger rank",
    "studio.source": "Data",
    "studio.source.builtin": "Built-in dataset",
    "studio.source.upload": "Upload JSONL / CSV",
    "studio.source.paste": "Paste examples",
    "studio.dataset": "Built-in dataset",
    "studio.upload": "JSONL (instruction/response or messages) or CSV (instruction,response columns)",
    "studio.paste": "Examples",
    "studio.paste_placeholder": "One per line: instruction ||| response   (or paste JSONL)",
    "studio.quant": "Quantization and LoRA",
    "studio.quant_type": "4-bit type",
    "studio.double_quant": "Double quantization",
    "studio.rank": "LoRA rank r",
    "studio.alpha": "LoRA alpha",
    "studio.dropout": "LoRA dropout",
    "studio.targets": "Target modules",
    "studio.training": "Training",
    "studio.steps": "Steps",
    "studio.lr": "Learning rate",
    "studio.batch": "Batch size",
    "studio.accum": "Gradient accumulation",
    "studio.max_length": "Max sequence length (tokens)",
    "studio.warmup": "Warmup steps",
    "studio.seed": "Seed",
    "studio.eval_every": "Eval every (steps)",
    "studio.checkpointing": "Activations for backward",
    "studio.checkpointing.on": "recompute (least memory)",
    "studio.checkpointing.auto": "keep when they fit (fastest)",
    "studio.checkpointing_info": (
        "Recompute: only each block's input is kept and the block runs again in backward (gradient checkpointing, "
        "as the standard recipe). Keep: ~1.4× faster steps, a few hundred MB more on SmolLM2."
    ),
    "studio.estimate": "Estimate before the run",
    "studio.start": "Start fine-tune",
    "studio.stop": "Stop",
    "studio.progress": "### Progress",
    "studio.idle": "Not started. The estimate above says what the run will need.",
    "studio.restored": "Welcome back: this session's {count} run(s) are in the picker below, the latest one's loss curve here.",
    "studio.restored_running": "A fine-tune of this session is still running: it appears in the picker below when it ends.",
    "studio.loss_plot": "Loss",
    "studio.summary": "Run summary",
    "studio.compare": "### Compare",
    "studio.compare_info": (
        "Same prompts, same decoding (greedy unless the temperature is above 0): full precision, the 4-bit base, "
        "and the 4-bit base with the adapter you pick."
    ),
    "studio.run": "Adapter",
    "studio.no_adapter": "none (no adapter)",
    "studio.prompt": "Your prompt",
    "studio.prompt_default": "What is the capital of Italy?",
    "studio.held_out": "Also answer held-out prompts",
    "studio.temperature": "Temperature (0 = greedy)",
    "studio.decode_seed": "Sampling seed",
    "studio.max_new_tokens": "Max new tokens",
    "studio.compare_button": "Compare",
    "studio.answers": "Answers",
    "studio.metrics": "Held-out metric",
    "studio.export": "Download adapter (.zip, peft format)",
    "studio.export_button": "Prepare download",
    "studio.col.prompt": "prompt",
    "studio.col.full": "full precision",
    "studio.col.base": "4-bit base",
    "studio.col.lora": "4-bit + LoRA",
    "studio.col.metric": "metric",
}

TEXT: dict[str, str] = {**APP, **QUANT, **ADAPTERS, **STUDIO}


def t(key: str) -> str:
    """The UI text for `key`; a missing key is a bug, so it fails loudly."""
    return TEXT[key]
