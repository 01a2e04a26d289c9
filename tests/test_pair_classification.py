"""Sentence-pair classification (course ch3): the QNLI-from-SQuAD builder, both training loops, predict, the Space."""

import warnings
from pathlib import Path

import pytest

from shared.data import pairs

FIXTURE = Path(__file__).parent / "fixtures" / "pairs" / "squad_tiny.json"
CHECKPOINT = Path(__file__).resolve().parent.parent / "checkpoints" / "pair_classification"

# a hand-checked question of the fixture (SQuAD v1.1 dev, article Steam_engine)
STEAM_QUESTION = "What ideal thermodynamic cycle analyzes the process by which steam engines work?"


def test_predict_prefers_the_sentence_with_the_answer():
    from shared.tasks import pair_classification as task

    question = "What year was the University of Warsaw established?"
    answer = task.predict(question, "The University of Warsaw was established in 1816, a year after the "
                                    "Congress of Vienna.")
    unrelated = task.predict(question, "The river is crossed by several bridges and has wide sandy beaches.")
    assert set(answer) == set(pairs.LABELS)
    assert sum(answer.values()) == pytest.approx(1, abs=1e-5)
    assert answer["entailment"] > unrelated["entailment"]
    assert answer["entailment"] > 0.5 > unrelated["entailment"]


def test_predict_rejects_empty_and_truncates_long_input():
    from shared.tasks import pair_classification as task

    for first, second in (("", "A sentence."), ("A question?", "   "), (None, "x")):
        with pytest.raises(ValueError, match="empty"):
            task.predict(first, second)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        probs = task.predict("Who wrote it? " * 10, "word " * 100_000)
    assert sum(probs.values()) == pytest.approx(1, abs=1e-5)
    messages = " ".join(str(w.message) for w in caught)
    assert "characters" in messages and f"read {task.MAX_LENGTH}" in messages


@pytest.mark.parametrize("space_client", ["pair-classification"], indirect=True)
def test_space_round_trip_and_empty_input(space_client):
    from gradio_client.exceptions import AppError

    result = space_client.predict("What is another name for the Blue Mosque?",
                                  "Sultan Ahmed Mosque is also known as the Blue Mosque.", api_name="/predict")
    assert result["label"] in pairs.LABELS
    assert {c["label"] for c in result["confidences"]} == set(pairs.LABELS)
    with pytest.raises(AppError, match="empty"):
        space_client.predict("", "Some sentence.", api_name="/predict")
