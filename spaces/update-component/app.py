import gradio as gr

from shared import ui

LINES = {"short": 2, "long": 8}


def change_textbox(choice: str):
    """The course's example: the radio button decides the essay box's size, or hides it."""
    if choice in LINES:
        return gr.update(lines=LINES[choice], visible=True)
    return gr.update(visible=False)


with gr.Blocks() as demo:
    ui.header("update-component")
    radio = gr.Radio(["short", "long", "none"], value="short", label=ui.t("update-component.radio"))
    text = gr.Textbox(lines=2, interactive=True, label=ui.t("update-component.essay"))
    radio.change(fn=ui.endpoint(change_textbox), inputs=radio, outputs=text, api_name="predict")
    ui.code_section("update-component")

if __name__ == "__main__":
    ui.launch(demo)
