"""Speech recognition (course ch9.3): speak or upload a clip, read its transcript as it grows. Whisper through
faster-whisper: tiny.en with this project's adapter for English, base for the other languages (see shared.tasks.asr)."""

import gradio as gr

from shared import catalog, ui
from shared.tasks import asr


def predict(audio, language: str = asr.DEFAULT_LANGUAGE):
    yield from asr.stream(audio, language)


with gr.Blocks(title="Speech recognition") as demo:
    ui.header("asr")
    with gr.Row():
        with gr.Column():
            audio = ui.audio_file(sources=["microphone", "upload"], label=ui.t("asr.audio"))
            language = gr.Dropdown(list(asr.LANGUAGES), value=asr.DEFAULT_LANGUAGE, label=ui.t("asr.language"),
                                   info=ui.t("asr.language_info"))
            button = gr.Button(ui.t("asr.button"), variant="primary")
        transcript = gr.Textbox(label=ui.t("asr.transcript"), lines=6, buttons=["copy"])
    gr.on([button.click, audio.stop_recording], ui.endpoint(predict), inputs=[audio, language], outputs=transcript,
          api_name="predict")
    ui.code_section("asr")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("asr").tasks)
