"""Extractive QA data for the course's chapter 7.7: SQuAD-Shifts to train, the SQuAD v1.1 dev set to evaluate.

Both come as SQuAD-format JSON inside the `bigbench==1.0.0` sdist (see `shared.data.pairs` for how it is
fetched and cached). Train: SQuAD-Shifts new Wikipedia, NYT, Reddit and Amazon reviews (CC BY 4.0), split by
article into train / validation. Test: the SQuAD v1.1 dev set (CC BY-SA 4.0), the course's evaluation split,
never trained on (10,565 of its 10,570 questions: BIG-bench dropped 5).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

TRAIN_SOURCES = ("new_wiki", "nyt", "reddit", "amazon")
TEST_SOURCE = "squad_dev"
LICENSE = "SQuAD v1.1 dev CC BY-SA 4.0; SQuAD-Shifts CC BY 4.0"


def read(path: str | Path, source: str = "") -> list[dict]:
    """Rows {"id", "title", "context", "question", "answers": {"text", "answer_start"}} of a SQuAD-format file;
    answers whose start does not point at their text are dropped, and so are questions left without one."""
    rows = []
    for article in json.loads(Path(path).read_text())["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                good = [a for a in qa["answers"] if context[a["answer_start"]:].startswith(a["text"])]
                if good:
                    rows.append({"id": qa["id"], "title": f"{source}/{article['title']}" if source else article["title"],
                                 "context": context, "question": qa["question"],
                                 "answers": {"text": [a["text"] for a in good],
                                             "answer_start": [a["answer_start"] for a in good]}})
    return rows


def load(path: str | Path | None = None, *, seed: int = 0, validation_articles: float = 0.05):
    """DatasetDict train / validation (SQuAD-Shifts, split by article) / test (SQuAD v1.1 dev). `path`: one
    SQuAD-format file used for all three (smoke runs and tests)."""
    import datasets

    if path is not None:
        rows = read(path)
        ds = datasets.Dataset.from_list(rows)
        return datasets.DatasetDict(train=ds, validation=ds, test=ds)
    from shared.data import pairs

    folder = pairs.source_dir()
    train = [r for s in TRAIN_SOURCES for r in read(folder / pairs.SOURCES[s], s)]
    titles = sorted({r["title"] for r in train})
    random.Random(seed).shuffle(titles)
    held = set(titles[:max(1, round(len(titles) * validation_articles))])
    test = read(folder / pairs.SOURCES[TEST_SOURCE], TEST_SOURCE)
    dd = datasets.DatasetDict(train=datasets.Dataset.from_list([r for r in train if r["title"] not in held]),
                              validation=datasets.Dataset.from_list([r for r in train if r["title"] in held]),
                              test=datasets.Dataset.from_list(test))
    for split in dd.values():
        split.info.license = LICENSE
    return dd
