"""Named entities (course ch7.2): text in, entities highlighted, and a table of them with offsets and scores.

The predict event is batched (batch=True, max_batch_size=16): concurrent visitors' texts share forward passes.
"""

import gradio as gr

from shared import catalog, ui
from shared.tasks import ner

EXAMPLES = [
    "Apple is opening a new office in Paris, Tim Cook told Le Monde on Tuesday.",
    "my sister flew from seattle to tokyo with japan airlines to watch the world cup final",
    "The Amazon flows through Brazil, but Amazon the company is based in Seattle.",
]


def show(value: dict, text: str) -> tuple:
    """The entities for gr.HighlightedText, and one table row per entity."""
    return value, [[e["word"], e["entity_group"], round(e["score"], 3), e["start"], e["end"]]
                   for e in value["entities"]]


with gr.Blocks() as demo:
    ui.header("ner")
    with gr.Row():
        with gr.Column():
            text = ui.textbox(label=ui.t("ner.text"), lines=4, placeholder=ui.t("ner.placeholder"),
                              info=ui.t("ner.info"))
            button = gr.Button(ui.t("ner.button"), variant="primary")
        with gr.Column():
            entities = gr.HighlightedText(label=ui.t("ner.entities"), combine_adjacent=False)
            table = gr.Dataframe(headers=["entity", "type", "score", "start", "end"], label=ui.t("ner.table"),
                                 interactive=False)
            notice = gr.Markdown()
    gr.Examples(EXAMPLES, inputs=text, label=ui.t("common.examples"))
    ui.on_batched([button.click, text.submit], ner.predict_batch, inputs=text, outputs=[entities, table, notice],
                  show=show)
    ui.code_section("ner")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("ner").tasks)
