"""SQuAD v1.1 exact match and F1, as the official evaluation script computes them (what `evaluate.load("squad")`
wraps): answers normalized (lower case, no punctuation, no articles a/an/the, single spaces), each prediction
scored against its best-matching reference, means in percent."""

from __future__ import annotations

import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(truth))


def f1(prediction: str, truth: str) -> float:
    pred, gold = normalize_answer(prediction).split(), normalize_answer(truth).split()
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def compute(predictions: list[dict], references: list[dict]) -> dict:
    """evaluate's squad format: predictions [{"id", "prediction_text"}], references [{"id", "answers":
    {"text": [...]}}] -> {"exact_match": %, "f1": %}."""
    by_id = {p["id"]: p["prediction_text"] for p in predictions}
    em = f = 0.0
    for ref in references:
        pred = by_id.get(ref["id"], "")
        truths = ref["answers"]["text"]
        em += max(exact_match(pred, t) for t in truths)
        f += max(f1(pred, t) for t in truths)
    n = max(len(references), 1)
    return {"exact_match": 100 * em / n, "f1": 100 * f / n}
