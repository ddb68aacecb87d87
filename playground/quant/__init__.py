"""The Quantization Lab's core: the schemes themselves (`schemes`), their figures (`plots`) and the
whole-model view (`model_view`). The schemes' API is re-exported here: `from playground import quant;
quant.quantize(x, "nf4")`."""

from playground.quant.schemes import (
    BLOCKSIZES,
    CHUNK_VALUES,
    DISTRIBUTIONS,
    DQ_BLOCKSIZE,
    FP4_CODE,
    MIN_SYNTHETIC,
    NF4_CODE,
    NF4_TOP_PROBABILITY,
    SCHEMES,
    STUDENT_T_DF,
    Distribution,
    QuantResult,
    QuantSpec,
    Scheme,
    as_tensor,
    block_count,
    code_histogram,
    dynamic_map,
    metrics,
    nf4_derivation,
    one_thread,
    parse_numbers,
    quantize,
    step_table,
    storage_bits,
    synthetic,
)
