"""Human-rated sentences from the VADER paper (Hutto & Gilbert, ICWSM 2014) as a `datasets.DatasetDict`.

Source: the `vaderSentiment` source distribution on PyPI (MIT licence), file
`additional_resources/hutto_ICWSM_2014.tar.gz`. Each `*_GroundTruth.txt` line is
`id <TAB> mean rating <TAB> text`, the mean of 10-20 human ratings from -4 (extremely negative) to +4.

- `movieReviewSnippets`: 10,605 Rotten Tomatoes snippets (Pang & Lee's sentence polarity data, the sentences
  that SST was built from) -> the main set, split train/validation/test (80/10/10, seeded, after dropping
  duplicates and near-neutral sentences).
- `amazonReviewSnippets`, `nytEditorialSnippets`, `tweets` -> out-of-domain test splits `test_amazon`,
  `test_nyt`, `test_tweets`.
- `vader_sentiment_lexicon.txt`: 7,517 words, emoticons and slang, each rated by 10 people on the same scale
  -> split `lexicon`, optional extra training data (SST-2 likewise trains on rated phrases, not only sentences).

Binary labels follow SST-2: SST maps a sentence's score in [0, 1] to negative when <= 0.4 and positive when
> 0.6 and drops the neutral middle. On VADER's -4..+4 scale ((rating + 4) / 8 = SST score) that is
negative when rating <= -0.8, positive when rating > +0.8; sentences with -0.8 < rating <= 0.8 are dropped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import datasets

CACHE = Path(os.environ.get("NLP_COURSE_CACHE", Path.home() / ".cache" / "nlp-course-live")) / "vader"
FOLDER = "hutto_ICWSM_2014"
SDIST = "vaderSentiment==3.3.2"
NEUTRAL = 0.8  # |rating| band (on -4..+4) dropped as neutral, SST-2's (0.4, 0.6] on its 0..1 scale
LABELS = ["negative", "positive"]
SEED = 42
LEXICON = "vader_sentiment_lexicon.txt"  # token <TAB> mean <TAB> std <TAB> [ratings]
FILES = {  # split -> file stem
    "rotten_tomatoes": "movieReviewSnippets",
    "test_amazon": "amazonReviewSnippets",
    "test_nyt": "nytEditorialSnippets",
    "test_tweets": "tweets",
}
DESCRIPTION = (
    "Human-rated sentences from the VADER paper (Hutto & Gilbert, ICWSM 2014), taken from the vaderSentiment "
    "source distribution on PyPI (file additional_resources/hutto_ICWSM_2014.tar.gz; MIT licence). "
    "Main set: Rotten Tomatoes review snippets, split train/validation/test 80/10/10 (seed {seed}); "
    "out-of-domain test sets: Amazon review snippets, New York Times editorial snippets, tweets; "
    "optional extra training split: the VADER lexicon's human-rated words, emoticons and slang. "
    "Label = mean human rating on -4..+4 binarized as in SST-2: negative <= -{t}, positive > +{t}, "
    "near-neutral sentences dropped."
)
CITATION = ("Hutto, C.J. & Gilbert, E.E. (2014). VADER: A Parsimonious Rule-based Model for Sentiment Analysis "
            "of Social Media Text. Eighth International Conference on Weblogs and Social Media (ICWSM-14).")


FEATURES = datasets.Features({"id": datasets.Value("string"), "text": datasets.Value("string"),
                              "rating": datasets.Value("float32"), "label": datasets.ClassLabel(names=LABELS)})


def label_of(rating: float) -> int | None:
    """0 negative, 1 positive, None for the near-neutral band that is dropped."""
    if rating <= -NEUTRAL:
        return 0
    if rating > NEUTRAL:
        return 1
    return None


def download(cache: Path = CACHE) -> Path:
    """pip-download the vaderSentiment sdist into the cache and extract the ratings folder; return that folder."""
    target = cache / FOLDER
    if (target / "movieReviewSnippets_GroundTruth.txt").is_file() and (target / LEXICON).is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    sdists = sorted(cache.glob("vaderSentiment-*.tar.gz"))
    if not sdists:
        print(f"downloading the {SDIST} source distribution from PyPI into {cache}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", SDIST,
                        "-d", str(cache), "--quiet"], check=True)
        sdists = sorted(cache.glob("vaderSentiment-*.tar.gz"))
    with tarfile.open(sdists[-1]) as outer:
        member = next(m for m in outer.getmembers() if m.name.endswith(f"{FOLDER}.tar.gz"))
        inner_bytes = outer.extractfile(member)
        with tarfile.open(fileobj=inner_bytes) as inner:
            for m in inner.getmembers():
                if m.isfile() and m.name.endswith(("_GroundTruth.txt", "_README_.txt", LEXICON)):
                    m.name = Path(m.name).name
                    inner.extract(m, target, filter="data")
    return target


def read_ratings(path: str | Path) -> list[tuple[str, float, str]]:
    """(id, mean rating, text) rows of one *_GroundTruth.txt file (CRLF, possibly a BOM)."""
    rows = []
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) < 3 or not parts[2].strip():
                continue
            rows.append((parts[0].strip(), float(parts[1]), "\t".join(parts[2:]).strip()))
    return rows


def read_lexicon(path: str | Path) -> list[tuple[str, float, str]]:
    """(id, mean rating, token) rows of the lexicon file."""
    rows = []
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for i, line in enumerate(f, 1):
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) >= 2 and parts[0].strip():
                rows.append((str(i), float(parts[1]), parts[0].strip()))
    return rows


def _dataset(rows, source: str, info: datasets.DatasetInfo) -> datasets.Dataset:
    seen, keep = set(), {"id": [], "text": [], "rating": [], "label": []}
    for id_, rating, text in rows:
        label = label_of(rating)
        if label is None or text in seen:
            continue
        seen.add(text)
        keep["id"].append(f"{source}-{id_}")
        keep["text"].append(text)
        keep["rating"].append(rating)
        keep["label"].append(label)
    info = info.copy()
    info.features = FEATURES
    return datasets.Dataset.from_dict(keep, features=FEATURES, info=info)


def build(source: str | os.PathLike | None = None, *, seed: int = SEED) -> datasets.DatasetDict:
    """The DatasetDict: train / validation / test (Rotten Tomatoes) + test_amazon / test_nyt / test_tweets
    (+ `lexicon` when the folder has the lexicon file).

    `source` is a folder holding the *_GroundTruth.txt files (e.g. the tiny one in training/smoke_data/vader);
    by default the sdist is downloaded once with pip and cached under ~/.cache/nlp-course-live/vader.
    """
    folder = Path(source) if source is not None else download()
    if (folder / FOLDER).is_dir():
        folder = folder / FOLDER
    missing = [f"{stem}_GroundTruth.txt" for stem in FILES.values() if not (folder / f"{stem}_GroundTruth.txt").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}")
    info = datasets.DatasetInfo(description=DESCRIPTION.format(seed=seed, t=NEUTRAL), citation=CITATION,
                                homepage="https://github.com/cjhutto/vaderSentiment", license="MIT")
    parts = {split: _dataset(read_ratings(folder / f"{stem}_GroundTruth.txt"), stem, info)
             for split, stem in FILES.items()}
    if (folder / LEXICON).is_file():
        parts["lexicon"] = _dataset(read_lexicon(folder / LEXICON), "lexicon", info)
    rt = parts.pop("rotten_tomatoes")
    first = rt.train_test_split(test_size=0.2, seed=seed, stratify_by_column="label")
    second = first["test"].train_test_split(test_size=0.5, seed=seed, stratify_by_column="label")
    return datasets.DatasetDict({"train": first["train"], "validation": second["train"], "test": second["test"],
                                 **parts})
