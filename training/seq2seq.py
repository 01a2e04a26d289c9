"""Pieces shared by the text-to-text training scripts (translation, summarization): their options, a subword
tokenizer trained here on the task's own text, a small MarianMT built from a config (the course's seq2seq
architecture, random weights) or a pretrained seq2seq model, a LoRA of a causal LM for the chat-template route,
and the `Seq2SeqTrainer` run with its --smoke check.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from shared import hub
from training import classification, common

SCRATCH = "scratch"  # --model value: a small Marian from random weights, with a tokenizer trained on the data

SPECIAL = ["<pad>", "</s>", "<unk>"]  # ids 0, 1, 2: Marian's pad (= decoder start), end of sequence, unknown
SMALL_MARIAN = {"d_model": 256, "encoder_layers": 3, "decoder_layers": 3, "encoder_attention_heads": 4,
                "decoder_attention_heads": 4, "encoder_ffn_dim": 1024, "decoder_ffn_dim": 1024,
                "max_position_embeddings": 256, "dropout": 0.1, "attention_dropout": 0.0, "activation_dropout": 0.0}
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def train_tokenizer(texts, vocab_size: int = 8000):
    """A cased BPE tokenizer over `texts` (both languages), SentencePiece-style ("▁" marks a word start; no
    normalisation, so accents, non-breaking spaces and `&` accelerators survive) -> PreTrainedTokenizerFast
    that appends </s> to every sequence, as Marian's tokenizer does."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, min_frequency=2,
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A $B </s>",
                                                       special_tokens=[("</s>", tok.token_to_id("</s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=512)


def small_marian(tokenizer, **overrides):
    """A randomly initialised MarianMTModel sized for a CPU (SMALL_MARIAN; about 9M parameters with an 8k
    vocabulary), its embeddings shared by encoder, decoder and output layer."""
    from transformers import MarianConfig, MarianMTModel

    config = MarianConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                          eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.pad_token_id,
                          forced_eos_token_id=tokenizer.eos_token_id, decoder_vocab_size=len(tokenizer),
                          share_encoder_decoder_embeddings=True, tie_word_embeddings=True, scale_embedding=True,
                          **{**SMALL_MARIAN, **overrides})
    return MarianMTModel(config)


def causal_lm_lora(model_id: str, *, r: int = 16, alpha: int | None = None, dropout: float = 0.05):
    """(peft model, tokenizer): `model_id` (the packaged copy when there is one) with LoRA on every linear layer
    of its blocks; the tokenizer pads on the right for training."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from shared import hub

    path = hub.base_model_path(model_id)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    net = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, use_safetensors=True)
    config = LoraConfig(r=r, lora_alpha=alpha or 2 * r, lora_dropout=dropout, target_modules=LORA_TARGETS,
                        task_type="CAUSAL_LM")
    return get_peft_model(net, config), tokenizer


# ------------------------------------------------------------------------------------------ a script's run

def add_args(parser: argparse.ArgumentParser, *, vocab_size: int = 8000, save_steps: int = 500):
    g = parser.add_argument_group("text-to-text options")
    g.add_argument("--arch", choices=["marian", "lora"], default="marian",
                   help="marian: seq2seq (from scratch with --model scratch, else fine-tune --model); "
                        "lora: LoRA of a causal LM (default SmolLM2-135M-Instruct) on its chat template")
    g.add_argument("--vocab-size", type=int, default=vocab_size, help="BPE vocabulary trained for --model scratch")
    g.add_argument("--lora-r", type=int, default=16)
    g.add_argument("--max-train", type=int, default=None, help="train on a seeded sample of N examples")
    g.add_argument("--max-eval", type=int, default=None, help="score only the first N examples of each test set")
    g.add_argument("--save-steps", type=int, default=save_steps, help="checkpoint every N steps (a few minutes)")
    g.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    g.add_argument("--no-cpu-bf16", dest="cpu_bf16", action="store_false",
                   help="train in fp32 even on a CPU with native bf16")
    return parser


def build_model(args, texts: list[str]):
    """(model, tokenizer, base model name) for --arch/--model; `texts` train the tokenizer of --model scratch
    (saved in OUTPUT_DIR/tokenizer, and read back with --resume and by the other processes)."""
    if args.arch == "lora":
        model_id = hub.SMOLLM2 if args.model == SCRATCH else args.model
        net, tokenizer = causal_lm_lora(model_id, r=args.lora_r)
        return net, tokenizer, model_id
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    if args.model != SCRATCH:
        path = hub.base_model_path(args.model)
        return (AutoModelForSeq2SeqLM.from_pretrained(path, use_safetensors=True),
                AutoTokenizer.from_pretrained(path), args.model)
    saved = Path(args.output_dir) / "tokenizer"

    def build():
        if args.resume and (saved / "tokenizer.json").is_file():
            return AutoTokenizer.from_pretrained(saved)
        tokenizer = train_tokenizer(texts, vocab_size=min(args.vocab_size, 400) if args.smoke else args.vocab_size)
        tokenizer.save_pretrained(saved)
        return tokenizer

    tokenizer = common.built_by_main(build, lambda: AutoTokenizer.from_pretrained(saved))  # one tokenizer for all
    return small_marian(tokenizer), tokenizer, "marian-from-scratch"


def train(args, model, tokenizer, train_set, validation, *, label_smoothing: float = 0.1):
    """The Seq2SeqTrainer run (DataCollatorForSeq2Seq, linear decay, 4% warm-up, grouped by length, eval loss
    per epoch, a checkpoint every --save-steps); --smoke overfits one batch and fails unless its loss halves.
    Returns (trainer, [loss before, loss after] for --smoke else None, settings)."""
    from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainer, Seq2SeqTrainingArguments

    dev = classification.settings(args)
    smoke = args.smoke
    targs = Seq2SeqTrainingArguments(
        output_dir=str(common.checkpoints_dir(args.output_dir)),
        num_train_epochs=common.SMOKE_STEPS if smoke else args.epochs,
        learning_rate=common.SMOKE_LR if smoke else args.lr,
        per_device_train_batch_size=common.per_process_batch(min(args.batch_size, len(train_set))),
        per_device_eval_batch_size=64,
        train_sampling_strategy="random" if smoke else "group_by_length",
        lr_scheduler_type="constant" if smoke else "linear", warmup_steps=0 if smoke else 0.04,
        weight_decay=0.0 if smoke else 0.01, label_smoothing_factor=0.0 if smoke else label_smoothing,
        eval_strategy="no" if smoke else "epoch", logging_steps=1 if smoke else 50, logging_first_step=True,
        save_strategy="no" if smoke else "steps", save_steps=args.save_steps, save_total_limit=2,
        **common.trainer_options(args, dev))
    trainer = Seq2SeqTrainer(model=model, args=targs, train_dataset=train_set, eval_dataset=validation,
                             data_collator=DataCollatorForSeq2Seq(tokenizer, model), processing_class=tokenizer)
    if smoke:
        before = trainer.evaluate(train_set)["eval_loss"]
        trainer.train()
        after = trainer.evaluate(train_set)["eval_loss"]
        common.check_smoke(before, after, len(train_set), trainer.state.global_step)
        return trainer, [before, after], dev
    trainer.train(resume_from_checkpoint=common.resume_checkpoint(args))
    return trainer, None, dev


def preflight(args, model, tokenizer, train_set, *, max_length: int) -> dict:
    from transformers import DataCollatorForSeq2Seq

    return classification.preflight(model, tokenizer, train_set, num_labels=model.config.vocab_size,
                                    max_length=max_length, label_columns=("labels",),
                                    collator=DataCollatorForSeq2Seq(tokenizer, model))


def parameters(model) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)
