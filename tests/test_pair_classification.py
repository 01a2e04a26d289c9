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


def test_a_batch_answers_as_single_calls_and_a_bad_pair_spares_the_others(fp32):
    from shared.tasks import pair_classification as task

    question = "What year was the University of Warsaw established?"
    pairs_in = [(question, "The University of Warsaw was established in 1816."), ("", "A sentence."),
                (question, "The river is crossed by several bridges."), ("Who wrote it? " * 10, "word " * 3_000),
                "not a pair"]
    answer, blank, unrelated, long, odd = task.predict_batch(pairs_in)
    for batched, (first, second) in ((answer, pairs_in[0]), (unrelated, pairs_in[2]), (long, pairs_in[3])):
        alone = task.predict(first, second)  # padded in a batch or not, the same probabilities and notices
        assert batched.value == pytest.approx(alone.value, abs=1e-4) and batched.notices == alone.notices
    assert answer.label == "entailment" and unrelated.label == "not_entailment"
    assert "empty" in blank.error and blank.value is None
    assert "(question, sentence)" in odd.error and len(long.notices) == 1


@pytest.mark.parametrize("space_client", ["pair-classification"], indirect=True)
def test_space_round_trip_and_empty_input(space_client):
    from gradio_client.exceptions import AppError

    result, notice = space_client.predict("What is another name for the Blue Mosque?",
                                          "Sultan Ahmed Mosque is also known as the Blue Mosque.", api_name="/predict")
    assert result["label"] in pairs.LABELS and notice == ""
    assert {c["label"] for c in result["confidences"]} == set(pairs.LABELS)
    _, notice = space_client.predict("Who wrote it? " * 10, "word " * 3_000, api_name="/predict")
    assert "the model read 128" in notice
    with pytest.raises(AppError, match="empty"):
        space_client.predict("", "Some sentence.", api_name="/predict")


def test_space_batch_keeps_a_blank_pair_from_failing_the_others():
    from conftest import load_app

    fns = load_app("pair-classification").demo.fns.values()
    predict = next(f.fn for f in fns if f.api_name == "predict")  # batched: one list per input, two lists out
    labels, notices = predict(["", "Who wrote Hamlet?"], ["A sentence.", "Shakespeare wrote Hamlet."])
    assert labels[0] is None and "empty" in notices[0]
    assert max(labels[1], key=labels[1].get) == "entailment" and notices[1] == ""
