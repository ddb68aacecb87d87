"""Texts of the script section. EN and KO hold the same keys (tests/test_i18n.py checks it).

"script.run.*" are the exported train.py's own texts (written into it in the export's language and
formatted there with str.format); the rest are the exporter's.
"""

from __future__ import annotations

EN: dict[str, str] = {
    "script.err.config": "write_training_script needs a FinetuneConfig, got {kind}.",
    "script.err.not_folder": "Cannot write the training script to {path}: it is a file, not a folder.",
    "script.err.write": "Cannot write the training script to {path}: {error}.",
    "script.cli.written": "Training script, data and accelerate configs written to {path} (nothing trained). Run: python {script}",
    "script.readme": (
        "QLoRA fine-tune exported from the PEFT Playground\n"
        "==================================================\n"
        "\n"
        "Model {model}, data data.jsonl ({dataset}: {train} training and {test} held-out examples), {steps} steps.\n"
        "The same settings as the playground run: the model's chat template, loss on the answer tokens only,\n"
        "a 4-bit (bitsandbytes) base with a LoRA adapter (peft), the standard transformers Trainer.\n"
        "Every setting is a flag with the run's value as its default: python train.py --help\n"
        "\n"
        "Needs: pip install torch transformers peft bitsandbytes accelerate   (ZeRO-3 also: deepspeed)\n"
        "\n"
        "One machine (a GPU if there is one, else CPU):\n"
        "    python train.py\n"
        "Another base model (any Hub id or local folder):\n"
        "    python train.py --model Qwen/Qwen2.5-1.5B-Instruct\n"
        "Several GPUs on one machine (DDP; --batch-size is per GPU):\n"
        "    accelerate launch --config_file accelerate/ddp.yaml --num_processes 4 train.py\n"
        "Models too big for one GPU (FSDP, or DeepSpeed ZeRO-3):\n"
        "    accelerate launch --config_file accelerate/fsdp.yaml --num_processes 4 train.py\n"
        "    accelerate launch --config_file accelerate/zero3.yaml --num_processes 4 train.py\n"
        "Several CPU processes (gloo), e.g. to try it without GPUs:\n"
        "    accelerate launch --config_file accelerate/ddp.yaml --num_processes 2 train.py --cpu\n"
        "\n"
        "It writes adapter/ (adapter_config.json + adapter_model.safetensors, peft's format) and\n"
        "adapter/metrics.json. The base is in 4 bits on CUDA and on CPU (one process or several DDP processes).\n"
        "Only on CPU, where 4-bit loading fails (a bitsandbytes without 4-bit CPU support) or with --no-4bit,\n"
        "the script says so and trains on a float32 base instead; the adapter has the same format and loads\n"
        "onto the 4-bit base in the playground. FSDP and ZeRO-3 need GPUs."
    ),
    "script.run.help_description": (
        "QLoRA fine-tune (bitsandbytes 4-bit base + peft LoRA, transformers Trainer) with the settings of a "
        "PEFT Playground run; every default below is the run's value."
    ),
    "script.run.help_model": "any Hub model id or local folder (a causal LM with a chat template)",
    "script.run.help_data": "JSONL rows with \"instruction\" and \"response\", or \"messages\" (rows with \"split\": \"test\" are held out)",
    "script.run.help_out": "folder for the adapter (peft format) and metrics.json",
    "script.run.help_compute_dtype": "the 4-bit layers' compute dtype (auto: bfloat16 on GPUs that have it, else float16; float32 on CPU)",
    "script.run.help_batch_size": "examples per step on each process (the global batch is this times the processes)",
    "script.run.help_eval_every": "steps between held-out losses (0: only before and after training)",
    "script.run.help_cpu": "train on CPU even if a GPU is present",
    "script.run.help_no_4bit": "load the base in --cpu-fallback-dtype instead of 4 bits",
    "script.run.help_fallback_dtype": "the base's dtype where 4 bits cannot be used on CPU",
    "script.run.err_row": "{path}, line {number}: {error}",
    "script.run.err_conversation": "a row needs at least two messages with roles system/user/assistant, the last one the assistant's answer",
    "script.run.err_too_few": "{path} has {count} examples: at least one to train on and one held out are needed.",
    "script.run.err_template": "The model's chat template writes the prompt differently when the answer follows; this script cannot mark the answer tokens.",
    "script.run.err_none_fit": "No training example fits in --max-length {max_length} tokens; raise --max-length.",
    "script.run.err_positive": "{flag} must be at least 1, got {value}",
    "script.run.err_warmup": "--warmup-steps must be between 0 and --steps ({steps}), got {value}",
    "script.run.err_rates": "--learning-rate must be in (0, 1] and --dropout in [0, 1), got {learning_rate} and {dropout}",
    "script.run.reason_flag": "--no-4bit was given",
    "script.run.err_sharded_cpu": "accelerate runs {engine} on GPUs (or other accelerators) only. On CPU, use several DDP processes: accelerate launch --config_file accelerate/ddp.yaml --num_processes 2 train.py --cpu",
    "script.run.fallback": "Note: 4-bit loading is not used for this CPU run ({reason}). The base is loaded in {dtype} instead; on CUDA it stays in 4 bits. The adapter has the same format.",
    "script.run.one_cpu_process": (
        "Note: accelerate launch --cpu starts one process (several CPU processes need mpirun). For N CPU "
        "processes: accelerate launch --config_file accelerate/ddp.yaml --num_processes N train.py --cpu"
    ),
    "script.run.skipped": "{count} examples longer than --max-length {max_length} tokens are left out.",
    "script.run.data": "{train} training and {test} held-out examples from {path}",
    "script.run.loaded": "Base {model}: {precision} on {device}, {processes} process(es); LoRA trains {params} parameters.",
    "script.run.step": "step {step}/{steps} loss {loss} lr {lr}",
    "script.run.eval": "held-out loss at step {step}: {loss}",
    "script.run.done": "Adapter and metrics.json written to {out} ({steps} steps, {seconds} s).",
}

KO: dict[str, str] = {
    "script.err.config": "write_training_script에는 FinetuneConfig가 필요합니다. 받은 값: {kind}.",
    "script.err.not_folder": "{path}에 학습 스크립트를 쓸 수 없습니다: 폴더가 아니라 파일입니다.",
    "script.err.write": "{path}에 학습 스크립트를 쓸 수 없습니다: {error}.",
    "script.cli.written": "학습 스크립트, 데이터, accelerate 설정 파일을 {path}에 썼습니다 (학습은 하지 않았습니다). 실행: python {script}",
    "script.readme": (
        "PEFT Playground에서 내보낸 QLoRA 파인튜닝\n"
        "==========================================\n"
        "\n"
        "모델 {model}, 데이터 data.jsonl ({dataset}: 학습 예시 {train}개, 평가용 예시 {test}개), {steps} 스텝.\n"
        "플레이그라운드 실행과 같은 설정입니다: 모델의 채팅 템플릿, 답변 토큰에만 손실, 4비트(bitsandbytes)\n"
        "베이스 모델 + LoRA 어댑터(peft), 표준 transformers Trainer.\n"
        "모든 설정은 실행의 값을 기본값으로 가진 플래그입니다: python train.py --help\n"
        "\n"
        "필요한 패키지: pip install torch transformers peft bitsandbytes accelerate   (ZeRO-3는 deepspeed도)\n"
        "\n"
        "한 대의 머신 (GPU가 있으면 GPU, 없으면 CPU):\n"
        "    python train.py\n"
        "다른 베이스 모델 (Hub 모델 ID나 로컬 폴더):\n"
        "    python train.py --model Qwen/Qwen2.5-1.5B-Instruct\n"
        "한 머신의 여러 GPU (DDP; --batch-size는 GPU당 값):\n"
        "    accelerate launch --config_file accelerate/ddp.yaml --num_processes 4 train.py\n"
        "GPU 하나에 들어가지 않는 모델 (FSDP 또는 DeepSpeed ZeRO-3):\n"
        "    accelerate launch --config_file accelerate/fsdp.yaml --num_processes 4 train.py\n"
        "    accelerate launch --config_file accelerate/zero3.yaml --num_processes 4 train.py\n"
        "여러 CPU 프로세스 (gloo), 예: GPU 없이 시험해 볼 때:\n"
        "    accelerate launch --config_file accelerate/ddp.yaml --num_processes 2 train.py --cpu\n"
        "\n"
        "결과는 adapter/ (adapter_config.json + adapter_model.safetensors, peft 형식)와 adapter/metrics.json입니다.\n"
        "베이스 모델은 CUDA에서도 CPU에서도(프로세스 하나 또는 여러 DDP 프로세스) 4비트입니다.\n"
        "CPU에서 4비트 로딩이 실패할 때(4비트 CPU를 지원하지 않는 bitsandbytes)나 --no-4bit일 때만\n"
        "스크립트가 그 사실을 알리고 float32 베이스 모델로 학습합니다. 어댑터 형식은 같으며 플레이그라운드의\n"
        "4비트 베이스 모델에 그대로 로드됩니다. FSDP와 ZeRO-3에는 GPU가 필요합니다."
    ),
    "script.run.help_description": (
        "PEFT Playground 실행의 설정으로 하는 QLoRA 파인튜닝 (bitsandbytes 4비트 베이스 모델 + peft LoRA, "
        "transformers Trainer). 아래의 모든 기본값은 그 실행의 값입니다."
    ),
    "script.run.help_model": "Hub 모델 ID 또는 로컬 폴더 (채팅 템플릿이 있는 causal LM)",
    "script.run.help_data": "\"instruction\"과 \"response\", 또는 \"messages\"가 있는 행의 JSONL (\"split\": \"test\"인 행은 평가용)",
    "script.run.help_out": "어댑터(peft 형식)와 metrics.json을 쓸 폴더",
    "script.run.help_compute_dtype": "4비트 레이어의 계산 dtype (auto: 지원하는 GPU에서는 bfloat16, 아니면 float16; CPU에서는 float32)",
    "script.run.help_batch_size": "프로세스당 스텝마다의 예시 수 (전체 배치는 이 값 × 프로세스 수)",
    "script.run.help_eval_every": "평가용 손실을 재는 스텝 간격 (0: 학습 전후에만)",
    "script.run.help_cpu": "GPU가 있어도 CPU에서 학습",
    "script.run.help_no_4bit": "베이스 모델을 4비트 대신 --cpu-fallback-dtype으로 로드",
    "script.run.help_fallback_dtype": "CPU에서 4비트를 쓸 수 없을 때 베이스 모델의 dtype",
    "script.run.err_row": "{path}, {number}번째 줄: {error}",
    "script.run.err_conversation": "각 행에는 역할이 system/user/assistant인 메시지가 두 개 이상 있어야 하고, 마지막은 assistant의 답변이어야 합니다",
    "script.run.err_too_few": "{path}에 예시가 {count}개뿐입니다: 학습용 하나와 평가용 하나 이상이 필요합니다.",
    "script.run.err_template": "이 모델의 채팅 템플릿은 답변이 뒤따를 때 프롬프트를 다르게 씁니다. 이 스크립트는 답변 토큰을 표시할 수 없습니다.",
    "script.run.err_none_fit": "--max-length {max_length} 토큰에 들어가는 학습 예시가 없습니다. --max-length를 늘리세요.",
    "script.run.err_positive": "{flag}는 1 이상이어야 합니다. 받은 값: {value}",
    "script.run.err_warmup": "--warmup-steps는 0과 --steps ({steps}) 사이여야 합니다. 받은 값: {value}",
    "script.run.err_rates": "--learning-rate는 (0, 1], --dropout은 [0, 1) 범위여야 합니다. 받은 값: {learning_rate}, {dropout}",
    "script.run.reason_flag": "--no-4bit가 지정되었습니다",
    "script.run.err_sharded_cpu": "accelerate는 {engine}을 GPU(또는 다른 가속기)에서만 실행합니다. CPU에서는 여러 DDP 프로세스를 쓰세요: accelerate launch --config_file accelerate/ddp.yaml --num_processes 2 train.py --cpu",
    "script.run.fallback": "참고: 이 CPU 실행에서는 4비트 로딩을 쓰지 않습니다 ({reason}). 대신 베이스 모델을 {dtype}로 로드합니다. CUDA에서는 4비트로 유지됩니다. 어댑터 형식은 같습니다.",
    "script.run.one_cpu_process": (
        "참고: accelerate launch --cpu는 프로세스를 하나만 시작합니다 (여러 CPU 프로세스에는 mpirun이 필요합니다). "
        "CPU 프로세스 N개: accelerate launch --config_file accelerate/ddp.yaml --num_processes N train.py --cpu"
    ),
    "script.run.skipped": "--max-length {max_length} 토큰보다 긴 예시 {count}개는 제외합니다.",
    "script.run.data": "{path}에서 학습 예시 {train}개, 평가용 예시 {test}개",
    "script.run.loaded": "베이스 모델 {model}: {device}에서 {precision}, 프로세스 {processes}개; LoRA 학습 파라미터 {params}개.",
    "script.run.step": "스텝 {step}/{steps} 손실 {loss} 학습률 {lr}",
    "script.run.eval": "스텝 {step}의 평가용 손실: {loss}",
    "script.run.done": "어댑터와 metrics.json을 {out}에 썼습니다 ({steps} 스텝, {seconds}초).",
}
