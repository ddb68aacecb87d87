"""Small checks every config uses, and the names of choices that more than one module offers.

A check raises a ValueError whose message names the setting, the value and what is allowed; the UI shows
that message as it is, in the current language (the sentences are the "common.check.*" texts of
playground/texts/common.py; a caller passes a `label` made with `t`). `parse_whole_number` and
`parse_number` are for values typed into a form (Gradio numbers arrive as floats, text as strings);
`check_whole_number` is for values already in a config, and `config_from_form` builds a config dataclass
from a form's values by the types of its fields.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Iterable, Literal

import numpy as np

from playground.i18n import t

# bitsandbytes' 4-bit data types (QLoRA §3): NormalFloat4 and the 4-bit float.
QuantType = Literal["nf4", "fp4"]
QUANT_TYPES: tuple[str, ...] = ("nf4", "fp4")
MAX_SEED = 2**32 - 1  # seeds are 0 … 2³² − 1, what every generator here accepts


def check_whole_number(label: str, value, low: int = 1, high: int | None = None) -> int:
    """`value` if it is an int in [low, high] (high None: no upper end); a ValueError otherwise."""
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not is_int or value < low or (high is not None and value > high):
        if high is None:
            raise ValueError(t("common.check.whole_at_least", label=label, low=low, value=repr(value)))
        raise ValueError(t("common.check.whole_range", label=label, low=low, high=high, value=repr(value)))
    return int(value)


def parse_whole_number(value, label: str) -> int:
    """A form's number as an int, or a ValueError that names the field."""
    if value is None or value == "":
        raise ValueError(t("common.check.empty_whole", label=label))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(t("common.check.not_whole", label=label, value=repr(value))) from None
    if not number.is_integer():
        raise ValueError(t("common.check.not_whole", label=label, value=str(value)))
    return int(number)


def parse_number(value, label: str) -> float:
    """A form's number as a finite float, or a ValueError that names the field."""
    if value is None or value == "":
        raise ValueError(t("common.check.empty_number", label=label))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(t("common.check.not_number", label=label, value=repr(value))) from None
    if not math.isfinite(number):
        raise ValueError(t("common.check.not_finite", label=label, value=repr(value)))
    return number


def field_label(field: dataclasses.Field) -> str:
    """How messages name a config field: the text of its `label_key` metadata (a catalog key, looked up now, in
    the current language), else its `label` metadata, else its name in words."""
    if "label_key" in field.metadata:
        return t(field.metadata["label_key"])
    return field.metadata.get("label", field.name.replace("_", " "))


def config_from_form(config_class: type, values: dict, **fixed):
    """`config_class(**fixed, ...)` with every field found in `values`, each parsed by the field's type:
    whole numbers and numbers from what a form sends, flags as bools, sequences as tuples, text stripped."""
    hints = typing.get_type_hints(config_class)
    settings = dict(fixed)
    for field in dataclasses.fields(config_class):
        if field.name not in values or field.name in fixed:
            continue
        kind, value, label = hints[field.name], values[field.name], field_label(field)
        if kind is int:
            value = parse_whole_number(value, label)
        elif kind is float:
            value = parse_number(value, label)
        elif kind is bool:
            value = bool(value)
        elif typing.get_origin(kind) is tuple:
            value = tuple(value or ())
        elif isinstance(value, str):
            value = value.strip()
        settings[field.name] = value
    return config_class(**settings)


def check_choice(label: str, value, allowed: Iterable) -> None:
    """A ValueError naming the allowed values when `value` is not one of them."""
    allowed = tuple(allowed)
    if value not in allowed:
        names = [repr(choice) for choice in allowed]
        if len(names) == 1:
            raise ValueError(t("common.check.choice_one", label=label, choice=names[0], value=repr(value)))
        raise ValueError(t("common.check.choice_many", label=label, choices=", ".join(names[:-1]), last=names[-1],
                           value=repr(value)))
