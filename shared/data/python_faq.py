"""The Python FAQ (docs.python.org/3/faq/) as a `datasets.Dataset` of questions: the corpus of the semantic
search demo (course chapter 5, "Semantic search with FAISS", which searched the GitHub issues of `datasets`).

Why this corpus: the FAQ is, literally, what people search about Python, each entry a question someone asked
with its answer, the way an issue is a question with its comments. 8 pages (general, programming, design,
library, extending, Windows, GUI, "Python on my computer"), ~200 questions.

Source: Debian bookworm's `python3.11-doc` package (`apt-get download`, nothing installed): the reStructuredText
sources of the FAQ pages under `usr/share/doc/python3.11/html/_sources/faq/`. Licence: PSF License Agreement
(the documentation is © Python Software Foundation, redistributable with its notice).

Built with `datasets` as chapter 5 builds its issues dataset: the pages are loaded as local files (one row per
page), `map` splits each page into its sections and questions (a list per page, like an issue's comments), the
lists are exploded into one row per question, `filter` drops entries without an answer, and `map` joins title,
question and answer into the one `text` that is embedded.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import datasets

CACHE = Path(os.environ.get("NLP_COURSE_CACHE", Path.home() / ".cache" / "nlp-course-live")) / "python_faq"
PACKAGE = "python3.11-doc"
SOURCES = "usr/share/doc/python3.11/html/_sources/faq"
URL = "https://docs.python.org/3.11/faq/{page}.html#{anchor}"
LICENSE = "PSF-2.0"
SOURCE = (f"the Python 3.11 FAQ (reStructuredText sources in Debian bookworm's {PACKAGE} package); "
          "© Python Software Foundation, PSF License")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+.:_])\1{2,}\s*$")


def download(cache: Path = CACHE) -> Path:
    """The FAQ's .rst.txt files, extracted once from the Debian package into the cache."""
    target = cache / "faq"
    if target.is_dir() and any(target.glob("*.rst.txt")):
        return target
    from shared.data import apt

    with tempfile.TemporaryDirectory() as tmp:
        deb = apt.download_debs([PACKAGE], tmp)[0]
        files = apt.extract(deb, f"./{SOURCES}/*.rst.txt", tmp)
        partial = cache / "faq.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for f in files:
            shutil.copyfile(f, partial / f.name)
    partial.rename(target)
    return target


def anchor(title: str) -> str:
    """Sphinx's anchor of a section title (docutils' `make_id`)."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def clean_rst(text: str) -> str:
    """reStructuredText -> readable plain text: roles (:func:`len` -> len), links (`name <url>`_ -> name),
    directives and comments out, literal markers (``x`` -> x) dropped, whitespace collapsed per paragraph."""
    text = re.sub(r":[a-z:]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", text)
    text = re.sub(r"`([^`<]+?)\s*<[^>]+>`_+", r"\1", text)
    text = re.sub(r"``([^`]+)``", r"\1", text)
    text = re.sub(r"`([^`]+)`_*", r"\1", text)
    text = re.sub(r"^\.\. [a-z-]+::.*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\.\. .*$", "", text, flags=re.MULTILINE)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p and p != "::").replace(" ::", ":").replace("::", ":")


def split_page(text: str) -> list[dict]:
    """A FAQ page -> [{"section", "question", "answer"}]: the page's headings by level (reStructuredText ranks
    heading styles by first use), each entry of the deepest level with its text until the next heading."""
    lines = text.splitlines()
    headings = []  # (line index, level, title)
    styles: list[tuple[str, bool]] = []
    i = 0
    while i < len(lines) - 1:
        over = bool(_UNDERLINE.match(lines[i])) and i + 2 < len(lines) and _UNDERLINE.match(lines[i + 2] or "")
        title_at = i + 1 if over else i
        title = lines[title_at].strip() if title_at < len(lines) else ""
        under = lines[title_at + 1] if title_at + 1 < len(lines) else ""
        if title and not _UNDERLINE.match(title) and _UNDERLINE.match(under) and len(under.strip()) >= len(title):
            style = (under.strip()[0], bool(over))
            if style not in styles:
                styles.append(style)
            headings.append((title_at, styles.index(style), title))
            i = title_at + 2
            continue
        i += 1
    if not headings:
        return []
    deepest = max(level for _, level, _ in headings)
    entries, section = [], ""
    for n, (at, level, title) in enumerate(headings):
        end = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
        if level == deepest and level > 0:
            entries.append({"section": section, "question": title, "answer": "\n".join(lines[at + 2:end])})
        elif level > 0:
            section = title
    return entries


def build(folder: Path | None = None) -> datasets.Dataset:
    """One row per FAQ question: page, section, question, answer, url, text (what is embedded)."""
    folder = Path(folder) if folder else download()
    files = sorted(str(p) for p in folder.glob("*.rst.txt") if p.name != "index.rst.txt")
    pages = datasets.load_dataset("text", data_files=files, sample_by="document", split="train")
    pages = pages.add_column("page", [Path(f).name.removesuffix(".rst.txt") for f in files])
    pages = pages.map(lambda page: {"entries": split_page(page["text"])}, remove_columns=["text"])
    questions = pages.map(_explode, batched=True, remove_columns=pages.column_names)
    questions = questions.filter(lambda row: len(row["answer"]) > 0)
    return questions.map(lambda row: {"text": f"{row['question']}\n{row['answer']}"})


def _explode(batch) -> dict:
    """One row per entry of each page (what ch5 does to an issue's comments with a batched map)."""
    out = {k: [] for k in ("page", "section", "question", "answer", "url")}
    for page, entries in zip(batch["page"], batch["entries"]):
        for e in entries:
            out["page"].append(page)
            out["section"].append(e["section"])
            out["question"].append(clean_rst(e["question"]))
            out["answer"].append(clean_rst(e["answer"]))
            out["url"].append(URL.format(page=page, anchor=anchor(e["question"])))
    return out


if __name__ == "__main__":
    faq = build()
    print(faq)
    for row in faq:
        print(f"{row['page']:12} | {row['question']}")
