"""Code completion (course ch7.6): Python so far in, the code a small GPT-2 trained here from scratch writes next,
streamed into a code box."""

import gradio as gr

from shared import catalog, ui
from shared.tasks import code_generation as task

EXAMPLES = [prompt for prompt, _ in task.COURSE_PROMPTS]
D = task.DEFAULTS


def predict(prompt: str, max_new_tokens: int = D["max_new_tokens"], temperature: float = D["temperature"],
            top_p: float = D["top_p"], seed: int = D["seed"], stop_at_blank_line: bool = True):
    yield from task.stream(prompt, max_new_tokens, temperature, top_p, seed, stop_at_blank_line=stop_at_blank_line)


with gr.Blocks() as demo:
    ui.header("code-gen")
    with gr.Row():
        with gr.Column():
            prompt = ui.code_box(label=ui.t("code-gen.prompt"), language="python", lines=8, value=task.EXAMPLE)
            gr.Markdown(ui.t("code-gen.info"))
            with gr.Accordion(ui.t("code-gen.settings"), open=False):
                max_new_tokens = gr.Slider(1, task.MAX_NEW_TOKENS, value=D["max_new_tokens"], step=1,
                                           label=ui.t("code-gen.max_new_tokens"))
                temperature = gr.Slider(0, 2, value=D["temperature"], step=0.05, label=ui.t("code-gen.temperature"))
                top_p = gr.Slider(0.05, 1, value=D["top_p"], step=0.05, label=ui.t("code-gen.top_p"))
                seed = gr.Number(D["seed"], precision=0, minimum=0, label=ui.t("code-gen.seed"))
                stop = gr.Checkbox(True, label=ui.t("code-gen.stop"))
            button = gr.Button(ui.t("code-gen.button"), variant="primary")
        output = gr.Code(language="python", label=ui.t("code-gen.output"), lines=12, interactive=False)
    gr.Examples(EXAMPLES, inputs=prompt, label=ui.t("common.examples"))
    gr.on([button.click], ui.endpoint(predict),
          inputs=[prompt, max_new_tokens, temperature, top_p, seed, stop], outputs=output, api_name="predict")
    ui.code_section("code-gen")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("code-gen").tasks)
