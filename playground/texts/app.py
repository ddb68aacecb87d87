"""The page around the tabs: title, header, tab names, the model picker, the language switch.

EN and KO hold the same keys (tests/test_i18n.py checks it, and that both share each text's {placeholders}).
"""

from __future__ import annotations

EN: dict[str, str] = {
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
    "app.language": "Language · 언어",
    "app.language_info": "Your choice is kept in this browser; a link with ?lang=ko or ?lang=en opens the page in that language.",
}

KO: dict[str, str] = {
    "app.title": "PEFT Playground",  # the app's name, kept as it is (a Hangul-free copy of the English is allowed)
    "app.header": (
        "# PEFT Playground\n"
        "**양자화**와 **파라미터 효율적 미세 조정**(PEFT)이 실제 모델에서 어떻게 동작하는지 브라우저에서 직접 확인해 보세요."
    ),
    "app.model": "모델",
    "app.model_info": (
        "내장 SmolLM2-135M은 오프라인에서도 동작합니다. tiny/llama는 레이어 2개짜리 무작위 가중치 모델이고, "
        "Hub 모델 id는 온라인일 때 불러옵니다."
    ),
    "tab.quant": "양자화 실험실",
    "tab.adapters": "어댑터 vs LoRA",
    "tab.studio": "QLoRA 스튜디오",
    "app.language": "Language · 언어",
    "app.language_info": "선택은 이 브라우저에 저장됩니다. ?lang=ko 또는 ?lang=en이 붙은 링크는 페이지를 그 언어로 엽니다.",
}
