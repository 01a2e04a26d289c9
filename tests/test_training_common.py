"""training/common.py: preflight catches mistakes, --smoke fails loudly, --preset course is wired (offline)."""

import argparse

import pytest
from datasets import Dataset

from shared import hub
from training import common
from training import sentiment as training_sentiment

LABELS = ["negative", "positive"]
TEXTS = ["a masterpiece", "a dull, lifeless mess", "wonderful and moving", "boring and stupid",
         "I loved it", "awful acting", "brilliant film", "a terrible plot"]


@pytest.fixture(scope="module")
def tokenizer():
    return common.load_tokenizer(hub.MINILM)


@pytest.fixture(scope="module")
def model():
    return common.build_classifier(hub.MINILM, LABELS)


def encoded(tokenizer, labels):
    ds = Dataset.from_dict({"text": TEXTS[:len(labels)], "labels": labels})
    return ds.map(lambda b: tokenizer(b["text"], truncation=True, max_length=32), batched=True,
                  remove_columns=["text"])


def test_preflight_passes_a_good_batch(model, tokenizer):
    stats = common.preflight(model, tokenizer, encoded(tokenizer, [1, 0, 1, 0]), num_labels=2, max_length=32)
    assert stats["label_counts"] == [2, 2]
    assert 0.3 < stats["first_batch_loss"] < 1.2  # an untrained 2-way head is near log(2)


def test_preflight_catches_a_label_out_of_range(model, tokenizer):
    with pytest.raises(SystemExit, match=r"outside 0\.\.1 \(e\.g\. \[2\]\)"):
        common.preflight(model, tokenizer, encoded(tokenizer, [1, 0, 2, 0]), num_labels=2, max_length=32)


def test_preflight_catches_num_labels_mismatch_and_untruncated_text(model, tokenizer):
    with pytest.raises(SystemExit, match="3 labels"):
        common.preflight(model, tokenizer, encoded(tokenizer, [1, 0]), num_labels=3, max_length=32)
    with pytest.raises(SystemExit, match="tokens but the limit is 2"):
        common.preflight(model, tokenizer, encoded(tokenizer, [1, 0]), num_labels=2, max_length=2)


def test_smoke_fails_loudly_when_the_loss_does_not_drop(tokenizer, tmp_path, monkeypatch):
    monkeypatch.setattr(common, "SMOKE_LR", 0.0)  # nothing can learn
    monkeypatch.setattr(common, "SMOKE_STEPS", 3)
    parser = common.add_common_args(argparse.ArgumentParser(), output_dir=str(tmp_path))
    args = common.parse_args(parser, ["--smoke"])
    fresh = common.build_classifier(hub.MINILM, LABELS)
    ds = encoded(tokenizer, [1, 0, 1, 0, 1, 0, 1, 0])
    with pytest.raises(SystemExit, match="Smoke check failed"):
        common.train(args, fresh, tokenizer, ds, ds)


def test_course_preset_wiring_without_network():
    local = training_sentiment.parse_args([])
    assert (local.model, local.dataset, local.method) == (hub.MINILM, None, "lora")
    course = training_sentiment.parse_args(["--preset", "course"])
    assert course.model == "bert-base-uncased"
    assert course.dataset == "stanfordnlp/sst2"
    assert (course.lr, course.batch_size, course.epochs, course.method) == (5e-5, 8, 3, "full")
    assert course.hub_model_id != hub.HUB_IDS["sentiment"]
    explicit = training_sentiment.parse_args(["--preset", "course", "--lr", "3e-5", "--method", "lora"])
    assert (explicit.lr, explicit.method, explicit.model) == (3e-5, "lora", "bert-base-uncased")


def test_device_is_cpu_fp32_here():
    d = common.device_settings()
    assert d["use_cpu"] and not d["fp16"] and not d["bf16"]


def test_resume_continues_from_the_last_checkpoint(tokenizer, tmp_path, capsys):
    parser = common.add_common_args(argparse.ArgumentParser(), output_dir=str(tmp_path), batch_size=8)
    ds = encoded(tokenizer, [1, 0, 1, 0, 1, 0, 1, 0])
    first = common.train(common.parse_args(parser, ["--epochs", "1"]), common.build_classifier(hub.MINILM, LABELS),
                         tokenizer, ds, ds)
    assert first.state.global_step == 1
    assert (common.checkpoints_dir(tmp_path) / "checkpoint-1").is_dir()  # what a killed run leaves behind
    again = common.train(common.parse_args(parser, ["--epochs", "2", "--resume"]),
                         common.build_classifier(hub.MINILM, LABELS), tokenizer, ds, ds)
    assert f"resuming from {common.checkpoints_dir(tmp_path) / 'checkpoint-1'}" in capsys.readouterr().out
    assert again.state.global_step == 2
    evals = [h for h in again.state.log_history if "eval_accuracy" in h]
    assert [h["epoch"] for h in evals] == [1.0, 2.0]
    assert evals[0] == next(h for h in first.state.log_history if "eval_accuracy" in h)  # restored, not redone
    # predictions come back in the dataset's order (transformers' group_by_length would sort them by length)
    import torch

    preds, probs = common.predict_labels(again, ds)
    model = again.model.eval()
    with torch.no_grad():
        for i in (0, 3, 5):
            row = {k: torch.tensor([ds[i][k]]) for k in ("input_ids", "attention_mask", "token_type_ids")}
            assert torch.allclose(model(**row).logits.softmax(-1)[0], torch.from_numpy(probs[i]), atol=1e-4)


def test_load_classifier_also_takes_a_plain_full_model_folder(tokenizer, tmp_path):
    from shared.modeling import load_classifier

    full = common.build_classifier(hub.MINILM, LABELS, method="full")
    assert not hasattr(full, "peft_config")
    common.save_model(full, tokenizer, tmp_path, base_model=hub.MINILM)
    assert (tmp_path / "model.safetensors").is_file() and not (tmp_path / "adapter_config.json").exists()
    model, tok = load_classifier(tmp_path)
    assert model.config.id2label == {0: "negative", 1: "positive"} and not model.training
    assert load_classifier(str(tmp_path))[0] is model  # cached per process


# ------------------------------------------------------------------ another encoder, unchanged task code

@pytest.fixture(scope="module")
def tiny_distilbert(tmp_path_factory):
    """A tiny random DistilBERT in a local folder, standing in for "any Hub encoder id": another architecture
    than MiniLM's BERT (no token_type_ids, no pooler, a two-layer head: pre_classifier + classifier)."""
    from transformers import DistilBertConfig, DistilBertForMaskedLM, DistilBertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-distilbert")
    tokenizer = DistilBertTokenizerFast.from_pretrained(hub.base_model_path(hub.MINILM))  # same uncased vocab
    tokenizer.save_pretrained(folder)
    config = DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=64, n_layers=2, n_heads=2, hidden_dim=256,
                              initializer_range=0.2)  # wide enough random features for one batch to overfit
    DistilBertForMaskedLM(config).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("task, argv", [
    ("sentiment", ["--data", str(hub.REPO_ROOT / "tests" / "fixtures" / "vader")]),
    ("pair_classification", ["--loop", "accelerate", "--threads", "1",
                             "--dataset", str(hub.REPO_ROOT / "tests" / "fixtures" / "pairs" / "squad_tiny.json")]),
])
def test_task_code_runs_unchanged_on_another_encoder(task, argv, tiny_distilbert, tmp_path):
    import importlib

    from shared.modeling import load_classifier

    out = tmp_path / "ckpt"
    metrics = importlib.import_module(f"training.{task}").main(
        ["--smoke", "--model", str(tiny_distilbert), "--output-dir", str(out), *argv])
    before, after = metrics["smoke_losses"]
    assert after <= 0.5 * before  # LoRA on the encoder + the whole DistilBERT head learned the batch
    model, tokenizer = load_classifier(out)
    assert model.config.model_type == "distilbert" and not hasattr(model, "peft_config")  # adapter merged
    if task == "sentiment":
        from shared.tasks import sentiment

        (pred,) = sentiment.classify(["a masterpiece"], model=model, tokenizer=tokenizer)
        assert set(pred.probs) == {"negative", "positive"}
    else:
        from shared.tasks import pair_classification

        probs = pair_classification.predict("Who wrote Hamlet?", "Shakespeare wrote Hamlet.", model=str(out))
        assert set(probs) == {"entailment", "not_entailment"} and abs(sum(probs.values()) - 1) < 1e-5
