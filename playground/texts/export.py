"""Texts of the export section. EN and KO hold the same keys (tests/test_i18n.py checks it).

"export.card.*" are the model card's (README.md of every export), "export.modelfile.*" the Modelfile's
comments, "export.cli.*" the command line's; written in the language of whoever exports.
"""

from __future__ import annotations

EN: dict[str, str] = {
    # panel
    "export.panel.title": "Take it home: export the run",
    "export.panel.intro": (
        "The run picked above, in the format you run it with: the **peft adapter** (with a model card), the "
        "**merged model** (adapter folded into the dequantized 4-bit base, safetensors), **GGUF** for llama.cpp "
        "and Ollama (F16, Q8_0, Q4_0, with a ready `Modelfile`), or a **training script** with these settings for "
        "your own GPUs. One export is kept per session: a new one replaces it."
    ),
    "export.panel.format": "Format",
    "export.panel.format_info": "Its size is checked before it starts and shown when it is done, with how to run it. GGUF covers Llama-family models such as SmolLM2.",
    "export.panel.button": "Export",
    "export.panel.files": "Export files",
    "export.panel.hub": "Push to the Hugging Face Hub (optional)",
    "export.panel.hub_info": (
        "Uploads the chosen format's export to a model repo of yours. The token is used for this push only: it "
        "is not stored, not logged, and the field is cleared afterwards. Use a token with write access."
    ),
    "export.panel.repo_id": "Repo id (owner/name)",
    "export.panel.token": "Hugging Face token",
    "export.panel.private": "Private repo",
    "export.panel.push": "Push to the Hub",
    "export.format.adapter": "peft adapter (.zip)",
    "export.format.merged": "merged model (safetensors)",
    "export.format.gguf-f16": "GGUF F16",
    "export.format.gguf-q8_0": "GGUF Q8_0",
    "export.format.gguf-q4_0": "GGUF Q4_0",
    "export.format.script": "training script (train.py + accelerate)",
    "export.result": "**{format}**: {size}, exported in {seconds} s. Files: {files}.",
    "export.pushed": "Pushed: {url}",
    # progress
    "export.progress.adapter": "Copying the adapter and writing its model card…",
    "export.progress.merging": "Dequantizing the 4-bit base of {model} and merging the adapter…",
    "export.progress.saving": "Saving the merged model (safetensors)…",
    "export.progress.gguf": "Writing the GGUF file ({kind})…",
    "export.progress.pushing": "Uploading to {repo_id}…",
    "export.progress.done": "Export finished.",
    # how to run
    "export.how.adapter": "Load it with peft on its base model, in 4 bits as it trained:",
    "export.how.adapter_bundled": (
        "Load it with peft on its base model, in 4 bits as it trained. It trained on the bundled copy (the Q4_1 "
        "GGUF, dequantized); on the Hub original below it loads the same way, with slightly different answers:"
    ),
    "export.how.merged": "A plain transformers model (the adapter is inside the weights; no peft needed):",
    "export.how.llama_cpp": "With llama.cpp (chat mode uses the chat template stored in the file):",
    "export.how.ollama": "With Ollama (the Modelfile beside the file sets the chat template and the stop token):",
    "export.how.gguf_transformers": "With transformers (dequantized on load):",
    "export.how.script": (
        "Unzip `{folder}` and run `python train.py` on one machine, or `accelerate launch --config_file "
        "accelerate/ddp.yaml --num_processes 4 train.py` on several GPUs (README.txt inside says more)."
    ),
    # model card
    "export.card.title": "{model} + LoRA ({dataset})",
    "export.card.what.adapter": "A LoRA adapter in peft format, trained with QLoRA in the PEFT Playground.",
    "export.card.what.merged": (
        "The PEFT Playground's LoRA merged into its base: every target layer holds W₀ + (α/r)·B·A, with W₀ the "
        "dequantized 4-bit weights the adapter trained on, in the base's original precision."
    ),
    "export.card.what.gguf-f16": "The merged model (base + LoRA) as GGUF F16, for llama.cpp and Ollama.",
    "export.card.what.gguf-q8_0": "The merged model (base + LoRA) as GGUF Q8_0 (8-bit blocks of 32), for llama.cpp and Ollama.",
    "export.card.what.gguf-q4_0": (
        "The merged model (base + LoRA) as GGUF Q4_0 (4-bit blocks of 32; the token embedding, also the output "
        "layer, in Q8_0), for llama.cpp and Ollama."
    ),
    "export.card.base": "Base model",
    "export.card.base_id": "Base",
    "export.card.weights": "Its weights",
    "export.card.quant": "4-bit quantization during training",
    "export.card.dataset": "Data",
    "export.card.dataset_name": "Dataset",
    "export.card.steps_done": "Steps trained: {steps} of {total}",
    "export.card.stopped": "stopped early",
    "export.card.trainable": "Trainable parameters: {count}",
    "export.card.settings": "Settings",
    "export.card.setting": "setting",
    "export.card.value": "value",
    "export.card.metrics": "Held-out metrics",
    "export.card.metric": "metric",
    "export.card.full": "full precision",
    "export.card.before": "4-bit base (before)",
    "export.card.after": "4-bit + LoRA (after)",
    "export.card.held_out_loss": "held-out loss",
    "export.card.no_metrics": "No held-out metric was measured for this run.",
    "export.card.how": "How to run it",
    "export.modelfile.comment": "Ollama Modelfile from the PEFT Playground: ollama create NAME -f Modelfile",
    "export.modelfile.no_template": (
        "No TEMPLATE: this chat template is not ChatML; Ollama reads tokenizer.chat_template from the GGUF."
    ),
    # command line
    "export.cli.description": "Export a fine-tune run (the Studio's run folder or finetune --out) in a runnable format.",
    "export.cli.run_dir": "the run folder: adapter_config.json, adapter_model.safetensors, metrics.json",
    "export.cli.format": "what to write",
    "export.cli.out": "a new (or empty) folder for the export",
    "export.cli.push_to": "also push the export to this Hub model repo, with the token in HF_TOKEN",
    "export.cli.public": "make the pushed repo public (default private)",
    "export.cli.done": "{format} written to {folder}: {size} in {seconds} s",
    # errors
    "export.err.pick_run": "Pick a run to export first (the run picker above; train one if the list is empty).",
    "export.err.format": "Unknown export format {format}; one of: {formats}.",
    "export.err.no_folder": "{path} is not a folder. Give the folder of a run (it holds adapter_config.json and metrics.json).",
    "export.err.not_a_run": "{path} is not a run folder: {missing} missing. A run folder is what the Studio keeps per run or what python -m playground.finetune --out writes.",
    "export.err.bad_metrics": "Cannot read the run's settings from {path}: {error}",
    "export.err.out_not_empty": "The output {path} already exists and is not an empty folder; give a new folder.",
    "export.err.too_big": "The {format} export would take about {size}; with {used} already used, that exceeds this session's disk limit of {limit}. Pick a smaller format (GGUF Q4_0 or Q8_0, or the adapter).",
    "export.err.disk_full": "The {format} export needs about {size} but only {free} is free on this disk.",
    "export.err.server_full": "The {format} export would take about {size}, and this server's exports already hold {used} of the {limit} they may use together. Try a smaller format (the adapter, GGUF Q4_0), or again later: each session keeps only its latest export, and idle sessions are cleared.",
    "export.err.busy": "An export of this session is still running; wait for it to finish, then export again.",
    "export.err.shape": "The 4-bit layer {name} dequantizes to shape {got}, but the model has {expected}.",
    "export.err.no_4bit": "The 4-bit copy of {model} has no quantized layer to dequantize.",
    "export.err.gguf_arch": "GGUF export covers Llama-family models (model_type 'llama'); this one is {model_type}. Export the merged model instead and convert it with llama.cpp's convert_hf_to_gguf.py.",
    "export.err.gguf_rope": "GGUF export covers plain RoPE; this model uses {rope_type} RoPE scaling. Export the merged model and convert it with llama.cpp's converter.",
    "export.err.gguf_bias": "GGUF export covers Llama models without attention or MLP biases; export the merged model instead.",
    "export.err.gguf_tokenizer": "GGUF export writes byte-level BPE (gpt2) tokenizers; this one is {kind}. Export the merged model and convert it with llama.cpp's converter.",
    "export.err.gguf_tensor": "No GGUF name for the tensor {name}: not a Llama weight.",
    "export.err.script_user_data": "A run on your own data exports its training script from the settings form (python -m playground.finetune --data … --export-script DIR): the run folder does not keep the examples.",
    "export.err.repo_id": "{repo_id} is not a Hub repo id; write it as owner/name (letters, digits, '-', '_', '.').",
    "export.err.no_token": "Paste a Hugging Face token with write access to push (it is used for this push only).",
    "export.err.offline": "Cannot reach the Hugging Face Hub from this server (offline, or HF_HUB_OFFLINE is set), so nothing was pushed. Download the files and upload them yourself, or push where the Hub is reachable.",
    "export.err.push_failed": "Pushing to {repo_id} failed: {error}",
    "export.what_merge": "a merge: {count} parameters as float32 plus their 4-bit copy",
}

KO: dict[str, str] = {
    # panel
    "export.panel.title": "가져가기: 실행 결과 내보내기",
    "export.panel.intro": (
        "위에서 고른 실행을 바로 쓸 수 있는 형식으로 내보냅니다: **peft 어댑터**(모델 카드 포함), **병합 모델**"
        "(역양자화한 4비트 베이스에 어댑터를 합친 safetensors), llama.cpp와 Ollama용 **GGUF**(F16, Q8_0, Q4_0, "
        "바로 쓰는 `Modelfile` 포함), 또는 이 설정으로 내 GPU에서 돌리는 **학습 스크립트**. 세션마다 내보낸 결과는 "
        "하나만 남습니다: 새로 내보내면 이전 것을 바꿉니다."
    ),
    "export.panel.format": "형식",
    "export.panel.format_info": "크기는 시작 전에 확인하고, 끝나면 실행 방법과 함께 보여 줍니다. GGUF는 SmolLM2 같은 Llama 계열 모델을 다룹니다.",
    "export.panel.button": "내보내기",
    "export.panel.files": "내보낸 파일",
    "export.panel.hub": "Hugging Face Hub에 올리기(선택)",
    "export.panel.hub_info": (
        "고른 형식으로 내보낸 결과를 내 모델 저장소에 올립니다. 토큰은 이번 업로드에만 쓰이고 저장되지 않으며 "
        "로그에도 남지 않고, 업로드 후 입력란은 비워집니다. 쓰기 권한이 있는 토큰을 쓰세요."
    ),
    "export.panel.repo_id": "저장소 id (owner/name)",
    "export.panel.token": "Hugging Face 토큰",
    "export.panel.private": "비공개 저장소",
    "export.panel.push": "Hub에 올리기",
    "export.format.adapter": "peft 어댑터 (.zip)",
    "export.format.merged": "병합 모델 (safetensors)",
    "export.format.gguf-f16": "GGUF F16",
    "export.format.gguf-q8_0": "GGUF Q8_0",
    "export.format.gguf-q4_0": "GGUF Q4_0",
    "export.format.script": "학습 스크립트 (train.py + accelerate)",
    "export.result": "**{format}**: {size}, 내보내기 {seconds}초. 파일: {files}.",
    "export.pushed": "올렸습니다: {url}",
    # progress
    "export.progress.adapter": "어댑터를 복사하고 모델 카드를 쓰는 중…",
    "export.progress.merging": "{model}의 4비트 베이스를 역양자화하고 어댑터를 병합하는 중…",
    "export.progress.saving": "병합 모델을 저장하는 중(safetensors)…",
    "export.progress.gguf": "GGUF 파일을 쓰는 중({kind})…",
    "export.progress.pushing": "{repo_id}에 올리는 중…",
    "export.progress.done": "내보내기를 마쳤습니다.",
    # how to run
    "export.how.adapter": "학습 때처럼 4비트로 불러온 베이스 모델에 peft로 얹습니다:",
    "export.how.adapter_bundled": (
        "학습 때처럼 4비트로 불러온 베이스 모델에 peft로 얹습니다. 이 어댑터는 번들 사본(Q4_1 GGUF를 역양자화한 것)으로 "
        "학습했습니다. 아래의 Hub 원본에도 같은 방법으로 얹을 수 있고, 답은 조금 다를 수 있습니다:"
    ),
    "export.how.merged": "평범한 transformers 모델입니다(어댑터가 가중치 안에 들어 있어 peft가 필요 없습니다):",
    "export.how.llama_cpp": "llama.cpp로(대화 모드는 파일에 저장된 채팅 템플릿을 씁니다):",
    "export.how.ollama": "Ollama로(옆의 Modelfile이 채팅 템플릿과 멈춤 토큰을 정합니다):",
    "export.how.gguf_transformers": "transformers로(불러올 때 역양자화됩니다):",
    "export.how.script": (
        "`{folder}`의 압축을 풀고 한 대에서는 `python train.py`, 여러 GPU에서는 `accelerate launch --config_file "
        "accelerate/ddp.yaml --num_processes 4 train.py`로 실행합니다(자세한 내용은 안의 README.txt)."
    ),
    # model card
    "export.card.title": "{model} + LoRA ({dataset})",
    "export.card.what.adapter": "PEFT Playground에서 QLoRA로 학습한 peft 형식의 LoRA 어댑터입니다.",
    "export.card.what.merged": (
        "PEFT Playground의 LoRA를 베이스에 병합한 모델입니다: 대상 레이어마다 W₀ + (α/r)·B·A이고, W₀는 어댑터가 "
        "학습한 4비트 가중치를 역양자화한 값이며 베이스 원래의 정밀도로 저장했습니다."
    ),
    "export.card.what.gguf-f16": "병합 모델(베이스 + LoRA)의 GGUF F16 파일입니다(llama.cpp, Ollama용).",
    "export.card.what.gguf-q8_0": "병합 모델(베이스 + LoRA)의 GGUF Q8_0 파일입니다(32개짜리 블록의 8비트, llama.cpp, Ollama용).",
    "export.card.what.gguf-q4_0": (
        "병합 모델(베이스 + LoRA)의 GGUF Q4_0 파일입니다(32개짜리 블록의 4비트. 출력 레이어를 겸하는 토큰 임베딩은 "
        "Q8_0). llama.cpp, Ollama용."
    ),
    "export.card.base": "베이스 모델",
    "export.card.base_id": "베이스",
    "export.card.weights": "가중치",
    "export.card.quant": "학습 중 4비트 양자화",
    "export.card.dataset": "데이터",
    "export.card.dataset_name": "데이터셋",
    "export.card.steps_done": "학습한 스텝: {total} 중 {steps}",
    "export.card.stopped": "중간에 멈춤",
    "export.card.trainable": "학습 파라미터: {count}",
    "export.card.settings": "설정",
    "export.card.setting": "설정",
    "export.card.value": "값",
    "export.card.metrics": "평가용 데이터 지표",
    "export.card.metric": "지표",
    "export.card.full": "전체 정밀도",
    "export.card.before": "4비트 베이스(학습 전)",
    "export.card.after": "4비트 + LoRA(학습 후)",
    "export.card.held_out_loss": "평가 손실",
    "export.card.no_metrics": "이 실행은 평가용 데이터 지표를 재지 않았습니다.",
    "export.card.how": "실행 방법",
    "export.modelfile.comment": "PEFT Playground의 Ollama Modelfile: ollama create NAME -f Modelfile",
    "export.modelfile.no_template": (
        "TEMPLATE 없음: 이 채팅 템플릿은 ChatML이 아니라서 Ollama가 GGUF의 tokenizer.chat_template을 읽습니다."
    ),
    # command line
    "export.cli.description": "파인튜닝 실행(Studio의 실행 폴더 또는 finetune --out)을 바로 쓰는 형식으로 내보냅니다.",
    "export.cli.run_dir": "실행 폴더: adapter_config.json, adapter_model.safetensors, metrics.json",
    "export.cli.format": "쓸 형식",
    "export.cli.out": "내보낼 새(또는 빈) 폴더",
    "export.cli.push_to": "내보낸 결과를 이 Hub 모델 저장소에도 올립니다(토큰은 HF_TOKEN에서)",
    "export.cli.public": "올린 저장소를 공개로(기본은 비공개)",
    "export.cli.done": "{format}을(를) {folder}에 썼습니다: {size}, {seconds}초",
    # errors
    "export.err.pick_run": "먼저 내보낼 실행을 고르세요(위의 실행 선택. 목록이 비었으면 먼저 학습하세요).",
    "export.err.format": "알 수 없는 내보내기 형식 {format}입니다. 다음 중 하나: {formats}.",
    "export.err.no_folder": "{path}는 폴더가 아닙니다. 실행 폴더(adapter_config.json과 metrics.json이 있는 폴더)를 주세요.",
    "export.err.not_a_run": "{path}는 실행 폴더가 아닙니다: {missing} 없음. 실행 폴더는 Studio가 실행마다 남기는 폴더나 python -m playground.finetune --out이 쓰는 폴더입니다.",
    "export.err.bad_metrics": "{path}에서 실행 설정을 읽을 수 없습니다: {error}",
    "export.err.out_not_empty": "출력 {path}가 이미 있고 빈 폴더가 아닙니다. 새 폴더를 주세요.",
    "export.err.too_big": "{format} 내보내기는 약 {size}가 필요합니다. 이미 {used}를 쓰고 있어 이 세션의 디스크 한도 {limit}를 넘습니다. 더 작은 형식(GGUF Q4_0이나 Q8_0, 또는 어댑터)을 고르세요.",
    "export.err.disk_full": "{format} 내보내기에 약 {size}가 필요하지만 디스크에 남은 공간은 {free}뿐입니다.",
    "export.err.server_full": "{format} 내보내기는 약 {size}가 필요한데, 이 서버의 내보내기 파일이 이미 함께 쓸 수 있는 {limit} 중 {used}를 차지하고 있습니다. 더 작은 형식(어댑터, GGUF Q4_0)을 고르거나 나중에 다시 해 보세요: 세션마다 마지막 내보내기만 남고, 쉬고 있는 세션은 정리됩니다.",
    "export.err.busy": "이 세션의 내보내기가 아직 진행 중입니다. 끝난 뒤 다시 내보내세요.",
    "export.err.shape": "4비트 레이어 {name}을(를) 역양자화한 모양은 {got}인데 모델의 모양은 {expected}입니다.",
    "export.err.no_4bit": "{model}의 4비트 사본에 역양자화할 양자화 레이어가 없습니다.",
    "export.err.gguf_arch": "GGUF 내보내기는 Llama 계열 모델(model_type 'llama')만 다룹니다. 이 모델은 {model_type}입니다. 병합 모델을 내보낸 뒤 llama.cpp의 convert_hf_to_gguf.py로 변환하세요.",
    "export.err.gguf_rope": "GGUF 내보내기는 기본 RoPE만 다룹니다. 이 모델은 {rope_type} RoPE 스케일링을 씁니다. 병합 모델을 내보낸 뒤 llama.cpp 변환기로 변환하세요.",
    "export.err.gguf_bias": "GGUF 내보내기는 어텐션·MLP 편향이 없는 Llama 모델만 다룹니다. 병합 모델을 내보내세요.",
    "export.err.gguf_tokenizer": "GGUF 내보내기는 바이트 수준 BPE(gpt2) 토크나이저만 씁니다. 이 토크나이저는 {kind}입니다. 병합 모델을 내보낸 뒤 llama.cpp 변환기로 변환하세요.",
    "export.err.gguf_tensor": "텐서 {name}의 GGUF 이름이 없습니다: Llama 가중치가 아닙니다.",
    "export.err.script_user_data": "내 데이터로 한 실행의 학습 스크립트는 설정 폼에서 내보냅니다(python -m playground.finetune --data … --export-script DIR). 실행 폴더에는 예시가 남지 않습니다.",
    "export.err.repo_id": "{repo_id}는 Hub 저장소 id가 아닙니다. owner/name 형태로 쓰세요(영문자, 숫자, '-', '_', '.').",
    "export.err.no_token": "올리려면 쓰기 권한이 있는 Hugging Face 토큰을 붙여 넣으세요(이번 업로드에만 쓰입니다).",
    "export.err.offline": "이 서버에서 Hugging Face Hub에 닿을 수 없어(오프라인이거나 HF_HUB_OFFLINE이 설정됨) 아무것도 올리지 않았습니다. 파일을 내려받아 직접 올리거나, Hub에 닿는 곳에서 올리세요.",
    "export.err.push_failed": "{repo_id}에 올리지 못했습니다: {error}",
    "export.what_merge": "병합: float32 파라미터 {count}개와 그 4비트 사본",
}
