"""The catalog: every interface string in English and Simplified Chinese, chapter links in both languages, and
every key the Spaces ask for listed."""

import re

import pytest
from conftest import REPO

from shared import catalog

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_string_has_both_languages():
    tables = catalog.translations()
    assert set(tables) == {"en", "zh-CN"}
    assert set(tables["en"]) == set(tables["zh-CN"])
    for key, english in tables["en"].items():
        chinese = tables["zh-CN"][key]
        assert english.strip() and chinese.strip(), key
        assert CJK.search(chinese), f"{key} has no Chinese translation: {chinese!r}"
        assert not CJK.search(english), f"{key} has Chinese in its English text"


def test_no_header_holds_a_tag_the_markdown_would_swallow():
    """A header is Markdown, where `<b>` written bare becomes bold (the translation blurb once ate its own example):
    a tag shown as text belongs in backticks."""
    for lang, table in catalog.translations().items():
        for key, text in table.items():
            if key.endswith(".header"):
                assert not re.search(r"</?[a-zA-Z][^>]*>", re.sub(r"`[^`]*`", "", text)), (lang, key)


@pytest.mark.parametrize("demo", catalog.DEMOS, ids=lambda d: d.space)
def test_header_links_the_course_chapter_in_each_language(demo):
    chapter, section = demo.section.split(".")
    for lang in catalog.LANGUAGES:
        url = f"https://huggingface.co/learn/course/{lang}/chapter{chapter}/{section}"
        header = catalog.translations()[lang][f"{demo.space}.header"]
        assert f"]({url})" in header and demo.title.get(lang) in header


def test_every_key_the_spaces_use_is_listed():
    keys = set(catalog.translations()["en"])
    used = set()
    for app in (REPO / "spaces").glob("*/app.py"):
        used |= set(re.findall(r"ui\.t\(f?\"([^\"]+)\"\)", app.read_text()))
    used = {k for k in used if "{" not in k}
    assert used and used <= keys, used - keys


def test_an_unlisted_key_fails_at_import():
    from shared import ui

    with pytest.raises(KeyError, match="no interface text"):
        ui.t("sentiment.no_such_label")
