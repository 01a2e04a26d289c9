"""A multi-step demo (course ch9.7, Blocks): speech -> text (Whisper tiny.en + this project's adapter) -> sentiment
(this project's checkpoint), the text visible and editable between the two steps, wired with `.click(...).then(...)`."""

import gradio as gr

from shared import catalog, ui
from shared.tasks import asr, sentiment

with gr.Blocks(title="Speech to sentiment") as demo:
    ui.header("multi-step")
    with gr.Row():
        with gr.Column():
            audio = ui.audio_file(sources=["microphone", "upload"], label=ui.t("multi-step.audio"))
            button = gr.Button(ui.t("multi-step.button"), variant="primary")
        with gr.Column():
            text = ui.textbox(label=ui.t("multi-step.text"), lines=3, info=ui.t("multi-step.text_info"))
            rerun = gr.Button(ui.t("multi-step.rerun"))
            label = gr.Label(label=ui.t("multi-step.label"), num_top_classes=len(sentiment.LABELS))
    # step 1 on its own endpoint (/predict: audio -> transcript), step 2 chained after it (/sentiment)
    button.click(ui.endpoint(asr.predict), inputs=audio, outputs=text, api_name="predict").success(
        ui.endpoint(sentiment.predict), inputs=text, outputs=label, api_name="sentiment")
    rerun.click(ui.endpoint(sentiment.predict), inputs=text, outputs=label, api_visibility="private")
    ui.code_section("multi-step")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("multi-step").tasks)
