"""Semantic search over the Python FAQ (course chapter 5, "Semantic search with FAISS").

The index folder (`checkpoints/semantic_search/`, written by `python -m training.semantic_search`) holds the
corpus as a saved `datasets.Dataset` (`shared.data.python_faq`: one row per FAQ question, with its answer, page,
link and its MiniLM embedding) and `search_config.json` (the encoder, the default method, the fusion constant).
At load, `Dataset.add_faiss_index` indexes the embeddings (a flat inner-product index: ~200 rows, well under a
millisecond to build) and bm25s indexes the same texts.

Three ways to rank, each a function of this module:
- `embeddings`: the query embedded by all-MiniLM-L6-v2 as it was trained (mean pooling, then L2 normalisation:
  `shared.embeddings`), nearest rows by cosine with `Dataset.get_nearest_examples`. The course pools with the
  [CLS] token because its model (multi-qa-mpnet-base-dot-v1) was trained that way; MiniLM was trained with mean
  pooling, and its [CLS] vector was never trained to stand for the sentence (the card measures both);
- `bm25`: BM25 over stemmed words without English stop words (bm25s + PyStemmer), the classic baseline;
- `hybrid`: reciprocal rank fusion of the two rankings (each row scores the sum of 1 / (RRF_K + rank)).

`predict(query, k)` returns the top k as rows {rank, score, question, section, page, snippet, url};
`predict_batch` answers several requests with their queries embedded together.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from shared import hub
from shared.tasks import InputError, Output, answer_batch, check_text

TASK = "semantic_search"
MAX_INPUT_CHARS = 1_000  # a query, not a document
MAX_MODEL_TOKENS = 256  # the encoder's window; queries are far shorter
MAX_K = 20
DEFAULT_K = 5
METHODS = ("hybrid", "embeddings", "bm25")
DEFAULT_METHOD = "default"  # the one the index was built and scored for (None says the same)
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al. 2009)
FUSION_DEPTH = 50  # how deep each ranking is read before fusing
SNIPPET_CHARS = 300
CONFIG_NAME = "search_config.json"
CORPUS_DIR = "corpus"


def check(query, k=DEFAULT_K, method=None) -> tuple[str, int, str | None]:
    query = check_text(query, "query", max_chars=MAX_INPUT_CHARS,
                       empty="Please type a question first, e.g. \"how do I copy a list?\".")
    try:
        k = int(k)
    except (TypeError, ValueError):
        raise InputError(f"The number of results must be a whole number from 1 to {MAX_K}; got {k!r}.") from None
    if not 1 <= k <= MAX_K:
        raise InputError(f"The number of results must be from 1 to {MAX_K}; got {k}.")
    if method == DEFAULT_METHOD:
        method = None
    if method is not None and method not in METHODS:
        raise InputError(f"Unknown search method {method!r}; choose one of {DEFAULT_METHOD}, {', '.join(METHODS)}.")
    return query.strip(), k, method


# ---------------------------------------------------------------------------------------------- the index

def bm25_tokens(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stemmed words without English stop words (bm25s' tokenizer with PyStemmer)."""
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), return_ids=False,
                          show_progress=False)


class SearchIndex:
    """A corpus with its embeddings (FAISS) and its words (BM25), and the encoder for queries."""

    def __init__(self, corpus, config: dict, precision: str | None = None):
        import bm25s
        import faiss

        from shared.embeddings import get_encoder

        self.config = config
        self.corpus = corpus
        self.corpus.add_faiss_index(column="embeddings", metric_type=faiss.METRIC_INNER_PRODUCT)
        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25_tokens(list(corpus["text"])), show_progress=False)
        self.encoder = get_encoder(config["encoder"], precision=precision)

    def __len__(self) -> int:
        return len(self.corpus)

    def embed(self, query: str) -> np.ndarray:
        return self.embed_all([query])[0]

    def embed_all(self, queries: list[str]) -> np.ndarray:
        """The queries' unit vectors, in one forward pass per 32 (a batch of visitors shares it)."""
        from shared.embeddings import embed

        return embed(self.encoder, queries)

    def by_embeddings(self, query: str, k: int, vector: np.ndarray | None = None) -> list[tuple[int, float]]:
        """[(row, cosine)] of the k nearest rows (`Dataset.get_nearest_examples`, as chapter 5); `vector`: the
        query's embedding when it was already computed."""
        vector = self.embed(query) if vector is None else vector
        scores, rows = self.corpus.get_nearest_examples("embeddings", vector, k=min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(rows["id"], scores)]

    def by_bm25(self, query: str, k: int) -> list[tuple[int, float]]:
        """[(row, BM25 score)] of the k best rows with a word in common with the query."""
        tokens = bm25_tokens([query])
        if not tokens[0]:
            return []
        rows, scores = self.bm25.retrieve(tokens, k=min(k, len(self)), show_progress=False)
        return [(int(i), float(s)) for i, s in zip(rows[0], scores[0]) if s > 0]

    def hybrid(self, query: str, k: int, vector: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Reciprocal rank fusion of the embedding and BM25 rankings: [(row, fused score)]."""
        fused: dict[int, float] = {}
        rrf_k = self.config.get("rrf_k", RRF_K)
        for ranking in (self.by_embeddings(query, FUSION_DEPTH, vector), self.by_bm25(query, FUSION_DEPTH)):
            for rank, (row, _) in enumerate(ranking, 1):
                fused[row] = fused.get(row, 0.0) + 1.0 / (rrf_k + rank)
        return sorted(fused.items(), key=lambda item: -item[1])[:k]

    def search(self, query: str, k: int, method: str, vector: np.ndarray | None = None) -> list[tuple[int, float]]:
        if method == "bm25":
            return self.by_bm25(query, k)
        return {"embeddings": self.by_embeddings, "hybrid": self.hybrid}[method](query, k, vector)


def read_config(where: str) -> dict:
    path = Path(where) / CONFIG_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{where} has no {CONFIG_NAME}; build the index with "
                                f"`{hub.training_command(TASK)}`.")
    return json.loads(path.read_text())


def open_index(where: str) -> SearchIndex:
    import datasets

    from shared import modeling

    return SearchIndex(datasets.load_from_disk(str(Path(where) / CORPUS_DIR)), read_config(where),
                       precision=modeling.serving_precision(where))


def load(model: str | None = None) -> SearchIndex:
    """The search index of `model` (a folder; default `shared.hub.resolve(TASK)`), built once per process."""
    from shared import modeling

    where = hub.resolve(TASK, model)
    if not Path(where).is_dir():
        from huggingface_hub import snapshot_download

        where = snapshot_download(where)
    return modeling.cached(("search-index", where), lambda: open_index(where))


# ---------------------------------------------------------------------------------------------- predict

def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def predict(query, k=DEFAULT_K, method=None, model: str | None = None) -> Output:
    """The k best FAQ entries for `query`: [{rank, score, question, section, page, snippet, url}]."""
    return _search([check(query, k, method)], model)[0]


def predict_batch(requests: list, model: str | None = None) -> list[Output]:
    """`predict` for a list of (query, k, method) requests, their queries embedded in shared forward passes (the
    Space's batched event); a bad request gets an Output with `error` and does not fail the others."""
    return answer_batch(requests, check, lambda good: _search(good, model), unpack="(query, k, method)")


def _search(requests: list[tuple[str, int, str | None]], model: str | None) -> list[Output]:
    index = load(model)
    methods = [method or index.config.get("default_method", "hybrid") for _, _, method in requests]
    embedded = [i for i, method in enumerate(methods) if method != "bm25"]
    vectors = dict(zip(embedded, index.embed_all([requests[i][0] for i in embedded]))) if embedded else {}
    return [_rows(index, index.search(query, k, method, vectors.get(i)))
            for i, ((query, k, _), method) in enumerate(zip(requests, methods))]


def _rows(index: SearchIndex, hits: list[tuple[int, float]]) -> Output:
    notices = []
    if not hits:
        notices.append("No entry shares a word with that query; try other words, or the embeddings method.")
    rows = [index.corpus[row] for row, _ in hits]
    value = [{"rank": rank, "score": round(score, 4), "question": row["question"], "section": row["section"],
              "page": row["page"], "snippet": snippet(row["answer"]), "url": row["url"]}
             for rank, ((_, score), row) in enumerate(zip(hits, rows), 1)]
    return Output(value, notices)
