// r1 tokenizer train: a tiny byte-level BPE tokenizer for tiny models, written
// as tokenizer.json + tokenizer_config.json (loadable by Hugging Face).
#include <iostream>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/trainer.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> read_corpus(const std::string& path,
                                     const std::vector<std::string>& fields) {
  std::vector<std::string> texts;
  if (!ends_with(path, ".jsonl")) {
    texts.push_back(read_file(path));
    return texts;
  }
  auto in = open_input(path);
  for_each_line(*in, [&](int64_t number, const std::string& line) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail(path, ":", number, ": not valid JSON");
    }
    for (const auto& field : fields) {
      if (!j.is_object() || !j.contains(field) || !j[field].is_string())
        fail(path, ":", number, ": expected an object with a string \"", field, "\"");
      texts.push_back(j[field]);
    }
  });
  return texts;
}

int train(const Args& args) {
  ArgParser p("r1 tokenizer train --in CORPUS --out DIR [--vocab-size N]",
              "Train a byte-level BPE tokenizer: 256 byte tokens, the most frequent merges, then\n"
              "<|endoftext|> (eos), <|pad|> (pad), <|im_start|>, <|im_end|> (special) and\n"
              "<think>, </think>, <answer>, </answer>. CORPUS is a text file (one document) or\n"
              "JSONL (each --field of each line is one document). Writes DIR/tokenizer.json and\n"
              "DIR/tokenizer_config.json (ChatML chat template). Deterministic.");
  p.add("--in", "FILE", "corpus: .jsonl or plain text", "", true);
  p.add("--out", "DIR", "output directory (created if missing)", "", true);
  p.add("--vocab-size", "N", "total tokens: bytes + merges + added tokens", "512");
  p.add("--min-frequency", "N", "do not merge pairs seen fewer times", "2");
  p.add_repeated("--field", "NAME", "JSONL field holding a document (repeatable) [default: text]");
  if (!p.parse(args)) return 0;

  BpeTrainerOptions o;
  o.vocab_size = static_cast<int>(p.i64("--vocab-size"));
  o.min_frequency = static_cast<int>(p.i64("--min-frequency"));
  const auto texts =
      read_corpus(p.str("--in"),
                  p.all("--field").empty() ? std::vector<std::string>{"text"} : p.all("--field"));
  const std::string json = train_bpe(texts, o);
  const std::string dir = p.str("--out");
  make_dirs(dir);
  write_file_atomic(dir + "/tokenizer.json", json);
  write_file_atomic(dir + "/tokenizer_config.json", trained_tokenizer_config(o));
  Tokenizer tok = Tokenizer::load(dir);  // proves the file loads
  std::cout << "wrote " << dir << "/tokenizer.json: " << tok.vocab_size() << " tokens from "
            << texts.size() << " document(s)\n";
  return 0;
}

}  // namespace

int cmd_tokenizer(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "usage: r1 tokenizer train --in CORPUS --out DIR [--vocab-size N]\n"
                 "  (r1 tokenizer train --help for its flags)\n";
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "train") return train(Args(args.begin() + 1, args.end()));
  fail("unknown subcommand 'tokenizer ", args[0], "' (known: train)");
}

}  // namespace r1
