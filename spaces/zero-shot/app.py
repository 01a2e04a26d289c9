"""Zero-shot classification (course ch1): a text and candidate labels in, a score per label out.

The predict event is batched (batch=True, max_batch_size=16): concurrent visitors' texts and hypotheses share one
encoding call.
"""

import gradio as gr

from shared import catalog, ui
from shared.tasks import zero_shot

EXAMPLES = [
    ["This is a course about the Transformers library", "education, politics, business", False],
    ["The striker scored twice in the second half and the home side lifted the cup.", "sports, cooking, politics",
     False],
    ["Whisk the eggs with the sugar, fold in the flour and bake for twenty minutes.", "cooking, science, travel",
     True],
    ["The senate passed the budget after a long debate on taxes and military spending.",
     "politics, economy, sports, religion", True],
]

with gr.Blocks() as demo:
    ui.header("zero-shot")
    with gr.Row():
        with gr.Column():
            text = ui.textbox(label=ui.t("zero-shot.text"), lines=4, placeholder=ui.t("zero-shot.placeholder"),
                              info=ui.t("zero-shot.info"))
            labels = ui.textbox(label=ui.t("zero-shot.labels"), placeholder="sports, cooking, politics",
                                info=ui.t("zero-shot.labels_info"))
            multi = gr.Checkbox(label=ui.t("zero-shot.multi"))
            with gr.Row():
                clear = gr.ClearButton([text, labels, multi], value=ui.t("common.clear"))
                button = gr.Button(ui.t("common.submit"), variant="primary")
        with gr.Column():
            scores = gr.Label(label=ui.t("zero-shot.scores"))
            notice = gr.Markdown()
    clear.add([scores, notice])
    gr.Examples(EXAMPLES, inputs=[text, labels, multi], label=ui.t("common.examples"))
    ui.on_batched([button.click, text.submit, labels.submit], zero_shot.predict_batch,
                  inputs=[text, labels, multi], outputs=[scores, notice])
    ui.code_section("zero-shot")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("zero-shot").tasks)
