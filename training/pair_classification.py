"""Fine-tune an encoder on sentence pairs, the course's chapter 3 twice: `Trainer`, then a hand-written loop.

    python -m training.pair_classification --loop trainer     --output-dir /tmp/ckpt-pairs-trainer
    python -m training.pair_classification --loop accelerate  --output-dir /tmp/ckpt-pairs-accelerate \
        --compare /tmp/ckpt-pairs-trainer             # the other loop's figures go into metrics.json and the card
    python -m training.pair_classification --rescore --output-dir checkpoints/pair_classification
    python -m training.pair_classification --smoke                # overfit one batch of training/smoke_data
    python -m training.pair_classification --preset course --loop accelerate   # bert-base-uncased on GLUE MRPC

Data (default): QNLI-style question/sentence pairs rebuilt from SQuAD (shared/data/pairs.py), split by
article. `--dataset` takes a local SQuAD-format JSON file/folder instead, or a Hub dataset id such as
`glue/mrpc` or `glue/qnli` (needs network). Both loops tokenize the same way (shared.tasks.pair_classification),
pad dynamically with DataCollatorWithPadding, score accuracy and F1 with the local `evaluate` modules of
shared/metrics, and save the same LoRA adapter + head folder. The card is rendered from metrics.json by
training/cards/pair_classification.md.j2.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from shared import hub
from shared import metrics as shared_metrics
from shared.data import pairs
from shared.tasks import pair_classification as task
from training import classification, common

HUB_DATASET_IDS = ["rajpurkar/squad", "squadshifts"]
COURSE_PRESET = {"model": "bert-base-uncased", "dataset": "glue/mrpc", "lr": 5e-5, "epochs": 3,
                 "batch_size": 8, "method": "full", "hub_model_id": "bert-finetuned-mrpc"}
# what the course reports for bert-base-uncased on the MRPC validation set (a different model and dataset)
COURSE_REFERENCE = {"trainer": {"accuracy": 0.858, "f1": 0.900}, "accelerate": {"accuracy": 0.843, "f1": 0.891}}
POSITIVE_NAMES = ("entailment", "equivalent")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-pairs-trainer",
                           hub_model_id=hub.HUB_IDS["pair_classification"])
    common.add_training_args(parser, epochs=2, lr=5e-4, batch_size=32, max_length=task.MAX_MODEL_TOKENS)
    classification.add_args(parser, lora_r=16)
    parser.add_argument("--loop", choices=["trainer", "accelerate"], default="trainer",
                        help="trainer: transformers.Trainer; accelerate: the course's hand-written loop")
    parser.add_argument("--train-pairs", type=int, default=8_000, help="cap on training pairs (whole questions)")
    parser.add_argument("--eval-pairs", type=int, default=None, help="cap on validation/test pairs")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the article split and sampling")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--compare", action="append", default=[],
                        help="output folder of a finished run of the other loop: its figures are copied into "
                             "metrics.json and shown side by side on the card")
    return parser


# ---------------------------------------------------------------- data

def load_data(args):
    """(DatasetDict with question/sentence/label columns and train/validation/test, label names, kind)."""
    source = args.dataset
    if source is None and args.smoke:
        source = str(common.SMOKE_DATA / "pairs" / "squad_tiny.json")
    if source is None or Path(source).exists():
        with common.clear_errors("building the sentence pairs from SQuAD",
                                 "Pass a SQuAD-format JSON file with --dataset, or run once with network so the "
                                 "bigbench sdist lands in ~/.cache."):
            dd = pairs.load(source, seed=args.data_seed, max_train_pairs=args.train_pairs,
                            max_eval_pairs=args.eval_pairs)
        return dd, list(pairs.LABELS), "local"
    from datasets import (  # a Hub dataset, e.g. glue/mrpc (the course's)
        DatasetDict,
        load_dataset,
    )

    name = None
    if source.count("/") == 1 and source.split("/")[0] == "glue":
        source, name = "nyu-mll/glue", source.split("/")[1]
    with common.clear_errors(f"loading {args.dataset} from the Hub"):
        raw = load_dataset(source, name)
    texts = [c for c, f in raw["train"].features.items() if getattr(f, "dtype", "") == "string"][:2]
    raw = raw.rename_columns({a: b for a, b in zip(texts, (task.FIRST, task.SECOND)) if a != b})
    labels = list(raw["train"].features["label"].names)
    test = raw.get("test")
    if test is None or min(test["label"]) < 0:  # GLUE hides its test labels: score on validation, as the course
        test = raw["validation"]
    return DatasetDict(train=raw["train"], validation=raw["validation"], test=test), labels, "hub"


def data_summary(dd, kind: str, name: str) -> dict:
    """What the card says about the data: sizes, balance, articles and paragraphs per split, provenance."""
    info = {"kind": kind, "name": name, "sizes": {k: len(v) for k, v in dd.items()}}
    if kind == "local":
        info.update(label_balance={k: pairs.label_balance(v) for k, v in dd.items()},
                    articles={k: len(set(v["group"])) for k, v in dd.items()},
                    paragraphs={k: len(set(v["context_id"])) for k, v in dd.items()},
                    build_stats=getattr(dd, "build_stats", None),
                    description=pairs.DESCRIPTION, source=pairs.SOURCE_NOTE,
                    licences="SQuAD v1.1 dev CC BY-SA 4.0; SQuAD-Shifts CC BY 4.0")
    else:
        info["description"] = (f"`{name}` from the Hub; test = its labelled test split, or validation when test "
                               "labels are hidden.")
    return info


def tokenize(dd, tokenizer, max_length: int):
    """The task's own pair tokenization (the Space's), with a `labels` column."""
    keep = {"input_ids", "attention_mask", "token_type_ids", "label"}
    out = dd.map(task.tokenize_batch, batched=True, fn_kwargs={"tokenizer": tokenizer, "max_length": max_length},
                 remove_columns=[c for c in dd["train"].column_names if c not in keep], desc="tokenizing")
    return out.rename_column("label", "labels")


def positive_label(labels: list[str]) -> int:
    return next((i for i, name in enumerate(labels) if name in POSITIVE_NAMES), 1)


# ---------------------------------------------------------------- metric and baselines

def scores(predictions, references, pos_label: int) -> dict:
    """The course's metric: accuracy and the F1 of the positive class (local evaluate modules)."""
    accuracy, f1 = shared_metrics.load("accuracy"), shared_metrics.load("f1")
    return {**accuracy.compute(predictions=predictions, references=references),
            **f1.compute(predictions=predictions, references=references, pos_label=pos_label)}


def make_compute_metrics(pos_label: int):
    def compute_metrics(eval_preds):  # the course's compute_metrics, with accuracy and F1
        logits, labels = eval_preds
        logits = logits[0] if isinstance(logits, tuple) else logits
        return scores(np.argmax(logits, axis=-1), labels, pos_label)

    return compute_metrics


def baselines(dd, pos_label: int) -> dict:
    """Majority class of train, and 'positive when question and sentence share >= t content words' with t
    chosen on validation; both scored on test."""
    majority = int(np.argmax(np.bincount(dd["train"]["label"], minlength=2)))
    y_test = np.array(dd["test"]["label"])
    out = {"majority": {"class": majority, **scores(np.full_like(y_test, majority), y_test, pos_label)}}

    def ov(split):
        return np.array([pairs.overlap(q, s) for q, s in zip(dd[split][task.FIRST], dd[split][task.SECOND])])

    v, y_val, t = ov("validation"), np.array(dd["validation"]["label"]), ov("test")

    def guess(o, thr):
        return np.where(o >= thr, pos_label, 1 - pos_label)

    thr = max(range(16), key=lambda k: (np.mean(guess(v, k) == y_val), -k))
    out["overlap"] = {"threshold": int(thr), "validation_accuracy": float(np.mean(guess(v, thr) == y_val)),
                      **scores(guess(t, thr), y_test, pos_label)}
    return out


def results(metrics: dict) -> list[dict]:
    """The card's headline rows: test accuracy and F1 vs word overlap, accuracy vs the majority class."""
    d, b, t = metrics["data"], metrics["baselines"], metrics["test"]
    split = f"{d['name']} test ({d['sizes']['test']:,} pairs" + (
        f", {d['articles']['test']} articles)" if d["kind"] == "local" else ")")
    dsid = "qnli-from-squad" if d["kind"] == "local" else d["name"]
    overlap = f"word overlap >= {b['overlap']['threshold']} (threshold chosen on validation)"
    majority = f"majority class ({metrics['labels'][b['majority']['class']]})"
    return [{"split": split, "metric": "accuracy", "value": t["accuracy"], "baseline": overlap,
             "baseline_value": b["overlap"]["accuracy"], "dataset_id": dsid},
            {"split": split, "metric": "f1", "value": t["f1"], "baseline": overlap,
             "baseline_value": b["overlap"]["f1"], "dataset_id": dsid},
            {"split": split, "metric": "accuracy", "value": t["accuracy"], "baseline": majority,
             "baseline_value": b["majority"]["accuracy"], "dataset_id": dsid}]


def card_info(metrics: dict) -> dict:
    a, d = metrics["args"], metrics["data"]
    return {"title": "MiniLM sentence-pair classifier (QNLI from SQuAD)" if d["kind"] == "local"
            else f"{a['model']} fine-tuned on {d['name']}",
            "base_model": a["model"], "license": "apache-2.0", "pipeline_tag": "text-classification",
            "task_name": "Sentence-pair classification",
            "datasets": HUB_DATASET_IDS if d["kind"] == "local" else [d["name"]],
            "tags": ["sentence-pair-classification", "qnli", "lora", "course-chapter-3"]}


def loop_summary(metrics: dict) -> dict:
    """One run's figures, as the card's side-by-side table of both loops shows them."""
    return {"loop": metrics["loop"], "test": metrics["test"], "validation": metrics["validation"],
            "epochs": metrics["args"]["epochs"], "train_seconds_per_epoch": metrics["train_seconds_per_epoch"]}


# ---------------------------------------------------------------- the hand-written loop (course ch3, accelerate)

def accelerate_loop(args, model, tokenizer, train_ds, eval_ds, pos_label: int) -> SimpleNamespace:
    """The course's loop: DataLoader + AdamW + linear get_scheduler + Accelerator + tqdm, evaluating each epoch.

    Keeps the weights of the best validation epoch (as the Trainer run does with load_best_model_at_end).
    --smoke: SMOKE_STEPS steps on one batch at a constant SMOKE_LR; SystemExit unless the loss at least halves.
    Under `accelerate launch` each process takes its share of every --batch-size batch, the logged loss is the
    mean over processes and evaluation gathers every process's predictions (`gather_for_metrics`).
    Returns an object with .model (unwrapped) and .state.log_history in Trainer's format.
    """
    from accelerate import Accelerator
    from torch.utils.data import DataLoader
    from transformers import DataCollatorWithPadding, get_scheduler

    dev = common.device_settings()
    accelerator = Accelerator(cpu=dev["use_cpu"], mixed_precision="bf16" if dev["bf16"] else
                              "fp16" if dev["fp16"] else "no")
    collator = DataCollatorWithPadding(tokenizer)
    smoke = args.smoke
    batch_size = common.per_process_batch(min(args.batch_size, len(train_ds)) if smoke else args.batch_size)
    generator = torch.Generator().manual_seed(args.seed)
    train_dl = DataLoader(train_ds, shuffle=not smoke, batch_size=batch_size, collate_fn=collator,
                          generator=generator)
    eval_dl = DataLoader(eval_ds, batch_size=max(batch_size, 64), collate_fn=collator)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=common.SMOKE_LR if smoke else args.lr)
    train_dl, eval_dl, model, optimizer = accelerator.prepare(train_dl, eval_dl, model, optimizer)
    epochs = common.SMOKE_STEPS if smoke else math.ceil(args.epochs)  # smoke: one batch per epoch
    num_training_steps = epochs * len(train_dl)
    lr_scheduler = get_scheduler("constant" if smoke else "linear", optimizer=optimizer, num_warmup_steps=0,
                                 num_training_steps=num_training_steps)
    ckpts = common.checkpoints_dir(args.output_dir)
    history: list[dict] = []
    start_epoch, best, best_state = 0, -1.0, None
    resume = None if smoke else common.resume_checkpoint(args)
    if resume:
        accelerator.load_state(resume)
        meta = json.loads((Path(resume) / "loop.json").read_text())
        start_epoch, best, history = meta["epoch"], meta["best"], meta["history"]
        if (Path(resume) / "best_trainable.pt").exists():
            best_state = torch.load(Path(resume) / "best_trainable.pt")

    def evaluate_loss_and_metrics(dl):
        model.eval()
        preds, refs, losses = [], [], []
        for batch in dl:
            with torch.no_grad():
                out = model(**batch)
            losses.append(accelerator.gather_for_metrics(out.loss.detach().float().repeat(len(batch["labels"]))))
            preds.append(accelerator.gather_for_metrics(out.logits.argmax(dim=-1)))
            refs.append(accelerator.gather_for_metrics(batch["labels"]))
        model.train()
        p, r = torch.cat(preds).cpu().numpy(), torch.cat(refs).cpu().numpy()
        return float(torch.cat(losses).mean()), scores(p, r, pos_label)

    def trainable_state():
        unwrapped = accelerator.unwrap_model(model)
        return {k: v.detach().clone() for k, v in unwrapped.named_parameters() if v.requires_grad}

    before = evaluate_loss_and_metrics(train_dl)[0] if smoke else None
    progress_bar = common.progress(range(num_training_steps), initial=start_epoch * len(train_dl), desc="training")
    log_every = 1 if smoke else max(1, min(50, len(train_dl) // 10))
    step = start_epoch * len(train_dl)
    model.train()
    t0 = time.time()
    window: list[float] = []
    for epoch in range(start_epoch, epochs):
        for batch in train_dl:
            outputs = model(**batch)
            loss = outputs.loss
            accelerator.backward(loss)
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
            progress_bar.update(1)
            step += 1
            window.append(float(accelerator.reduce(loss.detach(), "mean")))  # the whole batch's loss
            if step % log_every == 0 or step == 1:  # mean loss since the last log, as Trainer logs it
                history.append({"loss": sum(window) / len(window), "step": step, "epoch": step / len(train_dl),
                                "learning_rate": lr_scheduler.get_last_lr()[0]})
                progress_bar.set_postfix(loss=f"{history[-1]['loss']:.4f}")
                window = []
        if smoke:
            continue
        eval_loss, metrics = evaluate_loss_and_metrics(eval_dl)
        history.append({"eval_loss": eval_loss, **{f"eval_{k}": v for k, v in metrics.items()},
                        "epoch": float(epoch + 1), "step": step})
        accelerator.print(f"epoch {epoch + 1}: validation loss {eval_loss:.4f}, "
                          + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
        if metrics["accuracy"] > best:
            best, best_state = metrics["accuracy"], trainable_state()
        folder = ckpts / f"epoch-{epoch + 1}"
        accelerator.save_state(str(folder))  # every process takes part (each saves its random state)
        if accelerator.is_main_process:
            (folder / "loop.json").write_text(json.dumps({"epoch": epoch + 1, "best": best, "history": history}))
            torch.save(best_state, folder / "best_trainable.pt")
    progress_bar.close()
    train_seconds = time.time() - t0
    unwrapped = accelerator.unwrap_model(model)
    result = SimpleNamespace(model=unwrapped, state=SimpleNamespace(log_history=history),
                             train_seconds=train_seconds)
    if smoke:
        after = evaluate_loss_and_metrics(train_dl)[0]
        result.smoke_losses = (before, after)
        common.check_smoke(before, after, len(train_ds), step)
    elif best_state is not None:
        with torch.no_grad():
            params = dict(unwrapped.named_parameters())
            for k, v in best_state.items():
                params[k].copy_(v)
        print(f"kept the best validation epoch (accuracy {best:.4f})", flush=True)
    return result


def predict_ids(model, tokenizer, dataset, batch_size: int = 64) -> np.ndarray:
    """Class ids for a tokenized dataset (used for the accelerate run's test scores)."""
    from torch.utils.data import DataLoader
    from transformers import DataCollatorWithPadding

    cols = [c for c in dataset.column_names if c in ("input_ids", "attention_mask", "token_type_ids")]
    dl = DataLoader(dataset.select_columns(cols), batch_size=batch_size,
                    collate_fn=DataCollatorWithPadding(tokenizer))
    device = next(model.parameters()).device
    model.eval()
    out = []
    with torch.no_grad():
        for batch in dl:
            out.append(model(**{k: v.to(device) for k, v in batch.items()}).logits.argmax(-1).cpu())
    return torch.cat(out).numpy()


# ---------------------------------------------------------------- rescoring a finished folder

def rescore(args) -> dict:
    """Re-measure test accuracy/F1 of OUTPUT_DIR through `pair_classification.predict` (the Space's code path,
    one pair at a time), refresh the data summary and baselines (same data, same seeds), then rewrite
    metrics.json and the card. The weights are only read."""
    from tqdm.auto import tqdm

    out = Path(args.output_dir)
    metrics = common.read_metrics(out)
    for key in ("dataset", "data_seed", "train_pairs", "eval_pairs"):
        setattr(args, key, metrics["args"][key])
    dd, labels, kind = load_data(args)
    pos = positive_label(labels)
    test = dd["test"]
    preds = [labels.index(task.predict(q, s, model=str(out)).label)
             for q, s in tqdm(zip(test[task.FIRST], test[task.SECOND]), total=len(test), desc="rescoring")]
    metrics["test"] = scores(np.array(preds), np.array(test["label"]), pos)
    print(f"rescored {out} on test ({len(test)} pairs): {metrics['test']}", flush=True)
    metrics["data"] = data_summary(dd, kind, metrics["data"]["name"])
    metrics["baselines"] = baselines(dd, pos)
    metrics["rescored"] = ("Test scores re-measured from the saved folder with `--rescore`, through "
                           "`shared.tasks.pair_classification.predict` as the Space runs it.")
    metrics.update(results=results(metrics), card={**card_info(metrics), **metrics.get("card", {})})
    print(f"rewrote {out}/metrics.json and {out}/README.md", flush=True)
    return common.rewrite(out, "pair_classification", metrics)


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> dict:
    from transformers import set_seed

    args = common.parse_args(build_parser(), argv, course=COURSE_PRESET)
    if args.card_only:
        return common.rewrite(args.output_dir, "pair_classification")
    if args.rescore:
        return rescore(args)
    for folder in args.compare:
        if not (Path(folder) / "metrics.json").is_file():
            common.fail(f"--compare {folder}: no metrics.json there; pass the output folder of a finished run.")
    others = [loop_summary(common.read_metrics(c)) for c in args.compare]
    set_seed(args.seed)
    t_start = time.time()

    with common.main_process_first():  # the builder caches its download; map may write cache files
        dd, labels, kind = load_data(args)
        tokenizer = classification.load_tokenizer(args.model)
        tok = tokenize(dd, tokenizer, args.max_length)
    pos = positive_label(labels)
    name = "QNLI-from-SQuAD" if kind == "local" else args.dataset
    print(pairs.summary(dd) if kind == "local" else dd, flush=True)
    base = baselines(dd, pos)
    print(f"baselines on test: majority {base['majority']['accuracy']:.4f}, "
          f"overlap>={base['overlap']['threshold']} {base['overlap']['accuracy']:.4f}", flush=True)

    train_ds, val_ds, test_ds = tok["train"], tok["validation"], tok["test"]
    if args.smoke:
        train_ds = val_ds = common.smoke_slice(train_ds)
    model = classification.build_classifier(args.model, labels, method=args.method, lora_r=args.lora_r)
    pre = classification.preflight(model, tokenizer, train_ds, num_labels=len(labels), max_length=args.max_length)

    t_train = time.time()
    if args.loop == "trainer":
        runner = classification.train(args, model, tokenizer, train_ds, val_ds,
                                      compute_metrics=make_compute_metrics(pos))
        train_seconds = next((h["train_runtime"] for h in reversed(runner.state.log_history)
                              if "train_runtime" in h), time.time() - t_train)
        test_pred, _ = classification.predict_labels(runner, test_ds)  # every process takes part
    else:
        runner = accelerate_loop(args, model, tokenizer, train_ds, val_ds, pos)
        train_seconds = runner.train_seconds
    if not common.is_main_process():  # the rest is the main process's alone
        return {}
    if args.loop == "accelerate":
        test_pred = predict_ids(runner.model, tokenizer, test_ds)
    model = runner.model
    val_best = max((h["eval_accuracy"] for h in runner.state.log_history if "eval_accuracy" in h), default=None)
    test = scores(test_pred, np.array(test_ds["labels"]), pos)
    print(f"test ({len(test_ds)} pairs): accuracy {test['accuracy']:.4f}, F1 {test['f1']:.4f}", flush=True)

    common.save_model(model, tokenizer, args.output_dir, base_model=args.model)
    trainable, total = classification.trainable_parameters(model)
    epochs = common.SMOKE_STEPS if args.smoke else math.ceil(args.epochs)
    metrics = {
        "loop": args.loop, "test": test, "validation": {"accuracy": val_best}, "baselines": base,
        "labels": labels, "pos_label": pos, "data": data_summary(dd, kind, name), "preflight": pre,
        "train_seconds": train_seconds, "train_seconds_per_epoch": train_seconds / epochs,
        "total_seconds": time.time() - t_start, "trainable_parameters": trainable, "total_parameters": total,
        "smoke_losses": list(getattr(runner, "smoke_losses", ())) or None,
        "args": {k: v for k, v in vars(args).items() if k != "compare"}, "env": common.environment(),
        "other_loops": others, "course_reference": COURSE_REFERENCE,
        "log_history": runner.state.log_history,  # training loss per logged step, validation per epoch
    }
    metrics.update(results=results(metrics), card=card_info(metrics))
    common.finish(args, metrics, card="pair_classification", log_history=runner.state.log_history,
                  title=metrics["card"]["title"])
    return metrics


if __name__ == "__main__":
    main()
