"""The task contract. Every model task in `shared.tasks` is one module of this shape, and nothing else:

    TASK               its name: checkpoints/<TASK>/, the <TASK>_MODEL variable, `python -m training.<TASK>`
    MAX_INPUT_CHARS    the raw input cap: a longer text is refused by `check` before any other work
    MAX_MODEL_TOKENS   the model's window: what lies past it is not read, and a notice says so
    check(...)         validates type, emptiness and size of the raw inputs, before anything else runs;
                       returns them clean or raises `InputError` with a sentence a user understands
    load(model=None)   the model for `model` (a folder or Hub id; default `shared.hub.resolve(TASK)`), loaded
                       once per process through `shared.modeling.cached`
    predict(...)       one input -> `Output(value, notices)`: the answer and what the user should be told
    predict_batch(xs)  (tasks that serve batched) a list of inputs -> one `Output` per input; a bad input
                       gets an Output with `error` set, so it never fails the other inputs of the batch
                       (`answer_batch` is its body: check each input, answer the good ones in one go)

The same functions serve training (tokenization, labels) and the Spaces, which only lay out components and
wire them with `shared.ui.endpoint` / `shared.ui.batched_endpoint` (InputError -> gr.Error, notices ->
gr.Warning). Tasks import no Gradio. The model-free helpers of chapter 9 (`basics`) follow the same rule for
their inputs: `check_*` first, `InputError` for anything a user can get wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_INPUT_CHARS = 100_000  # every text task's raw input cap unless it says otherwise (~25 pages of prose)


class InputError(ValueError):
    """Bad input, with a sentence a user understands (shown as gr.Error in a Space)."""


@dataclass
class Output:
    value: Any = None  # what the Space shows (e.g. {label: probability})
    notices: list[str] = field(default_factory=list)  # sentences for the user: what was cut, what was assumed
    error: str | None = None  # predict_batch only: why this input of the batch got no value

    @property
    def label(self) -> str:
        """The top label of a {label: score} value."""
        return max(self.value, key=self.value.get)


def last_output(outputs) -> Output:
    """The last Output of a streaming task's `stream`, with every notice given on the way: its `predict`."""
    notices: list[str] = []
    last = Output()
    for last in outputs:
        notices += last.notices
    return Output(last.value, notices)


def excerpt(value: Any, limit: int = 60) -> str:
    """A short, safe excerpt of a user's input for messages and log lines (never the whole input)."""
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def check_text(value: Any, what: str = "text", *, max_chars: int = MAX_INPUT_CHARS, empty: str | None = None) -> str:
    """`value` if it is a usable text, else InputError: None or blank, not a string (a number, a list), over
    `max_chars` characters, or holding a lone UTF-16 surrogate (not encodable, so no tokenizer can read it).
    Costs one pass over the text at most; nothing else runs before it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(empty or f"Please type some {what} first: the box is empty.")
    if not isinstance(value, str):
        raise InputError(f"Expected text for the {what}; got {type(value).__name__} {excerpt(value, 30)}.")
    if len(value) > max_chars:
        raise InputError(f"That {what} has {len(value):,} characters; this demo takes at most {max_chars:,}. "
                         f"Paste a shorter excerpt.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(f"The {what} holds an invalid character at position {e.start:,} (a lone surrogate, "
                         "from a broken copy-paste or encoding); paste it again as plain UTF-8 text.") from None
    return value


def check_batch(values: Any, check, unpack: str | None = None) -> list[tuple[Any, str | None]]:
    """Each element of a batch through `check`: [(clean value or None, error sentence or None), ...].
    `unpack`: each element is a tuple of `check`'s arguments, named in the message when it is not one (e.g.
    "(question, sentence)")."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise InputError("predict_batch() takes a list of inputs; use predict() for a single one.")
    if not values:
        raise InputError("There is nothing to classify: the list is empty.")
    out = []
    for value in values:
        try:
            if unpack is None:
                out.append((check(value), None))
                continue
            try:
                if not isinstance(value, (tuple, list)):
                    raise TypeError
                out.append((check(*value), None))
            except TypeError:  # not a tuple, or not as many fields as `check` takes
                raise InputError(f"Expected a {unpack} request; got {excerpt(value, 30)}.") from None
        except InputError as e:
            out.append((None, str(e)))
    return out


def answer_batch(values: Any, check, answer, unpack: str | None = None) -> list[Output]:
    """The body of a task's `predict_batch`: each input through `check` (see `check_batch`), the good ones through
    `answer` (a list of clean inputs -> one Output each, computed together), and an Output with `error` for each
    bad one, all in input order."""
    checked = check_batch(values, check, unpack)
    good = [value for value, err in checked if err is None]
    answers = iter(answer(good) if good else [])
    return [Output(error=err) if err else next(answers) for _, err in checked]
