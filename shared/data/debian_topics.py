"""Debian package descriptions labelled by archive section: a real TOPIC classification set.

Source: the Debian archive indexes that `apt-get update` fetches (bookworm, main): `*_Packages` give each
binary package's `Section:` (games, science, mail, ...), `Source:` and `Description-md5:`, and
`*_i18n_Translation-en` holds the full English descriptions keyed by that md5. Licence: every description
is part of its package's metadata and distributed under that package's free licence (Debian main is
DFSG-free only; see /usr/share/doc/<package>/copyright or https://sources.debian.org). The texts are
written by the packagers and upstream authors, not for this task, and the encoder never trained on them
with these labels.

What `load_debian_topics` builds: one example per (source package, section) among the SECTIONS below,
text = short description + "." + long description (paragraph marks removed), label = a readable topic name
(e.g. "hamradio" -> "amateur radio"). Sections that are not topics (libs, devel, admin, python, doc, ...)
are left out, and so are transitional/dummy/debug-symbol packages. Source packages are split seeded and
stratified by label into "dev" and "test": no source package has examples on both sides (binary packages
of one source often share their description), and a text that occurs in dev is dropped from test. At
most `max_per_label` examples per label and split are kept (seeded draw) so a run stays small.

Where the indexes come from (`path=None`): the first folder of LIST_DIRS holding a Translation-en file
(the Docker image's apt does not fetch translations, so `shared.data.apt.download_lists()` runs `apt-get update` into a private
folder under ~/.cache/nlp-course-live/ with translations on, leaving the system's apt state untouched);
without any Translation-en the short descriptions alone are used. `path` may be any folder with
`*_Packages` / `*_Translation-en` files, plain or .lz4/.gz/.xz (--smoke and the tests use training/smoke_data/debian_topics/).
"""

from __future__ import annotations

import os
import random
import re

from shared.data.apt import description_text, index_files, lists_dir, parse_stanzas, read_index, read_packages
from shared.data.splits import stratified_group_split

SOURCE = "Debian bookworm (main) archive indexes: Packages (Section, Source) + Translation-en (descriptions)"
SOURCE_URL = "https://deb.debian.org/debian/dists/bookworm/main/"
LICENSE = ("package descriptions, each under its own package's DFSG-free licence "
           "(Debian main; see the package's copyright file)")

# archive section -> the topic label a user would type (fixed before any model was evaluated).
SECTIONS = {
    "games": "games",
    "science": "science",
    "sound": "audio",
    "graphics": "graphics",
    "math": "mathematics",
    "web": "web",
    "mail": "email",
    "database": "databases",
    "video": "video",
    "electronics": "electronics",
    "hamradio": "amateur radio",
    "editors": "text editors",
    "fonts": "fonts",
    "vcs": "version control",
    "net": "networking",
}
LABELS = list(SECTIONS.values())

_SKIP = re.compile(r"transitional|dummy package|debug symbols|metapackage|\(debug\)", re.IGNORECASE)


# ------------------------------------------------------------------------------------------ examples

def read_examples(path: str | os.PathLike | None = None) -> list[dict]:
    """[{"package", "source", "section", "label", "text"}, ...]: one per (source package, selected
    section), the binary package named like its source preferred, else the shortest name."""
    folder = lists_dir(path)
    long_desc: dict[tuple[str, str], str] = {}
    for f in index_files(folder, "Translation-en"):
        for st in parse_stanzas(read_index(f)):
            if "Description-en" in st:
                long_desc[(st.get("Package", ""), st.get("Description-md5", ""))] = st["Description-en"]
    packages = read_packages(folder)
    chosen: dict[tuple[str, str], dict] = {}
    for name, st in packages.items():
        section = st.get("Section", "").split("/")[-1]  # "contrib/games" -> "games"
        if section not in SECTIONS:
            continue
        description = long_desc.get((name, st.get("Description-md5", "")), st.get("Description", ""))
        if not description or _SKIP.search(description.split("\n")[0]) or name.endswith(("-dbg", "-dbgsym")):
            continue
        source = st.get("Source", name).split()[0]
        key = (source, section)
        if key in chosen:
            old = chosen[key]["package"]
            if old == source or (name != source and (len(name), name) >= (len(old), old)):
                continue
        chosen[key] = {"package": name, "source": source, "section": section, "label": SECTIONS[section],
                       "text": description_text(description)}
    return sorted(chosen.values(), key=lambda e: (e["source"], e["section"]))


def split_sources(examples: list[dict], dev_fraction: float = 0.5, seed: int = 0) -> dict[str, set[str]]:
    """Seeded split of SOURCE package names, stratified by the label of each source's first example."""
    first_label: dict[str, str] = {}
    for e in examples:
        first_label.setdefault(e["source"], e["label"])
    return stratified_group_split(first_label, dev_fraction, seed)


def load_debian_topics(path: str | os.PathLike | None = None, *, dev_fraction: float = 0.5, seed: int = 0,
                       max_per_label: int | None = 150, min_chars: int = 20):
    """Debian topics as a `datasets.DatasetDict` {"dev", "test"}.

    Columns: text, label (ClassLabel over LABELS), package, source, section. `max_per_label` caps the
    examples of each label in each split (seeded draw; None keeps all).
    """
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    examples = [e for e in read_examples(path) if len(e["text"]) >= min_chars]
    split = split_sources(examples, dev_fraction=dev_fraction, seed=seed)
    rng = random.Random(seed + 1)
    features = Features({"text": Value("string"), "label": ClassLabel(names=LABELS), "package": Value("string"),
                         "source": Value("string"), "section": Value("string")})
    out = {}
    seen_dev: set[str] = set()
    for side in ("dev", "test"):
        rows = [e for e in examples if e["source"] in split[side]]
        unique, texts = [], set()
        for e in rows:  # one copy of a text per split, and no dev text in test
            if e["text"] not in texts and e["text"] not in seen_dev:
                texts.add(e["text"])
                unique.append(e)
        if side == "dev":
            seen_dev = texts
        kept = []
        for label in LABELS:
            of_label = [e for e in unique if e["label"] == label]
            rng.shuffle(of_label)
            kept += of_label[:max_per_label] if max_per_label else of_label
        kept.sort(key=lambda e: (LABELS.index(e["label"]), e["source"], e["package"]))
        out[side] = Dataset.from_dict({
            "text": [e["text"] for e in kept], "label": [LABELS.index(e["label"]) for e in kept],
            "package": [e["package"] for e in kept], "source": [e["source"] for e in kept],
            "section": [e["section"] for e in kept]}, features=features)
    return DatasetDict(out)
