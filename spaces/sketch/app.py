"""Sketch recognition, live (course ch9.4): draw a digit, the ten digit probabilities update as you draw. The
course's small CNN, trained here on MNIST for drawings (see shared.tasks.sketch and training/sketch.py)."""

import gradio as gr

from shared import catalog, ui
from shared.tasks import sketch

with gr.Blocks(title="Sketch recognition") as demo:
    ui.header("sketch")
    with gr.Row():
        pad = ui.sketchpad(label=ui.t("sketch.pad"), canvas_size=(400, 400), fixed_canvas=True, layers=False,
                           brush=gr.Brush(default_size=14, colors=["#000000"], color_mode="fixed"))
        label = gr.Label(label=ui.t("sketch.label"), num_top_classes=5)
    gr.on([pad.change], ui.endpoint(sketch.predict), inputs=pad, outputs=label, api_name="predict",
          trigger_mode="always_last", show_progress="hidden")
    ui.code_section("sketch")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("sketch").tasks)
