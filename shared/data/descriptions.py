"""Debian package descriptions in English and French, long description -> short description: a bilingual
summarization set (the course's chapter 7.5 turns English and Spanish product reviews into their titles; here
the packagers' long descriptions become their one-line synopses).

Source: the Debian Description Translation Project's lists that `apt-get update` fetches with translations on
(`Translation-en`, `Translation-fr`; `shared.data.apt.download_lists`), and the `Packages` index for each binary
package's source package. Licence: each description is part of its package's metadata, under that package's
DFSG-free licence (Debian main).

What `load_descriptions` builds, as a `datasets.DatasetDict` {"train", "validation", "test"} with columns
text, summary, language, package, source:
- text = the long description as one paragraph per line (" ." marks become line breaks, the indentation goes);
  summary = the short description, first letter capitalised.
- Filtered as the course filters its reviews: summaries of more than 2 words, texts of at least `min_words`
  words; transitional, dummy, debug and metapackages dropped; one example per (language, source package, text)
  so the binaries of one source do not repeat a description.
- Split by source package (seeded): a package's English and French descriptions, translations of each other,
  are on the same side. Languages balanced per split: each side keeps as many English as French examples.
"""

from __future__ import annotations

import os
import random
import re

from shared.data.apt import index_files, lists_dir, parse_stanzas, read_index, read_packages

SOURCE = "Debian bookworm (main) description lists: Translation-en, Translation-fr (DDTP), Packages (Source)"
SOURCE_URL = "https://ddtp.debian.org/"
LICENSE = ("package descriptions, each under its own package's DFSG-free licence "
           "(Debian main; see the package's copyright file)")
LANGUAGES = ("en", "fr")
_SKIP = re.compile(r"transitional|dummy|debug symbols|metapackage|\(debug\)"  # and the French wordings
                   r"|transition|factice|symboles de débogage|métapaquet", re.IGNORECASE)


def body_text(description: str) -> str:
    """The long part of a Description field: its lines joined, one paragraph per line."""
    paragraphs, current = [], []
    for line in description.split("\n")[1:]:
        line = line.strip()
        if line == ".":
            paragraphs.append(" ".join(current))
            current = []
        elif line:
            current.append(line)
    paragraphs.append(" ".join(current))
    return "\n".join(re.sub(r"\s+", " ", p).strip() for p in paragraphs if p.strip())


def synopsis(description: str) -> str:
    short = description.split("\n")[0].strip()
    return short[:1].upper() + short[1:]


def read_descriptions(path: str | os.PathLike | None = None, languages=LANGUAGES) -> list[dict]:
    """[{"text", "summary", "language", "package", "source"}]: one per (language, source package, text)."""
    folder = lists_dir(path, languages=languages)
    sources = {name: st.get("Source", name).split()[0] for name, st in read_packages(folder).items()}
    seen: set[tuple[str, str, str]] = set()
    out = []
    for lang in languages:
        for f in index_files(folder, f"Translation-{lang}"):
            for st in parse_stanzas(read_index(f)):
                package, description = st.get("Package"), st.get(f"Description-{lang}")
                if not package or not description or package.endswith(("-dbg", "-dbgsym")):
                    continue
                summary, text = synopsis(description), body_text(description)
                source = sources.get(package, package)
                key = (lang, source, text)
                if key in seen or _SKIP.search(summary) or _SKIP.search(text[:200]):
                    continue
                seen.add(key)
                out.append({"text": text, "summary": summary, "language": lang, "package": package,
                            "source": source})
    return out


def keep(example: dict, min_words: int = 20) -> bool:
    """The course's filter (summaries of more than 2 words) plus texts long enough to summarise."""
    return len(example["summary"].split()) > 2 and len(example["text"].split()) >= min_words


def split_sources(sources: list[str], fractions=(0.9, 0.05, 0.05), seed: int = 0) -> dict[str, set[str]]:
    names = sorted(set(sources))
    random.Random(seed).shuffle(names)
    n_train, n_val = round(len(names) * fractions[0]), round(len(names) * fractions[1])
    return {"train": set(names[:n_train]), "validation": set(names[n_train:n_train + n_val]),
            "test": set(names[n_train + n_val:])}


def balance(rows: list[dict], seed: int = 0) -> list[dict]:
    """As many examples of each language as the rarest one has (seeded draw), in a stable order."""
    by_lang: dict[str, list[dict]] = {}
    for r in rows:
        by_lang.setdefault(r["language"], []).append(r)
    n = min(len(v) for v in by_lang.values()) if by_lang else 0
    rng = random.Random(seed)
    kept = []
    for lang in sorted(by_lang):
        group = by_lang[lang][:]
        rng.shuffle(group)
        kept += group[:n]
    return sorted(kept, key=lambda r: (r["source"], r["language"], r["package"]))


def load_descriptions(path: str | os.PathLike | None = None, *, min_words: int = 20, seed: int = 0,
                      languages=LANGUAGES, fractions=(0.9, 0.05, 0.05)):
    """The bilingual description -> synopsis set as a `datasets.DatasetDict` {"train", "validation", "test"}."""
    from datasets import Dataset, DatasetDict

    examples = [e for e in read_descriptions(path, languages) if keep(e, min_words)]
    split = split_sources([e["source"] for e in examples], fractions, seed=seed)
    columns = ("text", "summary", "language", "package", "source")
    out = {}
    for side, names in split.items():
        rows = balance([e for e in examples if e["source"] in names], seed=seed)
        out[side] = Dataset.from_dict({c: [r[c] for r in rows] for c in columns})
    return DatasetDict(out)
