"""Background removal and gr.load's offline path: the mask covers the person in a real photo (scikit-image's
astronaut portrait) and not the flag or the shuttle model behind her; the cut-out's alpha is that mask; the gr.load
tab says in one sentence that the Hub is out of reach and answers with the local model."""

from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from shared import hub
from shared.tasks import InputError, remove_bg

skimage = pytest.importorskip("skimage")
PORTRAIT = Path(skimage.__file__).parent / "data" / "astronaut.png"  # 512 x 512, NASA, public domain


def test_the_mask_covers_the_person_and_not_the_background():
    mask = remove_bg.segment(remove_bg.check(PORTRAIT))
    assert mask.shape == (512, 512)
    assert mask[40:120, 180:300].mean() > 0.9  # her face and hair
    assert mask[250:400, 100:250].mean() > 0.9  # her suit
    assert mask[0:150, 400:].mean() < 0.05  # the shuttle model behind her
    assert mask[0:150, 0:50].mean() < 0.05  # the flag


def test_cutout_is_rgba_with_the_mask_as_alpha(tmp_path):
    out = remove_bg.predict(PORTRAIT)
    (cutout, alpha), notices = out.value, out.notices
    assert cutout.shape == (512, 512, 4) and cutout.dtype == np.uint8 and not notices
    assert np.array_equal(cutout[:, :, 3], alpha)
    assert np.array_equal(cutout[:, :, :3], np.asarray(Image.open(PORTRAIT).convert("RGB")))
    Image.fromarray(cutout).save(tmp_path / "cut.png")
    assert Image.open(tmp_path / "cut.png").mode == "RGBA"


def test_bad_images_are_refused(tmp_path):
    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    with pytest.raises(InputError, match="at least 16 pixels"):
        remove_bg.predict(tmp_path / "dot.png")
    with pytest.raises(InputError, match="upload an image"):
        remove_bg.predict(None)


def test_no_person_gets_a_notice():
    notices = remove_bg.predict(np.full((64, 64, 3), 200, dtype=np.uint8)).notices
    assert notices and "No person found" in notices[0]


def test_offline_means_no_request_at_all(monkeypatch):
    import httpx

    monkeypatch.setattr(httpx, "head", lambda *a, **k: pytest.fail("tried the network under HF_HUB_OFFLINE"))
    assert hub.hub_reachable() is False


@pytest.mark.parametrize("space_client", ["remove-bg"], indirect=True)
def test_remove_bg_space(space_client, tmp_path):
    cutout, mask = space_client.predict(handle_file(str(PORTRAIT)), api_name="/predict")
    assert Image.open(cutout).mode == "RGBA" and Image.open(mask).size == (512, 512)
    (tmp_path / "text.png").write_text("not a picture")
    with pytest.raises(AppError, match="not an image"):
        space_client.predict(handle_file(str(tmp_path / "text.png")), api_name="/predict")


@pytest.mark.parametrize("space_client", ["gr-load"], indirect=True)
def test_gr_load_offline_says_so_and_answers_locally(space_client):
    cutout, status = space_client.predict(handle_file(str(PORTRAIT)), api_name="/predict")
    assert "cannot be reached" in status and "Remove the background" in status
    assert Image.open(cutout).mode == "RGBA"
