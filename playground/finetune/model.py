"""The model a fine-tune trains: QLoRA (Dettmers et al. 2023), a frozen 4-bit base with trainable LoRA
matrices on top (Hu et al. 2021).

    x ──► [ W0: NF4/FP4 codes + absmax (+ DQ) ] ─ dequantize to the compute dtype ─► W0·x ──┐
    │                                                                                   (+)──► h
    └──► dropout ─► A (r × d_in) ─► B (d_out × r) ─► · α/r ───────────────────────────────┘
                    trainable, float32, B = 0 at step 0 so the run starts from the 4-bit base

QLoRA §3: weights stored in 4 bits (bitsandbytes via transformers' BitsAndBytesConfig), computed in
bfloat16 on GPUs that have it (float16 on older ones, float32 on CPU, where bf16 is ~8× slower);
gradients flow through the frozen dequantized weights into A and B only (peft's LoRA).
"""

from __future__ import annotations

import math

import torch

from playground import models
from playground.finetune.config import FinetuneConfig


def build_model(config: FinetuneConfig, gradient_checkpointing: bool = False):
    """The 4-bit base, prepared for k-bit training, with a fresh LoRA adapter named "default"."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    device = config.resolved_device
    base = models.load_4bit(config.model_id, config.quant_type, config.double_quant, device=device)
    # prepare_model_for_kbit_training freezes the base and upcasts norms to float32. With gradient
    # checkpointing it keeps only each block's input and recomputes the block in backward (non-reentrant:
    # `train_ops.fused_lora` gives the recomputation a context that replays the run's dropout draws).
    base = prepare_model_for_kbit_training(
        base,
        use_gradient_checkpointing=gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False},
    )
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=list(config.target_modules), bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(base, lora)
    init_lora_a(model, config.seed, device)
    return model


@torch.no_grad()
def init_lora_a(model, seed: int, device: str) -> None:
    """Every LoRA A drawn again as peft draws it (kaiming-uniform with a = √5: U(±1/√d_in)), in module order, from
    a private generator seeded with `seed`: the init depends on the seed only, not on torch's global RNG."""
    from peft.tuners.lora import LoraLayer

    generator = torch.Generator(device=device).manual_seed(seed)
    for module in model.modules():
        if isinstance(module, LoraLayer):
            for lora_a in module.lora_A.values():
                torch.nn.init.kaiming_uniform_(lora_a.weight, a=math.sqrt(5), generator=generator)
