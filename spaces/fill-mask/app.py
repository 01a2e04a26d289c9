"""Fill-mask (course ch1 and ch7.3): a sentence with [MASK] in, the five likeliest words out, from the general or
the review-adapted model; and the course's bias probe, two sentences side by side.

The predict event is batched (batch=True, max_batch_size=16): concurrent visitors' sentences share a forward pass.
"""

import gradio as gr

from shared import catalog, ui
from shared.tasks import fill_mask

EXAMPLES = ["This is a great [MASK].", "Paris is the [MASK] of France.", "The acting was [MASK] and the plot dull."]


def bias_probe(first: str, second: str, variant: str = "general"):
    """The top 5 for each sentence, from the same model."""
    a, b = fill_mask.predict(first, variant), fill_mask.predict(second, variant)
    a.value, a.notices = (a.value, b.value), a.notices + b.notices
    return a


with gr.Blocks() as demo:
    ui.header("fill-mask")
    variant = gr.Radio([(ui.t("fill-mask.general"), "general"), (ui.t("fill-mask.adapted"), "adapted")],
                       value="general", label=ui.t("fill-mask.model"), info=ui.t("fill-mask.model_info"))
    with gr.Row():
        with gr.Column():
            text = ui.textbox(label=ui.t("fill-mask.text"), lines=2, value=EXAMPLES[0], info=ui.t("fill-mask.info"))
            button = gr.Button(ui.t("fill-mask.button"), variant="primary")
        with gr.Column():
            top = gr.Label(num_top_classes=fill_mask.TOP_K, label=ui.t("fill-mask.top"))
            notice = gr.Markdown()
    gr.Examples(EXAMPLES, inputs=text, label=ui.t("common.examples"))
    ui.on_batched([button.click, text.submit], fill_mask.predict_batch, inputs=[text, variant], outputs=[top, notice])

    gr.Markdown(ui.t("fill-mask.bias_intro"))
    with gr.Row():
        with gr.Column():
            first = ui.textbox(label=ui.t("fill-mask.first"), lines=1, value=fill_mask.BIAS_PROBE[0])
            first_top = gr.Label(num_top_classes=fill_mask.TOP_K, label=ui.t("fill-mask.top"))
        with gr.Column():
            second = ui.textbox(label=ui.t("fill-mask.second"), lines=1, value=fill_mask.BIAS_PROBE[1])
            second_top = gr.Label(num_top_classes=fill_mask.TOP_K, label=ui.t("fill-mask.top"))
    probe = gr.Button(ui.t("fill-mask.probe"))
    gr.on([probe.click, first.submit, second.submit], ui.endpoint(bias_probe), inputs=[first, second, variant],
          outputs=[first_top, second_top], api_name="bias_probe")
    ui.code_section("fill-mask")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("fill-mask").tasks)
