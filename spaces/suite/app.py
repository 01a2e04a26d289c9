"""Every demo of the course in one app: one tab per Space, each the Space's own `demo`."""

import gradio as gr

from shared import catalog, ui

apps = {d.space: catalog.load_app(d.space) for d in catalog.DEMOS}


def name_endpoints(space: str, blocks: gr.Blocks) -> None:
    """In the suite, a Space's `/predict` becomes `/<space>` (e.g. `/hello_world`), its others `/<space>_<name>`."""
    prefix = space.replace("-", "_")
    for fn in blocks.fns.values():
        if fn.api_name and fn.api_visibility == "public":
            fn.api_name = prefix if fn.api_name == "predict" else f"{prefix}_{fn.api_name}"


with gr.Blocks(title="The Hugging Face NLP course, live") as demo:
    gr.Markdown(
        "# 🤗 The Hugging Face NLP course, live\n"
        "Each tab is one Space of the course, running here on a checkpoint this project trained. "
        "Run one alone with `cd spaces/<name> && python app.py`."
    )
    for d in catalog.DEMOS:
        with gr.Tab(d.tab, id=d.space, elem_id=d.space):
            name_endpoints(d.space, apps[d.space].demo)
            apps[d.space].demo.render()

if __name__ == "__main__":
    ui.launch(demo, warm=[task for d in catalog.DEMOS for task in d.tasks])
