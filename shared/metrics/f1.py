"""F1 as a local `evaluate` metric module (evaluate 0.4.6 ships no metric scripts).

    import evaluate
    f1 = evaluate.load("shared/metrics/f1.py")  # a path: nothing is downloaded
    f1.compute(predictions=[1, 1, 0], references=[1, 0, 0])  # {'f1': 0.666...}

Same inputs and output as the Hub's `f1` metric (binary F1 of `pos_label` by default); computed with scikit-learn.
"""

import datasets
import evaluate
from sklearn.metrics import f1_score

_DESCRIPTION = "F1 = 2 * precision * recall / (precision + recall), of the positive class by default."
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted labels.
    references (list of int): true labels.
    labels (list of int): labels to include when average is not 'binary'.
    pos_label (int): the positive class for average='binary' (default 1).
    average (str): 'binary' (default), 'micro', 'macro', 'weighted' or None (one score per class).
    sample_weight (list of float): optional weights.
Returns:
    f1 (float, or list of float when average=None)
"""


class F1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int32"),
                                        "references": datasets.Value("int32")}),
            reference_urls=["https://scikit-learn.org/stable/modules/generated/sklearn.metrics.f1_score.html"],
        )

    def _compute(self, predictions, references, labels=None, pos_label=1, average="binary", sample_weight=None):
        score = f1_score(references, predictions, labels=labels, pos_label=pos_label, average=average,
                         sample_weight=sample_weight, zero_division=0)
        return {"f1": score.tolist() if hasattr(score, "tolist") and getattr(score, "ndim", 0) else float(score)}
