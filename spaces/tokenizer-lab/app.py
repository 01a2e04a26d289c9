"""The tokenizer lab (course ch6): four tokenizers side by side on your text (tokens, ids, word ids, offsets
highlighted, normalizer and pre-tokenizer steps), and a tokenizer of your own, built block by block and trained
on your corpus. `/predict(text)` returns the tokens of the default tokenizer (BERT's WordPiece)."""

import tempfile
from pathlib import Path

import gradio as gr

from shared import catalog, ui
from shared.hub import CheckpointNotFound
from shared.tasks import Output
from shared.tasks import tokenizer_lab as lab

NAMES = list(lab.NAMES)
EXAMPLES = [lab.EXAMPLE, "Transformers are everywhere! Tokenizers split text into tokens: 1,234 of them.",
            "Les tokenizers découpent le texte ; 東京は日本の首都です。"]
SAMPLE_CORPUS = (
    "A tokenizer splits text into tokens, the units a model reads. Word-based tokenizers give huge vocabularies, "
    "character-based ones give very long sequences; subword tokenizers sit in between: frequent words stay whole, "
    "rare words are cut into meaningful pieces.\nByte-pair encoding (BPE) starts from characters and merges the "
    "most frequent pair again and again. WordPiece merges the pair whose merge most raises the likelihood of the "
    "training data. Unigram starts from a large vocabulary and removes the tokens whose loss hurts least.\n"
    "Every tokenizer runs the same pipeline: normalization, pre-tokenization, the model, and post-processing.")


def predict(text: str) -> list[str]:
    """The tokens of `text` by the default tokenizer (WordPiece)."""
    return lab.predict(text).value


def panel_values(text: str, name: str) -> tuple:
    """(steps Markdown, highlighted text, table rows) of one tokenizer on `text`."""
    found = lab.inspect(text, lab.tokenizer_named(name))
    steps = (f"**Normalizer:** `{found['normalized']}`\n\n**Pre-tokenizer:** "
             + " ".join(f"`{p}`" for p in found["pre_tokens"]) + f"\n\n**{len(found['tokens'])} tokens**")
    rows = [[tok, i, w, s, e] for tok, i, w, (s, e) in zip(found["tokens"], found["ids"], found["word_ids"],
                                                          found["offsets"])]
    return steps, lab.highlights(text, found["offsets"]), rows


def compare(text: str, names: list[str]):
    """Every panel: shown with its values for the tokenizers picked, hidden for the others."""
    text, names = lab.check(text), lab.check_names(names)
    out, notices = [], []
    for name in NAMES:
        if name not in names:
            out += [gr.Group(visible=False), "", [], []]
            continue
        try:
            steps, marks, rows = panel_values(text, name)
        except CheckpointNotFound as e:  # the code tokenizer before its model is trained
            notices.append(f"{name}: {e}")
            out += [gr.Group(visible=False), "", [], []]
            continue
        out += [gr.Group(visible=True), f"#### {name}\n\n{steps}", marks, rows]
    return Output(tuple(out), notices)


def train(corpus: str, upload, kind: str, vocab_size: int, sample: str, progress=gr.Progress()):
    """Build and train a tokenizer, show it on `sample` next to the four, and offer its tokenizer.json."""
    text = lab.check_corpus(corpus, upload)
    kind, vocab_size = lab.check_build(kind, vocab_size)
    sample = lab.check(sample)
    tokenizer, info = lab.build(text, kind, vocab_size, progress=lambda f, desc: progress(f, desc=desc))
    found = lab.inspect(sample, tokenizer)
    folder = Path(tempfile.mkdtemp(prefix="tokenizer-"))
    tokenizer.backend_tokenizer.save(str(folder / "tokenizer.json"))
    counts = [[f"Yours ({kind}, {info['vocab_size']:,} tokens)", len(found["tokens"])]]
    for name in NAMES:
        try:
            counts.append([name, len(lab.inspect(sample, lab.tokenizer_named(name))["tokens"])])
        except CheckpointNotFound:
            continue
    summary = (f"Trained a **{kind}** tokenizer: {info['vocab_size']:,} tokens from {info['lines']:,} lines "
               f"({info['characters']:,} characters) in {info['seconds']:.1f} s.\n\n**Tokens:** "
               + " ".join(f"`{t}`" for t in found["tokens"]))
    return summary, lab.highlights(sample, found["offsets"]), counts, str(folder / "tokenizer.json")


with gr.Blocks() as demo:
    ui.header("tokenizer-lab")
    gr.api(ui.endpoint(predict), api_name="predict")
    with gr.Tab(ui.t("tokenizer-lab.tab_compare")):
        with gr.Row():
            text = ui.textbox(label=ui.t("tokenizer-lab.text"), lines=3, value=lab.EXAMPLE,
                              info=ui.t("tokenizer-lab.text_info"), scale=3)
            names = gr.CheckboxGroup(NAMES, value=NAMES, label=ui.t("tokenizer-lab.names"), scale=2)
        button = gr.Button(ui.t("tokenizer-lab.button"), variant="primary")
        panels = []
        for name in NAMES:
            with gr.Group(visible=False) as group:
                steps = gr.Markdown()
                marks = gr.HighlightedText(label=ui.t("tokenizer-lab.tokens"), combine_adjacent=False,
                                           show_legend=False, color_map={"even": "#a5d8ff", "odd": "#ffd8a8"})
                with gr.Accordion(ui.t("tokenizer-lab.table"), open=False):
                    table = gr.Dataframe(headers=["token", "id", "word id", "start", "end"], interactive=False)
            panels += [group, steps, marks, table]
        gr.Examples(EXAMPLES, inputs=text, label=ui.t("common.examples"))
    with gr.Tab(ui.t("tokenizer-lab.tab_train")):
        with gr.Row():
            with gr.Column():
                corpus = ui.textbox(label=ui.t("tokenizer-lab.corpus"), lines=8, value=SAMPLE_CORPUS)
                upload = gr.File(label=ui.t("tokenizer-lab.upload"), file_types=[".txt"], type="filepath")
            with gr.Column():
                kind = gr.Radio(list(lab.KINDS), value="BPE", label=ui.t("tokenizer-lab.kind"))
                vocab = gr.Slider(*lab.VOCAB_RANGE, value=lab.DEFAULT_VOCAB, step=100,
                                  label=ui.t("tokenizer-lab.vocab"))
                sample = ui.textbox(label=ui.t("tokenizer-lab.sample"), lines=2, value=lab.EXAMPLE)
                train_button = gr.Button(ui.t("tokenizer-lab.train"), variant="primary")
        summary = gr.Markdown()
        trained = gr.HighlightedText(label=ui.t("tokenizer-lab.trained"), combine_adjacent=False, show_legend=False,
                                     color_map={"even": "#a5d8ff", "odd": "#ffd8a8"})
        counts = gr.Dataframe(headers=["tokenizer", "tokens"], label=ui.t("tokenizer-lab.comparison"),
                              interactive=False)
        download = gr.File(label=ui.t("tokenizer-lab.download"))
    gr.on([button.click, text.submit, demo.load], ui.endpoint(compare), inputs=[text, names], outputs=panels,
          api_name="compare")
    train_button.click(ui.endpoint(train), inputs=[corpus, upload, kind, vocab, sample],
                       outputs=[summary, trained, counts, download], api_name="train")
    ui.code_section("tokenizer-lab")

if __name__ == "__main__":
    ui.launch(demo, warm=catalog.get("tokenizer-lab").tasks)
