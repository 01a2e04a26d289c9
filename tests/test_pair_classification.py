"""Sentence-pair classification (course ch3): the QNLI-from-SQuAD builder, both training loops, predict, the Space."""

from pathlib import Path

import pytest

from shared.data import pairs

CHECKPOINT = Path(__file__).resolve().parent.parent / "checkpoints" / "pair_classification"

# a hand-checked question of the fixture (SQuAD v1.1 dev, article Steam_engine)
STEAM_QUESTION = "What ideal thermodynamic cycle analyzes the process by which steam engines work?"


def test_predict_prefers_the_sentence_with_the_answer():
    from shared.tasks import pair_classification as task

    question = "What year was the University of Warsaw established?"
    answer = task.predict(question, "The University of Warsaw was established in 1816, a year after the "
                                    "Congress of Vienna.")
    unrelated = task.predict(question, "The river is crossed by several bridges and has wide sandy beaches.")
    answer, unrelated = answer.value, unrelated.value
    assert set(answer) == set(pairs.LABELS)
    assert sum(answer.values()) == pytest.approx(1, abs=1e-5)
    assert answer["entailment"] > unrelated["entailment"]
    assert answer["entailment"] > 0.5 > unrelated["entailment"]


def test_predict_rejects_empty_and_truncates_long_input():
    from shared.tasks import pair_classification as task

    for first, second in (("", "A sentence."), ("A question?", "   "), (None, "x")):
        with pytest.raises(ValueError, match="empty"):
            task.predict(first, second)
    with pytest.raises(ValueError, match=f"at most {task.MAX_INPUT_CHARS:,}"):
        task.predict("Who wrote it?", "word " * 100_000)
    out = task.predict("Who wrote it? " * 10, "word " * 3_000)
    assert sum(out.value.values()) == pytest.approx(1, abs=1e-5)
    assert len(out.notices) == 1 and f"read {task.MAX_MODEL_TOKENS}" in out.notices[0]
    assert task.predict("Who wrote it?", "Shakespeare wrote it.").notices == []


@pytest.mark.parametrize("space_client", ["pair-classification"], indirect=True)
def test_space_round_trip_and_empty_input(space_client):
    from gradio_client.exceptions import AppError

    result = space_client.predict("What is another name for the Blue Mosque?",
                                  "Sultan Ahmed Mosque is also known as the Blue Mosque.", api_name="/predict")
    assert result["label"] in pairs.LABELS
    assert {c["label"] for c in result["confidences"]} == set(pairs.LABELS)
    with pytest.raises(AppError, match="empty"):
        space_client.predict("", "Some sentence.", api_name="/predict")
