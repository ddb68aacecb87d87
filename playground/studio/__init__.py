"""The QLoRA Studio's server side: sessions with an owner and a lifetime (`sessions`), the one fine-tune
queue (`queue`) and the shared 4-bit models the compare view answers with (`pool`); runs resume and
experiment presets run as grids through the same sessions."""

from playground.studio.pool import AdapterPool, QuantKey
from playground.studio.queue import FinetuneQueue, QueueFull, Ticket
from playground.studio.sessions import (
    MAX_EXPERIMENTS, Run, Session, Studio, check_prompt_length, loss_figure, summary_json,
)
