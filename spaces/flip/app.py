import gradio as gr

from shared import ui
from shared.tasks.basics import flip_image, flip_text

with gr.Blocks() as demo:
    gr.Markdown(ui.header("flip"))
    with gr.Tab("Flip text"):
        text_input = gr.Textbox(label="Text")
        text_output = gr.Textbox(label="Flipped")
        text_button = gr.Button("Flip", variant="primary")
    with gr.Tab("Flip image"):
        with gr.Row():
            image_input = gr.Image(label="Image", type="filepath", image_mode=None)
            image_output = gr.Image(label="Mirrored", format="png")
        image_button = gr.Button("Flip", variant="primary")
    text_button.click(ui.user_errors(flip_text), text_input, text_output, api_name="predict")
    image_button.click(ui.user_errors(flip_image), image_input, image_output, api_name="flip_image")

if __name__ == "__main__":
    ui.launch(demo)
