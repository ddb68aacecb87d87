"""QLoRA Studio: its controls, explanations, progress lines, tables, figures and messages.

EN and KO hold the same keys (tests/test_i18n.py checks it, and that both share each text's {placeholders}).
"""

from __future__ import annotations

EN: dict[str, str] = {
    "studio.intro": (
        "Fine-tune the model with **QLoRA**: its weights stay frozen in 4 bits (NF4 or FP4), and small LoRA "
        "matrices are trained on top. Pick a preset and a dataset, check the memory estimate, start, and watch "
        "the loss fall. Then compare answers from the model as loaded, the 4-bit base and the 4-bit base + "
        "your adapter: what quantization cost, and what the adapter won back."
    ),
    "studio.settings": "### Settings",
    "studio.preset": "Preset",
    "studio.preset_info": "quick: ~2 min on CPU · workshop GPU: a few minutes on a GPU · thorough: longer, larger rank",
    "studio.preset.quick": "quick",
    "studio.preset.workshop-gpu": "workshop-gpu",
    "studio.preset.thorough": "thorough",
    "studio.preset_too_long.quick": "quick — too long for this server (≈{seconds} s > {cap} s)",
    "studio.preset_too_long.workshop-gpu": "workshop-gpu — too long for this server (≈{seconds} s > {cap} s)",
    "studio.preset_too_long.thorough": "thorough — too long for this server (≈{seconds} s > {cap} s)",
    "studio.examples": "Examples from the notes and the paper",
    "studio.examples_info": "Each button sets the quantization and LoRA settings above; the estimate follows.",
    "studio.example.notes-qv-r16": "Notes: r = 16 on q, v (NF4 + double quantization)",
    "studio.example.paper-all-linear": "QLoRA paper: r = 64 on every linear layer, α = 16 (NF4 + DQ)",
    "studio.example.fp4-no-dq": "FP4 without double quantization (to compare with NF4 + DQ)",
    "studio.code": "Show the code",
    "studio.code_info": (
        "The same run in a few lines of transformers + peft + bitsandbytes, for the settings on the left "
        "(updated as they change). Copy it and run it anywhere."
    ),
    "studio.code_label": "QLoRA with these settings",
    "studio.paper": "Memory arithmetic from the paper",
    "studio.paper_size": "Model size (LLaMA)",
    "studio.paper.text": (
        "**LLaMA {name}: {params} B parameters.** Computed by the same memory model as the estimate above.\n\n"
        "| what | memory |\n|---|---:|\n"
        "| 16-bit full fine-tune: weights 2 + gradients 2 + Adam 8 = 12 bytes per parameter | **{full} GB** |\n"
        "| 4-bit weights, constants per 64 weights in float32: 4 + 32/64 = {plain_bits} bits | {weights_plain} GB |\n"
        "| with double quantization: 4 + 8/64 + 32/(64·256) = {dq_bits} bits | {weights} GB |\n"
        "| saved by double quantization | {saving} GB |\n"
        "| LoRA r = {rank} on {targets}: {lora_params} parameters, + gradients + AdamW | {lora} GB |\n"
        "| **QLoRA: 4-bit weights with DQ + LoRA** (activations not counted) | **{qlora} GB** (1/{ratio}) |\n\n"
        "The paper: a 65B model needs more than 780 GB to fine-tune in 16 bits, and less than 48 GB with QLoRA."
    ),
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
        "Same prompts, same decoding (greedy unless the temperature is above 0): the model as loaded, its 4-bit "
        "base, and the 4-bit base with the adapter you pick. Offline the model is the bundled copy, float32 "
        "dequantized from a Q4_1 GGUF: its weights already carry 4-bit rounding, so it is not full precision; "
        "online it is the Hub's bf16 original. Each column is named by what it is."
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
    # the model pickers' labels (models.model_label): what each model's weights are
    "studio.model_choice.bundled": "{model_id} · bundled {format} GGUF, dequantized (not full precision)",
    "studio.model_choice.tiny": "{model_id} · random 2-layer model (tests, quick tries)",
    "studio.model_choice.smollm": "{model_id} · Hub original (bf16)",
    "studio.model_choice.hub": "{model_id} · from the Hub",
    # the compare view's columns, named by what each model is
    "studio.col.full.bundled": "fp32 from {format} GGUF",
    "studio.col.full.smollm": "Hub original (bf16→fp32)",
    "studio.col.full.hub": "Hub original (→fp32)",
    "studio.col.full.tiny": "random fp32 (tiny)",
    "studio.col.base.quant": "4-bit base ({quant})",
    "studio.col.lora.quant": "4-bit + LoRA ({quant})",
    "studio.col.prompt": "prompt",
    "studio.col.metric": "metric",
    # the estimate before a run (studio_tab.estimate_markdown)
    "studio.est.fits": "fits",
    "studio.est.not_fits": "does **not** fit",
    "studio.est.examples": "{train} training and {test} held-out examples",
    "studio.est.skipped": "{skipped} longer than {max_length} tokens left out",
    "studio.est.recompute_auto": "activations recomputed in backward: kept, they would not fit",
    "studio.est.recompute": "activations recomputed in backward (gradient checkpointing)",
    "studio.est.keep": "activations kept for backward (fastest)",
    "studio.est.text": (
        "**{params} trainable LoRA parameters** ({percent} % of the model) · training time about **{seconds} s** "
        "on {device} (plus loading and evaluation) · **estimated peak of this run: {run} MiB** (what the progress "
        "line measures while it trains) · the run {verdict} · {notes}\n\n| part | MiB |\n|---|---:|\n{rows}"
    ),
    # memory parts and the memory summary (finetune/memory.py)
    "studio.mem.weights": "4-bit weights + unquantized layers",
    "studio.mem.lora": "LoRA parameters + gradients",
    "studio.mem.adamw": "AdamW state",
    "studio.mem.activations": "activations",
    "studio.mem.run": "estimated peak of this run",
    "studio.mem.overhead": "runtime overhead (interpreter and libraries, not part of the run)",
    "studio.mem.total": "total for the fit check",
    "studio.mem.available": "available on {device}",
    "studio.mem.summary": (
        "estimated peak of this run {run} GiB (weights {weights}, activations {activations}, LoRA + AdamW {lora} "
        "GiB); with {overhead} GiB runtime overhead {total} GiB of {available} GiB available on {device}"
    ),
    # the progress line (studio_tab._account)
    "studio.line.start": "loaded · {message} · about {seconds} s of training · {estimate}",
    "studio.line.step": (
        "step {step}/{total} · loss {loss} · ETA {eta} s · {tokens_per_s} tokens/s · measured peak of this run "
        "{peak} MiB (estimated {estimated} MiB) · {trainable} trainable parameters"
    ),
    "studio.line.eval": "held-out loss {loss} at step {step}{metric}",
    "studio.line.eval_metric": " · metric {metric}",
    "studio.line.metric": " · {metric_name} on held-out prompts: {before} → {after}",
    "studio.line.nothing_running": "Nothing is running.",
    # the engine's and the studio's event messages
    "studio.msg.start": "{train} training / {test} held-out examples, {params} trainable parameters{checkpointing}{note}",
    "studio.msg.start_checkpointing": " (gradient checkpointing on)",
    "studio.msg.start_skipped": "; {count} example(s) longer than max_length={max_length} left out",
    "studio.msg.stopped": "stopped after {step} of {steps} steps",
    "studio.msg.finished": "finished {step} steps",
    "studio.msg.waiting": "waiting: position {position}",
    "studio.msg.left_queue": "left the queue before starting",
    "studio.msg.nothing_kept": "{message} (nothing to keep)",
    "studio.msg.saved": "{message}; saved as {run_id}",
    # the run picker
    "studio.run.label": "{run_id} · {dataset} · {status} · r={rank}",
    "studio.run.stopped_at": "stopped at {step}",
    "studio.run.steps": "{steps} steps",
    # the loss figure
    "studio.plot.train": "train",
    "studio.plot.held_out": "held-out",
    "studio.plot.step": "step",
    "studio.plot.loss": "loss per answer token",
    # metrics (the compare view's metric table, the built-in datasets)
    "studio.metric.held_out_loss": "held-out loss",
    "studio.metric.pirate": "pirate-speech rate",
    "studio.metric.json": "JSON field exact-match rate",
    "studio.metric.sentiment": "exact-answer rate",
    "studio.metric.exact_match": "exact-match rate",
    "studio.metric.markers_per_answer": "markers per answer",
    "studio.metric.valid_json": "valid json",
    "studio.metric.format": "format",
    # the built-in datasets and user data
    "studio.data.pirate": "Short answers in pirate speech (Arr, matey!). A few dozen steps change the voice.",
    "studio.data.json-extract": 'Extract a person from a sentence as {"name", "age", "job", "city"} JSON.',
    "studio.data.sentiment": 'Classify a product review, answering exactly "Sentiment: positive" or "Sentiment: negative".',
    "studio.data.user": "{count} uploaded examples",
    "studio.data.user_name": "user data",
    "studio.where.line": "line {number}",
    "studio.where.row": "row {number}",
    # names of settings, as messages name them
    "studio.field.steps": "steps",
    "studio.field.batch_size": "batch_size",
    "studio.field.grad_accum": "grad_accum",
    "studio.field.max_length": "max_length",
    "studio.field.warmup_steps": "warmup_steps",
    "studio.field.rank": "rank",
    "studio.field.eval_every": "eval_every",
    "studio.field.eval_examples": "eval_examples",
    "studio.field.seed": "seed",
    "studio.field.quant_type": "quant_type",
    "studio.field.gradient_checkpointing": "gradient_checkpointing",
    "studio.field.held_out_prompts": "held-out prompts",
    # names of the form's number fields, as form messages name them (checks.field_label)
    "studio.form.rank": "rank",
    "studio.form.alpha": "alpha",
    "studio.form.dropout": "dropout",
    "studio.form.steps": "steps",
    "studio.form.learning_rate": "learning rate",
    "studio.form.batch_size": "batch size",
    "studio.form.grad_accum": "grad accum",
    "studio.form.max_length": "max length",
    "studio.form.warmup_steps": "warmup steps",
    "studio.form.seed": "seed",
    "studio.form.eval_every": "eval every",
    "studio.form.eval_examples": "eval examples",
    "studio.form.max_grad_norm": "max grad norm",
    "studio.form.max_new_tokens": "max new tokens",
    "studio.form.temperature": "temperature",
    # messages: settings
    "studio.err.learning_rate": "learning_rate must be in (0, 1], got {value}",
    "studio.err.alpha": "alpha must be in (0, 4096], got {value}",
    "studio.err.dropout": "dropout must be in [0, 1), got {value}",
    "studio.err.max_grad_norm": "max_grad_norm must be in (0, 100], got {value}",
    "studio.err.target_modules": "target_modules must be a non-empty subset of {allowed}, got {value}",
    "studio.err.dataset": "dataset must be one of {names}, got {value}",
    "studio.err.device": "device must be 'cpu', 'cuda' or 'cuda:N', got {value}",
    "studio.err.preset": "preset must be one of {names}, got {value}",
    "studio.err.max_new_tokens": "max_new_tokens must be between 1 and {high}, got {value}",
    "studio.err.temperature": "temperature must be between 0 (greedy) and 2, got {value}",
    "studio.err.held_out_range": "held-out prompts must be from 0 to 8, got {count}",
    # messages: planning and training
    "studio.err.work_cap": (
        "this run is estimated at {seconds} s of training on {device}, more than the {cap} s one run may take on "
        "this server (PLAYGROUND_MAX_RUN_SECONDS): lower steps, batch size, gradient accumulation or max length"
    ),
    "studio.err.no_cuda": "device {device} was asked for, but this machine has no CUDA GPU",
    "studio.err.all_too_long": (
        "all {count} training examples are longer than max_length={max_length} tokens (chat template included): "
        "raise max_length or shorten the examples"
    ),
    "studio.err.held_out_too_long": "every held-out example is longer than max_length={max_length} tokens",
    "studio.err.no_fit": (
        "this run would not fit in memory: {summary}. Lower batch_size or max_length, or pick a smaller model."
    ),
    "studio.err.oom": (
        "out of memory on {device} at batch_size={batch_size}, max_length={max_length}: lower one of them (the run "
        "was stopped and its memory freed)"
    ),
    "studio.err.no_adapter": "this run has no adapter to save (it stopped before its first step)",
    # messages: data
    "studio.err.source": "data source {source} is not one of {sources}",
    "studio.err.paste_empty": "paste a few examples first (instruction ||| response, one per line)",
    "studio.err.paste_too_large": "the pasted text is {size} bytes or more; the limit is {limit} bytes, as for an upload",
    "studio.err.upload_missing": "upload a .jsonl or .csv file first",
    "studio.err.file_too_large": "the file is {size} bytes; the limit is {limit} bytes",
    "studio.err.not_builtin": "dataset {name} is not a built-in one; choose one of {names}",
    "studio.err.too_few": "a dataset needs at least 2 examples (one to train on, one held out), got {count}",
    "studio.err.text_field": "{where}: {key} must be non-empty text, got {value}",
    "studio.err.row_type": "{where}: expected an object with instruction/response or messages, got {kind}",
    "studio.err.messages_list": "{where}: 'messages' must be a list of at least a user and an assistant message",
    "studio.err.message_role": "{where}: each message needs a role in {roles} and a content",
    "studio.err.conversation": (
        "{where}: the conversation must contain a user message and end with an assistant message"
    ),
    "studio.err.missing_columns": (
        "{where}: missing column(s) {missing}; use instruction/response columns or a 'messages' list (found {found})"
    ),
    "studio.err.binary": "the file looks binary (it contains NUL bytes); upload JSONL or CSV text",
    "studio.err.not_utf8": "the file is not UTF-8 text (bad byte at position {position})",
    "studio.err.bad_json_line": "line {number} is not valid JSON ({error} at column {column})",
    "studio.err.csv_columns": "a CSV needs 'instruction' and 'response' columns; found {header}",
    "studio.err.csv": "the CSV could not be read: {error}",
    "studio.err.paste_line": "line {number}: write 'instruction ||| response' (or paste JSONL)",
    "studio.err.file_type": "unsupported file type {suffix}: upload .jsonl or .csv",
    "studio.err.too_few_examples": (
        "the dataset has {count} example(s); at least 2 are needed (one to train on, one held out)"
    ),
    "studio.err.chat_template": "the chat template renders the prompt differently inside the conversation",
    # messages: sessions, the queue, compare
    "studio.err.no_session": "no session: reload the page",
    "studio.err.session_ended": (
        "this session has ended (sessions end after {minutes} minutes without activity): reload the page"
    ),
    "studio.err.max_sessions": (
        "the server has {count} open sessions, its limit (PLAYGROUND_MAX_SESSIONS); try again when one has ended"
    ),
    "studio.err.no_run": "no run {run_id} in this session (runs: {runs})",
    "studio.err.no_runs_yet": "none yet",
    "studio.err.busy": "this session already has a fine-tune running or waiting; stop it first",
    "studio.err.max_runs": (
        "this session already keeps {count} runs, the most one session may keep (PLAYGROUND_MAX_RUNS_PER_SESSION)"
    ),
    "studio.err.queue_full": "{waiting} fine-tunes are already waiting (the limit is {limit}); try again in a few minutes",
    "studio.err.no_prompt": "type a prompt to compare",
    "studio.err.too_many_prompts": "compare at most 16 prompts at once, got {count}",
    "studio.err.prompt_too_long": (
        "a prompt of {chars} characters is longer than the {limit} tokens a compare may take "
        "(PLAYGROUND_MAX_PROMPT_TOKENS): shorten it"
    ),
    "studio.err.pick_run": "pick a run to download its adapter",
}

KO: dict[str, str] = {
    "studio.intro": (
        "**QLoRA**로 모델을 파인튜닝합니다. 모델의 가중치는 4비트(NF4 또는 FP4)로 양자화된 채 고정되고, 그 위에 얹은 "
        "작은 LoRA 행렬만 학습합니다. 프리셋과 데이터셋을 고르고, 메모리 추정치를 확인한 뒤 시작해서 손실이 줄어드는 것을 "
        "지켜보세요. 그다음 불러온 모델 그대로, 4비트 베이스, 4비트 베이스 + 여러분의 어댑터가 내놓는 답을 "
        "비교해 보세요. 양자화로 무엇을 잃었고, 어댑터가 무엇을 되찾았는지 보입니다."
    ),
    "studio.settings": "### 설정",
    "studio.preset": "프리셋",
    "studio.preset_info": "quick(빠르게): CPU에서 약 2분 · workshop GPU(워크숍 GPU): GPU에서 몇 분 · thorough(꼼꼼하게): 더 오래, 더 큰 rank",
    "studio.preset.quick": "quick(빠르게)",
    "studio.preset.workshop-gpu": "workshop-gpu(워크숍 GPU)",
    "studio.preset.thorough": "thorough(꼼꼼하게)",
    "studio.preset_too_long.quick": "quick(빠르게) — 이 서버에서는 너무 오래 걸림 (≈{seconds} s > {cap} s)",
    "studio.preset_too_long.workshop-gpu": "workshop-gpu(워크숍 GPU) — 이 서버에서는 너무 오래 걸림 (≈{seconds} s > {cap} s)",
    "studio.preset_too_long.thorough": "thorough(꼼꼼하게) — 이 서버에서는 너무 오래 걸림 (≈{seconds} s > {cap} s)",
    "studio.examples": "노트와 논문의 예제",
    "studio.examples_info": "버튼마다 위의 양자화와 LoRA 설정을 바꿉니다. 추정치도 함께 바뀝니다.",
    "studio.example.notes-qv-r16": "노트: q, v에 r = 16 (NF4 + 이중 양자화)",
    "studio.example.paper-all-linear": "QLoRA 논문: 모든 선형 레이어에 r = 64, α = 16 (NF4 + 이중 양자화)",
    "studio.example.fp4-no-dq": "이중 양자화 없는 FP4 (NF4 + 이중 양자화와 비교용)",
    "studio.code": "코드 보기",
    "studio.code_info": (
        "같은 실행을 transformers + peft + bitsandbytes 몇 줄로 쓴 코드입니다. 왼쪽 설정을 따르고, 설정이 바뀌면 "
        "함께 바뀝니다. 복사해서 어디서나 실행할 수 있습니다."
    ),
    "studio.code_label": "이 설정의 QLoRA 코드",
    "studio.paper": "논문의 메모리 계산",
    "studio.paper_size": "모델 크기 (LLaMA)",
    "studio.paper.text": (
        "**LLaMA {name}: 파라미터 {params} B개.** 위의 추정치와 같은 메모리 모델로 계산합니다.\n\n"
        "| 항목 | 메모리 |\n|---|---:|\n"
        "| 16비트 전체 파인튜닝: 가중치 2 + 그래디언트 2 + Adam 8 = 파라미터당 12바이트 | **{full} GB** |\n"
        "| 4비트 가중치, 가중치 64개마다 float32 상수: 4 + 32/64 = {plain_bits}비트 | {weights_plain} GB |\n"
        "| 이중 양자화 적용: 4 + 8/64 + 32/(64·256) = {dq_bits}비트 | {weights} GB |\n"
        "| 이중 양자화로 절약한 메모리 | {saving} GB |\n"
        "| {targets}에 LoRA r = {rank}: 파라미터 {lora_params}개, + 그래디언트 + AdamW | {lora} GB |\n"
        "| **QLoRA: 이중 양자화한 4비트 가중치 + LoRA** (활성화 값 제외) | **{qlora} GB** (1/{ratio}) |\n\n"
        "논문: 65B 모델을 16비트로 파인튜닝하려면 780 GB 넘게 필요하지만, QLoRA로는 48 GB 미만이면 됩니다."
    ),
    "studio.source": "데이터",
    "studio.source.builtin": "내장 데이터셋",
    "studio.source.upload": "JSONL / CSV 업로드",
    "studio.source.paste": "예제 붙여넣기",
    "studio.dataset": "내장 데이터셋",
    "studio.upload": "JSONL(instruction/response 또는 messages) 또는 CSV(instruction,response 열)",
    "studio.paste": "예제",
    "studio.paste_placeholder": "한 줄에 하나씩: instruction ||| response   (또는 JSONL 붙여넣기)",
    "studio.quant": "양자화와 LoRA",
    "studio.quant_type": "4비트 형식",
    "studio.double_quant": "이중 양자화",
    "studio.rank": "LoRA rank r",
    "studio.alpha": "LoRA alpha",
    "studio.dropout": "LoRA 드롭아웃(dropout)",
    "studio.targets": "대상 모듈(target modules)",
    "studio.training": "학습",
    "studio.steps": "스텝 수",
    "studio.lr": "학습률",
    "studio.batch": "배치 크기",
    "studio.accum": "그래디언트 누적",
    "studio.max_length": "최대 시퀀스 길이(토큰)",
    "studio.warmup": "워밍업 스텝",
    "studio.seed": "시드",
    "studio.eval_every": "평가 간격(스텝)",
    "studio.checkpointing": "역전파(backward)용 활성화 값",
    "studio.checkpointing.on": "재계산 (메모리 최소)",
    "studio.checkpointing.auto": "들어가면 보관 (가장 빠름)",
    "studio.checkpointing_info": (
        "재계산: 각 블록의 입력만 보관하고 역전파 때 블록을 다시 실행합니다(그래디언트 체크포인팅, 표준 레시피와 같음). "
        "보관: 스텝이 약 1.4× 빠르고, SmolLM2에서 메모리를 수백 MB 더 씁니다."
    ),
    "studio.estimate": "실행 전 추정치",
    "studio.start": "파인튜닝 시작",
    "studio.stop": "중지",
    "studio.progress": "### 진행 상황",
    "studio.idle": "아직 시작하지 않았습니다. 위의 추정치가 이 실행에 필요한 자원을 알려 줍니다.",
    "studio.restored": "다시 오신 것을 환영합니다. 이 세션의 실행 {count}개는 아래 선택 목록에, 가장 최근 실행의 손실 곡선은 여기에 있습니다.",
    "studio.restored_running": "이 세션의 파인튜닝이 아직 실행 중입니다. 끝나면 아래 선택 목록에 나타납니다.",
    "studio.loss_plot": "손실",
    "studio.summary": "실행 요약",
    "studio.compare": "### 비교",
    "studio.compare_info": (
        "같은 프롬프트, 같은 디코딩(temperature가 0보다 크지 않으면 greedy): 불러온 모델 그대로, 그 4비트 베이스, "
        "그리고 고른 어댑터를 붙인 4비트 베이스. 오프라인에서는 번들 모델, 즉 Q4_1 GGUF를 float32로 역양자화한 "
        "가중치입니다. 이미 4비트 반올림이 들어 있으므로 전체 정밀도가 아닙니다. 온라인에서는 Hub의 bf16 원본입니다. "
        "열 이름이 각 모델이 무엇인지 알려 줍니다."
    ),
    "studio.run": "어댑터",
    "studio.no_adapter": "없음 (어댑터 없음)",
    "studio.prompt": "프롬프트",
    "studio.prompt_default": "What is the capital of Italy?",
    "studio.held_out": "평가용(held-out) 프롬프트에도 답하기",
    "studio.temperature": "온도(temperature, 0 = greedy)",
    "studio.decode_seed": "샘플링 시드",
    "studio.max_new_tokens": "최대 새 토큰 수",
    "studio.compare_button": "비교",
    "studio.answers": "답변",
    "studio.metrics": "평가용(held-out) 지표",
    "studio.export": "어댑터 다운로드 (.zip, peft 형식)",
    "studio.export_button": "다운로드 준비",
    # the model pickers' labels (models.model_label): what each model's weights are
    "studio.model_choice.bundled": "{model_id} · 번들 {format} GGUF 역양자화(전체 정밀도 아님)",
    "studio.model_choice.tiny": "{model_id} · 무작위 2층 모델(테스트, 빠른 실행용)",
    "studio.model_choice.smollm": "{model_id} · Hub 원본(bf16)",
    "studio.model_choice.hub": "{model_id} · Hub에서 불러옴",
    # the compare view's columns, named by what each model is
    "studio.col.full.bundled": "{format} GGUF에서 복원한 fp32",
    "studio.col.full.smollm": "Hub 원본(bf16→fp32)",
    "studio.col.full.hub": "Hub 원본(→fp32)",
    "studio.col.full.tiny": "무작위 fp32(tiny)",
    "studio.col.base.quant": "4비트 베이스({quant})",
    "studio.col.lora.quant": "4비트 + LoRA({quant})",
    "studio.col.prompt": "프롬프트",
    "studio.col.metric": "지표",
    # the estimate before a run (studio_tab.estimate_markdown)
    "studio.est.fits": "메모리에 들어갑니다",
    "studio.est.not_fits": "메모리에 들어가지 **않습니다**",
    "studio.est.examples": "학습 예제 {train}개, 평가용(held-out) 예제 {test}개",
    "studio.est.skipped": "{max_length} 토큰보다 긴 {skipped}개 제외",
    "studio.est.recompute_auto": "역전파 때 활성화 값 재계산: 보관하면 메모리에 들어가지 않음",
    "studio.est.recompute": "역전파 때 활성화 값 재계산 (그래디언트 체크포인팅)",
    "studio.est.keep": "역전파용 활성화 값 보관 (가장 빠름)",
    "studio.est.text": (
        "**학습 가능한 LoRA 파라미터 {params}개** (모델의 {percent} %) · {device}에서 학습 시간 약 **{seconds} s** "
        "(로딩과 평가 시간은 별도) · **이 실행의 최대 메모리 추정치: {run} MiB** (학습 중 진행 상황 줄이 재는 값) · "
        "이 실행은 {verdict} · {notes}\n\n| 구성 요소 | MiB |\n|---|---:|\n{rows}"
    ),
    # memory parts and the memory summary (finetune/memory.py)
    "studio.mem.weights": "4비트 가중치 + 양자화하지 않은 레이어",
    "studio.mem.lora": "LoRA 파라미터 + 그래디언트",
    "studio.mem.adamw": "AdamW 상태",
    "studio.mem.activations": "활성화 값",
    "studio.mem.run": "이 실행의 최대 메모리 추정치",
    "studio.mem.overhead": "런타임 오버헤드(인터프리터와 라이브러리, 실행 자체가 아님)",
    "studio.mem.total": "메모리 확인용 합계",
    "studio.mem.available": "{device}에서 사용 가능",
    "studio.mem.summary": (
        "이 실행의 최대 메모리 추정치 {run} GiB (가중치 {weights}, 활성화 값 {activations}, LoRA + AdamW {lora} "
        "GiB); 런타임 오버헤드 {overhead} GiB를 더하면 {device}에서 사용 가능한 {available} GiB 중 {total} GiB"
    ),
    # the progress line (studio_tab._account)
    "studio.line.start": "로딩 완료 · {message} · 학습 약 {seconds} s · {estimate}",
    "studio.line.step": (
        "스텝 {step}/{total} · 손실 {loss} · 남은 시간 {eta} s · {tokens_per_s} 토큰/s · 이 실행의 최대 메모리 측정값 "
        "{peak} MiB (추정 {estimated} MiB) · 학습 가능한 파라미터 {trainable}개"
    ),
    "studio.line.eval": "스텝 {step}의 평가용(held-out) 손실 {loss}{metric}",
    "studio.line.eval_metric": " · 지표 {metric}",
    "studio.line.metric": " · 평가용 프롬프트의 {metric_name}: {before} → {after}",
    "studio.line.nothing_running": "실행 중인 작업이 없습니다.",
    # the engine's and the studio's event messages
    "studio.msg.start": "학습 예제 {train}개 / 평가용 예제 {test}개, 학습 가능한 파라미터 {params}개{checkpointing}{note}",
    "studio.msg.start_checkpointing": " (그래디언트 체크포인팅 사용)",
    "studio.msg.start_skipped": "; max_length={max_length}보다 긴 예제 {count}개 제외",
    "studio.msg.stopped": "{steps} 스텝 중 {step} 스텝에서 중지됨",
    "studio.msg.finished": "{step} 스텝 완료",
    "studio.msg.waiting": "대기 중: {position}번째",
    "studio.msg.left_queue": "시작하기 전에 대기열에서 나감",
    "studio.msg.nothing_kept": "{message} (남길 것이 없음)",
    "studio.msg.saved": "{message}; {run_id}(으)로 저장됨",
    # the run picker
    "studio.run.label": "{run_id} · {dataset} · {status} · r={rank}",
    "studio.run.stopped_at": "{step} 스텝에서 중지",
    "studio.run.steps": "{steps} 스텝",
    # the loss figure
    "studio.plot.train": "학습",
    "studio.plot.held_out": "평가용(held-out)",
    "studio.plot.step": "스텝",
    "studio.plot.loss": "답변 토큰당 손실",
    # metrics (the compare view's metric table, the built-in datasets)
    "studio.metric.held_out_loss": "평가용(held-out) 손실",
    "studio.metric.pirate": "해적 말투 비율",
    "studio.metric.json": "JSON 필드 정확 일치율",
    "studio.metric.sentiment": "정답 일치율",
    "studio.metric.exact_match": "정확 일치율",
    "studio.metric.markers_per_answer": "답변당 해적 말투 표지 수",
    "studio.metric.valid_json": "유효한 JSON 비율",
    "studio.metric.format": "형식 일치율",
    # the built-in datasets and user data
    "studio.data.pirate": "해적 말투(Arr, matey!)로 된 짧은 답변. 수십 스텝이면 말투가 바뀝니다.",
    "studio.data.json-extract": '문장에서 인물 정보를 {"name", "age", "job", "city"} JSON으로 추출합니다.',
    "studio.data.sentiment": '상품 리뷰를 분류해 정확히 "Sentiment: positive" 또는 "Sentiment: negative"로 답합니다.',
    "studio.data.user": "업로드한 예제 {count}개",
    "studio.data.user_name": "사용자 데이터",
    "studio.where.line": "{number}번째 줄",
    "studio.where.row": "{number}번째 행",
    # names of settings, as messages name them
    "studio.field.steps": "스텝 수(steps)",
    "studio.field.batch_size": "배치 크기(batch_size)",
    "studio.field.grad_accum": "그래디언트 누적(grad_accum)",
    "studio.field.max_length": "최대 길이(max_length)",
    "studio.field.warmup_steps": "워밍업 스텝(warmup_steps)",
    "studio.field.rank": "rank",
    "studio.field.eval_every": "평가 간격(eval_every)",
    "studio.field.eval_examples": "평가 예제 수(eval_examples)",
    "studio.field.seed": "시드(seed)",
    "studio.field.quant_type": "4비트 형식(quant_type)",
    "studio.field.gradient_checkpointing": "그래디언트 체크포인팅(gradient_checkpointing)",
    "studio.field.held_out_prompts": "평가용 프롬프트 수",
    # names of the form's number fields, as form messages name them (checks.field_label)
    "studio.form.rank": "rank",
    "studio.form.alpha": "alpha",
    "studio.form.dropout": "드롭아웃",
    "studio.form.steps": "스텝 수",
    "studio.form.learning_rate": "학습률",
    "studio.form.batch_size": "배치 크기",
    "studio.form.grad_accum": "그래디언트 누적",
    "studio.form.max_length": "최대 시퀀스 길이",
    "studio.form.warmup_steps": "워밍업 스텝",
    "studio.form.seed": "시드",
    "studio.form.eval_every": "평가 간격",
    "studio.form.eval_examples": "평가 예제 수",
    "studio.form.max_grad_norm": "최대 그래디언트 노름",
    "studio.form.max_new_tokens": "최대 새 토큰 수",
    "studio.form.temperature": "온도(temperature)",
    # messages: settings
    "studio.err.learning_rate": "학습률(learning_rate)은 (0, 1] 범위여야 합니다. 입력값: {value}",
    "studio.err.alpha": "alpha는 (0, 4096] 범위여야 합니다. 입력값: {value}",
    "studio.err.dropout": "드롭아웃(dropout)은 [0, 1) 범위여야 합니다. 입력값: {value}",
    "studio.err.max_grad_norm": "max_grad_norm은 (0, 100] 범위여야 합니다. 입력값: {value}",
    "studio.err.target_modules": "target_modules는 {allowed} 중 하나 이상이어야 합니다. 입력값: {value}",
    "studio.err.dataset": "데이터셋은 {names} 중 하나여야 합니다. 입력값: {value}",
    "studio.err.device": "장치(device)는 'cpu', 'cuda' 또는 'cuda:N'이어야 합니다. 입력값: {value}",
    "studio.err.preset": "프리셋은 {names} 중 하나여야 합니다. 입력값: {value}",
    "studio.err.max_new_tokens": "max_new_tokens는 1부터 {high} 사이여야 합니다. 입력값: {value}",
    "studio.err.temperature": "temperature는 0(greedy)부터 2 사이여야 합니다. 입력값: {value}",
    "studio.err.held_out_range": "평가용 프롬프트 수는 0부터 8까지여야 합니다. 입력값: {count}",
    # messages: planning and training
    "studio.err.work_cap": (
        "이 실행은 {device}에서 학습에 {seconds} s가 걸릴 것으로 추정되어, 이 서버에서 한 실행에 허용되는 {cap} s를 "
        "넘습니다(PLAYGROUND_MAX_RUN_SECONDS). 스텝 수, 배치 크기, 그래디언트 누적 또는 최대 길이를 줄이세요"
    ),
    "studio.err.no_cuda": "장치 {device}를 요청했지만 이 컴퓨터에는 CUDA GPU가 없습니다",
    "studio.err.all_too_long": (
        "학습 예제 {count}개가 모두 max_length={max_length} 토큰보다 깁니다(채팅 템플릿 포함). "
        "max_length를 늘리거나 예제를 줄이세요"
    ),
    "studio.err.held_out_too_long": "모든 평가용 예제가 max_length={max_length} 토큰보다 깁니다",
    "studio.err.no_fit": (
        "이 실행은 메모리에 들어가지 않습니다: {summary}. batch_size나 max_length를 줄이거나 더 작은 모델을 고르세요."
    ),
    "studio.err.oom": (
        "{device}에서 batch_size={batch_size}, max_length={max_length}로 메모리가 부족합니다. 둘 중 하나를 줄이세요 "
        "(실행은 중지되었고 메모리는 해제되었습니다)"
    ),
    "studio.err.no_adapter": "이 실행에는 저장할 어댑터가 없습니다(첫 스텝 전에 중지됨)",
    # messages: data
    "studio.err.source": "데이터 출처 {source}는 {sources} 중 하나가 아닙니다",
    "studio.err.paste_empty": "먼저 예제를 몇 개 붙여넣으세요 (instruction ||| response, 한 줄에 하나씩)",
    "studio.err.paste_too_large": "붙여넣은 텍스트가 {size} 바이트 이상입니다. 업로드와 마찬가지로 한도는 {limit} 바이트입니다",
    "studio.err.upload_missing": "먼저 .jsonl 또는 .csv 파일을 업로드하세요",
    "studio.err.file_too_large": "파일이 {size} 바이트입니다. 한도는 {limit} 바이트입니다",
    "studio.err.not_builtin": "데이터셋 {name}은(는) 내장 데이터셋이 아닙니다. {names} 중에서 고르세요",
    "studio.err.too_few": "데이터셋에는 예제가 2개 이상 필요합니다(학습용 하나, 평가용 하나). 입력된 예제: {count}개",
    "studio.err.text_field": "{where}: {key}는 비어 있지 않은 텍스트여야 합니다. 입력값: {value}",
    "studio.err.row_type": "{where}: instruction/response 또는 messages가 있는 객체여야 합니다. 입력된 형식: {kind}",
    "studio.err.messages_list": "{where}: 'messages'는 최소한 user 메시지와 assistant 메시지가 있는 리스트여야 합니다",
    "studio.err.message_role": "{where}: 각 메시지에는 {roles} 중 하나의 role과 content가 필요합니다",
    "studio.err.conversation": "{where}: 대화에는 user 메시지가 있어야 하고 assistant 메시지로 끝나야 합니다",
    "studio.err.missing_columns": (
        "{where}: 열 {missing}이(가) 없습니다. instruction/response 열이나 'messages' 리스트를 쓰세요 (찾은 열: {found})"
    ),
    "studio.err.binary": "바이너리 파일로 보입니다(NUL 바이트 포함). JSONL 또는 CSV 텍스트를 업로드하세요",
    "studio.err.not_utf8": "파일이 UTF-8 텍스트가 아닙니다(위치 {position}에 잘못된 바이트)",
    "studio.err.bad_json_line": "{number}번째 줄이 올바른 JSON이 아닙니다({column}번째 열에서 {error})",
    "studio.err.csv_columns": "CSV에는 'instruction'과 'response' 열이 필요합니다. 찾은 열: {header}",
    "studio.err.csv": "CSV를 읽을 수 없습니다: {error}",
    "studio.err.paste_line": "{number}번째 줄: 'instruction ||| response' 형식으로 쓰세요 (또는 JSONL을 붙여넣으세요)",
    "studio.err.file_type": "지원하지 않는 파일 형식 {suffix}: .jsonl 또는 .csv를 업로드하세요",
    "studio.err.too_few_examples": "데이터셋의 예제가 {count}개입니다. 2개 이상 필요합니다(학습용 하나, 평가용 하나)",
    "studio.err.chat_template": "채팅 템플릿이 대화 안에서 프롬프트를 다르게 렌더링합니다",
    # messages: sessions, the queue, compare
    "studio.err.no_session": "세션이 없습니다: 페이지를 새로 고치세요",
    "studio.err.session_ended": (
        "이 세션은 종료되었습니다(세션은 {minutes}분 동안 활동이 없으면 종료됩니다). 페이지를 새로 고치세요"
    ),
    "studio.err.max_sessions": (
        "서버에 열린 세션이 {count}개로 한도(PLAYGROUND_MAX_SESSIONS)에 도달했습니다. 세션 하나가 끝나면 다시 시도하세요"
    ),
    "studio.err.no_run": "이 세션에 실행 {run_id}이(가) 없습니다 (실행: {runs})",
    "studio.err.no_runs_yet": "아직 없음",
    "studio.err.busy": "이 세션에는 이미 실행 중이거나 대기 중인 파인튜닝이 있습니다. 먼저 중지하세요",
    "studio.err.max_runs": (
        "이 세션에는 이미 실행 {count}개가 있어, 한 세션이 보관할 수 있는 최대치입니다(PLAYGROUND_MAX_RUNS_PER_SESSION)"
    ),
    "studio.err.queue_full": "이미 파인튜닝 {waiting}개가 대기 중입니다(한도 {limit}개). 몇 분 뒤에 다시 시도하세요",
    "studio.err.no_prompt": "비교할 프롬프트를 입력하세요",
    "studio.err.too_many_prompts": "한 번에 최대 16개의 프롬프트만 비교할 수 있습니다. 입력된 프롬프트: {count}개",
    "studio.err.prompt_too_long": (
        "{chars}자짜리 프롬프트가 비교 한 번에 허용되는 {limit} 토큰보다 깁니다"
        "(PLAYGROUND_MAX_PROMPT_TOKENS). 프롬프트를 줄이세요"
    ),
    "studio.err.pick_run": "어댑터를 다운로드할 실행을 고르세요",
}
