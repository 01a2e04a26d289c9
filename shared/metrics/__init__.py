"""Metrics, the same for training, rescoring and the baselines.

`load(name)` gives the local `evaluate` module `shared/metrics/<name>.py` (accuracy, f1: the Hub's metrics,
offline); `accuracy_f1` is accuracy + macro-F1 in one call, for the multi-class scores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def load(name: str):
    """A local evaluate module from shared/metrics (evaluate 0.4.6 ships no metric scripts).

    keep_in_memory + a unique experiment_id: by default evaluate buffers predictions in a cache file named
    after the metric, so two runs scoring at the same time (the two loops side by side) read each other's
    predictions and report chance-level scores. Measured here: that happened once, hence this.
    """
    import uuid

    import evaluate

    return evaluate.load(str(HERE / f"{name}.py"), keep_in_memory=True, experiment_id=uuid.uuid4().hex)


def accuracy_f1(labels, preds, n_labels: int | None = None) -> dict:
    """Accuracy and macro-F1 (sklearn). With `n_labels`, every class 0..n_labels-1 counts in the macro mean,
    even one absent from both labels and predictions (its F1 is then 0)."""
    from sklearn.metrics import f1_score

    labels, preds = np.asarray(labels), np.asarray(preds)
    classes = None if n_labels is None else list(range(n_labels))
    return {"accuracy": float((labels == preds).mean()),
            "f1_macro": float(f1_score(labels, preds, labels=classes, average="macro", zero_division=0))}
