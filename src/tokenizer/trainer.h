// Byte-level BPE training for tiny models (the embedded demo and tests): the
// vocabulary is the 256 bytes, then the most frequent adjacent pairs merged
// one at a time, then special tokens. The result is a standard tokenizer.json
// (Qwen-style pre-tokenizer: digits one by one) that Hugging Face `tokenizers`
// loads and encodes identically.
#pragma once

#include <string>
#include <vector>

namespace r1 {

struct BpeTrainerOptions {
  int vocab_size = 512;   // bytes + merges + special tokens (at most)
  int min_frequency = 2;  // a pair seen fewer times is never merged
  // Added tokens, after the merges, in this order. "special" ones are
  // skipped by decode(skip_special_tokens); the think/answer tags are content.
  std::vector<std::string> special_tokens = {"<|endoftext|>", "<|pad|>", "<|im_start|>",
                                             "<|im_end|>"};
  std::vector<std::string> content_tokens = {"<think>", "</think>", "<answer>", "</answer>"};
};

// Trains on `texts` and returns tokenizer.json text. Throws Error if the
// options cannot fit (vocab_size below bytes + added tokens).
std::string train_bpe(const std::vector<std::string>& texts, const BpeTrainerOptions& options);

// tokenizer_config.json for a trained tokenizer: eos <|endoftext|>, pad
// <|pad|>, no BOS, and a ChatML chat template when <|im_start|>/<|im_end|> exist.
std::string trained_tokenizer_config(const BpeTrainerOptions& options);

}  // namespace r1
