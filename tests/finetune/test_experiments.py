"""Experiment presets: each grid's variants are the base config with one setting changed, in order."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from playground.finetune import ALL_PROJECTIONS, FinetuneConfig
from playground.finetune.experiments import ATTENTION_PROJECTIONS, EXPERIMENTS, experiment
from playground.i18n import t, using

BASE = FinetuneConfig(rank=8, alpha=16.0, learning_rate=1e-3, quant_type="nf4", double_quant=True)


def _changed(config: FinetuneConfig) -> dict:
    """The settings where `config` differs from BASE."""
    base = asdict(BASE)
    return {key: value for key, value in asdict(config).items() if value != base[key]}


def test_the_presets_and_their_grids():
    assert list(EXPERIMENTS) == ["rank", "quant_type", "double_quant", "targets", "learning_rate"]
    grids = {name: [(label, _changed(config)) for label, config in preset.configs(BASE)]
             for name, preset in EXPERIMENTS.items()}
    assert grids == {
        # α scales with r: α/r stays 2, the base's
        "rank": [("r=2", {"rank": 2, "alpha": 4.0}), ("r=8", {}), ("r=32", {"rank": 32, "alpha": 64.0})],
        "quant_type": [("NF4", {}), ("FP4", {"quant_type": "fp4"})],
        "double_quant": [("DQ on", {}), ("DQ off", {"double_quant": False})],
        "targets": [("q,k,v,o", {"target_modules": ATTENTION_PROJECTIONS}), ("all", {})],
        "learning_rate": [("lr×0.3 (3.0e-04)", {"learning_rate": pytest.approx(3e-4)}), ("lr×1 (1.0e-03)", {}),
                          ("lr×3 (3.0e-03)", {"learning_rate": pytest.approx(3e-3)})],
    }
    assert BASE.target_modules == ALL_PROJECTIONS


def test_variants_follow_the_base_in_everything_else():
    base = FinetuneConfig(rank=4, alpha=4.0, quant_type="fp4", double_quant=False, steps=7, seed=3,
                          target_modules=("q_proj", "v_proj"))
    ranks = EXPERIMENTS["rank"].configs(base)
    assert [(c.rank, c.alpha) for _, c in ranks] == [(2, 2.0), (8, 8.0), (32, 32.0)]  # α/r = 1, the base's
    assert all(c.quant_type == "fp4" and c.steps == 7 and c.seed == 3 for _, c in ranks)
    assert [c.quant_type for _, c in EXPERIMENTS["quant_type"].configs(base)] == ["nf4", "fp4"]
    assert all(not c.double_quant for _, c in EXPERIMENTS["quant_type"].configs(base))
    assert [c.target_modules for _, c in EXPERIMENTS["targets"].configs(base)] == [ATTENTION_PROJECTIONS,
                                                                                    ALL_PROJECTIONS]


def test_an_invalid_variant_or_name_is_a_message():
    with pytest.raises(ValueError, match=r"the variant lr×3 \(1.5e\+00\): learning_rate must be in \(0, 1\]"):
        EXPERIMENTS["learning_rate"].configs(FinetuneConfig(learning_rate=0.5))
    with pytest.raises(ValueError, match="no experiment called 'size': the experiments are rank, quant_type, "
                                         "double_quant, targets, learning_rate"):
        experiment("size")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_preset_has_its_texts(language):
    with using(language):
        for preset in EXPERIMENTS.values():
            assert t(preset.title) != preset.title and len(t(preset.look_for)) > 100
