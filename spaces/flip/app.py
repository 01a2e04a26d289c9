import gradio as gr

from shared import ui
from shared.tasks.basics import flip_image, flip_text

with gr.Blocks() as demo:
    ui.header("flip")
    with gr.Tab(ui.t("flip.tab_text")):
        text_input = ui.textbox(label=ui.t("flip.text"))
        text_output = gr.Textbox(label=ui.t("flip.flipped"))
        text_button = gr.Button(ui.t("flip.button"), variant="primary")
    with gr.Tab(ui.t("flip.tab_image")):
        with gr.Row():
            image_input = ui.image_file(label=ui.t("flip.image"))
            image_output = gr.Image(label=ui.t("flip.mirrored"), format="png")
        image_button = gr.Button(ui.t("flip.button"), variant="primary")
    text_button.click(ui.endpoint(flip_text), text_input, text_output, api_name="predict")
    image_button.click(ui.endpoint(flip_image), image_input, image_output, api_name="flip_image")
    ui.code_section("flip")

if __name__ == "__main__":
    ui.launch(demo)
