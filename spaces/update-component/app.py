import gradio as gr

from shared import ui

LINES = {"short": 2, "long": 8}


def change_textbox(choice: str):
    """The course's example: the radio button decides the essay box's size, or hides it."""
    if choice in LINES:
        return gr.update(lines=LINES[choice], visible=True)
    return gr.update(visible=False)


with gr.Blocks() as demo:
    gr.Markdown(ui.header("update-component"))
    radio = gr.Radio(["short", "long", "none"], value="short", label="What kind of essay would you like to write?")
    text = gr.Textbox(lines=2, interactive=True, label="Essay")
    radio.change(fn=change_textbox, inputs=radio, outputs=text, api_name="predict")

if __name__ == "__main__":
    ui.launch(demo)
