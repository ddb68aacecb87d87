"""Chat and arena: a conversation with any model the Studio serves, and two answers side by side with a vote.

    target "full"   ─► the model's own weights (models.load_model)
           "base"   ─► the shared 4-bit base, NF4 + DQ (pool.use((model_id, "nf4", True)))
           "run3"   ─► the run's own 4-bit base + its LoRA adapter (pool.use(run.quant_key, run.adapter_dir))
    chat:  the conversation's last MAX_TURNS turns (at most MAX_CONTEXT_TOKENS) ─► chat template ─► the answer
           token by token; the target may change from one turn to the next
    arena: one prompt ─► A streams its answer, then B (one after the other: both may be the same 4-bit model
           with another adapter active) ─► one vote per answered prompt ─► session.arena[sorted pair]

Each answer is generated in one worker thread that takes the model (the pool's lock is held by the thread that
took it) and hands the text over through a queue; closing the answer's iterator (a page that is gone) sets a
stop flag that ends the generation at its next token and lets the model go. No Gradio here.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, NamedTuple

from playground import i18n, models, zerogpu
from playground.datasets import prompt_ids
from playground.generation import Decoding, stream
from playground.i18n import t
from playground.settings import LIMITS
from playground.studio.labels import base_label, full_label, lora_label
from playground.studio.pool import QuantKey
from playground.studio.sessions import Session, Studio, check_prompt_length

FULL, BASE = "full", "base"  # the two targets every session has, besides its runs
WINNERS = ("a", "b", "tie")
MAX_TURNS = 8  # user turns of a conversation given to the model (the earlier ones are left out, and said so)
MAX_MESSAGES = 200  # a longer conversation is refused before it is read: Clear starts a new one


def max_context_tokens() -> int:
    """The most tokens of conversation (chat template included) one answer is given: two messages' worth."""
    return 2 * LIMITS.max_prompt_tokens


@dataclass(frozen=True)
class Target:
    """What answers: its arena key ("full:<model>", "base:<model>" or a run id), label and model."""

    key: str
    label: str
    model_id: str
    quant_key: QuantKey | None = None  # None: the full-precision model
    adapter_dir: Path | None = None


def target(studio: Studio, owner: str, name: str, model_id: str | None = None) -> Target:
    """The target `name` ("full", "base", a run id, or an arena key) of the owner's session; "full" and "base"
    are of `model_id` (the default model when empty). Refuses an ended session, an unknown run, a model the
    server does not allow."""
    studio.session(owner)
    name = (name or "").strip()
    if not name:
        raise ValueError(t("chat.err.pick_target"))
    if name.startswith((FULL + ":", BASE + ":")):
        name, model_id = name.split(":", 1)
    if name in (FULL, BASE):
        model_id = (model_id or "").strip() or models.default_model_id()
        models.load_tokenizer(model_id)  # refuses a bad id or one the server does not allow
        if name == FULL:
            label = full_label(model_id)
            return Target(f"{FULL}:{model_id}", t("chat.target.model", label=label, model_id=model_id), model_id)
        key = (model_id, "nf4", True)
        label = base_label()
        return Target(f"{BASE}:{model_id}", t("chat.target.model", label=label, model_id=model_id), model_id, key)
    run = studio.run(owner, name)
    lora = lora_label(run.config.quant_type, run.config.double_quant)
    return Target(run.run_id, t("chat.target.run", run_id=run.run_id, lora=lora, model_id=run.config.model_id),
                  run.config.model_id, run.quant_key, run.adapter_dir)


def choices(studio: Studio, owner: str | None, model_id: str | None = None) -> list[tuple[str, str]]:
    """(label, name) of every target: the full-precision model, its 4-bit base, then the owner's runs."""
    model_id = (model_id or "").strip() or models.default_model_id()
    full, base = full_label(model_id), base_label()
    listed = [(t("chat.target.model", label=full, model_id=model_id), FULL),
              (t("chat.target.model", label=base, model_id=model_id), BASE)]
    runs = studio.runs(owner) if owner else []
    return listed + [(target(studio, owner, run.run_id).label, run.run_id) for run in runs]


# --------------------------------------------------------------------------- conversations

def text_of(content) -> str:
    """A message's text: a str, or Gradio's list of {"type": "text", "text": …} parts; anything else is refused."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict) and isinstance(content.get("text"), str):
        return content["text"]
    if isinstance(content, (list, tuple)):
        return "".join(text_of(part) for part in content)
    kind = content.get("type", "?") if isinstance(content, dict) else type(content).__name__
    raise ValueError(t("chat.err.content", kind=repr(kind)))


def _check_message(tokenizer, text: str) -> None:
    check_prompt_length(tokenizer, [text], "chat.err.message_too_long", LIMITS.max_prompt_tokens)


def plain(messages) -> list[dict]:
    """The conversation as role and text only (what the chat template reads); a bad message is refused."""
    if not isinstance(messages, (list, tuple)):
        raise ValueError(t("chat.err.messages"))
    if len(messages) > MAX_MESSAGES:
        raise ValueError(t("chat.err.too_many_messages", count=len(messages), limit=MAX_MESSAGES))
    result = []
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant"):
            raise ValueError(t("chat.err.role", role=repr(role)))
        result.append({"role": role, "content": text_of(message.get("content", ""))})
    return result


@dataclass(frozen=True)
class Window:
    """What the model is given of a conversation: its latest turns, and how many messages are left out."""

    messages: list[dict]
    dropped: int
    prompt_tokens: int


def window(tokenizer, messages) -> Window:
    """The latest turns of `messages` (ending with the user's new message) that fit: at most MAX_TURNS user
    turns and `max_context_tokens()` tokens through the chat template; earlier messages are left out whole."""
    conversation = plain(messages)
    if not conversation or conversation[-1]["role"] != "user" or not conversation[-1]["content"].strip():
        raise ValueError(t("chat.err.no_message"))
    _check_message(tokenizer, conversation[-1]["content"])
    starts = [index for index, message in enumerate(conversation) if message["role"] == "user"][-MAX_TURNS:]
    budget = max_context_tokens()
    for start in starts:  # the earliest start that fits; the last one (the new message alone) always does
        kept = conversation[start:]
        if sum(len(message["content"]) for message in kept) > 16 * budget and start != starts[-1]:
            continue  # too long by its characters already: not tokenized
        ids = prompt_ids(tokenizer, kept)
        if len(ids) <= budget or start == starts[-1]:
            return Window(kept, start, len(ids))
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- answering

@contextlib.contextmanager
def _model(studio: Studio, chosen: Target):
    if chosen.quant_key is None:
        yield models.load_model(chosen.model_id).model
    else:
        with studio.pool.use(chosen.quant_key, chosen.adapter_dir) as model:
            yield model


def answer(studio: Studio, chosen: Target, messages: list[dict], decoding: Decoding) -> Iterator[str]:
    """The answer of `chosen` to `messages` (role and text), the text so far at each new piece; closing this
    iterator stops it at its next token. On ZeroGPU it comes from one GPU call (the models loaded there; its
    duration checked now), elsewhere from a worker thread that takes the model and hands the text over."""
    if zerogpu.ON_ZEROGPU:
        adapter_dir = str(chosen.adapter_dir) if chosen.adapter_dir is not None else None
        return zerogpu.iterate_on_gpu(
            zerogpu.chat, chosen.quant_key, adapter_dir, chosen.model_id, messages, decoding, i18n.language(),
            estimate_s=zerogpu.generation_estimate_s(decoding.max_new_tokens, columns=1), stop=threading.Event())
    return _answer_in_thread(studio, chosen, messages, decoding)


def _answer_in_thread(studio: Studio, chosen: Target, messages: list[dict], decoding: Decoding) -> Iterator[str]:
    pieces: queue.Queue = queue.Queue()  # at most one item per new token, and the end
    stop = threading.Event()

    def work() -> None:
        try:
            with _model(studio, chosen) as model:
                if not stop.is_set():  # the reader may have left while the model was busy
                    for text in stream(model, models.load_tokenizer(chosen.model_id), messages, decoding, stop):
                        pieces.put(("text", text))
            pieces.put(("end", None))
        except BaseException as err:  # noqa: BLE001 - raised again in the reader's thread
            pieces.put(("error", err))

    threading.Thread(target=i18n.bound(work), name="chat-answer", daemon=True).start()
    try:
        while True:
            kind, value = pieces.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


@dataclass
class Reply:
    """One chat answer: who answers, what of the conversation it is given, and its text as it grows."""

    label: str
    dropped: int  # earliest messages left out of what the model is given
    prompt_tokens: int
    texts: Iterator[str]

    def __iter__(self) -> Iterator[str]:
        return self.texts

    def close(self) -> None:
        self.texts.close()


def chat_stream(studio: Studio, owner: str, name: str, messages, decoding: Decoding = Decoding(),
                model_id: str | None = None) -> Reply:
    """The answer of target `name` to the conversation `messages` (Gradio's messages format, ending with the
    user's new message). Everything is checked here, before any model runs; the answer comes as it is
    generated when the reply is iterated."""
    if not isinstance(decoding, Decoding):
        raise ValueError(t("chat.err.decoding"))
    chosen = target(studio, owner, name, model_id)
    fitting = window(models.load_tokenizer(chosen.model_id), messages)
    return Reply(chosen.label, fitting.dropped, fitting.prompt_tokens,
                 answer(studio, chosen, fitting.messages, decoding))


# --------------------------------------------------------------------------- arena

@dataclass
class Round:
    """The arena's latest prompt in a session: its pair, whether both answers are complete and whether it has its vote."""

    a: Target
    b: Target
    answered: bool = False
    voted: bool = False


_rounds: "weakref.WeakKeyDictionary[Session, Round]" = weakref.WeakKeyDictionary()  # one per session, gone with it


class ArenaStep(NamedTuple):
    a: str  # A's text so far
    b: str  # B's text so far ("" until B starts)
    answering: str | None  # "a", "b", or None once both answers are complete


@dataclass
class ArenaReply:
    labels: tuple[str, str]
    answers: Iterator[ArenaStep]
    round: Round = field(repr=False)

    def __iter__(self) -> Iterator[ArenaStep]:
        return self.answers

    def close(self) -> None:
        self.answers.close()


def arena_stream(studio: Studio, owner: str, a: str, b: str, prompt: str, decoding: Decoding = Decoding(),
                 model_id: str | None = None) -> ArenaReply:
    """Targets `a` and `b` answer `prompt`: A's answer streams first, then B's. The prompt becomes the session's
    round to vote on once both answers are complete (the round before can no longer be voted on)."""
    if not isinstance(decoding, Decoding):
        raise ValueError(t("chat.err.decoding"))
    first, second = target(studio, owner, a, model_id), target(studio, owner, b, model_id)
    if first.key == second.key:
        raise ValueError(t("chat.err.same_pair"))
    prompt = (prompt or "").strip()
    if not prompt:
        raise ValueError(t("chat.err.no_prompt"))
    for model in {first.model_id, second.model_id}:
        _check_message(models.load_tokenizer(model), prompt)
    messages = [{"role": "user", "content": prompt}]
    session = studio.session(owner)
    current = Round(first, second)
    with session.lock:
        _rounds[session] = current

    def answers() -> Iterator[ArenaStep]:
        text_a = text_b = ""
        for text_a in answer(studio, first, messages, decoding):
            yield ArenaStep(text_a, "", "a")
        for text_b in answer(studio, second, messages, decoding):
            yield ArenaStep(text_a, text_b, "b")
        current.answered = True
        yield ArenaStep(text_a, text_b, None)

    return ArenaReply((first.label, second.label), answers(), current)


def arena_vote(studio: Studio, owner: str, a: str, b: str, winner: str, model_id: str | None = None) -> list[dict]:
    """Record the vote on the session's latest arena prompt (`winner`: "a", "b" or "tie"), once, and only after
    both answers are complete and for the pair that answered; returns the tally."""
    if winner not in WINNERS:
        raise ValueError(t("chat.err.winner", winner=repr(winner)))
    first, second = target(studio, owner, a, model_id), target(studio, owner, b, model_id)
    session = studio.session(owner)
    with session.lock:
        current = _rounds.get(session)
        if current is None:
            raise ValueError(t("chat.err.vote_first"))
        if (current.a.key, current.b.key) != (first.key, second.key):
            raise ValueError(t("chat.err.vote_other", a=current.a.label, b=current.b.label))
        if not current.answered:
            raise ValueError(t("chat.err.vote_wait"))
        if current.voted:
            raise ValueError(t("chat.err.voted"))
        pair = tuple(sorted((first.key, second.key)))
        limit = (studio.max_runs + 2) ** 2
        if pair not in session.arena and len(session.arena) >= limit:
            raise ValueError(t("chat.err.max_pairs", limit=limit))
        counts = session.arena.setdefault(pair, {"a": 0, "b": 0, "tie": 0})
        if winner == "tie":
            counts["tie"] += 1
        else:
            chosen = first.key if winner == "a" else second.key
            counts["a" if chosen == pair[0] else "b"] += 1  # "a" counts the pair's first in sorted order
        current.voted = True
    return arena_tally(studio, owner)


def arena_tally(studio: Studio, owner: str) -> list[dict]:
    """Per pair (sorted): both labels, each one's wins, the ties and the number of votes."""
    session = studio.session(owner)
    with session.lock:
        tally = {pair: dict(counts) for pair, counts in session.arena.items()}
    rows = []
    for pair in sorted(tally):
        counts = tally[pair]
        labels = tuple(target(studio, owner, key).label for key in pair)
        rows.append({"pair": pair, "labels": labels, "wins": (counts["a"], counts["b"]), "ties": counts["tie"],
                     "total": counts["a"] + counts["b"] + counts["tie"]})
    return rows
