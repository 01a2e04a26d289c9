import gradio as gr

from shared import ui
from shared.tasks.basics import MAX_TONE_SECONDS, NOTES, generate_tone

demo = gr.Interface(
    fn=ui.user_errors(generate_tone),
    inputs=[
        gr.Dropdown(NOTES, value="A", type="index", label="Note"),
        gr.Slider(minimum=4, maximum=6, step=1, value=4, label="Octave"),
        gr.Number(value=1, minimum=0.1, maximum=MAX_TONE_SECONDS, label=f"Duration in seconds (at most {MAX_TONE_SECONDS})"),
    ],
    outputs=gr.Audio(label="Tone"),
    description=ui.header("generate-tone"),
    examples=[["A", 4, 1], ["C", 5, 0.5]],
    api_name="predict",
    flagging_mode="never",
)

if __name__ == "__main__":
    ui.launch(demo)
