"""The `bigbench==1.0.0` source distribution (PyPI, Apache-2.0 code; each task's data under its own licence),
cached once under ~/.cache/nlp-course-live: several corpora of this project live inside it (SQuAD v1.1 dev,
SQuAD-Shifts, MNIST as ASCII art). `extract(prefix)` copies out only the files needed."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

CACHE_DIR = Path.home() / ".cache" / "nlp-course-live"
SDIST = "bigbench-1.0.0.tar.gz"
ROOT = "bigbench-1.0.0/bigbench/benchmark_tasks/"
DOWNLOAD = "pip download --no-deps --no-binary :all: bigbench==1.0.0"


def sdist(download: bool = True) -> Path:
    """The cached sdist (358 MB), downloaded with pip on first use."""
    path = CACHE_DIR / SDIST
    if not path.is_file() and download:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "bigbench==1.0.0", "-d", str(CACHE_DIR)])
    if not path.is_file():  # seen 2026-12-05: PyPI offered bigbench 0.0.1 alone
        raise FileNotFoundError(f"{path} is missing: `{DOWNLOAD} -d {CACHE_DIR}` fetches it where the index still "
                                f"offers 1.0.0; else put a copy of {SDIST} at that path")
    return path


def extract(prefix: str, dest: Path, suffix: str = ".json", download: bool = True) -> Path:
    """The files under `ROOT + prefix` ending in `suffix`, extracted into `dest` (once); returns their folder."""
    target = dest / ROOT / prefix
    if target.is_dir() and any(target.iterdir()):
        return target
    with tarfile.open(sdist(download)) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(ROOT + prefix) and m.name.endswith(suffix)]
        tar.extractall(dest, members=members, filter="data")
    return target
