"""Masked language modelling (course chapter 7.3): an MLM head for MiniLM on general English, then domain
adaptation to movie reviews, as the course adapts DistilBERT to IMDb.

    python -m training.fill_mask --domain general --top-layers 3 --epochs 3 --lr 5e-4 \
        --output-dir checkpoints/fill_mask_general
    python -m training.fill_mask --domain reviews --init checkpoints/fill_mask_general --epochs 3 --lr 2e-4 \
        --output-dir checkpoints/fill_mask
    python -m training.fill_mask --smoke                 # overfit one batch of the smoke data in seconds
    python -m training.fill_mask --rescore --output-dir checkpoints/fill_mask   # re-measure a finished folder
    python -m training.fill_mask --masking word          # the course's whole-word-masking collator
    python -m training.fill_mask --preset course         # distilbert-base-uncased on IMDb (network, GPU)

all-MiniLM-L6-v2 ships without an MLM head. `--domain general` trains one (BERT's transform + LayerNorm; the
decoder tied to the input embeddings) and a LoRA adapter on the encoder; with `--top-layers N` the top N encoder
layers train in full instead of through LoRA (MiniLM's layers were tuned for sentence embeddings, not for
predicting words: a rank-16 update left "capital" 10th for "Paris is the [MASK] of France."), and the adapter file
carries them in fp16. `--domain reviews --init FOLDER` continues that model on the VADER corpus's Rotten Tomatoes
snippets (train split only). The course's data steps: tokenize with word ids, `group_texts` into chunks of 128
tokens, mask 15% of the tokens (`DataCollatorForLanguageModeling`) or of the words (`--masking word`).
Perplexity = exp(mean cross-entropy on masked tokens) of held-out review and general text, with masks drawn once
(seeded) so runs compare; baseline: each token's frequency in the training chunks (a unigram model) on the same
masks. To save time only the masked positions go through the vocabulary-sized decoder (the loss is the same).
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import re
import time

import numpy as np

from shared import hub
from shared.data import mlm as mlm_data
from shared.tasks import fill_mask
from training import classification, common

CHUNK = 128
MASK_PROBABILITY = 0.15
PROBE = "This is a great [MASK]."  # the course's probe of domain adaptation
SMOKE = {"brown": common.SMOKE_DATA / "brown", "squad": common.SMOKE_DATA / "pairs" / "squad_tiny.json",
         "vader": common.SMOKE_DATA / "vader"}
COURSE_PRESET = {"model": "distilbert-base-uncased", "dataset": "imdb", "lr": 2e-5, "epochs": 3, "batch_size": 64,
                 "method": "full"}
COURSE_REFERENCE = {"model": "distilbert-base-uncased", "dataset": "IMDb", "perplexity_before": 21.75,
                    "perplexity_after": 11.32}
CARD = {"license": "apache-2.0", "pipeline_tag": "fill-mask", "task_name": "Masked language modelling",
        "tags": ["fill-mask", "lora", "domain-adaptation"]}
TITLES = {"general": "MiniLM masked language model (general English)",
          "reviews": "MiniLM masked language model, adapted to movie reviews"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-fill-mask", hub_model_id=None)
    common.add_training_args(parser, epochs=1, lr=5e-4, batch_size=32, max_length=CHUNK)  # --max-length: chunk size
    classification.add_args(parser, lora_r=16)
    parser.add_argument("--domain", choices=["general", "reviews"], default="general",
                        help="general English (Brown, SQuAD-Shifts paragraphs) or movie reviews (VADER)")
    parser.add_argument("--init", default=None, help="a finished --domain general folder to continue from")
    parser.add_argument("--masking", choices=["token", "word"], default="token",
                        help="mask 15%% of tokens (DataCollatorForLanguageModeling) or of whole words")
    parser.add_argument("--top-layers", type=int, default=0,
                        help="train the top N encoder layers in full (LoRA on the layers below; stored in fp16)")
    parser.add_argument("--max-chunks", type=int, default=None, help="train on at most N chunks of 128 tokens")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    return parser


# ------------------------------------------------------------------------------- the course's data steps

def tokenize(examples: dict, tokenizer) -> dict:
    result = tokenizer(examples["text"])
    result["word_ids"] = [result.word_ids(i) for i in range(len(result["input_ids"]))]
    return result


def group_texts(examples: dict, chunk_size: int = CHUNK) -> dict:
    """Concatenate every column, cut into chunks of `chunk_size` (the remainder dropped); labels = input ids."""
    concatenated = {k: sum(examples[k], []) for k in examples}
    total = len(concatenated["input_ids"]) // chunk_size * chunk_size
    result = {k: [t[i:i + chunk_size] for i in range(0, total, chunk_size)] for k, t in concatenated.items()}
    result["labels"] = [list(ids) for ids in result["input_ids"]]
    return result


def whole_word_masking(features: list[dict], tokenizer, probability: float = MASK_PROBABILITY, rng=np.random):
    """The course's whole-word-masking collator: each word (all its pieces) is masked with `probability`;
    only masked pieces keep a label."""
    from transformers import default_data_collator

    batch = []
    for feature in features:
        feature = dict(feature)
        words = collections.defaultdict(list)
        current, previous = -1, None
        for idx, word_id in enumerate(feature.pop("word_ids")):
            if word_id is not None:
                if word_id != previous:
                    current += 1
                    previous = word_id
                words[current].append(idx)
        chosen = np.where(rng.binomial(1, probability, (len(words),)))[0]
        input_ids, labels = list(feature["input_ids"]), [-100] * len(feature["labels"])
        for word in chosen:
            for idx in words[word]:
                labels[idx] = feature["labels"][idx]
                input_ids[idx] = tokenizer.mask_token_id
        batch.append({**feature, "input_ids": input_ids, "labels": labels})
    return default_data_collator(batch)


def collator(tokenizer, masking: str):
    from transformers import DataCollatorForLanguageModeling

    if masking == "word":
        return lambda features: whole_word_masking(features, tokenizer)
    token_collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=MASK_PROBABILITY)
    return lambda features: token_collator([{k: v for k, v in f.items() if k != "word_ids"} for f in features])


def chunks(texts, tokenizer, chunk_size: int = CHUNK):
    tokenized = texts.map(tokenize, batched=True, remove_columns=texts.column_names, fn_kwargs={"tokenizer": tokenizer})
    return tokenized.map(group_texts, batched=True, fn_kwargs={"chunk_size": chunk_size})


def fixed_masks(dataset, tokenizer, seed: int):
    """The course's `insert_random_mask`: masks drawn once (seeded), so every model is scored on the same ones."""
    import torch

    token_collator = collator(tokenizer, "token")
    torch.manual_seed(seed)
    batch = token_collator([dataset[i] for i in range(len(dataset))])
    return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"], "labels": batch["labels"]}


# ------------------------------------------------------------------------------------------- model

def build_mlm(model_id: str, *, lora_r: int, init: str | None = None, method: str = "lora", top_layers: int = 0):
    """AutoModelForMaskedLM on `model_id` with LoRA on the encoder and the head's transform trained in full (the
    decoder stays tied to the input embeddings); `top_layers`: the top N encoder layers trained in full too (LoRA
    on the layers below); `init`: continue a saved adapter instead."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForMaskedLM
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "cls.predictions.* newly initialized": that is the head trained here
    try:
        model = AutoModelForMaskedLM.from_pretrained(hub.base_model_path(model_id), use_safetensors=True,
                                                     dtype=torch.float32)
    finally:
        hf_logging.set_verbosity(verbosity)
    model.config._name_or_path = model_id
    if init:
        return PeftModel.from_pretrained(model, init, is_trainable=True)
    if method == "full":  # the course's way (--preset course): every weight, the tied embeddings too
        return model
    head = head_modules(model)
    top, lower = split_layers(model, top_layers)
    config = LoraConfig(r=lora_r, lora_alpha=2 * lora_r, lora_dropout=0.1, target_modules=lower or "all-linear",
                        exclude_modules=head, modules_to_save=head + top)
    model = get_peft_model(model, config)
    model.peft_config["default"].base_model_name_or_path = model_id
    return model


def head_modules(model) -> list[str]:
    """The MLM head's own layers, outside the encoder and apart from the tied decoder (BERT:
    cls.predictions.transform.{dense,LayerNorm}; DistilBERT: vocab_transform, vocab_layer_norm)."""
    import torch

    decoder = model.get_output_embeddings()
    prefix = model.base_model_prefix
    return [name for name, module in model.named_modules()
            if not name.startswith(prefix) and module is not decoder
            and isinstance(module, (torch.nn.Linear, torch.nn.LayerNorm))]


def split_layers(model, top_layers: int) -> tuple[list[str], list[str]]:
    """(names of the top `top_layers` encoder layers, names of the linear layers in the encoder layers below);
    ([], []) for 0. BERT and DistilBERT both number their layers `...layer.N`."""
    import torch

    if not top_layers:
        return [], []
    layers = [name for name, _ in model.named_modules() if re.fullmatch(r".*\.layer\.\d+", name)]
    if top_layers > len(layers):
        raise ValueError(f"--top-layers {top_layers}: the encoder has {len(layers)} layers")
    top = layers[len(layers) - top_layers:]
    lower = [name for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)
             and any(name.startswith(layer + ".") for layer in layers[:len(layers) - top_layers])]
    return top, lower


def masked_logits(model, batch):
    """(logits of the masked positions only, their labels): the decoder runs on 15% of the positions. `model` may
    be wrapped for several processes (DistributedDataParallel): the decoder is looked up in the model inside."""
    from accelerate.utils import extract_model_from_parallel

    decoder = extract_model_from_parallel(model).get_output_embeddings()
    keep = batch["labels"] != -100
    handle = decoder.register_forward_pre_hook(lambda module, args: (args[0][keep],))
    try:
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    finally:
        handle.remove()
    return out.logits, batch["labels"][keep]


def make_trainer_class():
    import torch
    from transformers import Trainer

    class MaskedOnlyTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            logits, labels = masked_logits(model, inputs)
            loss = torch.nn.functional.cross_entropy(logits.float(), labels, reduction="sum")
            loss = loss / (num_items_in_batch if num_items_in_batch is not None else labels.numel())
            return (loss, None) if return_outputs else loss

    return MaskedOnlyTrainer


# ----------------------------------------------------------------------------------------- scoring

def perplexity(model, masked: dict, batch_size: int = 64) -> float:
    import torch

    total, count = 0.0, 0
    model.eval()
    with torch.inference_mode():
        for i in range(0, len(masked["input_ids"]), batch_size):
            batch = {k: v[i:i + batch_size] for k, v in masked.items()}
            logits, labels = masked_logits(model, batch)
            total += float(torch.nn.functional.cross_entropy(logits.float(), labels, reduction="sum"))
            count += labels.numel()
    return math.exp(total / count)


def unigram_perplexity(train_chunks, masked: dict, vocab_size: int) -> float:
    """Each masked token predicted by its add-one-smoothed frequency in the training chunks."""
    counts = np.bincount(np.concatenate([np.asarray(ids) for ids in train_chunks["input_ids"]]),
                         minlength=vocab_size).astype(np.float64) + 1
    labels = masked["labels"].numpy()
    targets = labels[labels != -100]
    return float(np.exp(-np.mean(np.log(counts[targets] / counts.sum()))))


def top_k(model, tokenizer, text: str = PROBE, k: int = 5) -> dict:
    model.eval()
    found = fill_mask.top_tokens(model, tokenizer, tokenizer(text, return_tensors="pt"), k)[0]
    return {token: round(p, 4) for token, p in found.items()}


def load_texts(args) -> dict:
    """{"general": DatasetDict, "reviews": DatasetDict} of text (train / validation)."""
    if args.smoke:
        return {"general": mlm_data.general(SMOKE["brown"], SMOKE["squad"], seed=args.seed),
                "reviews": mlm_data.reviews(SMOKE["vader"])}
    with common.clear_errors("loading the text corpora", "Run once with the package registries reachable."):
        texts = {"general": mlm_data.general(seed=args.seed), "reviews": mlm_data.reviews()}
    if args.dataset:  # e.g. the course's imdb: its train split to adapt on, its test split to score
        import datasets

        hub_data = datasets.load_dataset(args.dataset)
        texts["reviews"] = datasets.DatasetDict(train=hub_data["train"].select_columns(["text"]),
                                                validation=hub_data["test"].select_columns(["text"]))
    return texts


def score(folder_or_model, tokenizer, held_out: dict, baselines: dict | None = None) -> dict:
    """Perplexity on each held-out set (+ the top-5 of the course's probe) of a saved folder, loaded as the Space
    loads it, or of a model object."""
    from shared import modeling

    model = folder_or_model
    if isinstance(folder_or_model, (str, os.PathLike)):
        model, tokenizer = modeling.load_classifier(folder_or_model, head="mlm")
    return {"perplexity": {name: perplexity(model, masked) for name, masked in held_out.items()},
            "probe": top_k(model, tokenizer)}


def chunked_data(args, tokenizer) -> tuple[dict, dict]:
    """({"general"|"reviews": {"train"|"validation": chunks}}, {name: the held-out chunks with their fixed masks})."""
    texts = load_texts(args)
    data = {name: {split: chunks(ds, tokenizer, args.max_length) for split, ds in dd.items()} for name, dd in texts.items()}
    if args.smoke:  # the smoke corpora are a few documents: score on (a slice of) the training chunks
        data = {name: {**splits, "validation": common.smoke_slice(splits["train"])} for name, splits in data.items()}
    return data, {name: fixed_masks(data[name]["validation"], tokenizer, seed=args.seed) for name in data}


def unigram_baseline(data, held_out, domain: str, tokenizer) -> dict:
    return {name: unigram_perplexity(data[domain]["train"], masked, len(tokenizer)) for name, masked in held_out.items()}


def rescore(args) -> dict:
    """Re-measure the finished folder OUTPUT_DIR (and the folder it started from, when it is still there) through
    the Space's loading path, on the same held-out masks; rewrite metrics.json and the card."""
    out = args.output_dir
    metrics = common.read_metrics(out)
    hp = metrics["hyperparameters"]
    args.seed, args.max_length, args.domain, args.smoke = hp["seed"], hp["chunk"], metrics["domain"], metrics["smoke"]
    tokenizer = classification.load_tokenizer(metrics["base_model"])
    data, held_out = chunked_data(args, tokenizer)
    after = score(out, tokenizer, held_out)
    init = metrics.get("init")
    # the starting folder, re-scored while it still holds that start (a model continued in place names itself)
    fresh = init and os.path.isdir(init) and os.path.realpath(init) != os.path.realpath(out)
    before = score(init, tokenizer, held_out) if fresh else metrics["test"]["before"]
    unigram = unigram_baseline(data, held_out, args.domain, tokenizer)
    print(f"perplexity {after['perplexity']} (unigram {unigram}); before {before and before['perplexity']}",
          flush=True)
    metrics.update(test={"model": after, "before": before, "unigram": unigram},
                   results=results(after, before, unigram, args.domain),
                   rescored="test scores re-measured from the saved folder with --rescore")
    return common.rewrite(out, "fill_mask", metrics)


def main(argv: list[str] | None = None) -> dict:
    import transformers
    from transformers import TrainingArguments

    args = common.parse_args(build_parser(), argv, course=COURSE_PRESET)
    if args.card_only:
        return common.rewrite(args.output_dir, "fill_mask")
    if args.domain == "reviews" and not (args.init or args.smoke or args.method == "full"):
        common.fail("--domain reviews adapts a general model: pass --init FOLDER (a finished --domain general run).")
    if args.rescore:
        return rescore(args)
    transformers.set_seed(args.seed)
    started = time.time()
    tokenizer = classification.load_tokenizer(args.model)
    with common.main_process_first():  # the builders cache their downloads; map may write cache files
        data, held_out = chunked_data(args, tokenizer)
    train = data[args.domain]["train"]
    if args.max_chunks:
        train = train.shuffle(seed=args.seed).select(range(min(args.max_chunks, len(train))))
    if args.smoke:
        train = common.smoke_slice(train)
    print({name: {split: len(ds) for split, ds in splits.items()} for name, splits in data.items()},
          f"training on {len(train):,} {args.domain} chunks of {args.max_length} tokens", flush=True)

    if args.init:  # continuing: the folder's own split of layers
        args.top_layers = common.read_metrics(args.init)["hyperparameters"].get("top_layers", 0)
    model = build_mlm(args.model, lora_r=args.lora_r, init=args.init, method=args.method, top_layers=args.top_layers)
    pre = classification.preflight(model, tokenizer, train, num_labels=len(tokenizer), max_length=args.max_length,
                                   collator=collator(tokenizer, args.masking))
    before = score(model, tokenizer, held_out) if args.init else None
    dev = classification.settings(args)
    targs = TrainingArguments(
        output_dir=str(common.checkpoints_dir(args.output_dir)),
        num_train_epochs=common.SMOKE_STEPS if args.smoke else args.epochs,
        learning_rate=common.SMOKE_LR if args.smoke else args.lr,
        per_device_train_batch_size=common.per_process_batch(min(args.batch_size, len(train))),
        lr_scheduler_type="constant" if args.smoke else "linear", warmup_steps=0 if args.smoke else 0.06,
        weight_decay=0.0 if args.smoke else 0.01, logging_steps=1 if args.smoke else 25, logging_first_step=True,
        save_strategy="no" if args.smoke else "steps", save_steps=200, save_total_limit=1,
        remove_unused_columns=False, **common.trainer_options(args, dev))
    masking = collator(tokenizer, args.masking)
    if args.smoke:  # one batch with its masks drawn once: the same inputs every step, as ch8's check wants
        import datasets
        from transformers import default_data_collator

        smoke_masks = fixed_masks(train, tokenizer, seed=args.seed)
        train, masking = datasets.Dataset.from_dict({k: v.tolist() for k, v in smoke_masks.items()}), \
            default_data_collator
    trainer = make_trainer_class()(model=model, args=targs, train_dataset=train, data_collator=masking,
                                   processing_class=tokenizer)
    if args.smoke:
        loss_before = math.log(perplexity(trainer.model, smoke_masks))
        trainer.train()
        loss_after = math.log(perplexity(trainer.model, smoke_masks))
        common.check_smoke(loss_before, loss_after, len(train), trainer.state.global_step)
    else:
        trainer.train(resume_from_checkpoint=common.resume_checkpoint(args))
    if not common.is_main_process():  # the rest is the main process's alone
        return {}
    common.save_model(trainer.model, tokenizer, args.output_dir, base_model=args.model, half=True)

    after = score(args.output_dir, tokenizer, held_out)
    unigram = unigram_baseline(data, held_out, args.domain, tokenizer)
    print(f"perplexity {after['perplexity']} (unigram {unigram}); before {before and before['perplexity']}; "
          f"probe {after['probe']}", flush=True)
    metrics = {
        "task": fill_mask.TASK, "domain": args.domain, "base_model": args.model, "method": args.method,
        "init": args.init, "masking": args.masking, "smoke": args.smoke, "preflight": pre,
        "test": {"model": after, "before": before, "unigram": unigram},
        "data": {name: {split: len(ds) for split, ds in splits.items()} for name, splits in data.items()},
        "train_chunks": len(train), "masked_tokens": {n: int((m["labels"] != -100).sum()) for n, m in held_out.items()},
        "hyperparameters": {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size, "chunk": args.max_length,
                            "lora_r": args.lora_r, "top_layers": args.top_layers, "seed": args.seed,
                            "mask_probability": MASK_PROBABILITY,
                            "precision": common.precision_name(dev)},
        "trainable_parameters": classification.trainable_parameters(trainer.model)[0],
        "train_seconds": round(time.time() - started, 1), "environment": common.environment(),
        "course_reference": COURSE_REFERENCE,
        "card": {**CARD, "title": TITLES[args.domain], "base_model": args.model,
                 "datasets": ["brown", "squadshifts"] + (["vader"] if args.domain == "reviews" else [])},
        "results": results(after, before, unigram, args.domain),
    }
    common.finish(args, metrics, card="fill_mask", log_history=trainer.state.log_history, metric="perplexity",
                  title=TITLES[args.domain])
    return metrics


def results(after: dict, before: dict | None, unigram: dict, domain: str) -> list[dict]:
    """Card rows: perplexity (lower is better) next to the unigram baseline and, after adaptation, the general
    model, on the same masked tokens."""
    rows = []
    for name, label in (("reviews", "held-out movie reviews"), ("general", "held-out general English")):
        rows.append({"split": label, "metric": "perplexity", "value": after["perplexity"][name],
                     "baseline": "token frequency (unigram)", "baseline_value": unigram[name],
                     "dataset_id": f"mlm-{name}-validation", "lower_is_better": True})
        if before and domain == "reviews":
            rows.append({"split": label, "metric": "perplexity", "value": after["perplexity"][name],
                         "baseline": "the general model (before adaptation)",
                         "baseline_value": before["perplexity"][name], "dataset_id": f"mlm-{name}-validation",
                         "lower_is_better": True})
    return rows


if __name__ == "__main__":
    main()
