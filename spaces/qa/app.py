"""Extractive question answering (course ch7.7): a question and a context in; the answer span, its score, and the
context with the answer highlighted out.

The predict event is batched (batch=True, max_batch_size=16): concurrent visitors' windows share forward passes.
"""

from pathlib import Path

import gradio as gr

from shared import catalog, ui
from shared.tasks import qa

NORMANS = (Path(__file__).parent / "normans.txt").read_text()  # 4 paragraphs of SQuAD dev: about 700 tokens
EXAMPLES = [
    ["Where do I live?", "My name is Sylvain and I work at Hugging Face in Brooklyn."],
    ["When was the Duchy of Normandy founded?", NORMANS],  # the answer is only in the second window
    ["Which library is the course built on?",
     "🤗 Transformers is backed by the three most popular deep learning libraries — Jax, PyTorch and TensorFlow — "
     "with a seamless integration between them. The course teaches natural language processing using libraries "
     "from the Hugging Face ecosystem: Transformers, Datasets, Tokenizers and Accelerate."],
]


def show(value: dict, request: tuple) -> tuple:
    """The answer, its score, and the context as highlighted spans."""
    context, a, b = request[1], value["start"], value["end"]
    spans = [(context[:a], None), (context[a:b], "answer"), (context[b:], None)]
    return value["answer"], round(value["score"], 4), [s for s in spans if s[0]]


with gr.Blocks() as demo:
    ui.header("qa")
    with gr.Row():
        with gr.Column():
            question = ui.textbox(label=ui.t("qa.question"), lines=1, placeholder=ui.t("qa.question_placeholder"))
            context = ui.textbox(label=ui.t("qa.context"), lines=8, placeholder=ui.t("qa.context_placeholder"),
                                 info=ui.t("qa.info"))
            button = gr.Button(ui.t("qa.button"), variant="primary")
        with gr.Column():
            answer = gr.Textbox(label=ui.t("qa.answer"), interactive=False)
            score = gr.Number(label=ui.t("qa.score"), precision=4, interactive=False)
            highlighted = gr.HighlightedText(label=ui.t("qa.highlighted"), combine_adjacent=False)
            notice = gr.Markdown()
    gr.Examples(EXAMPLES, inputs=[question, context], label=ui.t("common.examples"))
    ui.on_batched([button.click, question.submit], qa.predict_batch,
                  inputs=[question, context], outputs=[answer, score, highlighted, notice], show=show)
    ui.code_section("qa")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("qa").tasks)
