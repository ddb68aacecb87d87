"""Texts of the experiment presets and of resuming a run (playground/finetune/experiments.py). EN and KO
hold the same keys (tests/test_i18n.py checks it)."""

from __future__ import annotations

EN: dict[str, str] = {
    # the presets: a title and what the runs show
    "experiments.rank.title": "LoRA rank",
    "experiments.rank.look_for": (
        "Three runs with r = 2, 8 and 32, α scaled with r (α/r kept at the base's: 2 for r = 8, α = 16). Look at how "
        "fast the held-out loss falls and where it ends. In a short run the larger ranks usually end lower: AdamW "
        "moves every LoRA parameter by about the same step, so at the same α/r a higher rank also changes ΔW more per "
        "step, and rank and step size are not separate here. The LoRA paper's Table 6 (Hu et al. 2021) compares ranks "
        "after full training, where even r = 1 or 2 is competitive; the What it learned tab's rank explorer shows how "
        "many of an update's directions the held-out loss needs. The trainable parameters, and with them the adapter's "
        "size and its gradients + AdamW memory, grow in proportion to r: ×4 from r = 8 to r = 32."
    ),
    "experiments.quant_type.title": "4-bit type: NF4 vs FP4",
    "experiments.quant_type.look_for": (
        "Two runs that differ only in the 4-bit data type of the frozen weights. Both take the same memory (4 bits per "
        "weight plus the same constants). NF4's 16 levels are placed for normally distributed weights, so the 4-bit "
        "base usually starts at a lower held-out loss (the step-0 point) than with FP4; training the adapter narrows "
        "the gap but, in the QLoRA paper (Dettmers et al. 2023), NF4 stays ahead after fine-tuning too."
    ),
    "experiments.double_quant.title": "Double quantization: on vs off",
    "experiments.double_quant.look_for": (
        "Two runs with and without double quantization (DQ): the quantization constants (one per 64 weights) are "
        "themselves quantized to 8 bits. The loss curves should lie almost on top of each other (the QLoRA paper "
        "finds no loss in quality), while the weights need 0.37 bit per parameter less: 32/64 = 0.5 bit of constants "
        "without DQ, 8/64 + 32/(64·256) ≈ 0.127 bit with it, about 5 MB on SmolLM2-135M and 3 GB on a 65B model. "
        "The memory estimate's weights line shows it; the measured peak may hide a difference this small."
    ),
    "experiments.targets.title": "Target modules: attention vs all",
    "experiments.targets.look_for": (
        "Two runs: LoRA on the attention projections only (q, k, v, o) and on every projection (with the MLP's gate, "
        "up and down). On SmolLM2-135M at r = 8 the second has about 2.7× the trainable parameters (the MLP "
        "matrices are the larger ones). The QLoRA paper (Dettmers et al. 2023, Figure 2) finds adapting every "
        "linear layer is what matches full fine-tuning; with the same steps, expect the all-projections run to "
        "reach the lower held-out loss."
    ),
    "experiments.learning_rate.title": "Learning rate: ×0.3, ×1, ×3",
    "experiments.learning_rate.look_for": (
        "Three runs at 0.3, 1 and 3 times the base learning rate, with the same warmup and cosine schedule. ×0.3 "
        "lowers the loss most slowly; ×3 drops it fastest at first and may turn unstable (a spiky train loss, or a "
        "held-out loss that climbs back up). Which one ends lowest depends on the task and the number of steps: "
        "what to see is how much this one setting changes the run."
    ),
    # the experiment's progress messages
    "experiments.msg.variant": "{title} {index}/{count}: {variant}",
    "experiments.msg.variant_message": "{prefix} · {message}",
    "experiments.msg.rest_skipped": "; the experiment's {count} remaining runs were not started",
    "experiments.msg.resumed_note": "; resumed after step {step}",
    "experiments.field.extra_steps": "more steps",
    # refusals
    "experiments.err.unknown": "no experiment called {value}: the experiments are {names}",
    "experiments.err.runs_left": (
        "the {name} experiment makes {count} runs, and this session has room for {left} more "
        "(at most {most} runs per session, PLAYGROUND_MAX_RUNS_PER_SESSION)"
    ),
    "experiments.err.variant": "the variant {variant}: {error}",
    "experiments.err.no_state": (
        "{run_id} kept no training state (optimizer state and schedule), so it cannot be resumed: start a new run"
    ),
    "experiments.err.no_state_file": "no saved training state (training_state.pt and the adapter) in {folder}",
    "experiments.err.steps_needed": (
        "{run_id} finished its {steps} steps: give the number of extra steps to train it for"
    ),
    "experiments.err.resume_total": (
        "resuming {run_id} (at step {done}) for {extra} more steps makes {total} steps, more than the {limit} "
        "one run may have on this server (PLAYGROUND_MAX_STEPS)"
    ),
    "experiments.err.resume_settings": (
        "the training state was taken with other settings ({keys}): a resumed run keeps its run's settings"
    ),
    "experiments.err.resume_data": (
        "these training examples are not the ones the run trained on: a run resumes on its own data"
    ),
    "experiments.err.resume_steps": (
        "the run already did {done} steps: resuming needs more than {done} steps in all (asked: {steps})"
    ),
    "experiments.err.resume_adapter": "the saved adapter does not match the run's LoRA settings",
}

KO: dict[str, str] = {
    "experiments.rank.title": "LoRA 랭크",
    "experiments.rank.look_for": (
        "r = 2, 8, 32로 세 번 학습하고, α는 r에 비례해 바꿉니다(α/r을 기본 설정의 값으로 유지: r = 8, α = 16이면 2). "
        "평가용(held-out) 손실이 얼마나 빨리 내려가고 어디서 멈추는지 보세요. 짧은 학습에서는 대개 랭크가 클수록 더 낮게 "
        "끝납니다: AdamW는 LoRA 파라미터 하나하나를 비슷한 크기만큼 움직이므로, α/r이 같으면 랭크가 클수록 한 스텝에 "
        "ΔW가 더 많이 바뀝니다. 즉 여기서는 랭크와 스텝 크기가 따로 떨어져 있지 않습니다. LoRA 논문(Hu et al. 2021)의 "
        "표 6은 학습을 끝까지 한 뒤의 랭크를 비교하며, 거기서는 r = 1이나 2도 충분히 경쟁력이 있습니다. '어댑터가 배운 것' "
        "탭의 랭크 탐색기는 평가용 손실에 업데이트의 방향이 몇 개나 필요한지 보여 줍니다. 학습 가능한 파라미터 수, "
        "그리고 그에 따라 어댑터 크기와 그래디언트 + AdamW 메모리는 r에 비례해 늘어납니다: r = 8에서 r = 32로 4배."
    ),
    "experiments.quant_type.title": "4비트 형식: NF4 대 FP4",
    "experiments.quant_type.look_for": (
        "고정된 가중치의 4비트 데이터 형식만 다른 두 실행입니다. 메모리는 같습니다(가중치당 4비트와 같은 상수). NF4의 "
        "16개 값은 정규분포를 따르는 가중치에 맞춰 놓여 있어서, 4비트 베이스의 평가용 손실(스텝 0의 점)이 보통 FP4보다 "
        "낮게 시작합니다. 어댑터를 학습하면 차이가 줄지만, QLoRA 논문(Dettmers et al. 2023)에서는 파인튜닝 뒤에도 "
        "NF4가 앞섭니다."
    ),
    "experiments.double_quant.title": "이중 양자화: 켬 대 끔",
    "experiments.double_quant.look_for": (
        "이중 양자화(DQ)를 켜고 끈 두 실행입니다: 양자화 상수(가중치 64개당 하나)를 다시 8비트로 양자화합니다. 손실 "
        "곡선은 거의 겹쳐야 합니다(QLoRA 논문은 품질 손실이 없다고 보고합니다). 대신 가중치는 파라미터당 0.37비트 "
        "덜 씁니다: DQ 없이 상수가 32/64 = 0.5비트, DQ로 8/64 + 32/(64·256) ≈ 0.127비트이며, SmolLM2-135M에서 약 "
        "5 MB, 65B 모델에서 3 GB입니다. 메모리 추정치의 가중치 줄에 나타나며, 측정된 최대 메모리에는 이렇게 작은 "
        "차이가 드러나지 않을 수 있습니다."
    ),
    "experiments.targets.title": "대상 모듈: 어텐션 대 전체",
    "experiments.targets.look_for": (
        "두 실행: 어텐션 프로젝션(q, k, v, o)에만 LoRA를 붙인 것과 모든 프로젝션(MLP의 gate, up, down 포함)에 붙인 "
        "것. SmolLM2-135M에서 r = 8이면 뒤쪽의 학습 가능한 파라미터가 약 2.7배입니다(MLP 행렬이 더 큽니다). QLoRA "
        "논문(Dettmers et al. 2023, 그림 2)에 따르면 모든 선형 레이어에 어댑터를 붙여야 전체 파인튜닝 성능에 "
        "이릅니다. 같은 스텝 수라면 모든 프로젝션 실행의 평가용 손실이 더 낮아지리라 예상하세요."
    ),
    "experiments.learning_rate.title": "학습률: ×0.3, ×1, ×3",
    "experiments.learning_rate.look_for": (
        "기본 학습률의 0.3배, 1배, 3배로 세 번 학습합니다(워밍업과 코사인 스케줄은 같음). ×0.3은 손실이 가장 천천히 "
        "내려가고, ×3은 처음에 가장 빨리 내려가지만 불안정해질 수 있습니다(학습 손실이 튀거나, 평가용 손실이 다시 "
        "올라감). 어느 쪽이 가장 낮게 끝나는지는 과제와 스텝 수에 달려 있습니다: 볼 것은 이 설정 하나가 실행을 얼마나 "
        "바꾸는지입니다."
    ),
    "experiments.msg.variant": "{title} {index}/{count}: {variant}",
    "experiments.msg.variant_message": "{prefix} · {message}",
    "experiments.msg.rest_skipped": "; 실험의 남은 실행 {count}개는 시작하지 않았습니다",
    "experiments.msg.resumed_note": "; {step} 스텝 뒤부터 이어서 학습",
    "experiments.field.extra_steps": "추가 스텝 수",
    "experiments.err.unknown": "{value}라는 실험은 없습니다. 실험: {names}",
    "experiments.err.runs_left": (
        "{name} 실험은 실행 {count}개를 만드는데, 이 세션에는 {left}개를 더 둘 자리만 있습니다"
        "(세션당 최대 {most}개, PLAYGROUND_MAX_RUNS_PER_SESSION)"
    ),
    "experiments.err.variant": "변형 {variant}: {error}",
    "experiments.err.no_state": (
        "{run_id}에는 학습 상태(옵티마이저 상태와 스케줄)가 저장되어 있지 않아 이어서 학습할 수 없습니다. 새 실행을 시작하세요"
    ),
    "experiments.err.no_state_file": "{folder}에 저장된 학습 상태(training_state.pt와 어댑터)가 없습니다",
    "experiments.err.steps_needed": "{run_id}은(는) {steps} 스텝을 모두 마쳤습니다. 더 학습할 스텝 수를 정하세요",
    "experiments.err.resume_total": (
        "{run_id}을(를) ({done} 스텝에서) {extra} 스텝 더 학습하면 모두 {total} 스텝이 되어, 이 서버에서 한 실행에 "
        "허용되는 {limit} 스텝을 넘습니다(PLAYGROUND_MAX_STEPS)"
    ),
    "experiments.err.resume_settings": (
        "학습 상태가 다른 설정({keys})으로 저장되었습니다. 이어서 학습하는 실행은 원래 실행의 설정을 유지합니다"
    ),
    "experiments.err.resume_data": "이 학습 예제는 원래 실행이 학습한 예제가 아닙니다. 원래 데이터로만 이어서 학습할 수 있습니다",
    "experiments.err.resume_steps": (
        "이 실행은 이미 {done} 스텝을 학습했습니다. 이어서 학습하려면 전체 스텝 수가 {done}보다 커야 합니다(요청: {steps})"
    ),
    "experiments.err.resume_adapter": "저장된 어댑터가 이 실행의 LoRA 설정과 맞지 않습니다",
}
