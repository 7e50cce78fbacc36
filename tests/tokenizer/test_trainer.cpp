// `r1 tokenizer train`: the trained tokenizer.json is deterministic, loads
// here, and Hugging Face tokenizers (fixture tiny/expected.jsonl) gives the
// same ids and decodes for it.
#include "tokenizer/trainer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

using nlohmann::json;

const std::string kTiny = std::string(R1_FIXTURES) + "/tokenizer/tiny";

std::vector<std::string> corpus_texts() {
  std::vector<std::string> texts;
  auto in = open_input(kTiny + "/corpus.jsonl");
  for_each_line(*in, [&](int64_t, const std::string& line) {
    texts.push_back(json::parse(line)["text"].get<std::string>());
  });
  return texts;
}

TEST(Trainer, ReproducesTheFixtureFileExactly) {
  BpeTrainerOptions o;
  o.vocab_size = 600;
  EXPECT_EQ(train_bpe(corpus_texts(), o), read_file(kTiny + "/tokenizer.json"));
  EXPECT_EQ(trained_tokenizer_config(o), read_file(kTiny + "/tokenizer_config.json"));
}

TEST(Trainer, TrainedTokenizerEncodesLikeHuggingFace) {
  Tokenizer tok = Tokenizer::load(kTiny);
  EXPECT_EQ(tok.vocab_size(), 600);
  int n = 0;
  auto in = open_input(kTiny + "/expected.jsonl");
  for_each_line(*in, [&](int64_t, const std::string& line) {
    const json r = json::parse(line);
    const std::string text = r["text"];
    const auto ids = r["ids"].get<std::vector<int64_t>>();
    EXPECT_EQ(tok.encode(text), ids) << json(text).dump();
    EXPECT_EQ(tok.decode(ids), r["decoded"].get<std::string>());
    EXPECT_EQ(tok.decode(ids, true), r["decoded_skip"].get<std::string>());
    ++n;
  });
  EXPECT_GE(n, 300);
}

TEST(Trainer, HasTheTagsAndSpecialIdsTheDemoNeeds) {
  Tokenizer tok = Tokenizer::load(kTiny);
  for (const char* t : {"<think>", "</think>", "<answer>", "</answer>", "<|endoftext|>", "<|pad|>"})
    EXPECT_TRUE(tok.token_to_id(t).has_value()) << t;
  EXPECT_EQ(tok.special().eos_token, "<|endoftext|>");
  EXPECT_EQ(tok.special().eos_id, *tok.token_to_id("<|endoftext|>"));
  EXPECT_EQ(tok.special().pad_id, *tok.token_to_id("<|pad|>"));
  EXPECT_FALSE(tok.is_special(*tok.token_to_id("<think>")));
  const auto ids = tok.encode("<think>2+2=4</think> <answer>4</answer>");
  EXPECT_EQ(ids.front(), *tok.token_to_id("<think>"));
  EXPECT_EQ(ids.back(), *tok.token_to_id("</answer>"));
  // Its chat template is plain ChatML.
  EXPECT_EQ(ChatTemplate::of(tok).render({{"user", "hi", std::nullopt}}, ChatOptions()),
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(Trainer, SmallVocabularyStopsAtTheByteAlphabet) {
  BpeTrainerOptions o;
  o.vocab_size = 256 + 8;  // room for no merge at all
  Tokenizer tok = Tokenizer::from_json(train_bpe({"aaaa bbbb aaaa"}, o));
  EXPECT_EQ(tok.vocab_size(), 264);
  EXPECT_EQ(tok.encode("ab").size(), 2u);
  o.vocab_size = 100;
  EXPECT_THROW(train_bpe({"x"}, o), Error);
}

}  // namespace
}  // namespace r1
