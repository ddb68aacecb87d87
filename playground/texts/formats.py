"""Texts of the formats section (GGUF Q4_0 / Q4_1 / Q8_0, MXFP4, NVFP4). EN and KO hold the same keys
(tests/test_i18n.py checks it)."""

from __future__ import annotations

EN: dict[str, str] = {
    # the Quantization Lab's scheme checkboxes: t(f"quant.scheme.{name}")
    "quant.scheme.q4_0": "GGUF Q4_0 (llama.cpp)",
    "quant.scheme.q4_1": "GGUF Q4_1 (llama.cpp)",
    "quant.scheme.q8_0": "GGUF Q8_0 (llama.cpp)",
    "quant.scheme.mxfp4": "MXFP4 (OCP microscaling, gpt-oss)",
    "quant.scheme.nvfp4": "NVFP4 (NVIDIA)",
    # rows of the whole-model memory table
    "quant.format.q4_0": "GGUF Q4_0 (blocks of 32, fp16 scale)",
    "quant.format.q4_1": "GGUF Q4_1 (blocks of 32, fp16 scale + min)",
    "quant.format.q8_0": "GGUF Q8_0 (blocks of 32, fp16 scale)",
    "quant.format.mxfp4": "MXFP4 (blocks of 32, E8M0 scale)",
    "quant.format.nvfp4": "NVFP4 (blocks of 16, E4M3 scale + fp32 tensor scale)",
    # what a tab can say next to a fixed format
    "formats.fixed_block": "block {block} fixed",
    "formats.fixed_note": (
        "GGUF Q4_0 / Q4_1 / Q8_0, MXFP4 and NVFP4 fix their own block length and bits: the bits, "
        "granularity and block size chosen here do not change them, and double quantization does not apply."
    ),
    "formats.err.double_quant": (
        "double quantization does not apply to {scheme!r}: the format fixes its own block constants ({constants})"
    ),
    "formats.err.fp16_overflow": (
        "{scheme} stores its block constants as fp16 (at most {limit:g}): values this large (largest |x| = "
        "{largest:.4g}) do not fit; scale them down"
    ),
    "formats.err.nvfp4_tiny": (
        "nvfp4's fp32 tensor scale (largest |x| / 2688) cannot hold values this small (largest |x| = "
        "{largest:.4g}); scale them up"
    ),
}

KO: dict[str, str] = {
    "quant.scheme.q4_0": "GGUF Q4_0 (llama.cpp)",
    "quant.scheme.q4_1": "GGUF Q4_1 (llama.cpp)",
    "quant.scheme.q8_0": "GGUF Q8_0 (llama.cpp)",
    "quant.scheme.mxfp4": "MXFP4 (OCP 마이크로스케일링, gpt-oss)",
    "quant.scheme.nvfp4": "NVFP4 (NVIDIA)",
    "quant.format.q4_0": "GGUF Q4_0 (블록 크기 32, fp16 스케일)",
    "quant.format.q4_1": "GGUF Q4_1 (블록 크기 32, fp16 스케일 + 최솟값)",
    "quant.format.q8_0": "GGUF Q8_0 (블록 크기 32, fp16 스케일)",
    "quant.format.mxfp4": "MXFP4 (블록 크기 32, E8M0 스케일)",
    "quant.format.nvfp4": "NVFP4 (블록 크기 16, E4M3 스케일 + fp32 텐서 스케일)",
    "formats.fixed_block": "블록 {block} 고정",
    "formats.fixed_note": (
        "GGUF Q4_0 / Q4_1 / Q8_0, MXFP4, NVFP4는 블록 크기와 비트 수가 형식에 정해져 있습니다. 여기서 고른 "
        "비트 수, 단위, 블록 크기는 이 형식들을 바꾸지 않으며, 이중 양자화도 적용되지 않습니다."
    ),
    "formats.err.double_quant": (
        "{scheme!r}에는 이중 양자화가 적용되지 않습니다. 이 형식은 블록 상수({constants})가 정해져 있습니다"
    ),
    "formats.err.fp16_overflow": (
        "{scheme}은(는) 블록 상수를 fp16(최대 {limit:g})으로 저장합니다. 이렇게 큰 값(가장 큰 |x| = "
        "{largest:.4g})은 담을 수 없으니 값을 줄이세요"
    ),
    "formats.err.nvfp4_tiny": (
        "nvfp4의 fp32 텐서 스케일(가장 큰 |x| / 2688)로는 이렇게 작은 값(가장 큰 |x| = {largest:.4g})을 "
        "담을 수 없으니 값을 키우세요"
    ),
}
