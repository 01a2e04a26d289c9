"""A chatbot with memory (course chapter 9's chatbot with state) on SmolLM2-135M-Instruct.

The conversation is a list of messages in the `{"role", "content"}` format (Gradio's Chatbot and the chat
template both speak it). Each reply is the model's continuation of the whole conversation, laid out by the
model's own chat template with a system prompt first; when it no longer fits the window (`MAX_MODEL_TOKENS`,
room for the reply included) the oldest exchanges are left out, whole, and a notice says how many. The tokens
come from `shared.tasks.text_generation.stream_tokens`, the loop the text-generation demo uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from shared.tasks import InputError, Output, check_text, last_output
from shared.tasks import text_generation as generation

TASK = "chat"
MAX_INPUT_CHARS = 4_000  # one message
MAX_MODEL_TOKENS = generation.MAX_MODEL_TOKENS
MAX_HISTORY_MESSAGES = 200
SYSTEM_PROMPT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"  # the template's default
DEFAULTS = {**generation.DEFAULTS, "max_new_tokens": 256, "temperature": 0.2}
ROLES = ("user", "assistant")


def check_history(history) -> list[dict]:
    """The earlier messages as [{"role": "user"|"assistant", "content": str}], or InputError."""
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise InputError(f"The conversation must be a list of messages; got {type(history).__name__}.")
    if len(history) > MAX_HISTORY_MESSAGES:
        raise InputError(f"The conversation has {len(history):,} messages; this demo keeps at most "
                         f"{MAX_HISTORY_MESSAGES}. Clear it and start again.")
    clean = []
    for message in history:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise InputError("Each message of the conversation needs a role (user or assistant) and a content.")
        content = message.get("content")
        if isinstance(content, list):  # Gradio's multimodal content: keep the text parts
            content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
        if not isinstance(content, str):
            content = "" if content is None else str(content)
        clean.append({"role": message["role"], "content": content})
    return clean


def check_message(message) -> str:
    return check_text(message, "message", max_chars=MAX_INPUT_CHARS)


def check(message, history=None, system_prompt=SYSTEM_PROMPT, **settings):
    message = check_message(message)
    system_prompt = check_text(system_prompt, "system prompt", max_chars=MAX_INPUT_CHARS,
                               empty=f"The system prompt is empty: write one, e.g. the default \"{SYSTEM_PROMPT}\".")
    return message, check_history(history), system_prompt, generation.check_settings(
        **{k: settings.get(k, DEFAULTS[k]) for k in generation.DEFAULTS})


def load(model: str | None = None):
    return generation.load(model)


def fit_conversation(tokenizer, system_prompt: str, history: list[dict], message: str, max_new_tokens: int):
    """(prompt ids, messages left out): the system prompt, as many of the latest exchanges as fit in the window
    with room for the reply, and the new message. Left-out history goes a user/assistant exchange at a time."""
    room = MAX_MODEL_TOKENS - max_new_tokens
    history = list(history)
    dropped = 0
    while True:
        messages = [{"role": "system", "content": system_prompt}, *history, {"role": "user", "content": message}]
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                            return_dict=True)["input_ids"]
        if ids.shape[1] <= room:
            return ids, dropped
        if not history:
            raise InputError(f"That message is {ids.shape[1]:,} tokens long with the system prompt; the model reads "
                             f"{room:,} before its reply. Shorten it or lower the reply length.")
        cut = 2 if len(history) > 1 and history[0]["role"] == "user" else 1
        history, dropped = history[cut:], dropped + cut


def stream(message, history=None, system_prompt=SYSTEM_PROMPT, model: str | None = None,
           **settings) -> Iterator[Output]:
    """The reply to `message`, growing one token at a time; the first Output carries the trimming notice."""
    message, history, system_prompt, settings = check(message, history, system_prompt, **settings)
    net, tokenizer = load(model)
    ids, dropped = fit_conversation(tokenizer, system_prompt, history, message, settings.max_new_tokens)
    notices = [f"The conversation is longer than the model's window: the {dropped} oldest message"
               f"{'s' * (dropped > 1)} {'are' if dropped > 1 else 'is'} no longer read."] if dropped else []
    yield Output("", notices)
    for text in generation.stream_text(net, tokenizer, ids, settings):
        yield Output(text)


def predict(message, history=None, system_prompt=SYSTEM_PROMPT, model: str | None = None, **settings) -> Output:
    """The whole reply to `message` after `history`."""
    return last_output(stream(message, history, system_prompt, model, **settings))
