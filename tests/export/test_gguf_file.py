"""GGUF: the bundled GGUF is the reference for keys, tokenizer, tensor names and layout (llama.cpp's q/k row
order); each written file loads back with transformers' GGUF loader with the merged model's greedy answers."""

from __future__ import annotations

import gguf
import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from playground import datasets, models
from playground.datasets import prompt_ids
from playground.export import gguf_file, merge
from playground.generation import Decoding, generate

HELD_OUT = 3  # held-out prompts answered
NEW_TOKENS = 24


@pytest.fixture(scope="module")
def reference():
    return gguf.GGUFReader(models.bundled_gguf_path())


def _field(reader, key):
    return reader.fields[key].contents()


@torch.no_grad()
def greedy_ids(model, tokenizer, prompts: list[str], new_tokens: int = NEW_TOKENS) -> list[list[int]]:
    """The greedy continuation's token ids, always `new_tokens` long (no stop at end of turn, so a random tiny
    model is compared on real tokens, not on empty answers)."""
    answers = []
    for prompt in prompts:
        ids = torch.tensor([prompt_ids(tokenizer, [{"role": "user", "content": prompt}])])
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens,
                             min_new_tokens=new_tokens, do_sample=False, temperature=None, top_p=None, top_k=None,
                             pad_token_id=tokenizer.pad_token_id)
        answers.append(out[0, ids.shape[1]:].tolist())
    return answers


def _prompts() -> list[str]:
    return [item.user_text for item in datasets.built_in("pirate").test[:HELD_OUT]]


def test_permute_is_llama_cpps_and_unpermute_undoes_it():
    rows = np.arange(12 * 2, dtype=np.float32).reshape(12, 2)  # 3 heads of 4 rows
    permuted = gguf_file.permute(rows, 3)
    assert permuted[:4, 0].tolist() == [0, 4, 2, 6]  # each head's halves interleaved
    assert np.array_equal(gguf_file.unpermute(permuted, 3), rows)
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    undone = LlamaTensorProcessor()._reverse_permute_weights(gguf_file.permute(rows, 6, 2), 6, 2)
    assert np.array_equal(undone, rows)


def test_tokenizer_metadata_equals_the_bundled_gguf(reference):
    tokenizer = models.load_tokenizer(models.BUNDLED_ID)
    vocab = gguf_file.tokenizer_metadata(tokenizer, 49152)
    assert vocab["tokens"] == list(_field(reference, "tokenizer.ggml.tokens"))
    assert vocab["types"] == list(_field(reference, "tokenizer.ggml.token_type"))
    assert vocab["merges"] == list(_field(reference, "tokenizer.ggml.merges"))
    assert vocab["pre"] == _field(reference, "tokenizer.ggml.pre") == "smollm"
    for key, name in [("bos", "bos_token_id"), ("eos", "eos_token_id"), ("unk", "unknown_token_id"),
                      ("pad", "padding_token_id")]:
        assert vocab[key] == _field(reference, f"tokenizer.ggml.{name}")
    assert vocab["add_bos"] is _field(reference, "tokenizer.ggml.add_bos_token") is False
    assert vocab["chat_template"] == _field(reference, "tokenizer.chat_template")


def test_layout_and_keys_match_the_bundled_gguf(reference, smollm, tmp_path):
    """The bundled model (dequantized from the bundled GGUF) written as F16: same keys, names, shapes, and the
    same values per tensor as the bundled file's (so attn_q / attn_k are permuted exactly as llama.cpp's are)."""
    path = gguf_file.write_gguf(smollm.model, smollm.tokenizer, tmp_path / "bundled.F16.gguf", "F16", "SmolLM2")
    ours = gguf.GGUFReader(path)
    wanted = {key for key in reference.fields if key.startswith(("llama.", "tokenizer.", "general.architecture",
                                                                 "general.file_type", "general.quantization"))}
    assert wanted <= set(ours.fields)
    for key in wanted - {"general.file_type"}:
        assert _field(ours, key) == _field(reference, key), key
    assert _field(ours, "general.file_type") == gguf.LlamaFileType.MOSTLY_F16
    theirs = {tensor.name: tensor for tensor in reference.tensors}
    mine = {tensor.name: tensor for tensor in ours.tensors}
    assert set(mine) == set(theirs)
    for name in ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.7.attn_v.weight", "blk.29.ffn_down.weight",
                 "token_embd.weight", "output_norm.weight"]:
        expected = gguf.quants.dequantize(theirs[name].data, theirs[name].tensor_type)
        got = gguf.quants.dequantize(mine[name].data, mine[name].tensor_type)
        assert got.shape == expected.shape
        scale = np.abs(expected).max()
        assert np.abs(got - expected).max() <= scale * 2 ** -10, name  # F16's rounding, nothing else
    assert mine["blk.0.attn_norm.weight"].tensor_type == gguf.GGMLQuantizationType.F32


@pytest.mark.parametrize("kind, tensor_kind", [("F16", "F16"), ("Q8_0", "Q8_0"), ("Q4_0", "Q4_0")])
def test_tensor_types_per_file_type(kind, tensor_kind):
    assert gguf_file.tensor_type("blk.0.attn_q.weight", (576, 576), kind) == tensor_kind
    assert gguf_file.tensor_type("blk.0.attn_norm.weight", (576,), kind) == "F32"
    assert gguf_file.tensor_type("token_embd.weight", (49152, 576), kind) == ("Q8_0" if kind == "Q4_0" else kind)


def _agreement(folder, name, reference_ids, tokenizer) -> float:
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    gguf_tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    assert gguf_tokenizer.chat_template == tokenizer.chat_template
    text = "Ahoy! <|im_start|>user\nWhere be the treasure?<|im_end|>"
    assert gguf_tokenizer(text).input_ids == tokenizer(text).input_ids
    answers = greedy_ids(model, gguf_tokenizer, _prompts())
    same = sum(a == b for ans, ref in zip(answers, reference_ids) for a, b in zip(ans, ref))
    return same / sum(len(ref) for ref in reference_ids)


def test_tiny_gguf_loads_back_with_the_merged_models_greedy_answers(tiny_run, tiny_exports):
    tokenizer = models.load_tokenizer(tiny_run.model_id)
    merged = merge.merged_model(tiny_run)
    reference_ids = greedy_ids(merged, tokenizer, _prompts())
    agreement = {}
    for fmt in ("gguf-f16", "gguf-q8_0", "gguf-q4_0"):
        result = tiny_exports[fmt]
        agreement[fmt] = _agreement(result.folder, result.details["gguf"], reference_ids, tokenizer)
    print("tiny greedy-token agreement with the merged model:", agreement)
    assert agreement["gguf-f16"] == 1.0 and agreement["gguf-q8_0"] == 1.0


def test_bundled_gguf_loads_back_with_the_merged_models_greedy_answers(bundled_run, tmp_path):
    """On the real model, the held-out prompts' greedy answers (to the end of the turn, as the Studio answers):
    F16 gives the merged model's answers; Q8_0 and Q4_0 are measured and printed, with the same first token
    asserted for Q8_0 (its 8-bit rounding can tip a later near-tie: see docs/export.md)."""
    tokenizer = models.load_tokenizer(bundled_run.model_id)
    merged = merge.merged_model(bundled_run)
    decoding = Decoding(max_new_tokens=NEW_TOKENS)
    expected = generate(merged, tokenizer, _prompts(), decoding)
    first = [ids[0] for ids in greedy_ids(merged, tokenizer, _prompts(), 1)]
    equal, firsts = {}, {}
    for kind in ("F16", "Q8_0", "Q4_0"):
        name = f"bundled.{kind}.gguf"
        gguf_file.write_gguf(merged, tokenizer, tmp_path / name, kind, "SmolLM2 + LoRA")
        model = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file=name, dtype=torch.float32).eval()
        answers = generate(model, tokenizer, _prompts(), decoding)
        equal[kind] = [a == b for a, b in zip(answers, expected)]
        firsts[kind] = [ids[0] for ids in greedy_ids(model, tokenizer, _prompts(), 1)] == first
        print(kind, "answers equal to the merged model's:", equal[kind], answers)
        del model
        (tmp_path / name).unlink()
    print("merged:", expected)
    assert all(equal["F16"])
    assert firsts["Q8_0"]


def test_refuses_what_it_cannot_convert():
    from transformers import GPT2Config

    with pytest.raises(ValueError, match="Llama-family"):
        gguf_file.check_convertible(GPT2Config())
    config = models.tiny_config()
    config.rope_parameters = {"rope_type": "llama3", "rope_theta": 500000.0}
    with pytest.raises(ValueError, match="RoPE"):
        gguf_file.check_convertible(config)


def test_size_estimate_bounds_the_file(tiny_exports):
    config = models.model_config(models.TINY_ID)
    for fmt, kind in gguf_file.GGUF_TYPES.items():
        size = (tiny_exports[fmt].folder / tiny_exports[fmt].details["gguf"]).stat().st_size
        estimate = gguf_file.estimate_bytes(config, kind)
        assert size <= estimate <= size + (4 << 20), fmt
