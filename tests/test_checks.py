"""The shared checks: the messages they give, and a config built from a form by its field types."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pytest

from playground import checks


@pytest.mark.parametrize(
    "value, low, high, message",
    [
        (0, 1, None, "steps must be a whole number of at least 1, got 0"),
        (11, 1, 10, "steps must be a whole number from 1 to 10, got 11"),
        (True, 0, 10, "steps must be a whole number from 0 to 10, got True"),
        (2.0, 1, 10, "steps must be a whole number from 1 to 10, got 2.0"),
        ("3", 1, 10, "steps must be a whole number from 1 to 10, got '3'"),
    ],
)
def test_whole_number_check_names_field_value_and_range(value, low, high, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        checks.check_whole_number("steps", value, low, high)


def test_whole_number_check_passes_ints_through():
    assert checks.check_whole_number("steps", np.int64(5), 1, 10) == 5 and checks.check_whole_number("n", 0, 0) == 0


@pytest.mark.parametrize(
    "value, expected", [(3, 3), (3.0, 3), ("12", 12), (" 7 ", 7), ("1e3", 1000), (-2.0, -2)],
)
def test_parse_whole_number(value, expected):
    assert checks.parse_whole_number(value, "rank") == expected


@pytest.mark.parametrize(
    "value, message",
    [(None, "rank is empty"), ("", "rank is empty"), ("abc", "rank must be a whole number, got 'abc'"),
     (2.5, "rank must be a whole number, got 2.5"), ([1], "rank must be a whole number, got [1]")],
)
def test_parse_whole_number_refuses(value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        checks.parse_whole_number(value, "rank")


def test_parse_number():
    assert checks.parse_number("0.25", "dropout") == 0.25 and checks.parse_number(3, "dropout") == 3.0
    for value, message in ((None, "dropout is empty"), ("x", "dropout must be a number, got 'x'"),
                           (float("nan"), "dropout must be a finite number"), ("inf", "dropout must be a finite number")):
        with pytest.raises(ValueError, match=re.escape(message)):
            checks.parse_number(value, "dropout")


def test_choice_lists_what_is_allowed():
    checks.check_choice("quant_type", "nf4", checks.QUANT_TYPES)
    with pytest.raises(ValueError, match=re.escape("quant_type must be 'nf4' or 'fp4', got 'int4'")):
        checks.check_choice("quant_type", "int4", checks.QUANT_TYPES)
    with pytest.raises(ValueError, match=re.escape("mode must be 'auto', 'on' or 'off', got 'x'")):
        checks.check_choice("mode", "x", ("auto", "on", "off"))


@dataclass
class Example:
    rank: int = field(default=8, metadata={"label": "LoRA rank"})
    learning_rate: float = 1e-3
    double_quant: bool = False
    target_modules: tuple[str, ...] = ("q",)
    name: str = "run"
    untouched: int = 5


def test_config_from_form_parses_each_field_by_its_type():
    config = checks.config_from_form(
        Example, {"rank": 16.0, "learning_rate": "2e-4", "double_quant": 1, "target_modules": ["q", "v"],
                  "name": "  mine ", "not_a_field": object()})
    assert config == Example(rank=16, learning_rate=2e-4, double_quant=True, target_modules=("q", "v"), name="mine")
    assert checks.config_from_form(Example, {"rank": 4}, name="fixed").name == "fixed"
    with pytest.raises(ValueError, match=re.escape("LoRA rank must be a whole number, got 2.5")):
        checks.config_from_form(Example, {"rank": 2.5})  # the field's label names it
    with pytest.raises(ValueError, match=re.escape("learning rate is empty")):
        checks.config_from_form(Example, {"learning_rate": None})  # else its name in words


def test_messages_follow_the_language_and_english_is_unchanged():
    from playground.i18n import CATALOG, in_language, using

    label = "rank"
    cases = [
        (lambda: checks.check_whole_number(label, 0, 1), "common.check.whole_at_least", dict(low=1, value="0")),
        (lambda: checks.check_whole_number(label, 11, 1, 10), "common.check.whole_range",
         dict(low=1, high=10, value="11")),
        (lambda: checks.parse_whole_number(None, label), "common.check.empty_whole", {}),
        (lambda: checks.parse_whole_number("abc", label), "common.check.not_whole", dict(value="'abc'")),
        (lambda: checks.parse_whole_number(2.5, label), "common.check.not_whole", dict(value="2.5")),
        (lambda: checks.parse_number("", label), "common.check.empty_number", {}),
        (lambda: checks.parse_number("x", label), "common.check.not_number", dict(value="'x'")),
        (lambda: checks.parse_number("inf", label), "common.check.not_finite", dict(value="'inf'")),
        (lambda: checks.check_choice(label, "x", ("a",)), "common.check.choice_one", dict(choice="'a'", value="'x'")),
        (lambda: checks.check_choice(label, "x", ("a", "b", "c")), "common.check.choice_many",
         dict(choices="'a', 'b'", last="'c'", value="'x'")),
    ]
    for call, key, values in cases:
        for language in ("ko", "en"):
            with using(language), pytest.raises(ValueError) as raised:
                call()
            assert str(raised.value) == in_language(key, language, label=label, **values)
    assert CATALOG["ko"]["common.check.whole_range"] != CATALOG["en"]["common.check.whole_range"]
    with using("en"), pytest.raises(ValueError) as raised:
        checks.check_choice("mode", "x", ("auto", "on", "off"))
    assert str(raised.value) == "mode must be 'auto', 'on' or 'off', got 'x'"


@dataclass
class Labelled:
    model: int = field(default=1, metadata={"label_key": "app.model"})


def test_a_field_label_key_is_looked_up_in_the_current_language():
    from playground.i18n import CATALOG, in_language, using

    for language in ("ko", "en"):
        with using(language), pytest.raises(ValueError) as raised:
            checks.config_from_form(Labelled, {"model": 2.5})
        assert str(raised.value) == in_language("common.check.not_whole", language, label=CATALOG[language]["app.model"],
                                                value="2.5")
    with using("en"), pytest.raises(ValueError, match=re.escape("Model must be a whole number, got 2.5")):
        checks.config_from_form(Labelled, {"model": 2.5})
