"""The tokenizer lab (course ch6): byte-level round trips, offsets that point at the right characters, tokenizers
trained block by block in the test, the corpus checks, and the Space."""

import unicodedata

import pytest
from conftest import load_app, serve
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from shared import hub
from shared.data import brown
from shared.tasks import InputError
from shared.tasks import tokenizer_lab as lab
from training import common

CODE = ("def naïve(x):\n\tif x:\r\n\t\treturn '😁 café'  # ünïcode\n    \u00a0\u3000y = x**2\t\n\n\n"
        "class Ω:\n  pass\n\x0c\n")
TEXT = "Héllo, y'all! How are you 😁 ?\n\tdef naïve_fn(x):  return x**2  # café"


@pytest.mark.parametrize("where", [hub.GPT2, "code_generation"])
def test_byte_level_bpe_gives_code_back_exactly(where):
    tokenizer = lab.load_tokenizer(where)
    ids = tokenizer(CODE, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == CODE
    assert tokenizer.convert_tokens_to_string(tokenizer.convert_ids_to_tokens(ids)) == CODE


def piece_text(tokenizer, text: str, token: str, span: tuple[int, int]) -> tuple[str, str]:
    """(what the token stands for, what its offsets cover) in the tokenizer's own terms."""
    start, end = span
    covered = text[start:end]
    if tokenizer.backend_tokenizer.normalizer is not None:  # WordPiece and Unigram compare normalized text
        covered = tokenizer.backend_tokenizer.normalizer.normalize_str(covered)
        return token.removeprefix("##").replace("▁", ""), covered.replace(" ", "")
    return tokenizer.convert_tokens_to_string([token]), covered


@pytest.mark.parametrize("name", lab.NAMES)
def test_offsets_point_at_the_characters_of_each_token(name):
    tokenizer = lab.tokenizer_named(name)
    found = lab.inspect(TEXT, tokenizer)
    checked = 0
    for token, span in zip(found["tokens"], found["offsets"]):
        stands_for, covered = piece_text(tokenizer, TEXT, token, span)
        if "\ufffd" in stands_for or token in tokenizer.all_special_tokens:  # a byte of a split emoji
            continue
        assert unicodedata.normalize("NFKC", stands_for) == unicodedata.normalize("NFKC", covered), (token, span)
        checked += 1
    assert checked >= len(found["tokens"]) // 2  # a tokenizer that never saw "é" spends two byte tokens on it
    assert "".join(chunk for chunk, _ in lab.highlights(TEXT, found["offsets"])) == TEXT


def test_the_steps_show_what_each_normalizer_and_pre_tokenizer_does():
    bert = lab.inspect("Héllo, World!", lab.tokenizer_named(lab.DEFAULT))
    assert bert["normalized"] == "hello, world!" and bert["pre_tokens"] == ["hello", ",", "world", "!"]
    gpt2 = lab.inspect("Hello world", lab.load_tokenizer(hub.GPT2))
    assert gpt2["normalized"] == "Hello world" and gpt2["pre_tokens"] == ["Hello", "Ġworld"]
    assert bert["word_ids"] == [0, 1, 2, 3]


def fixture_corpus() -> str:
    """Real text (the Brown smoke passages) and 30 lines that make "tokenizer" frequent."""
    data = brown.load_brown(common.SMOKE_DATA / "brown")
    return "\n".join(list(data["dev"]["text"]) + list(data["test"]["text"])
                     + [f"the tokenizer learns line {i} of the corpus" for i in range(30)])


@pytest.mark.parametrize("kind", lab.KINDS)
def test_a_tokenizer_trained_block_by_block_in_the_test(kind):
    tokenizer, info = lab.build(fixture_corpus(), kind, 500)
    assert info["vocab_size"] == 500 and info["lines"] > 30
    tokens = tokenizer.tokenize("the tokenizer learns")
    if kind != "Unigram":  # BPE and WordPiece merge a frequent word whole; Unigram keeps likely pieces (oken, iz)
        assert any(t.strip("Ġ#") == "tokenizer" for t in tokens), tokens
    ids = tokenizer("the tokenizer learns")["input_ids"]
    assert tokenizer.decode(ids, skip_special_tokens=True).strip() == "the tokenizer learns"
    first, last = {"WordPiece": ("[CLS]", "[SEP]"), "Unigram": ("▁the", "<cls>"), "BPE": ("the", "Ġlearns")}[kind]
    assert tokenizer.convert_ids_to_tokens(ids)[0] == first and tokenizer.convert_ids_to_tokens(ids)[-1] == last


def test_a_tokenizer_json_from_the_lab_loads_with_transformers(tmp_path):
    tokenizer, _ = lab.build(fixture_corpus(), "Unigram", 500)
    tokenizer.backend_tokenizer.save(str(tmp_path / "tokenizer.json"))
    again = PreTrainedTokenizerFast(tokenizer_file=str(tmp_path / "tokenizer.json"))
    assert again.tokenize("the tokenizer") == tokenizer.tokenize("the tokenizer")


def test_bad_corpora_get_a_sentence(tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(300))
    (tmp_path / "latin1.txt").write_bytes("café crème ".encode("latin-1") * 40)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "big.txt").write_bytes(b"word " * (lab.MAX_UPLOAD_BYTES // 5 + 1))
    for name, words in [("binary.txt", "not text"), ("latin1.txt", "not UTF-8"), ("empty.txt", "empty"),
                        ("big.txt", "at most")]:
        with pytest.raises(InputError, match=words):
            lab.check_corpus("", str(tmp_path / name))
    with pytest.raises(InputError, match="at least"):
        lab.check_corpus("too short")
    with pytest.raises(InputError, match="from 300"):
        lab.check_build("BPE", 10)
    with pytest.raises(InputError, match="Unknown"):
        lab.check_build("SentencePiece", 1000)


def test_the_space_tokenizes_compares_and_trains(tmp_path):
    app = load_app("tokenizer-lab")
    text = "Let's test this tokenizer: naïve café!"
    with serve(app.demo) as client:
        assert client.predict(text, api_name="/predict") == AutoTokenizer.from_pretrained(
            hub.base_model_path(hub.MINILM)).tokenize(text)
        panels = client.predict(text, [lab.DEFAULT, "Byte-level BPE (GPT-2)"], api_name="/compare")
        steps = [p for p in panels if isinstance(p, str) and p]  # the client leaves the panels' groups out
        assert len(steps) == 2 and "`let's test this tokenizer: naive cafe!`" in steps[0] and "`Ġcaf" in steps[1]
        with pytest.raises(AppError, match="not text"):
            (tmp_path / "photo.txt").write_bytes(b"\0\x01\x02" * 100)
            client.predict("", handle_file(str(tmp_path / "photo.txt")), "BPE", 500, text, api_name="/train")
        (tmp_path / "corpus.txt").write_text(fixture_corpus(), encoding="utf-8")
        summary, marks, counts, download = client.predict("", handle_file(str(tmp_path / "corpus.txt")), "WordPiece",
                                                          500, "the tokenizer learns", api_name="/train")
        assert "WordPiece" in summary and "`tokenizer`" in summary
        assert len(counts["data"]) == 1 + len(lab.NAMES)
        assert PreTrainedTokenizerFast(tokenizer_file=download).tokenize("the tokenizer") == ["the", "tokenizer"]
