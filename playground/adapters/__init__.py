"""The Adapter vs LoRA tab's core: the three methods counted and built (`methods`), the LoRA layer
(`lora`), the latency measurement (`latency`) and the figures (`plots`). The methods' API is
re-exported here, with the block shapes they count from (`playground.shapes`):
`from playground import adapters as A; A.parameter_table(config, settings)`."""

from playground.adapters.methods import (
    ACTIVATIONS,
    ADAPTER_INIT_STD,
    MAX_VIRTUAL_TOKENS,
    PLACEMENTS,
    VARIANTS,
    Activation,
    BottleneckAdapter,
    Check,
    MethodSettings,
    ParamRow,
    Placement,
    PromptTuning,
    SerialAdapter,
    adapter_param_count,
    adapter_positions,
    add_adapters,
    add_lora,
    all_target_subsets,
    base_param_count,
    build_variants,
    check_bottleneck,
    check_virtual_tokens,
    compare_logits,
    custom_llama_config,
    lora_layers,
    model_on,
    parameter_table,
    prompt_tuning_param_count,
    sweep,
    trainable_param_count,
    transformer_blocks,
)
from playground.shapes import (
    LLAMA_FAMILY,
    LLAMA_TARGETS,
    SUPPORTED_MODEL_TYPES,
    Projection,
    block_projections,
    lora_param_count,
    num_layers,
    resolve_targets,
)
