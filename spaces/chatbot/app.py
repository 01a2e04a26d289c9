"""A chatbot with memory (course ch9): SmolLM2-135M-Instruct answers with the whole conversation in view, streamed;
each visitor has their own history; retry, undo and clear come with gr.ChatInterface. A conversation longer than
the model's window drops its oldest exchanges, and says so."""

import gradio as gr

from shared import catalog, ui
from shared.tasks import chat

EXAMPLES = ["What is the capital of France?", "Give me three tips to learn Python.", "Write a haiku about the sea."]
D = chat.DEFAULTS


def respond(message: str, history: list | None = None, system_prompt: str = chat.SYSTEM_PROMPT,
            max_new_tokens: int = D["max_new_tokens"], temperature: float = D["temperature"]):
    yield from chat.stream(message, history, system_prompt, max_new_tokens=max_new_tokens, temperature=temperature)


with gr.Blocks() as demo:
    ui.header("chatbot")
    gr.ChatInterface(
        ui.endpoint(respond),
        chatbot=gr.Chatbot(label=ui.t("chatbot.conversation"), height=380),
        # checked as it arrives: gr.ChatInterface adds the message to the conversation before calling respond()
        textbox=ui.checked_textbox(chat.check_message, placeholder=ui.t("chatbot.placeholder"), submit_btn=True,
                                   stop_btn=True),
        additional_inputs=[  # render=False: ChatInterface places them in its accordion
            ui.textbox(label=ui.t("chatbot.system_prompt"), value=chat.SYSTEM_PROMPT, lines=2, render=False),
            gr.Slider(1, chat.generation.MAX_NEW_TOKENS, value=D["max_new_tokens"], step=1,
                      label=ui.t("chatbot.max_new_tokens"), render=False),
            gr.Slider(0, 2, value=D["temperature"], step=0.05, label=ui.t("chatbot.temperature"), render=False),
        ],
        additional_inputs_accordion=gr.Accordion(ui.t("chatbot.settings"), open=False, render=False),
        examples=[[e] for e in EXAMPLES], api_name="predict")
    ui.code_section("chatbot")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("chatbot").tasks)
