"""What the adapter learned: ΔW's singular values from its factors (against torch's SVD of ΔW), energy shares that
sum to 1, ‖ΔW‖/‖W₀‖ with W₀ the export's dequantized 4-bit weight, the rank sweep on the held-out loss of a real
tiny run (k = r is the full update, k = 0 is that module's adapter off, the weights restored bit-exact), and the
merge checked."""

from __future__ import annotations

import json
import math
import shutil

import pytest
import torch

from playground import models
from playground.export import merge, read_run
from playground.finetune import FinetuneConfig
from playground.finetune import learned
from playground.finetune.evaluation import eval_loss
from playground.studio import Studio

TINY = dict(model_id=models.TINY_ID, dataset="pirate", steps=3, batch_size=2, max_length=96, warmup_steps=1,
            eval_every=0, eval_examples=0, learning_rate=5e-3, rank=8, alpha=16.0, device="cpu")
# the rank-r truncation rebuilds B·A from its float64 SVD, cast to float32: the loss moves in its last bits only
LOSS_TOLERANCE = 1e-5
LOGIT_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def studio_run(tmp_path_factory):
    """A Studio with one real tiny run (3 steps of QLoRA on the pirate set, rank 8 on every projection)."""
    studio = Studio(tmp_path_factory.mktemp("learned"))
    owner = studio.open()
    final = None
    for final in studio.finetune(owner, FinetuneConfig(**TINY)):
        pass
    assert final.kind == "done"
    return studio, owner, studio.run(owner, "run1")


def _factors(d_out=48, d_in=40, rank=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(d_out, rank, generator=generator), torch.randn(rank, d_in, generator=generator)


def test_singular_values_from_the_factors_are_those_of_the_update():
    for d_out, d_in, rank in ((48, 40, 8), (32, 64, 8), (6, 64, 8)):  # r > d_out: only d_out of them
        b, a = _factors(d_out, d_in, rank)
        svd = learned.update_svd(b, a, 2.0)
        dense = 2.0 * b.double() @ a.double()
        reference = torch.linalg.svdvals(dense)[:min(rank, d_out, d_in)]
        assert len(svd.s) == min(rank, d_out, d_in)
        assert torch.allclose(svd.s, reference, rtol=1e-10, atol=1e-10)
        assert torch.allclose(svd.u @ torch.diag(svd.s) @ svd.v.T, dense, atol=1e-10)
        assert torch.allclose(svd.u.T @ svd.u, torch.eye(len(svd.s), dtype=torch.float64), atol=1e-10)


def test_energy_shares_sum_to_one():
    b, a = _factors()
    s = learned.update_svd(b, a, 1.0).s
    energy = learned.energy_share(s)
    assert energy[-1] == pytest.approx(1.0, abs=1e-12)
    assert all(x <= y + 1e-15 for x, y in zip(energy, energy[1:]))  # largest first: a rising share
    shares = [energy[0]] + [y - x for x, y in zip(energy, energy[1:])]
    assert sum(shares) == pytest.approx(1.0, abs=1e-12)
    assert energy[0] == pytest.approx(float(s[0] ** 2 / (s ** 2).sum()), rel=1e-12)
    assert learned.energy_share(torch.zeros(4)) == [0.0] * 4  # B = 0: a run at step 0 has no update


def test_rank_r_truncation_is_the_full_update_and_rank_k_the_best_one():
    b, a = _factors()
    scale, rank = 2.0, 8
    svd = learned.update_svd(b, a, scale)
    dense = scale * b.double() @ a.double()
    full_b, full_a = learned.truncation(svd, rank, rank, scale)
    assert full_b.shape == b.shape and full_a.shape == a.shape
    assert torch.allclose(scale * full_b @ full_a, dense, atol=1e-10)
    assert learned.truncation_error(svd.s, rank) == 0.0
    zero_b, zero_a = learned.truncation(svd, 0, rank, scale)
    assert not zero_b.any() and not zero_a.any()
    for k in (1, 3):
        k_b, k_a = learned.truncation(svd, k, rank, scale)
        approx = scale * k_b @ k_a
        assert torch.linalg.matrix_rank(approx) == k
        assert not k_b[:, k:].any() and not k_a[k:].any()  # padded with zeros to r
        error = torch.linalg.matrix_norm(dense - approx) / torch.linalg.matrix_norm(dense)
        assert float(error) == pytest.approx(learned.truncation_error(svd.s, k), rel=1e-9)
        # Eckart–Young: the spectral error is the next singular value, below what keeping k of the factors gives
        assert float(torch.linalg.matrix_norm(dense - approx, ord=2)) == pytest.approx(float(svd.s[k]), rel=1e-9)
        naive = scale * b[:, :k].double() @ a[:k].double()
        assert torch.linalg.matrix_norm(dense - naive) > torch.linalg.matrix_norm(dense - approx)
    with pytest.raises(ValueError, match="the rank k must be from 0 to 8, got 9"):
        learned.truncation(svd, 9, rank, scale)


def test_sweep_ranks_are_every_k_up_to_32_then_a_spread():
    assert learned.sweep_ranks(8) == list(range(9))
    assert learned.sweep_ranks(32) == list(range(33))
    wide = learned.sweep_ranks(256)
    assert wide[:33] == list(range(33)) and wide[-1] == 256 and len(wide) <= 42


def test_the_adapter_is_read_with_its_scale(studio_run, tmp_path):
    _, _, run = studio_run
    adapter = learned.read_factors(run.adapter_dir)
    assert (adapter.rank, adapter.alpha, adapter.scale, adapter.use_rslora) == (8, 16.0, 2.0, False)
    assert len(adapter.factors) == 2 * 7  # 2 layers × 7 projections
    assert list(adapter.where.values())[:2] == [(0, "q_proj"), (0, "k_proj")]
    b, a = adapter.factors["base_model.model.model.layers.1.self_attn.k_proj"]
    assert b.shape == (32, 8) and a.shape == (8, 64)  # 2 key-value heads of 16
    # rsLoRA (Kalajievski 2023) scales by α/√r
    copy = tmp_path / "rslora"
    shutil.copytree(run.adapter_dir, copy)
    config = json.loads((copy / "adapter_config.json").read_text())
    (copy / "adapter_config.json").write_text(json.dumps({**config, "use_rslora": True}))
    assert learned.read_factors(copy).scale == pytest.approx(16.0 / math.sqrt(8))
    with pytest.raises(ValueError, match="holds no LoRA adapter \\(missing: adapter_config.json"):
        learned.read_factors(tmp_path)


def test_analysis_of_a_real_run(studio_run):
    studio, _, run = studio_run
    analysis = learned.analyze_run(studio.pool, run, learned.AnalysisCache())
    assert analysis.layers == [0, 1]
    assert analysis.projections == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    matrix = analysis.matrix()
    assert len(matrix) == 2 and all(len(row) == 7 for row in matrix)
    # W₀: the export's dequantized 4-bit weights (bitsandbytes' dequantize of the run's own quantization)
    dense = merge.dequantized_base(read_run(run.adapter_dir))
    adapter = learned.read_factors(run.adapter_dir)
    for update in analysis.modules:
        b, a = adapter.factors[update.module]
        delta = adapter.scale * b.double() @ a.double()
        w0 = dense.get_submodule(learned.base_module_path(update.module)).weight.double()
        assert update.update_norm == pytest.approx(float(torch.linalg.matrix_norm(delta)), rel=1e-9)
        assert update.base_norm == pytest.approx(float(torch.linalg.matrix_norm(w0)), rel=1e-6)
        assert matrix[update.layer][analysis.projections.index(update.projection)] == update.relative
        assert update.energy[-1] == pytest.approx(1.0, abs=1e-12)
        assert 1 <= update.k_for() <= 8 and update.energy[update.k_for() - 1] >= learned.ENERGY_SHARE - 1e-12
        assert update.k_for() == 1 or update.energy[update.k_for() - 2] < learned.ENERGY_SHARE
    moved = analysis.moved_most(3)
    assert [m.relative for m in moved] == sorted((m.relative for m in analysis.modules), reverse=True)[:3]
    assert 1 <= analysis.effective_rank() <= 8
    with pytest.raises(ValueError, match="no update on layer 5, q_proj \\(layers 0–1; projections: q_proj, k_proj"):
        analysis.module(5, "q_proj")


def test_analyses_are_cached_by_run_folder_and_bounded(studio_run, tmp_path):
    studio, _, run = studio_run
    cache = learned.AnalysisCache(size=2)
    first = learned.analyze_run(studio.pool, run, cache)
    assert learned.analyze_run(studio.pool, run, cache) is first and len(cache) == 1
    copies = []
    for name in ("a", "b", "c"):
        copy = tmp_path / name
        shutil.copytree(run.adapter_dir, copy)
        copies.append(copy)
        cache.put(copy, first)
    assert len(cache) == 2 and cache.get(run.adapter_dir) is None  # the oldest went
    shutil.rmtree(copies[1])  # a reaped session's folder
    cache.put(copies[0], first)
    assert len(cache) == 2 and cache.get(copies[1]) is None
    cache.forget(copies[2])
    assert len(cache) == 1


def _lora_weights(model):
    return {name: p.detach().clone() for name, p in model.named_parameters() if "lora_" in name}


def test_rank_sweep_k_r_is_the_full_update_and_k_0_the_module_off(studio_run):
    studio, _, run = studio_run
    adapter = learned.read_factors(run.adapter_dir)
    items, pad_id = learned.held_out_items(run, 8)
    assert len(items) == 8
    with studio.pool.use(run.quant_key, run.adapter_dir) as model:
        before = _lora_weights(model)
        ids = torch.tensor([items[0].input_ids])
        full_logits = model(ids).logits
        layer = model.get_submodule(adapter.module_path(1, "v_proj"))
        # the reference for k = 0: that module's adapter disabled by peft, every other module as trained
        layer.enable_adapters(False)
        try:
            module_off = eval_loss(model, items, pad_id, "cpu")
        finally:
            layer.enable_adapters(True)
            model.requires_grad_(False)
        sweep = learned.rank_sweep(model, adapter, 1, "v_proj", items, pad_id)
        after = _lora_weights(model)
        assert before.keys() == after.keys() and all(torch.equal(before[n], after[n]) for n in before)
        # k = r by hand: the module's factors replaced by the truncation's, its logits against the adapter's own
        name = model.active_adapter
        svd = learned.update_svd(*adapter.factors[adapter.module_path(1, "v_proj")], adapter.scale)
        new_b, new_a = learned.truncation(svd, 8, 8, adapter.scale)
        saved_a, saved_b = layer.lora_A[name].weight.clone(), layer.lora_B[name].weight.clone()
        with torch.no_grad():
            layer.lora_B[name].weight.copy_(new_b.float())
            layer.lora_A[name].weight.copy_(new_a.float())
            truncated_logits = model(ids).logits
            layer.lora_B[name].weight.copy_(saved_b)
            layer.lora_A[name].weight.copy_(saved_a)
        with model.disable_adapter():
            adapter_off = eval_loss(model, items, pad_id, "cpu")
    print(f"sweep of layer 1 v_proj: {sweep.passes} passes over {sweep.examples} examples ({sweep.tokens} tokens) "
          f"in {sweep.seconds:.1f} s; full {sweep.full_loss:.6f}, module off {sweep.points[0].loss:.6f}, "
          f"adapter off {sweep.adapter_off_loss:.6f}; max |Δlogit| at k = r "
          f"{(truncated_logits - full_logits).abs().max().item():.1e}")
    assert [p.k for p in sweep.points] == list(range(9))
    assert sweep.points[-1].loss == pytest.approx(sweep.full_loss, abs=LOSS_TOLERANCE)
    assert (truncated_logits - full_logits).abs().max().item() <= LOGIT_TOLERANCE
    assert sweep.points[0].loss == pytest.approx(module_off, abs=1e-9)
    assert sweep.adapter_off_loss == pytest.approx(adapter_off, abs=1e-9)
    assert sweep.points[0].relative_error == 1.0 and sweep.points[-1].relative_error == 0.0
    errors = [p.relative_error for p in sweep.points]
    assert errors == sorted(errors, reverse=True)
    assert sweep.passes == 11 and sweep.examples == 8 and sweep.tokens > 8
    assert 0 <= sweep.k_within() <= 8


def test_rank_sweep_restores_the_weights_when_it_fails(studio_run):
    studio, _, run = studio_run
    adapter = learned.read_factors(run.adapter_dir)
    items, pad_id = learned.held_out_items(run, 2)
    with studio.pool.use(run.quant_key, run.adapter_dir) as model:
        before = _lora_weights(model)
        with pytest.raises(ValueError, match="the rank k must be from 0 to 8, got 9"):
            learned.rank_sweep(model, adapter, 0, "q_proj", items, pad_id, ks=[1, 9])
        after = _lora_weights(model)
    assert all(torch.equal(before[n], after[n]) for n in before)


def test_rank_sweep_refuses_bad_requests_before_any_work(studio_run):
    studio, _, run = studio_run
    with pytest.raises(ValueError, match="no update on layer 2, q_proj"):
        learned.rank_sweep_run(studio.pool, run, 2, "q_proj")
    with pytest.raises(ValueError, match="held-out examples must be a whole number from 1 to 32, got 33"):
        learned.rank_sweep_run(studio.pool, run, 0, "q_proj", max_examples=33)


def test_merge_check_gives_the_same_logits(studio_run):
    _, _, run = studio_run
    check = learned.merge_check_run(run, 2)
    print(f"merge check: max |Δlogit| {check.max_abs:.1e} (relative {check.relative:.1e}); vs the served 4-bit + "
          f"adapter {check.served_max_abs:.1e}; {check.prompts} prompts, {check.tokens} tokens, {check.seconds:.1f} s")
    assert check.passed and check.max_abs <= learned.MERGE_TOLERANCE == 5e-4
    assert check.served_max_abs <= 1e-3  # bitsandbytes' CPU 4-bit matmul dequantizes the same codes
    assert check.prompts == 2 and check.relative == pytest.approx(check.max_abs / check.max_logit)
    with pytest.raises(ValueError, match="merge check prompts must be a whole number from 1 to 8, got 9"):
        learned.merge_check_run(run, 9)


@pytest.mark.slow
def test_a_real_run_on_the_bundled_model():
    """SmolLM2-135M, 4 steps of QLoRA on the pirate set at rank 8 (30 layers × 7 projections): its analysis, k = 0, 1
    and r for the module that moved most, and the merge checked. (A full sweep, k = 0 … 8 on 8 held-out examples,
    measured 265 s on 2 busy CPU cores: each pass runs the 4-bit model over every example.)"""
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        studio = Studio(root)
        owner = studio.open()
        for final in studio.finetune(owner, FinetuneConfig(**{**TINY, "model_id": models.BUNDLED_ID, "steps": 4,
                                                              "learning_rate": 1e-3})):
            pass
        assert final.kind == "done"
        run = studio.run(owner, "run1")
        analysis = learned.analyze_run(studio.pool, run, learned.AnalysisCache())
        assert len(analysis.layers) == 30 and len(analysis.modules) == 210
        adapter = learned.read_factors(run.adapter_dir)
        for update in analysis.modules[::37]:
            b, a = adapter.factors[update.module]
            reference = torch.linalg.svdvals(adapter.scale * b.double() @ a.double())[:8]
            assert torch.allclose(torch.tensor(update.singular_values, dtype=torch.float64), reference, rtol=1e-8,
                                  atol=1e-12)
        top = analysis.moved_most(1)[0]
        items, pad_id = learned.held_out_items(run, 4)
        with studio.pool.use(run.quant_key, run.adapter_dir) as model:
            before = _lora_weights(model)
            sweep = learned.rank_sweep(model, adapter, top.layer, top.projection, items, pad_id, ks=[0, 1, 8])
            assert all(torch.equal(value, _lora_weights(model)[name]) for name, value in before.items())
        check = learned.merge_check_run(run, 2)
        print(f"bundled: median k for 90% {analysis.effective_rank()}; moved most layer {top.layer} {top.projection} "
              f"‖ΔW‖/‖W₀‖ {top.relative:.2e}, top-1 energy {top.top1:.3f}; sweep {sweep.passes} passes over "
              f"{sweep.examples} examples in {sweep.seconds:.1f} s: full {sweep.full_loss:.5f}, k=r "
              f"{sweep.points[-1].loss:.5f}, module off {sweep.points[0].loss:.5f}, adapter off "
              f"{sweep.adapter_off_loss:.5f}, k within 10%: {sweep.k_within()}; merge max |Δlogit| "
              f"{check.max_abs:.1e} (max |logit| {check.max_logit:.1f}), served {check.served_max_abs:.1e}")
        assert sweep.points[-1].loss == pytest.approx(sweep.full_loss, abs=LOSS_TOLERANCE)
        assert check.passed and check.served_max_abs <= 1e-3
        studio.close(owner)
