"""Summarization (course ch7.5): a text in English or French in, its one-line summary out.

The predict event is batched (batch=True, max_batch_size=16): concurrent visitors' texts share one `generate` call.
"""

import gradio as gr

from shared import catalog, ui
from shared.tasks import summarization

EXAMPLES = [
    "GNU Wget is a free software package for retrieving files using HTTP, HTTPS and FTP, the most widely used "
    "Internet protocols. It is a non-interactive command-line tool, so it may easily be called from scripts, "
    "cron jobs, terminals without X Window System support, etc.",
    "Audacity est un éditeur audio libre et multiplateforme. Il permet d'enregistrer des sons, de les lire, "
    "d'importer et d'exporter des fichiers WAV, AIFF, MP3 et OGG, et de les modifier avec couper, copier, coller "
    "et de nombreux effets.",
]


def show(value: dict, text: str) -> tuple:
    """The summary, and the language it read."""
    return value["summary"], summarization.LANGUAGE_NAMES[value["language"]]


with gr.Blocks() as demo:
    ui.header("summarization")
    with gr.Row():
        with gr.Column():
            text = ui.textbox(label=ui.t("summarization.text"), lines=6,
                              placeholder=ui.t("summarization.placeholder"), info=ui.t("summarization.info"))
            button = gr.Button(ui.t("summarization.button"), variant="primary")
        with gr.Column():
            summary = gr.Textbox(label=ui.t("summarization.output"), lines=2, interactive=False)
            language = gr.Textbox(label=ui.t("summarization.language"), interactive=False)
            notice = gr.Markdown()
    gr.Examples([[e] for e in EXAMPLES], inputs=text, label=ui.t("common.examples"))
    ui.on_batched([button.click, text.submit], summarization.predict_batch, inputs=text,
                  outputs=[summary, language, notice], show=show)
    ui.code_section("summarization")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("summarization").tasks)
