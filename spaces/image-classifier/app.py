"""Image classification with an explanation (course ch9.6): a photo in, the top-5 ImageNet classes and a class
activation map out. The model is EfficientNet-Lite0, as packaged on PyPI (see shared.tasks.image_classification)."""

import gradio as gr

from shared import catalog, ui
from shared.tasks import image_classification

with gr.Blocks(title="Image classification") as demo:
    ui.header("image-classifier")
    with gr.Row():
        with gr.Column():
            image = ui.image_file(label=ui.t("image-classifier.image"), sources=["upload", "webcam", "clipboard"])
            button = gr.Button(ui.t("image-classifier.button"), variant="primary")
        with gr.Column():
            label = gr.Label(label=ui.t("image-classifier.label"), num_top_classes=image_classification.TOP_K)
            explanation = gr.Image(label=ui.t("image-classifier.explanation"), format="png", interactive=False)
    gr.on([button.click, image.upload], ui.endpoint(image_classification.predict), inputs=image,
          outputs=[label, explanation], api_name="predict")
    ui.code_section("image-classifier")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("image-classifier").tasks)
