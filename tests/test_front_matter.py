"""Every Space's README front matter is what Spaces needs, and agrees with the catalog and the install."""

from pathlib import Path

import gradio
import pytest
from huggingface_hub import SpaceCard

from shared import catalog
from shared.deploy import validate_front_matter

SPACES = Path(__file__).resolve().parent.parent / "spaces"
ALL = sorted(p.name for p in SPACES.iterdir() if (p / "app.py").exists())


def test_every_space_is_in_the_catalog_and_back():
    assert set(ALL) == {d.space for d in catalog.DEMOS} | {"suite"}


@pytest.mark.parametrize("space", ALL)
def test_front_matter(space):
    readme = SPACES / space / "README.md"
    data = validate_front_matter(readme)
    assert data["sdk"] == "gradio" and data["app_file"] == "app.py"
    assert (SPACES / space / data["app_file"]).is_file()
    # Spaces installs this gradio: keep it equal to the one the tests ran with (requirements pins it).
    assert data["sdk_version"] == gradio.__version__
    assert data["python_version"] == "3.11"
    assert len(data.get("short_description", "")) <= 60
    if space != "suite":
        assert SpaceCard.load(readme).data.title == catalog.get(space).title.en
