"""Training on several processes: `accelerate launch` with two CPU processes (gloo) takes the steps one process
takes. The sketch CNN has no dropout, so two processes must end on the one-process weights up to the order of
floating-point sums; a Trainer script (sentence pairs) must run, write its folder once and learn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from benchmarks.multiprocess_training import command

REPO = Path(__file__).resolve().parent.parent


def train(module: str, argv: list[str], processes: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command(module, argv, processes), cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.skipif(sys.platform != "linux", reason="gloo over localhost, as CI runs it")
def test_two_processes_train_the_sketch_cnn_to_the_one_process_weights(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    train("sketch", ["--smoke", "--output-dir", str(one)], 1)
    done = train("sketch", ["--smoke", "--output-dir", str(two)], 2)
    metrics = json.loads((two / "metrics.json").read_text())
    assert metrics["environment"]["processes"] == 2
    a, b = load_file(one / "model.safetensors"), load_file(two / "model.safetensors")
    assert a.keys() == b.keys()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-4
    assert done.stdout.count("validation accuracy") <= 1  # only the main process prints
    assert not list(two.glob(".write-test*"))


def test_a_trainer_script_runs_on_two_processes_and_writes_its_folder_once(tmp_path):
    out = tmp_path / "pairs"  # a smoke run exits non-zero unless the loss on its batch at least halves
    done = train("pair_classification", ["--smoke", "--batch-size", "8", "--output-dir", str(out)], 2)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["env"]["processes"] == 2
    assert done.stdout.count("smoke check (overfit one batch)") == 1
    assert (out / "README.md").is_file() and list(out.glob("*.safetensors"))


def test_a_batch_that_does_not_split_over_the_processes_stops_with_a_sentence(tmp_path):
    done = subprocess.run(command("pair_classification", ["--smoke", "--batch-size", "7", "--output-dir",
                                                          str(tmp_path / "x")], 2),
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode != 0
    assert "does not split evenly over 2 processes" in done.stderr
