import gradio as gr

from shared import ui
from shared.tasks.basics import greet

demo = gr.Interface(
    fn=ui.user_errors(greet),
    inputs=[gr.Textbox(label="Name", placeholder="Your name"), gr.Slider(1, 10, value=2, step=1, label="Intensity")],
    outputs=gr.Textbox(label="Greeting"),
    description=ui.header("hello-world"),
    examples=[["Ada", 3], ["Grace", 1]],
    api_name="predict",
    flagging_mode="never",
)

if __name__ == "__main__":
    ui.launch(demo)
