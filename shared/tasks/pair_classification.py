"""Sentence-pair classification (course chapter 3): does this sentence answer this question?

What training and the Space share: the labels, how a pair is tokenized, the limits, load() and predict().
The checkpoint is a LoRA adapter + classification head on an encoder (see training/pair_classification.py);
the data are QNLI-style pairs rebuilt from SQuAD (shared/data/pairs.py). No Gradio here: bad input raises
ValueError with a sentence a user understands.
"""

from __future__ import annotations

import warnings

from shared.data.pairs import LABELS  # ("not_entailment", "entailment"): id 1 = the sentence holds the answer

TASK = "pair_classification"
FIRST = "question"
SECOND = "sentence"
MAX_LENGTH = 128  # tokens the model reads per pair ([CLS] question [SEP] sentence [SEP])
TRUNCATION = "longest_first"  # cut the longer text first; never fails when the question alone is too long
MAX_CHARS = 5_000  # per text, cut before tokenizing (the model would read at most MAX_LENGTH tokens anyway)



def encode(tokenizer, first, second, max_length: int = MAX_LENGTH):
    """Tokenize one pair or lists of pairs as the course does: `tokenizer(first, second, truncation=...)`.

    BERT-style tokenizers return token_type_ids (0 for the question, 1 for the sentence); padding is left to
    `DataCollatorWithPadding` (dynamic padding, per batch).
    """
    return tokenizer(first, second, truncation=TRUNCATION, max_length=max_length)


def tokenize_batch(batch: dict, tokenizer, max_length: int = MAX_LENGTH) -> dict:
    """For `Dataset.map(..., batched=True)` over the question/sentence columns of shared.data.pairs."""
    return encode(tokenizer, batch[FIRST], batch[SECOND], max_length)


def check_inputs(first, second) -> tuple[str, str, list[str]]:
    """Validated (first, second) cut to MAX_CHARS each, plus notes about what was cut."""
    notes = []
    texts = []
    for value, what in ((first, "a question (first text)"), (second, "a sentence (second text)")):
        if value is None or not isinstance(value, str) or not value.strip():
            raise ValueError(f"Please type {what}: it is empty.")
        value = value.strip()
        if len(value) > MAX_CHARS:
            notes.append(f"The {what.split(' (')[0][2:]} has {len(value):,} characters; only the first "
                         f"{MAX_CHARS:,} were read.")
            value = value[:MAX_CHARS]
        texts.append(value)
    return texts[0], texts[1], notes


def load(model: str | None = None):
    """(model, tokenizer) for `model` (a folder or Hub id), else shared.hub.resolve('pair_classification');
    loaded once per process by shared.modeling."""
    from shared import hub, modeling

    return modeling.load_classifier(hub.resolve(TASK, model))


def predict_with_notes(first: str, second: str, model: str | None = None) -> tuple[dict[str, float], list[str]]:
    """({label: probability}, notes): notes say what was truncated (empty when nothing was)."""
    import torch

    first, second, notes = check_inputs(first, second)
    net, tokenizer = load(model)
    full = len(tokenizer(first, second, truncation=False, verbose=False)["input_ids"])
    if full > MAX_LENGTH:
        notes.append(f"The question and sentence are {full:,} tokens together; the model read {MAX_LENGTH} "
                     f"(the longer text was cut first).")
    inputs = encode(tokenizer, first, second)
    inputs = {k: torch.tensor([v]) for k, v in inputs.items()}
    with torch.no_grad():
        probs = torch.softmax(net(**inputs).logits[0].float(), dim=-1).tolist()
    id2label = getattr(net.config, "id2label", None) or dict(enumerate(LABELS))
    return {str(id2label[i]): float(p) for i, p in enumerate(probs)}, notes


def predict(first: str, second: str, model: str | None = None) -> dict[str, float]:
    """{label: probability} for a (question, sentence) pair; truncation is reported with warnings.warn."""
    probs, notes = predict_with_notes(first, second, model)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return probs
