// The tokenizer against Hugging Face `tokenizers` (fixtures made by
// tools/make_tokenizer_fixtures.py): every id of the real Qwen3 tokenizer on a
// varied corpus, other real-world pipelines on the same vocabulary, decodes,
// streaming decode, special ids, and clear errors for malformed files.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "../test_helpers.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {
namespace {

using nlohmann::json;

const std::string kQwen3 = std::string(R1_SHARED) + "/tokenizers/qwen3";
const std::string kFixtures = std::string(R1_FIXTURES) + "/tokenizer";

const Tokenizer& qwen3() {
  static const Tokenizer tok = Tokenizer::load(kQwen3);
  return tok;
}

std::vector<json> read_jsonl(const std::string& path) {
  std::vector<json> rows;
  auto in = open_input(path);
  for_each_line(*in, [&](int64_t, const std::string& line) { rows.push_back(json::parse(line)); });
  return rows;
}

std::vector<int64_t> ids_of(const json& j) {
  return j.get<std::vector<int64_t>>();
}

std::string show(const std::string& s) {
  return json(s).dump();
}

TEST(Qwen3, EncodesCorpusLikeHuggingFace) {
  const auto rows = read_jsonl(kFixtures + "/qwen3_corpus.jsonl");
  ASSERT_GE(rows.size(), 300u);
  int mismatches = 0;
  for (const auto& r : rows) {
    const std::string text = r["text"];
    EXPECT_EQ(qwen3().encode(text), ids_of(r["ids"])) << "text: " << show(text);
    EXPECT_EQ(qwen3().encode(text, true), ids_of(r["ids_special"])) << "text: " << show(text);
    EXPECT_EQ(qwen3().encode(text, false, true), ids_of(r["ids_split_special"]))
        << "text: " << show(text);
    if (qwen3().encode(text) != ids_of(r["ids"])) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(Qwen3, DecodesCorpusLikeHuggingFaceAndRoundTrips) {
  for (const auto& r : read_jsonl(kFixtures + "/qwen3_corpus.jsonl")) {
    const auto ids = ids_of(r["ids"]);
    EXPECT_EQ(qwen3().decode(ids), r["decoded"].get<std::string>());
    EXPECT_EQ(qwen3().decode(ids, true), r["decoded_skip"].get<std::string>());
    // Byte-exact round trip (NFC-normalized text, which is what was encoded).
    if (r["text"] == r["decoded"]) {
      EXPECT_EQ(qwen3().encode(qwen3().decode(ids)), ids);
    }
  }
}

TEST(Qwen3, DecodesRandomIdsLikeHuggingFace) {
  for (const auto& r : read_jsonl(kFixtures + "/qwen3_decode.jsonl")) {
    const auto ids = ids_of(r["ids"]);
    EXPECT_EQ(qwen3().decode(ids), r["text"].get<std::string>()) << r["ids"].dump();
    EXPECT_EQ(qwen3().decode(ids, true), r["text_skip"].get<std::string>()) << r["ids"].dump();
  }
}

TEST(Qwen3, StreamingDecodeNeverSplitsACharacter) {
  std::vector<json> cases = read_jsonl(kFixtures + "/qwen3_decode.jsonl");
  for (const auto& r : read_jsonl(kFixtures + "/qwen3_corpus.jsonl")) cases.push_back(r);
  for (const auto& r : cases) {
    const auto ids = ids_of(r["ids"]);
    for (bool skip : {false, true}) {
      StreamDecoder stream(qwen3(), skip);
      std::string all;
      for (int64_t id : ids) {
        std::string piece = stream.put(id);
        // Every emitted piece is complete UTF-8 on its own.
        EXPECT_EQ(qwen3().decode(qwen3().encode(piece)), piece);
        all += piece;
      }
      all += stream.finish();
      EXPECT_EQ(all, qwen3().decode(ids, skip)) << r["ids"].dump();
    }
  }
}

TEST(Qwen3, StreamingHoldsBackPartialCharacters) {
  // "你" is 3 bytes; byte-level tokens for single bytes give partial chars.
  const std::string text = "你";
  std::vector<int64_t> byte_ids;
  for (unsigned char c : text) {
    std::string bytes(1, static_cast<char>(c));
    // Find the token whose bytes are exactly this one byte.
    for (int64_t id = 0; id < 512; ++id)
      if (qwen3().token_bytes(id) == bytes) {
        byte_ids.push_back(id);
        break;
      }
  }
  ASSERT_EQ(byte_ids.size(), 3u);
  StreamDecoder stream(qwen3());
  EXPECT_EQ(stream.put(byte_ids[0]), "");
  EXPECT_EQ(stream.put(byte_ids[1]), "");
  EXPECT_EQ(stream.put(byte_ids[2]), "你");
  EXPECT_EQ(stream.put(byte_ids[0]), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");
}

TEST(Qwen3, SpecialIdsComeFromTheConfigFiles) {
  const SpecialTokens& s = qwen3().special();
  EXPECT_EQ(s.bos_id, -1);  // Qwen has no BOS
  EXPECT_EQ(s.eos_id, 151645);
  EXPECT_EQ(s.eos_token, "<|im_end|>");
  EXPECT_EQ(s.pad_id, 151643);
  EXPECT_EQ(s.pad_token, "<|endoftext|>");
  EXPECT_EQ(qwen3().vocab_size(), 151669);
  EXPECT_TRUE(qwen3().is_special(151645));
  EXPECT_FALSE(qwen3().is_special(151667));  // <think> is added but not special
  EXPECT_EQ(qwen3().token_to_id("<think>"), 151667);
  EXPECT_EQ(qwen3().id_to_token(151667), "<think>");
  EXPECT_EQ(qwen3().token_to_id("Ġthe"), 279);
  EXPECT_FALSE(qwen3().token_to_id("no such token").has_value());
  EXPECT_FALSE(qwen3().chat_template().empty());
}

TEST(Qwen3, ModelDirectoryAddsGenerationConfigEosIds) {
  test::TempDir dir;
  std::filesystem::copy_file(kQwen3 + "/tokenizer.json", dir.file("tokenizer.json"));
  std::filesystem::copy_file(kQwen3 + "/tokenizer_config.json", dir.file("tokenizer_config.json"));
  std::ofstream(dir.file("generation_config.json")) << R"({"eos_token_id": [151645, 151643]})";
  std::ofstream(dir.file("config.json")) << R"({"bos_token_id": 151643, "eos_token_id": 151645})";
  Tokenizer tok = Tokenizer::load(dir.path);
  EXPECT_EQ(tok.special().eos_ids, (std::vector<int64_t>{151645, 151643}));
  EXPECT_EQ(tok.special().bos_id, 151643);  // from config.json: tokenizer_config has none
  // A tokenizer.json path works as well as its directory.
  EXPECT_EQ(Tokenizer::load(dir.file("tokenizer.json")).special().eos_ids.size(), 2u);
}

TEST(Qwen3, BatchEncodeMatchesSingleEncode) {
  std::vector<std::string> texts;
  for (const auto& r : read_jsonl(kFixtures + "/qwen3_corpus.jsonl")) texts.push_back(r["text"]);
  const auto batch = qwen3().encode_batch(texts, false, 3);
  ASSERT_EQ(batch.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batch[i], qwen3().encode(texts[i]));
}

TEST(Qwen3, InvalidUtf8IsRepairedBeforeEncoding) {
  EXPECT_EQ(qwen3().encode("a\xFF"
                           "b"),
            qwen3().encode("a\xEF\xBF\xBD"
                           "b"));
  EXPECT_EQ(qwen3().encode("\xE4\xBD"), qwen3().encode("\xEF\xBF\xBD"));
}

TEST(Qwen3, VeryLongWordsStayFastAndRoundTrip) {
  // One 200k-letter "word": the heap merge is O(n log n), not O(n^2).
  std::string word;
  for (int i = 0; i < 200000; ++i) word += static_cast<char>('a' + (i * 7 + i / 13) % 26);
  const auto ids = qwen3().encode(word);
  EXPECT_LT(ids.size(), word.size());
  EXPECT_EQ(qwen3().decode(ids), word);
}

// Other pipelines (Llama 3, DeepSeek-V3, GPT-2, added-token flags, Split
// behaviours, normalizers) applied to the Qwen3 vocabulary.
const json& qwen3_json() {
  static const json j = json::parse(read_file(kQwen3 + "/tokenizer.json"));
  return j;
}

Tokenizer variant(const json& overrides) {
  json j = qwen3_json();
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    const std::string key = it.key();
    if (key.rfind("model.", 0) == 0)
      j["model"][key.substr(6)] = it.value();
    else
      j[key] = it.value();
  }
  return Tokenizer::from_json(j.dump());
}

TEST(Variants, EncodeLikeHuggingFace) {
  const json all = json::parse(read_file(kFixtures + "/variants.json"));
  ASSERT_GE(all.size(), 6u);
  for (const auto& v : all) {
    SCOPED_TRACE(v["name"].get<std::string>());
    Tokenizer tok = variant(v["overrides"]);
    int mismatches = 0;
    for (const auto& c : v["cases"]) {
      const std::string text = c["text"];
      const auto got = tok.encode(text), got_special = tok.encode(text, true);
      EXPECT_EQ(got, ids_of(c["ids"])) << "text: " << show(text);
      EXPECT_EQ(got_special, ids_of(c["ids_special"])) << "text: " << show(text);
      EXPECT_EQ(tok.encode(text, false, true), ids_of(c["ids_split_special"])) << show(text);
      EXPECT_EQ(tok.decode(ids_of(c["ids"])), c["decoded"].get<std::string>()) << show(text);
      EXPECT_EQ(tok.decode(ids_of(c["ids"]), true), c["decoded_skip"].get<std::string>())
          << show(text);
      mismatches += got != ids_of(c["ids"]);
      if (mismatches > 5) break;
    }
  }
}

TEST(Variants, MergesAsStringsEqualMergesAsPairs) {
  // Older files write merges as "a b"; the ids must not change.
  json merges = json::array();
  for (const auto& m : qwen3_json()["model"]["merges"])
    merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
  Tokenizer tok = variant(json{{"model.merges", merges}});
  for (const auto& r : read_jsonl(kFixtures + "/qwen3_corpus.jsonl"))
    EXPECT_EQ(tok.encode(r["text"].get<std::string>()), ids_of(r["ids"]));
}

TEST(Variants, RandomTextRoundTripsByteExact) {
  // Without a normalizer, byte-level BPE must give back every valid UTF-8 text.
  Tokenizer tok = variant(json{{"normalizer", nullptr}});
  std::mt19937 rng(42);
  const std::vector<std::pair<uint32_t, uint32_t>> ranges = {
      {0x09, 0x0D},       {0x20, 0x7E},     {0xA0, 0x2FF},      {0x300, 0x36F},
      {0x400, 0x4FF},     {0x600, 0x6FF},   {0x2000, 0x206F},   {0x3000, 0x30FF},
      {0x4E00, 0x9FFF},   {0xAC00, 0xD7A3}, {0x1F300, 0x1FAFF}, {0xE0000, 0xE007F},
      {0x10000, 0x10FFFF}};
  const std::vector<std::string> specials = {"<|im_start|>", "<|im_end|>", "<think>",
                                             "<|endoftext|>"};
  for (int n = 0; n < 1000; ++n) {
    std::string text;
    const int len = static_cast<int>(rng() % 40);
    for (int k = 0; k < len; ++k) {
      if (rng() % 25 == 0) {
        text += specials[rng() % specials.size()];
        continue;
      }
      const auto& r = ranges[rng() % ranges.size()];
      uint32_t cp = r.first + rng() % (r.second - r.first + 1);
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
      std::string ch;
      if (cp < 0x80)
        ch = std::string(1, static_cast<char>(cp));
      else if (cp < 0x800)
        ch = {char(0xC0 | (cp >> 6)), char(0x80 | (cp & 0x3F))};
      else if (cp < 0x10000)
        ch = {char(0xE0 | (cp >> 12)), char(0x80 | ((cp >> 6) & 0x3F)), char(0x80 | (cp & 0x3F))};
      else
        ch = {char(0xF0 | (cp >> 18)), char(0x80 | ((cp >> 12) & 0x3F)),
              char(0x80 | ((cp >> 6) & 0x3F)), char(0x80 | (cp & 0x3F))};
      text += ch;
    }
    const auto ids = tok.encode(text);
    ASSERT_EQ(tok.decode(ids), text) << show(text);
    StreamDecoder stream(tok);
    std::string streamed;
    for (int64_t id : ids) streamed += stream.put(id);
    streamed += stream.finish();
    ASSERT_EQ(streamed, text) << show(text);
  }
}

// Malformed files: each gives an Error whose message names the problem.
std::string load_error(const std::string& text) {
  try {
    Tokenizer::from_json(text, "", "bad/tokenizer.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string with(const std::function<void(json&)>& edit) {
  json j = json::parse(R"({
    "added_tokens": [],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "post_processor": null,
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}
  })");
  edit(j);
  return j.dump();
}

TEST(Malformed, AMinimalFileLoads) {
  Tokenizer tok = Tokenizer::from_json(with([](json&) {}));
  EXPECT_EQ(tok.encode("abab"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(tok.encode("ba"), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(tok.decode({2, 1}), "abb");
}

TEST(Malformed, ErrorsNameTheProblem) {
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos;
  };
  std::string e = load_error("{\"model\": ");
  EXPECT_TRUE(has(e, "bad/tokenizer.json: not valid JSON")) << e;
  e = load_error("[1, 2]");
  EXPECT_TRUE(has(e, "expected a JSON object")) << e;
  e = load_error(with([](json& j) { j.erase("model"); }));
  EXPECT_TRUE(has(e, "no \"model\" section")) << e;
  e = load_error(with([](json& j) { j["pre_tokenizer"] = {{"type", "Metaspace"}}; }));
  EXPECT_TRUE(has(e, "decoder is ByteLevel but the pre_tokenizer is not")) << e;
  e = load_error(with([](json& j) {
    j["pre_tokenizer"] = {{"type", "Metaspace"}, {"prepend_scheme", "sometimes"}};
  }));
  EXPECT_TRUE(has(e, "unknown Metaspace prepend_scheme \"sometimes\"")) << e;
  e = load_error(with([](json& j) {
    j["pre_tokenizer"] = {{"type", "Sequence"},
                          {"pretokenizers", {{{"type", "Digits"}}, {{"type", "Metaspace"}}}}};
  }));
  EXPECT_TRUE(has(e, "Metaspace must be the only pre-tokenizer")) << e;
  auto decoder_error = [&](const json& decoders) {
    return load_error(with([&](json& j) {
      j["pre_tokenizer"] = {{"type", "Metaspace"}};
      j["decoder"] = {{"type", "Sequence"}, {"decoders", decoders}};
    }));
  };
  e = decoder_error({{{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}});
  EXPECT_TRUE(has(e, "Strip before Fuse (per token) is not supported")) << e;
  e = decoder_error({{{"type", "Fuse"}}, {{"type", "ByteFallback"}}});
  EXPECT_TRUE(has(e, "ByteFallback after Fuse is not supported")) << e;
  e = decoder_error({{{"type", "Fuse"}}, {{"type", "Strip"}, {"content", " "}, {"stop", 1}}});
  EXPECT_TRUE(has(e, "Strip with stop > 0 is not supported")) << e;
  e = decoder_error({{{"type", "Replace"}, {"pattern", {{"Regex", "\\s"}}}, {"content", " "}}});
  EXPECT_TRUE(has(e, "Replace supports a String pattern")) << e;
  e = load_error(with([](json& j) {
    j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "WhitespaceSplit"}}}}};
  }));
  EXPECT_TRUE(has(e, "pre_tokenizer.pretokenizers[0]: unsupported pre-tokenizer type")) << e;
  e = load_error(with([](json& j) { j["model"]["merges"] = {"a c"}; }));
  EXPECT_TRUE(has(e, "merge 0 (\"a\", \"c\") refers to \"c\", which is not in the vocabulary"))
      << e;
  e = load_error(with([](json& j) {
    j["model"]["merges"] = json::array({json::array({"b", "a"})});
  }));
  EXPECT_TRUE(has(e, "makes \"ba\", which is not in the vocabulary")) << e;
  e = load_error(with([](json& j) { j["model"]["merges"] = {"a b c"}; }));
  EXPECT_TRUE(has(e, "not two tokens separated by one space")) << e;
  e = load_error(with([](json& j) { j["model"]["type"] = "WordPiece"; }));
  EXPECT_TRUE(has(e, "unsupported model type \"WordPiece\"")) << e;
  e = load_error(with([](json& j) { j["model"].erase("vocab"); }));
  EXPECT_TRUE(has(e, "no \"vocab\"")) << e;
  e = load_error(with([](json& j) { j["normalizer"] = {{"type", "BertNormalizer"}}; }));
  EXPECT_TRUE(has(e, "unsupported normalizer type \"BertNormalizer\"")) << e;
  e = load_error(with([](json& j) { j["decoder"] = {{"type", "WordPiece"}}; }));
  EXPECT_TRUE(has(e, "unsupported decoder type \"WordPiece\"")) << e;
  e = load_error(with([](json& j) { j["post_processor"] = {{"type", "Weird"}}; }));
  EXPECT_TRUE(has(e, "unsupported post-processor type \"Weird\"")) << e;
  e = load_error(with([](json& j) {
    j["pre_tokenizer"] = {
        {"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  }));
  EXPECT_TRUE(has(e, "does not compile")) << e;
  e = load_error(with([](json& j) {
    j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "a"}}}, {"behavior", "Bogus"}};
  }));
  EXPECT_TRUE(has(e, "unknown split behavior 'Bogus'")) << e;
  e = load_error(with([](json& j) { j["model"]["vocab"]["c"] = "x"; }));
  EXPECT_TRUE(has(e, "non-integer id")) << e;
}

TEST(Malformed, RandomlyDamagedFilesGiveErrorsNotCrashes) {
  // Replace random values anywhere in a small real tokenizer.json by values of
  // other types: loading must succeed or throw r1::Error, nothing else.
  const json base = json::parse(read_file(kFixtures + "/tiny/tokenizer.json"));
  std::mt19937 rng(7);
  const std::vector<json> junk = {nullptr,
                                  -1,
                                  0,
                                  1 << 30,
                                  1.5,
                                  "",
                                  "x",
                                  "Ġ",
                                  json::array(),
                                  json::object(),
                                  true,
                                  json::array({1, 2}),
                                  json::object({{"type", "Sequence"}})};
  int errors = 0;
  for (int n = 0; n < 300; ++n) {
    json j = base;
    json::json_pointer at("");
    json* node = &j;
    for (int depth = 0; depth < 6 && (node->is_object() || node->is_array()) && !node->empty();
         ++depth) {
      auto it = node->begin();
      std::advance(it, rng() % std::min<size_t>(node->size(), 40));
      node = &*it;
      if (rng() % 3 == 0) break;
    }
    *node = junk[rng() % junk.size()];
    try {
      Tokenizer tok = Tokenizer::from_json(j.dump());
      tok.decode(tok.encode("Hello <think>12 + 3</think>"));
    } catch (const Error&) {
      ++errors;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not an r1::Error: " << e.what() << "\n" << j.dump().substr(0, 300);
    }
  }
  EXPECT_GT(errors, 50);
}

TEST(Malformed, MissingFilesAreNamed) {
  test::TempDir dir;
  try {
    Tokenizer::load(dir.path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no tokenizer.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tokenizer::load(dir.file("missing.json")), Error);
}

}  // namespace
}  // namespace r1

namespace r1 {
namespace {

// A model's LM head is padded past the tokenizer (Qwen: 151,936 rows, 151,669
// tokens). HF tokenizers decode such ids to nothing; so do decode and the
// streaming decoder, so a sampled padding row never stops a run.
// SentencePiece-style BPE (U+2581 for a space, <0xNN> byte fallback, no
// byte-level alphabet) in the three layouts transformers' converters write
// (tools/make_sentencepiece_fixtures.py): Llama 2's Prepend + Replace
// normalizer, Mistral v0.3's Metaspace "first", Gemma's bare Replace, and
// Metaspace's own defaults ("always", split at each U+2581); each
// with its decoder chain. Ids and decodes against Hugging Face tokenizers,
// and the streaming decoder against decode().
class SentencePiece : public ::testing::TestWithParam<const char*> {};

TEST_P(SentencePiece, EncodesAndDecodesLikeHuggingFace) {
  const std::string dir = kFixtures + "/sentencepiece/" + GetParam();
  const Tokenizer tok = Tokenizer::load(dir);
  EXPECT_EQ(tok.special().bos_id, 1);
  EXPECT_EQ(tok.special().eos_id, 2);
  int texts = 0, decodes = 0;
  auto streamed = [&](const std::vector<int64_t>& ids, bool skip) {
    StreamDecoder stream(tok, skip);
    std::string text;
    for (int64_t id : ids) text += stream.put(id);
    return text + stream.finish();
  };
  for (const auto& r : read_jsonl(dir + "/expected.jsonl")) {
    std::vector<int64_t> ids;
    if (r.contains("text")) {
      const std::string text = r["text"];
      EXPECT_EQ(tok.encode(text), ids_of(r["ids"])) << "text: " << show(text);
      ids = ids_of(r["ids_with_special"]);
      EXPECT_EQ(tok.encode(text, true), ids) << "text: " << show(text);
      ++texts;
    } else {
      ids = ids_of(r["random_ids"]);
      ++decodes;
    }
    EXPECT_EQ(tok.decode(ids), r["decoded"].get<std::string>()) << r.dump();
    EXPECT_EQ(tok.decode(ids, true), r["decoded_skip"].get<std::string>()) << r.dump();
    EXPECT_EQ(streamed(ids, false), r["decoded"].get<std::string>()) << r.dump();
  }
  EXPECT_GE(texts, 300);
  EXPECT_GE(decodes, 100);
  // A token's own text keeps the space its U+2581 stands for; decode() of a
  // sequence drops the one its start got (where the layout prepends one).
  const std::vector<int64_t> word = tok.encode("Hello");
  ASSERT_FALSE(word.empty());
  const bool prepends = std::string(GetParam()) != "gemma";
  EXPECT_EQ(tok.token_text(word[0]).rfind(" ", 0) == 0, prepends) << tok.id_to_token(word[0]);
  EXPECT_EQ(tok.decode(word), "Hello");
  EXPECT_EQ(tok.token_text(*tok.token_to_id("<0x41>")), "A");
}

INSTANTIATE_TEST_SUITE_P(Layouts, SentencePiece,
                         ::testing::Values("legacy", "metaspace", "gemma", "metaspace_split"));

TEST(Tokenizer, IdsPastTheVocabularyDecodeToNothing) {
  const Tokenizer& tok = qwen3();
  ASSERT_EQ(tok.vocab_size(), 151669);
  const auto hello = tok.encode("hello world");
  std::vector<int64_t> ids = {151676, hello[0], 151935, -1};
  ids.insert(ids.end(), hello.begin() + 1, hello.end());
  EXPECT_EQ(tok.decode(ids), "hello world");
  StreamDecoder stream(tok);
  std::string streamed;
  for (int64_t id : ids) streamed += stream.put(id);
  EXPECT_EQ(streamed + stream.finish(), "hello world");
  EXPECT_EQ(tok.token_bytes(151700), "");
}

}  // namespace
}  // namespace r1
