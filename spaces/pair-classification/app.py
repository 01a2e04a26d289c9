"""Sentence-pair classification (course ch3): a question and a sentence in, label probabilities out."""

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


@ui.user_errors
def predict(question: str, sentence: str) -> dict[str, float]:
    """{label: probability}; a gr.Warning says when the texts were cut to fit the model."""
    probs, notes = task.predict_with_notes(question, sentence)
    for note in notes:
        gr.Warning(note)
    return probs


demo = gr.Interface(
    fn=predict,
    inputs=[gr.Textbox(label="Question (first text)", lines=2, placeholder="Who wrote Hamlet?"),
            gr.Textbox(label="Sentence (second text)", lines=3,
                       placeholder="Hamlet is a tragedy written by William Shakespeare.")],
    outputs=gr.Label(label="Does the sentence contain the answer?", num_top_classes=len(task.LABELS)),
    description=ui.header("pair-classification")
    + f"\n\nThe model reads at most {task.MAX_LENGTH} tokens per pair (texts over {task.MAX_CHARS:,} characters "
      "are cut first); `entailment` means the sentence contains the answer.",
    examples=EXAMPLES,
    api_name="predict",
    flagging_mode="never",
)

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("pair-classification").tasks)
