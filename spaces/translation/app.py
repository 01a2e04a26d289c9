"""Translation en->fr (course ch7.4): English software text in, French out, sentence by sentence.

The predict event is batched (batch=True, max_batch_size=16): concurrent visitors' sentences share `generate` calls.
"""

import gradio as gr

from shared import catalog, ui
from shared.tasks import translation

with gr.Blocks() as demo:
    ui.header("translation")
    with gr.Row():
        with gr.Column():
            text = ui.textbox(label=ui.t("translation.text"), lines=4, placeholder=ui.t("translation.placeholder"),
                              info=ui.t("translation.info"))
            button = gr.Button(ui.t("translation.button"), variant="primary")
        with gr.Column():
            french = gr.Textbox(label=ui.t("translation.output"), lines=4, interactive=False)
            notice = gr.Markdown()
    gr.Examples([[e] for e in translation.EXAMPLES], inputs=text, label=ui.t("common.examples"))
    ui.on_batched([button.click, text.submit], translation.predict_batch, inputs=text, outputs=[french, notice])
    ui.code_section("translation")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("translation").tasks)
