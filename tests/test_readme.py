"""The README says what is true: its demo table is the catalog + cards, and CI runs its test command."""

import re
from pathlib import Path

from shared import catalog

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


def test_demo_table_matches_the_catalog_and_the_cards():
    assert catalog.markdown_table() in README, "regenerate it with `python -m shared.catalog`"


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"^(pip install -r requirements[^\n#]*?)\s*(?:#.*)?$", README, flags=re.M)
    assert len(commands) == 2, commands
    install_and_start, install_and_test = commands
    assert install_and_start.endswith("python spaces/suite/app.py")
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert install_and_test in ci_lines


def test_screenshot_is_committed():
    assert (REPO / "docs" / "suite.png").stat().st_size > 10_000
