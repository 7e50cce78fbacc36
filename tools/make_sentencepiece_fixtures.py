#!/usr/bin/env python3
"""Reference fixtures for SentencePiece-style BPE tokenizers (Llama 2,
Mistral, TinyLlama, Gemma: pieces of characters with U+2581 for a space and
<0xNN> byte-fallback tokens, no byte-level alphabet), made with Hugging Face
`tokenizers`.

A small vocabulary is trained on the tokenizer corpus, byte-fallback tokens
are added as transformers' Llama converter lays them out (<unk>, <s>, </s>,
<0x00>..<0xFF>, then the pieces), and the model is written in the layouts
transformers' converters produce (decoder Replace + ByteFallback + Fuse, then
Strip of one leading space where a space is prepended):
  legacy     normalizer Prepend + Replace, no pre-tokenizer (Llama 2, TinyLlama)
  metaspace  no normalizer, Metaspace pre-tokenizer with prepend_scheme
             "first" (legacy = false: Mistral v0.3, re-saved Llama 2)
  gemma      normalizer Replace only: nothing prepended, no Strip (Gemma)
  metaspace_split  Metaspace with prepend_scheme "always" and split = true
             (tokenizers' defaults: each U+2581 starts a piece)
Each directory gets tokenizer.json and expected.jsonl: per corpus string the
ids with and without BOS, and the decode of those ids, plain and
skip_special_tokens, plus decodes of random id runs.

The trainer breaks ties between equally frequent merges differently from run
to run, so a rerun rewrites every layout; each directory's tokenizer.json and
expected.jsonl always belong together.

  pip install tokenizers && python3 tools/make_sentencepiece_fixtures.py"""
import json
import os
import random
import sys

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

sys.path.insert(0, os.path.dirname(__file__))
from tokenizer_corpus import corpus  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "tokenizer", "sentencepiece")
SPACE = "\u2581"
SPECIALS = ["<unk>", "<s>", "</s>"]


def trained_pieces(texts):
    """Vocabulary and merges of a small BPE over SentencePiece-style pieces."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend(SPACE), normalizers.Replace(" ", SPACE)])
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIALS, limit_alphabet=120,
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer)
    model = json.loads(tok.to_str())["model"]
    return model["vocab"], model["merges"]


def llama_layout(vocab, merges):
    """<unk>, <s>, </s>, the 256 byte tokens, then the learned pieces in order."""
    order = SPECIALS + [f"<0x{b:02X}>" for b in range(256)]
    learned = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1]) if t not in SPECIALS]
    order += [t for t in learned if t not in order]
    return {t: i for i, t in enumerate(order)}, merges


def build(layout, vocab, merges):
    model = models.BPE(vocab=vocab, merges=[tuple(m) if isinstance(m, list) else tuple(m.split(" "))
                                            for m in merges],
                       unk_token="<unk>", byte_fallback=True, fuse_unk=True)
    tok = Tokenizer(model)
    tok.add_special_tokens(SPECIALS)
    chain = [decoders.Replace(SPACE, " "), decoders.ByteFallback(), decoders.Fuse()]
    if layout == "legacy":
        tok.normalizer = normalizers.Sequence([normalizers.Prepend(SPACE),
                                               normalizers.Replace(" ", SPACE)])
    elif layout == "metaspace":
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=SPACE, prepend_scheme="first",
                                                     split=False)
    elif layout == "metaspace_split":
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=SPACE, prepend_scheme="always",
                                                     split=True)
    else:
        tok.normalizer = normalizers.Replace(" ", SPACE)
    tok.decoder = decoders.Sequence(chain + ([] if layout == "gemma" else [decoders.Strip(" ", 1, 0)]))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", 1)])
    return tok


def main():
    texts = corpus()
    vocab, merges = llama_layout(*trained_pieces(texts))
    rng = random.Random(7)
    extra = ["<s>[INST] Hi there [/INST] Hello</s>", "a<s>b", "  two leading", "\u2581already",
             "tab\tand\nnewline", "emoji \U0001F600 and \U0001F9EA"]
    for layout in ("legacy", "metaspace", "gemma", "metaspace_split"):
        tok = build(layout, vocab, merges)
        d = os.path.join(OUT, layout)
        os.makedirs(d, exist_ok=True)
        tok.save(os.path.join(d, "tokenizer.json"))
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            json.dump({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                       "tokenizer_class": "LlamaTokenizerFast"}, f, indent=1)
        n = 0
        with open(os.path.join(d, "expected.jsonl"), "w", encoding="utf-8") as f:
            for text in texts + extra:
                plain = tok.encode(text, add_special_tokens=False).ids
                with_bos = tok.encode(text).ids
                f.write(json.dumps({"text": text, "ids": plain, "ids_with_special": with_bos,
                                    "decoded": tok.decode(with_bos, skip_special_tokens=False),
                                    "decoded_skip": tok.decode(with_bos, skip_special_tokens=True)},
                                   ensure_ascii=False) + "\n")
                n += 1
            size = tok.get_vocab_size()
            for _ in range(100):
                ids = [rng.randrange(size) for _ in range(rng.randint(1, 12))]
                f.write(json.dumps({"random_ids": ids,
                                    "decoded": tok.decode(ids, skip_special_tokens=False),
                                    "decoded_skip": tok.decode(ids, skip_special_tokens=True)},
                                   ensure_ascii=False) + "\n")
                n += 1
        print(f"{layout}: {tok.get_vocab_size()} tokens, {n} rows in {d}")


if __name__ == "__main__":
    main()
