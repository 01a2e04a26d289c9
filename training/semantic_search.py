"""Build the semantic-search index of the Python FAQ (course chapter 5) and score it against BM25.

    python -m training.semantic_search                 # corpus -> embeddings -> checkpoint folder + card (~1 min)
    python -m training.semantic_search --smoke         # the same on training/smoke_data/python_faq
    python -m training.semantic_search --rescore --output-dir checkpoints/semantic_search

Nothing is trained: the "checkpoint" is the corpus with its embeddings, built as chapter 5 builds its issues
index (`shared.data.python_faq`: load the pages as local files, split, explode, filter, concatenate; then
`Dataset.map` embeds every row with all-MiniLM-L6-v2, mean-pooled as it was trained). The Space adds the FAISS
index and the BM25 index at start (timed here: they take milliseconds). With no gradient steps nothing is
data-parallel: under `accelerate launch` with several processes the main process does all the work and the others
exit at once.

Scores: `training/eval_data/python_faq_queries.json`, 50 queries written by hand with their relevant FAQ
questions before any system ran on them. Recall@5 and MRR@10 for BM25 (stemmed, without stop words: the
baseline), the embeddings with mean pooling (the Space's), the embeddings with the course's [CLS] pooling (to
show why not), and the hybrid (reciprocal rank fusion of BM25 and the embeddings). The Space's default method
is the best of the embeddings and the hybrid by MRR.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from shared import embeddings, hub
from shared.data import python_faq
from shared.metrics import retrieval
from shared.tasks import semantic_search as task
from training import common

QUERIES = Path(__file__).resolve().parent / "eval_data" / "python_faq_queries.json"
SMOKE_DIR = common.SMOKE_DATA / "python_faq"
CARD = {"title": "Semantic search over the Python FAQ (MiniLM embeddings + FAISS)", "license": "psf-2.0",
        "datasets": ["python-faq"], "pipeline_tag": "sentence-similarity", "task_name": "Semantic Search",
        "tags": ["semantic-search", "faiss", "bm25", "minilm"], "base_model": hub.MINILM,
        "library_name": "sentence-transformers"}
COURSE_REFERENCE = {"corpus": "GitHub issues of huggingface/datasets (comments exploded)",
                    "model": "sentence-transformers/multi-qa-mpnet-base-dot-v1", "pooling": "CLS"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_args(parser, output_dir="/tmp/ckpt-semantic-search", hub_model_id=None, data_parallel=False)
    parser.add_argument("--queries", default=str(QUERIES), help="the judged queries (JSON)")
    parser.add_argument("--batch-size", type=int, default=32)
    return parser


def build_corpus(folder: Path | None):
    """The FAQ rows with an `id` and their `embeddings` (mean pooling + L2 normalisation)."""
    corpus = python_faq.build(folder)
    corpus = corpus.add_column("id", list(range(len(corpus))))
    encoder = embeddings.get_encoder()
    return corpus.map(lambda batch: {"embeddings": embeddings.embed(encoder, batch["text"])}, batched=True,
                      batch_size=64, desc="embedding")


def cls_vectors(texts: list[str], batch_size: int = 32) -> np.ndarray:
    """The course's pooling: the [CLS] token's last hidden state, L2-normalised (for comparison only)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = hub.base_model_path(hub.MINILM)
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            batch = tokenizer(texts[i:i + batch_size], padding=True, truncation=True,
                              max_length=embeddings.MAX_MODEL_TOKENS, return_tensors="pt")
            out.append(torch.nn.functional.normalize(model(**batch).last_hidden_state[:, 0], dim=-1).numpy())
    return np.concatenate(out)


def evaluate(index: task.SearchIndex, queries: list[dict], depth: int = 10) -> dict:
    """Recall@5 and MRR@10 of every method on the judged queries, plus each query's top-5 questions."""
    questions = list(index.corpus["question"])
    unknown = [q for item in queries for q in item["relevant"] if q not in questions]
    if unknown:
        common.fail(f"the judged queries name questions that are not in the corpus: {unknown[:3]}")
    relevant = [set(item["relevant"]) for item in queries]
    texts = [item["query"] for item in queries]
    runs = {method: [[questions[row] for row, _ in index.search(q, depth, method)] for q in texts]
            for method in ("bm25", "embeddings", "hybrid")}
    corpus_cls, query_cls = cls_vectors(list(index.corpus["text"])), cls_vectors(texts)
    runs["embeddings, CLS pooling"] = [[questions[i] for i in np.argsort(-(corpus_cls @ q))[:depth]] for q in query_cls]
    scores = {method: retrieval.score_rankings(ranked, relevant) for method, ranked in runs.items()}
    for method, s in scores.items():
        print(f"{method:25} recall@5 {s['recall@5']:.3f}  MRR@10 {s['mrr@10']:.3f}", flush=True)
    return {"scores": scores, "top5": {method: [r[:5] for r in ranked] for method, ranked in runs.items()}}


def time_start(folder: Path, repeats: int = 5) -> dict:
    """Milliseconds to open the saved corpus and build both indexes (what the Space does at start; the
    encoder, loaded once per process, is not counted), and for one query through each method."""
    from shared import modeling

    embeddings.get_encoder()
    build = []
    for _ in range(repeats):
        started = time.perf_counter()
        index = task.open_index(str(folder))
        build.append((time.perf_counter() - started) * 1000)
    query = {}
    for method in task.METHODS:
        times = []
        for _ in range(repeats * 4):
            started = time.perf_counter()
            index.search("how do I copy a list", task.DEFAULT_K, method)
            times.append((time.perf_counter() - started) * 1000)
        query[method] = float(np.median(times))
    modeling.clear_cache()
    return {"index_build_ms": float(np.median(build)), "query_ms": query}


def results(evaluation: dict, default: str, n: int) -> list[dict]:
    s, base = evaluation["scores"][default], evaluation["scores"]["bm25"]
    return [{"split": f"{n} hand-written queries", "metric": metric, "value": s[metric],
             "baseline": "BM25 (stemmed, no stop words)", "baseline_value": base[metric], "dataset_id": "python-faq"}
            for metric in ("recall@5", "mrr@10")]


def main(argv: list[str] | None = None) -> dict:
    args = common.parse_args(build_parser(), argv)
    folder = Path(args.output_dir)
    if args.card_only:
        return common.rewrite(folder, "semantic_search")
    started = time.time()
    queries = json.loads(Path(SMOKE_DIR / "queries.json" if args.smoke else args.queries).read_text())["queries"]
    if not args.rescore:
        corpus = build_corpus(SMOKE_DIR if args.smoke else None)
        corpus.save_to_disk(str(folder / task.CORPUS_DIR))
        config = {"encoder": hub.MINILM, "pooling": "mean", "default_method": "hybrid", "rrf_k": task.RRF_K,
                  "corpus": python_faq.SOURCE}
        (folder / task.CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    index = task.open_index(str(folder))
    evaluation = evaluate(index, queries)
    scores = evaluation["scores"]
    default = max(("embeddings", "hybrid"), key=lambda m: (scores[m]["mrr@10"], scores[m]["recall@5"]))
    config = task.read_config(str(folder))
    config["default_method"] = default
    (folder / task.CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    speed = time_start(folder)
    print(f"default method: {default}; index build {speed['index_build_ms']:.1f} ms; query {speed['query_ms']}",
          flush=True)
    metrics = {"task": task.TASK, "smoke": args.smoke, "base_model": hub.MINILM, "rows": len(index),
               "pages": sorted(set(index.corpus["page"])), "evaluation": evaluation, "default_method": default,
               "speed": speed, "queries": len(queries), "seconds": round(time.time() - started, 1),
               "environment": common.environment(), "card": CARD, "course_reference": COURSE_REFERENCE,
               "data_description": python_faq.SOURCE, "results": results(evaluation, default, len(queries))}
    common.finish(args, metrics, card="semantic_search")
    return metrics


if __name__ == "__main__":
    main()
