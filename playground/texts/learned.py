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
}
