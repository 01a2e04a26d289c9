"""Code completion with a GPT-2 trained from scratch on data-science Python (course chapter 7, "Training a causal
language model from scratch").

The checkpoint is a small `GPT2LMHeadModel` and a byte-level BPE tokenizer retrained from GPT-2's on the same
code (`training/code_generation.py`). A prompt (usually a comment saying what to do, after some code) is
continued token by token with the loop the text-generation demo uses (`text_generation.stream_tokens`: greedy
at temperature 0, else temperature + top-p sampling from a seeded generator). The completion stops at the
model's end-of-text token, at the token limit, or, with `stop_at_blank_line` (the default), at the first blank
line after some code: the end of the block the comment asked for, as the course's examples show it.

`KEYTOKENS` are the course's keyword-weighted loss words (plt, pd, sk, fit, predict): tokens the loss may weigh
more, because they mark data-science code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from shared import hub
from shared.tasks import InputError, Output, check_text, last_output
from shared.tasks import text_generation as generation

TASK = "code_generation"
MAX_INPUT_CHARS = 4_000
MAX_MODEL_TOKENS = 256  # the model's context: prompt + completion
MAX_NEW_TOKENS = 128
DEFAULTS = {"max_new_tokens": 64, "temperature": 0.0, "top_p": 0.95, "seed": 0}
KEYTOKENS = ["plt", "pd", "sk", "fit", "predict"]
# The course's prompts (chapter 7.6), and what each comment asks for: a call a correct completion makes.
COURSE_PROMPTS = [
    ("# create some data\nx = np.random.randn(100)\ny = np.random.randn(100)\n\n# create scatter plot with x, y\n",
     ["scatter"]),
    ("# create some data\nx = np.random.randn(100)\ny = np.random.randn(100)\n\n# create dataframe from x and y\n",
     ["DataFrame"]),
    ("# dataframe with profession, income and name\ndf = pd.DataFrame({'profession': x, 'income':y, 'name': z})\n\n"
     "# calculate the mean income per profession\n", ["groupby", "mean"]),
    ("# import random forest regressor from scikit-learn\nfrom sklearn.ensemble import RandomForestRegressor\n\n"
     "# fit random forest model with 300 estimators on X, y:\n", ["RandomForestRegressor", "fit"]),
]
EXAMPLE = COURSE_PROMPTS[0][0]


def check(prompt, max_new_tokens=DEFAULTS["max_new_tokens"], temperature=DEFAULTS["temperature"],
          top_p=DEFAULTS["top_p"], seed=DEFAULTS["seed"]):
    prompt = check_text(prompt, "code prompt", max_chars=MAX_INPUT_CHARS,
                        empty="Please type the start of some Python first, e.g. a comment saying what to do.")
    settings = generation.check_settings(max_new_tokens, temperature, top_p, seed)
    if settings.max_new_tokens > MAX_NEW_TOKENS:
        raise InputError(f"Max new tokens must be between 1 and {MAX_NEW_TOKENS} (the model reads "
                         f"{MAX_MODEL_TOKENS} tokens in all); got {settings.max_new_tokens}.")
    return prompt, settings


def load(model: str | None = None):
    """(model, tokenizer) of `model` (a folder or Hub id; default `shared.hub.resolve(TASK)`), once per process."""
    from shared import modeling

    where = hub.resolve(TASK, model)
    return modeling.cached(("code-lm", where), lambda: _load(where))


def _load(where: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(where)
    net = AutoModelForCausalLM.from_pretrained(where, dtype=torch.float32, use_safetensors=True).eval()
    return net, tokenizer


def block_end(completion: str) -> int | None:
    """Where the first block of code in `completion` ends: the first blank line after a line of code."""
    seen_code, offset = False, 0
    for line in completion.splitlines(keepends=True):
        if not line.strip() and seen_code:
            return offset
        seen_code = seen_code or (line.strip() and not line.lstrip().startswith("#"))
        offset += len(line)
    return None


def stream(prompt, max_new_tokens=DEFAULTS["max_new_tokens"], temperature=DEFAULTS["temperature"],
           top_p=DEFAULTS["top_p"], seed=DEFAULTS["seed"], model: str | None = None,
           stop_at_blank_line: bool = True) -> Iterator[Output]:
    """The completion alone, growing one token at a time."""
    prompt, settings = check(prompt, max_new_tokens, temperature, top_p, seed)
    net, tokenizer = load(model)
    ids, notices = generation.encode_prompt(tokenizer, prompt, settings, window=MAX_MODEL_TOKENS)
    yield Output("", notices)
    new: list[int] = []
    # tokens made ahead of the reader, an update per UPDATE_SECONDS at most (as text_generation.stream_text): one
    # update per token held this small model to Gradio's pace (255-305 tok/s streamed against 410 in the loop)
    for tokens in generation.ahead(generation.stream_tokens(net, ids, settings), every=generation.UPDATE_SECONDS):
        new.extend(tokens)
        text = tokenizer.decode(new, skip_special_tokens=True)
        end = block_end(text) if stop_at_blank_line else None
        if end is not None:
            yield Output(text[:end])
            return
        yield Output(text)


def predict(prompt, max_new_tokens=DEFAULTS["max_new_tokens"], temperature=DEFAULTS["temperature"],
            top_p=DEFAULTS["top_p"], seed=DEFAULTS["seed"], model: str | None = None,
            stop_at_blank_line: bool = True) -> Output:
    """The completion of `prompt` (without the prompt)."""
    return last_output(stream(prompt, max_new_tokens, temperature, top_p, seed, model, stop_at_blank_line))


def is_valid_python(code: str) -> bool:
    """Whether `code` parses (`ast.parse`)."""
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def does_what_asked(completion: str, expects: list[str]) -> bool:
    """Whether the completion makes every call the prompt's comment asks for (the automatic half of the check;
    the card's table is there to be read)."""
    return all(word in completion for word in expects)
