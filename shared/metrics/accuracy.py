"""Accuracy as a local `evaluate` metric module (evaluate 0.4.6 ships no metric scripts).

    import evaluate
    accuracy = evaluate.load("shared/metrics/accuracy.py")  # a path: nothing is downloaded
    accuracy.compute(predictions=[0, 1], references=[0, 0])  # {'accuracy': 0.5}

Same inputs and output as the Hub's `accuracy` metric; computed with scikit-learn.
"""

import datasets
import evaluate
from sklearn.metrics import accuracy_score

_DESCRIPTION = "Accuracy: the fraction of predictions equal to the reference label."
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted labels.
    references (list of int): true labels.
    normalize (bool): return the fraction (default) instead of the count of correct predictions.
    sample_weight (list of float): optional weights.
Returns:
    accuracy (float)
"""


class Accuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int32"),
                                        "references": datasets.Value("int32")}),
            reference_urls=["https://scikit-learn.org/stable/modules/generated/sklearn.metrics.accuracy_score.html"],
        )

    def _compute(self, predictions, references, normalize=True, sample_weight=None):
        return {"accuracy": float(accuracy_score(references, predictions, normalize=normalize,
                                                 sample_weight=sample_weight))}
