import gradio as gr

from shared import ui
from shared.tasks.basics import chat_reply


def chat(message: str, history: list | None):
    """One turn: the history lives in gr.State, so each visitor keeps their own conversation."""
    history = list(history or [])
    history += [{"role": "user", "content": message}, {"role": "assistant", "content": chat_reply(message)}]
    return history, history, ""


with gr.Blocks() as demo:
    gr.Markdown(ui.header("chat-state"))
    state = gr.State([])
    chatbot = gr.Chatbot(label="Conversation", height=300)
    message = gr.Textbox(label="Message", placeholder='Try "How are you?", "Where is it?" or "How many apples?"')
    send = gr.Button("Send", variant="primary")
    gr.on([send.click, message.submit], ui.user_errors(chat), [message, state], [chatbot, state, message],
          api_name="predict")

if __name__ == "__main__":
    ui.launch(demo)
