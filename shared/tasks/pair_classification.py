"""Sentence-pair classification (course chapter 3): does this sentence answer this question?

What training and the Space share: the labels, how a pair is tokenized, the limits, load() and predict().
The checkpoint is a LoRA adapter + classification head on an encoder (see training/pair_classification.py);
the data are QNLI-style pairs rebuilt from SQuAD (shared/data/pairs.py). No Gradio here: bad input raises
ValueError with a sentence a user understands.
"""

from __future__ import annotations

from shared import hub, modeling
from shared.tasks import Output, answer_batch, check_text

TASK = "pair_classification"
LABELS = ("not_entailment", "entailment")  # QNLI's names: id 1 = the sentence holds the answer
FIRST = "question"
SECOND = "sentence"
MAX_INPUT_CHARS = 20_000  # per text: a question or a sentence, never a book
MAX_MODEL_TOKENS = 128  # tokens the model reads per pair ([CLS] question [SEP] sentence [SEP])
TRUNCATION = "longest_first"  # cut the longer text first; never fails when the question alone is too long
BATCH_SIZE = 32  # pairs per forward pass


def encode(tokenizer, first, second, max_length: int = MAX_MODEL_TOKENS):
    """Tokenize one pair or lists of pairs as the course does: `tokenizer(first, second, truncation=...)`.

    BERT-style tokenizers return token_type_ids (0 for the question, 1 for the sentence); padding is left to
    `DataCollatorWithPadding` (dynamic padding, per batch).
    """
    return tokenizer(first, second, truncation=TRUNCATION, max_length=max_length)


def tokenize_batch(batch: dict, tokenizer, max_length: int = MAX_MODEL_TOKENS) -> dict:
    """For `Dataset.map(..., batched=True)` over the question/sentence columns of shared.data.pairs."""
    return encode(tokenizer, batch[FIRST], batch[SECOND], max_length)


def check(first, second) -> tuple[str, str]:
    """Both texts stripped, or InputError for a missing, blank, non-text or oversized one."""
    return (check_text(first, "question (first text)", max_chars=MAX_INPUT_CHARS).strip(),
            check_text(second, "sentence (second text)", max_chars=MAX_INPUT_CHARS).strip())


def load(model: str | None = None):
    """(model, tokenizer) for `model` (a folder or Hub id), else shared.hub.resolve('pair_classification');
    loaded once per process by shared.modeling."""
    from shared import modeling

    return modeling.load_classifier(hub.resolve(TASK, model))


def predict(first: str, second: str, model: str | None = None) -> Output:
    """{label: probability} for a (question, sentence) pair; a notice says when the pair was cut to fit."""
    return _classify([check(first, second)], model)[0]


def predict_batch(pairs: list, model: str | None = None) -> list[Output]:
    """`predict` for a list of (question, sentence) pairs in shared forward passes (the Space's batched event);
    a bad pair gets an Output with `error` and does not fail the others."""
    return answer_batch(pairs, check, lambda good: _classify(good, model), unpack="(question, sentence)")


def _classify(pairs: list[tuple[str, str]], model: str | None) -> list[Output]:
    net, tokenizer = load(model)
    id2label = getattr(net.config, "id2label", None) or dict(enumerate(LABELS))
    out: list[Output] = []
    for start in range(0, len(pairs), BATCH_SIZE):
        firsts, seconds = zip(*pairs[start:start + BATCH_SIZE])
        full = tokenizer(list(firsts), list(seconds), truncation=False, verbose=False)["input_ids"]
        inputs = tokenizer.pad(encode(tokenizer, list(firsts), list(seconds)), return_tensors="pt")
        probs = modeling.probabilities(net, inputs).tolist()
        for ids, row in zip(full, probs):
            result = Output({str(id2label[i]): float(p) for i, p in enumerate(row)})
            if len(ids) > MAX_MODEL_TOKENS:
                result.notices.append(f"The question and sentence are {len(ids):,} tokens together; the model "
                                      f"read {MAX_MODEL_TOKENS} (the longer text was cut first).")
            out.append(result)
    return out
