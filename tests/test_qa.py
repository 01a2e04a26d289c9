"""Extractive QA (course ch7.7): the course's pre/postprocessing on a context longer than one window, the squad
metric on hand-worked cases, and a --smoke run of the training script."""

import numpy as np
import pytest
import torch

from shared import hub
from shared.metrics import squad
from shared.tasks import InputError, qa

LONG = ("The weather was fine and nothing else happened that day. " * 60
        + "The Eiffel Tower was completed in 1889 for the World's Fair.")
QUESTION = "When was the Eiffel Tower completed?"


@pytest.fixture(scope="module")
def tokenizer():
    from training.classification import load_tokenizer

    return load_tokenizer(hub.MINILM)


def test_squad_metric_on_hand_worked_cases():
    assert squad.normalize_answer("The  Eiffel, Tower!") == "eiffel tower"
    scores = squad.compute([{"id": "1", "prediction_text": "The Eiffel Tower"}, {"id": "2", "prediction_text": "in 1889"}],
                           [{"id": "1", "answers": {"text": ["Eiffel Tower", "the tower"]}},
                            {"id": "2", "answers": {"text": ["1889"]}}])
    # 1: exact after normalization; 2: precision 1/2, recall 1 -> F1 2/3
    assert scores == pytest.approx({"exact_match": 50.0, "f1": 100 * (1 + 2 / 3) / 2})


def test_answer_only_in_the_second_window_is_labelled_there(tokenizer):
    example = {"question": [QUESTION], "context": [LONG],
               "answers": [{"text": ["1889"], "answer_start": [LONG.index("1889")]}]}
    features = qa.preprocess_train(example, tokenizer)
    assert len(features["input_ids"]) >= 2
    assert features["start_positions"][0] == features["end_positions"][0] == 0  # not in window 1: [CLS]
    found = [(i, s, e) for i, (s, e) in enumerate(zip(features["start_positions"], features["end_positions"])) if s]
    assert len(found) == 1 and found[0][0] >= 1
    i, s, e = found[0]
    assert tokenizer.decode(features["input_ids"][i][s:e + 1]) == "1889"


def test_postprocess_picks_the_best_span_over_all_windows(tokenizer):
    examples = [{"id": "q", "question": QUESTION, "context": LONG}]
    features = qa.preprocess_eval({k: [v] for k, v in examples[0].items()}, tokenizer)
    n = len(features["input_ids"])
    start = np.zeros((n, qa.MAX_MODEL_TOKENS))
    end = np.zeros((n, qa.MAX_MODEL_TOKENS))
    last = n - 1  # put the evidence in the last window, on the tokens of "1889"
    offsets = features["offset_mapping"][last]
    at = LONG.index("1889")
    k = next(j for j, o in enumerate(offsets) if o is not None and o[0] == at)
    start[last, k], end[last, k] = 9.0, 9.0
    start[0, 0] = end[0, 0] = 50.0  # [CLS] is never an answer: its offsets are None
    best = qa.postprocess(start, end, features, examples)[0]
    assert best["prediction_text"] == "1889" and LONG[best["start"]:best["end"]] == "1889"
    # unpadded windows (training.qa's evaluation): one logits array per window, each as long as its window
    short = qa.preprocess_eval({k: [v] for k, v in examples[0].items()}, tokenizer, padding=False)
    lengths = [len(ids) for ids in short["input_ids"]]
    assert lengths[-1] < lengths[0] == qa.MAX_MODEL_TOKENS
    trimmed = qa.postprocess([row[:n] for row, n in zip(start, lengths)], [row[:n] for row, n in zip(end, lengths)],
                             short, examples)[0]
    assert trimmed["prediction_text"] == "1889"


def test_bad_input():
    with pytest.raises(InputError, match="question"):
        qa.predict("", "A context.")
    with pytest.raises(InputError, match="at most 20,000"):
        qa.predict("Why?", "word " * 5_000)


def test_a_batch_answers_as_single_calls_and_a_bad_pair_spares_the_others(fp32):
    from pathlib import Path

    normans = (Path(__file__).parents[1] / "spaces" / "qa" / "normans.txt").read_text()
    requests = [("When was the Duchy of Normandy founded?", normans), ("", "A context."),
                ("Where do I live?", "My name is Sylvain and I work at Hugging Face in Brooklyn."), "Why?"]
    normandy, blank, brooklyn, odd = qa.predict_batch(requests)
    for batched, (question, context) in ((normandy, requests[0]), (brooklyn, requests[2])):
        alone = qa.predict(question, context)  # windows of other contexts beside it or not: the same answer
        assert batched.value["answer"] == alone.value["answer"] and batched.notices == alone.notices
        assert batched.value["score"] == pytest.approx(alone.value["score"], abs=1e-4)
    assert "911" in normandy.value["answer"] and "windows" in normandy.notices[0]
    assert brooklyn.value["answer"] == "Brooklyn" and not brooklyn.notices
    assert "question" in blank.error and "(question, context)" in odd.error


@pytest.mark.usefixtures("few_smoke_steps")
def test_smoke_training_learns_one_batch(tmp_path):
    from training import qa as training_qa

    metrics = training_qa.main(["--smoke", "--max-length", "128", "--output-dir", str(tmp_path / "ckpt")])
    assert metrics["smoke"] and metrics["test"]["questions"] == 30
    assert set(metrics["test"]["model"]) == {"exact_match", "f1"}
    assert (tmp_path / "ckpt" / "model.safetensors").is_file()  # full fine-tune, stored in fp16 ...
    from transformers import AutoModelForQuestionAnswering

    assert AutoModelForQuestionAnswering.from_pretrained(tmp_path / "ckpt").dtype == torch.float32  # ... read as fp32
    assert "# MiniLM extractive question answering" in (tmp_path / "ckpt" / "README.md").read_text()
    out = qa.predict("Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare.",
                     model=str(tmp_path / "ckpt"))
    assert out.value["answer"] and 0 < out.value["score"] <= 1


@pytest.mark.parametrize("space_client", ["qa"], indirect=True)
def test_space_answers_from_the_second_window(space_client):
    from pathlib import Path

    context = (Path(__file__).parents[1] / "spaces" / "qa" / "normans.txt").read_text()
    answer, score, highlighted, notice = space_client.predict("When was the Duchy of Normandy founded?", context,
                                                              api_name="/predict")
    assert "911" in answer and 0 < score <= 1 and "windows" in notice
    marked = [item["token"] for item in highlighted if item.get("class_or_confidence") == "answer"]
    assert marked == [answer]
    assert "".join(item["token"] for item in highlighted) == context  # the whole context, answer in place
    answer, _, _, notice = space_client.predict("Where do I live?",
                                        "My name is Sylvain and I work at Hugging Face in Brooklyn.",
                                        api_name="/predict")
    assert answer == "Brooklyn" and notice == ""


def test_a_bigbench_sdist_pip_cannot_fetch_is_one_clear_message(tmp_path, monkeypatch):
    """PyPI offered bigbench 0.0.1 alone on 2026-12-05: the data builders say where to put a copy."""
    import subprocess

    from shared.data import bigbench

    monkeypatch.setattr(bigbench, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 1))
    with pytest.raises(FileNotFoundError, match="put a copy of bigbench-1.0.0.tar.gz at that path"):
        bigbench.extract("squad_shifts/", tmp_path)
