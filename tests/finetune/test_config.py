"""FinetuneConfig's checks and the presets: a bad value is refused by name, with its allowed range."""

from __future__ import annotations

import pytest

from playground import finetune as ft
from playground.settings import LIMITS


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 0}, "steps must be a whole number from 1 to"),
        ({"steps": LIMITS.max_steps + 1}, f"from 1 to {LIMITS.max_steps}"),
        ({"quant_type": "int3"}, "'nf4' or 'fp4'"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"target_modules": ("lm_head",)}, "subset of"),
        ({"dataset": "poems"}, "json-extract"),
        ({"warmup_steps": 50, "steps": 10}, "warmup_steps"),
        ({"device": "tpu"}, "device"),
        ({"seed": -1}, "seed must be a whole number from 0 to 4294967295, got -1"),
        ({"seed": 10**30}, "seed must be a whole number from 0 to 4294967295, got 10000000000000000000000000000"),
    ],
)
def test_config_errors_name_the_value_and_the_range(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ft.FinetuneConfig(**kwargs)


def test_presets_are_valid_configs():
    assert set(ft.PRESETS) == {"quick", "workshop-gpu", "thorough"}
    for name in ft.PRESETS:
        assert ft.preset(name).steps <= LIMITS.max_steps
