"""The lesson as data: its steps follow the notes, every text exists in both languages, and the numbers the
texts quote are what the core computes."""

from __future__ import annotations

import re

import pytest

from playground import lesson
from playground.i18n import CATALOG
from playground.quant import metrics, parse_numbers, quantize, step_table

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def look(step_id: str, language: str) -> str:
    return CATALOG[language][f"lesson.{step_id}.look"]


def test_the_steps_follow_the_notes_through_the_tabs_in_order():
    assert [step.id for step in lesson.STEPS] == [
        "absmax", "outliers", "blockwise", "nf4", "double-quant", "adapter", "lora", "prompt-tuning", "qlora-run",
        "qlora-compare"]
    tab_order = [lesson.TABS.index(step.tab) for step in lesson.STEPS]
    assert tab_order == sorted(tab_order)  # quantization, then adapters and LoRA, then the Studio


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_step_text_exists(language):
    for step in lesson.STEPS:
        for key in step.text_keys:
            assert CATALOG[language].get(key), f"{key} missing in {language}"
            if language == "ko":
                assert HANGUL.search(CATALOG[language][key]), key


def test_each_quant_step_names_everything_its_figures_depend_on():
    for step in lesson.STEPS:
        if step.tab == "quant":
            needed = lesson.QUANT_COMMON + lesson.QUANT_BY_SOURCE[step.settings["source"]]
            assert set(needed) <= set(step.settings), step.id
        if step.tab == "adapters":
            needed = lesson.ADAPTERS_COMMON + (lesson.ADAPTERS_CUSTOM if step.settings["source"] == "custom" else ())
            assert set(needed) <= set(step.settings), step.id


def test_absmax_and_zero_point_numbers_of_the_first_step():
    x = parse_numbers(lesson.NOTES_VECTOR)
    absmax = quantize(x, "absmax", bits=8, blocksize=None)
    codes = [row["code"] for row in step_table(x, absmax)]
    assert codes == [28, -12, -101, 28, -73, 19, 56, 127]
    zero_point = step_table(x, quantize(x, "zeropoint", bits=8, blocksize=None))
    assert zero_point[0]["scale"] == pytest.approx(26.2887, abs=1e-4)
    assert zero_point[0]["zero_point"] == -15
    assert (zero_point[2]["code"], zero_point[7]["code"]) == (-128, 127)  # min −4.3 and max 5.4: both ends
    c = 127 / 5.4
    for language in ("en", "ko"):
        text = look("absmax", language)
        assert f"{c:.2f}" in text and "26.29" in text and "−15" in text
        assert "28, −12, −101, 28, −73, 19, 56, 127" in text


def test_double_quantization_bits_quoted_by_its_step():
    step = lesson.STEPS[lesson.index_of("double-quant")]
    x = torch_normal(step.settings["size"])
    result = quantize(x, "nf4", bits=4, blocksize=int(step.settings["blocksize"]), double_quant=True)
    bits = metrics(x, result)["bits_per_param"]
    assert bits == 4 + 8 / 64 + 32 / (64 * 256) == 4.126953125
    for language in ("en", "ko"):
        assert "4.126953125" in look("double-quant", language) and "4.127" in look("double-quant", language)
    saving_gb = (4.5 - bits) * 65e9 / 8 / 1e9
    assert round(saving_gb) == 3  # "≈ 3 GB" on a 65B model
    assert "0.373" in CATALOG["en"]["lesson.double-quant.answer"] and round(4.5 - bits, 3) == 0.373


def torch_normal(size: int):
    import torch

    return torch.randn(size, generator=torch.Generator().manual_seed(0))


def test_lora_numbers_of_its_step():
    from playground import adapters as A

    step = lesson.STEPS[lesson.index_of("lora")]
    config = A.custom_llama_config(*(step.settings[name] for name in lesson.ADAPTERS_CUSTOM))
    settings = A.MethodSettings(r=step.settings["r"], alpha=step.settings["alpha"],
                                target_modules=tuple(step.settings["target_modules"]))
    rows = A.parameter_table(config, settings)
    per_matrix = [row.per_layer for row in rows if row.method == "LoRA" and row.module == "q_proj"]
    assert per_matrix == [16 * (4096 + 4096)] == [131_072]
    assert f"{131_072 / 4096 ** 2:.2%}" == "0.78%"
    for language in ("en", "ko"):
        assert "131,072" in look("lora", language) and "0.78%" in look("lora", language)
        assert "16,777,216" in look("lora", language) and "8,388,608" in look("lora", language)


def test_adapter_and_prompt_tuning_numbers_of_their_steps():
    from playground import adapters as A

    step = lesson.STEPS[lesson.index_of("adapter")]
    d, m = step.settings["d_model"], step.settings["bottleneck"]
    assert (d, m) == (6, 2) and 2 * m * d + d + m == 32
    config = A.custom_llama_config(d, step.settings["d_ff"], step.settings["layers"], step.settings["heads"],
                                   step.settings["kv_heads"])
    rows = A.parameter_table(config, A.MethodSettings(r=step.settings["r"], alpha=step.settings["alpha"],
                                                      bottleneck=m, target_modules=("q", "v")))
    assert {row.per_layer for row in rows if row.method.startswith("Adapter") and "after" in row.module} == {32}
    assert "**32**" in look("adapter", "en") and "**32**" in look("adapter", "ko")
    tokens = lesson.STEPS[lesson.index_of("prompt-tuning")].settings["prompt_tokens"]
    assert tokens * 576 == 11_520  # SmolLM2-135M's d_model (REFERENCE.md)
    assert "11,520" in look("prompt-tuning", "en") and "11,520" in look("prompt-tuning", "ko")


def test_moving_stays_within_the_lesson():
    last = len(lesson.STEPS) - 1
    assert lesson.neighbour(0, -1) == 0 and lesson.neighbour(0, 1) == 1 and lesson.neighbour(last, 1) == last
    assert lesson.index_of("nf4") == 3


def test_bad_step_and_bad_tab_are_clear_errors():
    with pytest.raises(ValueError, match="no lesson step 'nope'.*absmax, outliers"):
        lesson.index_of("nope")
    with pytest.raises(ValueError, match="unknown tab 'lab'"):
        lesson.Step("x", "lab")
