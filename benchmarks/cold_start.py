"""Cold start of the suite: from `python spaces/suite/app.py` to the first answer of each kind.

    python benchmarks/cold_start.py [--runs 3]

Prints a table: seconds until the server prints its URL, and until the first gradio_client answer of a
model-free tab and then of each model tab in turn (sentiment, sentence pairs, zero-shot). The suite loads
the models in a background thread once it serves (`shared.ui.warm_up`); a model not loaded yet when its
first request arrives is waited for. A last row starts the suite again and times one sentiment request
sent --visitor-at seconds after start: what a visitor who opens the page and types a sentence waits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from gradio_client import Client

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.local_space import run_app  # noqa: E402

SUITE = REPO / "spaces" / "suite"
ENV = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}


def endpoint_for(client: Client, space_fn: str) -> str | None:
    names = [name for name in client.view_api(print_info=False, return_format="dict")["named_endpoints"]]
    return space_fn if space_fn in names else None


def one_run(visitor_at: float) -> dict[str, float]:
    start = time.perf_counter()
    with run_app(SUITE, env=ENV, timeout=300) as (url, _, _):
        times = {"server up": time.perf_counter() - start}
        client = Client(url, verbose=False)
        assert client.predict("Ada", 1, api_name="/hello_world") == "Hello, Ada!"
        times["first answer (hello world)"] = time.perf_counter() - start
        calls = [("sentiment", ("a masterpiece",)),
                 ("pair_classification", ("Who wrote Hamlet?", "Hamlet is a tragedy by William Shakespeare.")),
                 ("zero_shot", ("The striker scored twice.", "sports, cooking, politics", False))]
        for name, args in calls:  # in turn, as one visitor trying the model tabs would
            if endpoint_for(client, f"/{name}"):
                client.predict(*args, api_name=f"/{name}")
                times[f"first model answer ({name})"] = time.perf_counter() - start
    if visitor_at:
        start = time.perf_counter()
        with run_app(SUITE, env=ENV, timeout=300) as (url, _, _):
            client = Client(url, verbose=False)
            if endpoint_for(client, "/sentiment"):
                time.sleep(max(0.0, visitor_at - (time.perf_counter() - start)))
                asked = time.perf_counter()
                client.predict("a masterpiece", api_name="/sentiment")
                times[f"sentiment wait, first request at {visitor_at:g} s"] = time.perf_counter() - asked
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--visitor-at", type=float, default=10.0,
                        help="also time a first sentiment request sent this many seconds after start (0: skip)")
    args = parser.parse_args()
    runs = [one_run(args.visitor_at) for _ in range(args.runs)]
    print(f"\nCold start of spaces/suite/app.py, {args.runs} runs, {os.cpu_count()} CPUs")
    print(f"| {'milestone':42} | median s | min s | max s |\n|{'-' * 44}|---------:|------:|------:|")
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"| {key:42} | {statistics.median(values):8.2f} | {min(values):5.2f} | {max(values):5.2f} |")


if __name__ == "__main__":
    main()
