"""How fast is each model Space, and what does serving it cost over its `transformers.pipeline()` peer?

    python benchmarks/speed.py --space sentiment|pair-classification|zero-shot|all [--quick] [--threads 1]

For one Space (`--space all`: each model Space of shared/catalog.py that has a case in CASES), in one run:
1. starts spaces/<space>/app.py in a subprocess (benchmarks.local_space.run_app, 127.0.0.1 only) and sends it
   the case's real inputs, one request at a time and from 4 and 16 concurrent clients, over
   - plain HTTP: POST /gradio_api/call/predict, then read its event stream, as a browser tab does;
   - gradio_client with one shared `ssl.SSLContext` (ssl_verify=): a stock Client builds two SSL contexts from
     certifi's bundle per call even for http:// (~39 ms of client CPU that the Space then lacks on 2 CPUs);
   - stock gradio_client (1 and 16 clients; skipped with --quick). Its event reader polls every 50 ms, so no
     call through it returns in under ~55 ms; the HTTP rows are what a visitor waits;
   and, once per run, the floor: the hello-world Space (no model) over plain HTTP, Gradio's own cost;
2. then, in a fresh process of its own (no Gradio), the same model on the same inputs through
   - the task's own code (`predict_batch` on batches of 1 and 16 where the task batches, else `predict`), at the
     precision the Space serves (shared.modeling: bf16 on a CPU that computes in it);
   - its `transformers.pipeline()` peer (the case's `peer`), one input per call and in batches of 16, on the same
     checkpoint loaded in fp32 (NLP_COURSE_PRECISION=fp32): the obvious alternative, as the course runs it.
Every row gets p50 / p95 of each call, inputs/s, and the serving process's CPU (% of one core) and peak RSS
(psutil). The Space and the peer run one after the other with the same number of torch threads; the clients
share the machine's CPUs with the Space, as they would on one small box. The top label of each answer is
compared with the pipeline's on the same inputs (same model: they should agree).
The full run writes one table per Space into benchmarks/RESULTS.md (that Space's section replaced, the others
kept); --quick (a smoke check, ~1 minute a Space) prints only, unless --results is given.

A new model Space adds a row to CASES (its inputs and how to build its pipeline peer), not a script.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import itertools
import json
import math
import multiprocessing
import os
import platform
import shlex
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from collections.abc import Callable
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.local_space import run_app  # noqa: E402
from shared.modeling import cpu_model  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"
HELLO_INPUTS = [("Ada", 1), ("Grace", 3)]  # the hello-world Space's /predict: Gradio's own floor, no model
TIMEOUT = 60.0  # seconds one request may take before the row fails

# ------------------------------------------------------------------------------------------------- inputs

SENTIMENT_TEXTS = [  # reviews, tweets and product/restaurant comments of every length, with the usual clutter
    "A masterpiece: funny, moving and beautifully shot.",
    "A dull, lifeless mess that never finds its story.",
    "The acting is fine, but the plot goes nowhere.",
    "I can't believe how much I enjoyed this!",
    "Watched it twice already 😍",
    "Not bad at all.",
    "Not good, not terrible, just forgettable.",
    "The first hour drags, but the last thirty minutes are as tense as anything I've seen this year.",
    "An ambitious, sprawling epic that collapses under the weight of its own self-importance.",
    "Two hours of my life I will never get back.",
    "The kids loved it and, honestly, so did I.",
    "Gorgeous cinematography can't save a script this lazy.",
    "It's the kind of movie that makes you want to call your mother.",
    "A warm, generous film about friendship, grief and bad karaoke.",
    "Painfully unfunny; every joke is telegraphed ten minutes in advance.",
    "The sequel nobody asked for, and it shows.",
    "Sharp, witty dialogue and a lead performance that deserves every award going.",
    "I laughed, I cried, I bought the soundtrack on the way home.",
    "Loud, long and utterly pointless.",
    "Quietly devastating.",
    "@cinema_fan just saw it and wow, what an ending!!! http://t.co/xyz",
    "RT @moviebuff: worst trailer of the year, and the film is somehow worse",
    "ugh my flight got delayed AGAIN 😡 thanks for nothing",
    "best coffee in town &amp; the staff are lovely &lt;3",
    "Can't stop listening to this album, it's on repeat all week 🎶🔥",
    "The battery died after two days and support never answered my emails.",
    "Arrived quickly, fits perfectly, exactly as described. Would buy again.",
    "Cheap plastic that cracked the first time I dropped it.",
    "Five stars. This blender crushes ice like it's nothing.",
    "The instructions were useless but the product itself works well.",
    "Returned it the next day; the noise was unbearable.",
    "Honestly the best purchase I've made all year.",
    "The soup was cold, the waiter was rude and the bill was wrong.",
    "A cosy little place with a great wine list and friendly staff.",
    "Overpriced and underwhelming, though the dessert was nice.",
    "We waited forty minutes for a table we had booked.",
    "The pasta tasted like it was made by someone's grandmother, in the best way.",
    "The government's handling of the crisis has been clumsy and slow.",
    "The new library is a triumph of civic architecture.",
    "Critics of the plan say it will raise costs for families already struggling to pay their bills.",
    "The report offers a hopeful picture of falling crime and rising school attendance.",
    "It is hard to imagine a more cynical piece of legislation.",
    "What a lovely surprise to wake up to sunshine 🌞",
    "This update broke everything. Again.",
    "so proud of my little sister graduating today!!",
    "meh.",
    "I expected nothing and was still disappointed.",
    "Not the masterpiece some claim, but a thoroughly entertaining ride with a few genuine surprises along the way, "
    "a villain you half root for and a score that will stay in your head for days after the credits roll.",
    "The film opens with a long, wordless sequence in a snowbound village, and for a while it seems to be heading "
    "somewhere interesting; then the dialogue starts, the characters turn into mouthpieces for the director's "
    "opinions, and the whole thing settles into a two-hour lecture that mistakes gloom for depth.",
    "Hands down the worst customer service I have ever experienced, and I once waited six hours at the DMV.",
]

PAIRS = [  # (question, sentence): the sentence holds the answer, or is on topic and does not
    ("What year was the University of Warsaw established?",
     "The University of Warsaw was established in 1816, when the partitions of Poland separated Warsaw from the "
     "oldest and most influential Polish academic center, in Kraków."),
    ("How are transit fees collected in Istanbul?",
     "Istanbul's local public transportation system is a complex network of trams, funiculars, metro lines, buses, "
     "bus rapid transit, and ferries."),
    ("Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare sometime between 1599 and 1601."),
    ("Who wrote Hamlet?", "Hamlet is set in Denmark and follows Prince Hamlet's revenge on his uncle Claudius."),
    ("What is the capital of Australia?",
     "Canberra was chosen as the capital of Australia in 1908 as a compromise between Sydney and Melbourne."),
    ("What is the capital of Australia?", "Sydney is the most populous city in Australia and Oceania."),
    ("When did the Berlin Wall fall?",
     "The Berlin Wall fell on 9 November 1989, when the East German government opened the border crossings."),
    ("When did the Berlin Wall fall?", "The wall was built by the German Democratic Republic to stop emigration."),
    ("What is the boiling point of water at sea level?",
     "At sea level, pure water boils at 100 degrees Celsius (212 degrees Fahrenheit)."),
    ("What is the boiling point of water at sea level?",
     "Water covers about 71 percent of the Earth's surface, mostly in seas and oceans."),
    ("Which planet is known as the Red Planet?",
     "Mars is often called the Red Planet because iron oxide on its surface gives it a reddish appearance."),
    ("Which planet is known as the Red Planet?", "Jupiter is the largest planet in the Solar System."),
    ("How many symphonies did Beethoven complete?",
     "Beethoven completed nine symphonies, the last of which includes the choral finale Ode to Joy."),
    ("How many symphonies did Beethoven complete?",
     "Beethoven was born in Bonn and moved to Vienna in his early twenties."),
    ("What does DNA stand for?", "DNA, or deoxyribonucleic acid, carries the genetic instructions of organisms."),
    ("What does DNA stand for?", "The double-helix structure was described by Watson and Crick in 1953."),
    ("Who painted the Mona Lisa?",
     "The Mona Lisa is a half-length portrait painting by the Italian artist Leonardo da Vinci."),
    ("Who painted the Mona Lisa?", "The painting has been on permanent display at the Louvre in Paris since 1797."),
    ("What is the longest river in South America?",
     "The Amazon is the longest river in South America and carries more water than any other river."),
    ("What is the longest river in South America?",
     "The Andes form the longest continental mountain range in the world."),
    ("In which year did the Titanic sink?",
     "RMS Titanic sank in the North Atlantic Ocean on 15 April 1912 after striking an iceberg."),
    ("In which year did the Titanic sink?",
     "The ship was built by Harland and Wolff at their shipyard in Belfast."),
    ("What is another name for the Blue Mosque?",
     "The imperial mosques include Fatih Mosque, Bayezid Mosque, Yavuz Selim Mosque, Süleymaniye Mosque, Sultan "
     "Ahmed Mosque (the Blue Mosque), and Yeni Mosque, all of which were built at the peak of the Ottoman Empire."),
    ("What is Istanbul's largest air transport center called?",
     "Dominated by low-cost carriers, Istanbul's second airport has rapidly become popular, especially since the "
     "opening of a new international terminal in 2009."),
]

ZERO_SHOT = [  # (text, comma-separated candidate labels, multi_label)
    ("This is a course about the Transformers library", "education, politics, business", False),
    ("The striker scored twice in the second half and the home side lifted the cup.",
     "sports, cooking, politics", False),
    ("Whisk the eggs with the sugar, fold in the flour and bake for twenty minutes.", "cooking, science, travel", True),
    ("The senate passed the budget after a long debate on taxes and military spending.",
     "politics, economy, sports, religion", True),
    ("Shares fell sharply after the company cut its profit forecast for the third time this year.",
     "business, sports, health", False),
    ("The new vaccine reduced hospital admissions by half in the trial's older participants.",
     "health, technology, entertainment", False),
    ("Our hotel was a short walk from the old town, and the ferry to the islands left every hour.",
     "travel, finance, science", False),
    ("The telescope captured the faint light of a galaxy formed less than a billion years after the Big Bang.",
     "science, cooking, politics, sports", False),
    ("The band's third album trades the guitars for synthesizers and is their best yet.",
     "music, economy, weather", False),
    ("Heavy rain and strong winds are expected across the north tonight, with snow on high ground.",
     "weather, travel, sports", True),
    ("The update fixes a memory leak in the graphics driver and improves battery life on older laptops.",
     "technology, health, cooking", False),
    ("Tickets for the final sold out within minutes, and fans camped outside the stadium overnight.",
     "sports, business, entertainment", True),
    ("The court ruled that the law violated the constitution's guarantee of free speech.",
     "law, politics, cooking, music", True),
    ("Simmer the tomatoes with garlic and basil until the sauce thickens.", "cooking, gardening, law", False),
    ("Prune the roses in late winter and feed them with compost in spring.", "gardening, finance, sports", False),
    ("Interest rates rose for the fourth time as the central bank tried to cool inflation.",
     "economy, finance, politics, sports", True),
    ("The museum's new wing houses a collection of Impressionist paintings donated by a local family.",
     "art, sports, technology", False),
    ("Researchers trained a neural network to translate between two hundred languages.",
     "technology, science, education, religion", True),
    ("The pilgrimage draws millions of believers to the holy city every year.", "religion, travel, economy", True),
    ("Students will take the new exams for the first time next June.", "education, health, weather", False),
    ("The film won the top prize at Cannes and opens in cinemas next month.",
     "entertainment, art, business, science", True),
    ("A magnitude 6.1 earthquake struck off the coast early on Sunday; no tsunami warning was issued.",
     "science, news, sports, cooking", False),
    ("The startup raised forty million dollars to build cheaper batteries for electric cars.",
     "business, technology, environment, sports", True),
    ("Volunteers planted ten thousand trees along the river to restore the wetland.",
     "environment, finance, music", False),
]


# ------------------------------------------------------------------------------------------ pipeline peers
# Each peer: (task module) -> fn(batch of inputs) -> top label per input. Built in the peer process.

def sentiment_peer(task):
    """pipeline("text-classification") on the task's merged model and tokenizer: the course's one-liner."""
    from transformers import pipeline

    model, tokenizer = task.load()
    pipe = pipeline("text-classification", model=model, tokenizer=tokenizer, device=-1)
    return lambda batch: [r["label"] for r in pipe([t for (t,) in batch], batch_size=len(batch), truncation=True,
                                                     max_length=task.MAX_MODEL_TOKENS)]


def pair_peer(task):
    """pipeline("text-classification") with {"text": question, "text_pair": sentence} inputs."""
    from transformers import pipeline

    model, tokenizer = task.load()
    pipe = pipeline("text-classification", model=model, tokenizer=tokenizer, device=-1)
    return lambda batch: [r["label"] for r in pipe([{"text": q, "text_pair": s} for q, s in batch],
                                                     batch_size=len(batch), truncation=task.TRUNCATION,
                                                     max_length=task.MAX_MODEL_TOKENS)]


def zero_shot_peer(task):
    """pipeline("feature-extraction") on the sentence encoder's transformers model, one string per forward pass
    (batched outputs come back padded, which would skew mean pooling), then the task's own scoring: mean pooling,
    L2 norm, cosine to each hypothesis, the checkpoint's calibration."""
    import numpy as np
    from transformers import pipeline

    config, encoder = task.load()
    pipe = pipeline("feature-extraction", model=encoder[0].auto_model, tokenizer=encoder.tokenizer, device=-1)
    template = task.check_template(None, config)

    def run(batch):
        labels_out = []
        for text, labels, multi in batch:
            labels = task.parse_labels(labels, multi_label=multi)
            strings = [text, *task.hypotheses(labels, template)]
            hidden = pipe(strings, return_tensors=True, batch_size=1,
                          tokenize_kwargs={"truncation": True, "max_length": encoder.max_seq_length})
            vectors = np.stack([h[0].mean(0).numpy() for h in hidden])
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            scores = task.scores_from_similarities(vectors[1:] @ vectors[0], config, multi_label=multi)
            labels_out.append(labels[int(np.argmax(scores))])
        return labels_out

    return run


NER_TEXTS = [
    "Apple is opening a new office in Paris, Tim Cook told Le Monde on Tuesday.",
    "Angela Merkel met Emmanuel Macron in Berlin to discuss the European Union budget.",
    "The Amazon flows through Brazil, but Amazon the company is based in Seattle.",
    "my sister flew from seattle to tokyo with japan airlines to watch the world cup final",
    "Manchester United signed a Brazilian striker from Real Madrid for the new season.",
    "NASA and the European Space Agency launched the James Webb Space Telescope from French Guiana.",
    "Dr. Jane Goodall spoke at Stanford University about chimpanzees in Tanzania.",
    "Samsung unveiled the Galaxy phone in Seoul, while Google answered from Mountain View.",
    "The Nile runs through Egypt and Sudan before reaching the Mediterranean Sea.",
    "Shakespeare wrote Hamlet while living in London, far from Stratford-upon-Avon.",
    "The United Nations held its summit in New York with leaders from India, Japan and Kenya.",
    "Lionel Messi scored twice as Argentina beat France in the World Cup final in Qatar.",
]


def ner_peer(task):
    """pipeline("token-classification", aggregation_strategy="simple") on the task's merged model; the answer
    compared is the set of (word, type) entities."""
    from transformers import pipeline

    model, tokenizer = task.load()
    pipe = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="simple",
                    device=-1)
    return lambda batch: [entity_key([(e["word"], e["entity_group"]) for e in found])
                          for found in pipe([t for (t,) in batch], batch_size=len(batch))]


def entity_key(pairs) -> str:
    return "; ".join(sorted(f"{w.lower()}:{k}" for w, k in pairs))


QA_CONTEXT = ("The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region "
              "in France. They were descended from Norse raiders and pirates from Denmark, Iceland and Norway who, "
              "under their leader Rollo, agreed to swear fealty to King Charles III of West Francia. The Norman "
              "dynasty had a major political, cultural and military impact on medieval Europe and even the Near "
              "East. The Normans were famed for their martial spirit and eventually for their Catholic piety.")
QA = [(q, QA_CONTEXT) for q in (
    "In what country is Normandy located?", "When were the Normans in Normandy?",
    "From which countries did the Norse originate?", "Who was the Norse leader?",
    "Who did the Norse swear fealty to?", "What were the Normans famed for?")] + [
    ("Where do I live?", "My name is Sylvain and I work at Hugging Face in Brooklyn."),
    ("What does the course teach?", "The course teaches natural language processing using libraries from the "
     "Hugging Face ecosystem: Transformers, Datasets, Tokenizers and Accelerate."),
]


def qa_peer(task):
    """transformers 5 has no `pipeline("question-answering")` any more (removed; see its MIGRATION_GUIDE_V5), so
    the peer is that pipeline's algorithm written plainly, as transformers 4 ran it: windows of 384 with a stride
    of 128 in one forward pass, softmax over each window's context tokens, the best start x end product with
    start <= end < start + 30. The answer compared is the answer text."""
    import numpy as np
    import torch

    model, tokenizer = task.load()

    def answer(question, context):
        enc = tokenizer(question, context, truncation="only_second", max_length=task.MAX_MODEL_TOKENS,
                        stride=task.STRIDE, return_overflowing_tokens=True, return_offsets_mapping=True,
                        padding="longest", return_tensors="pt")
        offsets = enc.pop("offset_mapping")
        enc.pop("overflow_to_sample_mapping")
        with torch.inference_mode():
            out = model(**enc)
        best = (-1.0, "")
        for w in range(len(offsets)):
            context_mask = torch.tensor([s != 1 for s in enc.sequence_ids(w)])
            start = out.start_logits[w].masked_fill(context_mask, -1e4).softmax(-1).numpy()
            end = out.end_logits[w].masked_fill(context_mask, -1e4).softmax(-1).numpy()
            scores = np.triu(np.tril(np.outer(start, end), task.MAX_ANSWER_TOKENS - 1))
            s, e = np.unravel_index(scores.argmax(), scores.shape)
            if scores[s, e] > best[0]:
                best = (scores[s, e], context[offsets[w][s][0]:offsets[w][e][1]])
        return best[1]

    return lambda batch: [answer(q, c) for q, c in batch]


FILL_MASK = [(t, "adapted") for t in (  # /predict(text, model choice)
    "This is a great [MASK].", "Paris is the [MASK] of France.", "The acting was [MASK] and the plot dull.",
    "This man works as a [MASK].", "This woman works as a [MASK].", "I would not [MASK] this film to anyone.",
    "The [MASK] of the story is a young boy who leaves home.", "She drank a cup of [MASK] before work.")]


def fill_mask_peer(task):
    """pipeline("fill-mask") on the task's merged model (the adapted one); the answer compared is the top token."""
    from transformers import pipeline

    model, tokenizer = task.load()
    pipe = pipeline("fill-mask", model=model, tokenizer=tokenizer, device=-1, top_k=task.TOP_K)
    def run(batch):
        found = pipe([t for t, _ in batch], batch_size=len(batch))
        found = [found] if isinstance(found[0], dict) else found  # one input: its top-k list, not wrapped
        return [top[0]["token_str"] for top in found]

    return run


TRANSLATION = [(t,) for t in (
    "Open the file", "Default to expanded threads", "&Save As...", "Delete %1 files?",
    "Unable to import %1 using the OFX importer plugin. This file is not the correct format.",
    "Show hidden files", "The connection to the server was lost.", "Print the current page")]
SUMMARIZATION = [(t,) for t in (
    "GNU Wget is a free software package for retrieving files using HTTP, HTTPS and FTP, the most widely used "
    "Internet protocols. It is a non-interactive command-line tool, so it may easily be called from scripts.",
    "Audacity est un éditeur audio libre et multiplateforme. Il permet d'enregistrer des sons, de les lire, "
    "d'importer et d'exporter des fichiers WAV, AIFF, MP3 et OGG, et de les modifier.",
    "This package contains the header files and static library needed to compile applications that use the "
    "PNG image format library. PNG is a flexible, extensible image format with lossless compression.",
    "Tmux permet de contrôler plusieurs terminaux depuis un seul écran. Chaque terminal peut être détaché, "
    "continuer à fonctionner en arrière-plan, puis être rattaché plus tard.",
    "htop is an ncurses-based process viewer similar to top, but it allows one to scroll the list vertically "
    "and horizontally to see all processes and their full command lines.",
    "Ce paquet fournit la documentation de la bibliothèque, au format HTML, avec des exemples et un guide de "
    "démarrage pour les développeurs qui veulent l'utiliser dans leurs programmes.")]


def seq2seq_peer(**generate_kwargs):
    """What transformers 4's `pipeline("translation")` / `pipeline("summarization")` ran (both removed in 5): the
    tokenizer over the batch, `model.generate` with the task's settings, decode. The answer compared is the text."""
    def build(task):
        model, tokenizer = task.load()

        def run(batch):
            enc = tokenizer([x[0] for x in batch], max_length=task.MAX_MODEL_TOKENS, truncation=True, padding=True,
                            return_tensors="pt")
            out = model.generate(**enc, **generate_kwargs)
            return [t.strip() for t in tokenizer.batch_decode(out, skip_special_tokens=True)]
        return run
    return build


SEARCH = [(item["query"], 5, "default") for item in json.loads(
    (REPO / "training" / "eval_data" / "python_faq_queries.json").read_text())["queries"][:24]]


def search_peer(task):
    """The course's ch5 lines on the same index: `pipeline("feature-extraction")` on MiniLM, mean pooling and
    normalisation (the model's own pooling), `Dataset.get_nearest_examples`; the answer compared is the top row."""
    import numpy as np
    from transformers import pipeline

    from shared import hub

    index = task.load()
    path = hub.base_model_path(hub.MINILM)
    pipe = pipeline("feature-extraction", model=path, tokenizer=path, device=-1)

    def run(batch):
        tops = []
        for query, *_ in batch:
            vector = np.asarray(pipe(query)[0], dtype=np.float32).mean(axis=0)
            _, rows = index.corpus.get_nearest_examples("embeddings", vector / np.linalg.norm(vector), k=task.DEFAULT_K)
            tops.append(f"[{rows['question'][0]}]({rows['url'][0]})")
        return tops

    return run


CODE = [(p, 64, 0.0, 0.95, 0, True) for p in (  # prompt, max new tokens, temperature, top-p, seed, stop at a blank line
    "# create some data\nx = np.random.randn(100)\ny = np.random.randn(100)\n\n# create scatter plot with x, y\n",
    "# create some data\nx = np.random.randn(100)\ny = np.random.randn(100)\n\n# create dataframe from x and y\n",
    "# dataframe with profession, income and name\ndf = pd.DataFrame({'profession': x, 'income':y, 'name': z})\n\n"
    "# calculate the mean income per profession\n",
    "# import random forest regressor from scikit-learn\nfrom sklearn.ensemble import RandomForestRegressor\n\n"
    "# fit random forest model with 300 estimators on X, y:\n",
    "import pandas as pd\n\n# read the csv file data.csv\n",
    "import numpy as np\n\n# create a 3x3 identity matrix\n")]


def code_peer(task):
    """The course's `pipeline("text-generation")`, greedy, 64 new tokens at most, stopping at a blank line
    (`stop_strings`) as the Space does; the answer compared is the completion cut at the end of its block."""
    from transformers import pipeline

    model, tokenizer = task.load()
    pipe = pipeline("text-generation", model=model, tokenizer=tokenizer, device=-1)

    def run(batch):
        out = []
        for prompt, *_ in batch:
            text = pipe(prompt, max_new_tokens=task.DEFAULTS["max_new_tokens"], do_sample=False, stop_strings=["\n\n"],
                        tokenizer=tokenizer)[0]["generated_text"][len(prompt):]
            end = task.block_end(text)
            out.append(text if end is None else text[:end])
        return out

    return run


def tokenizer_peer(task):
    """`AutoTokenizer.from_pretrained(...)` on the default tokenizer (BERT's WordPiece): the tokens, joined."""
    from transformers import AutoTokenizer

    from shared import hub

    tokenizer = AutoTokenizer.from_pretrained(hub.base_model_path(hub.MINILM))
    return lambda batch: [" ".join(tokenizer.tokenize(text)) for (text,) in batch]


@dataclass(frozen=True)
class Case:
    inputs: list[tuple]  # the /predict endpoint's arguments, one tuple per request
    peer: Callable[[Any], Callable[[list[tuple]], list[str]]]  # task module -> batch of inputs -> top labels
    peer_batches: tuple[int, ...] = (1, 16)  # batch sizes of the pipeline rows
    note: str = ""  # what to know when reading the table


BATCHED = "The Space batches (`batch=True, max_batch_size=16`): concurrent requests share forward passes. "

CASES: dict[str, Case] = {
    "sentiment": Case([(t,) for t in SENTIMENT_TEXTS], sentiment_peer, note=(
        BATCHED + "The pipeline reads the raw text; the task first normalizes it (emoji names, entities, links), "
        "so a few top labels may differ on tweets.")),
    "pair-classification": Case(PAIRS, pair_peer, note=BATCHED),
    "zero-shot": Case(ZERO_SHOT, zero_shot_peer, peer_batches=(1,), note=(
        BATCHED + "The task encodes the text and every hypothesis in one `SentenceTransformer.encode` batch (the 'task' "
        "rows: the fair peer of what the Space computes); the transformers.pipeline peer is "
        "`pipeline('feature-extraction')` on the same encoder, one string per forward pass plus the same scoring "
        "(the course's `zero-shot-classification` pipeline needs an NLI model, which this checkpoint is not).")),
    "ner": Case([(t,) for t in NER_TEXTS], ner_peer, peer_batches=(1,), note=(
        BATCHED + "Agreement = the same set of (word, type) entities. The pipeline passes no casing feature (its token types "
        "are all 0) where the task passes each word's case, so their entities differ where case decides.")),
    "qa": Case(QA, qa_peer, peer_batches=(1,), note=(
        BATCHED + "Agreement = the same answer text. transformers 5 removed `pipeline('question-answering')`: the peer is "
        "its algorithm written out (one forward pass over the windows, best start x end span). Contexts of one "
        "window, as in the course's examples.")),
    "fill-mask": Case(FILL_MASK, fill_mask_peer, peer_batches=(1, 8), note=(
        BATCHED + "Agreement = the same top token, from the adapted model (the Space's default choice).")),
    "translation": Case(TRANSLATION, seq2seq_peer(num_beams=4, max_new_tokens=160), peer_batches=(1, 8), note=(
        "Agreement = the same French text. transformers 5 removed `pipeline('translation')`: the peer is its "
        "algorithm (tokenize, `generate` with 4 beams, decode). The Space also cuts a text into sentences and "
        "at markup tags, and reranks the 4 beams with its French -> English model (noisy channel), so it may "
        "choose another beam than the first by design.")),
    "summarization": Case(SUMMARIZATION, seq2seq_peer(num_beams=4, max_new_tokens=48, no_repeat_ngram_size=3),
                          peer_batches=(1, 6), note=(
        "Agreement = the same summary. transformers 5 removed `pipeline('summarization')`: the peer is its "
        "algorithm (tokenize, `generate` with 4 beams and no repeated trigram, decode).")),
    "semantic-search": Case(SEARCH, search_peer, peer_batches=(1,), note=(
        BATCHED + "Agreement = the same top FAQ entry. The Space embeds the query with sentence-transformers and searches "
        "the FAISS index; the peer embeds it with `pipeline('feature-extraction')` and mean pooling.")),
    "tokenizer-lab": Case([(t,) for t in SENTIMENT_TEXTS], tokenizer_peer, peer_batches=(1,), note=(
        "Agreement = the same tokens (BERT's WordPiece, the default). The Space's `/predict` is an API-only "
        "endpoint (`gr.api`).")),
    "code-gen": Case(CODE, code_peer, peer_batches=(1,), note=(
        "Agreement = the same completion (greedy). The Space decodes token by token with the key/value cache "
        "(the text-generation demo's loop) and stops at the first blank line after code; the pipeline stops at "
        "`stop_strings=['\\n\\n']`.")),
}


def model_spaces() -> list[str]:
    """Every Space of the catalog that loads a model, in catalog order."""
    from shared import catalog

    return [d.space for d in catalog.DEMOS if d.tasks]


def task_module(space: str):
    from shared import catalog

    return importlib.import_module(f"shared.tasks.{catalog.get(space).tasks[0]}")


# ------------------------------------------------------------------------------------------- measuring

@dataclass
class Row:
    setup: str
    calls: list[float]  # seconds per call
    items: int  # inputs answered (a batch call answers several)
    seconds: float  # wall time of the row
    cpu: float  # % of one core used by the serving process during the row
    rss: float  # its peak resident memory, MiB

    def cells(self) -> list[str]:
        if not self.calls:
            return [self.setup, "0", "", "", "", f"{self.cpu:.0f}", f"{self.rss:.0f}"]
        p50 = 1000 * statistics.median(self.calls)
        p95 = 1000 * sorted(self.calls)[min(len(self.calls) - 1, math.ceil(0.95 * len(self.calls)) - 1)]
        return [self.setup, str(self.items), f"{p50:.0f}", f"{p95:.0f}", f"{self.items / self.seconds:.1f}",
                f"{self.cpu:.0f}", f"{self.rss:.0f}"]


class Usage:
    """CPU time (% of one core) and peak RSS of process `pid` while the `with` block runs (psutil, 20 Hz)."""

    def __init__(self, pid: int | None = None):
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0

    def _sample(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __enter__(self):
        self.peak, self._stop = self.proc.memory_info().rss, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self._t0, self._cpu0 = time.perf_counter(), sum(self.proc.cpu_times()[:2])
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._t0
        self.cpu = (sum(self.proc.cpu_times()[:2]) - self._cpu0) / self.seconds * 100
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def timed_loop(call, batches, max_calls: int, max_seconds: float):
    """Row data for `call(batch)` in this process over `batches` (cycled), at most max_calls calls and
    max_seconds."""
    calls, items = [], 0
    with Usage() as usage:
        deadline = time.perf_counter() + max_seconds
        for batch in itertools.islice(itertools.cycle(batches), max_calls):
            t0 = time.perf_counter()
            call(batch)
            calls.append(time.perf_counter() - t0)
            items += len(batch)
            if time.perf_counter() > deadline:
                break
    return calls, items, usage


class HttpAsk:
    """One visitor over plain HTTP, as a browser tab: POST /gradio_api/call/predict, then read its event stream
    (benchmarks.endpoints.Http). Its calls share one Gradio session, as a tab's do; `session=False` sends none,
    as a bare curl call does, and Gradio then makes a new session per call."""

    def __init__(self, url: str, session: bool = True):
        from benchmarks.endpoints import Http

        self.http = Http(url, timeout=TIMEOUT, session=session)

    def __call__(self, args: tuple):
        kind, data = self.http.call("predict", list(args))
        if kind != "complete":
            raise RuntimeError(f"no answer over HTTP: {kind} {str(data)[:300]!r}")
        return data[0]


class ClientAsk:
    """One visitor through gradio_client; `ssl_context` shared by every client, or None for a stock client."""

    def __init__(self, url: str, ssl_context=None):
        from gradio_client import Client

        extra = {} if ssl_context is None else {"ssl_verify": ssl_context}
        self.client = Client(url, verbose=False, analytics_enabled=False, httpx_kwargs={"timeout": TIMEOUT}, **extra)

    def __call__(self, args: tuple):
        out = self.client.submit(*args, api_name="/predict").result(timeout=TIMEOUT)
        return out[0] if isinstance(out, (tuple, list)) else out


def top_label(answer) -> str:
    """The top label of a gr.Label answer ({"label": ..., "confidences": [...]}), the entities of a
    gr.HighlightedText answer ([{"token", "class_or_confidence"}, ...]) as `entity_key` writes them, the first
    row's third cell of a gr.Dataframe (a search result's question), or a list of tokens joined."""
    if isinstance(answer, list) and answer and isinstance(answer[0], str):
        return " ".join(answer)
    if isinstance(answer, dict) and "data" in answer:
        return answer["data"][0][2]
    if isinstance(answer, list):
        return entity_key([(item["token"], item["class_or_confidence"]) for item in answer
                           if item.get("class_or_confidence")])
    return answer["label"] if isinstance(answer, dict) else str(answer)


def concurrent(asks: list, inputs: list[tuple], requests: int, max_seconds: float, pid: int):
    """`requests` requests spread over the clients in `asks`, all at once, each client in its own thread;
    returns (seconds per request, requests answered, Usage of the Space)."""
    per_client = math.ceil(requests / len(asks))
    start = threading.Barrier(len(asks) + 1)
    deadline = [0.0]
    calls, errors = [], []

    def work(k, ask):
        start.wait()
        for j in range(per_client):
            i = (k * per_client + j) % len(inputs)
            t0 = time.perf_counter()
            try:
                ask(inputs[i])
            except Exception as e:  # noqa: BLE001  (reported after the row)
                errors.append(e)
                return
            calls.append(time.perf_counter() - t0)
            if time.perf_counter() > deadline[0]:
                return

    threads = [threading.Thread(target=work, args=kv, daemon=True) for kv in enumerate(asks)]
    for t in threads:
        t.start()
    with Usage(pid) as usage:
        deadline[0] = time.perf_counter() + max_seconds
        start.wait()
        for t in threads:
            t.join(max(0.0, deadline[0] + TIMEOUT - time.perf_counter()))
    if errors or any(t.is_alive() for t in threads):
        raise RuntimeError(f"{len(errors)} of {len(asks)} clients failed, e.g. {errors[0] if errors else 'timeout'!r}")
    return calls, len(calls), usage


def space_env(space: str, opts) -> dict[str, str]:
    """Environment of the Space and of the peer process: offline, the torch threads, --model if given."""
    env = {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "OMP_NUM_THREADS": str(opts.threads), "MKL_NUM_THREADS": str(opts.threads)}
    if opts.model and space in CASES:
        from shared import catalog, hub

        model = Path(opts.model)
        env[hub.env_var(catalog.get(space).tasks[0])] = str(model.resolve()) if model.exists() else opts.model
    return env


def client_setups(opts) -> list[tuple[str, Callable[[str], Any], tuple[int, ...]]]:
    """(name, url -> one client, concurrent client counts) for the Space rows."""
    import ssl

    import certifi

    context = ssl.create_default_context(cafile=certifi.where())  # built once, shared by every Client
    setups = [("plain HTTP", HttpAsk, tuple(opts.clients)),
              ("gradio_client, shared SSL context", lambda url: ClientAsk(url, context), tuple(opts.clients))]
    if not opts.quick:
        setups.append(("gradio_client, stock", ClientAsk, (1, max(opts.clients))))
    return setups


def space_rows(space: str, inputs: list[tuple], opts, setups, label: str = "Space") -> tuple[list[Row], dict]:
    """Start spaces/<space>/app.py and measure each client setup against it; also its top label per input."""
    rows, answers = [], {}
    with run_app(REPO / "spaces" / space, env=space_env(space, opts), timeout=180) as (url, _, proc):
        first = HttpAsk(url)
        for i, args in enumerate(inputs):  # one untimed pass: waits for the model (loaded in the background at
            answers[i] = top_label(first(args))  # start) and for first-use costs; keeps the answers to compare
        for name, make, counts in setups:
            asks = [make(url) for _ in range(max(counts))]
            asks[0](inputs[0])  # warm this setup's connection
            for n in counts:
                requests = max(opts.requests, n * opts.per_client)
                calls, done, usage = concurrent(asks[:n], inputs, requests, opts.seconds, proc.pid)
                who = "1 request at a time" if n == 1 else f"{n} concurrent clients"
                rows.append(Row(f"{label}, {name}, {who}", calls, done, usage.seconds, usage.cpu, usage.peak / 2**20))
                print(f"  {' | '.join(rows[-1].cells())}", flush=True)
    return rows, answers


def floor_row(opts, _measured: list[Row] = []) -> Row:  # noqa: B006  (measured once per run)
    """Gradio's own cost per request on this machine: the hello-world Space (no model), plain HTTP."""
    if not _measured:
        rows, _ = space_rows("hello-world", HELLO_INPUTS, opts, [("plain HTTP", HttpAsk, (1,))],
                             label="floor: hello-world Space (no model)")
        _measured.append(rows[0])
    return _measured[0]


def peer_process(space: str, opts, queue) -> None:
    """In a fresh process without Gradio: the task's own code and the pipeline peer on the case's inputs."""
    os.environ.update(space_env(space, opts))
    import torch

    torch.set_num_threads(opts.threads)
    case, task = CASES[space], task_module(space)
    inputs = case.inputs
    rows = []

    def measure(setup, call, batch):
        batches = [inputs[i:i + batch] for i in range(0, len(inputs) - batch + 1, batch)]
        for b in batches:  # warm-up: one untimed pass (first-use costs, e.g. the emoji table, stay out of the row)
            call(b)
        calls, items, usage = timed_loop(call, batches, opts.requests, opts.seconds)
        rows.append(Row(setup, calls, items, usage.seconds, usage.cpu, usage.peak / 2**20))
        print(f"  {' | '.join(rows[-1].cells())}", flush=True)

    with torch.inference_mode():
        if hasattr(task, "predict_batch"):  # one input per request, or a tuple of them (question, context)
            for b in dict.fromkeys((1, min(16, len(inputs)))):  # a case with fewer inputs: one batch of them all
                measure(f"task alone: `predict_batch` on batches of {b}", lambda xs: task.predict_batch(
                    [x[0] if len(x) == 1 else x for x in xs]), b)
        else:
            measure("task alone: `predict`, 1 input per call", lambda xs: [task.predict(*x) for x in xs], 1)
        from shared import modeling

        modeling.clear_cache()  # the peer: the same checkpoint in fp32, as `pipeline()` loads it
        os.environ[modeling.PRECISION_VARIABLE] = "fp32"
        peer = case.peer(task)
        labels = dict(enumerate(peer(inputs)))
        for b in case.peer_batches:
            measure(f"`transformers.pipeline()` peer, fp32, {'1 input per call' if b == 1 else f'batches of {b}'}",
                    peer, b)
    queue.put((rows, labels, torch.get_num_threads()))


def peer_rows(space: str, opts) -> tuple[list[Row], dict[int, str], int]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=peer_process, args=(space, opts, queue))
    proc.start()
    import queue as queues

    deadline = time.monotonic() + opts.seconds * 8 + 300
    try:
        while time.monotonic() < deadline:
            try:
                return queue.get(timeout=1)
            except queues.Empty:
                if not proc.is_alive():
                    raise RuntimeError(f"the peer process exited with {proc.exitcode}") from None
        raise TimeoutError("the peer process gave no result in time")
    finally:
        proc.join(30)
        if proc.is_alive():
            proc.terminate()


# ------------------------------------------------------------------------------------------- reporting

def versions() -> str:
    names = ["torch", "transformers", "sentence-transformers", "gradio", "gradio_client"]
    return ", ".join(f"{n} {version(n)}" for n in names) + f", Python {platform.python_version()}"


def table(space: str, rows: list[Row], agree: str, meta: dict) -> str:
    head = ["setup", "answers", "p50 ms", "p95 ms", "answers/s", "CPU %", "RSS MiB"]
    lines = [f"## {space}", "",
             f"{meta['date']}, {meta['cpu']} ({os.cpu_count()} CPUs), load average {meta['load_start']:.2f} at start "
             f"and {meta['load_end']:.2f} at the end; {meta['threads']} torch thread(s); {meta['versions']}.", "",
             f"    {meta['command']}", "",
             "| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    lines += ["", f"Top label, Space vs pipeline on the same inputs: {agree}. {CASES[space].note}", ""]
    lines += targets(rows)
    return "\n".join(lines)


def targets(rows: list[Row]) -> list[str]:
    """Issue 13's two figures against the fp32 pipeline loop: the busiest plain-HTTP row's throughput (>= 2x),
    and one visitor's HTTP p50 (<= the pipeline's p50 + 10 ms)."""
    http = [r for r in rows if r.setup.startswith("Space, plain HTTP") and r.calls]
    peer = next((r for r in rows if r.setup.startswith("`transformers.pipeline()` peer") and "1 input" in r.setup
                 and r.calls), None)
    if not http or peer is None:
        return []
    busiest, alone = http[-1], http[0]
    ratio = (busiest.items / busiest.seconds) / (peer.items / peer.seconds)
    p50, peer_p50 = 1000 * statistics.median(alone.calls), 1000 * statistics.median(peer.calls)
    return [f"Against the fp32 pipeline loop: {busiest.setup.removeprefix('Space, plain HTTP, ')} "
            f"{ratio:.2f}x its answers/s (target 2x: {'met' if ratio >= 2 else 'not met'}); one visitor's HTTP p50 "
            f"{p50:.0f} ms vs its p50 {peer_p50:.0f} ms + 10 ({'met' if p50 <= peer_p50 + 10 else 'not met'}).", ""]


PREAMBLE = """# Speed of the model Spaces

Written by `python benchmarks/speed.py --space <name>` (see its docstring). Per row: p50 / p95 of one call
(a request, or a batch for the batch rows), answers per second, and the CPU (% of one core) and peak RSS of the
process that serves: the Space's process for the Space rows, a fresh process holding only the task and the model
for the task and pipeline rows. The benchmark's own clients run on the same CPUs as the Space.

"""


def write_section(path: Path, space: str, section: str) -> None:
    """Replace `## <space>`'s section of the results file (or append it), keeping the others."""
    text = path.read_text() if path.exists() else PREAMBLE
    parts = text.split("\n## ")
    head, sections = parts[0], {p.split("\n", 1)[0].strip(): p for p in parts[1:]}
    sections[space] = section.removeprefix("## ").rstrip() + "\n"
    path.write_text(head.rstrip() + "\n\n" + "\n## ".join([""] + list(sections.values())).lstrip("\n"))


def run_case(space: str, opts) -> str:
    case = CASES[space]
    meta = {"date": datetime.date.today().isoformat(), "cpu": cpu_model(), "load_start": os.getloadavg()[0],
            "versions": versions(), "threads": opts.threads,
            "command": "python benchmarks/speed.py " + " ".join(map(shlex.quote, opts.argv))}
    print(f"\n{space}: {len(case.inputs)} inputs, {opts.threads} torch thread(s), load average "
          f"{meta['load_start']:.2f}", flush=True)
    rows, answers = space_rows(space, case.inputs, opts, client_setups(opts))
    rows.insert(len(opts.clients), floor_row(opts))  # after the plain-HTTP rows
    more, labels, meta["threads"] = peer_rows(space, opts)
    rows += more
    meta["load_end"] = os.getloadavg()[0]
    same = sum(answers[i] == labels[i] for i in answers)
    agree = f"{same} of {len(answers)} agree" + (f" (differ on inputs {sorted(i for i in answers if answers[i] != labels[i])})"
                                                   if same < len(answers) else "")
    section = table(space, rows, agree, meta)
    print("\n" + section, flush=True)
    if opts.results:
        write_section(Path(opts.results), space, section)
        print(f"written to {opts.results}", flush=True)
    return section


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--space", required=True, help=f"one of {', '.join(CASES)}, or all")
    parser.add_argument("--quick", action="store_true", help="a short run for a smoke check; prints only")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the Space and the peer (default 1: "
                        "on 2 shared CPUs, 2 OpenMP threads made a forward pass up to 30x slower)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--requests", type=int, help="requests per row at least (default 64; 12 with --quick)")
    parser.add_argument("--per-client", type=int, help="requests per concurrent client (default 16; 3 with --quick)")
    parser.add_argument("--seconds", type=float, help="time cap per row (default 60; 6 with --quick)")
    parser.add_argument("--model", help="checkpoint folder or Hub id for the Space and its peer (one --space only; "
                        "default: what shared.hub.resolve picks)")
    parser.add_argument("--results", help=f"markdown file to update (default {RESULTS.relative_to(REPO)}; "
                        "none with --quick)")
    opts = parser.parse_args(argv)
    opts.argv = list(sys.argv[1:] if argv is None else argv)
    opts.requests = opts.requests or (12 if opts.quick else 64)
    opts.per_client = opts.per_client or (3 if opts.quick else 16)
    opts.seconds = opts.seconds or (6.0 if opts.quick else 60.0)
    if opts.results is None and not opts.quick:
        opts.results = str(RESULTS)
    return opts


def main(argv=None) -> None:
    opts = parse(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    missing = [s for s in model_spaces() if s not in CASES]
    if opts.space == "all":
        if opts.model:
            raise SystemExit("--model needs one --space, not all")
        spaces = [s for s in model_spaces() if s in CASES]
        if missing:
            print(f"no benchmark case yet for {', '.join(missing)}: add a row to CASES in {__file__}", flush=True)
    elif opts.space in CASES:
        spaces = [opts.space]
    else:
        raise SystemExit(f"unknown Space '{opts.space}'; choose one of {', '.join(CASES)} or all")
    print(f"CPU: {cpu_model()} ({os.cpu_count()} CPUs); {versions()}", flush=True)
    failed = []
    for space in spaces:
        try:
            run_case(space, opts)
        except Exception as e:  # noqa: BLE001  (one Space failing does not stop the others)
            print(f"{space} failed: {type(e).__name__}: {str(e)[:2000]}", flush=True)
            failed.append(space)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
