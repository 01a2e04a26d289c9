"""The few Gradio helpers every Space shares: input components that hand the task what was sent, the wrappers
that turn a task's answer into Gradio outputs (InputError -> gr.Error, notices -> gr.Warning), the header, the
interface texts in each language, and launching with bounded uploads.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import os
import sys
import threading
import traceback
import weakref
from collections.abc import Iterable

import gradio as gr

from shared import catalog, memory
from shared.hub import CheckpointNotFound, is_offline
from shared.tasks import InputError, Output, excerpt

# Gradio 6 recomputes its API-page statistics with pandas after every event, over up to 10,000 past events (8.7
# ms of CPU once the history is full; benchmarks/gradio_overhead.py). Every 100 events is enough. Read when a Blocks
# is made (its queue is made then), so set on import, before any Space builds its Blocks.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")
MAX_FILE_SIZE = "25mb"  # every upload, every Space: checked by Gradio before the file reaches a function
CACHE_CLEANUP = (3600, 3600)  # uploads and outputs older than an hour are deleted, every hour
NOTICE_MARK = "⚠️ "


# ---------------------------------------------------------------------------------------------- texts

I18N = gr.I18n(**catalog.translations())


def t(key: str):
    """A translated interface string (English or Simplified Chinese, chosen by the browser's locale)."""
    if key not in catalog.translations()["en"]:
        raise KeyError(f"no interface text '{key}' in shared/catalog.py")
    return I18N(key)


def _english(text) -> str | None:
    """A label as English text, whether a plain string or a translation key."""
    key = getattr(text, "key", None)
    return catalog.translations()["en"].get(key, key) if key else text


def header(space: str) -> gr.Markdown:
    """The Space's title, course chapter (linked, in the reader's language), blurb and model line."""
    return gr.Markdown(t(f"{space}.header"))


def code_section(space: str) -> gr.Accordion:
    """A collapsed section with the course's lines that do what the Space does on its checkpoint, and the
    gradio_client call of its /predict (both from the catalog, both run by tests/test_snippets.py)."""
    d = catalog.get(space)
    with gr.Accordion(t("common.code"), open=False) as section:
        gr.Code(d.code, language="python", label=t("common.code.course"), interactive=False)
        gr.Code(d.client_code(), language="python", label=t("common.code.client"), interactive=False)
    return section


# ----------------------------------------------------------------------------------------- components

# Gradio's own preprocessing would turn a number or a list sent to a Textbox into its str(), and decode an
# uploaded image or audio file (with ffmpeg for audio) before the task could check it. These inputs hand the
# function what was sent, and the task's check comes first. (Instance attributes, not subclasses: Gradio writes a
# .pyi stub next to the module of every component subclass.)

def _as_sent(payload):
    return payload


def _path(payload):
    return None if payload is None else payload.path


def textbox(**kwargs) -> gr.Textbox:
    """A gr.Textbox whose value reaches the function as sent: a number or a list stays one, for `check` to refuse."""
    box = gr.Textbox(**kwargs)
    box.preprocess = _as_sent
    return box


def code_box(**kwargs) -> gr.Code:
    """An editable gr.Code (syntax-highlighted) whose value reaches the function as sent, like `textbox`."""
    box = gr.Code(interactive=True, **kwargs)
    box.preprocess = _as_sent
    return box


def checked_textbox(check, **kwargs) -> gr.Textbox:
    """A gr.Textbox whose value is checked (`check(value)` -> clean text, or InputError) before anything else runs:
    for inputs that Gradio itself handles before the function, as gr.ChatInterface does with its message."""
    box = gr.Textbox(**kwargs)

    def preprocess(payload):
        try:
            return check(payload)
        except InputError as e:
            raise _user_error(e) from None

    box.preprocess = preprocess
    return box


def image_file(**kwargs) -> gr.Image:
    """A gr.Image whose upload reaches the function as a file path, undecoded: the task checks the header first."""
    image = gr.Image(type="filepath", **kwargs)
    image.preprocess = _path
    return image


def _editor_file(file, flatten_on_white: bool = False):
    """An ImageEditor layer as sent: a file path, or the bytes of a browser blob, undecoded."""
    if file is None:
        return None
    return bytes(file) if isinstance(file, (bytes, bytearray, memoryview)) else file.path


def sketchpad(**kwargs) -> gr.Sketchpad:
    """A gr.Sketchpad whose value reaches the function as {"background", "layers", "composite"} of file paths (or
    a browser's PNG bytes), undecoded: the task checks each image's header first, as for uploads."""
    pad = gr.Sketchpad(type="filepath", **kwargs)
    pad.convert_and_format_image = _editor_file
    return pad


def audio_file(**kwargs) -> gr.Audio:
    """A gr.Audio whose upload reaches the function as a file path: the task reads it with soundfile (WAV, FLAC,
    OGG, MP3; no ffmpeg) after checking its header."""
    audio = gr.Audio(type="filepath", **kwargs)
    audio.preprocess = _path
    return audio


# ------------------------------------------------------------------------------------------- wrappers

def _unexpected(fn, e: Exception, args) -> gr.Error:
    """A bug, not bad input: one log line with the traceback and at most a short excerpt of the input."""
    shown = ", ".join(excerpt(a, 40) for a in args)
    print(f"{getattr(fn, '__name__', fn)} failed on ({shown}): {type(e).__name__}: {excerpt(str(e), 200)}\n"
          + "".join(traceback.format_tb(e.__traceback__)[-3:]), file=sys.stderr, flush=True)
    return gr.Error(f"Something went wrong on this input ({type(e).__name__}); please try another one.")


def _user_error(e: Exception) -> gr.Error:
    """Bad input is the user's to fix, not the server's: shown to them, no traceback in the log."""
    return gr.Error(str(e), print_exception=False)


def _show(result):
    if isinstance(result, Output):
        for notice in result.notices:
            gr.Warning(notice)
        return result.value
    return result


def endpoint(fn):
    """Wrap a task function for an event: bad input (ValueError, a missing checkpoint) becomes a gr.Error with the
    task's sentence; an `Output`'s notices become gr.Warning toasts and its value the output; anything else that
    goes wrong is logged in one short entry and shown as a plain message, never a traceback."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                with streaming():
                    for result in fn(*args, **kwargs):
                        yield _show(result)
            except gr.Error:
                raise
            except (ValueError, CheckpointNotFound) as e:
                raise _user_error(e) from None
            except Exception as e:  # noqa: BLE001
                raise _unexpected(fn, e, args) from None
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return _show(fn(*args, **kwargs))
        except gr.Error:
            raise
        except (ValueError, CheckpointNotFound) as e:
            raise _user_error(e) from None
        except Exception as e:  # noqa: BLE001
            raise _unexpected(fn, e, args) from None
    return wrapper


# Gradio's queue looks for new events every millisecond (`Queue.sleep_when_free`, 0.001 s on Linux) and for
# progress to send every 10 ms, with nothing queued too: about 1,100 wake-ups a second of the server's event loop.
# On 2 CPUs both cores decode (torch's OpenMP threads), each wake-up takes one of them, and the other waits at the
# kernel's end: the text-generation Space's server used 0.19 s of CPU during a 2.9 s stream, and a stream took 6-10%
# longer than with the polls 10x rarer (Intel Xeon with AMX; benchmarks/generation.py). While a stream runs, the
# queues of the served apps poll every STREAMING_POLL_SECONDS (a request arriving then waits at most that much more
# to start); alone, a request is picked up as fast as Gradio does.
STREAMING_POLL_SECONDS = 0.01
_served_queues: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # queue -> Gradio's own (poll, progress)
_streams = 0
_streams_lock = threading.Lock()


@contextlib.contextmanager
def streaming():
    """While inside, the served queues poll STREAMING_POLL_SECONDS apart (progress 10x that); Gradio's own rates
    are back once the last stream ends."""
    global _streams
    with _streams_lock:
        _streams += 1
        if _streams == 1:
            for queue in list(_served_queues):
                queue.sleep_when_free = STREAMING_POLL_SECONDS
                queue.progress_update_sleep_when_free = 10 * STREAMING_POLL_SECONDS
    try:
        yield
    finally:
        with _streams_lock:
            _streams -= 1
            if _streams == 0:
                for queue, (poll, progress) in list(_served_queues.items()):
                    queue.sleep_when_free, queue.progress_update_sleep_when_free = poll, progress


MAX_BATCH = 16  # requests a batched event answers in one call


def on_batched(triggers, predict_batch, inputs, outputs: list, api_name: str = "predict", show=None):
    """Wire a task's `predict_batch` to `triggers` as a batched event (`batch=True, max_batch_size=MAX_BATCH`):
    concurrent visitors share one call. `outputs` ends with the notice component (a gr.Markdown) that says, per
    request, what was cut or why it got no answer; the notice also pops up as a gr.Warning toast. `show(value,
    request)`, when given, turns each answer's value into what the output components display."""
    event = gr.on(triggers, batched_endpoint(predict_batch, values=len(outputs) - 1, show=show), inputs=inputs,
                  outputs=outputs, api_name=api_name, batch=True, max_batch_size=MAX_BATCH)
    event.success(pop_notice, inputs=outputs[-1], outputs=None, api_visibility="private")
    return event


def batched_endpoint(predict_batch, values: int = 1, show=None):
    """Wrap a task's `predict_batch` for a `batch=True` event with outputs (value, notice): requests from
    different visitors share one call, so one bad input must not fail the others. Each gets its value and a
    notice line (the error, or what was cut); a gr.Error only when every input of the call is bad (a lone
    request). Gradio passes a batched event one list per input component: one input gives `predict_batch` that
    list, several give it one tuple per request (e.g. [(question, sentence), ...]). `show(value, request)`
    reshapes each answered value for display. `values` > 1: each value is a tuple for that many output
    components, placed before the notice."""
    @functools.wraps(predict_batch)  # its name in the log of an unexpected error
    def answer(inputs: list) -> list:
        outputs = predict_batch(inputs)
        for out, request in zip(outputs, inputs):
            if show is not None and out.value is not None:
                out.value = show(out.value, request)
        return outputs

    def wrapper(*columns: list):
        inputs = columns[0] if len(columns) == 1 else list(zip(*columns))
        outputs = endpoint(answer)(inputs)
        if all(o.error for o in outputs):
            raise gr.Error(outputs[0].error, print_exception=False)
        notices = [NOTICE_MARK + o.error if o.error else "\n\n".join(NOTICE_MARK + n for n in o.notices)
                   for o in outputs]
        if values == 1:
            return [o.value for o in outputs], notices
        rows = [(None,) * values if o.value is None else o.value for o in outputs]
        return (*(list(column) for column in zip(*rows)), notices)

    wrapper.__name__ = predict_batch.__name__  # not functools.wraps: Gradio reads the signature for its inputs
    return wrapper


def pop_notice(notice: str) -> None:
    """Show a batched event's notice as a gr.Warning toast too (`on_batched` chains it)."""
    if notice:
        for line in notice.split("\n\n"):
            gr.Warning(line.removeprefix(NOTICE_MARK))


# --------------------------------------------------------------------------------------------- launch

def share_requested(argv: list[str] | None = None) -> bool:
    argv = sys.argv[1:] if argv is None else argv
    return "--share" in argv or os.environ.get("GRADIO_SHARE", "").lower() in {"1", "true", "yes"}


@contextlib.contextmanager
def no_unserved_apps():
    """Blocks built inside skip the web apps they would never serve. Gradio 6 builds a FastAPI app (83 routes,
    ~0.1 s of CPU) when a Blocks closes and again in its queue(), then builds the one it serves in launch(): for
    the suite, two apps per Space, 64 in all, most of its start (benchmarks/suite.py). `launch()` still builds
    the served app as usual."""
    from gradio.routes import App

    real = App.create_app
    App.create_app = staticmethod(lambda *args, **kwargs: None)
    try:
        yield
    finally:
        App.create_app = real


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


# Gradio 6 keeps a SessionState per session, up to 10,000 of them, and each holds a copy of every block's config:
# 1.7 KiB per block (703 KiB for the suite's 421 blocks), and every API call is a new session. Left at 10,000, the
# suite grew from 1.7 GB to 11 GB over 5,800 requests. The capacity here keeps them within a memory budget.
SESSION_MEMORY = int(os.environ.get("NLP_COURSE_SESSION_MEMORY_MB", "128")) * 2**20
SESSION_BYTES_PER_BLOCK = 1_750


def session_capacity(demo: gr.Blocks) -> int:
    """How many sessions `demo` keeps (the oldest are dropped first): SESSION_MEMORY's worth, at least 100."""
    return max(100, min(10_000, SESSION_MEMORY // (SESSION_BYTES_PER_BLOCK * max(1, len(demo.blocks)))))


# Gradio's queue by default sends every waiting visitor their place and expected wait each time a job starts: with
# 16 waiting, 15 messages through 15 event streams per job: 1.3 ms of CPU per answer on the hello-world Space, 0.2
# sent every STATUS_UPDATE_SECONDS (benchmarks/gradio_overhead.py). The place still shows.
STATUS_UPDATE_SECONDS = float(os.environ.get("NLP_COURSE_STATUS_UPDATE_SECONDS", "1"))


def harden(demo: gr.Blocks) -> gr.Blocks:
    """What every served app gets, alone or in the suite: the upload cache cleaned hourly, queue places sent every
    STATUS_UPDATE_SECONDS, the queue's polls slowed while a stream runs (`streaming`), and a request with too few
    inputs answered with a sentence (Gradio's own message is for developers, hidden from users, and echoes every
    input it got into the log)."""
    demo.delete_cache = demo.delete_cache or CACHE_CLEANUP
    if demo._queue.live_updates and STATUS_UPDATE_SECONDS > 0:  # not yet set (0: Gradio's way, on every job)
        demo.queue(status_update_rate=STATUS_UPDATE_SECONDS, max_size=demo._queue.max_size,
                   default_concurrency_limit=demo._queue.default_concurrency_limit)

    queue = demo._queue
    _served_queues.setdefault(queue, (queue.sleep_when_free, queue.progress_update_sleep_when_free))
    process_api = demo.process_api

    async def checked_process_api(block_fn, inputs, *args, **kwargs):
        fn = demo.fns[block_fn] if isinstance(block_fn, int) else block_fn
        if len(inputs) < len(fn.inputs):  # a batched event's inputs are per component too
            shown = [_english(getattr(b, "label", None)) or b.get_block_name() for b in fn.inputs
                     if not isinstance(b, gr.State)]
            got = len(inputs) - (len(fn.inputs) - len(shown))
            raise gr.Error(f"This endpoint takes {len(shown)} input{'s' * (len(shown) != 1)} ({', '.join(shown)}); "
                           f"it got {max(got, 0)}.", print_exception=False)
        return await process_api(block_fn, inputs, *args, **kwargs)

    if not getattr(process_api, "checks_inputs", False):
        checked_process_api.checks_inputs = True
        demo.process_api = checked_process_api
    return demo


def launch_kwargs(demo: gr.Blocks, **kwargs) -> dict:
    """The launch() arguments every app gets: translations, the upload cap, sessions within their memory budget
    (`session_capacity`); the caller's win."""
    return {"i18n": I18N, "max_file_size": MAX_FILE_SIZE, "state_session_capacity": session_capacity(demo),
            **kwargs}


def launch(demo: gr.Blocks, argv: list[str] | None = None, *, warm: Iterable[str] = (), **kwargs):
    """`demo.launch()` with the project's settings (`launch_kwargs`, `harden`), models warmed in the background,
    and `--share` / GRADIO_SHARE=1: Gradio makes the link, and keeps serving locally with one line when it
    can't; with HF_HUB_OFFLINE set nothing is tried and one line says so."""
    share = share_requested(argv)
    os.environ.pop("GRADIO_SHARE", None)
    if share and is_offline():
        print("No share link: HF_HUB_OFFLINE is set, so nothing leaves this machine; serving locally only.",
              flush=True)
        share = False
    harden(demo)
    demo.launch(share=share, prevent_thread_lock=True, **launch_kwargs(demo, **kwargs))
    memory.release_freed_memory_every()
    if warm:
        warm_up(warm)
    demo.block_thread()
