"""Adapter vs LoRA: forward latency of SmolLM2-135M with adapters, LoRA unmerged and LoRA merged.

The same measurement the tab runs (playground.adapters.latency), headless: Houlsby adapters (m = 36, the
reduction factor 16), LoRA r = 8 on q and v (the LoRA paper's choice), medians after a warm-up,
all variants timed in turns in one run so their ratios are comparable.
"""

from __future__ import annotations

from playground import adapters as A
from playground import models
from playground.adapters.latency import LatencyConfig, default_latency_config, measure_latency

SETTINGS = A.MethodSettings(r=8, alpha=16, target_modules=("q", "v"), bottleneck=36, placement="houlsby")
SAMPLE = "Adapters run in series after a sublayer; LoRA runs beside the frozen weight and merges into it."


def rows(quick: bool = False) -> list[tuple[str, str, str]]:
    model_id = models.TINY_ID if quick else models.BUNDLED_ID
    loaded = models.load_model(model_id)
    device = models.default_device()
    base = A.model_on(loaded.model, device)
    input_ids = loaded.tokenizer(SAMPLE, return_tensors="pt").input_ids.to(device)
    variants, checks = A.build_variants(base, SETTINGS, input_ids)
    config = default_latency_config(device)
    if quick:
        config = LatencyConfig(config.batch_sizes, config.seq_lens, budget_s=5.0, threads=config.threads)
    else:
        config = LatencyConfig(config.batch_sizes, config.seq_lens, budget_s=60.0, max_repeats=30, threads=config.threads)
    for event in measure_latency(variants, config):
        pass
    name = f"adapters ({model_id.split('/')[-1]}, {device}, {config.threads or 'default'} thread(s))"
    out = [
        (name, "trainable: LoRA r=8 q,v", f"{A.lora_param_count(base.config, 8, ('q', 'v')):,}"),
        (name, "trainable: Houlsby m=36", f"{A.adapter_param_count(base.config, 36, 'houlsby'):,}"),
    ]
    out += [(name, f"check: {c.name}", f"max |Δ| {c.max_abs_diff:.3g}, top-1 kept {100 * c.top1_agreement:.0f}%")
            for c in checks]
    for row in event.rows:
        spread = f"IQR {row.q1_ms:.1f}–{row.q3_ms:.1f}, n={row.repeats}"
        overhead = "" if row.variant == "base" else f", {row.overhead_pct:+.1f}% vs base"
        out.append((name, f"b{row.batch} T{row.seq_len} {row.variant}", f"{row.median_ms:.1f} ms ({spread}){overhead}"))
    out.append((name, "total measuring time", event.message.removeprefix("Done in ")))
    return out


if __name__ == "__main__":
    for row in rows():
        print(" | ".join(row))
