"""Staging a Space into a self-contained folder, and the upload calls, with HfApi mocked (no network)."""

import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from conftest import run_app
from gradio_client import Client
from huggingface_hub import HfApi

from shared import catalog, deploy, hub

REPO = hub.REPO_ROOT


@pytest.fixture
def fake_space(tmp_path, monkeypatch):
    """A Space 'needs-model' that loads checkpoints/sentiment, next to a checkpoint it does not need."""
    space = tmp_path / "spaces" / "needs-model"
    space.mkdir(parents=True)
    (space / "app.py").write_text("demo = None\n")
    (space / "README.md").write_text((REPO / "spaces" / "hello-world" / "README.md").read_text())
    ckpts = tmp_path / "checkpoints"
    for task in ("sentiment", "zero_shot"):
        (ckpts / task).mkdir(parents=True)
        (ckpts / task / "adapter_model.safetensors").write_bytes(b"weights")
    demo = catalog.Demo("needs-model", "🧪", "0.1", catalog.L("Needs a model", "需要模型"), catalog.L("c", "章"),
                        catalog.L("test", "测试"), tasks=("sentiment",), checkpoints=("sentiment",))
    monkeypatch.setitem(catalog.BY_SPACE, "needs-model", demo)
    monkeypatch.setattr(deploy, "CHECKPOINTS_DIR", ckpts)
    return space


def files(folder):
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


SERVING = {"shared/__init__.py", "shared/catalog.py", "shared/cards.py", "shared/compute.py", "shared/embeddings.py",
           "shared/hub.py", "shared/int8.py", "shared/memory.py", "shared/modeling.py", "shared/ui.py",
           "shared/whisper_ct2.py",
           *(f"shared/tasks/{p.name}" for p in (REPO / "shared" / "tasks").glob("*.py")),
           *(str(p.relative_to(REPO)) for p in (REPO / "shared" / "nets").rglob("*") if p.is_file()
             and "__pycache__" not in p.parts)}


def test_stage_model_free_space(tmp_path):
    staged = deploy.stage(REPO / "spaces" / "hello-world", tmp_path / "out")
    assert files(staged) == {"app.py", "README.md", "requirements.txt", *SERVING}  # no data, metrics, deploy
    reqs = [r.split("=")[0].split(">")[0].split("<")[0] for r in (staged / "requirements.txt").read_text().split()]
    assert set(reqs) == {"gradio", "httptools", "uvloop", "huggingface_hub", "numpy", "soundfile"}


def test_stage_sentiment_ships_exactly_what_serving_imports(tmp_path):
    staged = deploy.stage(REPO / "spaces" / "sentiment", tmp_path / "out")
    ckpt = {f"checkpoints/sentiment/{p.name}" for p in (REPO / "checkpoints" / "sentiment").iterdir() if p.is_file()}
    assert files(staged) == {"app.py", "README.md", "requirements.txt", *SERVING, *ckpt}
    assert_imports_staged(staged)


def assert_imports_staged(staged: Path) -> None:
    """Every shared module that staged code imports was staged."""
    import ast

    for path in staged.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                if name.startswith("shared."):
                    module = staged / name.replace(".", "/")
                    assert module.with_suffix(".py").is_file() or (module / "__init__.py").is_file(), (path, name)


def test_stage_asr_ships_the_code_that_adds_an_adapter(tmp_path):
    staged = deploy.stage(REPO / "spaces" / "asr", tmp_path / "out")
    assert "shared/whisper_ct2.py" in files(staged)
    assert_imports_staged(staged)


def test_stage_ships_exactly_the_needed_checkpoints(fake_space, tmp_path):
    staged = deploy.stage(fake_space, tmp_path / "out")
    got = files(staged)
    assert "checkpoints/sentiment/adapter_model.safetensors" in got
    assert not any(f.startswith("checkpoints/zero_shot") for f in got)
    reqs = (staged / "requirements.txt").read_text().splitlines()
    assert any(r.startswith("torch==2.13") for r in reqs) and "-e ." not in reqs


def test_missing_checkpoint_names_the_training_command(fake_space, tmp_path, monkeypatch):
    monkeypatch.setattr(deploy, "CHECKPOINTS_DIR", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"python -m training\.sentiment"):
        deploy.stage(fake_space, tmp_path / "out")


def test_bad_front_matter_is_refused(tmp_path):
    space = tmp_path / "spaces" / "hello-world"
    space.mkdir(parents=True)
    (space / "README.md").write_text("---\ntitle: x\nsdk: streamlit\napp_file: app.py\n---\n")
    with pytest.raises(ValueError, match="sdk: gradio"):
        deploy.stage(space, tmp_path / "out")


def test_upload_creates_a_gradio_space_and_uploads_the_staged_folder(fake_space, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_NotARealTokenButSecretAnyway")
    api = mock.create_autospec(HfApi, instance=True)
    api.create_repo.return_value = "https://huggingface.co/spaces/me/demo"
    staged = deploy.deploy(fake_space, "me/demo", private=True, out=tmp_path / "out", api=api)
    api.create_repo.assert_called_once_with("me/demo", repo_type="space", private=True, exist_ok=True,
                                            space_sdk="gradio")
    api.upload_folder.assert_called_once()
    kwargs = api.upload_folder.call_args.kwargs
    assert kwargs["folder_path"] == str(staged) and kwargs["repo_id"] == "me/demo"
    assert kwargs["repo_type"] == "space"
    out = capsys.readouterr().out
    assert "Uploaded to https://huggingface.co/spaces/me/demo" in out
    assert "hf_NotARealToken" not in out


def test_cli_dry_run_lists_the_tree_and_uploads_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("huggingface_hub.HfApi", mock.Mock(side_effect=AssertionError("no upload in a dry run")))
    code = deploy.main(["spaces/hello-world", "--repo-id", "me/hello", "--dry-run", "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert code == 0
    assert "app.py" in out and "hub.py" in out and "MB)" in out and "Dry run" in out


def test_cli_reports_errors_without_traceback(capsys):
    assert deploy.main(["spaces/no-such-demo", "--repo-id", "me/x", "--dry-run"]) == 2
    assert "error:" in capsys.readouterr().err


def test_suite_stages_and_deploys_every_demo(tmp_path):
    api = mock.create_autospec(HfApi, instance=True)
    api.create_repo.return_value = "https://huggingface.co/spaces/me/suite"
    staged = deploy.deploy(REPO / "spaces" / "suite", "me/suite", out=tmp_path / "out", api=api)
    got = files(staged)
    for d in catalog.DEMOS:
        assert f"spaces/{d.space}/app.py" in got
        assert all(any(f.startswith(f"checkpoints/{c}/") for f in got) for c in d.checkpoints)
    assert "torch==2.13.*" in (staged / "requirements.txt").read_text().split()
    assert api.upload_folder.call_args.kwargs["folder_path"] == str(staged)


def test_staged_space_runs_alone(tmp_path):
    """The staged folder is all a Space needs: it starts from its own folder and answers a client."""
    staged = deploy.stage(REPO / "spaces" / "hello-world", tmp_path / "space")
    where = subprocess.run([sys.executable, "-c", "import shared; print(shared.__file__)"], cwd=staged,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(staged)), f"staged app would import the repo's package: {where}"
    with run_app(staged) as (url, _, _):
        assert Client(url, verbose=False).predict("Spaces", 2, api_name="/predict") == "Hello, Spaces!!"


def test_share_without_network_explains_in_one_line_and_keeps_serving():
    with run_app(REPO / "spaces" / "hello-world", "--share", env={"HF_HUB_OFFLINE": "1"}) as (url, lines, proc):
        client = Client(url, verbose=False)
        assert client.predict("Ada", 1, api_name="/predict") == "Hello, Ada!"
        proc.terminate()
        rest = proc.communicate(timeout=15)[0]
    said = [line for line in lines + rest.splitlines() if "share link" in line.lower()]
    assert len(said) == 1 and said[0].startswith("No share link"), said
