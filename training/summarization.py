"""Train a bilingual (English + French) summarizer on Debian package descriptions (course chapter 7.5), and score it.

    python -m training.summarization                  # from this project's translation model (checkpoints/translation)
    python -m training.summarization --model scratch  # a MarianMT from random weights (see below: it collapsed)
    python -m training.summarization --smoke          # overfit one batch of training/smoke_data/descriptions
    python -m training.summarization --resume         # continue from the last checkpoint
    python -m training.summarization --rescore --output-dir checkpoints/summarization
    python -m training.summarization --preset course  # google/mt5-small on amazon_reviews_multi's en+es (network, GPU)

Data: `shared.data.descriptions`, the packagers' long descriptions and their one-line synopses in English and
French, split by source package, the two languages balanced. The model: the course fine-tunes mT5-small (300M
parameters, pretrained on 101 languages). Offline there is no pretrained seq2seq model, so this script starts
from the project's own: the English->French MarianMT of `training.translation` (7.7M parameters), whose encoder
reads English, whose decoder writes French and whose cross-attention already works. Trained from random weights
instead (`--model scratch`), the same architecture collapsed: its decoder ignored the text and wrote one synopsis
for every input (SCRATCH_ATTEMPT below). Both languages train at once with `DataCollatorForSeq2Seq` and
`Seq2SeqTrainer`. A LoRA of SmolLM2 was the other candidate and was not chosen: it barely knows French (BLEU 0.4
on UI strings, see OFFLINE_SOURCES) and would read each ~100-token description through 135M parameters, about 15
times the compute per example, on a machine where the budget is hours of two cores.

Scores: ROUGE-1/2/L (`shared.metrics.generation`) per language on the test split, through the Space's own code
(`shared.tasks.summarization.summarize_batch`), next to the lead-N baseline (the text's first N words, N chosen
on the validation split per language: the strongest lead baseline, not a fixed one).
"""

from __future__ import annotations

import argparse
import time

from shared import hub
from shared.data import descriptions
from shared.metrics import generation
from shared.tasks import summarization
from training import common, seq2seq

SMOKE_DIR = common.SMOKE_DATA / "descriptions"  # 16 packages of the apt lists, in English and French
COURSE_PRESET = {"model": "google/mt5-small", "dataset": "amazon_reviews_multi", "lr": 5.6e-5, "epochs": 8,
                 "batch_size": 8}
COURSE_REFERENCE = {"model": "google/mt5-small", "parameters": 300_000_000, "rouge1": 17.0, "lead3_rouge1": 16.7,
                    "data": "English and Spanish Amazon book reviews -> their titles"}
LEAD_CHOICES = (4, 6, 8, 10, 12, 15, 20)
# Measured with `python -m training.summarization` (--model scratch, 6 epochs, lr 1e-3, 12k vocabulary; 41 min on
# 2 CPU threads), same split: the decoder learned to ignore the text and wrote one synopsis for every input.
SCRATCH_ATTEMPT = {"command": "python -m training.summarization --model scratch", "epochs": 6, "lr": 1e-3,
                   "rouge1": {"en": 0.2, "fr": 13.6}, "lead_rouge1": {"en": 31.6, "fr": 29.6},
                   "output": "Bibliothèque de prise en charge de GCC — fichiers de développement 32 bits"}
CARD = {"title": "Bilingual summarization, English and French (Debian descriptions)", "license": "other",
        "datasets": ["debian-ddtp"], "pipeline_tag": "summarization", "task_name": "Summarization",
        "tags": ["summarization", "marian", "bilingual"]}
DATA_DESCRIPTION = (
    "Debian bookworm's package descriptions in English and French (the Debian Description Translation "
    "Project's Translation-en and Translation-fr lists, read by `shared.data.descriptions`): the long "
    "description is the text, the one-line synopsis its summary. Filtered as the course filters its reviews "
    "(summaries of more than 2 words) plus texts of at least 20 words; transitional, dummy and debug packages "
    "dropped; one example per source package and text; split by source package (a package's English and "
    "French descriptions on the same side); each split holds as many English as French examples. Licence: "
    "each description is under its package's DFSG-free licence.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-summarization",
                           hub_model_id=hub.HUB_IDS.get("summarization"))
    common.add_training_args(parser, model=str(hub.CHECKPOINTS_DIR / "translation"), epochs=4, lr=5e-4,
                             batch_size=32,
                             max_length=summarization.MAX_MODEL_TOKENS)
    seq2seq.add_args(parser, vocab_size=12000)
    parser.add_argument("--data", default=None, help="a folder of apt lists (default: shared.data.apt's)")
    return parser


def load_data(args):
    """{"train", "validation", "test"} with columns text, summary, language: the descriptions, or (--dataset) a
    Hub dataset of reviews in amazon_reviews_multi's shape (review_body -> review_title), English and Spanish."""
    import datasets

    if args.dataset:
        parts = {}
        for lang in ("en", "es"):
            raw = datasets.load_dataset(args.dataset, lang)
            parts[lang] = raw.map(lambda b, lang=lang: {"text": b["review_body"], "summary": b["review_title"],
                                                        "language": [lang] * len(b["review_body"])},
                                  batched=True, remove_columns=raw["train"].column_names)
        return datasets.DatasetDict({s: datasets.concatenate_datasets([parts["en"][s], parts["es"][s]])
                                     for s in ("train", "validation", "test")})
    with common.clear_errors("building the description pairs", "Pass a folder of apt lists with --data."):
        if args.smoke:  # 16 packages: a larger test share, so both languages are scored
            return descriptions.load_descriptions(SMOKE_DIR, seed=args.seed, min_words=8, fractions=(0.5, 0.25, 0.25))
        return descriptions.load_descriptions(args.data, seed=args.seed)


def features(args, dataset, tokenizer):
    return dataset.map(summarization.encode, batched=True, remove_columns=dataset.column_names,
                       fn_kwargs={"tokenizer": tokenizer, "max_length": args.max_length})


def best_lead(validation) -> dict[str, int]:
    """Per language, the N (of LEAD_CHOICES) whose lead-N baseline has the best ROUGE-1 on validation."""
    best = {}
    for lang in sorted(set(validation["language"])):
        rows = validation.filter(lambda e: e["language"] == lang)
        best[lang] = max(LEAD_CHOICES, key=lambda n: generation.rouge(
            [summarization.lead(t, n) for t in rows["text"]], rows["summary"], language=lang)["rouge1"])
    return best


def score(folder, data, *, max_eval=None, batch_size: int = 32) -> dict:
    """ROUGE per language of the saved folder (loaded as the Space loads it) and of lead-N on the test split."""
    from tqdm.auto import tqdm

    from shared import modeling

    modeling.clear_cache()
    net, tokenizer = summarization.load(str(folder))
    lead_n = best_lead(data["validation"])
    out = {"lead_n": {}}
    for lang in sorted(set(data["test"]["language"])):
        n = out["lead_n"][lang] = lead_n.get(lang, 10)
        rows = data["test"].filter(lambda e: e["language"] == lang)
        rows = rows if max_eval is None else rows.select(range(min(max_eval, len(rows))))
        predictions = []
        for i in tqdm(range(0, len(rows), batch_size), desc=f"summarizing ({lang})", unit="batch"):
            predictions += summarization.summarize_batch(net, tokenizer, rows["text"][i:i + batch_size])
        entry = {"examples_scored": len(rows),
                 "model": generation.rouge(predictions, rows["summary"], language=lang),
                 "lead": generation.rouge([summarization.lead(t, n) for t in rows["text"]], rows["summary"],
                                          language=lang),
                 "language_detected": sum(summarization.detect_language(t) == lang for t in rows["text"]) / len(rows),
                 "mean_words": {"model": sum(len(p.split()) for p in predictions) / len(rows),
                                "reference": sum(len(s.split()) for s in rows["summary"]) / len(rows)},
                 "examples": [{"text": t[:300], "reference": s, "model": p} for t, s, p in
                              list(zip(rows["text"], rows["summary"], predictions))[:: max(1, len(rows) // 6)][:6]]}
        print(f"{lang} ({len(rows):,}): model ROUGE-1/2/L "
              + "/".join(f"{entry['model'][k]:.1f}" for k in ("rouge1", "rouge2", "rougeL"))
              + f"; lead-{n} " + "/".join(f"{entry['lead'][k]:.1f}" for k in ("rouge1", "rouge2", "rougeL")),
              flush=True)
        out[lang] = entry
    return out


def results(test: dict) -> list[dict]:
    rows = []
    for lang, n in test["lead_n"].items():
        entry = test[lang]
        for metric in ("rouge1", "rouge2", "rougeL"):
            rows.append({"split": f"test, {summarization.LANGUAGE_NAMES.get(lang, lang)} "
                                  f"({entry['examples_scored']:,} descriptions)",
                         "metric": metric, "value": entry["model"][metric],
                         "baseline": f"lead-{n} (the first {n} words)", "baseline_value": entry["lead"][metric],
                         "dataset_id": "debian-ddtp"})
    return rows


def rescore(args) -> dict:
    metrics = common.read_metrics(args.output_dir)
    args.seed = metrics["hyperparameters"]["seed"]
    metrics["test"] = score(args.output_dir, load_data(args), max_eval=args.max_eval or metrics.get("max_eval"))
    metrics.update(results=results(metrics["test"]), data_description=DATA_DESCRIPTION,
                   course_reference=COURSE_REFERENCE,
                   rescored="test scores re-measured from the saved folder with --rescore (shared.tasks.summarization)")
    return common.rewrite(args.output_dir, "summarization", metrics)


def main(argv: list[str] | None = None) -> dict:
    import transformers

    args = common.parse_args(build_parser(), argv, course=COURSE_PRESET)
    if args.arch != "marian":
        common.fail("summarization trains a seq2seq model (--arch marian); see the module docstring for why.")
    if args.rescore:
        return rescore(args)
    if args.card_only:
        return common.rewrite(args.output_dir, "summarization")
    transformers.set_seed(args.seed)
    started = time.time()
    with common.main_process_first():  # the builder caches the apt lists; map may write cache files
        data = load_data(args)
    if args.max_train and not args.smoke:
        data["train"] = data["train"].shuffle(seed=args.seed).select(range(min(args.max_train, len(data["train"]))))
    print({k: len(v) for k, v in data.items()}, flush=True)
    model, tokenizer, base_model = seq2seq.build_model(
        args, list(data["train"]["text"]) + list(data["train"]["summary"]))
    with common.main_process_first():
        train = features(args, data["train"], tokenizer)
        validation = features(args, data["validation"], tokenizer)
    if args.smoke:
        train = validation = common.smoke_slice(train)
    pre = seq2seq.preflight(args, model, tokenizer, train, max_length=args.max_length)
    trainable, total = seq2seq.parameters(model)
    print(f"{len(train):,} training examples; {trainable:,} of {total:,} parameters train", flush=True)
    trainer, smoke_losses, dev = seq2seq.train(args, model, tokenizer, train, validation, label_smoothing=0.1)
    if not common.is_main_process():  # the rest is the main process's alone
        return {}
    base_model = hub.public_id(base_model)
    common.save_model(trainer.model, tokenizer, args.output_dir, base_model=base_model, half=True)
    test = score(args.output_dir, data, max_eval=args.max_eval)
    metrics = {"task": summarization.TASK, "base_model": base_model, "smoke": args.smoke,
               "smoke_losses": smoke_losses, "test": test, "max_eval": args.max_eval,
               "data": {k: len(v) for k, v in data.items()}, "course_reference": COURSE_REFERENCE, "preflight": pre,
               "hyperparameters": {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
                                   "vocab_size": len(tokenizer), "seed": args.seed, "max_length": args.max_length,
                                   "max_target_length": summarization.MAX_SUMMARY_TOKENS,
                                   "max_train": args.max_train, "num_beams": summarization.NUM_BEAMS,
                                   "precision": common.precision_name(dev), "label_smoothing": 0.1},
               "trainable_parameters": trainable, "parameters": total,
               "train_seconds": round(time.time() - started, 1), "environment": common.environment(),
               "data_description": DATA_DESCRIPTION,
               "card": {**CARD, "base_model": base_model if args.model != seq2seq.SCRATCH else None},
               "scratch_attempt": SCRATCH_ATTEMPT,
               "results": results(test)}
    common.finish(args, metrics, card="summarization", log_history=trainer.state.log_history, metric="loss",
                  title=CARD["title"])
    return metrics


if __name__ == "__main__":
    main()
