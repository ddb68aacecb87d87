"""QLoRA fine-tuning, one job per module; callers import from here (`from playground.finetune import
FinetuneConfig, run_finetune`).

    config      FinetuneConfig (validated), PRESETS, resolve_dataset      what is asked
    planning    plan(): tokenize, estimate memory (`memory`) and time     before anything loads
    model       build_model(): the 4-bit base + a fresh LoRA adapter      what trains
    batches     shuffled batches, each padded to its longest example
    train_ops   the fused LoRA update and answer-token loss               what makes a step fast and small
    evaluation  held-out loss, the dataset's metric before / after
    peak        the run's peak memory, and handing memory back
    engine      run_finetune(): the loop, as a generator of FinetuneEvents (resume=: continue a run); prepare()
    process     run_in_process(): the same run in a child process (what the Studio uses)
    result      FinetuneResult, save_adapter, write_metrics; TrainingState (what a resumed run continues)
    experiments EXPERIMENTS: presets of a few runs that differ in one setting (rank, 4-bit type, DQ, …)
    cli         python -m playground.finetune
"""

from playground.finetune.cli import config_from_args, main
from playground.finetune.config import (
    ALL_PROJECTIONS,
    CHECKPOINTING_MODES,
    PRESETS,
    FinetuneConfig,
    preset,
    resolve_dataset,
)
from playground.finetune.engine import FinetuneEvent, prepare, run_finetune
from playground.finetune.evaluation import batch_loss, eval_loss, held_out_metric
from playground.finetune.model import build_model
from playground.finetune.peak import PeakMemory, free_memory
from playground.finetune.planning import Plan, model_shape, plan
from playground.finetune.process import run_in_process
from playground.finetune.result import (
    TRAINING_STATE,
    FinetuneResult,
    TrainingState,
    load_training_state,
    save_adapter,
    save_training_state,
    write_metrics,
)
from playground.finetune.experiments import EXPERIMENTS, Experiment
