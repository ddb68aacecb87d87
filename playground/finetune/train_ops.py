"""Two training-step operations that give the same gradients as the textbook code for less memory and time.

1. The loss on answer tokens only, fused with the LM head ("fused linear cross-entropy").

        hidden (B, T, d) ─ keep the n positions whose next token is an answer token ─► (n, d)
            └─ in chunks of c rows: logits = h·Wᵀ (c, V) ─► loss, and ∂loss/∂h = (softmax − onehot)·W
               kept: ∂loss/∂h (n, d) only; the (c, V) logits are dropped before the next chunk

   A causal LM's loss is the mean cross-entropy over the label positions that are not ignored; the
   prompt positions are ignored, yet the standard forward computes the logits for every position
   over the whole vocabulary (49,152 for SmolLM2) and keeps them, their log-softmax and their
   gradient: three B·T·V float32 tensors. Here only answer positions reach the LM head, and as the
   loss is the last operation its gradient is computed in the same pass, so backward has nothing
   left to recompute. The LM head is frozen in LoRA training, so no weight gradient is needed.

2. The LoRA update as one autograd function (peft's `base + lora_B(lora_A(dropout(x))) · α/r`, LoRA §4.1).

        x ──► dropout (mask m, kept as bool) ──► A (r × d_in) ──► h (…, r) ──► B (d_out × r) ──► ·α/r ──► + base
        saved: x (shared by every projection that reads it: q/k/v, gate/up), m, h

   peft applies `nn.Dropout` to x in every adapted projection, and autograd then keeps, per
   projection, the float32 dropout mask and the float32 dropped-out copy of x (for A's gradient):
   two copies of x for each of q, k, v, o, gate, up and down. Here the mask is stored as bool and
   x·m is rebuilt in backward; x itself is the one tensor the sibling projections already share.
   On a CPU the mask is drawn as the positions of the dropped elements (geometric gaps: p·n random
   numbers instead of n), and the update is added to the base output inside one `addmm`. The
   arithmetic, the init, the parameters and the saved adapter are peft's: only the bookkeeping of
   the training step changes.

   The masks come from the run's own `torch.Generator`, not the global one, so another request drawing
   random numbers at the same time cannot change a fine-tune. Gradient checkpointing runs a block's
   forward again in backward and restores only the global RNG for it; `fused_lora` therefore hands each
   checkpoint a `context_fn` that notes the generator's state when the block's forward begins, rewinds
   the generator to it for the recomputation (the same masks, in the same order) and puts it back after
   (the run's stream goes on as if nothing was recomputed).
"""

from __future__ import annotations

import contextlib
import functools
import math
import types
from typing import Iterator

import torch
from torch import nn

from playground.datasets import IGNORE_INDEX
from playground.shapes import LLAMA_FAMILY

LOGIT_CHUNK_ELEMENTS = 1 << 23  # rows × vocabulary per chunk of logits: 32 MiB in float32


# --------------------------------------------------------------------------- 1. answer-token loss

def _next_token_targets(hidden: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, d) hidden states at the positions whose next label counts, and those n labels."""
    keep = labels[:, 1:] != IGNORE_INDEX  # (B, T-1): position t predicts label t+1
    return hidden[:, :-1][keep], labels[:, 1:][keep]


def _chunk_rows(vocab: int) -> int:
    return max(1, LOGIT_CHUNK_ELEMENTS // vocab)


class _LinearCrossEntropy(torch.autograd.Function):
    """mean CE(h·Wᵀ, y) over the rows of h, with ∂/∂h computed chunk by chunk in the forward pass."""

    @staticmethod
    def forward(ctx, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        rows = hidden.shape[0]
        grad_hidden = torch.empty_like(hidden)
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        step = _chunk_rows(weight.shape[0])
        for start in range(0, rows, step):
            h, y = hidden[start:start + step], targets[start:start + step]
            logits = (h @ weight.t()).float()  # (c, V)
            log_norm = torch.logsumexp(logits, dim=-1)  # (c,)
            total += (log_norm - logits.gather(1, y[:, None]).squeeze(1)).sum()
            probs = logits.sub_(log_norm[:, None]).exp_()  # softmax, in place: (c, V)
            probs[torch.arange(len(y), device=y.device), y] -= 1  # ∂CE/∂logits = softmax − onehot
            grad_hidden[start:start + step] = probs.to(weight.dtype) @ weight  # (c, d)
        ctx.save_for_backward(grad_hidden)
        ctx.rows = rows
        return total / rows

    @staticmethod
    def backward(ctx, grad_loss: torch.Tensor):
        (grad_hidden,) = ctx.saved_tensors
        return grad_hidden * (grad_loss / ctx.rows).to(grad_hidden.dtype), None, None


def _eval_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    total = torch.zeros((), dtype=torch.float32, device=hidden.device)
    step = _chunk_rows(weight.shape[0])
    for start in range(0, hidden.shape[0], step):
        logits = (hidden[start:start + step] @ weight.t()).float()
        total += nn.functional.cross_entropy(logits, targets[start:start + step], reduction="sum")
    return total / hidden.shape[0]


def _causal_lm(model):
    """The transformers causal LM inside a peft model (or the model itself)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def supports_answer_loss(model) -> bool:
    """True for a causal LM (or a peft model around one) whose loss `answer_token_loss` reproduces."""
    causal_lm = _causal_lm(model)
    head = causal_lm.get_output_embeddings()
    return (
        getattr(causal_lm.config, "model_type", None) in LLAMA_FAMILY  # plain LM head: no scaling, no soft-cap
        and isinstance(getattr(causal_lm, "model", None), nn.Module)
        and type(head) is nn.Linear
        and head.bias is None
        and not head.weight.requires_grad
    )


def answer_token_loss(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The causal-LM loss `model(input_ids, attention_mask, labels=labels).loss`, computed on answer tokens only.

    Needs `supports_answer_loss(model)`. Under `torch.no_grad()` it only computes the loss.
    """
    causal_lm = _causal_lm(model)
    hidden = causal_lm.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (B, T, d)
    weight = causal_lm.get_output_embeddings().weight  # (V, d), frozen
    rows, targets = _next_token_targets(hidden, labels)
    rows = rows.to(weight.dtype)
    if rows.shape[0] == 0:
        return hidden.sum() * 0.0  # no answer token in the batch: a zero loss that still has a graph
    if torch.is_grad_enabled() and rows.requires_grad:
        return _LinearCrossEntropy.apply(rows, weight, targets)
    return _eval_cross_entropy(rows, weight, targets)


# --------------------------------------------------------------------------- 2. the LoRA branch

def dropout_mask(shape: torch.Size, p: float, device: torch.device,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """A bool keep-mask of independent draws with P(keep) = 1 − p, from `generator` (torch's global one if None).

    On a CPU, with p ≤ 0.15, it draws where the dropped elements are rather than a number per element:
    the gaps between drops of a Bernoulli(p) sequence are Geometric(p), ⌊log U / log(1 − p)⌋ for U
    uniform in (0, 1], so about p·n float64 draws make the whole mask (n·p = 5 % of the draws at p =
    0.05). Otherwise it compares 32 random bits per element (half an int64 draw) with p·2³².
    """
    count = math.prod(shape)
    if device.type == "cpu" and p <= 0.15:
        return _mask_from_gaps(count, p, generator).view(shape)
    int64 = torch.iinfo(torch.int64)
    bits = torch.randint(int64.min, int64.max, ((count + 1) // 2,), dtype=torch.int64, device=device,
                         generator=generator)
    threshold = round(p * 2**32) - 2**31  # an int32 below it with probability p
    return (bits.view(torch.int32)[:count] >= threshold).view(shape)


def _mask_from_gaps(count: int, p: float, generator: torch.Generator | None) -> torch.Tensor:
    expected = count * p
    draws = int(expected + 6 * math.sqrt(expected * (1 - p)) + 16)  # almost always enough at once
    mask = torch.ones(count + 1, dtype=torch.bool)  # the extra element catches drops past the end
    last = -1.0  # position of the latest drop
    while last < count:
        log_uniform = torch.rand(draws, dtype=torch.float64, generator=generator).neg_().log1p_()  # log U, U in (0, 1]
        steps = log_uniform.div_(math.log1p(-p)).floor_().add_(1)  # gap to the next drop, plus one
        positions = steps.cumsum_(0).add_(last)  # float64 counts exactly to 2^53
        last = float(positions[-1])
        mask[positions.clamp_(max=count).to(torch.int64)] = False
    return mask[:count]


def _kept(x: torch.Tensor, mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor:
    """x·m in `dtype` (x itself without a mask). Dropout's 1/(1 − p) is applied to the rank-r side instead,
    where it costs r numbers per token rather than d_in."""
    x = x.to(dtype)
    return torch.where(mask, x, 0.0) if mask is not None else x


class _LoraUpdate(torch.autograd.Function):
    """base + (dropout(x)·Aᵀ)·Bᵀ·scaling, the sum in one `addmm`; saves x, the bool mask and the rank-r activation."""

    @staticmethod
    def forward(ctx, base, x, lora_a, lora_b, scaling: float, p: float, generator: torch.Generator | None):
        d_out, d_in = lora_b.shape[0], lora_a.shape[1]
        mask = dropout_mask(x.shape, p, x.device, generator) if p > 0 else None
        hidden = _kept(x, mask, lora_a.dtype).reshape(-1, d_in) @ lora_a.t()  # (N, r)
        if mask is not None:
            hidden.mul_(1 / (1 - p))  # inverted dropout's scale, as nn.Dropout
        flat = base.reshape(-1, d_out)  # (N, d_out)
        if flat.dtype == lora_b.dtype:
            out = torch.addmm(flat, hidden, lora_b.t(), alpha=scaling)
        else:  # a 16-bit base under float32 LoRA weights, as peft: the update in float32, then cast
            out = flat + (hidden @ lora_b.t() * scaling).to(flat.dtype)
        ctx.save_for_backward(x, mask, hidden, lora_a, lora_b)  # x as given: the siblings' tensor, no copy
        ctx.scaling, ctx.keep_scale = scaling, 1 / (1 - p)
        return out.view(base.shape)

    @staticmethod
    def backward(ctx, grad_out):
        x, mask, hidden, lora_a, lora_b = ctx.saved_tensors
        d_out, d_in = lora_b.shape[0], lora_a.shape[1]
        grad = grad_out.reshape(-1, d_out).to(lora_b.dtype)  # (N, d_out)
        grad_hidden = (grad @ lora_b).mul_(ctx.scaling)  # (N, r)
        grad_a = grad_b = grad_x = None
        if ctx.needs_input_grad[3]:
            grad_b = torch.mm(hidden.t(), grad).mul_(ctx.scaling).t()  # (d_out, r); rᵀ·N first is 3× faster on CPU
        if mask is not None:
            grad_hidden.mul_(ctx.keep_scale)
        if ctx.needs_input_grad[2]:
            grad_a = grad_hidden.t() @ _kept(x, mask, lora_a.dtype).reshape(-1, d_in)  # (r, d_in)
        if ctx.needs_input_grad[1]:
            grad_x = _kept((grad_hidden @ lora_a).view(x.shape), mask, x.dtype)  # (…, d_in)
        return grad_out, grad_x, grad_a, grad_b, None, None, None


def _fused_forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    """peft's LoRA forward for one plain adapter, with the update as `_LoraUpdate`; anything else goes to peft."""
    adapters = [name for name in self.active_adapters if name in self.lora_A]
    plain = (
        len(adapters) == 1
        and not self.disable_adapters
        and not self.merged
        and not args
        and not kwargs
        and adapters[0] not in getattr(self, "lora_variant", {})
        and isinstance(self.lora_dropout[adapters[0]], (nn.Dropout, nn.Identity))
    )
    if not plain:
        return type(self).forward(self, x, *args, **kwargs)
    name = adapters[0]
    dropout = self.lora_dropout[name]
    p = dropout.p if isinstance(dropout, nn.Dropout) and dropout.training else 0.0
    return _LoraUpdate.apply(self.base_layer(x), x, self.lora_A[name].weight, self.lora_B[name].weight,
                             self.scaling[name], p, self.dropout_generator)


def peft_lora_layers(model) -> list[nn.Module]:
    """peft's LoRA-wrapped Linear layers (quantized or not) in the model."""
    from peft.tuners.lora import LoraLayer

    return [module for module in model.modules() if isinstance(module, LoraLayer) and hasattr(module, "base_layer")
            and isinstance(getattr(module, "lora_A", None), nn.ModuleDict)]


class _Rewind:
    """Around a checkpoint's recomputation: `generator` restarts from `state`, then goes on from where it was."""

    def __init__(self, generator: torch.Generator, state: torch.Tensor):
        self.generator, self.state = generator, state

    def __enter__(self) -> None:
        self.resume = self.generator.get_state()
        self.generator.set_state(self.state)

    def __exit__(self, *exc) -> None:
        self.generator.set_state(self.resume)


def _replay_draws(generator: torch.Generator) -> tuple[contextlib.AbstractContextManager, _Rewind]:
    """A checkpoint `context_fn`, called as the checkpointed forward begins: the recomputation redraws its masks."""
    return contextlib.nullcontext(), _Rewind(generator, generator.get_state())


@contextlib.contextmanager
def fused_lora(model, generator: torch.Generator | None = None) -> Iterator[int]:
    """Within the block, every LoRA Linear of `model` adds its update with `_LoraUpdate`; yields how many.

    Dropout masks are drawn from `generator` (torch's global RNG if None); with a generator, the model's
    gradient checkpointing (non-reentrant, as `build_model` sets it) replays the generator's draws as well.
    """
    layers = [module for module in peft_lora_layers(model) if type(module).__name__ in ("Linear", "Linear4bit")]
    for module in layers:
        module.forward = types.MethodType(_fused_forward, module)
        module.dropout_generator = generator
    checkpointed = [module for module in model.modules() if "_gradient_checkpointing_func" in vars(module)]
    originals = [module._gradient_checkpointing_func for module in checkpointed]
    if generator is not None:
        for module, checkpoint in zip(checkpointed, originals):
            module._gradient_checkpointing_func = functools.partial(
                checkpoint, context_fn=functools.partial(_replay_draws, generator))
    try:
        yield len(layers)
    finally:
        for module in layers:
            module.__dict__.pop("forward", None)
            module.__dict__.pop("dropout_generator", None)
        for module, checkpoint in zip(checkpointed, originals):
            module._gradient_checkpointing_func = checkpoint
