"""A real browser (Debian's headless Chromium driven by Playwright) uses the suite as a person would."""

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import run_app

from shared import catalog

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if not CHROMIUM:
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the browser test: .ci/run installs Debian's chromium")
    pytest.skip("no Chromium on this machine (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def page():
    with run_app(REPO / "spaces" / "suite", timeout=300) as (url, _, _), sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url)
        page.get_by_role("tab").first.wait_for(timeout=60_000)
        yield page
        browser.close()


def open_tab(page, space):
    d = catalog.get(space)
    page.get_by_role("tab", name=d.tab).click()
    panel = page.locator(f"#{space}")  # the suite gives each tab elem_id=space
    panel.get_by_text(d.chapter.en).first.wait_for(timeout=10_000)
    return panel


def test_one_tab_per_demo_with_its_chapter(page):
    tabs = page.get_by_role("tab").all_inner_texts()
    for d in catalog.DEMOS:
        assert d.tab in tabs, f"no tab for {d.title} among {tabs}"


def test_hello_world_in_the_browser(page, tmp_path):
    panel = open_tab(page, "hello-world")
    panel.get_by_label("Name").fill("Browser")
    panel.get_by_role("button", name="Submit").click()
    sync_api.expect(panel.get_by_label("Greeting")).to_have_value("Hello, Browser!!", timeout=20_000)
    page.screenshot(path=str(tmp_path / "suite-hello-world.png"), full_page=True)


def test_flip_text_in_the_browser(page):
    panel = open_tab(page, "flip")
    panel.get_by_label("Text").fill("stressed")
    panel.get_by_role("button", name="Flip").first.click()
    sync_api.expect(panel.get_by_label("Flipped")).to_have_value("desserts", timeout=20_000)


def test_empty_input_shows_an_error_message_not_a_traceback(page):
    panel = open_tab(page, "hello-world")
    panel.get_by_label("Name").fill("")
    panel.get_by_role("button", name="Submit").click()
    toast = page.get_by_text("Please type some name first")
    toast.first.wait_for(timeout=20_000)
    assert "Traceback" not in page.content()


def test_sentiment_in_the_browser(page, tmp_path):
    url, page = page.url, page.context.browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url)  # a visitor who just arrived: no toasts left over from the tests above
    panel = open_tab(page, "sentiment")
    label = panel.get_by_test_id("label-output-value")  # the top class, in large type
    for text, expected in [("A dull, lifeless mess that never finds its story.", "negative"),
                           ("A gorgeous, funny and deeply moving film.", "positive")]:
        panel.get_by_label("Text").fill(text)
        panel.get_by_role("button", name="Classify").click()
        sync_api.expect(label).to_have_text(expected, timeout=30_000)
    page.screenshot(path=str(tmp_path / "suite-sentiment.png"), full_page=True)
    if os.environ.get("SUITE_SCREENSHOT"):  # how docs/suite.png was made
        page.screenshot(path=os.environ["SUITE_SCREENSHOT"])


def test_chinese_locale_gets_the_chinese_interface(page, tmp_path):
    """A reader whose browser asks for zh-CN: tabs, header, labels and buttons in Simplified Chinese, and the
    header links the Chinese course chapter."""
    context = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
    zh = context.new_page()
    zh.goto(page.url)
    zh.get_by_role("tab", name="🎭 情感").wait_for(timeout=60_000)
    zh.get_by_role("tab", name="🎭 情感").click()
    panel = zh.locator("#sentiment")
    panel.get_by_text("情感分析").first.wait_for(timeout=10_000)
    link = panel.get_by_role("link", name=re.compile("课程第 1.3 节"))
    assert link.get_attribute("href") == catalog.get("sentiment").chapter_url("zh-CN")
    panel.get_by_label("文本").fill("A dull, lifeless mess that never finds its story.")
    panel.get_by_role("button", name="分类").click()
    sync_api.expect(panel.get_by_test_id("label-output-value")).to_have_text("negative", timeout=30_000)
    zh.screenshot(path=str(tmp_path / "suite-zh.png"), full_page=True)
    if os.environ.get("SUITE_SCREENSHOT_ZH"):
        zh.screenshot(path=os.environ["SUITE_SCREENSHOT_ZH"])
    context.close()


def test_code_section_opens_with_the_course_lines(page):
    panel = open_tab(page, "sentiment")
    panel.get_by_text("Code: the course's lines").first.click()
    panel.get_by_text('pipeline("sentiment-analysis"').first.wait_for(timeout=10_000)
    panel.get_by_text('api_name="/predict"').first.wait_for(timeout=10_000)


def test_sketch_recognises_a_digit_drawn_with_the_mouse(page, tmp_path):
    url, page = page.url, page.context.browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url)
    panel = open_tab(page, "sketch")
    panel.get_by_role("button", name="Brush").click()  # the draw tool
    box = panel.locator("canvas").first.bounding_box()
    # the square paper sits in the middle of the editor's canvas element
    cx, cy, side = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, 0.8 * min(box["width"], box["height"])

    def stroke(points):
        x, y = points[0]
        page.mouse.move(cx + x * side, cy + y * side)
        page.mouse.down()
        for x, y in points[1:]:  # small steps, as a hand moves
            page.mouse.move(cx + x * side, cy + y * side, steps=12)
        page.mouse.up()

    stroke([(-0.22, -0.3), (0.22, -0.3), (-0.04, 0.35)])  # a 7: the bar, then the diagonal
    label = panel.get_by_test_id("label-output-value")
    sync_api.expect(label).to_have_text("7", timeout=20_000)
    page.screenshot(path=str(tmp_path / "suite-sketch.png"), full_page=True)
    page.close()


def test_semantic_search_links_the_nearest_faq_entry(page):
    panel = open_tab(page, "semantic-search")
    panel.get_by_label("Question").fill("how do I copy a list?")
    panel.get_by_role("button", name="Search", exact=True).click()
    link = panel.get_by_role("link", name="How do I copy an object in Python?")
    link.first.wait_for(timeout=30_000)
    assert link.first.get_attribute("href") == ("https://docs.python.org/3.11/faq/programming.html"
                                                "#how-do-i-copy-an-object-in-python")


def test_tokenizer_lab_highlights_each_tokenizers_pieces(page):
    panel = open_tab(page, "tokenizer-lab")
    panel.get_by_label("Text").first.fill("Tokenizers split naïve text")
    panel.get_by_role("button", name="Tokenize", exact=True).click()
    normalized = panel.get_by_text("tokenizers split naive text")  # WordPiece's normalizer step
    sync_api.expect(normalized.first).to_be_visible(timeout=30_000)
    sync_api.expect(panel.get_by_text("Ġsplit").first).to_be_visible(timeout=10_000)  # GPT-2's pre-tokenizer step
