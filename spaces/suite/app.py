"""Every demo of the course in one app: one tab per Space, each the Space's own `demo`."""

import importlib.util
import sys
from pathlib import Path

import gradio as gr

from shared import catalog, ui

HERE = Path(__file__).resolve().parent
SPACES = HERE / "spaces" if (HERE / "spaces").is_dir() else HERE.parent  # deployed, the demos sit beside app.py


def load_app(space: str):
    """Import spaces/<space>/app.py (the Space's own file, as Spaces runs it) and return the module."""
    name = f"space_app_{space.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, SPACES / space / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def name_endpoints(space: str, blocks: gr.Blocks) -> None:
    """In the suite, a Space's `/predict` becomes `/<space>` (e.g. `/hello_world`), its others `/<space>_<name>`."""
    prefix = space.replace("-", "_")
    for fn in blocks.fns.values():
        if fn.api_name and fn.api_visibility == "public":
            fn.api_name = prefix if fn.api_name == "predict" else f"{prefix}_{fn.api_name}"


with ui.no_unserved_apps():  # the Spaces' own web apps: never served here (launch() builds the suite's)
    apps = {d.space: load_app(d.space) for d in catalog.DEMOS}

    with gr.Blocks(title="The Hugging Face NLP course, live") as demo:
        gr.Markdown(ui.t("suite.title"))
        gr.Markdown(ui.t("suite.intro"))
        with gr.Tabs(overflow_behavior="wrap"):  # every demo's tab in sight, on as many rows as the width needs
            for d in catalog.DEMOS:
                with gr.Tab(ui.t(f"{d.space}.tab"), id=d.space, elem_id=d.space):
                    name_endpoints(d.space, apps[d.space].demo)
                    apps[d.space].demo.render()

if __name__ == "__main__":
    ui.launch(demo, warm=[task for d in catalog.DEMOS for task in d.tasks])
