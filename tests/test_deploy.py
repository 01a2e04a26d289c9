"""Staging a Space into a self-contained folder, and the upload calls, with HfApi mocked (no network)."""

import subprocess
import sys
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
    demo = catalog.Demo("needs-model", "Needs a model", "🧪", "Chapter 0", "test", tasks=("sentiment",))
    monkeypatch.setitem(catalog.BY_SPACE, "needs-model", demo)
    monkeypatch.setattr(deploy, "CHECKPOINTS_DIR", ckpts)
    return space


def files(folder):
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_stage_model_free_space(tmp_path):
    staged = deploy.stage(REPO / "spaces" / "hello-world", tmp_path / "out")
    got = files(staged)
    assert {"app.py", "README.md", "requirements.txt", "shared/__init__.py", "shared/hub.py", "shared/ui.py"} <= got
    assert not any(f.startswith("checkpoints/") for f in got)
    assert not any("__pycache__" in f for f in got)
    reqs = (staged / "requirements.txt").read_text()
    assert "gradio" in reqs and "torch" not in reqs and "-e" not in reqs


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
