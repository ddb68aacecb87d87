"""Adapter vs LoRA: its controls, explanations, tables, figures and messages.

EN and KO hold the same keys (tests/test_i18n.py checks it, and that both share each text's {placeholders}).
"""

from __future__ import annotations

EN: dict[str, str] = {
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
        "unmerged and base + LoRA merged: on a CPU at batch 1 and two sequence lengths, on a GPU also at batch 16. Each is warmed "
        "up, then timed in turns: every repeat runs every variant of every setting, in a rotated order, so drift in the "
        "machine hits all alike (median, interquartile range, min–max). The time budget is a limit: no pass starts that "
        "would end past it. The numerical checks run on the same copies first."
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
    # Labels that messages name a setting by (the validators' sentences are in common.py).
    "adapters.label.rank": "LoRA rank",
    "adapters.label.alpha": "LoRA alpha",
    "adapters.label.dropout": "LoRA dropout",
    "adapters.label.bottleneck": "Adapter bottleneck size",
    "adapters.label.virtual_tokens": "Virtual tokens",
    "adapters.label.prompt_tokens": "Prompt tuning's virtual tokens",
    "adapters.label.budget": "latency budget",
    "adapters.label.batch_size": "batch size",
    "adapters.label.seq_len": "sequence length",
    # Messages for settings that cannot work.
    "adapters.err.heads_divide": "d_model {d_model} must be divisible by the number of heads {heads}",
    "adapters.err.kv_heads_divide": "heads {heads} must be divisible by KV heads {kv_heads}",
    "adapters.err.placement": "adapter placement must be one of {choices}, got {value}",
    "adapters.err.activation": "activation must be one of {choices}, got {value}",
    "adapters.err.bottleneck_too_large": (
        "Adapter bottleneck {bottleneck} is larger than d_model = {d_model}: a bottleneck must be "
        "at most d_model (reduction factor d/m ≥ 1)"
    ),
    "adapters.err.no_lora_target": "Choose at least one LoRA target module (from {choices})",
    "adapters.err.rank_too_large": (
        "LoRA rank {r} is larger than the {name} layer allows: r must be at most "
        "min(d_in, d_out) = min({d_in}, {d_out}) = {most}"
    ),
    "adapters.err.alpha": "LoRA alpha must be greater than 0, got {value}",
    "adapters.err.dropout": "LoRA dropout must be in [0, 1), got {value}",
    "adapters.err.budget": "latency time budget must be 1 to 600 s, got {value}",
    "adapters.err.layer_range": "layer must be 0 to {last}, got {value}",
    "adapters.err.unsupported_model": "model type {model_type} is not supported here; supported: {supported}",
    "adapters.err.no_target": "Choose at least one target module for LoRA (from {choices})",
    "adapters.err.unknown_target": "unknown target module {target}; this model has {choices}",
    # Table columns.
    "adapters.col.method": "method",
    "adapters.col.module": "module",
    "adapters.col.formula": "formula",
    "adapters.col.per_layer": "per layer",
    "adapters.col.layers": "layers",
    "adapters.col.trainable": "trainable",
    "adapters.col.share": "% of base",
    "adapters.col.fp32_bytes": "fp32 bytes",
    "adapters.col.bf16_bytes": "bf16 bytes",
    "adapters.col.check": "check",
    "adapters.col.max_diff": "max |Δ logit|",
    "adapters.col.mean_diff": "mean |Δ logit|",
    "adapters.col.top1": "top-1 kept",
    "adapters.col.expected": "expected",
    "adapters.col.passed": "passed",
    "adapters.col.variant": "variant",
    "adapters.col.batch": "batch",
    "adapters.col.seq": "seq",
    "adapters.col.median": "median ms",
    "adapters.col.iqr": "IQR ms",
    "adapters.col.range": "min–max ms",
    "adapters.col.repeats": "repeats",
    "adapters.col.vs_base": "vs base (paired median, IQR)",
    "adapters.col.slower_in": "slower in",
    "adapters.col.verdict": "verdict",
    "adapters.yes": "yes",
    "adapters.no": "NO",
    # The parameter table's rows.
    "adapters.row.adapter": "Adapter ({placement})",
    "adapters.row.prompt": "Prompt tuning",
    "adapters.row.total": "total",
    "adapters.row.after": "after {position}",
    "adapters.row.virtual_tokens": "virtual tokens",
    "adapters.row.lora_total": "Σ r·(d_in+d_out) × {layers} layers",
    "adapters.row.adapter_total": "{positions} × (2md+d+m) × {layers} layers (reduction factor d/m = {factor:.3g})",
    # The sweep's curves and the chosen settings marked on them.
    "adapters.sweep.lora": "LoRA ({targets}), x = rank r",
    "adapters.sweep.houlsby": "Adapter (Houlsby), x = bottleneck m",
    "adapters.sweep.pfeiffer": "Adapter (Pfeiffer), x = bottleneck m",
    "adapters.sweep.prompt": "Prompt tuning, x = virtual tokens n",
    "adapters.current.adapter": "adapter m={m}",
    "adapters.current.prompt": "prompt n={n}",
    # The numerical checks.
    "adapters.check.fresh_lora": "fresh LoRA (B = 0) vs base",
    "adapters.check.exactly_zero": "exactly 0",
    "adapters.check.merged": "LoRA merged vs unmerged (random B)",
    "adapters.check.rounding": "float rounding, ≤ {rounding:.1e} (LoRA itself moved the logits by up to {moved:.3g})",
    "adapters.check.fresh_adapters": "fresh adapters (weights ~ N(0, {std:g}²), zero biases) vs base",
    "adapters.check.near_identity": "near identity: mean |Δ| < 10% of mean |logit| ({typical:.3g}), top-1 mostly kept",
    # The latency run's progress (playground/adapters/latency.py).
    "adapters.lat.start": "Measuring {variants} variants × {settings} settings, about {budget:.0f} s",
    "adapters.lat.warmup": "batch {batch}, seq {seq}: warm-up {name}",
    "adapters.lat.repeat": "batch {batch}, seq {seq}: repeat {repeat}/{repeats}, {name}",
    "adapters.lat.done": "Done in {elapsed:.1f} s",
    # Figures (playground/adapters/plots.py).
    "adapters.variant.base": "base",
    "adapters.variant.adapters": "base + adapters",
    "adapters.variant.lora_unmerged": "base + LoRA (unmerged)",
    "adapters.variant.lora_merged": "base + LoRA (merged)",
    "adapters.plot.adapter_title": "<b>Adapter: serial</b><br>after the MLP of layer {layer} ({placement})",
    "adapters.plot.mlp": "MLP sublayer (frozen)<br>{d}→{d_ff}→{d}",
    "adapters.plot.skip": "skip: h",
    "adapters.plot.residual": "+ residual (the block's own)",
    "adapters.plot.adapter_trainable": (
        "trainable per adapter:<br>2md + d + m = 2·{m}·{d} + {d} + {m} = <b>{count:,}</b>"
    ),
    "adapters.plot.adapter_note": "runs after the sublayer:<br>extra sequential steps at inference",
    "adapters.plot.lora_title": "<b>LoRA: parallel</b><br>on {target} of layer {layer}",
    "adapters.plot.w0": "W0 (frozen)<br>{shape}",
    "adapters.plot.b": "B  {shape}  (init 0)",
    "adapters.plot.merged": "merged: W = W0 + ({scale})·B·A  {shape}<br>same shape as W0: no extra step",
    "adapters.plot.lora_trainable": (
        "trainable here:<br>r·(d_in + d_out) = {r}·({d_in} + {d_out}) = <b>{count:,}</b>"
    ),
    "adapters.plot.lora_note": "no nonlinearity, weights only (no biases)",
    "adapters.plot.params": "params",
    "adapters.plot.min": "min",
    "adapters.plot.max": "max",
    "adapters.plot.chosen": "chosen: {name}",
    "adapters.plot.chosen_hover": "chosen",
    "adapters.plot.one_percent": "1% of the base model",
    "adapters.plot.sweep_x": "rank r / bottleneck m / virtual tokens n",
    "adapters.plot.sweep_y": "trainable parameters",
    "adapters.plot.latency_title": "measured here: median forward (ms), whiskers = IQR",
    "adapters.plot.overhead_title": "change vs base (%), whiskers = IQR of pairs:<br>here and LoRA paper Table 1",
    "adapters.plot.paper_setting": "paper {setting}",
    "adapters.plot.paper_trace": "paper: {name}",
    "adapters.plot.paper_houlsby": "Adapter (Houlsby)",
    "adapters.plot.paper_lin": "Adapter (Lin)",
    "adapters.plot.paper_note": "paper: LoRA = fine-tune, 0% by construction",
    # The notes' examples (playground/adapters/examples.py).
    "adapters.examples": "Examples from the notes",
    "adapters.examples_info": "Sets every setting below to one of the study notes' examples, then counts again.",
    "adapters.example.bottleneck_6_2_6": "Adapter 6 → 2 → 6: 2md + d + m = 32",
    "adapters.example.bottleneck_6_2_6.note": (
        "**The notes' bottleneck**: d = 6 down to m = 2 and back up to 6, one adapter (Pfeiffer, one layer). The "
        "adapter rows show 2md + d + m = 2·2·6 + 6 + 2 = **32** (24 weights, 8 biases). At so small a d, LoRA's "
        "r·(d_in + d_out) = 2·(6 + 6) = 24 is 67% of one 6 × 6 W: low rank saves only when r is much smaller than d."
    ),
    "adapters.example.lora_4096_r16": "LoRA d = 4096, r = 16: 131,072 = 0.78% of one W",
    "adapters.example.lora_4096_r16.note": (
        "**The notes' arithmetic**: one 4096 × 4096 W has 16,777,216 parameters; LoRA with r = 16 trains A "
        "(16 × 4096) and B (4096 × 16): 16·(4096 + 4096) = **131,072 = 0.78% of that W**. On q and v of all 32 "
        "layers of this 7B-class shape that is 8,388,608 trainable, 0.13% of the whole model: only some layers "
        "get A and B, so the share of the model is smaller still."
    ),
    "adapters.example.lora_768_r4": "LoRA(768, 768, rank 4), the notes' code: 6,144",
    "adapters.example.lora_768_r4.note": (
        "**The notes' code example** LoRA(768, 768, rank = 4): 4·(768 + 768) = **6,144** trainable beside a "
        "768 × 768 W of 589,824, that is 1.04% of it; here on q and v of a 12-layer BERT-base-sized shape."
    ),
    "adapters.example.houlsby_smollm2": "Houlsby placement on SmolLM2: two adapters per layer, m = d/16",
    "adapters.example.houlsby_smollm2.note": (
        "**Houlsby's placement**: one adapter after attention and one after the MLP in every block, m = d/16 = 36 "
        "(AdapterHub's reduction factor 16). Each is 2·36·576 + 576 + 36 = **42,084**; 60 of them are 2,525,040, "
        "1.88% of SmolLM2. Pfeiffer's placement (after the MLP only) halves it."
    ),
    "adapters.example.prompt_smollm2": "Prompt tuning: 20 virtual tokens × 576",
    "adapters.example.prompt_smollm2.note": (
        "**Prompt tuning** leaves the model untouched and trains n virtual token embeddings in front of the "
        "input: n·d = 20·576 = **11,520**, 0.0086% of SmolLM2, the fewest of the three methods."
    ),
    # A setting that cannot be counted (half typed, say): one line above the figures, which keep the last good state.
    "adapters.notice": "⚠️ **{message}**. The figures below still show the last settings that could be counted.",
    # The LoRA share of one W, beside the share of the model (above the parameter table).
    "adapters.share.lora_one": (
        "**LoRA on one W ({module})**: r·(d_in + d_out) = {r}·({d_in} + {d_out}) = **{count:,}** parameters "
        "beside a {d_out} × {d_in} W of {weights:,}: **{share} of one W**, {share_model} of the whole model "
        "for this module in all {layers} layers."
    ),
    "adapters.share.lora_all": (
        "All targeted W ({modules}) in {layers} layers: {trainable:,} trainable = {share_w} of those weights, "
        "**{share_model} of the whole model** ({base:,} parameters)."
    ),
    "adapters.share.adapter": (
        "**Adapters ({placement})**: 2md + d + m = {per:,} per adapter, {total:,} in all = **{share_model} of the "
        "whole model**."
    ),
    "adapters.share.prompt": "**Prompt tuning**: n·d = {total:,} = **{share_model} of the whole model**.",
    "adapters.col.share_of_w": "% of one W",
    # Show the code (playground/adapters/snippet.py): the accordion and the snippet's comments.
    "adapters.code_heading": "Show the code: these settings in peft and torch",
    "adapters.code_label": "Python",
    "adapters.code.meta": "shapes only, on the meta device: nothing allocated, enough to count",
    "adapters.code.tiny": "tiny/llama: a random 2-layer model, so its config is all there is to it",
    "adapters.code.fresh": "a fresh base model each time",
    "adapters.code.hub_original": "the bundled copy's original on the Hub (bf16); a fresh model each time",
    "adapters.code.trainable": "what trains: the parameters with requires_grad",
    "adapters.code.lora": "peft's own, the same count as the table",
    "adapters.code.prompt": "Prompt tuning: peft's PromptTuningConfig",
    "adapters.code.adapter": (
        "Bottleneck adapter ({placement}): peft has no serial adapter (the AdapterHub adapters library has), so "
        "here it is in plain torch"
    ),
    "adapters.code.serial": "serial: runs after the sublayer",
    "adapters.paths_adapter_label": "Adapter path",
    "adapters.paths_lora_label": "LoRA path",
    # The latency verdicts (playground/adapters/latency.py: compare_timings).
    "adapters.verdict.reference": "reference",
    "adapters.verdict.same": "no measurable difference",
    "adapters.verdict.slower": "slower by {change:.1f}%",
    "adapters.verdict.faster": "faster by {change:.1f}%",
    "adapters.verdict.too_few": "too few repeats to tell ({pairs} of at least {needed})",
    "adapters.verdict.evidence": "slower in {slower} of {pairs} repeats; paired change IQR {low:+.1f}…{high:+.1f}%",
    "adapters.verdict.heading": "### What this run can tell",
    "adapters.verdict.setting": "**batch {batch} × {seq} tokens**: {verdicts}",
    "adapters.verdict.item": "{variant}: {verdict}",
    "adapters.verdict.none": "No setting was measured within the budget: give it more seconds.",
    "adapters.verdict.rule": (
        "Every repeat times each variant next to the base, so each repeat gives one paired change "
        "(variant ÷ base − 1). A difference counts only when the variant was slower (or faster) in so many "
        "repeats that chance is ruled out (sign test, p < 0.01); the percentage is the median paired change. "
        "Otherwise: no measurable difference."
    ),
    "adapters.latency_explain": (
        "**When the notes' effect shows.** An adapter adds layers that run one after another: two small matrix "
        "products and a nonlinearity after each sublayer it follows (60 more sequential steps in SmolLM2's 30 "
        "blocks with Houlsby's placement). That cost is fixed per step, so it is visible where the base's own "
        "work is small: **batch 1, short sequences, and a GPU**, whose fast matrix products leave the extra "
        "sequential steps a large share. The LoRA paper measured +20–30% at batch 1 × 128 tokens and +2–3% at "
        "batch 32 × 512 (table below). On a CPU the base's arithmetic dominates and the difference may be within "
        "the noise; then this page says so. LoRA unmerged adds two thin products beside each adapted W "
        "(parallel, no nonlinearity). **Merged LoRA** is W = W0 + (α/r)·B·A, a weight of W0's shape: the same "
        "computation as the base, so **zero extra latency by construction**; any difference measured for it is noise."
    ),
    "adapters.lat.budget_reached": "the {budget:.0f} s budget ended the repeats",
}

KO: dict[str, str] = {
    "adapters.intro": (
        "어댑터와 LoRA는 둘 다 고정된(frozen) 모델 옆에 새 파라미터를 조금만 추가해 학습하지만, 방식이 다릅니다. "
        "어댑터는 서브레이어 **뒤에서** 실행되고(직렬, 비선형 함수, 가중치와 바이어스), LoRA는 선형 레이어 "
        "**옆에서** 실행되며(병렬, 선형, 가중치만) 그 레이어에 병합할 수 있습니다. 설정을 골라 이 모델의 실제 shape로 "
        "두 경로를 보고, 각 방법이 학습하는 파라미터 수를 센 다음, 추론할 때 드는 비용을 **측정**해 보세요."
    ),
    "adapters.source": "베이스 모델",
    "adapters.source_loaded": "목록의 모델",
    "adapters.source_custom": "직접 정한 shape (파라미터 수만)",
    "adapters.d_model": "d_model",
    "adapters.d_ff": "d_ff",
    "adapters.layers": "레이어 수",
    "adapters.heads": "헤드 수",
    "adapters.kv_heads": "KV 헤드 수",
    "adapters.lora_heading": "### LoRA",
    "adapters.rank": "랭크 r",
    "adapters.alpha": "Alpha α",
    "adapters.dropout": "드롭아웃 (LoRA 브랜치의 입력에 적용)",
    "adapters.rslora": "rsLoRA 스케일링 (α/√r)",
    "adapters.targets": "대상 모듈 (target modules)",
    "adapters.adapter_heading": "### Bottleneck 어댑터",
    "adapters.bottleneck": "Bottleneck 크기 m",
    "adapters.bottleneck_info": (
        "AdapterHub의 기본 축소 비율(reduction factor) 16은 m = d/16입니다 (SmolLM2의 576이면 36)."
    ),
    "adapters.placement": "삽입 위치",
    "adapters.placement_houlsby": "Houlsby: 어텐션 뒤와 MLP 뒤",
    "adapters.placement_pfeiffer": "Pfeiffer: MLP 뒤에만",
    "adapters.prompt_heading": "### 프롬프트 튜닝",
    "adapters.prompt_tokens": "가상 토큰 수 n",
    "adapters.layer": "그릴 레이어",
    "adapters.paths_heading": "## 순전파(forward) 경로",
    "adapters.paths_label": "순전파 경로",
    "adapters.params_label": "학습 가능한 파라미터",
    "adapters.sweep_label": "파라미터 스윕",
    "adapters.status_label": "상태",
    "adapters.latency_plot_label": "지연 시간 차트",
    "adapters.params_heading": "## 학습 가능한 파라미터",
    "adapters.sweep_heading": "## 랭크와 bottleneck 크기에 따른 파라미터 수",
    "adapters.latency_heading": (
        "## 측정한 지연 시간(latency)\n"
        "선택한 모델의 네 가지 변형을 이 서버의 장치에서 실행합니다: 베이스, 베이스 + 어댑터, 베이스 + LoRA "
        "(병합 전), 베이스 + LoRA (병합). CPU에서는 배치 1과 두 가지 시퀀스 길이로, GPU에서는 배치 16도 잽니다. 각 변형을 먼저 "
        "워밍업한 뒤 번갈아 가며 시간을 잽니다: 반복마다 모든 설정의 모든 변형을 순서를 돌려 가며 실행하므로, 기계 상태의 "
        "변화가 모든 변형에 똑같이 미칩니다 (중앙값, 사분위 범위, 최소–최대). 시간 예산은 상한입니다: 예산을 넘겨 끝날 "
        "순전파는 시작하지 않습니다. 수치 검사는 같은 복사본으로 먼저 실행됩니다."
    ),
    "adapters.budget": "시간 예산 (s)",
    "adapters.measure": "수치 검사 & 지연 시간 측정",
    "adapters.stop": "중지",
    "adapters.status_idle": "이 세션에서는 아직 측정하지 않았습니다.",
    "adapters.checks": "수치 검사 (예시 문장에 대한 logits)",
    "adapters.latency_table": "지연 시간 (ms)",
    "adapters.paper": (
        "**LoRA 논문, 표 1** (GPT-2 medium, 순전파 ms, Quadro RTX8000; 배치 / 시퀀스 길이 / 어댑터 파라미터 수):\n\n"
        "| | 32 / 512 / 0.5M | 16 / 256 / 11M | 1 / 128 / 11M |\n|---|---|---|---|\n"
        "| 파인튜닝 / LoRA | 1449.4 | 338.0 | 19.8 |\n"
        "| 어댑터 (Lin) | 1482.0 (+2.2%) | 354.8 (+5.0%) | 23.9 (+20.7%) |\n"
        "| 어댑터 (Houlsby) | 1492.2 (+3.0%) | 366.3 (+8.4%) | 25.8 (+30.3%) |"
    ),
    "adapters.custom_no_latency": (
        "지연 시간을 재려면 실제 가중치가 필요합니다: '목록의 모델'을 고르세요 (직접 정한 shape로는 파라미터 수만 셉니다)."
    ),
    "adapters.stopped": "중지했습니다.",
    "adapters.phase_idle": "준비됨",
    "adapters.phase_loading": "1/3단계: 모델 불러오는 중",
    "adapters.phase_building": "2/3단계: 복사본을 만들고 검사하는 중",
    "adapters.phase_measuring": "3/3단계: 지연 시간 측정 중",
    "adapters.phase_done": "완료",
    "adapters.phase_stopped": "중지했습니다.",
    "adapters.phase_failed": "실패",
    "adapters.of_load": "(모델 불러오기)",
    "adapters.of_passes": "(순전파 횟수 기준)",
    "adapters.elapsed": "클릭 후 {elapsed:.0f}초",
    "adapters.budget_note": "측정 시간 예산 {budget:.0f}초",
    "adapters.loading": "{model_id} 불러오는 중",
    "adapters.building": "모델을 베이스 + 어댑터, 베이스 + LoRA, 베이스 + LoRA 병합으로 복사한 뒤 logits를 비교하는 중",
    "adapters.checks_done": "검사 완료 (아래 표), 워밍업 중",
    "adapters.stopped_detail": "실행을 취소했습니다. 표에는 그 전에 끝난 결과가 남아 있습니다.",
    "adapters.failed_detail": "페이지 구석에 뜬 메시지를 확인하세요.",
    # Fed to the model for the checks, never shown: the same sentence in both languages, so both rooms see
    # the same numbers.
    "adapters.sample_text": "Adapters run in series after a sublayer; LoRA runs beside the frozen weight and merges into it.",
    "adapters.label.rank": "LoRA 랭크",
    "adapters.label.alpha": "LoRA alpha",
    "adapters.label.dropout": "LoRA 드롭아웃",
    "adapters.label.bottleneck": "어댑터 bottleneck 크기",
    "adapters.label.virtual_tokens": "가상 토큰 수",
    "adapters.label.prompt_tokens": "프롬프트 튜닝의 가상 토큰 수",
    "adapters.label.budget": "지연 시간 측정 예산",
    "adapters.label.batch_size": "배치 크기",
    "adapters.label.seq_len": "시퀀스 길이",
    "adapters.err.heads_divide": "d_model {d_model}은(는) 헤드 수 {heads}로 나누어떨어져야 합니다",
    "adapters.err.kv_heads_divide": "헤드 수 {heads}은(는) KV 헤드 수 {kv_heads}로 나누어떨어져야 합니다",
    "adapters.err.placement": "어댑터 삽입 위치는 {choices} 중 하나여야 합니다. 입력값: {value}",
    "adapters.err.activation": "활성 함수는 {choices} 중 하나여야 합니다. 입력값: {value}",
    "adapters.err.bottleneck_too_large": (
        "어댑터 bottleneck {bottleneck}이(가) d_model = {d_model}보다 큽니다: bottleneck은 "
        "d_model 이하여야 합니다 (축소 비율 d/m ≥ 1)"
    ),
    "adapters.err.no_lora_target": "LoRA 대상 모듈을 하나 이상 고르세요 ({choices} 중에서)",
    "adapters.err.rank_too_large": (
        "LoRA 랭크 {r}이(가) {name} 레이어가 허용하는 값보다 큽니다: r은 최대 "
        "min(d_in, d_out) = min({d_in}, {d_out}) = {most}이어야 합니다"
    ),
    "adapters.err.alpha": "LoRA alpha는 0보다 커야 합니다. 입력값: {value}",
    "adapters.err.dropout": "LoRA 드롭아웃은 [0, 1) 범위여야 합니다. 입력값: {value}",
    "adapters.err.budget": "지연 시간 측정 예산은 1~600 s여야 합니다. 입력값: {value}",
    "adapters.err.layer_range": "레이어 번호는 0~{last} 사이여야 합니다. 입력값: {value}",
    "adapters.err.unsupported_model": "모델 유형 {model_type}은(는) 여기서 지원하지 않습니다. 지원하는 유형: {supported}",
    "adapters.err.no_target": "LoRA를 적용할 대상 모듈을 하나 이상 고르세요 ({choices} 중에서)",
    "adapters.err.unknown_target": "알 수 없는 대상 모듈 {target}입니다. 이 모델에 있는 모듈: {choices}",
    "adapters.col.method": "방법",
    "adapters.col.module": "모듈",
    "adapters.col.formula": "수식",
    "adapters.col.per_layer": "레이어당",
    "adapters.col.layers": "레이어 수",
    "adapters.col.trainable": "학습 가능",
    "adapters.col.share": "베이스 대비 %",
    "adapters.col.fp32_bytes": "fp32 바이트",
    "adapters.col.bf16_bytes": "bf16 바이트",
    "adapters.col.check": "검사",
    "adapters.col.max_diff": "최대 |Δ logit|",
    "adapters.col.mean_diff": "평균 |Δ logit|",
    "adapters.col.top1": "top-1 유지",
    "adapters.col.expected": "기대값",
    "adapters.col.passed": "통과",
    "adapters.col.variant": "변형",
    "adapters.col.batch": "배치",
    "adapters.col.seq": "시퀀스",
    "adapters.col.median": "중앙값 ms",
    "adapters.col.iqr": "IQR ms",
    "adapters.col.range": "최소–최대 ms",
    "adapters.col.repeats": "반복 횟수",
    "adapters.col.vs_base": "베이스 대비 (짝지은 중앙값, IQR)",
    "adapters.col.slower_in": "더 느린 반복",
    "adapters.col.verdict": "판정",
    "adapters.yes": "예",
    "adapters.no": "아니요",
    "adapters.row.adapter": "어댑터 ({placement})",
    "adapters.row.prompt": "프롬프트 튜닝",
    "adapters.row.total": "합계",
    "adapters.row.after": "{position} 뒤",
    "adapters.row.virtual_tokens": "가상 토큰",
    "adapters.row.lora_total": "Σ r·(d_in+d_out) × 레이어 {layers}개",
    "adapters.row.adapter_total": "{positions} × (2md+d+m) × 레이어 {layers}개 (축소 비율 d/m = {factor:.3g})",
    "adapters.sweep.lora": "LoRA ({targets}), x = 랭크 r",
    "adapters.sweep.houlsby": "어댑터 (Houlsby), x = bottleneck m",
    "adapters.sweep.pfeiffer": "어댑터 (Pfeiffer), x = bottleneck m",
    "adapters.sweep.prompt": "프롬프트 튜닝, x = 가상 토큰 수 n",
    "adapters.current.adapter": "어댑터 m={m}",
    "adapters.current.prompt": "프롬프트 n={n}",
    "adapters.check.fresh_lora": "새 LoRA (B = 0) vs 베이스",
    "adapters.check.exactly_zero": "정확히 0",
    "adapters.check.merged": "LoRA 병합 vs 병합 전 (무작위 B)",
    "adapters.check.rounding": "부동소수점 반올림 오차, ≤ {rounding:.1e} (LoRA 자체는 logits를 최대 {moved:.3g}만큼 바꿈)",
    "adapters.check.fresh_adapters": "새 어댑터 (가중치 ~ N(0, {std:g}²), 바이어스 0) vs 베이스",
    "adapters.check.near_identity": (
        "항등에 가까움: 평균 |Δ| < 평균 |logit| ({typical:.3g})의 10%, top-1 대부분 유지"
    ),
    "adapters.lat.start": "변형 {variants}개 × 설정 {settings}개 측정 중, 약 {budget:.0f}초",
    "adapters.lat.warmup": "배치 {batch}, 시퀀스 {seq}: {name} 워밍업",
    "adapters.lat.repeat": "배치 {batch}, 시퀀스 {seq}: 반복 {repeat}/{repeats}, {name}",
    "adapters.lat.done": "{elapsed:.1f}초 만에 완료",
    "adapters.variant.base": "베이스",
    "adapters.variant.adapters": "베이스 + 어댑터",
    "adapters.variant.lora_unmerged": "베이스 + LoRA (병합 전)",
    "adapters.variant.lora_merged": "베이스 + LoRA (병합)",
    "adapters.plot.adapter_title": "<b>어댑터: 직렬</b><br>레이어 {layer}의 MLP 뒤 ({placement})",
    "adapters.plot.mlp": "MLP 서브레이어 (고정)<br>{d}→{d_ff}→{d}",
    "adapters.plot.skip": "잔차 연결(skip): h",
    "adapters.plot.residual": "+ 잔차 연결 (블록 자체의 것)",
    "adapters.plot.adapter_trainable": (
        "어댑터 하나의 학습 가능한 파라미터:<br>2md + d + m = 2·{m}·{d} + {d} + {m} = <b>{count:,}</b>"
    ),
    "adapters.plot.adapter_note": "서브레이어 뒤에서 실행:<br>추론할 때 순차 단계가 늘어남",
    "adapters.plot.lora_title": "<b>LoRA: 병렬</b><br>레이어 {layer}의 {target}에 적용",
    "adapters.plot.w0": "W0 (고정)<br>{shape}",
    "adapters.plot.b": "B  {shape}  (0으로 초기화)",
    "adapters.plot.merged": "병합: W = W0 + ({scale})·B·A  {shape}<br>W0와 shape가 같음: 추가 단계 없음",
    "adapters.plot.lora_trainable": (
        "여기서 학습 가능한 파라미터:<br>r·(d_in + d_out) = {r}·({d_in} + {d_out}) = <b>{count:,}</b>"
    ),
    "adapters.plot.lora_note": "비선형 함수 없음, 가중치만 (바이어스 없음)",
    "adapters.plot.params": "파라미터",
    "adapters.plot.min": "최소",
    "adapters.plot.max": "최대",
    "adapters.plot.chosen": "선택: {name}",
    "adapters.plot.chosen_hover": "선택한 설정",
    "adapters.plot.one_percent": "베이스 모델의 1%",
    "adapters.plot.sweep_x": "랭크 r / bottleneck m / 가상 토큰 수 n",
    "adapters.plot.sweep_y": "학습 가능한 파라미터 수",
    "adapters.plot.latency_title": "여기서 측정: 순전파 중앙값 (ms), 수염 = IQR",
    "adapters.plot.overhead_title": "베이스 대비 변화 (%), 수염 = 짝의 IQR:<br>여기와 LoRA 논문 표 1",
    "adapters.plot.paper_setting": "논문 {setting}",
    "adapters.plot.paper_trace": "논문: {name}",
    "adapters.plot.paper_houlsby": "어댑터 (Houlsby)",
    "adapters.plot.paper_lin": "어댑터 (Lin)",
    "adapters.plot.paper_note": "논문: LoRA = 파인튜닝, 정의상 0%",
    "adapters.examples": "노트의 예시",
    "adapters.examples_info": "아래의 모든 설정을 학습 노트의 예시 하나로 바꾸고 다시 셉니다.",
    "adapters.example.bottleneck_6_2_6": "어댑터 6 → 2 → 6: 2md + d + m = 32",
    "adapters.example.bottleneck_6_2_6.note": (
        "**노트의 bottleneck 구조**: d = 6을 m = 2로 줄였다가 다시 6으로 늘리는 어댑터 하나 (Pfeiffer, 레이어 1개). "
        "어댑터 행에 2md + d + m = 2·2·6 + 6 + 2 = **32** (가중치 24개, 바이어스 8개)가 나옵니다. d가 이렇게 작으면 "
        "LoRA의 r·(d_in + d_out) = 2·(6 + 6) = 24는 6 × 6 W 하나의 67%입니다: 저랭크는 r이 d보다 훨씬 작을 때만 줄여 줍니다."
    ),
    "adapters.example.lora_4096_r16": "LoRA d = 4096, r = 16: 131,072 = W 하나의 0.78%",
    "adapters.example.lora_4096_r16.note": (
        "**노트의 계산**: 4096 × 4096 W 하나는 파라미터 16,777,216개입니다. r = 16인 LoRA는 A (16 × 4096)와 "
        "B (4096 × 16)를 학습합니다: 16·(4096 + 4096) = **131,072 = 그 W의 0.78%**. 이 7B급 shape의 32개 레이어 모두의 "
        "q와 v에 붙이면 학습 가능한 파라미터는 8,388,608개, 모델 전체의 0.13%입니다: 모든 레이어에 A, B를 추가하는 것이 "
        "아니라서 모델 대비로는 더 줄어듭니다."
    ),
    "adapters.example.lora_768_r4": "LoRA(768, 768, rank 4), 노트의 코드: 6,144",
    "adapters.example.lora_768_r4.note": (
        "**노트의 코드 예시** LoRA(768, 768, rank = 4): 4·(768 + 768) = **6,144**개를 768 × 768 W (589,824개) 옆에서 "
        "학습합니다. W의 1.04%입니다. 여기서는 12개 레이어의 BERT-base 크기 shape에서 q와 v에 붙였습니다."
    ),
    "adapters.example.houlsby_smollm2": "SmolLM2에 Houlsby 배치: 레이어마다 어댑터 2개, m = d/16",
    "adapters.example.houlsby_smollm2.note": (
        "**Houlsby의 삽입 위치**: 모든 블록에서 어텐션 뒤와 MLP 뒤에 어댑터를 하나씩, m = d/16 = 36 (AdapterHub의 "
        "축소 비율 16). 어댑터 하나는 2·36·576 + 576 + 36 = **42,084**개, 60개면 2,525,040개로 SmolLM2의 1.88%입니다. "
        "Pfeiffer 배치(MLP 뒤에만)는 그 절반입니다."
    ),
    "adapters.example.prompt_smollm2": "프롬프트 튜닝: 가상 토큰 20개 × 576",
    "adapters.example.prompt_smollm2.note": (
        "**프롬프트 튜닝**은 모델을 그대로 두고 입력 앞에 붙는 가상 토큰 임베딩 n개만 학습합니다: n·d = 20·576 = "
        "**11,520**개, SmolLM2의 0.0086%로 세 방법 중 가장 적습니다."
    ),
    "adapters.notice": "⚠️ **{message}**. 아래 그림과 표는 마지막으로 셀 수 있었던 설정을 그대로 보여 줍니다.",
    "adapters.share.lora_one": (
        "**W 하나에 붙인 LoRA ({module})**: r·(d_in + d_out) = {r}·({d_in} + {d_out}) = **{count:,}**개의 파라미터가 "
        "파라미터 {weights:,}개인 {d_out} × {d_in} W 옆에 붙습니다: **W 하나의 {share}**, 이 모듈을 {layers}개 레이어 "
        "모두에 붙이면 모델 전체의 {share_model}입니다."
    ),
    "adapters.share.lora_all": (
        "대상 W 전체 ({modules}), 레이어 {layers}개: 학습 가능한 파라미터 {trainable:,}개 = 그 가중치들의 {share_w}, "
        "**모델 전체의 {share_model}** (파라미터 {base:,}개)."
    ),
    "adapters.share.adapter": (
        "**어댑터 ({placement})**: 어댑터 하나에 2md + d + m = {per:,}개, 모두 {total:,}개 = **모델 전체의 "
        "{share_model}**."
    ),
    "adapters.share.prompt": "**프롬프트 튜닝**: n·d = {total:,}개 = **모델 전체의 {share_model}**.",
    "adapters.col.share_of_w": "W 하나 대비 %",
    "adapters.code_heading": "코드 보기: 이 설정을 peft와 torch로",
    "adapters.code_label": "파이썬 코드",
    "adapters.code.meta": "shape만, meta 장치에서: 메모리를 잡지 않고 개수만 셉니다",
    "adapters.code.tiny": "tiny/llama: 무작위 가중치의 2레이어 모델이라 config가 전부입니다",
    "adapters.code.fresh": "매번 새 베이스 모델",
    "adapters.code.hub_original": "번들 사본의 Hub 원본 (bf16), 매번 새 모델",
    "adapters.code.trainable": "학습되는 것: requires_grad인 파라미터",
    "adapters.code.lora": "peft 자체 구현, 표와 같은 개수",
    "adapters.code.prompt": "프롬프트 튜닝: peft의 PromptTuningConfig",
    "adapters.code.adapter": (
        "Bottleneck 어댑터 ({placement}): peft에는 직렬 어댑터가 없어서 (AdapterHub의 adapters 라이브러리에는 있음) "
        "순수 torch로 씁니다"
    ),
    "adapters.code.serial": "직렬: 서브레이어 뒤에서 실행",
    "adapters.paths_adapter_label": "어댑터 경로",
    "adapters.paths_lora_label": "LoRA 경로",
    "adapters.verdict.reference": "기준",
    "adapters.verdict.same": "측정 가능한 차이 없음",
    "adapters.verdict.slower": "{change:.1f}% 느림",
    "adapters.verdict.faster": "{change:.1f}% 빠름",
    "adapters.verdict.too_few": "반복이 너무 적어 판단 불가 ({pairs}회, 최소 {needed}회 필요)",
    "adapters.verdict.evidence": "반복 {pairs}회 중 {slower}회 더 느림; 짝지은 변화의 IQR {low:+.1f}…{high:+.1f}%",
    "adapters.verdict.heading": "### 이번 측정으로 말할 수 있는 것",
    "adapters.verdict.setting": "**배치 {batch} × 토큰 {seq}개**: {verdicts}",
    "adapters.verdict.item": "{variant}: {verdict}",
    "adapters.verdict.none": "예산 안에 측정한 설정이 없습니다: 시간을 더 주세요.",
    "adapters.verdict.rule": (
        "반복마다 각 변형을 베이스 바로 옆에서 재므로, 반복 하나가 짝지은 변화(변형 ÷ 베이스 − 1) 하나를 줍니다. "
        "변형이 우연으로 볼 수 없을 만큼 많은 반복에서 더 느리거나(빠르거나) 했을 때만 차이로 봅니다 (부호 검정, "
        "p < 0.01). 백분율은 짝지은 변화의 중앙값입니다. 그렇지 않으면 측정 가능한 차이 없음입니다."
    ),
    "adapters.latency_explain": (
        "**노트가 말하는 효과가 보이는 때.** 어댑터는 차례로 실행되는 레이어를 추가합니다: 뒤따르는 서브레이어마다 작은 "
        "행렬곱 두 번과 비선형 함수 (Houlsby 배치면 SmolLM2의 30개 블록에 순차 단계 60개가 늘어남). 이 비용은 단계마다 "
        "거의 일정해서, 베이스 자체의 연산이 작을 때 잘 보입니다: **배치 1, 짧은 시퀀스, 그리고 GPU**. GPU에서는 큰 "
        "행렬곱이 빨라서 늘어난 순차 단계의 몫이 커집니다. LoRA 논문은 배치 1 × 토큰 128개에서 +20–30%, 배치 32 × 512에서 "
        "+2–3%를 쟀습니다 (아래 표). CPU에서는 베이스의 연산이 대부분이라 차이가 잡음 안에 묻힐 수 있고, 그러면 이 "
        "페이지가 그렇게 말합니다. 병합 전 LoRA는 대상 W마다 얇은 행렬곱 두 개를 옆에 더합니다 (병렬, 비선형 함수 없음). "
        "**병합한 LoRA**는 W = W0 + (α/r)·B·A, W0와 shape가 같은 가중치라 베이스와 똑같은 연산입니다: **구조상 추가 "
        "지연이 0**이고, 여기서 잰 차이는 모두 잡음입니다."
    ),
    "adapters.lat.budget_reached": "{budget:.0f}초 예산에 닿아 반복을 멈춤",
}
