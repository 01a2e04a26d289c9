"""Background removal (course ch9.5 loads a remove-bg Space from the Hub; this runs the same kind of model
here): a photo of a person in, the cut-out (RGBA PNG) and the mask out. See shared.tasks.remove_bg."""

import gradio as gr

from shared import catalog, ui
from shared.tasks import remove_bg

with gr.Blocks(title="Remove the background") as demo:
    ui.header("remove-bg")
    with gr.Row():
        with gr.Column():
            image = ui.image_file(label=ui.t("remove-bg.image"), sources=["upload", "webcam", "clipboard"])
            button = gr.Button(ui.t("remove-bg.button"), variant="primary")
        cutout = gr.Image(label=ui.t("remove-bg.cutout"), format="png", image_mode="RGBA", interactive=False)
        mask = gr.Image(label=ui.t("remove-bg.mask"), format="png", image_mode="L", interactive=False)
    gr.on([button.click, image.upload], ui.endpoint(remove_bg.predict), inputs=image, outputs=[cutout, mask],
          api_name="predict")
    ui.code_section("remove-bg")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("remove-bg").tasks)
