"""Sentence-pair classification (course ch3): a question and a sentence in, label probabilities out.

The predict event is batched (batch=True, max_batch_size=16): concurrent visitors share one forward pass.
"""

import gradio as gr

from shared import catalog, ui
from shared.tasks import pair_classification as task

# real pairs from the held-out test articles of the training data (SQuAD dev / SQuAD-Shifts, Wikipedia)
EXAMPLES = [
    ["What year was the University of Warsaw established?",
     "The University of Warsaw was established in 1816, when the partitions of Poland separated Warsaw from "
     "the oldest and most influential Polish academic center, in Kraków."],
    ["What is Istanbul's largest air transport center called?",
     "Dominated by low-cost carriers, Istanbul's second airport has rapidly become popular, especially since "
     "the opening of a new international terminal in 2009; the airport handled 14.7 million passengers in 2012, "
     "a year after Airports Council International named it the world's fastest-growing airport."],
    ["What is another name for the Blue Mosque?",
     "The imperial mosques include Fatih Mosque, Bayezid Mosque, Yavuz Selim Mosque, Süleymaniye Mosque, "
     "Sultan Ahmed Mosque (the Blue Mosque),  and Yeni Mosque, all of which were built at the peak of the "
     "Ottoman Empire, in the 16th and 17th centuries."],
    ["How are transit fees collected in Istanbul?",
     "Istanbul's local public transportation system is a complex network of trams, funiculars, metro lines, "
     "buses, bus rapid transit, and ferries."],
]


with gr.Blocks() as demo:
    ui.header("pair-classification")
    with gr.Row():
        with gr.Column():
            question = ui.textbox(label=ui.t("pair-classification.question"), lines=2,
                                  placeholder="Who wrote Hamlet?")
            sentence = ui.textbox(label=ui.t("pair-classification.sentence"), lines=3,
                                  placeholder="Hamlet is a tragedy written by William Shakespeare.")
            with gr.Row():
                clear = gr.ClearButton([question, sentence], value=ui.t("common.clear"))
                button = gr.Button(ui.t("common.submit"), variant="primary")
        with gr.Column():
            label = gr.Label(label=ui.t("pair-classification.label"), num_top_classes=len(task.LABELS))
            notice = gr.Markdown()
    clear.add([label, notice])
    gr.Examples(EXAMPLES, inputs=[question, sentence], label=ui.t("common.examples"))
    ui.on_batched([button.click, question.submit, sentence.submit], task.predict_batch,
                  inputs=[question, sentence], outputs=[label, notice])
    gr.Markdown(ui.t("pair-classification.note"))
    ui.code_section("pair-classification")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("pair-classification").tasks)
