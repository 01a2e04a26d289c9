import gradio as gr

from shared import ui
from shared.tasks.basics import chat_reply


def chat(message: str, history: list | None):
    """One turn: the history lives in gr.State, so each visitor keeps their own conversation."""
    reply = chat_reply(message)
    history = [*(history or []), {"role": "user", "content": message}, {"role": "assistant", "content": reply}]
    return history, history, ""


with gr.Blocks() as demo:
    ui.header("chat-state")
    state = gr.State([])
    chatbot = gr.Chatbot(label=ui.t("chat-state.chatbot"), height=300)
    message = ui.textbox(label=ui.t("chat-state.message"), placeholder=ui.t("chat-state.placeholder"))
    send = gr.Button(ui.t("chat-state.send"), variant="primary")
    gr.on([send.click, message.submit], ui.endpoint(chat), [message, state], [chatbot, state, message],
          api_name="predict")
    ui.code_section("chat-state")

if __name__ == "__main__":
    ui.launch(demo)
