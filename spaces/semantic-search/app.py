"""Semantic search (course ch5.6): a question in your words, the nearest Python FAQ entries out, by MiniLM
embeddings and FAISS (or BM25, or both fused).

The predict event is batched (batch=True, max_batch_size=16): concurrent visitors' queries share one forward pass.
"""

import gradio as gr

from shared import catalog, ui
from shared.tasks import semantic_search as search

EXAMPLES = ["how do I copy a list?", "my function remembers values from the previous call",
            "why is 0.1 + 0.2 not 0.3", "run a python script like a program on linux"]
HEADERS = ["rank", "score", "question", "answer (start)"]


def show(hits: list, request: tuple) -> list:
    """The top k FAQ entries as table rows: rank, score, the question linked to its answer, the answer's start."""
    return [[r["rank"], r["score"], f"[{r['question']}]({r['url']})", r["snippet"]] for r in hits]


with gr.Blocks() as demo:
    ui.header("semantic-search")
    with gr.Row():
        query = ui.textbox(label=ui.t("semantic-search.query"), placeholder=ui.t("semantic-search.placeholder"),
                           info=ui.t("semantic-search.info"), value=EXAMPLES[0], scale=3)
        with gr.Column(scale=1):
            k = gr.Slider(1, search.MAX_K, value=search.DEFAULT_K, step=1, label=ui.t("semantic-search.k"))
            method = gr.Radio([search.DEFAULT_METHOD, *search.METHODS], value=search.DEFAULT_METHOD,
                              label=ui.t("semantic-search.method"), info=ui.t("semantic-search.method_info"))
    button = gr.Button(ui.t("semantic-search.button"), variant="primary")
    results = gr.Dataframe(headers=HEADERS, datatype=["number", "number", "markdown", "str"], wrap=True,
                           column_widths=["6%", "8%", "36%", "50%"], label=ui.t("semantic-search.results"),
                           interactive=False)
    notice = gr.Markdown()
    gr.Examples(EXAMPLES, inputs=query, label=ui.t("common.examples"))
    ui.on_batched([button.click, query.submit], search.predict_batch, inputs=[query, k, method],
                  outputs=[results, notice], show=show)
    ui.code_section("semantic-search")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("semantic-search").tasks)
