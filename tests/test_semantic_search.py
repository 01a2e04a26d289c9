"""Semantic search (course ch5): the FAQ builder on its fixture, an index built from it that returns the planted
nearest neighbour, BM25 and the fusion, the metrics, the committed index and the Space."""

import json

import pytest
from conftest import load_app, serve
from gradio_client.exceptions import AppError

from shared import hub, modeling
from shared.data import python_faq
from shared.metrics import retrieval
from shared.tasks import InputError
from shared.tasks import semantic_search as search
from training import semantic_search as build_index

PAGE = """\
===========
Library FAQ
===========

.. contents::

General
=======

How do I copy a file?
---------------------

The :mod:`shutil` module contains a :func:`~shutil.copyfile` function; see `the docs <https://x.org>`_.

Threads
=======

How do I program using threads?
-------------------------------

Use the ``threading`` module::

   import threading
"""


def test_a_faq_page_splits_into_questions_under_their_sections():
    entries = python_faq.split_page(PAGE)
    assert [(e["section"], e["question"]) for e in entries] == [
        ("General", "How do I copy a file?"), ("Threads", "How do I program using threads?")]
    assert python_faq.clean_rst(entries[0]["answer"]) == ("The shutil module contains a shutil.copyfile function; "
                                                          "see the docs.")
    assert "threading module:" in python_faq.clean_rst(entries[1]["answer"])
    assert python_faq.anchor("How do I copy a file?") == "how-do-i-copy-a-file"


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory):
    """The index of the six fixture questions, built by the training script's own steps."""
    folder = tmp_path_factory.mktemp("index")
    corpus = build_index.build_corpus(build_index.SMOKE_DIR)
    corpus.save_to_disk(str(folder / search.CORPUS_DIR))
    (folder / search.CONFIG_NAME).write_text(json.dumps({"encoder": "sentence-transformers/all-MiniLM-L6-v2",
                                                         "default_method": "embeddings"}))
    return str(folder)


def test_the_index_returns_the_planted_nearest_neighbour(fixture_index):
    index = search.open_index(fixture_index)
    assert len(index) == 6 and set(index.corpus["page"]) == {"programming", "library"}
    for query, planted in [("send an email from code", "How do I send mail from a Python script?"),
                           ("my function remembers the list from the previous call",
                            "Why are default values shared between objects?"),
                           ("duplicate a nested object", "How do I copy an object in Python?")]:
        out = search.predict(query, 3, model=fixture_index)
        assert out.value[0]["question"] == planted, (query, out.value)
        assert out.value[0]["score"] > out.value[1]["score"] and out.value[0]["url"].startswith("https://docs.python")


def test_bm25_needs_a_shared_word_and_the_hybrid_fuses_both(fixture_index):
    out = search.predict("zzz qqq", 3, "bm25", model=fixture_index)
    assert out.value == [] and "shares a word" in out.notices[0]
    index = search.open_index(fixture_index)
    embeddings = [row for row, _ in index.by_embeddings("copy a file", 6)]
    bm25 = [row for row, _ in index.by_bm25("copy a file", 6)]
    fused = index.hybrid("copy a file", 6)
    assert {row for row, _ in fused} == set(embeddings) | set(bm25)
    top = fused[0][0]
    assert top == embeddings[0] == bm25[0]  # first in both lists: first after fusion
    assert fused[0][1] == pytest.approx(2 / (search.RRF_K + 1))


def test_queries_are_checked_first():
    for bad, words in [("", "type a question"), (None, "type a question"), ("q" * 1001, "at most 1,000")]:
        with pytest.raises(InputError, match=words):
            search.check(bad)
    with pytest.raises(InputError, match="from 1 to 20"):
        search.check("copy", 0)
    with pytest.raises(InputError, match="Unknown search method"):
        search.check("copy", 5, "grep")
    assert search.check(" copy ", 5, "default") == search.check("copy", 5) == ("copy", 5, None)


def test_recall_and_reciprocal_rank():
    assert retrieval.recall_at_k(["a", "b", "c"], {"c", "z"}, 2) == 0
    assert retrieval.recall_at_k(["a", "b", "c"], {"c", "z"}, 3) == 0.5
    assert retrieval.reciprocal_rank(["a", "b", "c"], {"c"}) == pytest.approx(1 / 3)
    assert retrieval.score_rankings([["a"], ["b", "a"]], [{"a"}, {"a"}], k=1) == {
        "recall@1": 0.5, "mrr@10": 0.75, "queries": 2}


def test_the_committed_index_beats_bm25_on_the_judged_queries():
    metrics = json.loads((hub.CHECKPOINTS_DIR / "semantic_search" / "metrics.json").read_text())
    scores = metrics["evaluation"]["scores"]
    default = scores[metrics["default_method"]]
    assert metrics["queries"] >= 40
    assert default["recall@5"] > scores["bm25"]["recall@5"] and default["mrr@10"] > scores["bm25"]["mrr@10"]


def test_a_batch_embeds_its_queries_together_and_answers_as_single_calls(fixture_index, monkeypatch, fp32):
    requests = [("send an email from code", 3, None), ("", 3, None), ("copy a file", 6, "hybrid"),
                ("delete a file", 2, "bm25"), ("copy", 99, None), "a bare query"]
    modeling.clear_cache()  # an earlier test may have cached this index on a bf16 model: load it again in fp32
    index = search.load(fixture_index)
    calls = []
    real = index.embed_all
    monkeypatch.setattr(index, "embed_all", lambda queries: calls.append(list(queries)) or real(queries))
    mail, blank, copy, delete, too_many, bare = search.predict_batch(requests, model=fixture_index)
    assert calls == [["send an email from code", "copy a file"]]  # one forward pass; BM25 needs none
    for batched, request in ((mail, requests[0]), (copy, requests[2]), (delete, requests[3])):
        alone = search.predict(*request, model=fixture_index)
        assert [r["question"] for r in batched.value] == [r["question"] for r in alone.value]
        assert [r["score"] for r in batched.value] == pytest.approx([r["score"] for r in alone.value], abs=1e-4)
    assert "type a question" in blank.error and "from 1 to 20" in too_many.error and "request" in bare.error


def test_the_space_answers_and_keeps_serving():
    app = load_app("semantic-search")
    with serve(app.demo) as client:
        table, notice = client.predict("how do I duplicate a list or a dict?", api_name="/predict")
        assert table["headers"] == app.HEADERS and len(table["data"]) == search.DEFAULT_K and notice == ""
        assert "copy an object" in table["data"][0][2] and "docs.python.org" in table["data"][0][2]
        with pytest.raises(AppError, match="type a question"):
            client.predict("   ", api_name="/predict")
        table, notice = client.predict("delete a file", 3, "bm25", api_name="/predict")
        assert len(table["data"]) == 3 and "delete a file" in table["data"][0][2].lower()
        table, notice = client.predict("zzz qqq", 3, "bm25", api_name="/predict")
        assert table["data"] in ([], [[]]) or not any(table["data"][0]), table
        assert "shares a word" in notice
