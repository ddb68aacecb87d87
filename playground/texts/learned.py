"""Texts of the What it learned tab (singular values of ΔW, intrinsic rank, merge check). EN and KO hold the same keys
(tests/test_i18n.py checks it)."""

from __future__ import annotations

EN: dict[str, str] = {
    "tab.learned": "What it learned",
    # core messages
    "learned.err.not_adapter": "{path} holds no LoRA adapter (missing: {missing})",
    "learned.err.bad_config": "cannot read the adapter's settings {path}: {error}",
    "learned.err.patterns": "the adapter {path} sets a rank or α per module; only one rank and α for every module is supported",
    "learned.err.factors": "the adapter's module {module} has no matching A and B of rank {rank}",
    "learned.err.no_modules": "{path} holds no LoRA A and B of a decoder layer's projection",
    "learned.err.no_4bit": "the base model has no 4-bit linear layer to compare the update with",
    "learned.err.no_base": "the base model has no 4-bit weight for the adapter's module {module}",
    "learned.err.k": "the rank k must be from 0 to {rank}, got {k}",
    "learned.err.no_module": (
        "the adapter has no update on layer {layer}, {projection} (layers {layers}; projections: {projections})"
    ),
    "learned.err.no_lora_layer": "the model has no LoRA layer {module}",
    "learned.err.no_held_out": "no held-out example to score on",
    "learned.err.examples": "held-out examples must be a whole number from 1 to {limit}, got {value}",
    "learned.err.prompts": "merge check prompts must be a whole number from 1 to 8, got {value}",
    # the tab
    "learned.intro": (
        "### What the adapter learned\n"
        "A LoRA adapter adds to each targeted weight W₀ an update **ΔW = (α/r)·B·A** of rank at most r (Hu et al. "
        "2021). Here the update of one of your Studio runs is taken apart: its **singular values** (how much of the "
        "update lies along each direction), the share of its energy ‖ΔW‖²_F in the top k directions, and its size "
        "‖ΔW‖_F / ‖W₀‖_F relative to the weight it changes, W₀ being the run's dequantized 4-bit weight (the values "
        "it trained against). The LoRA paper (§7) finds that this update has a very low *intrinsic rank*: a few "
        "directions carry almost all of it. Below, that is measured on your run, by norm and by the held-out loss."
    ),
    "learned.run": "Run",
    "learned.run_info": "Your runs from the QLoRA Studio tab (train one there first)",
    "learned.analyze": "Analyze",
    "learned.heatmap": "Which layers moved most",
    "learned.table": "Per module",
    "learned.summary": (
        "**Rank r = {rank}, α = {alpha}, scale {scale} = {value}**, {modules} modules over {layers} layers. "
        "Median k holding 90% of an update's energy: **{median}** of {rank}. Moved most (‖ΔW‖/‖W₀‖): {moved}."
    ),
    "learned.scale_lora": "α/r",
    "learned.scale_rslora": "α/√r (rsLoRA)",
    "learned.moved_item": "layer {layer} {projection} ({relative})",
    "learned.module_intro": (
        "#### One module's spectrum\n"
        "The bars are ΔW's singular values s₁ ≥ s₂ ≥ … (at most r of them: ΔW = (α/r)·B·A has rank ≤ r); the line is "
        "the cumulative energy share Σᵢ≤ₖ sᵢ² / Σ sᵢ², which reaches 100% at k = r. They are computed exactly from "
        "the factors (QR of B and Aᵀ, then the SVD of an r × r matrix), without forming ΔW."
    ),
    "learned.layer": "Layer",
    "learned.projection": "Projection",
    "learned.spectrum": "Singular values and energy",
    "learned.explorer_intro": (
        "### Rank explorer\n"
        "Is the update really low-rank where it matters? For the module chosen above, its update ΔW is replaced by "
        "its **best rank-k approximation** (Eckart–Young: the top k singular directions) and the run's held-out "
        "loss is measured again, for k = 0 (this module's update off) to k = r (the full update), on the shared "
        "4-bit model with your adapter. Where the curve meets the full update's line early, the extra directions "
        "were not needed: the intrinsic rank of the LoRA paper's §7, measured on your run. Cost: r + 3 passes over "
        "the held-out examples chosen (one module per request)."
    ),
    "learned.examples": "Held-out examples",
    "learned.examples_info": "scored at each k (at most the run's held-out split)",
    "learned.field.examples": "held-out examples",
    "learned.explore": "Explore the rank",
    "learned.rank_plot": "Held-out loss vs k",
    "learned.rank_table": "Rank-k truncations",
    "learned.sweep.text": (
        "**Layer {layer} {projection}:** from k = **{k}** of {rank} the held-out loss is within 10% of the way "
        "from this module's update off ({off}) to the full update ({full}); the 4-bit base with the whole adapter "
        "off: {base}. Measured: {passes} forward passes over {examples} held-out examples ({tokens} answer tokens) "
        "in {seconds} s."
    ),
    "learned.merge_intro": (
        "### Merge, checked\n"
        "Merging the adapter into the dequantized 4-bit base (W = W₀ + ΔW, float32) must give the same model as the "
        "base with the adapter unmerged: the logits of both on a few held-out examples, compared."
    ),
    "learned.merge": "Check the merge",
    "learned.merge.text": (
        "**max |Δlogit| = {max_abs}** (relative {relative}; the largest |logit| is {max_logit}), merged vs "
        "unmerged on {prompts} held-out examples ({tokens} tokens): {verdict} {tolerance}. Merged vs the 4-bit "
        "model + adapter the Studio answers with: {served}. ({seconds} s)"
    ),
    "learned.merge.within": "✓ within the tolerance",
    "learned.merge.outside": "✗ over the tolerance",
    # columns and figures
    "learned.col.layer": "layer",
    "learned.col.projection": "projection",
    "learned.col.relative": "‖ΔW‖/‖W₀‖",
    "learned.col.top1": "top-1 energy",
    "learned.col.k90": "k for 90%",
    "learned.col.k": "k",
    "learned.col.error": "rel. Frobenius error",
    "learned.col.loss": "held-out loss",
    "learned.col.vs_full": "vs full update",
    "learned.plot.heat_title": "‖ΔW‖_F / ‖W₀‖_F by layer and projection",
    "learned.plot.relative_short": "‖ΔW‖/‖W₀‖",
    "learned.plot.heat_hover": "layer %{y}, %{x}<br>‖ΔW‖/‖W₀‖ = %{z:.4g}<br>top-1 energy %{customdata}",
    "learned.plot.projection": "projection",
    "learned.plot.layer": "layer",
    "learned.plot.singular": "singular value sᵢ",
    "learned.plot.energy": "cumulative energy",
    "learned.plot.energy_hover": "top %{x}: %{y:.1%} of the energy",
    "learned.plot.direction": "direction i",
    "learned.plot.spectrum_title": "Layer {layer} {projection}: 90% of the energy in k = {k}",
    "learned.plot.truncated": "rank-k truncation",
    "learned.plot.rank_hover": "k = %{x}<br>held-out loss %{y:.5f}<br>rel. error %{customdata:.3f}",
    "learned.plot.full": "full update {loss}",
    "learned.plot.base": "4-bit base, adapter off {loss}",
    "learned.plot.base_above": "4-bit base, adapter off: {loss} (above)",
    "learned.plot.rank_title": "Layer {layer} {projection}: held-out loss of the best rank-k update",
    "learned.plot.k": "rank k (0: this module's update off)",
    "learned.plot.loss": "held-out loss per answer token",
    # UI messages
    "learned.err.pick_run": "pick a run first (train one in the QLoRA Studio tab)",
    "learned.err.pick_module": "pick a layer and a projection first (Analyze fills them)",
    "learned.err.layer": "the layer must be a whole number, got {value}",

}

KO: dict[str, str] = {
    "tab.learned": "어댑터가 배운 것",
    "learned.err.not_adapter": "{path}에 LoRA 어댑터가 없습니다 (없는 파일: {missing})",
    "learned.err.bad_config": "어댑터 설정 {path}을(를) 읽을 수 없습니다: {error}",
    "learned.err.patterns": "어댑터 {path}는 모듈마다 랭크나 α를 따로 정합니다. 모든 모듈에 하나의 랭크와 α인 어댑터만 지원합니다",
    "learned.err.factors": "어댑터의 모듈 {module}에 랭크 {rank}의 A와 B가 짝지어 있지 않습니다",
    "learned.err.no_modules": "{path}에 디코더 레이어 투영(projection)의 LoRA A, B가 없습니다",
    "learned.err.no_4bit": "기반 모델에 업데이트와 비교할 4비트 선형 레이어가 없습니다",
    "learned.err.no_base": "기반 모델에 어댑터 모듈 {module}의 4비트 가중치가 없습니다",
    "learned.err.k": "랭크 k는 0부터 {rank}까지여야 합니다 (입력: {k})",
    "learned.err.no_module": (
        "어댑터에 레이어 {layer}, {projection}의 업데이트가 없습니다 (레이어 {layers}; 투영: {projections})"
    ),
    "learned.err.no_lora_layer": "모델에 LoRA 레이어 {module}이(가) 없습니다",
    "learned.err.no_held_out": "점수를 낼 검증(held-out) 예제가 없습니다",
    "learned.err.examples": "검증 예제 수는 1부터 {limit}까지의 정수여야 합니다 (입력: {value})",
    "learned.err.prompts": "병합 확인 프롬프트 수는 1부터 8까지의 정수여야 합니다 (입력: {value})",
    "learned.intro": (
        "### 어댑터가 배운 것\n"
        "LoRA 어댑터는 대상 가중치 W₀마다 랭크가 최대 r인 업데이트 **ΔW = (α/r)·B·A**를 더합니다 (Hu et al. 2021). "
        "여기서는 Studio에서 학습한 실행(run)의 업데이트를 분해합니다: **특이값**(업데이트가 각 방향으로 얼마나 "
        "놓여 있는지), 상위 k개 방향에 담긴 에너지 ‖ΔW‖²_F의 비율, 그리고 바꾸는 가중치에 대한 크기 ‖ΔW‖_F / ‖W₀‖_F "
        "(W₀는 실행이 학습할 때 쓴 역양자화된 4비트 가중치). LoRA 논문(§7)은 이 업데이트의 *내재 랭크(intrinsic "
        "rank)*가 매우 낮다는 것, 즉 몇 개의 방향이 거의 전부를 담는다는 것을 보였습니다. 아래에서 여러분의 실행으로, "
        "노름과 검증 손실 두 가지로 직접 측정합니다."
    ),
    "learned.run": "실행(run)",
    "learned.run_info": "QLoRA Studio 탭에서 학습한 실행 (먼저 그곳에서 하나 학습하세요)",
    "learned.analyze": "분석",
    "learned.heatmap": "가장 많이 움직인 레이어",
    "learned.table": "모듈별",
    "learned.summary": (
        "**랭크 r = {rank}, α = {alpha}, 스케일 {scale} = {value}**, {layers}개 레이어의 모듈 {modules}개. "
        "업데이트 에너지의 90%를 담는 k의 중앙값: {rank} 중 **{median}**. 가장 많이 움직인 모듈 (‖ΔW‖/‖W₀‖): {moved}."
    ),
    "learned.scale_lora": "α/r",
    "learned.scale_rslora": "α/√r (rsLoRA)",
    "learned.moved_item": "레이어 {layer} {projection} ({relative})",
    "learned.module_intro": (
        "#### 한 모듈의 스펙트럼\n"
        "막대는 ΔW의 특이값 s₁ ≥ s₂ ≥ … 입니다 (ΔW = (α/r)·B·A의 랭크는 r 이하이므로 최대 r개). 선은 누적 에너지 비율 "
        "Σᵢ≤ₖ sᵢ² / Σ sᵢ²이며 k = r에서 100%가 됩니다. ΔW를 만들지 않고 인수에서 정확히 계산합니다 (B와 Aᵀ의 QR, "
        "그다음 r × r 행렬의 SVD)."
    ),
    "learned.layer": "레이어",
    "learned.projection": "투영(projection)",
    "learned.spectrum": "특이값과 에너지",
    "learned.explorer_intro": (
        "### 랭크 탐색기\n"
        "업데이트가 정말 중요한 곳에서도 낮은 랭크일까요? 위에서 고른 모듈의 업데이트 ΔW를 **최적의 랭크 k 근사**"
        "(Eckart–Young: 상위 k개 특이 방향)로 바꾸고, k = 0(이 모듈의 업데이트 끔)부터 k = r(전체 업데이트)까지 "
        "실행의 검증 손실을 다시 잽니다. 여러분의 어댑터를 얹은 공유 4비트 모델에서 계산합니다. 곡선이 일찍 전체 "
        "업데이트의 선에 닿는다면 나머지 방향은 필요 없었다는 뜻입니다: LoRA 논문 §7의 내재 랭크를 여러분의 실행에서 "
        "잰 것입니다. 비용: 고른 검증 예제에 대해 r + 3번의 순전파 (요청마다 모듈 하나)."
    ),
    "learned.examples": "검증 예제 수",
    "learned.examples_info": "각 k에서 점수를 내는 예제 (실행의 검증 분할 이하)",
    "learned.field.examples": "검증 예제 수",
    "learned.explore": "랭크 탐색",
    "learned.rank_plot": "k에 따른 검증 손실",
    "learned.rank_table": "랭크 k 절단",
    "learned.sweep.text": (
        "**레이어 {layer} {projection}:** {rank} 중 k = **{k}**부터 검증 손실이 이 모듈의 업데이트를 끈 경우({off})"
        "에서 전체 업데이트({full})까지 거리의 10% 안에 듭니다. 어댑터 전체를 끈 4비트 기반 모델: {base}. "
        "측정: 검증 예제 {examples}개(답변 토큰 {tokens}개)에 대한 순전파 {passes}번, {seconds}초."
    ),
    "learned.merge_intro": (
        "### 병합 확인\n"
        "어댑터를 역양자화된 4비트 기반 모델에 병합하면(W = W₀ + ΔW, float32) 어댑터를 병합하지 않은 기반 모델과 "
        "같은 모델이어야 합니다: 몇 개의 검증 예제에서 두 모델의 로짓(logit)을 비교합니다."
    ),
    "learned.merge": "병합 확인",
    "learned.merge.text": (
        "**최대 |Δlogit| = {max_abs}** (상대 {relative}; 가장 큰 |logit|은 {max_logit}), 검증 예제 {prompts}개"
        "(토큰 {tokens}개)에서 병합 대 비병합: {verdict} {tolerance}. 병합 대 Studio가 답하는 4비트 모델 + 어댑터: "
        "{served}. ({seconds}초)"
    ),
    "learned.merge.within": "✓ 허용 오차 이내",
    "learned.merge.outside": "✗ 허용 오차 초과",
    "learned.col.layer": "레이어",
    "learned.col.projection": "투영",
    "learned.col.relative": "‖ΔW‖/‖W₀‖",
    "learned.col.top1": "상위 1 에너지",
    "learned.col.k90": "90%의 k",
    "learned.col.k": "k",
    "learned.col.error": "상대 프로베니우스 오차",
    "learned.col.loss": "검증 손실",
    "learned.col.vs_full": "전체 업데이트 대비",
    "learned.plot.heat_title": "레이어와 투영별 ‖ΔW‖_F / ‖W₀‖_F",
    "learned.plot.relative_short": "‖ΔW‖/‖W₀‖",
    "learned.plot.heat_hover": "레이어 %{y}, %{x}<br>‖ΔW‖/‖W₀‖ = %{z:.4g}<br>상위 1 에너지 %{customdata}",
    "learned.plot.projection": "투영",
    "learned.plot.layer": "레이어",
    "learned.plot.singular": "특이값 sᵢ",
    "learned.plot.energy": "누적 에너지",
    "learned.plot.energy_hover": "상위 %{x}개: 에너지의 %{y:.1%}",
    "learned.plot.direction": "방향 i",
    "learned.plot.spectrum_title": "레이어 {layer} {projection}: 에너지의 90%가 k = {k}개 방향에",
    "learned.plot.truncated": "랭크 k 절단",
    "learned.plot.rank_hover": "k = %{x}<br>검증 손실 %{y:.5f}<br>상대 오차 %{customdata:.3f}",
    "learned.plot.full": "전체 업데이트 {loss}",
    "learned.plot.base": "4비트 기반, 어댑터 끔 {loss}",
    "learned.plot.base_above": "4비트 기반, 어댑터 끔: {loss} (위쪽)",
    "learned.plot.rank_title": "레이어 {layer} {projection}: 최적 랭크 k 업데이트의 검증 손실",
    "learned.plot.k": "랭크 k (0: 이 모듈의 업데이트 끔)",
    "learned.plot.loss": "답변 토큰당 검증 손실",
    "learned.err.pick_run": "먼저 실행을 고르세요 (QLoRA Studio 탭에서 하나 학습하세요)",
    "learned.err.pick_module": "먼저 레이어와 투영을 고르세요 (분석을 누르면 채워집니다)",
    "learned.err.layer": "레이어는 정수여야 합니다 (입력: {value})",

}
