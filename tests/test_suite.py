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
