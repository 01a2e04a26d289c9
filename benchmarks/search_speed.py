"""Speed of semantic search (chapter 5): the Space over HTTP, and how a FAISS index grows with the corpus.

    python benchmarks/search_speed.py [--requests 50] [--queries 200]

1. The Space: spaces/semantic-search/app.py in a subprocess (benchmarks.local_space.run_app), /predict called one
   request at a time on the 50 judged queries over plain HTTP (each method) and through gradio_client, p50 / p95;
   and in this process the task's `predict` (no HTTP), the query embedding alone and BM25 alone.
2. Growth: the shipped embeddings (178 FAQ rows) and corpora 10x and 100x larger (each row replicated with
   Gaussian noise added to its vector, then normalised: synthetic neighbours of real points), searched with
   a flat inner-product index (exact; what the Space uses), HNSW (M=32, efSearch=64) and IVF (sqrt(n) lists,
   nprobe=8): build time, p50 search time of one query (embedding not included), and recall@10 against exact.
Prints tables with the CPU model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.local_space import run_app  # noqa: E402
from shared.modeling import cpu_model  # noqa: E402

QUERIES = REPO / "training" / "eval_data" / "python_faq_queries.json"


def ms_stats(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(1000 * s for s in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, int(0.95 * len(ms)))]


def over_http(queries: list[str], requests: int) -> list[str]:
    """The Space in a subprocess, one request at a time: plain HTTP (as a browser's fetch) per method, and
    gradio_client (whose reader polls every 50 ms) for the default."""
    from benchmarks.speed import ClientAsk, HttpAsk

    rows = []
    with run_app(REPO / "spaces" / "semantic-search", env={"HF_HUB_OFFLINE": "1"}) as (url, _, _):
        setups = [("plain HTTP", HttpAsk(url), method) for method in ("default", "embeddings", "hybrid", "bm25")]
        setups.append(("gradio_client", ClientAsk(url), "default"))
        for name, ask, method in setups:
            for q in queries[:5]:  # warm: the encoder loads in the background at start
                ask((q, 5, method))
            times = []
            for i in range(requests):
                started = time.perf_counter()
                ask((queries[i % len(queries)], 5, method))
                times.append(time.perf_counter() - started)
            p50, p95 = ms_stats(times)
            rows.append(f"| Space, {name}, {method} | {p50:.1f} | {p95:.1f} |")
    return rows


def in_process(queries: list[str], requests: int) -> list[str]:
    from shared.tasks import semantic_search as search

    index = search.load()
    rows = []
    for name, fn in [("task predict(), default method", lambda q: search.predict(q)),
                     ("query embedding alone (MiniLM, mean pooling)", lambda q: index.embed(q)),
                     ("BM25 alone", lambda q: index.by_bm25(q, 5))]:
        fn(queries[0])
        times = []
        for i in range(requests):
            started = time.perf_counter()
            fn(queries[i % len(queries)])
            times.append(time.perf_counter() - started)
        p50, p95 = ms_stats(times)
        rows.append(f"| in process: {name} | {p50:.1f} | {p95:.1f} |")
    return rows


def grown(vectors: np.ndarray, factor: int, seed: int = 0) -> np.ndarray:
    """`factor` noisy copies of each vector (noise 0.5x a vector's norm spread over 384 dims), normalised."""
    if factor == 1:
        return vectors
    rng = np.random.default_rng(seed)
    copies = np.repeat(vectors, factor, axis=0)
    copies[len(vectors):] += rng.normal(0, 0.5 / np.sqrt(vectors.shape[1]), copies[len(vectors):].shape)
    return (copies / np.linalg.norm(copies, axis=1, keepdims=True)).astype(np.float32)


def growth(vectors: np.ndarray, queries: np.ndarray) -> list[str]:
    import faiss

    rows = []
    for factor in (1, 10, 100):
        corpus = grown(vectors, factor)
        n, d = corpus.shape
        exact = faiss.IndexFlatIP(d)
        exact.add(corpus)
        _, truth = exact.search(queries, 10)
        hnsw = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efSearch = 64
        lists = max(1, int(np.sqrt(n)))
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, lists, faiss.METRIC_INNER_PRODUCT)
        for name, index in [("flat (exact)", None), ("HNSW M=32 ef=64", hnsw), (f"IVF {lists} lists nprobe=8", ivf)]:
            started = time.perf_counter()
            if index is None:
                index = faiss.IndexFlatIP(d)
            if not index.is_trained:
                index.train(corpus)
            index.add(corpus)
            build = time.perf_counter() - started
            if isinstance(index, faiss.IndexIVFFlat):
                index.nprobe = min(8, lists)
            times = []
            for q in queries:
                started = time.perf_counter()
                index.search(q[None], 10)
                times.append(time.perf_counter() - started)
            _, found = index.search(queries, 10)
            recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)])
            p50, _ = ms_stats(times)
            rows.append(f"| {n:,} | {name} | {build * 1000:.0f} | {p50 * 1000:.0f} | {recall:.3f} |")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--no-http", action="store_true", help="skip the Space over HTTP")
    args = parser.parse_args(argv)
    import faiss

    faiss.omp_set_num_threads(1)  # one query at a time, as a Space serves it
    queries = [q["query"] for q in json.loads(QUERIES.read_text())["queries"]]
    print(f"CPU: {cpu_model()}\n")
    print("| path | p50 ms | p95 ms |\n|---|---|---|")
    for row in ([] if args.no_http else over_http(queries, args.requests)) + in_process(queries, args.requests):
        print(row, flush=True)
    from shared.tasks import semantic_search as search

    index = search.load()
    vectors = np.asarray(index.corpus["embeddings"], dtype=np.float32)
    query_vectors = np.stack([index.embed(q) for q in queries]).astype(np.float32)
    print("\n| rows | index | build ms | p50 search µs | recall@10 vs exact |\n|---|---|---|---|---|")
    for row in growth(vectors, query_vectors):
        print(row, flush=True)


if __name__ == "__main__":
    main()
