"""Sentence pairs training side: the QNLI-from-SQuAD builder, both training loops, the card."""

import json
import random
from pathlib import Path

import pytest

from shared.data import pairs
from training.common import SMOKE_DATA

FIXTURE = SMOKE_DATA / "pairs" / "squad_tiny.json"

# a hand-checked question of the fixture (SQuAD v1.1 dev, article Steam_engine)
STEAM_QUESTION = "What ideal thermodynamic cycle analyzes the process by which steam engines work?"


@pytest.fixture(scope="module")
def fixture_data():
    return pairs.load(FIXTURE, seed=0)


def test_sentence_splitter_keeps_abbreviations_and_offsets():
    text = "Dr. J. Smith arrived in the U.S. in 1990. He left! Did he return? \"Yes,\" she said."
    spans = pairs.split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Dr. J. Smith arrived in the U.S. in 1990.", "He left!", "Did he return?", "\"Yes,\" she said."]


def test_question_pairs_hand_checked_example():
    context = ("The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, "
               "a region in France. They were descended from Norse raiders and pirates from Denmark, Iceland "
               "and Norway. Their identity emerged in the first half of the 10th century.")
    question = "From which countries did the Norse raiders who gave their name to Normandy originate?"
    answer = "Denmark, Iceland and Norway"
    got = pairs.question_pairs(question, context, [{"text": answer, "answer_start": context.index(answer)}],
                               random.Random(0))
    # positive: the sentence holding the answer (shares "norse", "raiders"); negative: the most similar other
    # sentence (shares "gave", "Normandy"), not the last one, which shares nothing and is filtered out
    assert got == [
        ("They were descended from Norse raiders and pirates from Denmark, Iceland and Norway.", 1, 2),
        (("The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, "
         "a region in France."), 0, 2),
    ]
    # no distractor sharing a content word -> the question is dropped (GLUE's low-overlap filter)
    assert pairs.question_pairs("From which countries did the Norse originate?", context,
                                [{"text": answer, "answer_start": context.index(answer)}], random.Random(0)) == []
    # an answer that crosses a sentence boundary marks no sentence -> no pairs
    cross = "Normandy, a region in France. They"
    assert pairs.question_pairs(question, context, [{"text": cross, "answer_start": context.index(cross)}],
                                random.Random(0)) == []


def test_builder_splits_by_article_and_balances_labels(fixture_data):
    dd = fixture_data
    assert set(dd) == {"train", "validation", "test"}
    groups = {split: set(ds["group"]) for split, ds in dd.items()}
    contexts = {split: set(ds["context_id"]) for split, ds in dd.items()}
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
        assert not groups[a] & groups[b], f"an article is in both {a} and {b}"
        assert not contexts[a] & contexts[b]
    assert all(len(ds) > 0 for ds in dd.values())
    for ds in dd.values():
        balance = pairs.label_balance(ds)
        assert balance["entailment"] == balance["not_entailment"]
    assert dd["train"].features["label"].names == list(pairs.LABELS)
    # the hand-checked question: its positive holds the answer, its negative does not
    rows = [r for ds in dd.values() for r in ds if r["question"] == STEAM_QUESTION]
    assert sorted(r["label"] for r in rows) == [0, 1]
    by_label = {r["label"]: r["sentence"] for r in rows}
    assert by_label[1] == "The ideal thermodynamic cycle used to analyze this process is called the Rankine cycle."
    assert "Rankine" not in by_label[0]
    # same seed -> same split
    again = pairs.load(FIXTURE, seed=0)
    assert again["test"]["question_id"] == dd["test"]["question_id"]


def _smoke(loop: str, out: Path):
    from training import pair_classification as train

    return train.main(["--loop", loop, "--smoke", "--threads", "1", "--dataset", str(FIXTURE),
                       "--output-dir", str(out)])


@pytest.mark.parametrize("loop", ["trainer", "accelerate"])
@pytest.mark.usefixtures("few_smoke_steps")
def test_smoke_training_both_loops(loop, tmp_path):
    from huggingface_hub import ModelCard

    from training import pair_classification as train

    metrics = _smoke(loop, tmp_path)
    before, after = metrics["smoke_losses"]
    assert after <= 0.5 * before, (before, after)
    for name in ("adapter_model.safetensors", "adapter_config.json", "config.json", "tokenizer.json",
                 "metrics.json", "README.md", "training_curve.png"):
        assert (tmp_path / name).is_file(), name
    assert not (tmp_path / "checkpoints").exists()
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["loop"] == loop and saved["data"]["sizes"]["test"] == len(pairs.load(FIXTURE, seed=0)["test"])
    assert json.loads((tmp_path / "config.json").read_text())["id2label"] == {"0": "not_entailment",
                                                                             "1": "entailment"}
    card = ModelCard.load(tmp_path / "README.md")
    assert card.data.base_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert [(r.metric_type, r.metric_value) for r in card.data.eval_results] == [
        ("accuracy", round(saved["test"]["accuracy"], 4)), ("f1", round(saved["test"]["f1"], 4))]
    assert f"| `{loop}` (this checkpoint) | {saved['test']['accuracy']:.3f} |" in card.text
    # --rescore goes through the Space's predict(), one pair at a time: the same figures as the training loop's
    rescored = train.main(["--rescore", "--output-dir", str(tmp_path)])
    assert rescored["test"] == pytest.approx(saved["test"])
    # --compare copies the other loop's figures (loop_summary) into metrics.json; the card shows both
    saved = json.loads((tmp_path / "metrics.json").read_text())
    saved["other_loops"] = [train.loop_summary({**saved, "loop": "other-loop"})]
    (tmp_path / "metrics.json").write_text(json.dumps(saved))
    train.main(["--card-only", "--output-dir", str(tmp_path)])
    assert f"| `other-loop` | {saved['test']['accuracy']:.3f} |" in (tmp_path / "README.md").read_text()
