import gradio as gr

from shared import ui
from shared.tasks.basics import MAX_AUDIO_SECONDS, reverse_audio

demo = gr.Interface(
    fn=ui.user_errors(reverse_audio),
    inputs=gr.Audio(sources=["microphone", "upload"], type="numpy",
                    label=f"Speak here or upload a clip (at most {MAX_AUDIO_SECONDS} s)"),
    outputs=gr.Audio(label="Reversed"),
    description=ui.header("reverse-audio"),
    api_name="predict",
    flagging_mode="never",
)

if __name__ == "__main__":
    ui.launch(demo)
