"""training/common.py (any head) and training/classification.py (the two classifiers): preflight catches
mistakes, --smoke fails loudly, runs that cannot finish stop in one line before any work, cards come from
metrics.json alone."""

import argparse
import os
import shutil
import subprocess
import sys

import pytest
import torch
from datasets import Dataset

from shared import hub
from training import classification, common
from training import sentiment as training_sentiment

LABELS = ["negative", "positive"]
TEXTS = ["a masterpiece", "a dull, lifeless mess", "wonderful and moving", "boring and stupid",
         "I loved it", "awful acting", "brilliant film", "a terrible plot"]
VADER = str(common.SMOKE_DATA / "vader")


@pytest.fixture(scope="module")
def tokenizer():
    return classification.load_tokenizer(hub.MINILM)


@pytest.fixture(scope="module")
def model():
    return classification.build_classifier(hub.MINILM, LABELS)


def encoded(tokenizer, labels):
    ds = Dataset.from_dict({"text": TEXTS[:len(labels)], "labels": labels})
    return ds.map(lambda b: tokenizer(b["text"], truncation=True, max_length=32), batched=True,
                  remove_columns=["text"])


def parser_for(tmp_path, **defaults):
    parser = argparse.ArgumentParser()
    common.add_common_args(parser, output_dir=str(tmp_path))
    common.add_training_args(parser, **defaults)
    return classification.add_args(parser)


# ------------------------------------------------------------------ preflight and smoke check

def test_preflight_passes_a_good_batch(model, tokenizer):
    stats = classification.preflight(model, tokenizer, encoded(tokenizer, [1, 0, 1, 0]), num_labels=2,
                                     max_length=32)
    assert stats["label_counts"] == [2, 2]
    assert 0.3 < stats["first_batch_loss"] < 1.2  # an untrained 2-way head is near log(2) = 0.69


def test_preflight_catches_a_label_out_of_range(model, tokenizer):
    with pytest.raises(SystemExit, match=r"outside 0\.\.1 \(e\.g\. \[2\]\)"):
        classification.preflight(model, tokenizer, encoded(tokenizer, [1, 0, 2, 0]), num_labels=2, max_length=32)


def test_preflight_catches_num_labels_mismatch_and_untruncated_text(model, tokenizer):
    with pytest.raises(SystemExit, match="3 labels"):
        classification.preflight(model, tokenizer, encoded(tokenizer, [1, 0]), num_labels=3, max_length=32)
    with pytest.raises(SystemExit, match="tokens but the limit is 2"):
        classification.preflight(model, tokenizer, encoded(tokenizer, [1, 0]), num_labels=2, max_length=2)


def test_preflight_checks_token_labels_and_answer_positions(tokenizer):
    """The token-level heads: NER's per-token class ids (-100 ignored) and QA's start/end positions."""
    from transformers import DataCollatorForTokenClassification

    enc = encoded(tokenizer, [0, 0]).remove_columns("labels")
    tags = [[-100] + [1] * (len(ids) - 2) + [-100] for ids in enc["input_ids"]]
    tagger = classification.build_classifier(hub.MINILM, ["O", "B-PER", "I-PER"], head="token")
    collator = DataCollatorForTokenClassification(tokenizer)
    stats = classification.preflight(tagger, tokenizer, enc.add_column("labels", tags), num_labels=3,
                                     max_length=32, collator=collator)
    assert stats["label_counts"][1] == sum(len(t) - 2 for t in tags)
    bad = [row[:-2] + [7, -100] for row in tags]
    with pytest.raises(SystemExit, match=r"labels are outside 0\.\.2 \(e\.g\. \[7\]\)"):
        classification.preflight(tagger, tokenizer, enc.add_column("labels", bad), num_labels=3, max_length=32,
                                 collator=collator)
    reader = classification.build_classifier(hub.MINILM, ["start", "end"], method="full", head="qa")
    spans = enc.add_column("start_positions", [1, 1]).add_column("end_positions", [2, 2])
    cols = ("start_positions", "end_positions")
    assert classification.preflight(reader, tokenizer, spans, num_labels=None, max_length=32,
                                    label_columns=cols)["first_batch_loss"] > 0
    with pytest.raises(SystemExit, match="end_positions are outside the example's tokens"):
        classification.preflight(reader, tokenizer, spans.remove_columns("end_positions").add_column(
            "end_positions", [2, 99]), num_labels=None, max_length=32, label_columns=cols)


def test_threads_are_set_once_parsed_where_a_script_has_the_flag(tmp_path, monkeypatch):
    set_to = []
    monkeypatch.setattr(torch, "set_num_threads", set_to.append)
    parser = parser_for(tmp_path)
    common.parse_args(parser, [])  # this parser has no --threads
    parser.add_argument("--threads", type=int, default=0)
    common.parse_args(parser, [])  # 0: torch's default, untouched
    common.parse_args(parser, ["--threads", "1"])
    assert set_to == [1]


def test_smoke_fails_loudly_when_the_loss_does_not_drop(tokenizer, tmp_path, monkeypatch):
    monkeypatch.setattr(common, "SMOKE_LR", 0.0)  # nothing can learn
    monkeypatch.setattr(common, "SMOKE_STEPS", 3)
    args = common.parse_args(parser_for(tmp_path), ["--smoke"])
    ds = encoded(tokenizer, [1, 0, 1, 0, 1, 0, 1, 0])
    with pytest.raises(SystemExit, match="Smoke check failed"):
        classification.train(args, classification.build_classifier(hub.MINILM, LABELS), tokenizer, ds, ds)


def test_device_and_precision_follow_what_torch_reports(tmp_path):
    d = common.device_settings()
    if torch.cuda.is_available():
        assert not d["use_cpu"] and d["device"].startswith("cuda")
        assert d["bf16"] == torch.cuda.is_bf16_supported() and d["fp16"] == (not d["bf16"])
    else:
        assert d["use_cpu"] and d["device"].startswith("cpu") and common.precision_name(d) == "fp32"
    # and the Trainer is told the same, with bf16 autocast on a CPU that computes in bf16 (--cpu-bf16, the default)
    from shared.modeling import cpu_has_bf16

    targs = classification.training_arguments(common.parse_args(parser_for(tmp_path), []), n_train=64)
    want = common.device_settings(cpu_bf16=True)
    assert (targs.bf16, targs.fp16, targs.use_cpu) == (want["bf16"], want["fp16"], want["use_cpu"])
    if not torch.cuda.is_available():
        assert want["bf16"] == cpu_has_bf16()
        args = common.parse_args(parser_for(tmp_path), ["--no-cpu-bf16"])
        assert (classification.training_arguments(args, n_train=64).bf16, d["bf16"]) == (False, False)


def test_resume_continues_from_the_last_checkpoint(tokenizer, tmp_path, capsys):
    parser = parser_for(tmp_path, batch_size=8)
    ds = encoded(tokenizer, [1, 0, 1, 0, 1, 0, 1, 0])
    first = classification.train(common.parse_args(parser, ["--epochs", "1"]),
                                 classification.build_classifier(hub.MINILM, LABELS), tokenizer, ds, ds)
    assert first.state.global_step == 1
    assert (common.checkpoints_dir(tmp_path) / "checkpoint-1").is_dir()  # what a killed run leaves behind
    again = classification.train(common.parse_args(parser, ["--epochs", "2", "--resume"]),
                                 classification.build_classifier(hub.MINILM, LABELS), tokenizer, ds, ds)
    assert f"resuming from {common.checkpoints_dir(tmp_path) / 'checkpoint-1'}" in capsys.readouterr().out
    assert again.state.global_step == 2
    evals = [h for h in again.state.log_history if "eval_accuracy" in h]
    assert [h["epoch"] for h in evals] == [1.0, 2.0]
    assert evals[0] == next(h for h in first.state.log_history if "eval_accuracy" in h)  # restored, not redone
    # predictions come back in the dataset's order (transformers' group_by_length would sort them by length)
    _preds, probs = classification.predict_labels(again, ds)
    model = again.model.eval()
    with torch.no_grad():
        for i in (0, 3, 5):
            row = {k: torch.tensor([ds[i][k]]) for k in ("input_ids", "attention_mask", "token_type_ids")}
            assert torch.allclose(model(**row).logits.softmax(-1)[0], torch.from_numpy(probs[i]), atol=1e-4)


def test_load_classifier_also_takes_a_plain_full_model_folder(tokenizer, tmp_path):
    from shared.modeling import load_classifier

    full = classification.build_classifier(hub.MINILM, LABELS, method="full")
    assert not hasattr(full, "peft_config")
    assert classification.trainable_parameters(full)[0] == classification.trainable_parameters(full)[1]
    common.save_model(full, tokenizer, tmp_path, base_model=hub.MINILM)
    assert (tmp_path / "model.safetensors").is_file() and not (tmp_path / "adapter_config.json").exists()
    model, _tok = load_classifier(tmp_path)
    assert model.config.id2label == {0: "negative", 1: "positive"} and not model.training
    assert load_classifier(str(tmp_path))[0] is model  # cached per process


def test_lora_trains_a_small_fraction(model):
    trainable, total = classification.trainable_parameters(model)
    by_hand = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == by_hand and 0 < trainable < total / 10


# ------------------------------------------------------------------ runs that cannot finish stop first, in one line

def test_course_preset_applies_its_values_and_command_line_flags_win(monkeypatch, tmp_path):
    asked = []
    monkeypatch.setattr(common, "check_hub", asked.append)  # the network check is tested below
    out = ["--output-dir", str(tmp_path)]
    course = training_sentiment.parse_args(["--preset", "course", *out])
    preset = {k: v for k, v in training_sentiment.COURSE_PRESET.items() if k != "output_dir"}
    assert {k: getattr(course, k) for k in preset} == preset
    assert asked == [["--preset course downloads the course's model and dataset"]]
    explicit = training_sentiment.parse_args(["--preset", "course", "--lr", "3e-5", "--method", "lora", *out])
    assert (explicit.lr, explicit.method, explicit.model) == (3e-5, "lora", preset["model"])
    local = training_sentiment.parse_args(out)
    assert (local.model, local.dataset) == (hub.MINILM, None) and len(asked) == 2  # local: no network needed


def never(*args, **kwargs):
    raise AssertionError("a run that cannot finish started its work")


@pytest.mark.parametrize("script, argv, message", [
    ("sentiment", ["--preset", "course"], "--preset course downloads .* but HF_HUB_OFFLINE is set"),
    ("sentiment", ["--push-to-hub"], "--push-to-hub uploads the result, but HF_HUB_OFFLINE is set"),
    ("pair_classification", ["--dataset", "glue/qnli"], "--dataset glue/qnli is not a local path"),
    ("pair_classification", ["--push-to-hub", "--hub-model-id", ""], "--push-to-hub needs --hub-model-id"),
    ("zero_shot", ["--push-to-hub"], "--push-to-hub uploads the result, but HF_HUB_OFFLINE is set"),
    ("sentiment", ["--card-only"], "has no metrics.json"),
])
def test_offline_or_misused_runs_stop_before_any_work(script, argv, message, tmp_path, monkeypatch):
    import importlib

    module = importlib.import_module(f"training.{script}")
    monkeypatch.setattr(module, "load_sets" if script == "zero_shot" else "load_data", never)
    with pytest.raises(SystemExit, match=message) as e:
        module.main([*argv, "--output-dir", str(tmp_path / "out")])
    assert str(e.value).startswith("error: ") and "\n" not in str(e.value)


def test_an_unreachable_hub_is_named(monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    monkeypatch.setattr(training_sentiment, "load_data", never)
    with pytest.raises(SystemExit, match=r"--push-to-hub .* http://127\.0\.0\.1:9 cannot be reached"):
        training_sentiment.main(["--push-to-hub", "--output-dir", str(tmp_path)])


def test_an_unwritable_output_folder_stops_first(tmp_path, monkeypatch):
    from training import zero_shot

    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a folder cannot be made inside a file (root ignores permission bits, this it can't)
    monkeypatch.setattr(training_sentiment, "load_data", never)
    monkeypatch.setattr(zero_shot, "load_sets", never)
    for main in (training_sentiment.main, zero_shot.main):
        with pytest.raises(SystemExit, match=f"cannot write to the output folder {blocker}/out"):
            main(["--smoke", "--output-dir", str(blocker / "out")])


@pytest.mark.parametrize("script, argv, message", [
    ("sentiment", ["--data", "/nonexistent/vader"], "loading the VADER sentences: .*lacks"),
    ("zero_shot", ["--topics-data", "/nonexistent/apt"], "loading the Debian package descriptions: .*holds no"),
])
def test_missing_data_is_one_line(script, argv, message, tmp_path):
    import importlib

    with pytest.raises(SystemExit, match=message) as e:
        importlib.import_module(f"training.{script}").main([*argv, "--output-dir", str(tmp_path)])
    assert "\n" not in str(e.value)


def test_the_command_line_shows_one_line_and_no_traceback(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "-m", "training.sentiment", "--preset", "course", "--output-dir",
                          str(tmp_path)], capture_output=True, text=True, env=env, cwd=hub.REPO_ROOT, timeout=120, check=False)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "ConnectionError" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        ("error: --preset course downloads the course's model and dataset, but HF_HUB_OFFLINE is set: unset it on "
        "a machine with network, or drop those options.")]


def test_a_continued_run_records_the_runs_before_it_first_run_first(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    common.write_metrics(first, {"base_model": "scratch", "hyperparameters": {"lr": 1e-3}, "data": {"train": 10},
                                 "train_seconds": 60, "test": {"big": "not copied"}})
    assert common.started_from("some-org/hub-model") is None  # a Hub id carries no record
    record = common.started_from(str(first))
    assert record["folder"] == str(first) and record["hyperparameters"] == {"lr": 1e-3} and "test" not in record
    common.write_metrics(second, {"base_model": "scratch", "hyperparameters": {"lr": 5e-4}, "wider_kde": True,
                                  "started_from": record})
    third = {"started_from": common.started_from(str(second), keep=("wider_kde",))}
    assert [r["hyperparameters"]["lr"] for r in common.lineage(third)] == [1e-3, 5e-4]
    assert common.lineage(third)[1]["wider_kde"] and common.lineage({"started_from": None}) == []



# ------------------------------------------------------------------ cards: rendered from metrics.json alone

@pytest.mark.parametrize("task", ["sentiment", "pair_classification", "zero_shot"])
def test_committed_cards_are_what_their_metrics_render(task, tmp_path):
    """--card-only on a copy of each committed checkpoint's metrics.json gives its committed README.md: the card
    and the figures cannot drift apart, and the templates stay in step with the committed cards."""
    folder = hub.CHECKPOINTS_DIR / task
    shutil.copy(folder / "metrics.json", tmp_path)
    if (folder / "training_curve.png").exists():
        (tmp_path / "training_curve.png").write_bytes(b"")
    common.write_card(tmp_path, task)
    assert (tmp_path / "README.md").read_text() == (folder / "README.md").read_text()


# ------------------------------------------------------------------ another encoder, unchanged task code

@pytest.fixture(scope="module")
def tiny_distilbert(tmp_path_factory):
    """A tiny random DistilBERT in a local folder, standing in for "any Hub encoder id": another architecture
    than MiniLM's BERT (no token_type_ids, no pooler, a two-layer head: pre_classifier + classifier)."""
    from transformers import (
        DistilBertConfig,
        DistilBertForMaskedLM,
        DistilBertTokenizerFast,
    )

    folder = tmp_path_factory.mktemp("tiny-distilbert")
    tokenizer = DistilBertTokenizerFast.from_pretrained(hub.base_model_path(hub.MINILM))  # same uncased vocab
    tokenizer.save_pretrained(folder)
    config = DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=64, n_layers=2, n_heads=2, hidden_dim=256,
                              initializer_range=0.2, dropout=0.0, attention_dropout=0.0)
    # wide enough random features, and no dropout, for one batch to overfit in the smoke check's 20 steps
    DistilBertForMaskedLM(config).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("task, argv", [
    ("sentiment", ["--data", VADER]),
    ("pair_classification", ["--loop", "accelerate", "--threads", "1"]),
])
def test_task_code_runs_unchanged_on_another_encoder(task, argv, tiny_distilbert, tmp_path):
    import importlib

    from shared.modeling import load_classifier

    out = tmp_path / "ckpt"
    metrics = importlib.import_module(f"training.{task}").main(
        ["--smoke", "--model", str(tiny_distilbert), "--output-dir", str(out), *argv])
    before, after = metrics["smoke_losses"]
    assert after <= 0.5 * before  # LoRA on the encoder + the whole DistilBERT head learned the batch
    model, _tokenizer = load_classifier(out)
    assert model.config.model_type == "distilbert" and not hasattr(model, "peft_config")  # adapter merged
    if task == "sentiment":
        from shared.tasks import sentiment

        assert set(sentiment.predict("a masterpiece", model=str(out)).value) == {"negative", "positive"}
    else:
        from shared.tasks import pair_classification

        probs = pair_classification.predict("Who wrote Hamlet?", "Shakespeare wrote Hamlet.", model=str(out)).value
        assert set(probs) == {"entailment", "not_entailment"} and abs(sum(probs.values()) - 1) < 1e-5


@pytest.mark.parametrize("task", ["ner", "qa", "fill_mask"])
def test_token_tasks_run_unchanged_on_another_encoder(task, tiny_distilbert, tmp_path):
    """Chapter 7's token tasks on an encoder without token types and with its own MLM head (DistilBERT):
    training's --smoke check passes (the loss on one batch at least halves) and the task's predict reads the
    saved folder."""
    import importlib

    out = tmp_path / "ckpt"
    argv = ["--smoke", "--model", str(tiny_distilbert), "--output-dir", str(out), "--max-length", "128"]
    extra = {"ner": ["--no-casing"], "fill_mask": ["--method", "full"]}.get(task, [])
    importlib.import_module(f"training.{task}").main(argv + extra)
    module = importlib.import_module(f"shared.tasks.{task}")
    if task == "ner":
        result = module.predict("Barack Obama visited Paris.", model=str(out)).value
        assert isinstance(result["entities"], list)
    elif task == "fill_mask":  # smoke-trained in full (a random 64-wide model memorizes too slowly through LoRA)
        assert len(module.predict("Paris is the [MASK] of France.", model=str(out)).value) == module.TOP_K
        from training.fill_mask import build_mlm

        lora = build_mlm(str(tiny_distilbert), lora_r=4)  # the default route: the head's own layers train in full
        trainable = {n for n, p in lora.named_parameters() if p.requires_grad}
        assert any("vocab_transform" in n and "lora" not in n for n in trainable)
        assert not any("vocab_projector" in n or "word_embeddings" in n for n in trainable)  # tied decoder frozen
        base = lora.get_base_model()
        assert base.get_output_embeddings().weight is base.get_input_embeddings().weight
    else:
        result = module.predict("Who wrote Hamlet?", "Hamlet was written by Shakespeare.", model=str(out)).value
        assert result["answer"] and "Hamlet was written by Shakespeare."[result["start"]:result["end"]] == result["answer"]
