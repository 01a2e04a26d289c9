import gradio as gr

from shared import ui
from shared.tasks.basics import reverse_audio

with gr.Blocks() as demo:
    ui.header("reverse-audio")
    gr.Interface(
        fn=ui.endpoint(reverse_audio),
        inputs=ui.audio_file(sources=["microphone", "upload"], label=ui.t("reverse-audio.input")),
        outputs=gr.Audio(label=ui.t("reverse-audio.output")),
        submit_btn=gr.Button(ui.t("common.submit"), variant="primary", render=False),
        clear_btn=gr.Button(ui.t("common.clear"), render=False),
        api_name="predict",
        flagging_mode="never",
    )
    ui.code_section("reverse-audio")

if __name__ == "__main__":
    ui.launch(demo)
