"""Sentiment analysis (course ch1.3): a sentence in, both class probabilities out.

The predict event is batched (batch=True, max_batch_size=16): concurrent visitors share one forward pass.
"""

import gradio as gr

from shared import catalog, ui
from shared.tasks import sentiment

EXAMPLES = [
    "A masterpiece: funny, moving and beautifully shot.",
    "A dull, lifeless mess that never finds its story.",
    "The acting is fine, but the plot goes nowhere.",
    "I can't believe how much I enjoyed this!",
    "Watched it twice already 😍",  # emoji are read by name (shared.tasks.sentiment.normalize)
]

with gr.Blocks(title="Sentiment analysis") as demo:
    ui.header("sentiment")
    with gr.Row():
        with gr.Column():
            text = ui.textbox(label=ui.t("sentiment.text"), lines=4, placeholder=ui.t("sentiment.placeholder"),
                              info=ui.t("sentiment.info"))
            button = gr.Button(ui.t("sentiment.button"), variant="primary")
        with gr.Column():
            label = gr.Label(label=ui.t("sentiment.label"), num_top_classes=len(sentiment.LABELS))
            notice = gr.Markdown()
    gr.Examples(EXAMPLES, inputs=text, label=ui.t("common.examples"))
    ui.on_batched([button.click, text.submit], sentiment.predict_batch, inputs=text, outputs=[label, notice])
    ui.code_section("sentiment")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("sentiment").tasks)
