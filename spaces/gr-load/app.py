"""`gr.load` (course ch9.5): a Space or a model on the Hub becomes a demo in one line. When the Hub answers,
/predict sends the photo to the course's remove-background Space; when it does not (offline, or
HF_HUB_OFFLINE=1), one sentence says so and the local equivalent answers: this suite's own background remover."""

import gradio as gr

from shared import catalog, hub, ui
from shared.modeling import cached
from shared.tasks import Output, remove_bg

HUB_SPACE = "spaces/abidlabs/remove-bg"  # the course's example
OFFLINE = ("The Hugging Face Hub cannot be reached from this machine, so `gr.load` has nothing to load: the answer "
           "below comes from the local equivalent, this suite's Remove the background tab.")


def predict(image):
    remove_bg.check(image)  # bad input gets this suite's sentence, online or not
    if hub.hub_reachable():
        try:
            loaded = cached(("gr.load", HUB_SPACE), lambda: gr.load(HUB_SPACE))
            return loaded(image), ui.t("gr-load.online")
        except Exception as e:  # noqa: BLE001  (the Space may sleep or have changed; say so and go local)
            reason = f"{HUB_SPACE} did not answer ({type(e).__name__}); the local equivalent answered instead."
    else:
        reason = OFFLINE
    cutout, _ = remove_bg.predict(image).value
    return Output((cutout, reason), [reason])


with gr.Blocks(title="gr.load") as demo:
    ui.header("gr-load")
    status = gr.Markdown(ui.t("gr-load.online") if hub.hub_reachable() else OFFLINE)
    gr.Code(catalog.get("gr-load").code, language="python", label=ui.t("gr-load.course"), interactive=False)
    with gr.Row():
        image = ui.image_file(label=ui.t("gr-load.image"), sources=["upload", "webcam", "clipboard"])
        cutout = gr.Image(label=ui.t("gr-load.output"), format="png", image_mode="RGBA", interactive=False)
    button = gr.Button(ui.t("gr-load.button"), variant="primary")
    button.click(ui.endpoint(predict), inputs=image, outputs=[cutout, status], api_name="predict")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("gr-load").tasks)
