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


@ui.user_errors
def predict(texts: list[str]) -> tuple[list[dict[str, float] | None], list[str]]:
    """Batched: texts in; ({label: probability} per text, truncation notice per text) out.

    A batch mixes requests from different visitors, so one blank box must not fail the others: a blank
    text gets no label and the message as its notice; only when every text of the batch is blank (a lone
    request) is it a gr.Error.
    """
    blank = [not (isinstance(t, str) and t.strip()) for t in texts]
    if all(blank):
        sentiment.check_text(texts[0])  # raises the ValueError -> gr.Error
    preds = iter(sentiment.classify([t for t, b in zip(texts, blank) if not b]))
    labels, notices = [], []
    for b in blank:
        if b:
            labels.append(None)
            notices.append(f"⚠️ {sentiment.EMPTY_MESSAGE}")
        else:
            p = next(preds)
            labels.append(p.probs)
            notices.append(f"⚠️ {p.notice}" if p.notice else "")
    return labels, notices


def warn(notice: str) -> None:
    """Pop the truncation notice as a gr.Warning (a batched function cannot: its events share one call)."""
    if notice:
        gr.Warning(notice.removeprefix("⚠️ "))


with gr.Blocks(title="Sentiment analysis") as demo:
    gr.Markdown(ui.header("sentiment"))
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=4, placeholder="Type a sentence, e.g. a movie review",
                              info=f"The model reads the first {sentiment.MAX_TOKENS} word pieces "
                                   f"(roughly 1,000 characters); longer texts are truncated and you are told so.")
            button = gr.Button("Classify", variant="primary")
        with gr.Column():
            label = gr.Label(label="Sentiment", num_top_classes=2)
            notice = gr.Markdown()
    gr.Examples(EXAMPLES, inputs=text)
    event = gr.on([button.click, text.submit], predict, inputs=text, outputs=[label, notice], api_name="predict",
                  batch=True, max_batch_size=16)
    event.success(warn, inputs=notice, outputs=None, api_visibility="private")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("sentiment").tasks)
