"""Fine-tuning data: built-in sets, user uploads, the chat template and response-only labels.

    {"instruction": ..., "response": ...}  or  {"messages": [{"role": ..., "content": ...}, ...]}
        │ apply_chat_template (the model's own)
        ▼
    <|im_start|>system …<|im_end|> <|im_start|>user …<|im_end|> <|im_start|>assistant\n  answer<|im_end|>
    └──────────────── prompt: label -100 (no loss) ─────────────────────────────────┘ └─ labels = ids ─┘

Only the answer is learned (QLoRA §5 trains on the target only, as instruction tuning usually does):
the prompt is everything `apply_chat_template(add_generation_prompt=True)` writes, and pad positions
are -100 too. Each built-in set has a held-out split and a metric on generated answers that moves
when a short run changes the model's behaviour.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from playground.i18n import t
from playground.settings import LIMITS

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "datasets"
IGNORE_INDEX = -100  # label value torch's cross-entropy skips

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class Example:
    """One conversation; the last message is the assistant answer that is learned."""

    messages: tuple[tuple[str, str], ...]  # (role, content) pairs

    @property
    def prompt(self) -> Messages:
        return [{"role": role, "content": content} for role, content in self.messages[:-1]]

    @property
    def response(self) -> str:
        return self.messages[-1][1]

    @property
    def user_text(self) -> str:
        return next(content for role, content in reversed(self.messages) if role == "user")

    def as_messages(self) -> Messages:
        return [{"role": role, "content": content} for role, content in self.messages]


def example(instruction: str, response: str) -> Example:
    return Example((("user", instruction), ("assistant", response)))


# --------------------------------------------------------------------------- metrics

Metric = Callable[[list[str], list[Example]], dict[str, float]]
_PIRATE_MARKERS = re.compile(r"\b(arr+|matey|ahoy|hearty|savvy|yo ho|ye|yer|th'|o'|an')(?=\W|$)", re.IGNORECASE)
_JSON_FIELDS = ("name", "age", "job", "city")


def _first_json_object(text: str) -> dict | None:
    start = text.find("{")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def pirate_metric(answers: list[str], examples: list[Example]) -> dict[str, float]:
    """Share of answers with at least one pirate marker ("arr", "matey", "ahoy", "ye", "th'", …): the score."""
    marked = [len(_PIRATE_MARKERS.findall(answer)) for answer in answers]
    return {
        "score": sum(count >= 1 for count in marked) / len(answers),
        "markers_per_answer": sum(marked) / len(answers),
    }


def json_metric(answers: list[str], examples: list[Example]) -> dict[str, float]:
    """Valid-JSON rate (an object with exactly the four fields) and per-field exact-match rate (the score)."""
    valid, matched = 0, 0
    for answer, reference in zip(answers, examples):
        parsed = _first_json_object(answer)
        expected = json.loads(reference.response)
        if parsed is not None and set(parsed) == set(_JSON_FIELDS):
            valid += 1
        if parsed is not None:
            matched += sum(parsed.get(field) == expected[field] for field in _JSON_FIELDS)
    return {"score": matched / (len(answers) * len(_JSON_FIELDS)), "valid_json": valid / len(answers)}


def sentiment_metric(answers: list[str], examples: list[Example]) -> dict[str, float]:
    """Exact answers ("Sentiment: positive") as the score; the format alone as a second figure."""
    exact = sum(a.strip() == e.response for a, e in zip(answers, examples))
    formatted = sum(re.fullmatch(r"Sentiment: (positive|negative)", a.strip()) is not None for a in answers)
    return {"score": exact / len(answers), "format": formatted / len(answers)}


def exact_match_metric(answers: list[str], examples: list[Example]) -> dict[str, float]:
    """For user data: answers equal to the reference, ignoring case and surrounding space."""
    exact = sum(a.strip().lower() == e.response.strip().lower() for a, e in zip(answers, examples))
    return {"score": exact / len(answers)}


# --------------------------------------------------------------------------- datasets

@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    train: tuple[Example, ...]
    test: tuple[Example, ...]  # held out: never trained on
    metric: Metric
    metric_name: str
    max_new_tokens: int  # enough for a full answer when the metric is measured


@dataclass(frozen=True)
class BuiltIn:
    file: str
    key: str  # its texts: "studio.data.<key>" (the description), metric_key (the metric's name)
    metric: Metric
    metric_key: str
    max_new_tokens: int

    @property
    def description(self) -> str:
        return t(f"studio.data.{self.key}")

    @property
    def metric_name(self) -> str:
        return t(self.metric_key)


BUILT_INS: dict[str, BuiltIn] = {
    "pirate": BuiltIn("pirate.jsonl", "pirate", pirate_metric, "studio.metric.pirate", 16),
    "json-extract": BuiltIn("json-extract.jsonl", "json-extract", json_metric, "studio.metric.json", 40),
    "sentiment": BuiltIn("sentiment.jsonl", "sentiment", sentiment_metric, "studio.metric.sentiment", 8),
}
USER_DATA = "user data"  # the dataset name of a user's own examples
_SECOND_METRICS = ("markers_per_answer", "valid_json", "format")  # the metrics' other figures, besides "score"


def dataset_label(name: str) -> str:
    """A dataset's name as the UI shows it: a built-in one's own name, user data in the current language."""
    return t("studio.data.user_name") if name == USER_DATA else name


def metric_label(dataset_name: str, metric: str = "score") -> str:
    """How the UI names one figure of a dataset's metric, in the current language ("score": the metric's name)."""
    if metric == "score":
        return BUILT_INS[dataset_name].metric_name if dataset_name in BUILT_INS else t("studio.metric.exact_match")
    return t(f"studio.metric.{metric}") if metric in _SECOND_METRICS else metric.replace("_", " ")


def built_in(name: str) -> Dataset:
    if name not in BUILT_INS:
        raise ValueError(t("studio.err.not_builtin", name=repr(name), names=sorted(BUILT_INS)))
    spec = BUILT_INS[name]
    rows = [json.loads(line) for line in (ASSETS / spec.file).read_text().splitlines() if line.strip()]
    split = {"train": [], "test": []}
    for row in rows:
        split[row["split"]].append(example(row["instruction"], row["response"]))
    return Dataset(name, spec.description, tuple(split["train"]), tuple(split["test"]), spec.metric,
                   spec.metric_name, spec.max_new_tokens)


def user_dataset(examples: list[Example], held_out_fraction: float = 0.1) -> Dataset:
    """User examples: the last tenth (at least one) is held out and scored by exact match."""
    if len(examples) < 2:
        raise ValueError(t("studio.err.too_few", count=len(examples)))
    held_out = max(1, round(len(examples) * held_out_fraction))
    return Dataset(USER_DATA, t("studio.data.user", count=len(examples)), tuple(examples[:-held_out]),
                   tuple(examples[-held_out:]), exact_match_metric, t("studio.metric.exact_match"), 64)


# --------------------------------------------------------------------------- parsing uploads

_ROLES = ("system", "user", "assistant")


def _text_field(row: dict, key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(t("studio.err.text_field", where=where, key=repr(key), value=repr(value))[:200])
    return value


def _row_to_example(row: object, where: str) -> Example:
    if not isinstance(row, dict):
        raise ValueError(t("studio.err.row_type", where=where, kind=type(row).__name__))
    if "messages" in row:
        messages = row["messages"]
        if not isinstance(messages, list) or len(messages) < 2:
            raise ValueError(t("studio.err.messages_list", where=where))
        pairs = []
        for message in messages:
            if not isinstance(message, dict) or message.get("role") not in _ROLES:
                raise ValueError(t("studio.err.message_role", where=where, roles=_ROLES))
            pairs.append((message["role"], _text_field(message, "content", where)))
        if pairs[-1][0] != "assistant" or not any(role == "user" for role, _ in pairs):
            raise ValueError(t("studio.err.conversation", where=where))
        return Example(tuple(pairs))
    missing = [key for key in ("instruction", "response") if key not in row]
    if missing:
        raise ValueError(t("studio.err.missing_columns", where=where, missing=missing, found=sorted(row)[:6]))
    return example(_text_field(row, "instruction", where), _text_field(row, "response", where))


def decode_upload(data: bytes) -> str:
    """The upload as text; refuses files over the size limit, binary files and non-UTF-8 text."""
    if len(data) > LIMITS.max_upload_bytes:
        raise ValueError(t("studio.err.file_too_large", size=f"{len(data):,}", limit=f"{LIMITS.max_upload_bytes:,}"))
    if b"\x00" in data:
        raise ValueError(t("studio.err.binary"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(t("studio.err.not_utf8", position=err.start)) from None


def parse_jsonl(text: str) -> list[Example]:
    examples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as err:
            raise ValueError(t("studio.err.bad_json_line", number=number, error=err.msg, column=err.colno)) from None
        examples.append(_row_to_example(row, t("studio.where.line", number=number)))
    return _checked(examples)


def parse_csv(text: str) -> list[Example]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        if not {"instruction", "response"} <= {name.strip() for name in header}:
            raise ValueError(t("studio.err.csv_columns", header=header))
        examples = [
            _row_to_example({key.strip(): value for key, value in row.items() if key},
                            t("studio.where.row", number=number))
            for number, row in enumerate(reader, start=2)
        ]
    except csv.Error as err:
        raise ValueError(t("studio.err.csv", error=err)) from None
    return _checked(examples)


def parse_pasted(text: str) -> list[Example]:
    """Pasted examples: JSONL if it looks like JSON, else blocks 'instruction ||| response', one per line."""
    if text.lstrip().startswith("{"):
        return parse_jsonl(text)
    examples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "|||" not in line:
            raise ValueError(t("studio.err.paste_line", number=number))
        instruction, response = (part.strip() for part in line.split("|||", 1))
        examples.append(_row_to_example({"instruction": instruction, "response": response},
                                        t("studio.where.line", number=number)))
    return _checked(examples)


def parse_upload(name: str, data: bytes) -> list[Example]:
    """Parse an uploaded file by its extension (.jsonl/.json or .csv); the name is only read, never used as a path."""
    suffix = Path(str(name)).suffix.lower()
    text = decode_upload(data)
    if suffix in (".jsonl", ".json"):
        return parse_jsonl(text)
    if suffix == ".csv":
        return parse_csv(text)
    raise ValueError(t("studio.err.file_type", suffix=repr(suffix or "(none)")))


def _checked(examples: list[Example]) -> list[Example]:
    if len(examples) < 2:
        raise ValueError(t("studio.err.too_few_examples", count=len(examples)))
    return examples[: LIMITS.max_examples]


# --------------------------------------------------------------------------- tokenizing

@dataclass(frozen=True)
class Tokenized:
    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX on the prompt


def _ids(encoded) -> list[int]:
    return list(encoded["input_ids"])


def prompt_ids(tokenizer, messages: Messages) -> list[int]:
    """The chat-templated prompt up to and including the assistant header."""
    return _ids(tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True))


def tokenize_example(tokenizer, item: Example) -> Tokenized:
    prompt = prompt_ids(tokenizer, item.prompt)
    full = _ids(tokenizer.apply_chat_template(item.as_messages(), return_dict=True))
    if full[: len(prompt)] != prompt:
        raise ValueError(t("studio.err.chat_template"))
    labels = [IGNORE_INDEX] * len(prompt) + full[len(prompt):]
    return Tokenized(full, labels)


def tokenize(tokenizer, examples: list[Example] | tuple[Example, ...], max_length: int) -> tuple[list[Tokenized], int]:
    """Tokenize once; examples longer than `max_length` are left out. Returns (kept, number left out)."""
    kept = [tokenize_example(tokenizer, item) for item in examples]
    fitting = [item for item in kept if len(item.input_ids) <= max_length]
    return fitting, len(kept) - len(fitting)
