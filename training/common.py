"""The shape every training script shares: arguments, the model, preflight, Trainer, outputs.

A task script (see training/sentiment.py) reads like the course's chapter 3:

    parser = argparse.ArgumentParser(description=...)
    common.add_common_args(parser, output_dir="/tmp/ckpt-sentiment", epochs=3, lr=5e-4, batch_size=32)
    args = common.parse_args(parser, argv, course=COURSE_PRESET)     # --preset course swaps in the course's setup
    common.set_seed(args.seed)
    tokenizer = common.load_tokenizer(args.model)
    model = common.build_classifier(args.model, LABELS, method=args.method, lora_r=args.lora_r)
    train, val = ...tokenized datasets with a "labels" column...
    if args.smoke: train, val = common.smoke_slice(train, args), common.smoke_slice(train, args)
    common.preflight(model, tokenizer, train, num_labels=len(LABELS), max_length=...)
    trainer = common.train(args, model, tokenizer, train, val)       # eval per epoch, resume, smoke check
    common.save_model(trainer, tokenizer, args.output_dir, base_model=args.model)
    ...test metrics, baselines...
    common.finish(args, trainer, metrics, card=dict(title=..., results=[...], ...))

Model format: a PEFT LoRA adapter on AutoModelForSequenceClassification ("all-linear" targets, so it works
unchanged with any BERT-like encoder) plus the fully trained classifier (and pooler when there is one).
The base weights load through `shared.hub.base_model_path` (the packaged MiniLM offline) while the saved
adapter_config.json names the real Hub id, so the folder also loads the usual way on a machine with network.
`shared.modeling.load_classifier` is the inference side.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
from pathlib import Path

import numpy as np
import torch

from shared import hub

SMOKE_EXAMPLES = 8  # the "one batch" of the course's ch8 overfitting check
SMOKE_STEPS = 20
SMOKE_LR = 2e-3
SMOKE_MIN_DROP = 0.5  # the loss on that batch must at least halve


# ---------------------------------------------------------------- arguments

def add_common_args(parser: argparse.ArgumentParser, *, model: str = hub.MINILM, output_dir: str = "/tmp/ckpt",
                    epochs: float = 3, lr: float = 5e-4, batch_size: int = 32, seed: int = 42,
                    max_length: int = 128, lora_r: int = 16, hub_model_id: str | None = None,
                    dataset: str | None = None) -> argparse.ArgumentParser:
    """Add the arguments every training script has; keyword arguments are the script's defaults."""
    g = parser.add_argument_group("common training options")
    g.add_argument("--model", default=model, help=f"base encoder, a Hub id or folder (default: {model})")
    g.add_argument("--dataset", default=dataset,
                   help="a Hub dataset id instead of the local builder (the course preset sets it)")
    g.add_argument("--output-dir", default=output_dir, help="where the checkpoint folder is written")
    g.add_argument("--epochs", type=float, default=epochs)
    g.add_argument("--lr", type=float, default=lr, help="peak learning rate (linear decay)")
    g.add_argument("--batch-size", type=int, default=batch_size)
    g.add_argument("--seed", type=int, default=seed)
    g.add_argument("--max-length", type=int, default=max_length, help="tokens per example after truncation")
    g.add_argument("--method", choices=["lora", "full"], default="lora",
                   help="lora: small adapter + head (default); full: fine-tune every weight (large checkpoint)")
    g.add_argument("--lora-r", type=int, default=lora_r, help="LoRA rank")
    g.add_argument("--smoke", action="store_true",
                   help=f"overfit one batch of {SMOKE_EXAMPLES} examples for {SMOKE_STEPS} steps and fail "
                        "unless the loss at least halves (course ch8); seconds on a CPU")
    g.add_argument("--resume", action="store_true",
                   help="continue from the last checkpoint in OUTPUT_DIR/checkpoints (after a kill)")
    g.add_argument("--push-to-hub", action="store_true", help="upload the finished folder to the Hub")
    g.add_argument("--hub-model-id", default=hub_model_id, help=f"repo to push to (default: {hub_model_id})")
    g.add_argument("--preset", choices=["local", "course"], default="local",
                   help="local: packaged MiniLM + local data (offline, CPU); course: the course's Hub model, "
                        "Hub dataset and hyperparameters (needs network, wants a GPU)")
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None = None,
               course: dict | None = None) -> argparse.Namespace:
    """Parse; with `--preset course`, `course` (e.g. {"model": "bert-base-uncased", "dataset": "glue/sst2",
    "lr": 2e-5, ...}) replaces the defaults, while flags given on the command line still win."""
    args = parser.parse_args(argv)
    if args.preset == "course":
        if not course:
            parser.error("this script has no course preset")
        parser.set_defaults(**{k.replace("-", "_"): v for k, v in course.items()})
        args = parser.parse_args(argv)
    if args.smoke:
        args.epochs = SMOKE_STEPS  # one batch per epoch
    return args


def set_seed(seed: int) -> None:
    from transformers import set_seed as hf_set_seed

    random.seed(seed)
    np.random.seed(seed)
    hf_set_seed(seed)


def device_settings() -> dict:
    """Device and precision, chosen automatically: CUDA with bf16 (or fp16), else CPU in fp32."""
    if torch.cuda.is_available():
        bf16 = torch.cuda.is_bf16_supported()
        return {"device": f"cuda ({torch.cuda.get_device_name(0)})", "bf16": bf16, "fp16": not bf16,
                "use_cpu": False}
    n = torch.get_num_threads()
    return {"device": f"cpu ({n} thread{'s' * (n > 1)})", "bf16": False, "fp16": False, "use_cpu": True}


# ---------------------------------------------------------------- model

def load_tokenizer(model_id: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(hub.base_model_path(model_id))


def build_classifier(model_id: str, labels: list[str], *, method: str = "lora", lora_r: int = 16,
                     lora_alpha: int | None = None, lora_dropout: float = 0.1):
    """AutoModelForSequenceClassification on `model_id` (loaded via base_model_path), LoRA-wrapped by default."""
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    id2label = dict(enumerate(labels))
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "classifier newly initialized" is expected here
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            hub.base_model_path(model_id), num_labels=len(labels), id2label=id2label,
            label2id={v: k for k, v in id2label.items()}, use_safetensors=True)
    finally:
        hf_logging.set_verbosity(verbosity)
    model.config._name_or_path = model_id  # the real Hub id, not the site-packages path
    if method == "full":
        return model
    from peft import LoraConfig, TaskType, get_peft_model

    head = head_modules(model)
    in_head = [name for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)
               and any(name == h or name.startswith(h + ".") for h in head)]
    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=lora_r, lora_alpha=lora_alpha or 2 * lora_r,
                        lora_dropout=lora_dropout, target_modules="all-linear", exclude_modules=in_head or None,
                        modules_to_save=[h.rsplit(".", 1)[-1] for h in head])
    model = get_peft_model(model, config)
    model.peft_config["default"].base_model_name_or_path = model_id
    return model


def head_modules(model) -> list[str]:
    """The classification head, trained in full while LoRA adapts the encoder: every top-level child outside the
    pretrained encoder (BERT and RoBERTa: `classifier`; DistilBERT: `pre_classifier` and `classifier`), plus
    the encoder's pooler when it has one (BERT's `bert.pooler`)."""
    prefix = model.base_model_prefix
    head = [name for name, child in model.named_children()
            if name != prefix and any(True for _ in child.parameters())]
    if getattr(getattr(model, prefix, None), "pooler", None) is not None:
        head.append(f"{prefix}.pooler")
    return head


def count_parameters(model) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------- checks

def _stop(sentence: str):
    raise SystemExit(f"Preflight check failed: {sentence}")


def preflight(model, tokenizer, dataset, *, num_labels: int, max_length: int, label_column: str = "labels",
              collator=None, n_forward: int = 4) -> dict:
    """The course's ch8 checks before a long run; stops with SystemExit and a sentence on a mistake.

    Checks: the model has `num_labels` outputs; every label is an integer in [0, num_labels); token lengths
    respect `max_length` and the model's window and are not all empty; one batch runs forward with a finite
    loss and logits of shape (batch, num_labels). Returns a few statistics for the log/metrics.
    """
    from transformers import DataCollatorWithPadding

    config = getattr(model, "config", None)
    if config is not None and getattr(config, "num_labels", num_labels) != num_labels:
        _stop(f"the model has {config.num_labels} outputs but the task has {num_labels} labels.")
    if label_column not in dataset.column_names:
        _stop(f"the dataset has no '{label_column}' column (columns: {', '.join(dataset.column_names)}).")
    labels = np.asarray(dataset[label_column])
    if labels.size == 0:
        _stop("the training set is empty.")
    if not np.issubdtype(labels.dtype, np.integer):
        _stop(f"labels must be integers 0..{num_labels - 1}, found values like {labels[:3].tolist()}.")
    bad = labels[(labels < 0) | (labels >= num_labels)]
    if bad.size:
        _stop(f"{bad.size} labels are outside 0..{num_labels - 1} (e.g. {sorted(set(bad.tolist()))[:5]}); "
              "check the label mapping.")
    counts = np.bincount(labels, minlength=num_labels)
    if "input_ids" not in dataset.column_names:
        _stop("the dataset is not tokenized (no 'input_ids' column).")
    lengths = np.array([len(x) for x in dataset["input_ids"]])
    window = getattr(config, "max_position_embeddings", None) or max_length
    if lengths.max() > min(max_length, window):
        _stop(f"an example has {lengths.max()} tokens but the limit is {min(max_length, window)}; "
              "tokenize with truncation=True and max_length.")
    if np.median(lengths) <= 2:
        _stop("most examples have no tokens besides [CLS]/[SEP]: the text column is probably empty or wrong.")
    collator = collator or DataCollatorWithPadding(tokenizer)
    n = min(n_forward, len(dataset))
    keep = [c for c in dataset.column_names if c in ("input_ids", "attention_mask", "token_type_ids", label_column)]
    batch = collator([{k: dataset[i][k] for k in keep} for i in range(n)])
    if label_column != "labels":
        batch["labels"] = batch.pop(label_column)
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in batch.items()}
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(**batch)
    except Exception as e:  # shape mismatches, wrong dtypes...
        _stop(f"one forward pass failed: {type(e).__name__}: {e}")
    finally:
        model.train(was_training)
    if getattr(out, "loss", None) is None:
        _stop("the model returned no loss: the batch has no 'labels'.")
    if not torch.isfinite(out.loss):
        _stop(f"the loss of one batch is {out.loss.item()}, not a finite number.")
    if tuple(out.logits.shape) != (n, num_labels):
        _stop(f"logits have shape {tuple(out.logits.shape)}, expected ({n}, {num_labels}).")
    stats = {"examples": int(len(dataset)), "label_counts": counts.tolist(),
             "tokens_median": float(np.median(lengths)), "tokens_max": int(lengths.max()),
             "truncated_fraction": float(np.mean(lengths >= max_length)), "first_batch_loss": float(out.loss)}
    print(f"preflight ok: {stats['examples']} examples, labels {stats['label_counts']}, "
          f"median {stats['tokens_median']:.0f} tokens (max {stats['tokens_max']}), "
          f"one-batch loss {stats['first_batch_loss']:.3f} (chance: {math.log(num_labels):.3f})", flush=True)
    return stats


def smoke_slice(dataset, n: int = SMOKE_EXAMPLES, seed: int = 0):
    """The one batch that --smoke overfits (same examples for training and evaluation)."""
    return dataset.shuffle(seed=seed).select(range(min(n, len(dataset))))


# ---------------------------------------------------------------- training

def accuracy_f1(labels, preds, n_labels: int | None = None) -> dict:
    """Accuracy and macro-F1 (sklearn). With `n_labels`, every class 0..n_labels-1 counts in the macro mean,
    even one absent from both labels and predictions (its F1 is then 0)."""
    from sklearn.metrics import f1_score

    labels, preds = np.asarray(labels), np.asarray(preds)
    classes = None if n_labels is None else list(range(n_labels))
    return {"accuracy": float((labels == preds).mean()),
            "f1_macro": float(f1_score(labels, preds, labels=classes, average="macro", zero_division=0))}


def accuracy_metrics(eval_pred) -> dict:
    """compute_metrics for Trainer: accuracy and macro-F1 from logits."""
    logits, labels = eval_pred
    logits = logits[0] if isinstance(logits, tuple) else logits
    return accuracy_f1(labels, np.argmax(logits, axis=-1))


def checkpoints_dir(output_dir: str | Path) -> Path:
    return Path(output_dir) / "checkpoints"


def training_arguments(args, n_train: int, *, metric: str = "accuracy"):
    from transformers import TrainingArguments

    dev = device_settings()
    smoke = args.smoke
    batch = min(args.batch_size, n_train) if smoke else args.batch_size
    return TrainingArguments(
        output_dir=str(checkpoints_dir(args.output_dir)),
        num_train_epochs=args.epochs,
        learning_rate=SMOKE_LR if smoke else args.lr,
        per_device_train_batch_size=batch,
        per_device_eval_batch_size=max(batch, 64),
        warmup_steps=0 if smoke else 0.06,  # a float is a fraction of the steps
        weight_decay=0.0 if smoke else 0.01,
        lr_scheduler_type="constant" if smoke else "linear",
        eval_strategy="no" if smoke else "epoch",
        save_strategy="no" if smoke else "epoch",
        save_total_limit=2,
        load_best_model_at_end=not smoke,
        metric_for_best_model=metric,
        logging_steps=1 if smoke else max(1, min(50, n_train // batch // 10)),
        logging_first_step=True,
        seed=args.seed,
        data_seed=args.seed,
        report_to="none",
        bf16=dev["bf16"], fp16=dev["fp16"], use_cpu=dev["use_cpu"],
        dataloader_num_workers=0,
        train_sampling_strategy="random" if smoke else "group_by_length",  # less padding: faster on CPU
    )


def _trainer_class():
    from torch.utils.data import SequentialSampler
    from transformers import Trainer

    class OrderedEvalTrainer(Trainer):
        """Trainer whose evaluation/predict keep the dataset's order.

        transformers applies train_sampling_strategy="group_by_length" to evaluation too, so `predict()` would
        return predictions in length-sorted order, not aligned with the dataset (accuracy ~ chance).
        """

        def _get_eval_sampler(self, eval_dataset):
            return SequentialSampler(eval_dataset) if eval_dataset is not None else None

        def _save(self, output_dir=None, state_dict=None):
            """Epoch checkpoints of a LoRA model: PEFT's default save_embedding_layers="auto" would look the base
            model up on the Hub at every save; the vocabulary never changes here, so say so and stay offline."""
            if not hasattr(self.model, "peft_config"):
                return super()._save(output_dir, state_dict)
            output_dir = output_dir or self.args.output_dir
            os.makedirs(output_dir, exist_ok=True)
            self.model.save_pretrained(output_dir, state_dict=state_dict, save_embedding_layers=False)
            if self.processing_class is not None:
                self.processing_class.save_pretrained(output_dir)

    return OrderedEvalTrainer


def train(args, model, tokenizer, train_dataset, eval_dataset, *, compute_metrics=accuracy_metrics,
          data_collator=None, metric: str = "accuracy"):
    """Run Trainer (tqdm bars, evaluation + checkpoint per epoch, best epoch kept); returns the Trainer.

    --resume continues from the last checkpoint in OUTPUT_DIR/checkpoints. --smoke instead trains on one
    batch and raises SystemExit unless its loss (measured in eval mode before and after) at least halved.
    """
    from transformers import DataCollatorWithPadding
    from transformers.trainer_utils import get_last_checkpoint

    targs = training_arguments(args, len(train_dataset), metric=metric)
    print(f"training on {device_settings()['device']}"
          f"{' with bf16' if targs.bf16 else ' with fp16' if targs.fp16 else ' in fp32'}; "
          f"trainable parameters {count_parameters(model)[0]:,} of {count_parameters(model)[1]:,}", flush=True)
    trainer = _trainer_class()(model=model, args=targs, train_dataset=train_dataset, eval_dataset=eval_dataset,
                      processing_class=tokenizer, data_collator=data_collator or DataCollatorWithPadding(tokenizer),
                      compute_metrics=compute_metrics)
    resume = None
    if args.resume:
        ckpts = checkpoints_dir(args.output_dir)
        resume = get_last_checkpoint(str(ckpts)) if ckpts.is_dir() else None
        print(f"resuming from {resume}" if resume else f"--resume: no checkpoint in {ckpts}, starting fresh",
              flush=True)
    if args.smoke:
        before = trainer.evaluate(train_dataset)["eval_loss"]
        trainer.train()
        after = trainer.evaluate(train_dataset)["eval_loss"]
        trainer.smoke_losses = (before, after)
        print(f"smoke check (overfit one batch): loss {before:.4f} -> {after:.4f}", flush=True)
        if not after <= SMOKE_MIN_DROP * before:
            raise SystemExit(f"Smoke check failed: the loss on one batch of {len(train_dataset)} examples went "
                             f"from {before:.4f} to {after:.4f} in {trainer.state.global_step} steps; it should "
                             f"at least halve. Check the labels, the learning rate and which weights train.")
    else:
        trainer.train(resume_from_checkpoint=resume)
    return trainer


def predict_labels(trainer, dataset) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class ids, softmax probabilities) for a tokenized dataset."""
    out = trainer.predict(dataset)
    logits = out.predictions[0] if isinstance(out.predictions, tuple) else out.predictions
    probs = torch.softmax(torch.from_numpy(np.asarray(logits, dtype=np.float32)), dim=-1).numpy()
    return probs.argmax(-1), probs


# ---------------------------------------------------------------- outputs

def save_model(trainer_or_model, tokenizer, folder: str | Path, *, base_model: str) -> Path:
    """Write the adapter (or full model) + config with id2label + tokenizer; adapter_config names `base_model`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # a model is saved as is; anything else (a Trainer, the accelerate loop's result) carries it as `.model`
    # (a PeftModel also answers `.model`, with its inner transformers model: hence the isinstance)
    model = trainer_or_model if isinstance(trainer_or_model, torch.nn.Module) else trainer_or_model.model
    if hasattr(model, "peft_config"):
        model.peft_config["default"].base_model_name_or_path = base_model
        # save_embedding_layers=False: the vocabulary is unchanged, and "auto" would look the base up online
        model.save_pretrained(folder, safe_serialization=True, save_embedding_layers=False)
        config = model.get_base_model().config
        config._name_or_path = base_model
        config.save_pretrained(folder)  # num_labels, id2label/label2id, architecture
    else:
        model.config._name_or_path = base_model
        model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def write_metrics(folder: str | Path, metrics: dict) -> Path:
    path = Path(folder) / "metrics.json"
    path.write_text(json.dumps(metrics, indent=2, sort_keys=False, default=float) + "\n")
    return path


def plot_training(log_history: list[dict], path: str | Path, *, metric: str = "accuracy",
                  title: str = "") -> Path:
    """Training loss per logged step (left) and the validation metric per epoch (right), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [(h["step"], h["loss"]) for h in log_history if "loss" in h and "step" in h]
    evals = [(h["epoch"], h[f"eval_{metric}"]) for h in log_history if f"eval_{metric}" in h]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=100)
    if steps:
        a.plot(*zip(*steps), color="tab:blue")
    a.set(xlabel="step", ylabel="training loss", title="loss per step")
    if evals:
        b.plot(*zip(*evals), marker="o", color="tab:green")
    b.set(xlabel="epoch", ylabel=f"validation {metric}", title=f"{metric} per epoch")
    for ax in (a, b):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


def finish(args, trainer, metrics: dict, *, card: dict, metric: str = "accuracy") -> Path:
    """Write metrics.json, training_curve.png and the model card (shared.cards.write_model_card(**card)),
    remove the Trainer checkpoints of a finished run, and push the folder when --push-to-hub."""
    from shared.cards import write_model_card

    folder = Path(args.output_dir)
    plot = plot_training(trainer.state.log_history, folder / "training_curve.png", metric=metric,
                         title=card.get("title", ""))
    write_metrics(folder, metrics)
    write_model_card(folder, plot=plot.name, **card)
    shutil.rmtree(checkpoints_dir(folder), ignore_errors=True)
    if args.push_to_hub:
        if not args.hub_model_id:
            raise SystemExit("--push-to-hub needs --hub-model-id")
        if hub.is_offline():
            raise SystemExit("--push-to-hub: HF_HUB_OFFLINE is set, so nothing can be uploaded.")
        url = hub.push_folder(folder, args.hub_model_id)
        print(f"pushed to {url}", flush=True)
    print(f"wrote {folder} ({folder_size(folder) / 1e6:.1f} MB)", flush=True)
    return folder


def folder_size(folder: str | Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def hf_env_summary() -> dict:
    import transformers

    return {"transformers": transformers.__version__, "torch": torch.__version__,
            "device": device_settings()["device"], "hf_hub_offline": hub.is_offline(),
            "threads": torch.get_num_threads()}
