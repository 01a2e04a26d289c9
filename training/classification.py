"""Classification, what training/sentiment.py, training/pair_classification.py and training/ner.py share: the
model (LoRA on AutoModelForSequenceClassification or AutoModelForTokenClassification), the ch8 preflight (for
sequence heads), and the Trainer run.

Model format: a PEFT LoRA adapter ("all-linear" targets, so it works unchanged with any BERT-like encoder) plus
the fully trained classification head (and pooler when there is one). The base weights load through
`shared.hub.base_model_path` (the packaged MiniLM offline) while the saved adapter_config.json names the real
Hub id, so the folder also loads the usual way on a machine with network. `shared.modeling.load_classifier`
is the inference side.
"""

from __future__ import annotations

import argparse
import math
import os

import numpy as np
import torch

from shared import hub
from shared.metrics import accuracy_f1
from training import common


def add_args(parser: argparse.ArgumentParser, *, lora_r: int = 16) -> argparse.ArgumentParser:
    g = parser.add_argument_group("classifier options")
    g.add_argument("--method", choices=["lora", "full"], default="lora",
                   help="lora: small adapter + head (default); full: fine-tune every weight (large checkpoint)")
    g.add_argument("--lora-r", type=int, default=lora_r, help="LoRA rank")
    g.add_argument("--cpu-bf16", action=argparse.BooleanOptionalAction, default=True,
                   help="on a CPU with native bf16 (avx512_bf16, AMX), run the matrix products in bf16 autocast")
    return parser


def load_tokenizer(model_id: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(hub.base_model_path(model_id))


def build_classifier(model_id: str, labels: list[str], *, method: str = "lora", lora_r: int = 16,
                     lora_alpha: int | None = None, lora_dropout: float = 0.1, head: str = "sequence",
                     token_types: int | None = None, freeze_embeddings: bool = False):
    """A classifier on `model_id` (loaded via base_model_path), LoRA-wrapped by default. `head`: "sequence"
    (AutoModelForSequenceClassification) or "token" (AutoModelForTokenClassification). `token_types`: widen the
    token-type embeddings to that many rows (new rows start as a copy of row 0, so the model begins unchanged)
    and train them in full (shared.tasks.ner's casing feature). `freeze_embeddings`: with method="full", keep the
    word embeddings as pre-trained."""
    import transformers
    from transformers.utils import logging as hf_logging

    from shared.modeling import HEADS

    id2label = dict(enumerate(labels))
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "classifier newly initialized" is expected here
    try:
        model = getattr(transformers, HEADS[head]).from_pretrained(
            hub.base_model_path(model_id), num_labels=len(labels), id2label=id2label,
            label2id={v: k for k, v in id2label.items()}, use_safetensors=True)
    finally:
        hf_logging.set_verbosity(verbosity)
    model.config._name_or_path = model_id  # the real Hub id, not the site-packages path
    extra = []
    if token_types:
        extra = [widen_token_types(model, token_types)]
    if method == "full":
        if freeze_embeddings:  # the vocabulary's 11.7M (MiniLM) embeddings stay as pre-trained: half the optimizer state
            model.get_input_embeddings().requires_grad_(False)
        return model
    from peft import LoraConfig, TaskType, get_peft_model

    heads = head_modules(model)
    in_head = [name for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)
               and any(name == h or name.startswith(h + ".") for h in heads)]
    task_type = {"sequence": TaskType.SEQ_CLS, "token": TaskType.TOKEN_CLS, "qa": TaskType.QUESTION_ANS}[head]
    config = LoraConfig(task_type=task_type, r=lora_r,
                        lora_alpha=lora_alpha or 2 * lora_r, lora_dropout=lora_dropout, target_modules="all-linear",
                        exclude_modules=in_head or None,
                        modules_to_save=[h.rsplit(".", 1)[-1] for h in heads] + extra)
    model = get_peft_model(model, config)
    model.peft_config["default"].base_model_name_or_path = model_id
    return model


def widen_token_types(model, rows: int) -> str:
    """Give the encoder `rows` token types (config.type_vocab_size) and mark config.casing_feature; returns the
    module's name for modules_to_save."""
    embeddings = model.get_input_embeddings()  # word embeddings; token types sit beside them
    owner = next(m for m in model.modules() if hasattr(m, "token_type_embeddings") and
                 getattr(m, "word_embeddings", None) is embeddings)
    old = owner.token_type_embeddings
    new = torch.nn.Embedding(rows, old.embedding_dim)
    with torch.no_grad():
        new.weight[:] = old.weight[0]
        new.weight[:old.num_embeddings] = old.weight
    owner.token_type_embeddings = new
    model.config.type_vocab_size = rows
    model.config.casing_feature = True
    return "token_type_embeddings"


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


def trainable_parameters(model) -> tuple[int, int]:
    """(trainable, total) parameters: peft's count for an adapter, transformers' otherwise."""
    if hasattr(model, "get_nb_trainable_parameters"):
        return model.get_nb_trainable_parameters()
    return model.num_parameters(only_trainable=True), model.num_parameters()


# ---------------------------------------------------------------- checks

def _stop(sentence: str):
    raise SystemExit(f"Preflight check failed: {sentence}")


def preflight(model, tokenizer, dataset, *, num_labels: int | None, max_length: int, n_forward: int = 4,
              collator=None, label_columns: tuple[str, ...] = ("labels",)) -> dict:
    """The course's ch8 checks before a long run; stops with SystemExit and a sentence on a mistake.

    Any head: `label_columns` hold class ids (one per example, or one per token with -100 for "ignore") in
    [0, num_labels), or, with num_labels=None, positions inside the example (QA's start/end). Checks: the labels;
    token lengths respect `max_length` and the model's window and are not all empty; one batch, made by
    `collator` (default: padding), runs forward with a finite loss and `num_labels` outputs per prediction.
    Returns a few statistics for metrics.json.
    """
    from transformers import DataCollatorWithPadding

    config = model.config
    if len(dataset) == 0:
        _stop("the training set is empty.")
    if "input_ids" not in dataset.column_names:
        _stop("the dataset is not tokenized (no 'input_ids' column).")
    missing = [c for c in label_columns if c not in dataset.column_names]
    if missing:
        _stop(f"the dataset has no {missing[0]!r} column (columns: {', '.join(dataset.column_names)}).")
    lengths = np.array([len(x) for x in dataset["input_ids"]])
    counts = None
    for column in label_columns:
        rows = dataset[column]
        flat = np.asarray([v for row in rows for v in (row if isinstance(row, list) else [row])])
        if flat.size and not np.issubdtype(flat.dtype, np.integer):
            _stop(f"{column} must be integers, found values like {flat[:3].tolist()}.")
        flat = flat[flat != -100]
        if flat.size == 0:
            _stop(f"every {column} value is -100 (ignored): nothing to learn from.")
        if num_labels:
            bad = flat[(flat < 0) | (flat >= num_labels)]
            if num_labels <= 64:  # class counts (not a vocabulary's)
                counts = np.bincount(flat[(flat >= 0) & (flat < num_labels)], minlength=num_labels).tolist()
            limits = f"0..{num_labels - 1}"
        else:
            bad = np.asarray([p for p, n in zip(rows, lengths) if not 0 <= p < n])
            limits = "the example's tokens"
        if bad.size:
            _stop(f"{bad.size} {column} are outside {limits} (e.g. {sorted(set(bad.tolist()))[:5]}); "
                  "check the label mapping.")
    limit = min(max_length, getattr(config, "max_position_embeddings", None) or max_length)
    if lengths.max() > limit:
        _stop(f"an example has {lengths.max()} tokens but the limit is {limit}; "
              "tokenize with truncation=True and max_length.")
    if np.median(lengths) <= 2:
        _stop("most examples have no tokens besides [CLS]/[SEP]: the text column is probably empty or wrong.")
    n = min(n_forward, len(dataset))
    rows = [dataset[i] for i in range(n)]
    if collator is None:  # padding only: keep the model's inputs and the labels
        keep = {"input_ids", "attention_mask", "token_type_ids", *label_columns}
        collator, rows = DataCollatorWithPadding(tokenizer), [{k: v for k, v in r.items() if k in keep} for r in rows]
    batch = collator(rows)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(**{k: v.to(device) for k, v in batch.items() if torch.is_tensor(v)})
    except Exception as e:  # noqa: BLE001  (shape mismatches, wrong dtypes...: any failure is reported)
        _stop(f"one forward pass failed: {type(e).__name__}: {e}")
    finally:
        model.train(was_training)
    if out.loss is None or not torch.isfinite(out.loss):
        _stop(f"the loss of one batch is {out.loss}, not a finite number.")
    logits = out.logits if "logits" in out else out.start_logits
    if logits.shape[0] != n or (num_labels and logits.shape[-1] != num_labels):
        _stop(f"the model has {logits.shape[-1]} outputs (logits {tuple(logits.shape)}) but the task has "
              f"{num_labels} labels and {n} examples.")
    stats = {"examples": len(dataset), "label_counts": counts,
             "tokens_median": float(np.median(lengths)), "tokens_max": int(lengths.max()),
             "truncated_fraction": float(np.mean(lengths >= max_length)), "first_batch_loss": float(out.loss)}
    chance = f" (chance: {math.log(num_labels):.3f})" if num_labels else ""
    print(f"preflight ok: {stats['examples']} examples, "
          f"median {stats['tokens_median']:.0f} tokens (max {stats['tokens_max']}), "
          f"one-batch loss {stats['first_batch_loss']:.3f}{chance}", flush=True)
    return stats


# ---------------------------------------------------------------- the Trainer run

def accuracy_metrics(eval_pred) -> dict:
    """compute_metrics for Trainer: accuracy and macro-F1 from logits."""
    logits, labels = eval_pred
    logits = logits[0] if isinstance(logits, tuple) else logits
    return accuracy_f1(labels, np.argmax(logits, axis=-1))


def settings(args) -> dict:
    """common.device_settings for this run: bf16 autocast on a bf16 CPU unless --no-cpu-bf16 (never in --smoke)."""
    return common.device_settings(cpu_bf16=getattr(args, "cpu_bf16", False) and not args.smoke)


def training_arguments(args, n_train: int, *, metric: str = "accuracy"):
    from transformers import TrainingArguments

    dev = settings(args)
    smoke = args.smoke
    batch = min(args.batch_size, n_train) if smoke else args.batch_size
    return TrainingArguments(
        output_dir=str(common.checkpoints_dir(args.output_dir)),
        num_train_epochs=common.SMOKE_STEPS if smoke else args.epochs,  # smoke: one batch per epoch
        learning_rate=common.SMOKE_LR if smoke else args.lr,
        per_device_train_batch_size=common.per_process_batch(batch),
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
        data_seed=args.seed,
        **common.trainer_options(args, dev),
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
          metric: str = "accuracy", data_collator=None):
    """Run Trainer (tqdm bars, evaluation + checkpoint per epoch, best epoch kept); returns the Trainer.

    --resume continues from the last checkpoint in OUTPUT_DIR/checkpoints. --smoke instead trains on one
    batch and raises SystemExit unless its loss (measured in eval mode before and after) at least halved.
    """
    from transformers import DataCollatorWithPadding

    targs = training_arguments(args, len(train_dataset), metric=metric)
    trainable, total = trainable_parameters(model)
    print(f"training on {settings(args)['device']} in {common.precision_name(settings(args))}; "
          f"trainable parameters {trainable:,} of {total:,}", flush=True)
    trainer = _trainer_class()(model=model, args=targs, train_dataset=train_dataset, eval_dataset=eval_dataset,
                               processing_class=tokenizer,
                               data_collator=data_collator or DataCollatorWithPadding(tokenizer),
                               compute_metrics=compute_metrics)
    if args.smoke:
        before = trainer.evaluate(train_dataset)["eval_loss"]
        trainer.train()
        after = trainer.evaluate(train_dataset)["eval_loss"]
        trainer.smoke_losses = (before, after)
        common.check_smoke(before, after, len(train_dataset), trainer.state.global_step)
    else:
        trainer.train(resume_from_checkpoint=common.resume_checkpoint(args))
    return trainer


def predict_labels(trainer, dataset) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class ids, softmax probabilities) for a tokenized dataset, in its order."""
    out = trainer.predict(dataset)
    logits = out.predictions[0] if isinstance(out.predictions, tuple) else out.predictions
    probs = torch.softmax(torch.from_numpy(np.asarray(logits, dtype=np.float32)), dim=-1).numpy()
    return probs.argmax(-1), probs
