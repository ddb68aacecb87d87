"""Experiment presets: a small grid of runs that differ in one setting, queued one after another, so the
runs can be compared side by side.

    EXPERIMENTS["rank"].configs(base) ─► [("r=2", config), ("r=8", config), ("r=32", config)]
        each config is `base` with the one setting changed (dataclasses.replace: validated again)

    rank           r = 2 / 8 / 32, α scaled with r (α/r kept as the base's: 2 for r = 8, α = 16)
    quant_type     NF4 / FP4 (the base's double quantization)
    double_quant   on / off (the base's 4-bit type)
    targets        q, k, v, o only / every projection (q, k, v, o, gate, up, down)
    learning_rate  ×0.3 / ×1 / ×3 the base's

Each experiment names a title and a "what to look for" text (playground/texts/experiments.py): what the
runs show, with what the LoRA paper (Hu et al. 2021) and the QLoRA paper (Dettmers et al. 2023) found.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from playground.finetune.config import ALL_PROJECTIONS, FinetuneConfig

ATTENTION_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj")
RANKS = (2, 8, 32)
LEARNING_RATE_FACTORS = (0.3, 1.0, 3.0)


@dataclass(frozen=True)
class Experiment:
    """One grid: `configs(base)` gives each variant's label and config, in the order they run."""

    name: str
    title: str  # text key
    look_for: str  # text key: what the runs will show
    _variants: Callable[[FinetuneConfig], list[tuple[str, dict]]]

    def configs(self, base: FinetuneConfig) -> list[tuple[str, FinetuneConfig]]:
        """(variant label, config) for each run: `base` with the experiment's setting changed. A variant
        that is not a valid config (a learning rate ×3 over 1) is a ValueError here."""
        from playground.i18n import t

        configs = []
        for label, changes in self._variants(base):
            try:
                configs.append((label, replace(base, **changes)))
            except ValueError as err:
                raise ValueError(t("experiments.err.variant", variant=label, error=str(err))) from None
        return configs


def _ranks(base: FinetuneConfig) -> list[tuple[str, dict]]:
    # α scales with r: α/r stays the base's (2 with r = 8, α = 16). The update B·A is multiplied by α/r
    # (LoRA §4.1), so with α fixed r = 32 would get 1/16 of r = 2's multiplier and, under Adam, that acts
    # like a 16× smaller learning rate (Hu et al. 2021: "tuning α is roughly the same as tuning the
    # learning rate"). Keeping α/r fixed keeps the update's scale comparable: the runs differ in rank only.
    ratio = base.alpha / base.rank
    return [(f"r={rank}", dict(rank=rank, alpha=ratio * rank)) for rank in RANKS]


def _quant_types(base: FinetuneConfig) -> list[tuple[str, dict]]:
    return [("NF4", dict(quant_type="nf4")), ("FP4", dict(quant_type="fp4"))]


def _double_quant(base: FinetuneConfig) -> list[tuple[str, dict]]:
    return [("DQ on", dict(double_quant=True)), ("DQ off", dict(double_quant=False))]


def _targets(base: FinetuneConfig) -> list[tuple[str, dict]]:
    return [("q,k,v,o", dict(target_modules=ATTENTION_PROJECTIONS)), ("all", dict(target_modules=ALL_PROJECTIONS))]


def _learning_rates(base: FinetuneConfig) -> list[tuple[str, dict]]:
    return [(f"lr×{factor:g} ({base.learning_rate * factor:.1e})", dict(learning_rate=base.learning_rate * factor))
            for factor in LEARNING_RATE_FACTORS]


EXPERIMENTS: dict[str, Experiment] = {
    experiment.name: experiment for experiment in (
        Experiment("rank", "experiments.rank.title", "experiments.rank.look_for", _ranks),
        Experiment("quant_type", "experiments.quant_type.title", "experiments.quant_type.look_for", _quant_types),
        Experiment("double_quant", "experiments.double_quant.title", "experiments.double_quant.look_for",
                   _double_quant),
        Experiment("targets", "experiments.targets.title", "experiments.targets.look_for", _targets),
        Experiment("learning_rate", "experiments.learning_rate.title", "experiments.learning_rate.look_for",
                   _learning_rates),
    )
}


def experiment(name: str) -> Experiment:
    """The preset called `name`, or a ValueError naming the presets."""
    from playground.i18n import t

    if name not in EXPERIMENTS:
        raise ValueError(t("experiments.err.unknown", names=", ".join(EXPERIMENTS), value=repr(name)))
    return EXPERIMENTS[name]
