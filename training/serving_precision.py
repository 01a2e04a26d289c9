"""Score each served checkpoint's test split at every serving precision, and put the table on its card.

    python -m training.serving_precision --task sentiment|pair_classification|ner|qa|fill_mask|fill_mask_general|
                                                zero_shot|semantic_search|translation|summarization|all [--limit 1000]

A Space serves its encoder (or seq2seq model) at `shared.modeling.serving_precision()`: bf16 on CPUs with native
bf16, int8 dynamic quantization elsewhere, fp32 as the fallback. Whether a precision may serve a checkpoint is
measured, not assumed: the test split (its first LIMIT examples per split) goes through the task's own code path
(what the Space runs) once per precision, and each precision's answers are compared with fp32's:

- agreement: the share of answers equal to fp32's (top label, tag per word, answer span, top-1 token, top-1
  document, generated text);
- the task's metric at that precision next to fp32's.

A precision passes when its metric is no more than 0.5 points below fp32's (perplexity: no more than 0.5%
above; BLEU and ROUGE, 0-100: no more than 0.5 below) and, for the tasks whose answer is a label (all but
fill-mask, QA, translation and summarization, whose answers are a ranking over 30,522 tokens, a span and a
generated text), at least 99% of its answers equal fp32's. Either test alone lets a loss through: int8
dynamic quantization kept sentiment's accuracy within 0.05 points while changing 3.4% of its answers (its answer
to a text depends on the other texts of its batch, whose activation range it shares), and agreed on 99.6% of
NER's tags (mostly "O") while losing 1.6 points of entity F1. `--card-only` re-applies the rule to the stored
rows. The result goes
into the checkpoint's metrics.json as `serving` (and the card is re-rendered from it); `shared.modeling` serves
a checkpoint only at a precision that passed here. The weights are only read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from shared import hub, modeling
from shared.modeling import cpu_model
from training import common

AGREEMENT = 0.99
METRIC_TOLERANCE = 0.005  # half a point of a 0-1 metric; 0.5% of a perplexity


def _limit(split, n: int):
    return split.select(range(min(n, len(split))))


def _defaults(script, metrics: dict):
    """The script's default arguments with the run's own hyperparameters (seed, sizes) where it kept them; a
    --smoke checkpoint is read on its smoke data."""
    args = script.build_parser().parse_args([]) if hasattr(script, "build_parser") else script.parse_args([])
    kept = {"smoke": bool(metrics.get("smoke")), **metrics.get("args", {}), **metrics.get("hyperparameters", {})}
    for key, value in kept.items():
        if hasattr(args, key):
            setattr(args, key, value)
    return args


def _accuracy(answers: list, gold: list) -> float:
    return statistics.fmean(a == g for a, g in zip(answers, gold))


# ------------------------------------------------------------------------------------------- one reader per task
# each returns `run()`: (answers compared across precisions, {metric: value}), at the precision of the moment

def sentiment_reader(folder: str, limit: int):
    from shared.tasks import sentiment
    from training import sentiment as script

    metrics = common.read_metrics(folder)
    data = script.load_data(_defaults(script, metrics))
    splits = [_limit(data[s], limit) for s in metrics["test"]]
    texts = [t for s in splits for t in s["text"]]
    gold = [sentiment.LABELS[y] for s in splits for y in s["label"]]

    def run():
        answers = [o.label for o in sentiment.predict_batch(texts, model=folder)]
        return answers, {"accuracy": _accuracy(answers, gold)}
    return run


def pair_reader(folder: str, limit: int):
    from shared.tasks import pair_classification as task
    from training import pair_classification as script

    dd, labels, _ = script.load_data(_defaults(script, common.read_metrics(folder)))
    test = _limit(dd["test"], limit)
    gold = [labels[y] for y in test["label"]]

    def run():
        answers = [task.predict(a, b, model=folder).label for a, b in zip(test[task.FIRST], test[task.SECOND])]
        return answers, {"accuracy": _accuracy(answers, gold)}
    return run


def ner_reader(folder: str, limit: int):
    from shared.tasks import ner
    from training import ner as script

    data = script.load_data(_defaults(script, common.read_metrics(folder)))
    test = _limit(data["test"], limit)
    refs = [[ner.LABELS[i] for i in row] for row in test["ner_tags"]]

    def run():
        tags = ner.tag_words(test["tokens"], model=folder)
        return [t for row in tags for t in row], {"f1": script.seqeval_scores(refs, tags)["f1"]}
    return run


def qa_reader(folder: str, limit: int):
    from shared.metrics import squad
    from training import qa as script

    test = _limit(script.load_data(_defaults(script, common.read_metrics(folder)))["test"], limit)
    references = [{"id": ex["id"], "answers": ex["answers"]} for ex in test]

    def run():
        model, tokenizer = modeling.load_classifier(folder, head="qa")
        predictions = script.evaluate(model, tokenizer, test)
        scores = squad.compute(predictions, references)
        return [p["prediction_text"] for p in predictions], {"f1": scores["f1"] / 100}
    return run


def fill_mask_reader(folder: str, limit: int):
    import math

    import torch

    from training import classification
    from training import fill_mask as script

    metrics = common.read_metrics(folder)
    args = _defaults(script, metrics)
    args.max_length, args.domain = metrics["hyperparameters"]["chunk"], metrics["domain"]
    tokenizer = classification.load_tokenizer(metrics["base_model"])
    _, held_out = script.chunked_data(args, tokenizer)
    masked = {k: v[:limit] for k, v in held_out[metrics["domain"]].items()}

    def run():
        model, _ = modeling.load_classifier(folder, head="mlm")
        answers, nll, count = [], 0.0, 0
        with torch.inference_mode():
            for i in range(0, len(masked["input_ids"]), 64):
                logits, labels = script.masked_logits(model, {k: v[i:i + 64] for k, v in masked.items()})
                answers += logits.argmax(-1).tolist()
                nll += float(torch.nn.functional.cross_entropy(logits.float(), labels, reduction="sum"))
                count += labels.numel()
        return answers, {"perplexity": math.exp(nll / count)}
    return run


def zero_shot_reader(folder: str, limit: int):
    from training import zero_shot as script

    metrics = common.read_metrics(folder)
    args = script.parse_args([])
    args.seed, args.max_per_label = metrics.get("seed", args.seed), metrics["max_per_label"]
    args.sentences_per_passage = metrics["sentences_per_passage"]
    args.max_passages_per_document = metrics["max_passages_per_document"]
    sets = script.load_sets(args)

    def run():
        answers, right = [], []
        for s in sets.values():
            texts, gold = s["texts"]["test"][:limit], s["y"]["test"][:limit]
            top = script.space_similarities(texts, s["labels"], Path(folder), 64).argmax(1)
            answers += [s["labels"][i] for i in top]
            right += list(top == gold)
        return answers, {"accuracy": statistics.fmean(right)}
    return run


def search_reader(folder: str, limit: int):
    import json

    from shared.metrics import retrieval
    from shared.tasks import semantic_search as task
    from training import semantic_search as script

    queries = json.loads(Path(script.build_parser().get_default("queries")).read_text())["queries"][:limit]

    def run():
        index = task.open_index(folder)
        ranked = [[index.corpus["question"][row] for row, _ in index.search(q["query"], 10, "embeddings")]
                  for q in queries]
        scores = retrieval.score_rankings(ranked, [set(q["relevant"]) for q in queries])
        return [r[0] for r in ranked], {"mrr@10": scores["mrr@10"], "recall@5": scores["recall@5"]}
    return run


def _generated_text_reader(load, generate, groups: dict, source: str, score):
    """`run()` for a text-to-text task: each group's `source` texts through `generate` (the task's batch function,
    32 texts per call) with the model `load()` returns, scored by `score(group, outputs, rows)` -> {metric: value}."""
    def run():
        net, tokenizer = load()
        answers, scores = [], {}
        for name, rows in groups.items():
            texts = rows[source]
            outputs = [out for i in range(0, len(texts), 32) for out in generate(net, tokenizer, texts[i:i + 32])]
            answers += outputs
            scores.update(score(name, outputs, rows))
        return answers, scores
    return run


def translation_reader(folder: str, limit: int):
    from shared.metrics import generation
    from shared.tasks import translation
    from training import translation as script

    data = script.load_data(_defaults(script, common.read_metrics(folder)))
    splits = {name: _limit(data[name], limit) for name in ("test", "other") if name in data}

    def bleu(split, french, rows):
        return {f"bleu {split}": generation.bleu(french, rows["fr"])["bleu"]}

    def translate(net, tokenizer, texts):  # with the folder's reranker, if it has one, at the same precision
        return translation.translate_texts(net, tokenizer, texts, reverse=translation.load_reverse(folder))
    return _generated_text_reader(lambda: translation.load(folder), translate, splits, "en", bleu)


def summarization_reader(folder: str, limit: int):
    from shared.metrics import generation
    from shared.tasks import summarization
    from training import summarization as script

    def rouge(lang, summaries, rows):
        scores = generation.rouge(summaries, rows["summary"], language=lang)
        return {f"rouge1 {lang}": scores["rouge1"], f"rougeL {lang}": scores["rougeL"]}

    test = script.load_data(_defaults(script, common.read_metrics(folder)))["test"]
    by_language = {lang: _limit(test.filter(lambda e, lang=lang: e["language"] == lang), limit)
                   for lang in sorted(set(test["language"]))}
    return _generated_text_reader(lambda: summarization.load(folder), summarization.summarize_batch, by_language,
                                  "text", rouge)


READERS = {"sentiment": sentiment_reader, "pair_classification": pair_reader, "ner": ner_reader,
           "qa": qa_reader, "fill_mask": fill_mask_reader, "fill_mask_general": fill_mask_reader,
           "zero_shot": zero_shot_reader, "semantic_search": search_reader,
           "translation": translation_reader, "summarization": summarization_reader}


LOWER_IS_BETTER = {"perplexity"}
POINTS = ("bleu", "rouge")  # metrics on a 0-100 scale: half a point is 0.5


# no label to agree on, the metric decides: a ranking over 30,522 tokens, a span, a generated text (beam search
# at another precision may pick another wording of the same quality)
METRIC_ONLY_TASKS = {"fill_mask", "fill_mask_general", "qa", "translation", "summarization"}


def passes(task: str, row: dict, reference: dict) -> bool:
    def close(metric):
        if metric in LOWER_IS_BETTER:
            return row[metric] <= reference[metric] * (1 + METRIC_TOLERANCE)
        scale = 100 if metric.startswith(POINTS) else 1
        return row[metric] >= reference[metric] - METRIC_TOLERANCE * scale
    agrees = task in METRIC_ONLY_TASKS or row["agreement"] >= AGREEMENT
    return agrees and all(close(m) for m in reference["metrics"])


def measure(task: str, folder: str, limit: int) -> dict:
    """{"precisions": {name: {agreement, seconds, metric...}}, "passed": [...], ...} for one checkpoint."""
    run = READERS[task](folder, limit)
    rows, reference = {}, None
    forced = os.environ.get(modeling.PRECISION_VARIABLE)
    for precision in available_precisions():
        os.environ[modeling.PRECISION_VARIABLE] = precision
        modeling.clear_cache()
        started = time.perf_counter()
        answers, scores = run()
        seconds = time.perf_counter() - started
        if reference is None:
            reference = answers
        agreement = _accuracy(answers, reference)
        rows[precision] = {"agreement": agreement, "seconds": round(seconds, 1), "examples": len(answers),
                           **scores, "metrics": list(scores)}
        print(f"{task:20s} {precision}: agreement with fp32 {agreement:.4f}, "
              + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()) + f" ({seconds:.0f} s)", flush=True)
    if forced is None:
        os.environ.pop(modeling.PRECISION_VARIABLE, None)
    else:
        os.environ[modeling.PRECISION_VARIABLE] = forced
    modeling.clear_cache()
    return {"precisions": rows, "passed": passed(task, rows), "rule": rule(task), "limit": limit,
            "cpu": cpu_model(), "torch_threads": _threads()}


def rule(task: str) -> str:
    metric = f"its metric at most {METRIC_TOLERANCE * 100:g} point below fp32's (perplexity: 0.5% above)"
    if task in METRIC_ONLY_TASKS:
        return metric
    return f"at least {AGREEMENT:.0%} of its answers equal fp32's, and {metric}"


def passed(task: str, rows: dict) -> list[str]:
    return [p for p, row in rows.items() if passes(task, row, rows["fp32"])]


def available_precisions() -> list[str]:
    """fp32 first (the reference), then bf16 (emulated where the CPU lacks it: slow, same numbers), int8 where
    torch has kernels for it."""
    return ["fp32", "bf16"] + (["int8"] if modeling.int8_engine() else [])


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="all", choices=[*READERS, "all"])
    parser.add_argument("--limit", type=int, default=1000, help="examples per test split (default 1000)")
    parser.add_argument("--checkpoint", help="a folder (default checkpoints/<task>)")
    parser.add_argument("--card-only", action="store_true", help="re-apply the rule to the stored rows, re-render")
    args = parser.parse_args(argv)
    done = {}
    for task in READERS if args.task == "all" else [args.task]:
        folder = Path(args.checkpoint or hub.CHECKPOINTS_DIR / task).resolve()
        metrics = common.read_metrics(folder)
        if args.card_only:
            rows = metrics["serving"]["precisions"]
            result = {**metrics["serving"], "passed": passed(task, rows), "rule": rule(task)}
        else:
            result = measure(task, str(folder), args.limit)
        metrics["serving"] = result
        common.write_metrics(folder, metrics)
        common.write_card(folder, metrics.get("card_template", task.removesuffix("_general")))
        print(f"{task}: serves at {', '.join(result['passed'])}; wrote {folder}/metrics.json and README.md",
              flush=True)
        done[task] = result
    return done


if __name__ == "__main__":
    main()
