"""Bilingual summarization, English and French (course chapter 1's `pipeline("summarization")`, chapter 7.5's
bilingual reviews -> titles). The model writes the one-line synopsis of a longer text, the way Debian's packagers
sum up a package's long description; training and the Space share `encode`, `lead` and `predict` here.

The model is a small MarianMT trained from scratch here on both languages at once (`training.summarization`); it
reads the language from the text itself. `detect_language` says which language the text is in (the share of
very common English or French words), for the Space to tell the user and for the per-language scores.
"""

from __future__ import annotations

import re

from shared import compute, hub
from shared.tasks import InputError, Output, answer_batch, check_text

TASK = "summarization"
MAX_INPUT_CHARS = 20_000
MIN_WORDS = 8  # shorter than this, there is nothing to sum up
MAX_MODEL_TOKENS = 256  # the text's tokens read (a notice says when the rest is not)
MAX_SUMMARY_TOKENS = 48
NUM_BEAMS = 4
LANGUAGE_NAMES = {"en": "English", "fr": "French"}
_COMMON = {
    "en": set("the of and to a in is for that with it this are be on as by an or can from which its you".split()),
    "fr": set("le la les de des du et un une est pour en dans que qui il sur par au aux avec ce ces sont "
              "vous ou peut".split()),
}


def check(text) -> str:
    text = check_text(text, "text", max_chars=MAX_INPUT_CHARS)
    if len(text.split()) < MIN_WORDS:
        raise InputError(f"That text has {len(text.split())} word(s); give at least {MIN_WORDS} (a paragraph or "
                         "more) for a summary to make sense.")
    return text


def detect_language(text: str) -> str:
    """"en" or "fr": whichever language's commonest words make up more of the text (ties: English)."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    counts = {lang: sum(w in common for w in words) for lang, common in _COMMON.items()}
    return "fr" if counts["fr"] > counts["en"] else "en"


def lead(text: str, n_words: int) -> str:
    """The baseline: the text's first `n_words` words."""
    return " ".join(text.split()[:n_words])


def encode(batch, tokenizer, max_length: int = MAX_MODEL_TOKENS, max_target_length: int = MAX_SUMMARY_TOKENS):
    """Seq2seq features of a batch {"text", "summary"}: the text truncated to `max_length` tokens, the summary
    as labels."""
    features = tokenizer(batch["text"], max_length=max_length, truncation=True)
    features["labels"] = tokenizer(text_target=batch["summary"], max_length=max_target_length,
                                   truncation=True)["input_ids"]
    return features


def load(model: str | None = None):
    """(model, tokenizer) for `model` (a folder or Hub id; default `shared.hub.resolve(TASK)`) at the serving
    precision (`shared.modeling.served`), once per process."""
    from shared import modeling

    return modeling.served(TASK, str(hub.resolve(TASK, model)), _load)


def _load(where: str):
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    net = AutoModelForSeq2SeqLM.from_pretrained(where, dtype=torch.float32, use_safetensors=True)
    return net.eval(), AutoTokenizer.from_pretrained(where)


@compute.on_it
def summarize_batch(net, tokenizer, texts: list[str], *, num_beams: int = NUM_BEAMS) -> list[str]:
    """A summary per text (one generate call); training's evaluation uses it too."""
    import torch

    if not texts:
        return []
    batch = tokenizer(texts, max_length=MAX_MODEL_TOKENS, truncation=True, padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = net.generate(**batch, num_beams=num_beams, max_new_tokens=MAX_SUMMARY_TOKENS, no_repeat_ngram_size=3)
    return [t.strip() for t in tokenizer.batch_decode(out, skip_special_tokens=True)]


def predict(text, model: str | None = None) -> Output:
    """{"summary", "language"} for `text` ("en"/"fr", as `detect_language` reads it), with a notice when the text
    is longer than the model reads."""
    return _summarize([check(text)], model)[0]


def predict_batch(texts: list, model: str | None = None) -> list[Output]:
    """`predict` for a list of texts, summarized in one `generate` call (the Space's batched event); a bad text
    gets an Output with `error` and does not fail the others."""
    return answer_batch(texts, check, lambda good: _summarize(good, model))


def _summarize(texts: list[str], model: str | None) -> list[Output]:
    net, tokenizer = load(model)
    outputs = []
    for text, summary in zip(texts, summarize_batch(net, tokenizer, texts)):
        notices = []
        n_tokens = len(tokenizer(text)["input_ids"])
        if n_tokens > MAX_MODEL_TOKENS:
            notices.append(f"The text is {n_tokens:,} tokens long; the summary is of its first {MAX_MODEL_TOKENS} "
                           "(about 150 words).")
        outputs.append(Output({"summary": summary, "language": detect_language(text)}, notices))
    return outputs
