"""The merged model as one GGUF file for llama.cpp and Ollama, written with the `gguf` package.

    merged model (transformers' Llama) ──► llama metadata (llama.*: sizes, heads, RoPE base, RMSNorm ε)
                                       ──► tokenizer: tokenizer.ggml.model = gpt2, tokens, token types,
                                           merges, bos/eos/unk/pad ids, add_bos; tokenizer.chat_template
                                       ──► tensors by llama.cpp's names (token_embd, blk.N.attn_q, …);
                                           attn_q / attn_k rows permuted as llama.cpp's converter does
                                           (transformers' GGUF loader undoes it on load)

Tensor types per file type, as llama.cpp's converter writes them: 1-D tensors (norms) F32; F16 files every
matrix in F16; Q8_0 files every matrix in Q8_0; Q4_0 files every matrix in Q4_0 except the token embedding,
which is also the output layer when tied: Q8_0 (llama.cpp's quantizer keeps it higher too, in Q6_K, which the
`gguf` package cannot write). A matrix whose rows do not split into blocks of 32 stays F16.
The bundled GGUF (models.bundled_gguf_path()) is the reference for the keys and the layout (tests).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from playground.i18n import t

GGUF_TYPES = {"gguf-f16": "F16", "gguf-q8_0": "Q8_0", "gguf-q4_0": "Q4_0"}
# The pre-tokenizer llama.cpp uses for a vocabulary, by the sha256 of its tokens ("\n"-joined): llama.cpp's
# converter names it by hashing a test encoding; here the vocabularies the app ships are known by content.
KNOWN_PRE_TOKENIZERS = {
    "d1f2ce856b324081b621d9e2e8dbd22879f462329f3fd4aa39fa758dddb2ce55": "smollm",  # SmolLM2 (bundled GGUF),
}


def _gguf():
    import gguf

    return gguf


def quant_type(name: str):
    return _gguf().GGMLQuantizationType[name]


def file_type(name: str):
    gguf = _gguf()
    return {"F16": gguf.LlamaFileType.MOSTLY_F16, "Q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
            "Q4_0": gguf.LlamaFileType.MOSTLY_Q4_0}[name]


def permute(weights: np.ndarray, n_head: int, n_head_kv: int | None = None) -> np.ndarray:
    """llama.cpp's row order for attn_q / attn_k (RoPE's halves interleaved per head), as convert_hf_to_gguf."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def unpermute(weights: np.ndarray, n_head: int, n_head_kv: int | None = None) -> np.ndarray:
    """The inverse of `permute` (what transformers' GGUF loader does)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, weights.shape[0] // n_head // 2, 2, *weights.shape[1:])
            .swapaxes(2, 1).reshape(weights.shape))


def check_convertible(config) -> None:
    """GGUF export covers the Llama family with plain RoPE; anything else is refused before any work."""
    if getattr(config, "model_type", None) != "llama":
        raise ValueError(t("export.err.gguf_arch", model_type=repr(getattr(config, "model_type", None))))
    rope = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    if (rope.get("rope_type") or rope.get("type") or "default") != "default":
        raise ValueError(t("export.err.gguf_rope", rope_type=repr(rope.get("rope_type") or rope.get("type"))))
    if getattr(config, "attention_bias", False) or getattr(config, "mlp_bias", False):
        raise ValueError(t("export.err.gguf_bias"))


def rope_theta(config) -> float:
    rope = getattr(config, "rope_parameters", None) or {}
    return float(rope.get("rope_theta") or getattr(config, "rope_theta", 10000.0))


def head_dim(config) -> int:
    return int(getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads)


# --------------------------------------------------------------------------- tokenizer

def tokenizer_metadata(tokenizer, vocab_size: int) -> dict:
    """What llama.cpp reads for a byte-level BPE ("gpt2") tokenizer, from a transformers fast tokenizer."""
    gguf = _gguf()
    backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(tokenizer, "_tokenizer", None)
    spec = json.loads(backend.to_str()) if backend is not None else {}
    model = spec.get("model") or {}
    if model.get("type") != "BPE" or "ByteLevel" not in json.dumps(spec.get("pre_tokenizer")):
        raise ValueError(t("export.err.gguf_tokenizer", kind=repr(model.get("type"))))
    by_id = {index: token for token, index in tokenizer.get_vocab().items()}
    added = tokenizer.added_tokens_decoder
    tokens, types = [], []
    for index in range(vocab_size):
        if index not in by_id:
            tokens.append(f"[PAD{index}]")
            types.append(gguf.TokenType.UNUSED)
        elif index in added:
            tokens.append(by_id[index])
            types.append(gguf.TokenType.CONTROL if added[index].special else gguf.TokenType.USER_DEFINED)
        else:
            tokens.append(by_id[index])
            types.append(gguf.TokenType.NORMAL)
    merges = [merge if isinstance(merge, str) else " ".join(merge) for merge in model.get("merges", [])]
    fingerprint = hashlib.sha256("\n".join(tokens).encode()).hexdigest()
    first = tokenizer("a").input_ids
    return {
        "tokens": tokens,
        "types": [int(kind) for kind in types],
        "merges": merges,
        "pre": KNOWN_PRE_TOKENIZERS.get(fingerprint, "default"),
        "fingerprint": fingerprint,
        "bos": tokenizer.bos_token_id,
        "eos": tokenizer.eos_token_id,
        "unk": tokenizer.unk_token_id,
        "pad": tokenizer.pad_token_id,
        "add_bos": bool(first) and first[0] == tokenizer.bos_token_id,
        "chat_template": tokenizer.chat_template,
    }


# --------------------------------------------------------------------------- tensors

def tensor_type(gguf_name: str, shape: tuple[int, ...], kind: str) -> str:
    """The GGML type a tensor is stored in, in a file of `kind` ("F16", "Q8_0" or "Q4_0")."""
    if len(shape) == 1:
        return "F32"
    if kind == "F16" or shape[-1] % 32:
        return "F16"
    if kind == "Q4_0" and gguf_name in ("token_embd.weight", "output.weight"):
        return "Q8_0"
    return kind


def estimate_bytes(config, kind: str) -> int:
    """The file's size before writing it: each tensor's bytes in its type, plus the tokenizer (≤ 4 MiB)."""
    gguf = _gguf()
    hidden, layers, ffn = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    q_rows = config.num_attention_heads * head_dim(config)
    kv_rows = config.num_key_value_heads * head_dim(config)
    matrices = [("token_embd.weight", (config.vocab_size, hidden))]
    if not config.tie_word_embeddings:
        matrices.append(("output.weight", (config.vocab_size, hidden)))
    block = [(q_rows, hidden), (kv_rows, hidden), (kv_rows, hidden), (hidden, q_rows), (ffn, hidden),
             (ffn, hidden), (hidden, ffn)]
    matrices += [("blk", shape) for shape in block] * layers
    total = (2 * layers + 1) * hidden * 4  # norms, F32
    for name, shape in matrices:
        kind_here = tensor_type(name, shape, kind)
        block_size, type_size = gguf.GGML_QUANT_SIZES[quant_type(kind_here)]
        total += shape[0] * shape[1] // block_size * type_size
    return total + (4 << 20)


def _tensors(model: nn.Module, config, kind: str):
    """(gguf name, data, raw shape, GGML type) per tensor, in the bundled file's order of names."""
    gguf = _gguf()
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    state = model.state_dict()
    for hf_name, tensor in state.items():
        if hf_name == "lm_head.weight" and config.tie_word_embeddings:
            continue
        if "rotary_emb" in hf_name:
            continue
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise ValueError(t("export.err.gguf_tensor", name=hf_name))
        data = tensor.detach().to(torch.float32).cpu().numpy()
        if hf_name.endswith("self_attn.q_proj.weight"):
            data = permute(data, config.num_attention_heads, config.num_attention_heads)
        elif hf_name.endswith("self_attn.k_proj.weight"):
            data = permute(data, config.num_attention_heads, config.num_key_value_heads)
        kind_here = tensor_type(name, data.shape, kind)
        if kind_here == "F32":
            yield name, np.ascontiguousarray(data, dtype=np.float32), data.shape, None
        elif kind_here == "F16":
            yield name, np.ascontiguousarray(data, dtype=np.float16), data.shape, None
        else:
            qtype = quant_type(kind_here)
            packed = gguf.quants.quantize(data, qtype)
            yield name, packed, packed.shape, qtype  # the writer reads a uint8 shape as bytes per row


def write_gguf(model: nn.Module, tokenizer, path: Path, kind: str, name: str) -> Path:
    """One GGUF file of `model` (a transformers Llama) with its tokenizer and chat template."""
    gguf = _gguf()
    config = model.config
    check_convertible(config)
    vocab = tokenizer_metadata(tokenizer, config.vocab_size)
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(name)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(rope_theta(config))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_file_type(file_type(kind))
    writer.add_vocab_size(config.vocab_size)
    writer.add_rope_dimension_count(head_dim(config))
    if head_dim(config) != config.hidden_size // config.num_attention_heads:
        writer.add_key_length(head_dim(config))
        writer.add_value_length(head_dim(config))
    writer.add_add_space_prefix(False)
    writer.add_add_bos_token(vocab["add_bos"])
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(vocab["pre"])
    writer.add_token_list(vocab["tokens"])
    writer.add_token_types(vocab["types"])
    writer.add_token_merges(vocab["merges"])
    for add, token_id in ((writer.add_bos_token_id, vocab["bos"]), (writer.add_eos_token_id, vocab["eos"]),
                          (writer.add_unk_token_id, vocab["unk"]), (writer.add_pad_token_id, vocab["pad"])):
        if token_id is not None:
            add(int(token_id))
    if vocab["chat_template"]:
        writer.add_chat_template(vocab["chat_template"])
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    for tensor_name, data, shape, raw_dtype in _tensors(model, config, kind):
        writer.add_tensor(tensor_name, data, raw_shape=shape, raw_dtype=raw_dtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
