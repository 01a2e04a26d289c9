"""Cold start of the suite: from `python spaces/suite/app.py` to the first answer of each kind.

    python benchmarks/cold_start.py [--runs 3]

Prints a table: seconds until the server prints its URL, and until the first gradio_client answer
(a model-free tab and, when present, the sentiment tab, whose model loads on first use).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from gradio_client import Client

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def endpoint_for(client: Client, space_fn: str) -> str | None:
    names = [name for name in client.view_api(print_info=False, return_format="dict")["named_endpoints"]]
    return space_fn if space_fn in names else None


def one_run() -> dict[str, float]:
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "spaces/suite/app.py"], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for line in proc.stdout:
            if "Running on local URL" in line:
                break
        times = {"server up": time.perf_counter() - start}
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        assert client.predict("Ada", 1, api_name="/hello_world") == "Hello, Ada!"
        times["first answer (hello world)"] = time.perf_counter() - start
        sentiment = endpoint_for(client, "/sentiment")
        if sentiment:
            client.predict("a masterpiece", api_name=sentiment)
            times["first model answer (sentiment)"] = time.perf_counter() - start
        return times
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    print(f"\nCold start of spaces/suite/app.py, {args.runs} runs, {os.cpu_count()} CPUs")
    print(f"| {'milestone':32} | median s | min s | max s |\n|{'-' * 34}|---------:|------:|------:|")
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"| {key:32} | {statistics.median(values):8.2f} | {min(values):5.2f} | {max(values):5.2f} |")


if __name__ == "__main__":
    main()
