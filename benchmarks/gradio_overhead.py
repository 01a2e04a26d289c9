"""Where a Space's CPU goes per request under load: a py-spy profile of the serving process, split by stage.

    python benchmarks/gradio_overhead.py [--space sentiment] [--clients 16] [--seconds 20]
    python benchmarks/gradio_overhead.py --space sentiment --env GRADIO_ANALYTICS_CACHE_FREQUENCY=1   # a variant

For the hello-world Space (no model: Gradio's own floor) and `--space`, each started as Spaces runs it
(benchmarks.local_space.run_app, 1 torch thread), `--clients` plain-HTTP clients (benchmarks.speed.HttpAsk: POST
/gradio_api/call/predict, then its event stream) call /predict for `--seconds` while `py-spy record --gil` samples
the Space's process. Per Space it prints answers/s, the process's CPU per answer (psutil), and the Python time
per answer (samples of the thread holding the GIL) split into stages by the innermost frame that names one
(`SPECIFIC`, `GENERIC`). torch kernels run without the GIL: they are in the CPU column, not in the stages.
A Python micro-benchmark beside it times Gradio's API-page statistics (`Queue.compute_analytics_summary`) over a
full history, the one per-event cost that a setting removes (`shared.ui.launch` sets it).

Needs py-spy (`pip install py-spy`, run as root or with ptrace allowed). Prints only: the figures go into the
README by hand, with the CPU model printed here.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.local_space import run_app  # noqa: E402
from benchmarks.speed import CASES, HELLO_INPUTS, HttpAsk, concurrent, space_env, versions  # noqa: E402
from shared.modeling import cpu_model  # noqa: E402

# Stages, as (a piece of a frame's "function (file:line)", stage). A sample goes to the first of SPECIFIC that any
# of its frames matches (what runs under a named step, wherever it is called from), else to the GENERIC stage of
# its innermost frame that matches one, else to the event loop.
MODEL = "model: torch, transformers (Python side)"
SPECIFIC = [
    ("torch/", MODEL), ("transformers/", MODEL), ("sentence_transformers/", MODEL), ("tokenizers", MODEL),
    ("compute_analytics_summary", "Gradio: API-page statistics"),
    ("state_holder.py", "Gradio: a new session's state"),
    ("gradio/components/", "Gradio: components' preprocess / postprocess"),
    ("Blocks.preprocess_data", "Gradio: preprocess / postprocess bookkeeping"),
    ("Blocks.postprocess_data", "Gradio: preprocess / postprocess bookkeeping"),
    ("queue_data_helper", "Gradio: event stream (SSE) of each call"),
]
GENERIC = [
    ("shared/", "project: task code and wrappers (shared/)"),
    ("gradio/queueing.py", "Gradio: queue"),
    ("gradio/", "Gradio: routes, process_api, call_function"),
    ("WorkerThread", "anyio: handing work to worker threads"),
    ("to_thread.py", "anyio: handing work to worker threads"),
    ("uvicorn/_compat.py", "asyncio event loop, other"),
    ("uvicorn/", "HTTP: uvicorn, h11, starlette, fastapi"),
    ("h11/", "HTTP: uvicorn, h11, starlette, fastapi"),
    ("starlette/", "HTTP: uvicorn, h11, starlette, fastapi"),
    ("fastapi/", "HTTP: uvicorn, h11, starlette, fastapi"),
]
OTHER = "asyncio event loop, other"


def stage_of(frames: list[str]) -> str:
    for piece, stage in SPECIFIC:
        if any(piece in frame for frame in frames):
            return stage
    for frame in reversed(frames):
        for piece, stage in GENERIC:
            if piece in frame:
                return stage
    return OTHER


def read_profile(path: Path) -> collections.Counter:
    """py-spy's raw (collapsed) output -> samples per stage."""
    stages = collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        stages[stage_of(stack.split(";")[1:])] += int(count)  # the first frame names the thread
    return stages


def profile(space: str, opts) -> dict:
    """Serve `space`, load it with opts.clients HTTP clients while py-spy samples it; the figures."""
    inputs = CASES[space].inputs if space in CASES else HELLO_INPUTS
    env = {**space_env(space, opts), **dict(kv.split("=", 1) for kv in opts.env)}
    with run_app(REPO / "spaces" / space, env=env, timeout=180) as (url, _, proc), \
            tempfile.TemporaryDirectory() as tmp:
        asks = [HttpAsk(url, session=not opts.no_session) for _ in range(opts.clients)]
        for args in inputs:  # waits for the model loaded at start, and first-use costs
            asks[0](args)
        concurrent(asks, inputs, opts.clients * 8, 30, proc.pid)  # warm every connection and thread
        raw = Path(opts.profiles or tmp) / f"{space}.txt"  # collapsed stacks, one per line
        spy = subprocess.Popen(["py-spy", "record", "--pid", str(proc.pid), "--gil", "--rate", str(opts.rate),
                                "--format", "raw", "--output", str(raw), "--duration", str(int(opts.seconds) + 1)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)  # py-spy attaches
        calls, answers, usage = concurrent(asks, inputs, 10**6, opts.seconds, proc.pid)
        _, err = spy.communicate(timeout=60)
        if not raw.is_file():
            raise RuntimeError(f"py-spy wrote no profile: {err.strip()[-500:]}")
        stages = read_profile(raw)
    ms = 1000 / opts.rate / answers  # one sample, in ms per answer (py-spy's window holds the whole load)
    return {"space": space, "answers_per_s": answers / usage.seconds, "cpu_pct": usage.cpu,
            "cpu_ms": usage.cpu / 100 * usage.seconds * 1000 / answers, "gil_ms": sum(stages.values()) * ms,
            "stages": {s: n * ms for s, n in stages.items()}}


def analytics_cost(records: int = 10_000, repeat: int = 5) -> float:
    """ms for one `Queue.compute_analytics_summary` over `records` past events of 3 functions."""
    from gradio.queueing import Queue

    queue = Queue.__new__(Queue)
    queue.cached_event_analytics_summary, queue.events_recorded_per_fn = {"functions": {}}, {}
    queue.events_recorded, queue.event_count_at_last_cache, queue.ANAYLTICS_CACHE_FREQUENCY = 1, 0, 1
    rows = [{"time": time.time(), "status": "success", "function": f"fn{i % 3}", "process_time": 0.01 * (i % 7),
             "session_hash": f"s{i}"} for i in range(records)]
    best = float("inf")
    for _ in range(repeat):
        queue.event_count_at_last_cache = 0
        t0 = time.perf_counter()
        queue.compute_analytics_summary(list(rows))
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def report(results: list[dict]) -> str:
    stages = [s for _, s in SPECIFIC + GENERIC] + [OTHER]
    stages = [s for s in dict.fromkeys(stages) if any(r["stages"].get(s) for r in results)]
    head = ["ms per answer"] + [r["space"] for r in results]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * len(results) + "|"]
    lines.append("| answers/s | " + " | ".join(f"{r['answers_per_s']:.1f}" for r in results) + " |")
    lines.append("| process CPU (% of one core) | " + " | ".join(f"{r['cpu_pct']:.0f}" for r in results) + " |")
    lines.append("| **process CPU per answer** | " + " | ".join(f"**{r['cpu_ms']:.2f}**" for r in results) + " |")
    lines.append("| Python, GIL held, per answer | " + " | ".join(f"{r['gil_ms']:.2f}" for r in results) + " |")
    for stage in stages:
        lines.append(f"| - {stage} | " + " | ".join(f"{r['stages'].get(stage, 0):.2f}" for r in results) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--space", default="sentiment", help=f"one of {', '.join(CASES)} (default sentiment)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the Space")
    parser.add_argument("--no-session", action="store_true", help="clients send no session_hash (as curl): "
                        "a new Gradio session per call")
    parser.add_argument("--profiles", help="folder to keep py-spy's raw profiles in (speedscope/flamegraph input)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="environment of both Spaces (e.g. a Gradio setting to compare)")
    opts = parser.parse_args(argv)
    opts.model = None  # what space_env reads: the Space's own checkpoint
    print(f"CPU: {cpu_model()} ({os.cpu_count()} CPUs); {versions()}", flush=True)
    print(f"{opts.clients} plain-HTTP clients ({'no session' if opts.no_session else 'a session each'}), "
          f"{opts.seconds:.0f} s, py-spy --gil at {opts.rate} Hz"
          + (f"; env {' '.join(opts.env)}" if opts.env else ""), flush=True)
    results = [profile(space, opts) for space in dict.fromkeys(["hello-world", opts.space])]
    print(report(results))
    print(f"\nGradio's API-page statistics over 10,000 past events (GRADIO_ANALYTICS_MAX_EVENTS' default), one "
          f"computation: {analytics_cost():.1f} ms; over 1,000: {analytics_cost(1_000):.1f} ms. Gradio runs it "
          "after every GRADIO_ANALYTICS_CACHE_FREQUENCY events (default 1).", flush=True)


if __name__ == "__main__":
    main()
