"""The Quantization Lab's core: the schemes themselves (`schemes`; the fixed GGUF / MX / NV formats in
`formats`), their figures (`plots`) and the whole-model view (`model_view`). The schemes' API is
re-exported here: `from playground import quant; quant.quantize(x, "nf4")`, `quant.quantize(x, "q4_1")`."""

from playground.quant.formats import E2M1_CODE, FORMAT_BLOCK, FORMAT_CODE_BITS, FORMATS
from playground.quant.schemes import (
    BLOCKSIZES,
    CHUNK_VALUES,
    CODE_TABLE_SCHEMES,
    DISTRIBUTIONS,
    DQ_BLOCKSIZE,
    FIXED_FORMATS,
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
