import gradio as gr

from shared import ui
from shared.tasks.basics import MAX_TONE_SECONDS, NOTES, generate_tone

with gr.Blocks() as demo:
    ui.header("generate-tone")
    gr.Interface(
        fn=ui.endpoint(generate_tone),
        inputs=[
            gr.Dropdown(NOTES, value="A", type="index", label=ui.t("generate-tone.note")),
            gr.Slider(minimum=4, maximum=6, step=1, value=4, label=ui.t("generate-tone.octave")),
            gr.Number(value=1, minimum=0.1, maximum=MAX_TONE_SECONDS, label=ui.t("generate-tone.duration")),
        ],
        outputs=gr.Audio(label=ui.t("generate-tone.tone")),
        examples=[["A", 4, 1], ["C", 5, 0.5]],
        submit_btn=gr.Button(ui.t("common.submit"), variant="primary", render=False),
        clear_btn=gr.Button(ui.t("common.clear"), render=False),
        api_name="predict",
        flagging_mode="never",
    )
    ui.code_section("generate-tone")

if __name__ == "__main__":
    ui.launch(demo)
