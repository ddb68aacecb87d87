"""The notes' examples: each one, run through the real `quantize`, shows the figures it promises."""

from __future__ import annotations

import pytest

from playground.quant import SCHEMES, examples


@pytest.mark.parametrize("example", examples.EXAMPLES, ids=lambda example: example.name)
def test_each_example_shows_its_figures(example):
    if example.name == "bundled_q4_1":
        if not examples.models.bundled_installed():
            pytest.skip("the bundled model package is not installed")
        if "q4_1" not in SCHEMES:
            pytest.skip("Q4_1 is not among the schemes yet")
    measured = examples.measure(example)
    assert set(measured) == set(example.figures)
    for label, figures in example.figures.items():
        for name, expected in figures.items():
            assert examples.agrees(name, expected, measured[label][name]), (label, name, expected, measured[label][name])


def test_the_notes_numbers_are_the_ones_promised():
    """The figures themselves are the notes' (not just whatever the code gives)."""
    notes = examples.get("absmax_zeropoint").figures
    assert notes["absmax int8"]["codes"] == [28, -12, -101, 28, -73, 19, 56, 127]  # round(127/5.4 · x)
    assert notes["zero-point int8"]["zero_point"] == -15 and notes["zero-point int8"]["multiplier"] == 26.2887
    dq = examples.get("double_quant").figures
    assert dq["NF4"]["bits_per_param"] == 4 + 32 / 64 and dq["NF4 + DQ"]["bits_per_param"] == 4 + 8 / 64 + 32 / (64 * 256)


def test_settings_name_only_the_labs_widgets_and_defaults_stay_original():
    for example in examples.EXAMPLES:
        assert set(example.settings) <= set(examples.BASE), example.name
    assert examples.BASE["schemes"] == ["absmax", "zeropoint", "nf4", "fp4"]


def test_an_unknown_example_is_a_clear_error():
    with pytest.raises(ValueError, match="example 'nope' is not known; choose one of absmax_zeropoint"):
        examples.get("nope")
