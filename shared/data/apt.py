"""Debian apt indexes and packages, read without touching the system's apt state.

`download_lists` runs `apt-get update` into a private folder under ~/.cache/nlp-course-live/ (with the
description translations the Docker image's apt leaves out); `read_index` reads plain or .lz4/.gz/.xz/.bz2
index files; `parse_stanzas` turns control-file text into dicts; `download_debs` fetches .deb files with
`apt-get download` (no root needed, nothing installed) and `extract` copies chosen paths out of them.
Used by the topic (`debian_topics`), translation (`kde`) and summarization (`descriptions`) builders.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import subprocess
from pathlib import Path

CACHE_DIR = Path(os.environ.get("NLP_COURSE_CACHE", Path.home() / ".cache" / "nlp-course-live"))
LANGUAGES = ("en", "fr")  # description translations fetched into the private lists
PRIVATE_LISTS = CACHE_DIR / "apt-en-fr" / "lists"
SYSTEM_LISTS = Path("/var/lib/apt/lists")
LIST_DIRS = (PRIVATE_LISTS, SYSTEM_LISTS)

# ------------------------------------------------------------------------------------------- indexes

def read_index(path: Path) -> str:
    """The text of an apt index file, plain or compressed."""
    name = path.name
    if name.endswith(".lz4"):  # apt's default compression here; no lz4 module in the image, the CLI is
        return subprocess.run(["lz4cat", str(path)], check=True, capture_output=True).stdout.decode("utf-8", "replace")
    opener = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}.get(path.suffix)
    if opener:
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            return f.read()
    return path.read_text(encoding="utf-8", errors="replace")


def parse_stanzas(text: str) -> list[dict[str, str]]:
    """Debian control-file stanzas -> dicts; continuation lines are kept (newline-joined) in their field."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if fields:
            out.append(fields)
    return out


def description_text(description: str) -> str:
    """A Description field (first line short, then " "-indented long lines, " ." paragraph marks) ->
    one line of text: "Short description. Long description ..." (first letter capitalised)."""
    lines = description.split("\n")
    short = lines[0].strip()
    body = " ".join(line.strip() for line in lines[1:] if line.strip() not in ("", "."))
    if short and short[-1] not in ".!?":
        short += "."
    short = short[:1].upper() + short[1:]
    return re.sub(r"\s+", " ", f"{short} {body}").strip()


def index_files(folder: Path, kind: str) -> list[Path]:
    """The apt list files of one kind in `folder` ("Packages", "Translation-en", ...), any compression."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and re.search(rf"_{kind}(\.(lz4|gz|xz|bz2))?$", p.name))


def download_lists(folder: str | os.PathLike = PRIVATE_LISTS, languages=LANGUAGES) -> Path:
    """`apt-get update` with description translations into a private lists folder (needs root and Debian
    sources; touches neither /var/lib/apt/lists nor apt's package cache)."""
    folder = Path(folder)
    if folder.is_dir() and all(index_files(folder, f"Translation-{lang}") for lang in languages):
        return folder
    cache = folder.parent / "cache"
    for d in (folder / "partial", cache / "archives" / "partial"):
        d.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "update", "-o", "Acquire::Languages::=en",
                    "-o", "Acquire::Languages=" + ",".join(languages),
                    "-o", f"Dir::State::Lists={folder}", "-o", f"Dir::Cache={cache}"], check=True)
    return folder


def lists_dir(path: str | os.PathLike | None, languages=("en",)) -> Path:
    """`path` if it holds a Packages index; else the first of LIST_DIRS with the translations of
    `languages`; else a fresh `download_lists()`; else the system's lists (short descriptions only)."""
    if path is not None:
        folder = Path(path)
        if not folder.is_dir() or not index_files(folder, "Packages"):
            raise FileNotFoundError(f"{folder} holds no *_Packages index (Debian apt list).")
        return folder
    for folder in LIST_DIRS:
        if folder.is_dir() and index_files(folder, "Packages") and all(
                index_files(folder, f"Translation-{lang}") for lang in languages):
            return folder
    try:
        return download_lists()
    except (OSError, subprocess.CalledProcessError):
        if SYSTEM_LISTS.is_dir() and index_files(SYSTEM_LISTS, "Packages"):
            return SYSTEM_LISTS
        raise FileNotFoundError("No Debian apt lists found: run `apt-get update` (or pass a folder).") from None


def read_packages(folder: Path) -> dict[str, dict[str, str]]:
    """Package name -> its Packages stanza (security/updates lists override the release's entries)."""
    packages: dict[str, dict[str, str]] = {}
    for f in index_files(folder, "Packages"):
        for st in parse_stanzas(read_index(f)):
            if "Package" in st:
                packages[st["Package"]] = st
    return packages


# ------------------------------------------------------------------------------------------- .deb files

def download_debs(names: list[str], dest: str | os.PathLike, batch: int = 40) -> list[Path]:
    """`apt-get download` each package into `dest` (skipping those already there) -> the .deb paths.
    Needs no root and installs nothing."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    have = {p.name.split("_")[0]: p for p in dest.glob("*.deb")}
    missing = [n for n in names if n not in have]
    for i in range(0, len(missing), batch):
        subprocess.run(["apt-get", "download", "-q", *missing[i:i + batch]], cwd=dest, check=True,
                       stdout=subprocess.DEVNULL)
    have = {p.name.split("_")[0]: p for p in dest.glob("*.deb")}
    return [have[n] for n in names if n in have]


def extract(deb: str | os.PathLike, pattern: str, dest: str | os.PathLike) -> list[Path]:
    """Copy the members of a .deb whose path matches the glob `pattern` (e.g.
    "./usr/share/locale/fr/LC_MESSAGES/*.mo") into `dest`, keeping their paths -> the files written."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest), "--wildcards", "--no-anchored", pattern],
                   input=tar, capture_output=True)  # a .deb without a match is not an error
    return sorted(p for p in dest.rglob("*") if p.is_file() and p.match(pattern.lstrip("./")))
