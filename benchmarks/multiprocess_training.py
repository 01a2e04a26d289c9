"""One small real training run on one process and on two, compared: data parallelism must not change the result.

    python benchmarks/multiprocess_training.py [--task sketch|pair_classification] [--epochs 1]

Runs one training script with the same flags and seed three times: `python -m` (one process), `accelerate launch
--multi_gpu --num_processes 2` (two processes; on a machine without CUDA they are CPU processes talking over gloo,
see training.common.processes), and one process with another --seed, for scale: what a different seed alone
changes. --batch-size is the global batch (training.common.per_process_batch), so both runs take the same steps on
the same examples. Tasks: `sketch` (default: the course's CNN on MNIST + redrawn digits, one epoch, no dropout, so
only the order of floating-point sums differs) and `pair_classification` (the course's hand-written accelerate loop,
LoRA on MiniLM: the dropout masks, drawn per process, differ too). Each process gets one torch thread.
Prints a table: processes, wall time, the task's scores, and the largest absolute difference of each run's saved
weights from the one-process run; with the CPU model and the torch version.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shared.modeling import cpu_model  # noqa: E402

# accelerate 1.15: --cpu --num_processes N starts one process (several only through MPI, --mpirun_hostfile);
# --multi_gpu starts N through torchrun, on the CPU when there is no CUDA. The three defaults silence its notice.
LAUNCH = ["--multi_gpu", "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]


def command(module: str, argv: list[str], processes: int = 1) -> list[str]:
    """`python -m training.<module> ARGV`, or the same under `accelerate launch` with `processes` processes."""
    if processes == 1:
        return [sys.executable, "-m", f"training.{module}", *argv]
    return [sys.executable, "-m", "accelerate.commands.launch", *LAUNCH, "--num_processes", str(processes),
            "-m", f"training.{module}", *argv]


def run(module: str, argv: list[str], processes: int = 1, timeout: float = 1800) -> float:
    """Run it offline from the repository root; returns the wall time in seconds; stops on failure."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    done = subprocess.run(command(module, argv, processes), cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode:
        sys.exit(f"{' '.join(command(module, argv, processes))} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    return {k: v for f in sorted(folder.glob("*.safetensors")) for k, v in load_file(f).items()}


def max_abs_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys(), "the two folders hold different tensors"
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a)


def pair_row(m: dict) -> str:
    loss = [h["loss"] for h in m["log_history"] if "loss" in h][-1]
    return (f"final training loss {loss:.4f} | validation accuracy {m['validation']['accuracy']:.4f} "
            f"| test accuracy {m['test']['accuracy']:.4f}")


def sketch_row(m: dict) -> str:
    return (f"MNIST test accuracy {m['test']['mnist_test']['accuracy']:.4f} "
            f"| drawn digits accuracy {m['test']['drawn']['accuracy']:.4f}")


TASKS = {  # task: (flags from the options, one table row's scores from metrics.json)
    "sketch": (lambda a: ["--epochs", str(a.epochs), "--batch-size", str(a.batch_size), "--threads", "1"],
               sketch_row),
    "pair_classification": (lambda a: ["--loop", "accelerate", "--train-pairs", str(a.train_pairs), "--eval-pairs",
                                       str(a.eval_pairs), "--epochs", str(a.epochs), "--batch-size",
                                       str(a.batch_size)], pair_row),
}


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=TASKS, default="sketch")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--train-pairs", type=int, default=512, help="pair_classification only")
    parser.add_argument("--eval-pairs", type=int, default=200, help="pair_classification only")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    flags_of, row_of = TASKS[args.task]
    flags = flags_of(args)
    setups = [("1 (`python -m`)", 1, args.seed), ("2 (`accelerate launch`)", 2, args.seed),
              (f"1, --seed {args.seed + 1} (for scale)", 1, args.seed + 1)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, processes, seed) in enumerate(setups):
            out = Path(tmp) / f"run-{i}"
            seconds = run(args.task, [*flags, "--seed", str(seed), "--output-dir", str(out)], processes)
            rows.append((name, seconds, json.loads((out / "metrics.json").read_text()), weights(out)))
            print(f"{name}: {seconds:.0f} s", flush=True)
    reference = rows[0][3]
    print(f"\n{cpu_model()} ({os.cpu_count()} CPUs); torch {torch.__version__}; "
          f"`python -m training.{args.task} {' '.join(flags)}`\n")
    print("| processes | wall s | scores | max abs weight difference vs 1 process |")
    print("|---|---:|---|---:|")
    for name, seconds, m, w in rows:
        print(f"| {name} | {seconds:.0f} | {row_of(m).replace(' | ', '; ')} | {max_abs_difference(w, reference):.2e} |")


if __name__ == "__main__":
    main()
