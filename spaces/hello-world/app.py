import gradio as gr

from shared import ui
from shared.tasks.basics import greet

with gr.Blocks() as demo:
    ui.header("hello-world")
    gr.Interface(
        fn=ui.endpoint(greet),
        inputs=[ui.textbox(label=ui.t("hello-world.name"), placeholder=ui.t("hello-world.placeholder")),
                gr.Slider(1, 10, value=2, step=1, label=ui.t("hello-world.intensity"))],
        outputs=gr.Textbox(label=ui.t("hello-world.greeting")),
        examples=[["Ada", 3], ["Grace", 1]],
        submit_btn=gr.Button(ui.t("common.submit"), variant="primary", render=False),
        clear_btn=gr.Button(ui.t("common.clear"), render=False),
        api_name="predict",
        flagging_mode="never",
    )
    ui.code_section("hello-world")

if __name__ == "__main__":
    ui.launch(demo)
