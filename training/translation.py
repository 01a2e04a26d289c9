"""Train an English -> French translator on KDE's UI strings (course chapter 7.4), two ways, and score it.

    python -m training.translation                          # MarianMT from scratch + a BPE tokenizer trained here
    python -m training.translation --arch lora              # a LoRA of SmolLM2-135M-Instruct on its chat template
    python -m training.translation --smoke [--arch lora]    # overfit one batch of training/smoke_data/kde
    python -m training.translation --resume                 # continue from the last checkpoint
    python -m training.translation --model FOLDER --wider-kde --epochs 4 --lr 5e-4   # go on, with more KDE data
    python -m training.translation --reverse --output-dir FOLDER --epochs 4 --lr 5e-4   # FOLDER's reranker (fr->en)
    python -m training.translation --rescore --output-dir checkpoints/translation
    python -m training.translation --preset course          # Helsinki-NLP/opus-mt-en-fr on kde4 (network, GPU)

Data: `shared.data.kde` (the French catalogs of Debian's KDE packages, split by catalog). The course fine-tunes
a pretrained Marian; no pretrained seq2seq model exists offline, so `--arch marian` builds the course's
architecture small and from scratch (`training.seq2seq.small_marian`) with a tokenizer trained on the training
split, `DataCollatorForSeq2Seq` and `Seq2SeqTrainer` with `predict_with_generate`, as the course does;
`--model Helsinki-NLP/opus-mt-en-fr` (or `--preset course`) fine-tunes a pretrained one instead. `--arch lora`
teaches SmolLM2 (which barely knows French) through its chat template (`shared.tasks.translation`).

Scores (sacreBLEU, `shared.metrics.generation`), through the Space's own code path (`translation.translate_texts`:
pieces cut at tags and sentence ends, placeholders masked): the KDE test split, and catalogs of other free
software (apt, coreutils, GTK, git, ...) never trained on; baselines on the same strings: the English copied
unchanged, the model a `--model` run started from, and untuned SmolLM2 with the same prompt. Also the share of
strings whose placeholders (`%1`, `<b>`) come out unchanged.

`--reverse` trains the same small Marian the other way (French -> English, on the same split, starting from
OUTPUT_DIR's weights) into OUTPUT_DIR/reverse, chooses on the validation split the weight with which it reranks
OUTPUT_DIR's beams (noisy channel, `shared.tasks.translation.rerank`), writes it to reverse/rerank.json, and
rescores OUTPUT_DIR with it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

from shared import hub
from shared.data import kde
from shared.metrics import generation
from shared.tasks import translation
from training import common, seq2seq

SMOKE_DIR = common.SMOKE_DATA / "kde"
COURSE_PRESET = {"model": "Helsinki-NLP/opus-mt-en-fr", "dataset": "kde4", "lr": 2e-5, "epochs": 3,
                 "batch_size": 32, "arch": "marian"}
COURSE_REFERENCE = {"model": "Helsinki-NLP/opus-mt-en-fr", "parameters": 75_000_000, "train_pairs": 189_155,
                    "epochs": 3, "bleu_untuned": 39.3, "bleu_tuned": 52.9}  # chapter 7.4, kde4 (its own split)
CARD = {"title": "English to French UI translation (KDE catalogs)", "license": "gpl-2.0",
        "datasets": ["kde4"], "pipeline_tag": "translation", "task_name": "Translation en-fr",
        "tags": ["translation", "marian", "kde"]}
DATA_DESCRIPTION = (
    "English -> French pairs from the French gettext catalogs of Debian bookworm's KDE packages (every package "
    "of the section `kde` plus the KF5/Plasma/PIM data packages, 30 MB at most), the same kind of data as the "
    "course's KDE4, read by `shared.data.kde`: only translated, non-fuzzy entries; credits, markup-only strings "
    "and strings over 200 characters dropped; deduplicated on the English string; split by catalog, held-out "
    "strings whose normalised form occurs in a training catalog removed. Licence: GPL-2+/LGPL-2+, as the "
    "programs. The out-of-KDE set samples catalogs of {} (evaluation only).").format(
    ", ".join(sorted(kde.OTHER_PACKAGES)))
WIDER_DESCRIPTION = (
    " With --wider-kde, the catalogs of the other Debian packages whose homepage is on kde.org add training "
    "pairs only (their English new to the data, their normalised form not held out): test and validation are "
    "the same strings.")


def data_description(wider: bool) -> str:
    return DATA_DESCRIPTION + (WIDER_DESCRIPTION if wider else "")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-translation", hub_model_id=hub.HUB_IDS.get("translation"))
    common.add_training_args(parser, model=seq2seq.SCRATCH, epochs=12, lr=1e-3, batch_size=64,
                             max_length=translation.MAX_MODEL_TOKENS)
    seq2seq.add_args(parser, vocab_size=8000)
    parser.add_argument("--wider-kde", action="store_true",
                        help="also train on the other KDE packages (homepage on kde.org); test and validation "
                             "stay the same strings (shared.data.kde.load_kde(wider=True))")
    parser.add_argument("--reverse", action="store_true",
                        help="train the French -> English model that reranks OUTPUT_DIR's beams into "
                             "OUTPUT_DIR/reverse, choose its weight on the validation split, rescore OUTPUT_DIR")
    parser.add_argument("--baselines", action="store_true",
                        help="also score untuned SmolLM2 on the test sets (slow: it rambles until max tokens)")
    return parser


def load_data(args):
    """{"train", "validation", "test"[, "other"]} with columns en, fr: the KDE builder (or its smoke fixture), or
    a Hub dataset in kde4's shape (--dataset kde4: the course's 90/10 split of its one train split, whose 10% is
    both validation and test)."""
    import datasets

    if args.dataset:
        raw = datasets.load_dataset(args.dataset, lang1="en", lang2="fr")["train"]
        raw = raw.map(lambda b: {"en": [t["en"] for t in b["translation"]], "fr": [t["fr"] for t in b["translation"]]},
                      batched=True, remove_columns=raw.column_names)
        split = raw.train_test_split(train_size=0.9, seed=20)
        return datasets.DatasetDict(train=split["train"], validation=split["test"], test=split["test"])
    if args.smoke:
        catalogs = {mo: mo.parent.name for mo in sorted(SMOKE_DIR.rglob("*.mo"))}
        data = kde.load_kde(catalogs, test_size=4, validation_size=4)
        return datasets.DatasetDict(**data, other=data["test"])
    with common.clear_errors("building the KDE pairs", "It needs Debian's apt sources and the network once."):
        data = kde.load_kde(seed=args.seed, wider=args.wider_kde)
        other = kde.load_other_catalogs(exclude=list(data["train"]["en"]), seed=args.seed)
    return datasets.DatasetDict(**data, other=other)


def features(args, dataset, tokenizer):
    fn = translation.chat_features if args.arch == "lora" else translation.encode_pairs
    return dataset.map(fn, batched=True, remove_columns=dataset.column_names,
                       fn_kwargs={"tokenizer": tokenizer, "max_length": args.max_length})


def translate(net, tokenizer, sources: list[str], desc: str, *, batch_size: int = 32,
              max_new_tokens: int = translation.MAX_NEW_TOKENS, reverse=None) -> list[str]:
    """`translation.translate_texts` over `sources` in batches, with a progress bar."""
    from tqdm.auto import tqdm

    out = []
    for i in tqdm(range(0, len(sources), batch_size), desc=desc, unit="batch"):
        out += translation.translate_texts(net, tokenizer, sources[i:i + batch_size], max_new_tokens=max_new_tokens,
                                           reverse=reverse)
    return out


def score(folder, data, *, max_eval=None, baselines: bool = False, max_new_tokens: int = translation.MAX_NEW_TOKENS,
          start: str | None = None) -> dict:
    """sacreBLEU of the saved folder (loaded as the Space loads it, with its reranker if it has one) on the test
    sets, with the copy baseline, the same model's beams without the reranker, the model the run started from
    (`start`, a --model run: the course's untuned vs tuned) and, with `baselines`, untuned SmolLM2; placeholders
    kept; a few examples."""
    from shared import modeling

    modeling.clear_cache()
    net, tokenizer = translation.load(str(folder))
    reverse = translation.load_reverse(str(folder))
    results = {}
    for name in [n for n in ("test", "other") if n in data]:
        rows = data[name] if max_eval is None else data[name].select(range(min(max_eval, len(data[name]))))
        sources, references = list(rows["en"]), list(rows["fr"])
        predictions = translate(net, tokenizer, sources, f"translating {name}", max_new_tokens=max_new_tokens,
                                reverse=reverse)
        entry = {"pairs": len(rows), "model": generation.bleu(predictions, references),
                 "copy": generation.bleu(sources, references),
                 "placeholders_kept": translation.placeholders_kept(sources, predictions),
                 "examples": [{"en": s, "reference": r, "model": p} for s, r, p in
                              list(zip(sources, references, predictions))[:: max(1, len(rows) // 8)][:8]]}
        if reverse is not None:
            alone = translate(net, tokenizer, sources, f"{name}, not reranked", max_new_tokens=max_new_tokens)
            entry["not_reranked"] = generation.bleu(alone, references)
        if start:
            before, before_tok = translation.load(hub.base_model_path(start))
            entry["before"] = generation.bleu(translate(before, before_tok, sources, f"{start} on {name}",
                                                        max_new_tokens=max_new_tokens), references)
        if baselines:
            base, base_tok = translation.load(hub.SMOLLM2)
            untuned = translate(base, base_tok, sources, f"untuned SmolLM2 on {name}", max_new_tokens=max_new_tokens)
            entry["untuned_smollm2"] = generation.bleu(untuned, references)
        print(f"{name} ({len(rows):,} pairs): BLEU {entry['model']['bleu']:.1f}; copy {entry['copy']['bleu']:.1f}"
              + (f"; not reranked {entry['not_reranked']['bleu']:.1f}" if reverse is not None else "")
              + (f"; before this run {entry['before']['bleu']:.1f}" if start else "")
              + (f"; untuned SmolLM2 {entry['untuned_smollm2']['bleu']:.1f}" if baselines else "")
              + f"; placeholders kept {entry['placeholders_kept']:.0%}", flush=True)
        results[name] = entry
    return results


def results(test: dict) -> list[dict]:
    rows = []
    for name, split, dataset_id in (("test", "KDE catalogs, held-out catalogs", "kde4"),
                                    ("other", "other free software catalogs (never trained on)", "debian-l10n")):
        entry = test.get(name)
        if entry is None:
            continue
        label = f"{split} ({entry['pairs']:,} pairs)"
        rows.append({"split": label, "metric": "bleu", "value": entry["model"]["bleu"],
                     "baseline": "the English copied unchanged", "baseline_value": entry["copy"]["bleu"],
                     "dataset_id": dataset_id})
        if "not_reranked" in entry:
            rows.append({"split": label, "metric": "bleu", "value": entry["model"]["bleu"],
                         "baseline": "the same model, its beams not reranked",
                         "baseline_value": entry["not_reranked"]["bleu"], "dataset_id": dataset_id})
        if "before" in entry:
            rows.append({"split": label, "metric": "bleu", "value": entry["model"]["bleu"],
                         "baseline": "the model this run started from (--model), before it",
                         "baseline_value": entry["before"]["bleu"], "dataset_id": dataset_id})
        if "untuned_smollm2" in entry:
            rows.append({"split": label, "metric": "bleu", "value": entry["model"]["bleu"],
                         "baseline": "SmolLM2-135M-Instruct untuned, same prompt",
                         "baseline_value": entry["untuned_smollm2"]["bleu"], "dataset_id": dataset_id})
    return rows


def rescore(args) -> dict:
    metrics = common.read_metrics(args.output_dir)
    args.seed = metrics["hyperparameters"]["seed"]
    args.wider_kde = metrics.get("wider_kde", False)
    # the starting folder is re-scored while it still holds that start (a model continued in place names itself)
    start = (metrics.get("started_from") or {}).get("folder")
    fresh = start and os.path.isdir(start) and os.path.realpath(start) != os.path.realpath(args.output_dir)
    test = score(args.output_dir, load_data(args), max_eval=args.max_eval or metrics.get("max_eval"),
                 baselines=args.baselines, start=start if fresh else None)
    reranker = Path(args.output_dir) / translation.REVERSE_DIR / translation.RERANK_FILE
    metrics["reranker"] = json.loads(reranker.read_text()) if reranker.is_file() else None
    for name, entry in test.items():
        if not fresh and "before" in metrics["test"].get(name, {}):
            entry["before"] = metrics["test"][name]["before"]
    metrics["test"] = test
    metrics.update(results=results(metrics["test"]), data_description=data_description(args.wider_kde),
                   course_reference=COURSE_REFERENCE,
                   rescored="test scores re-measured from the saved folder with --rescore (shared.tasks.translation)")
    return common.rewrite(args.output_dir, "translation", metrics)


def label_smoothing(args) -> float:
    return 0.0 if args.arch == "lora" else 0.1  # the course's Marian recipe; a LoRA learns the exact French


def fit(args, data):
    """Build (`seq2seq.build_model`) and train the model on data["train"] ("en" -> "fr"), loss per epoch on
    data["validation"]: (trainer, tokenizer, base model, smoke losses, device settings, preflight,
    (trainable, total parameters))."""
    model, tokenizer, base_model = seq2seq.build_model(args, list(data["train"]["en"]) + list(data["train"]["fr"]))
    with common.main_process_first():
        train = features(args, data["train"], tokenizer)
        validation = features(args, data["validation"], tokenizer)
    if args.smoke:
        train = validation = common.smoke_slice(train)
    prompt_room = 96 if args.arch == "lora" else 0  # the chat prompt comes on top of the English text
    pre = seq2seq.preflight(args, model, tokenizer, train, max_length=args.max_length + prompt_room)
    trainable, total = seq2seq.parameters(model)
    print(f"{len(train):,} training pairs; {trainable:,} of {total:,} parameters train", flush=True)
    trainer, smoke_losses, dev = seq2seq.train(args, model, tokenizer, train, validation,
                                               label_smoothing=label_smoothing(args))
    return trainer, tokenizer, base_model, smoke_losses, dev, pre, (trainable, total)


RERANK_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)  # of log P(en|fr), tried on the validation split


def weigh_reranker(forward: Path, rows, weights, *, max_new_tokens: int = translation.MAX_NEW_TOKENS) -> dict:
    """{weight: BLEU on `rows`} of the `forward` folder's translations, its beams reranked by its reverse/ model
    with each of `weights` (0: not reranked)."""
    net, tokenizer = translation.load(str(forward))
    sweep = {}
    for weight in weights:
        reverse = translation.load_reverse(str(forward), weight=weight) if weight else None
        french = translate(net, tokenizer, list(rows["en"]), f"validation, weight {weight:g}",
                           max_new_tokens=max_new_tokens, reverse=reverse)
        sweep[f"{weight:g}"] = generation.bleu(french, list(rows["fr"]))["bleu"]
        print(f"reranking weight {weight:g}: validation BLEU {sweep[f'{weight:g}']:.2f}", flush=True)
    return sweep


def train_reverse(args, data, started: float) -> dict:
    """--reverse: a French -> English Marian (`fit` on the swapped columns, from OUTPUT_DIR's weights) saved in
    OUTPUT_DIR/reverse; the RERANK_WEIGHTS tried on the validation split through `translate_texts`, the best
    written to reverse/rerank.json (0: no reranking); then OUTPUT_DIR rescored with it (`rescore`)."""
    import datasets

    forward = Path(args.output_dir)
    if args.arch != "marian" or args.model != seq2seq.SCRATCH:
        common.fail("--reverse starts from OUTPUT_DIR's own Marian: leave out --arch and --model.")
    folder = forward / translation.REVERSE_DIR
    # from the forward model's weights and tokenizer: its shared embeddings already know both languages (from
    # random weights the French -> English run sat near the unigram loss for its first epoch and a half)
    args.model, args.output_dir = str(forward), str(folder)  # resumable checkpoints go in the folder
    flipped = datasets.DatasetDict({k: v.rename_columns({"en": "fr", "fr": "en"}) for k, v in data.items()})
    trainer, tokenizer, *_ = fit(args, flipped)
    args.output_dir = str(forward)
    if not common.is_main_process():
        return {}
    common.save_model(trainer.model, tokenizer, folder, base_model=hub.public_id(str(forward)), half=True)
    for leftover in (common.checkpoints_dir(folder), folder / "tokenizer"):
        shutil.rmtree(leftover, ignore_errors=True)
    rows = data["validation"]
    sweep = weigh_reranker(forward, rows, RERANK_WEIGHTS[:2] if args.smoke else RERANK_WEIGHTS,
                           max_new_tokens=24 if args.smoke else translation.MAX_NEW_TOKENS)
    best = max(sweep, key=sweep.get)
    losses = [e["eval_loss"] for e in trainer.state.log_history if "eval_loss" in e]
    record = {"weight": float(best), "chosen_on": f"the validation split ({len(rows):,} pairs)",
              "started_from": "the en->fr model's weights and tokenizer (the folder above)",
              "validation_bleu_by_weight": sweep, "direction": "fr-en", "smoke": args.smoke,
              "validation_loss": losses[-1] if losses else None,
              "hyperparameters": {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
                                  "vocab_size": len(tokenizer), "seed": args.seed, "wider_kde": args.wider_kde},
              "parameters": seq2seq.parameters(trainer.model)[1], "train_seconds": round(time.time() - started, 1)}
    (folder / translation.RERANK_FILE).write_text(json.dumps(record, indent=2) + "\n")
    print(f"reranking weight {best} (validation BLEU {sweep[best]:.2f}; none: {sweep['0']:.2f})", flush=True)
    return rescore(args)


def main(argv: list[str] | None = None) -> dict:
    import transformers

    args = common.parse_args(build_parser(), argv, course=COURSE_PRESET)
    if args.rescore:
        return rescore(args)
    if args.card_only:
        return common.rewrite(args.output_dir, "translation")
    if args.reverse:  # the split of the model it reranks, so that its test strings stay unseen
        forward = common.read_metrics(args.output_dir)
        args.seed, args.wider_kde = forward["hyperparameters"]["seed"], forward.get("wider_kde", False)
    transformers.set_seed(args.seed)
    started = time.time()
    with common.main_process_first():  # the builder caches the catalogs; map may write cache files
        data = load_data(args)
    if args.max_train and not args.smoke:
        data["train"] = data["train"].shuffle(seed=args.seed).select(range(min(args.max_train, len(data["train"]))))
    print({k: len(v) for k, v in data.items()}, flush=True)
    if args.reverse:
        return train_reverse(args, data, started)
    trainer, tokenizer, base_model, smoke_losses, dev, pre, (trainable, total) = fit(args, data)
    if not common.is_main_process():  # the rest is the main process's alone
        return {}
    common.save_model(trainer.model, tokenizer, args.output_dir, base_model=base_model,
                      half=args.arch == "marian")
    start = args.model if args.arch == "marian" and args.model != seq2seq.SCRATCH else None
    earlier = common.started_from(args.model, keep=("wider_kde",)) if start else None  # a local folder: its own record
    test = score(args.output_dir, data, max_eval=args.max_eval, baselines=args.baselines and not args.smoke,
                 max_new_tokens=24 if args.smoke else translation.MAX_NEW_TOKENS,  # a smoke model may never stop
                 start=start)
    metrics = {"task": translation.TASK, "base_model": earlier["base_model"] if earlier else base_model,
               "started_from": earlier, "wider_kde": args.wider_kde, "arch": args.arch, "smoke": args.smoke,
               "smoke_losses": smoke_losses,
               "test": test, "data": {k: len(v) for k, v in data.items()}, "max_eval": args.max_eval,
               "course_reference": COURSE_REFERENCE, "preflight": pre,
               "hyperparameters": {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
                                   "lora_r": args.lora_r, "vocab_size": len(tokenizer), "seed": args.seed,
                                   "max_length": args.max_length, "max_train": args.max_train,
                                   "num_beams": translation.NUM_BEAMS, "precision": common.precision_name(dev),
                                   "label_smoothing": label_smoothing(args)},
               "trainable_parameters": trainable, "parameters": total,
               "train_seconds": round(time.time() - started, 1), "environment": common.environment(),
               "data_description": data_description(args.wider_kde),
               "card": {**CARD, "base_model": hub.SMOLLM2 if args.arch == "lora" else
                        (args.model if args.model != seq2seq.SCRATCH and not earlier else None)},
               "results": results(test)}
    common.finish(args, metrics, card="translation", log_history=trainer.state.log_history, metric="loss",
                  title=CARD["title"])
    return metrics


if __name__ == "__main__":
    main()
