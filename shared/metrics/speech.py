"""Word error rate, as `jiwer` / `evaluate`'s "wer" count it: (substitutions + deletions + insertions) over the
reference words of the whole corpus, after a light normalisation (lower case, punctuation and hyphens to
spaces, digits 0-20 spelled out) so that "Four hours" and "4 hours." are the same words."""

from __future__ import annotations

import re

NUMBERS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
           "sixteen seventeen eighteen nineteen twenty").split()


def normalize(text: str) -> list[str]:
    words = re.sub(r"[^\w\s']|_", " ", text.lower().replace("-", " ")).split()
    return [NUMBERS[int(w)] if w.isdigit() and int(w) <= 20 else w.strip("'") for w in words if w.strip("'")]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists."""
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def wer(references: list[str], predictions: list[str]) -> float:
    """Corpus word error rate of `predictions` against `references` (0 is perfect; can exceed 1)."""
    refs = [normalize(r) for r in references]
    errors = sum(edit_distance(r, normalize(p)) for r, p in zip(refs, predictions, strict=True))
    return errors / max(1, sum(len(r) for r in refs))
