"""Text for masked-language modelling (course chapter 7.3): general English, and review text to adapt to.

- `general()`: the Brown corpus (500 documents, 15 genres; passages of 5 sentences) and the SQuAD-Shifts
  paragraphs of new Wikipedia articles and New York Times articles, each split by document (a Brown file, an
  article) into train / validation.
- `reviews()`: the Rotten Tomatoes review snippets of the VADER corpus, its train and validation splits as
  `shared.data.vader` makes them for the sentiment model; its test splits (Rotten Tomatoes test, Amazon, NYT,
  tweets) are never read here.

Both return a `datasets.DatasetDict` {"train", "validation"} with one column, "text". `path`: a smoke-data
folder (the tests) instead of the cached corpora.
"""

from __future__ import annotations

from pathlib import Path

GENERAL_SQUAD_SOURCES = ("new_wiki", "nyt")
LICENSE = {"general": "Brown corpus (redistribution permitted); SQuAD-Shifts CC BY 4.0",
           "reviews": "VADER corpus, MIT (Rotten Tomatoes snippets of Pang & Lee)"}


def general(brown_path: str | Path | None = None, squad_path: str | Path | None = None, *, seed: int = 0,
            validation_fraction: float = 0.1):
    import datasets

    from shared.data import brown, squad

    docs = brown.load_brown(brown_path, dev_fraction=1 - validation_fraction, seed=seed)
    texts = {"train": list(docs["dev"]["text"]), "validation": list(docs["test"]["text"])}
    if squad_path is None:
        from shared.data import pairs

        folder = pairs.source_dir()
        rows = [r for s in GENERAL_SQUAD_SOURCES for r in squad.read(folder / pairs.SOURCES[s], s)]
    else:
        rows = squad.read(squad_path)
    titles = sorted({r["title"] for r in rows})
    held = set(datasets.Dataset.from_dict({"t": titles}).train_test_split(
        test_size=validation_fraction, seed=seed)["test"]["t"]) if len(titles) > 1 else set()
    seen = set()
    for r in rows:
        if r["context"] not in seen:
            seen.add(r["context"])
            texts["validation" if r["title"] in held else "train"].append(r["context"])
    return datasets.DatasetDict({k: datasets.Dataset.from_dict({"text": v}) for k, v in texts.items()})


def reviews(path: str | Path | None = None, *, seed: int | None = None):
    import datasets

    from shared.data import vader

    data = vader.build(path, **({} if seed is None else {"seed": seed}))
    return datasets.DatasetDict({k: data[k].select_columns(["text"]) for k in ("train", "validation")})
