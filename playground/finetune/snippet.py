"""The Studio's settings as the few lines of transformers + peft + bitsandbytes that do the same (QLoRA,
Dettmers et al. 2023, with the peft recipe): a 4-bit load, prepare_model_for_kbit_training, a LoRA
config, AdamW with the run's learning rate, and the training steps. Copyable from the tab; the tests
execute it on the tiny model and compare its trainable parameter count with the Studio's. No Gradio.
"""

from __future__ import annotations

from playground import datasets, models
from playground.finetune.config import FinetuneConfig

TEMPLATE = '''\
import torch
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

model_id = {model_id!r}{model_note}
bnb_config = BitsAndBytesConfig(
    load_in_4bit=True,
    bnb_4bit_quant_type={quant_type!r},
    bnb_4bit_use_double_quant={double_quant!r},
    bnb_4bit_compute_dtype=torch.{compute_dtype},
)
model = AutoModelForCausalLM.from_pretrained(model_id, quantization_config=bnb_config, dtype=torch.{compute_dtype})
model = prepare_model_for_kbit_training(model, use_gradient_checkpointing={checkpointing!r})
lora_config = LoraConfig(
    r={rank!r},
    lora_alpha={alpha!r},
    lora_dropout={dropout!r},
    target_modules={target_modules!r},
    bias="none",
    task_type="CAUSAL_LM",
)
model = get_peft_model(model, lora_config)
model.print_trainable_parameters()

tokenizer = AutoTokenizer.from_pretrained(model_id)
tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
examples = {examples!r}  # (instruction, response) pairs: the first of the "{dataset}" set
texts = [tokenizer.apply_chat_template([{{"role": "user", "content": q}}, {{"role": "assistant", "content": a}}],
                                       tokenize=False) for q, a in examples]
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr={learning_rate!r},
                              weight_decay=0.0)
torch.manual_seed({seed!r})
model.train()
for step in range({steps!r}):
    for micro in range({grad_accum!r}):
        batch = tokenizer([texts[(step * {grad_accum!r} + micro) % len(texts)] for _ in range({batch_size!r})],
                          return_tensors="pt", padding=True, truncation=True, max_length={max_length!r})
        labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
        loss = model(**batch, labels=labels).loss / {grad_accum!r}
        loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], {max_grad_norm!r})
    optimizer.step()
    optimizer.zero_grad()
    print(f"step {{step + 1}}: loss {{loss.item() * {grad_accum!r}:.3f}}")
'''


def snippet(values: dict | FinetuneConfig, model_path: str | None = None) -> str:
    """The code for the Studio's settings (`values` by FinetuneConfig field name, or a config); `model_path`
    replaces the model id in the code (a local folder, as the tests use)."""
    config = values if isinstance(values, FinetuneConfig) else FinetuneConfig(**{
        key: value for key, value in values.items() if key in FinetuneConfig.__dataclass_fields__})
    model_id, note = config.model_id, ""
    if model_path is not None:
        model_id = str(model_path)
    elif config.model_id == models.BUNDLED_ID:
        model_id, note = models.HUB_ID, "  # the bf16 original; the Studio here trains its bundled Q4_1 copy"
    elif config.model_id == models.TINY_ID:
        model_id, note = str(models.model_dir(models.TINY_ID)), "  # tiny/llama: a local 2-layer random model"
    device = config.resolved_device
    examples = [(item.user_text, item.response) for item in datasets.built_in(config.dataset).train[:4]]
    return TEMPLATE.format(
        model_id=model_id, model_note=note, quant_type=config.quant_type, double_quant=config.double_quant,
        compute_dtype=str(models.compute_dtype_for(device)).removeprefix("torch."),
        checkpointing=config.gradient_checkpointing == "on", rank=config.rank, alpha=config.alpha,
        dropout=config.dropout, target_modules=list(config.target_modules), examples=examples,
        dataset=config.dataset, learning_rate=config.learning_rate, seed=config.seed, steps=config.steps,
        grad_accum=config.grad_accum, batch_size=config.batch_size, max_length=config.max_length,
        max_grad_norm=config.max_grad_norm,
    )
