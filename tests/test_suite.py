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
