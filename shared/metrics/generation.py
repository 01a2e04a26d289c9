"""Scores of generated text: sacreBLEU (translation) and ROUGE (summarization), from their reference packages.

`evaluate` 0.4 ships no metric scripts, so these call `sacrebleu` and `rouge_score` directly, with the settings
the `evaluate` metrics use: corpus BLEU with sacreBLEU's default 13a tokenizer (one reference per sentence),
ROUGE-1/2/L F-measures averaged over examples, with the Porter stemmer (English) or without it (other
languages: the stemmer is English-only). rouge_score's own tokenizer keeps only [a-z0-9], which would cut
French words at every accent ("résumé" -> "r", "sum"); other languages get `UnicodeTokenizer` (lower case,
Unicode word characters). Scores are 0-100, as the course reports them.
"""

from __future__ import annotations

import re


class UnicodeTokenizer:
    """rouge_score tokenizer for any language: lower-cased runs of Unicode word characters."""

    def tokenize(self, text: str) -> list[str]:
        return re.findall(r"[^\W_]+", text.lower())


def bleu(predictions: list[str], references: list[str]) -> dict:
    """{"bleu", "precisions", "brevity_penalty", "sys_len", "ref_len"} of sacreBLEU's corpus BLEU."""
    import sacrebleu

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references.")
    result = sacrebleu.corpus_bleu(predictions, [references])
    return {"bleu": result.score, "precisions": list(result.precisions), "brevity_penalty": result.bp,
            "sys_len": result.sys_len, "ref_len": result.ref_len}


def rouge(predictions: list[str], references: list[str], *, language: str = "en") -> dict:
    """{"rouge1", "rouge2", "rougeL"}: mean F-measures x 100 (`rouge_score`, one reference per example);
    English with rouge_score's tokenizer and Porter stemmer, any other language with `UnicodeTokenizer`."""
    from rouge_score import rouge_scorer

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references.")
    keys = ("rouge1", "rouge2", "rougeL")
    if language == "en":
        scorer = rouge_scorer.RougeScorer(list(keys), use_stemmer=True)
    else:
        scorer = rouge_scorer.RougeScorer(list(keys), tokenizer=UnicodeTokenizer())
    totals = dict.fromkeys(keys, 0.0)
    for prediction, reference in zip(predictions, references):
        scores = scorer.score(reference, prediction)
        for k in keys:
            totals[k] += scores[k].fmeasure
    n = max(len(predictions), 1)
    return {k: 100 * v / n for k, v in totals.items()}
