"""Text generation (course ch1 and ch9): a prompt in, its continuation out, streamed token by token, with the
sampling settings (max new tokens, temperature, top-p, seed) at hand."""

import gradio as gr

from shared import catalog, ui
from shared.tasks import text_generation as generation

EXAMPLES = ["In this course, we will teach you how to", "The best thing about learning to code is",
            "Once upon a time, in a small village by the sea,"]
D = generation.DEFAULTS


def predict(prompt: str, max_new_tokens: int = D["max_new_tokens"], temperature: float = D["temperature"],
            top_p: float = D["top_p"], seed: int = D["seed"]):
    yield from generation.stream(prompt, max_new_tokens, temperature, top_p, seed)


with gr.Blocks() as demo:
    ui.header("text-generation")
    with gr.Row():
        with gr.Column():
            prompt = ui.textbox(label=ui.t("text-generation.prompt"), lines=3, value=EXAMPLES[0],
                                info=ui.t("text-generation.info"))
            with gr.Accordion(ui.t("text-generation.settings"), open=False):
                max_new_tokens = gr.Slider(1, generation.MAX_NEW_TOKENS, value=D["max_new_tokens"], step=1,
                                           label=ui.t("text-generation.max_new_tokens"))
                temperature = gr.Slider(0, 2, value=D["temperature"], step=0.05,
                                        label=ui.t("text-generation.temperature"),
                                        info=ui.t("text-generation.temperature_info"))
                top_p = gr.Slider(0.05, 1, value=D["top_p"], step=0.05, label=ui.t("text-generation.top_p"))
                seed = gr.Number(D["seed"], precision=0, minimum=0, label=ui.t("text-generation.seed"))
            button = gr.Button(ui.t("text-generation.button"), variant="primary")
        output = gr.Textbox(label=ui.t("text-generation.output"), lines=12, buttons=["copy"])
    gr.Examples(EXAMPLES, inputs=prompt, label=ui.t("common.examples"))
    gr.on([button.click, prompt.submit], ui.endpoint(predict),
          inputs=[prompt, max_new_tokens, temperature, top_p, seed], outputs=output, api_name="predict")
    ui.code_section("text-generation")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("text-generation").tasks)
