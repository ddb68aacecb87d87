"""Texts of the lesson section. EN and KO hold the same keys (tests/test_i18n.py checks it)."""

from __future__ import annotations

EN: dict[str, str] = {
    # the panel
    "lesson.heading": "Lesson: the study notes, step by step (for instructors)",
    "lesson.picker": "Step",
    "lesson.picker_start": "— start —",
    "lesson.previous": "◀ Previous",
    "lesson.next": "Next ▶",
    "lesson.counter_start": "**{n} steps** that follow the study notes: quantization basics → blockwise → NF4 → "
                            "double quantization → adapters → LoRA → prompt tuning → QLoRA run and compare. "
                            "Press **Next** to start.",
    "lesson.intro": "Each step opens its tab and puts in the settings it needs; what to look at and one question "
                    "for the room appear here. Settings a step does not name keep their value. **Reset tab** puts "
                    "the selected tab's settings back as they were when the page opened (the Studio: its quick "
                    "preset). **Projector mode**: large type for a room, remembered in this browser.",
    "lesson.counter": "**Step {k} of {n}** · {title}",
    "lesson.question": "**Question for the room:** {question}",
    "lesson.show_answer": "Show answer",
    "lesson.reset": "Reset tab",
    "lesson.projector": "Projector mode",
    "lesson.err.step": "There is no lesson step {step}; the steps are {steps}.",
    "lesson.err.unknown_setting": "Lesson step {step}: the {tab} tab has no setting named {names}.",
    # 1
    "lesson.absmax.title": "1. Quantization basics: absmax and zero-point",
    "lesson.absmax.look": "The step-by-step table quantizes the notes' vector [1.2, −0.5, −4.3, 1.2, −3.1, 0.8, 2.4, "
                          "5.4] to int8. **absmax**: c = 127 / absmax = 127 / 5.4 = 23.52, q = round(c·x), so the "
                          "codes are 28, −12, −101, 28, −73, 19, 56, 127 and x̂ = q / c. **zero-point**: "
                          "c = 255 / (5.4 − (−4.3)) = 26.29, zero point = round(−c·min) − 128 = −15, so −4.3 → −128 "
                          "and 5.4 → 127; x̂ = (q − zp) / c.",
    "lesson.absmax.question": "absmax sends 5.4 to 127, but −4.3 only reaches −101. Which codes are never used, "
                              "and what does zero-point do about it?",
    "lesson.absmax.answer": "Codes −127 … −102 stay unused: absmax is symmetric around 0 and this vector reaches "
                            "further on the positive side. Zero-point shifts the range so that min → −128 and "
                            "max → 127, using both ends; the price is a second constant (the zero point) and a 0 "
                            "that is not always exact. absmax keeps 0 exact: 0 · c = 0.",
    # 2
    "lesson.outliers.title": "2. Outliers: one constant for the whole tensor",
    "lesson.outliers.look": "4,096 normal values with 8 outliers of magnitude 10, 4-bit absmax **per tensor**: one "
                            "absmax (10) for all of them. The code-usage plot: the normal values use only 9 of the "
                            "15 codes; the metrics table shows an RMSE of about 0.41.",
    "lesson.outliers.question": "Why does a handful of large values make every other value less precise?",
    "lesson.outliers.answer": "The one constant c = 7 / absmax is set by the outliers: the levels are 10 / 7 ≈ 1.4 "
                              "apart, so values near 0 are rounded coarsely and most codes stay unused. As the notes "
                              "say: with outliers or a skewed distribution, quantizing the whole tensor at once loses "
                              "information.",
    # 3
    "lesson.blockwise.title": "3. Blockwise quantization",
    "lesson.blockwise.look": "The same values in blocks of 64, one absmax per block: only the blocks that hold an "
                             "outlier keep the coarse step. The RMSE falls from about 0.41 to about 0.17 and all 15 "
                             "codes are used. The cost is one 32-bit constant per 64 values: 32/64 = 0.5 bits, so "
                             "4 + 0.5 = 4.5 bits per parameter (metrics table).",
    "lesson.blockwise.question": "What would blocks of 32, or of 4096, change in the error and in the bits per "
                                 "parameter?",
    "lesson.blockwise.answer": "Smaller blocks: fewer values share an outlier's constant (less error) but there are "
                               "more constants (32/32 = 1 extra bit: 5 bits per parameter). Larger blocks: fewer "
                               "constants (32/4096 ≈ 0.008 bits) but each outlier hurts more values. 64 is the "
                               "default of QLoRA and bitsandbytes.",
    # 4
    "lesson.nf4.title": "4. NF4: levels where the weights are",
    "lesson.nf4.look": "65,536 normal values, 4-bit in blocks of 64. absmax int4 spaces its 15 levels evenly; NF4's "
                       "16 levels are quantiles of the normal distribution, dense near 0 where most weights are "
                       "(the levels plot; the NF4 derivation below). At the same 4.5 bits per parameter NF4's RMSE "
                       "is lower: about 0.092 against 0.107.",
    "lesson.nf4.question": "NF4 has 8 positive levels, 7 negative ones and an exact 0. Why not 8 and 8?",
    "lesson.nf4.answer": "With 16 codes, a symmetric set of quantiles has no level at exactly 0. QLoRA takes 8 "
                         "positive and 7 negative quantiles and adds 0, so zero stays exact. The scale is still "
                         "absmax per block: x / absmax falls in [−1, 1] and the nearest NF4 level is stored.",
    # 5
    "lesson.double-quant.title": "5. Double quantization",
    "lesson.double-quant.look": "NF4 with **double quantization**: the blocks' absmax constants (one 32-bit number "
                                "per 64 weights) are quantized again, to 8 bits in blocks of 256. Bits per "
                                "parameter: 4 + 32/64 = 4.5 without it, 4 + 8/64 + 32/(64·256) = 4.127 with it "
                                "(metrics table: NF4 + DQ, 4.126953125). The error hardly moves.",
    "lesson.double-quant.question": "How much memory does double quantization save on a 65B-parameter model?",
    "lesson.double-quant.answer": "About 0.373 bits per parameter: 0.373 × 65·10⁹ / 8 bytes ≈ 3 GB, the figure in "
                                  "the QLoRA paper.",
    # 6
    "lesson.adapter.title": "6. Adapter: the 6 → 2 → 6 bottleneck",
    "lesson.adapter.look": "A custom model with d = 6 and a bottleneck of m = 2, as in the notes: down-projection "
                           "6 → 2, nonlinearity, up-projection 2 → 6, and the skip connection. Parameter table: one "
                           "adapter has 2md + d + m = 2·2·6 + 6 + 2 = **32** parameters (weights and biases); "
                           "Houlsby puts two in each layer, after attention and after the FFN. The drawing shows "
                           "them in series with the layer.",
    "lesson.adapter.question": "LoRA with r = 2 on q and v has 24 parameters per matrix here. Apart from the count, "
                               "what makes the adapter slower at inference?",
    "lesson.adapter.answer": "The adapter sits in series: its down-projection, nonlinearity and up-projection run "
                             "after the layer, on the path of every token. LoRA's B·A runs in parallel with W and "
                             "merges into it (W = W₀ + BA), so once merged it adds no latency. The LoRA paper "
                             "measured adapters 20–30% slower at batch 1.",
    # 7
    "lesson.lora.title": "7. LoRA: d = 4096, r = 16",
    "lesson.lora.look": "A 7B-sized shape (d = 4096, 32 layers) with LoRA r = 16 on q and v. One 4096 × 4096 W has "
                        "16,777,216 parameters; its A and B have 16·(4096 + 4096) = **131,072** (the table's "
                        "per-layer column), about 0.78% of one W. Over 32 layers and two matrices: 8,388,608, about "
                        "0.13% of the model.",
    "lesson.lora.question": "If we double r to 32, what happens to the trainable parameters, and what do the notes "
                            "say about a large r?",
    "lesson.lora.answer": "They double (r·(d_in + d_out) grows linearly with r): 262,144 per matrix. The notes: "
                          "r between 4 and 16 is usually enough; above 16 the results plateau, and what r = 8 and "
                          "r = 64 learn overlaps strongly.",
    # 8
    "lesson.prompt-tuning.title": "8. Prompt tuning: train the input, not the model",
    "lesson.prompt-tuning.look": "The loaded model (SmolLM2-135M, d = 576) with 20 virtual tokens: prompt tuning "
                                 "trains n·d = 20·576 = **11,520** embedding values put in front of the input, and "
                                 "every weight of the model stays frozen. In the table: LoRA r = 8 on q and v has "
                                 "460,800, Houlsby adapters with m = 36 have 2,525,040. The sweep chart shows how "
                                 "each grows with its setting.",
    "lesson.prompt-tuning.question": "Prompt tuning trains by far the fewest parameters. What does it give up?",
    "lesson.prompt-tuning.answer": "It only steers the input: the virtual tokens take part of the context at every "
                                   "call, and, as the notes say, acting on the input limits what a task can change. "
                                   "The prompt tuning paper catches up with full fine-tuning only as models reach "
                                   "billions of parameters.",
    # 9
    "lesson.qlora-run.title": "9. QLoRA: train a LoRA on a 4-bit base",
    "lesson.qlora-run.look": "The Studio with the quick preset: the base loaded in NF4 with double quantization, "
                             "LoRA r = 8 on all seven projections, 20 steps on the pirate set. Read the estimate "
                             "(memory by part, time), then press **Start** and follow the loss curve and the "
                             "held-out loss before and after.",
    "lesson.qlora-run.question": "What is frozen and 4-bit, what is trained, and in which precision does the "
                                 "matrix product run?",
    "lesson.qlora-run.answer": "The base weights are frozen in NF4 (plus the double-quantized constants); only "
                               "LoRA's A and B train, in 16 or 32 bits. Each forward pass dequantizes the 4-bit "
                               "weights block by block to the compute type and adds B·A·x: "
                               "h = doubleDequant(W)·x + BAx, the notes' QLoRA formula.",
    # 10
    "lesson.qlora-compare.title": "10. Compare: original, 4-bit base, 4-bit + LoRA",
    "lesson.qlora-compare.look": "After the run, choose it under the run picker and press **Compare**: the same "
                                 "prompt and held-out questions answered by the original weights, by the 4-bit base "
                                 "alone and by the 4-bit base with the trained LoRA; the metric table scores the "
                                 "held-out set. Offline, the original is the bundled copy, whose weights already "
                                 "carry Q4_1's 4-bit rounding.",
    "lesson.qlora-compare.question": "Before any training, why can the 4-bit base answer differently from the "
                                     "original?",
    "lesson.qlora-compare.answer": "Quantizing to NF4 moves every weight a little (the error of steps 2–5); in a "
                                   "135M model that is enough to change some next-token choices, and the loss before "
                                   "training is higher after NF4. The LoRA is trained on that 4-bit base and learns "
                                   "to work with it.",
}

KO: dict[str, str] = {
    # the panel
    "lesson.heading": "수업: 스터디 노트를 한 단계씩 (강사용)",
    "lesson.picker": "단계",
    "lesson.picker_start": "— 시작 —",
    "lesson.previous": "◀ 이전",
    "lesson.next": "다음 ▶",
    "lesson.counter_start": "스터디 노트를 따라가는 **{n}단계**: 양자화 기초 → 블록 단위 양자화 → NF4 → 이중 양자화 → "
                            "어댑터 → LoRA → 프롬프트 튜닝 → QLoRA 학습과 비교. **다음**을 눌러 시작하세요.",
    "lesson.intro": "각 단계는 해당 탭을 열고 필요한 설정을 넣습니다. 무엇을 볼지와 청중에게 던질 질문 하나가 여기에 "
                    "나타납니다. 단계가 지정하지 않은 설정은 그대로 둡니다. **탭 초기화**는 선택한 탭의 설정을 페이지를 "
                    "열었을 때의 값으로 되돌립니다(Studio는 quick 프리셋). **프로젝터 모드**: 강의실용 큰 글씨, 이 "
                    "브라우저가 기억합니다.",
    "lesson.counter": "**{n}단계 중 {k}단계** · {title}",
    "lesson.question": "**청중에게 던질 질문:** {question}",
    "lesson.show_answer": "답 보기",
    "lesson.reset": "탭 초기화",
    "lesson.projector": "프로젝터 모드",
    "lesson.err.step": "{step}라는 수업 단계는 없습니다. 단계: {steps}.",
    "lesson.err.unknown_setting": "수업 단계 {step}: {tab} 탭에는 {names}라는 설정이 없습니다.",
    # 1
    "lesson.absmax.title": "1. 양자화 기초: absmax와 zero-point",
    "lesson.absmax.look": "단계별 표가 노트의 벡터 [1.2, −0.5, −4.3, 1.2, −3.1, 0.8, 2.4, 5.4]를 INT8로 양자화합니다. "
                          "**absmax**: 양자화 상수 c = 127 / absmax = 127 / 5.4 = 23.52, q = round(c·x)이므로 코드는 "
                          "28, −12, −101, 28, −73, 19, 56, 127이고 x̂ = q / c입니다. **zero-point**: "
                          "c = 255 / (5.4 − (−4.3)) = 26.29, zero-point = round(−c·min) − 128 = −15이므로 −4.3 → −128, "
                          "5.4 → 127이고 x̂ = (q − zp) / c입니다.",
    "lesson.absmax.question": "absmax는 5.4를 127로 보내지만 −4.3은 −101까지만 갑니다. 어떤 코드가 전혀 쓰이지 않고, "
                              "zero-point는 이를 어떻게 해결할까요?",
    "lesson.absmax.answer": "코드 −127 … −102가 쓰이지 않습니다. absmax는 0을 중심으로 대칭인데 이 벡터는 양수 쪽으로 더 "
                            "멀리 갑니다. zero-point는 범위를 옮겨 min → −128, max → 127로 양 끝을 모두 씁니다. 대신 "
                            "상수가 하나 더(zero-point) 필요하고 0이 항상 정확하지는 않습니다. absmax는 0을 정확히 "
                            "지킵니다: 0 · c = 0.",
    # 2
    "lesson.outliers.title": "2. 특이값: 텐서 전체에 상수 하나",
    "lesson.outliers.look": "정규분포 값 4,096개에 크기 10의 특이값 8개, **텐서 전체**를 4비트 absmax로 양자화합니다: "
                            "모든 값에 absmax(10) 하나. 코드 사용 그림을 보면 정규분포 값들은 15개 코드 중 9개만 "
                            "씁니다. 지표 표의 RMSE는 약 0.41입니다.",
    "lesson.outliers.question": "큰 값 몇 개가 왜 나머지 모든 값의 정밀도를 떨어뜨릴까요?",
    "lesson.outliers.answer": "하나뿐인 상수 c = 7 / absmax를 특이값이 정합니다. 레벨 간격이 10 / 7 ≈ 1.4라서 0 근처의 "
                              "값들이 거칠게 반올림되고 대부분의 코드가 쓰이지 않습니다. 노트의 말대로, 특이값이 있거나 "
                              "분포가 치우치면 전체 데이터를 한 번에 양자화할 때 정보 손실이 생깁니다.",
    # 3
    "lesson.blockwise.title": "3. 블록 단위 양자화",
    "lesson.blockwise.look": "같은 값을 64개씩 블록으로 나누고 블록마다 absmax를 하나씩 둡니다. 특이값이 든 블록만 거친 "
                             "간격을 유지합니다. RMSE가 약 0.41에서 약 0.17로 떨어지고 15개 코드를 모두 씁니다. 비용은 "
                             "값 64개마다 32비트 상수 하나: 32/64 = 0.5비트, 즉 파라미터당 4 + 0.5 = 4.5비트입니다(지표 표).",
    "lesson.blockwise.question": "블록을 32개나 4096개로 하면 오차와 파라미터당 비트 수가 어떻게 달라질까요?",
    "lesson.blockwise.answer": "블록이 작으면 특이값의 상수를 공유하는 값이 적어(오차 감소) 상수가 많아집니다(32/32 = 1비트 "
                               "추가: 파라미터당 5비트). 블록이 크면 상수는 적지만(32/4096 ≈ 0.008비트) 특이값 하나가 더 "
                               "많은 값에 영향을 줍니다. 64는 QLoRA와 bitsandbytes의 기본값입니다.",
    # 4
    "lesson.nf4.title": "4. NF4: 가중치가 있는 곳에 레벨을",
    "lesson.nf4.look": "정규분포 값 65,536개, 블록 64의 4비트. absmax int4는 15개 레벨을 고르게 둡니다. NF4의 16개 "
                       "레벨은 정규분포의 분위수라서 가중치가 몰려 있는 0 근처에 촘촘합니다(레벨 그림, 아래의 NF4 유도). "
                       "같은 파라미터당 4.5비트에서 NF4의 RMSE가 더 낮습니다: 약 0.092 대 0.107.",
    "lesson.nf4.question": "NF4는 양수 레벨 8개, 음수 레벨 7개, 그리고 정확한 0을 가집니다. 왜 8개와 8개가 아닐까요?",
    "lesson.nf4.answer": "코드가 16개일 때 대칭인 분위수 집합에는 정확히 0인 레벨이 없습니다. QLoRA는 양수 분위수 8개와 "
                         "음수 분위수 7개를 잡고 0을 더해 0이 정확히 남게 합니다. 스케일은 여전히 블록별 absmax입니다: "
                         "x / absmax가 [−1, 1]에 들어가고 가장 가까운 NF4 레벨이 저장됩니다.",
    # 5
    "lesson.double-quant.title": "5. 이중 양자화",
    "lesson.double-quant.look": "**이중 양자화**를 켠 NF4: 블록의 absmax 상수(가중치 64개마다 32비트 수 하나)를 다시 "
                                "256개씩 블록으로 8비트 양자화합니다. 파라미터당 비트: 없으면 4 + 32/64 = 4.5, 있으면 "
                                "4 + 8/64 + 32/(64·256) = 4.127(지표 표: NF4 + DQ, 4.126953125). 오차는 거의 그대로입니다.",
    "lesson.double-quant.question": "65B 파라미터 모델에서 이중 양자화는 메모리를 얼마나 줄일까요?",
    "lesson.double-quant.answer": "파라미터당 약 0.373비트: 0.373 × 65·10⁹ / 8바이트 ≈ 3 GB로, QLoRA 논문의 수치와 "
                                  "같습니다.",
    # 6
    "lesson.adapter.title": "6. 어댑터: 6 → 2 → 6 Bottleneck",
    "lesson.adapter.look": "노트처럼 d = 6, bottleneck m = 2인 사용자 정의 모델: Down-projection 6 → 2, 비선형성, "
                           "Up-projection 2 → 6, 그리고 Skip-connection. 파라미터 표: 어댑터 하나는 2md + d + m = "
                           "2·2·6 + 6 + 2 = **32**개의 파라미터(가중치와 바이어스)를 가집니다. Houlsby는 레이어마다 "
                           "어텐션 뒤와 FFN 뒤에 두 개를 둡니다. 그림은 어댑터가 레이어와 직렬로 놓인 모습입니다.",
    "lesson.adapter.question": "여기서 q와 v에 r = 2인 LoRA는 행렬마다 파라미터 24개입니다. 개수 말고, 추론 때 어댑터를 "
                               "느리게 만드는 것은 무엇일까요?",
    "lesson.adapter.answer": "어댑터는 직렬(Sequential)로 놓입니다: Down-projection, 비선형성, Up-projection이 레이어 "
                             "뒤에서 모든 토큰의 경로 위에 실행됩니다. LoRA의 B·A는 W와 병렬(Parallel)로 계산되고 "
                             "W에 병합(W = W₀ + BA)되므로 병합 후에는 지연이 없습니다. LoRA 논문은 배치 1에서 어댑터가 "
                             "20–30% 느리다고 측정했습니다.",
    # 7
    "lesson.lora.title": "7. LoRA: d = 4096, 랭크 r = 16",
    "lesson.lora.look": "7B 크기의 모양(d = 4096, 32개 레이어)에 q와 v에 r = 16인 LoRA. 4096 × 4096 W 하나는 파라미터 "
                        "16,777,216개이고, 그 A와 B는 16·(4096 + 4096) = **131,072**개(표의 레이어당 열)로 W 하나의 "
                        "약 0.78%입니다. 32개 레이어와 행렬 두 개를 합치면 8,388,608개로 모델의 약 0.13%입니다.",
    "lesson.lora.question": "r을 32로 두 배 하면 학습 파라미터는 어떻게 되고, 노트는 큰 r에 대해 뭐라고 할까요?",
    "lesson.lora.answer": "두 배가 됩니다(r·(d_in + d_out)은 r에 비례): 행렬마다 262,144개. 노트: r은 보통 4에서 16이면 "
                          "충분하고, 16보다 크면 성능이 plateau에 이르며, r = 8과 r = 64가 학습한 공간은 많이 "
                          "겹칩니다.",
    # 8
    "lesson.prompt-tuning.title": "8. 프롬프트 튜닝: 모델이 아니라 입력을 학습",
    "lesson.prompt-tuning.look": "불러온 모델(SmolLM2-135M, d = 576)에 가상 토큰 20개: 프롬프트 튜닝은 입력 앞에 붙는 "
                                 "n·d = 20·576 = **11,520**개의 임베딩 값을 학습하고, 모델의 가중치는 모두 고정됩니다. "
                                 "표에서 q와 v에 r = 8인 LoRA는 460,800개, m = 36인 Houlsby 어댑터는 2,525,040개입니다. "
                                 "스윕 그림은 각 방법이 설정에 따라 어떻게 커지는지 보여 줍니다.",
    "lesson.prompt-tuning.question": "프롬프트 튜닝은 학습 파라미터가 가장 적습니다. 대신 무엇을 포기할까요?",
    "lesson.prompt-tuning.answer": "입력만 조정합니다: 가상 토큰이 매 호출마다 문맥의 일부를 차지하고, 노트의 말대로 "
                                   "입력을 통제하는 방식이라 태스크가 바꿀 수 있는 것이 제한됩니다. 프롬프트 튜닝 논문은 "
                                   "모델이 수십억 파라미터에 이르러서야 전체 미세조정을 따라잡습니다.",
    # 9
    "lesson.qlora-run.title": "9. QLoRA: 4비트 기본 모델 위에서 LoRA 학습",
    "lesson.qlora-run.look": "quick 프리셋의 Studio: 기본 모델을 NF4와 이중 양자화로 불러오고, 일곱 개 projection 모두에 "
                             "r = 8인 LoRA, pirate 세트로 20스텝. 추정치(부분별 메모리, 시간)를 읽은 뒤 **시작**을 "
                             "누르고 손실 곡선과 학습 전후의 held-out 손실을 보세요.",
    "lesson.qlora-run.question": "무엇이 고정된 4비트이고, 무엇이 학습되며, 행렬 곱은 어떤 정밀도로 계산될까요?",
    "lesson.qlora-run.answer": "기본 가중치는 NF4(그리고 이중 양자화된 상수)로 고정되고, LoRA의 A와 B만 16 또는 32비트로 "
                               "학습됩니다. 매 forward마다 4비트 가중치를 블록별로 계산 타입으로 비양자화하고 B·A·x를 "
                               "더합니다: h = doubleDequant(W)·x + BAx, 노트의 QLoRA 수식입니다.",
    # 10
    "lesson.qlora-compare.title": "10. 비교: 원본, 4비트 기본 모델, 4비트 + LoRA",
    "lesson.qlora-compare.look": "학습이 끝나면 실행 선택에서 그 실행을 고르고 **비교**를 누르세요: 같은 프롬프트와 "
                                 "held-out 질문에 원본 가중치, 4비트 기본 모델만, 학습한 LoRA를 더한 4비트 기본 모델이 "
                                 "답하고, 지표 표가 held-out 세트를 채점합니다. 오프라인에서 원본은 번들 사본이며, 그 "
                                 "가중치에는 이미 Q4_1의 4비트 반올림이 들어 있습니다.",
    "lesson.qlora-compare.question": "학습 전에도 4비트 기본 모델이 원본과 다르게 답할 수 있는 이유는 무엇일까요?",
    "lesson.qlora-compare.answer": "NF4로 양자화하면 모든 가중치가 조금씩 움직입니다(2–5단계의 오차). 135M 모델에서는 "
                                   "그것만으로 일부 다음 토큰 선택이 바뀌고, NF4 뒤에는 학습 전 손실이 더 높습니다. LoRA는 "
                                   "그 4비트 기본 모델 위에서 학습되어 그에 맞춰집니다.",
}
