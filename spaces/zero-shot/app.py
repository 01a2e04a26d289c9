import gradio as gr

from shared import catalog, ui
from shared.tasks import zero_shot

with gr.Blocks() as demo:
    ui.header("zero-shot")
    gr.Interface(
        fn=ui.endpoint(zero_shot.predict),
        inputs=[
            ui.textbox(label=ui.t("zero-shot.text"), lines=4, placeholder=ui.t("zero-shot.placeholder"),
                       info=ui.t("zero-shot.info")),
            ui.textbox(label=ui.t("zero-shot.labels"), placeholder="sports, cooking, politics",
                       info=ui.t("zero-shot.labels_info")),
            gr.Checkbox(label=ui.t("zero-shot.multi")),
        ],
        outputs=gr.Label(label=ui.t("zero-shot.scores")),
        examples=[
            ["This is a course about the Transformers library", "education, politics, business", False],
            ["The striker scored twice in the second half and the home side lifted the cup.",
             "sports, cooking, politics", False],
            ["Whisk the eggs with the sugar, fold in the flour and bake for twenty minutes.",
             "cooking, science, travel", True],
            ["The senate passed the budget after a long debate on taxes and military spending.",
             "politics, economy, sports, religion", True],
        ],
        submit_btn=gr.Button(ui.t("common.submit"), variant="primary", render=False),
        clear_btn=gr.Button(ui.t("common.clear"), render=False),
        api_name="predict",
        flagging_mode="never",
    )
    ui.code_section("zero-shot")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("zero-shot").tasks)
