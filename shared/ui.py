"""The few Gradio helpers every Space shares: error display, the header text, and launching."""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import sys
import threading
from collections.abc import Iterable

import gradio as gr

from shared import catalog
from shared.cards import card_summary
from shared.hub import CheckpointNotFound, is_offline, resolve


def user_errors(fn):
    """Show a task's ValueError (bad input) or a missing checkpoint as a gr.Error message, not a traceback."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except (ValueError, CheckpointNotFound) as e:
                raise gr.Error(str(e)) from e
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, CheckpointNotFound) as e:
            raise gr.Error(str(e)) from e
    return wrapper


def model_line(task: str) -> str:
    """'Model: <where> · base <id> · <headline metric>', read from the checkpoint's card."""
    try:
        where = resolve(task)
    except CheckpointNotFound as e:
        return f"Model: not available ({e})"
    info = card_summary(where)
    shown = f"checkpoints/{os.path.basename(where)}" if os.path.isdir(where) else where
    parts = [f"Model: `{shown}`"]
    if info.get("base_model"):
        parts.append(f"base `{info['base_model']}`")
    if info.get("headline"):
        parts.append(info["headline"])
    return " · ".join(parts)


def header(space: str) -> str:
    """Markdown shown at the top of a Space (and so under its tab in the suite)."""
    d = catalog.get(space)
    lines = [f"### {d.emoji} {d.title}", f"*{d.chapter}.* {d.blurb}"]
    lines += [model_line(task) for task in d.tasks]
    return "\n\n".join(lines)


def share_requested(argv: list[str] | None = None) -> bool:
    argv = sys.argv[1:] if argv is None else argv
    return "--share" in argv or os.environ.get("GRADIO_SHARE", "").lower() in {"1", "true", "yes"}


def warm_up(tasks: Iterable[str]) -> threading.Thread:
    """Load the models of `tasks` (names of shared.tasks modules) in a background thread, so that the first
    visitor does not wait for them. The loads are the tasks' own `load()`, cached and locked per process: a
    request that arrives mid-load waits for that load instead of starting another. A task that cannot load
    (no checkpoint) is skipped with one line; its tab shows the reason when used."""
    tasks = list(dict.fromkeys(tasks))

    def run():
        for task in tasks:
            try:
                importlib.import_module(f"shared.tasks.{task}").load()
            except Exception as e:  # noqa: BLE001  (the request path reports it properly)
                print(f"Model for {task} not preloaded: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
                      flush=True)

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread


def launch(demo: gr.Blocks, argv: list[str] | None = None, *, warm: Iterable[str] = (), **kwargs):
    """`demo.launch()` plus `--share` / GRADIO_SHARE=1 that degrades to one line when no link can be made.

    The local server is always started first; the models of the `warm` tasks then load in the background
    (`warm_up`), and the public tunnel is attempted: on failure one line explains why while the local server
    keeps serving.
    """
    share = share_requested(argv)
    os.environ.pop("GRADIO_SHARE", None)  # we make the tunnel ourselves, after the local server is up
    # Gradio 6 recomputes its API-page statistics with pandas after every event, over up to 10,000 past
    # events (about 7 ms of CPU per event once the history is full). Every 100 events is enough.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")
    demo.launch(share=False, prevent_thread_lock=True, **kwargs)
    if warm:
        warm_up(warm)
    if share:
        _try_share(demo)
    demo.block_thread()


def _try_share(demo: gr.Blocks) -> None:
    if is_offline():
        print(f"No share link: HF_HUB_OFFLINE is set, so nothing leaves this machine; "
              f"still serving on {demo.local_url}", flush=True)
        return
    try:
        from gradio import networking

        demo.share_url = networking.setup_tunnel(demo.server_name, demo.server_port, demo.share_token,
                                                 demo.share_server_address, demo.share_server_tls_certificate)
        demo.share = True
        print(f"* Running on public URL: {demo.share_url}", flush=True)
    except Exception as e:  # no network, blocked port, missing frpc binary...
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"No share link ({reason}); still serving on {demo.local_url}", flush=True)
