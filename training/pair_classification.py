"""Fine-tune an encoder on sentence pairs, the course's chapter 3 twice: `Trainer`, then a hand-written loop.

    python -m training.pair_classification --loop trainer     --output-dir /tmp/ckpt-pairs-trainer
    python -m training.pair_classification --loop accelerate  --output-dir /tmp/ckpt-pairs-accelerate
    python -m training.pair_classification --loop trainer --card-only --compare /tmp/ckpt-pairs-accelerate \
        --output-dir /tmp/ckpt-pairs-trainer          # rewrite the card with both loops side by side
    python -m training.pair_classification --preset course --loop accelerate   # bert-base-uncased on GLUE MRPC

Data (default): QNLI-style question/sentence pairs rebuilt from SQuAD (shared/data/pairs.py), split by
article. `--dataset` takes a local SQuAD-format JSON file/folder instead, or a Hub dataset id such as
`glue/mrpc` or `glue/qnli` (needs network). Both loops tokenize the same way (shared.tasks.pair_classification),
pad dynamically with DataCollatorWithPadding, score accuracy and F1 with local `evaluate` modules
(shared/metrics/), and save the same LoRA adapter + head folder (training.common.save_model).
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
from shared.cards import Result
from shared.data import pairs
from shared.tasks import pair_classification as task
from training import common

METRICS_DIR = Path(__file__).resolve().parent.parent / "shared" / "metrics"
HUB_DATASET_IDS = ["rajpurkar/squad", "squadshifts"]
COURSE_PRESET = {"model": "bert-base-uncased", "dataset": "glue/mrpc", "lr": 5e-5, "epochs": 3,
                 "batch_size": 8, "method": "full", "hub_model_id": "bert-finetuned-mrpc"}
# what the course reports for bert-base-uncased on the MRPC validation set (a different model and dataset)
COURSE_REFERENCE = {"trainer": (0.858, 0.900), "accelerate": (0.843, 0.891)}
POSITIVE_NAMES = ("entailment", "equivalent")


# ---------------------------------------------------------------- data

def load_metric(name: str):
    """A local evaluate module from shared/metrics (evaluate 0.4.6 ships no metric scripts).

    keep_in_memory + a unique experiment_id: by default evaluate buffers predictions in a cache file named
    after the metric, so two runs scoring at the same time (the two loops side by side) read each other's
    predictions and report chance-level scores. Measured here: that happened once, hence this.
    """
    import uuid

    import evaluate

    return evaluate.load(str(METRICS_DIR / f"{name}.py"), keep_in_memory=True, experiment_id=uuid.uuid4().hex)


def load_data(args):
    """(DatasetDict with question/sentence/label columns and train/validation/test, label names, description)."""
    source = args.dataset
    if source is None or Path(source).exists():
        dd = pairs.load(source, seed=args.data_seed, max_train_pairs=args.train_pairs,
                        max_eval_pairs=args.eval_pairs)
        return dd, list(pairs.LABELS), "local"
    from datasets import DatasetDict, load_dataset  # a Hub dataset, e.g. glue/mrpc (the course's)

    name = None
    if source.count("/") == 1 and source.split("/")[0] == "glue":
        source, name = "nyu-mll/glue", source.split("/")[1]
    raw = load_dataset(source, name)
    texts = [c for c, f in raw["train"].features.items() if getattr(f, "dtype", "") == "string"][:2]
    raw = raw.rename_columns({a: b for a, b in zip(texts, (task.FIRST, task.SECOND)) if a != b})
    labels = list(raw["train"].features["label"].names)
    test = raw.get("test")
    if test is None or min(test["label"]) < 0:  # GLUE hides its test labels: score on validation, as the course
        test = raw["validation"]
    return DatasetDict(train=raw["train"], validation=raw["validation"], test=test), labels, "hub"


def tokenize(dd, tokenizer, max_length: int):
    keep = {"input_ids", "attention_mask", "token_type_ids", "label"}
    out = dd.map(task.tokenize_batch, batched=True, fn_kwargs={"tokenizer": tokenizer, "max_length": max_length},
                 remove_columns=[c for c in dd["train"].column_names if c not in keep], desc="tokenizing")
    return out.rename_column("label", "labels")


def positive_label(labels: list[str]) -> int:
    for i, name in enumerate(labels):
        if name in POSITIVE_NAMES:
            return i
    return 1


# ---------------------------------------------------------------- metrics and baselines

def make_compute_metrics(pos_label: int):
    accuracy, f1 = load_metric("accuracy"), load_metric("f1")

    def compute_metrics(eval_preds):  # the course's compute_metrics, with accuracy and F1
        logits, labels = eval_preds
        logits = logits[0] if isinstance(logits, tuple) else logits
        predictions = np.argmax(logits, axis=-1)
        return {**accuracy.compute(predictions=predictions, references=labels),
                **f1.compute(predictions=predictions, references=labels, pos_label=pos_label)}

    return compute_metrics


def scores(predictions, references, pos_label: int) -> dict:
    accuracy, f1 = load_metric("accuracy"), load_metric("f1")
    return {**accuracy.compute(predictions=predictions, references=references),
            **f1.compute(predictions=predictions, references=references, pos_label=pos_label)}


def baselines(dd, pos_label: int) -> dict:
    """Majority class of train, and 'positive when question and sentence share >= t content words' with t
    chosen on validation; both scored on test."""
    counts = np.bincount(dd["train"]["label"], minlength=2)
    majority = int(np.argmax(counts))
    y_test = np.array(dd["test"]["label"])
    out = {"majority": {"class": majority, **scores(np.full_like(y_test, majority), y_test, pos_label)}}

    def ov(split):
        return np.array([pairs.overlap(q, s) for q, s in zip(dd[split][task.FIRST], dd[split][task.SECOND])])

    v, y_val, t = ov("validation"), np.array(dd["validation"]["label"]), ov("test")
    neg = 1 - pos_label

    def guess(o, thr):
        return np.where(o >= thr, pos_label, neg)

    thr = max(range(0, 16), key=lambda k: (np.mean(guess(v, k) == y_val), -k))
    out["overlap"] = {"threshold": int(thr), "validation_accuracy": float(np.mean(guess(v, thr) == y_val)),
                      **scores(guess(t, thr), y_test, pos_label)}
    return out


# ---------------------------------------------------------------- the hand-written loop (course ch3, accelerate)

def accelerate_loop(args, model, tokenizer, train_ds, eval_ds, pos_label: int) -> SimpleNamespace:
    """The course's loop: DataLoader + AdamW + linear get_scheduler + Accelerator + tqdm, evaluating each epoch.

    Keeps the weights of the best validation epoch (as the Trainer run does with load_best_model_at_end).
    --smoke: SMOKE_STEPS steps on one batch at a constant SMOKE_LR; SystemExit unless the loss at least halves.
    Returns an object with .model (unwrapped) and .state.log_history in Trainer's format.
    """
    from accelerate import Accelerator
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm
    from transformers import DataCollatorWithPadding, get_scheduler

    dev = common.device_settings()
    accelerator = Accelerator(cpu=dev["use_cpu"], mixed_precision="bf16" if dev["bf16"] else
                              "fp16" if dev["fp16"] else "no")
    collator = DataCollatorWithPadding(tokenizer)
    smoke = args.smoke
    batch_size = min(args.batch_size, len(train_ds)) if smoke else args.batch_size
    generator = torch.Generator().manual_seed(args.seed)
    train_dl = DataLoader(train_ds, shuffle=not smoke, batch_size=batch_size, collate_fn=collator,
                          generator=generator)
    eval_dl = DataLoader(eval_ds, batch_size=max(batch_size, 64), collate_fn=collator)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=common.SMOKE_LR if smoke else args.lr)
    train_dl, eval_dl, model, optimizer = accelerator.prepare(train_dl, eval_dl, model, optimizer)
    epochs = int(math.ceil(args.epochs))
    num_training_steps = epochs * len(train_dl)
    lr_scheduler = get_scheduler("constant" if smoke else "linear", optimizer=optimizer, num_warmup_steps=0,
                                 num_training_steps=num_training_steps)
    ckpts = common.checkpoints_dir(args.output_dir)
    history: list[dict] = []
    start_epoch, best, best_state = 0, -1.0, None
    if args.resume and not smoke:
        done = sorted(ckpts.glob("epoch-*"), key=lambda p: int(p.name.split("-")[1]))
        if done:
            accelerator.load_state(str(done[-1]))
            meta = json.loads((done[-1] / "loop.json").read_text())
            start_epoch, best, history = meta["epoch"], meta["best"], meta["history"]
            best_state = torch.load(done[-1] / "best_trainable.pt") if (done[-1] / "best_trainable.pt").exists() \
                else None
            print(f"resuming after epoch {start_epoch} from {done[-1]}", flush=True)
        else:
            print(f"--resume: no checkpoint in {ckpts}, starting fresh", flush=True)

    def evaluate_loss_and_metrics(dl):
        model.eval()
        preds, refs, losses = [], [], []
        for batch in dl:
            with torch.no_grad():
                out = model(**batch)
            losses.append(accelerator.gather(out.loss.detach().float().repeat(len(batch["labels"]))))
            preds.append(accelerator.gather(out.logits.argmax(dim=-1)))
            refs.append(accelerator.gather(batch["labels"]))
        model.train()
        p, r = torch.cat(preds).cpu().numpy(), torch.cat(refs).cpu().numpy()
        return float(torch.cat(losses).mean()), scores(p, r, pos_label)

    def trainable_state():
        unwrapped = accelerator.unwrap_model(model)
        return {k: v.detach().clone() for k, v in unwrapped.named_parameters() if v.requires_grad}

    before = evaluate_loss_and_metrics(train_dl)[0] if smoke else None
    progress_bar = tqdm(range(num_training_steps), initial=start_epoch * len(train_dl), desc="training")
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
            window.append(float(loss.detach()))
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
        accelerator.save_state(str(folder))
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
        print(f"smoke check (overfit one batch): loss {before:.4f} -> {after:.4f}", flush=True)
        if not after <= common.SMOKE_MIN_DROP * before:
            raise SystemExit(f"Smoke check failed: the loss on one batch of {len(train_ds)} examples went from "
                             f"{before:.4f} to {after:.4f} in {step} steps; it should at least halve.")
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


def rescore(args, folder: Path) -> dict:
    """Test accuracy/F1 of a saved folder, loaded the way the Space loads it (shared.modeling)."""
    from shared import modeling

    if args.threads:
        torch.set_num_threads(args.threads)
    dd, labels, _ = load_data(args)
    model, tokenizer = modeling.load_classifier(folder)
    test = tokenize(dd, tokenizer, args.max_length)["test"]
    result = scores(predict_ids(model, tokenizer, test), np.array(test["labels"]), positive_label(labels))
    print(f"rescored {folder} on test ({len(test)} pairs): {result}", flush=True)
    return result


# ---------------------------------------------------------------- card

def _pct(x):
    return "" if x is None else f"{x:.3f}"


def card_kwargs(metrics: dict, others: list[dict]) -> dict:
    """write_model_card arguments: headline = this run's test accuracy; both loops side by side in `extra`."""
    d, b, t = metrics["data"], metrics["baselines"], metrics["test"]
    split = (f"{d['name']} test ({d['sizes']['test']:,} pairs, {d['articles']['test']} articles)"
             if d["kind"] == "local" else f"{d['name']} test ({d['sizes']['test']:,} pairs)")
    dsid = "qnli-from-squad" if d["kind"] == "local" else d["name"]
    overlap = f"word overlap >= {b['overlap']['threshold']} (threshold chosen on validation)"
    results = [
        Result(split, "accuracy", t["accuracy"], overlap, b["overlap"]["accuracy"], dsid),
        Result(split, "f1", t["f1"], overlap, b["overlap"]["f1"], dsid),
        Result(split, "accuracy", t["accuracy"], f"majority class ({metrics['labels'][b['majority']['class']]})",
               b["majority"]["accuracy"], dsid),
    ]
    runs = sorted([metrics, *others], key=lambda m: m["loop"] != "trainer")
    rows = ["| loop | test accuracy | test F1 | best validation accuracy | epochs | train time / epoch |",
            "|---|---|---|---|---|---|"]
    for m in runs:
        rows.append(f"| `{m['loop']}`{' (this checkpoint)' if m is metrics else ''} | {m['test']['accuracy']:.3f} | "
                    f"{m['test']['f1']:.3f} | {_pct(m.get('validation', {}).get('accuracy'))} | {m['args']['epochs']:g} | "
                    f"{m['train_seconds_per_epoch'] / 60:.1f} min |")
    rows += [f"| majority class | {b['majority']['accuracy']:.3f} | {b['majority']['f1']:.3f} | | | |",
             f"| {overlap} | {b['overlap']['accuracy']:.3f} | {b['overlap']['f1']:.3f} | "
             f"{b['overlap']['validation_accuracy']:.3f} | | |"]
    extra = ("## Both training loops, side by side\n\n"
             "Chapter 3 of the course trains the same model twice: with `Trainer`, then with a hand-written "
             "loop moved to 🤗 Accelerate. Same data, tokenization, LoRA setup, epochs, learning rate and seed; "
             "F1 is for the `" + metrics["labels"][metrics["pos_label"]] + "` class.\n\n" + "\n".join(rows) +
             "\n\nTrain time is wall-clock including the per-epoch validation pass, on a 2-core CPU shared with other "
             "jobs (one torch thread per run, the two runs partly overlapping): it measures the machine's load, "
             "not the loops. The loops differ in a few optimisation details (see Training) and may keep different "
             "epochs (best validation accuracy); the course's own two runs differ by 1.5 accuracy points."
             "\n\nFor reference, the course reports bert-base-uncased on the GLUE MRPC validation set "
             f"(a different model and dataset, so not comparable): Trainer accuracy "
             f"{COURSE_REFERENCE['trainer'][0]:.3f} / F1 {COURSE_REFERENCE['trainer'][1]:.3f}, accelerate loop "
             f"{COURSE_REFERENCE['accelerate'][0]:.3f} / F1 {COURSE_REFERENCE['accelerate'][1]:.3f}. "
             "`python -m training.pair_classification --preset course` reruns that setup where a GPU and the Hub "
             "are available.\n\n## Use\n\n```python\nfrom shared.tasks.pair_classification import predict\n"
             "predict(\"Who wrote Hamlet?\", \"Hamlet is a tragedy written by William Shakespeare.\")\n```\n")
    a = metrics["args"]
    training = (f"`python -m training.pair_classification --loop {metrics['loop']}` — "
                f"{'LoRA (r=%d, all linear layers) + trained classification head' % a['lora_r'] if a['method'] == 'lora' else 'full fine-tuning'} "
                f"on `{a['model']}`, {a['epochs']:g} epochs, peak learning rate {a['lr']:g} (linear decay), batch size "
                f"{a['batch_size']}, max {a['max_length']} tokens ({task.TRUNCATION} truncation), dynamic padding "
                f"(DataCollatorWithPadding), seed {a['seed']}, on {metrics['env']['device']}. "
                f"Trainable parameters: {metrics['trainable_parameters']:,} of {metrics['total_parameters']:,}. "
                f"Training time: {metrics['train_seconds'] / 60:.1f} min. The `trainer` loop uses `Trainer` "
                "(AdamW, 6% warmup, weight decay 0.01, best validation epoch kept); the `accelerate` loop is the "
                "course's hand-written loop (torch AdamW with its default weight decay 0.01, `get_scheduler('linear')` "
                "without warmup, `Accelerator`, tqdm; best validation epoch kept too).")
    return dict(title="MiniLM sentence-pair classifier (QNLI from SQuAD)" if d["kind"] == "local"
                else f"{a['model']} fine-tuned on {d['name']}",
                summary=("Does this sentence contain the answer to this question? A LoRA fine-tune of "
                         f"`{a['model']}` on QNLI-style pairs rebuilt from SQuAD, following chapter 3 of the "
                         "Hugging Face NLP course (sentence-pair classification with `Trainer` and with a "
                         "hand-written `accelerate` loop). Labels: " + ", ".join(f"`{x}`" for x in metrics["labels"])
                         + "."),
                base_model=a["model"], datasets=HUB_DATASET_IDS if d["kind"] == "local" else [d["name"]],
                license="apache-2.0", pipeline_tag="text-classification",
                task_name="Sentence-pair classification", results=results, data_section=d["card_text"],
                training_section=training, tags=["sentence-pair-classification", "qnli", "lora", "course-chapter-3"],
                extra=extra)


def data_card_text(dd, kind: str, name: str) -> str:
    if kind != "local":
        return f"`{name}` from the Hub; test = its labelled test split, or validation when test labels are hidden."
    return (pairs.__doc__.split("How a question becomes pairs", 1)[0].split("\n\n", 1)[1].strip() +
            "\n\nHow a question becomes pairs" + pairs.__doc__.split("How a question becomes pairs", 1)[1]
            .split("`load(path)`", 1)[0].rstrip() +
            f"\n\nSplit sizes and label balance (built with `shared.data.pairs.load()`):\n\n{pairs.summary(dd)}\n\n"
            f"Construction counts: {dd.build_stats}.\n\nThis run: {dd['train'].info.description}\n\nSource: {pairs.SOURCE_NOTE}. Licences: SQuAD v1.1 dev "
            "CC BY-SA 4.0; SQuAD-Shifts CC BY 4.0.")


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loop", choices=["trainer", "accelerate"], default="trainer",
                        help="trainer: transformers.Trainer; accelerate: the course's hand-written loop")
    parser.add_argument("--train-pairs", type=int, default=8_000, help="cap on training pairs (whole questions)")
    parser.add_argument("--eval-pairs", type=int, default=None, help="cap on validation/test pairs")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the article split and sampling")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--compare", action="append", default=[],
                        help="output folder of a finished run of the other loop: shown side by side on the card")
    parser.add_argument("--card-only", action="store_true",
                        help="rewrite OUTPUT_DIR/README.md from its metrics.json (with --compare) and stop")
    parser.add_argument("--rescore", action="store_true",
                        help="re-measure test accuracy/F1 of the finished folder OUTPUT_DIR (same data, same "
                             "metrics), update its metrics.json and card, and stop")
    common.add_common_args(parser, output_dir="/tmp/ckpt-pairs-trainer", epochs=2, lr=5e-4, batch_size=32,
                           hub_model_id=hub.HUB_IDS["pair_classification"])
    args = common.parse_args(parser, argv, course=COURSE_PRESET)
    others = [json.loads((Path(c) / "metrics.json").read_text()) for c in args.compare]
    out = Path(args.output_dir)
    if args.card_only or args.rescore:
        from shared.cards import write_model_card

        metrics = json.loads((out / "metrics.json").read_text())
        if args.rescore:
            metrics["test"] = rescore(args, out)
            metrics["rescored"] = "test scores re-measured from the saved folder with --rescore"
            common.write_metrics(out, metrics)
        plot = "training_curve.png" if (out / "training_curve.png").exists() else None
        write_model_card(out, plot=plot, **card_kwargs(metrics, others))
        print(f"rewrote {out / 'README.md'}")
        return metrics
    if args.threads:
        torch.set_num_threads(args.threads)
    common.set_seed(args.seed)
    t_start = time.time()

    dd, labels, kind = load_data(args)
    pos = positive_label(labels)
    name = "QNLI-from-SQuAD" if kind == "local" else args.dataset
    print(pairs.summary(dd) if kind == "local" else dd, flush=True)
    base = baselines(dd, pos)
    print(f"baselines on test: majority {base['majority']['accuracy']:.4f}, "
          f"overlap>={base['overlap']['threshold']} {base['overlap']['accuracy']:.4f}", flush=True)

    tokenizer = common.load_tokenizer(args.model)
    tok = tokenize(dd, tokenizer, args.max_length)
    train_ds, val_ds, test_ds = tok["train"], tok["validation"], tok["test"]
    if args.smoke:
        train_ds = val_ds = common.smoke_slice(train_ds)
    model = common.build_classifier(args.model, labels, method=args.method, lora_r=args.lora_r)
    pre = common.preflight(model, tokenizer, train_ds, num_labels=len(labels), max_length=args.max_length)

    t_train = time.time()
    if args.loop == "trainer":
        runner = common.train(args, model, tokenizer, train_ds, val_ds, compute_metrics=make_compute_metrics(pos),
                              metric="accuracy")
        train_seconds = next((h["train_runtime"] for h in reversed(runner.state.log_history)
                              if "train_runtime" in h), time.time() - t_train)
        test_pred, _ = common.predict_labels(runner, test_ds)
        model = runner.model
        val_best = max((h["eval_accuracy"] for h in runner.state.log_history if "eval_accuracy" in h), default=None)
    else:
        runner = accelerate_loop(args, model, tokenizer, train_ds, val_ds, pos)
        train_seconds = runner.train_seconds
        model = runner.model
        test_pred = predict_ids(model, tokenizer, test_ds)
        val_best = max((h["eval_accuracy"] for h in runner.state.log_history if "eval_accuracy" in h), default=None)
    test = scores(test_pred, np.array(test_ds["labels"]), pos)
    print(f"test ({len(test_ds)} pairs): accuracy {test['accuracy']:.4f}, F1 {test['f1']:.4f}", flush=True)

    common.save_model(runner, tokenizer, out, base_model=args.model)
    trainable, total = common.count_parameters(model)
    epochs = int(math.ceil(args.epochs))
    metrics = {
        "loop": args.loop, "test": test, "validation": {"accuracy": val_best}, "baselines": base,
        "labels": labels, "pos_label": pos,
        "data": {"kind": kind, "name": name, "sizes": {k: len(v) for k, v in dd.items()},
                 "label_balance": {k: pairs.label_balance(v) for k, v in dd.items()} if kind == "local" else None,
                 "articles": {k: len(set(v["group"])) for k, v in dd.items()} if kind == "local" else None,
                 "build_stats": getattr(dd, "build_stats", None),
                 "card_text": data_card_text(dd, kind, name)},
        "preflight": pre, "train_seconds": train_seconds, "train_seconds_per_epoch": train_seconds / epochs,
        "total_seconds": time.time() - t_start, "trainable_parameters": trainable, "total_parameters": total,
        "smoke_losses": list(getattr(runner, "smoke_losses", ())) or None,
        "args": {k: v for k, v in vars(args).items() if k not in ("compare",)}, "env": common.hf_env_summary(),
    }
    common.finish(args, runner, metrics, card=card_kwargs(metrics, others))
    return metrics


if __name__ == "__main__":
    main()
