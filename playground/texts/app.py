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
    "link.copy": "Copy link",
    "link.box": "Link to these settings",
    "link.box_info": "Opening it restores every tab's settings and the open tab. Uploaded or pasted datasets are never in a link.",
    "link.copied": "Link copied to the clipboard and shown in the address bar.",
    "link.not_copied": "The browser did not allow copying: select the link in the box and copy it yourself.",
    "link.restored": "Restored {count} settings from the link.",
    "link.own_data": "Your own dataset (uploaded or pasted) is not in the link: whoever opens it chooses or pastes their own.",
    "link.left_out": "Not in the link: {items}.",
    "link.left_out_long": "{key} ({chars} characters: too long for a link)",
    "link.problems": "Some settings of this link were not applied (their defaults stay): {items}.",
    "link.unknown": "Ignored, not settings of this page: {keys}.",
    "link.more": " (and {count} more)",
    "link.too_long": "This link is too long ({chars} characters; at most {limit}): none of its settings were applied.",
    "link.unreadable": "This link could not be read (broken encoding or more than {limit} parts): none of its settings were applied.",
    "link.twice": "{key} is given twice (the first is used)",
    "link.bad_tab": "tab “{key}” does not exist (one of {tabs})",
    "link.bad_value": "{key}: {reason}",
    "link.bad_bool": "must be 1 or 0",
    "link.bad_number": "must be a number",
    "link.bad_int": "must be a whole number",
    "link.bad_range": "must be between {low} and {high}",
    "link.bad_step": "must be {low} plus a multiple of {step}",
    "link.bad_choice": "must be one of {choices}",
    "link.bad_length": "at most {limit} characters",
    "link.bad_text": "contains control characters",
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
    "link.copy": "링크 복사",
    "link.box": "이 설정의 링크",
    "link.box_info": "링크를 열면 모든 탭의 설정과 열린 탭이 그대로 복원됩니다. 업로드하거나 붙여 넣은 데이터셋은 링크에 들어가지 않습니다.",
    "link.copied": "링크를 클립보드에 복사했고 주소창에도 표시했습니다.",
    "link.not_copied": "브라우저가 복사를 허용하지 않았습니다. 상자의 링크를 선택해 직접 복사하세요.",
    "link.restored": "링크에서 설정 {count}개를 복원했습니다.",
    "link.own_data": "직접 올리거나 붙여 넣은 데이터셋은 링크에 들어가지 않습니다. 링크를 연 사람이 자신의 데이터를 고르거나 붙여 넣어야 합니다.",
    "link.left_out": "링크에 넣지 않은 설정: {items}.",
    "link.left_out_long": "{key}({chars}자: 링크에 넣기에는 너무 깁니다)",
    "link.problems": "이 링크의 일부 설정은 적용하지 않았습니다(기본값 유지): {items}.",
    "link.unknown": "이 페이지의 설정이 아니어서 무시했습니다: {keys}.",
    "link.more": " (외 {count}개)",
    "link.too_long": "링크가 너무 깁니다({chars}자, 최대 {limit}자). 설정을 하나도 적용하지 않았습니다.",
    "link.unreadable": "링크를 읽을 수 없습니다(잘못된 인코딩이거나 {limit}개가 넘는 항목). 설정을 하나도 적용하지 않았습니다.",
    "link.twice": "{key}가 두 번 들어 있습니다(처음 값을 사용)",
    "link.bad_tab": "“{key}” 탭은 없습니다({tabs} 중 하나)",
    "link.bad_value": "{key}: {reason}",
    "link.bad_bool": "1 또는 0이어야 합니다",
    "link.bad_number": "숫자여야 합니다",
    "link.bad_int": "정수여야 합니다",
    "link.bad_range": "{low} 이상 {high} 이하여야 합니다",
    "link.bad_step": "{low}에 {step}의 배수를 더한 값이어야 합니다",
    "link.bad_choice": "{choices} 중 하나여야 합니다",
    "link.bad_length": "최대 {limit}자입니다",
    "link.bad_text": "제어 문자가 들어 있습니다",
}
