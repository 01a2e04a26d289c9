"""The suite: every catalog demo is a tab, and every Space's endpoints stay callable under /<space> names."""

from conftest import load_app, serve

from shared import catalog


def test_suite_serves_every_demo_under_its_own_endpoint():
    suite = load_app("suite")
    assert all(app.demo.app is None for app in suite.apps.values())  # no web app built for a Space not served
    names = {fn.api_name for fn in suite.demo.fns.values() if fn.api_visibility == "public"}
    for d in catalog.DEMOS:
        assert d.space.replace("-", "_") in names, f"no /{d.space} endpoint in the suite"
    with serve(suite.demo) as client:
        assert client.predict("Suite", 2, api_name="/hello_world") == "Hello, Suite!!"
        assert client.predict("abc", api_name="/flip") == "cba"
    assert suite.demo.app is not None  # launch() built the one it serves


def test_sessions_stay_within_their_memory_budget(monkeypatch):
    """Every API call is a new Gradio session holding a copy of every block's config; ui.harden caps how many are
    kept, from the bytes one session really takes here."""
    import tracemalloc

    from gradio.state_holder import SessionState

    from benchmarks.endpoints import Http
    from shared import ui

    suite = load_app("suite")
    SessionState(suite.demo)  # first-time imports and caches out of the measure
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    sessions = [SessionState(suite.demo) for _ in range(5)]
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    tracemalloc.stop()
    assert len(sessions) == 5 and grown / 5 <= 1.25 * ui.SESSION_BYTES_PER_BLOCK * len(suite.demo.blocks)

    monkeypatch.setattr(ui, "SESSION_MEMORY", 0)  # the floor: 100 sessions
    hello = load_app("hello-world")
    with serve(hello.demo) as client:
        http = Http(client.src)
        for i in range(130):
            assert http.call("predict", [f"visitor {i}", 1])[0] == "complete"
        assert len(hello.demo.state_holder.session_data) <= 100


def test_waiting_visitors_see_their_place_in_the_queue():
    """ui.harden has the queue send places every STATUS_UPDATE_SECONDS rather than on every job: they still show."""
    import time

    import gradio as gr

    from shared import ui

    def slow(text: str) -> str:
        time.sleep(1.5)
        return text

    with gr.Blocks() as demo:
        box = gr.Textbox()
        box.submit(slow, box, box, api_name="slow")
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == 100  # set on import of shared.ui, before any Blocks is made
    with serve(demo) as client:
        assert not demo._queue.live_updates and demo._queue.update_intervals == ui.STATUS_UPDATE_SECONDS
        jobs = [client.submit(f"visitor {i}", api_name="/slow") for i in range(3)]
        ranks = set()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline and not ranks - {0}:
            ranks |= {rank for job in jobs if (rank := job.status().rank) is not None}
            time.sleep(0.05)
        assert ranks - {0}, "no visitor was told a place behind another"
        assert [job.result(timeout=10) for job in jobs] == [f"visitor {i}" for i in range(3)]


def test_the_queue_polls_less_while_a_stream_runs_and_as_gradio_does_otherwise():
    """ui.streaming: Gradio's 1 ms queue polls took CPU from decoding; while any stream runs they are 10 ms apart,
    and Gradio's own rates are back once the last stream ends (or is closed by a visitor who left)."""
    import gradio as gr

    from shared import ui

    def words(text: str):
        yield from text.split()

    with gr.Blocks() as demo:
        box = gr.Textbox()
        box.submit(ui.endpoint(words), box, box, api_name="words")
    queue = ui.harden(demo)._queue
    own = (queue.sleep_when_free, queue.progress_update_sleep_when_free)
    assert own[0] < ui.STREAMING_POLL_SECONDS
    first, second = ui.endpoint(words)("one two"), ui.endpoint(words)("three four")
    assert next(first) == "one" and next(second) == "three"
    assert (queue.sleep_when_free, queue.progress_update_sleep_when_free) == (
        ui.STREAMING_POLL_SECONDS, 10 * ui.STREAMING_POLL_SECONDS)
    assert list(first) == ["two"]  # one stream ended, the other runs on
    assert queue.sleep_when_free == ui.STREAMING_POLL_SECONDS
    second.close()  # the visitor left mid-stream
    assert (queue.sleep_when_free, queue.progress_update_sleep_when_free) == own
    with serve(demo) as client:  # and served: the stream's words arrive, and the rates are Gradio's after
        assert client.predict("five six", api_name="/words") == "six"
    assert (queue.sleep_when_free, queue.progress_update_sleep_when_free) == own
