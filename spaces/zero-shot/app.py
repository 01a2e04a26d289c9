import gradio as gr

from shared import catalog, ui
from shared.tasks import zero_shot


def predict(text: str, labels: str, multi_label: bool = False) -> dict[str, float]:
    """Scores of comma-separated candidate labels for a text (softmax, or independent with multi-label)."""
    zero_shot.parse_labels(labels, multi_label=multi_label)  # label mistakes first: no model needed for them
    text, note = zero_shot.prepare(text)
    if note:
        gr.Warning(note)
    return zero_shot.classify(text, labels, multi_label=bool(multi_label))


demo = gr.Interface(
    fn=ui.user_errors(predict),
    inputs=[
        gr.Textbox(label="Text", lines=4, placeholder="A sentence or a paragraph to classify",
                   info=f"The model reads the first {zero_shot.MAX_SEQ_LENGTH} word pieces (about 1,000 characters)."),
        gr.Textbox(label="Candidate labels", placeholder="sports, cooking, politics",
                   info=f"Comma-separated, up to {zero_shot.MAX_LABELS}."),
        gr.Checkbox(label="Multi-label (score each label on its own instead of sharing 100% among them)"),
    ],
    outputs=gr.Label(label="Scores"),
    description=ui.header("zero-shot"),
    examples=[
        ["This is a course about the Transformers library", "education, politics, business", False],
        ["The striker scored twice in the second half and the home side lifted the cup.",
         "sports, cooking, politics", False],
        ["Whisk the eggs with the sugar, fold in the flour and bake for twenty minutes.",
         "cooking, science, travel", True],
        ["The senate passed the budget after a long debate on taxes and military spending.",
         "politics, economy, sports, religion", True],
    ],
    api_name="predict",
    flagging_mode="never",
)

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("zero-shot").tasks)
