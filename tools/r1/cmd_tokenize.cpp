// r1 tokenize: text -> token ids with a Hugging Face tokenizer.json, so anyone
// can compare r1cpp with HF tokenizers from the shell. One text on the command
// line prints ids and pieces; --in reads JSONL ({"text": ...} per line, or
// {"messages": [...]} with --chat) and writes {"ids": [...]} per line in order;
// --decode goes the other way ({"ids": [...]} -> {"text": ...}).
#include <iostream>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "jsonl_filter.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {

namespace {

void print_pieces(const Tokenizer& tok, const std::vector<int64_t>& ids) {
  std::cout << "ids: " << nlohmann::json(ids).dump() << "\n";
  std::cout << ids.size() << " tokens\n";
  for (int64_t id : ids) {
    const nlohmann::json text = tok.decode({id});
    std::cout << id << "\t" << tok.id_to_token(id) << "\t" << text.dump() << "\n";
  }
}

}  // namespace

int cmd_tokenize(const Args& args) {
  ArgParser p(
      "r1 tokenize --tokenizer DIR [\"text\" | --in F.jsonl [--out F]]",
      "Encode text with a Hugging Face tokenizer.json. With a text argument, print the\n"
      "ids and each token (id, vocabulary entry, decoded text). With --in, read lines\n"
      "{\"text\": ...} (or {\"messages\": [...], \"tools\": [...]} with --chat, rendered by\n"
      "the tokenizer's chat template) and write {\"ids\": [...]} per line, in order. Special "
      "tokens are\n"
      "added only with --add-special-tokens. --decode reads {\"ids\": [...]} and writes\n"
      "{\"text\": ...}. A bad line gets {\"error\": ...} and processing continues\n"
      "(exit code 1 at the end).");
  p.add("--tokenizer", "DIR", "directory with tokenizer.json (a model directory works)", "", true);
  p.add("--in", "FILE", "input JSONL, - for stdin");
  p.add("--out", "FILE", "output JSONL, - for stdout", "-");
  p.add_switch("--add-special-tokens", "apply the post-processor (e.g. BOS for Llama 3)");
  p.add_switch("--split-special-tokens",
               "special tokens written in the text are plain text (HF encode_special_tokens)");
  p.add_switch("--chat", "input lines hold {\"messages\": [...]}; output also has \"text\"");
  p.add_switch("--no-generation-prompt", "with --chat: do not end with the assistant header");
  p.add_switch("--decode", "input lines hold {\"ids\": [...]}; write {\"text\": ...}");
  p.add_switch("--skip-special-tokens", "with --decode: drop special tokens from the text");
  p.allow_positional("TEXT", "text to tokenize (instead of --in)");
  if (!p.parse(args)) return 0;

  Tokenizer tok = Tokenizer::load(p.str("--tokenizer"));
  const bool special = p.on("--add-special-tokens");
  const bool split = p.on("--split-special-tokens");
  if (!p.given("--in")) {
    if (p.positional().size() != 1) fail("give one TEXT argument or --in FILE (see --help)");
    print_pieces(tok, tok.encode(p.positional()[0], special, split));
    return 0;
  }
  if (!p.positional().empty()) fail("give either a TEXT argument or --in, not both");

  std::optional<ChatTemplate> chat;
  if (p.on("--chat")) chat = ChatTemplate::of(tok);
  ChatOptions chat_options;
  chat_options.add_generation_prompt = !p.on("--no-generation-prompt");

  return filter_jsonl(
      "tokenize", p.str("--in"), p.str("--out"),
      [&](const nlohmann::json& j, const std::string& line) {
        nlohmann::json result;
        if (p.on("--decode")) {
          if (!j.contains("ids") || !j["ids"].is_array())
            fail("expected an object with an \"ids\" array");
          std::vector<int64_t> ids;
          for (const auto& v : j["ids"]) {
            if (!v.is_number_integer()) fail("\"ids\" must hold integers");
            ids.push_back(v.get<int64_t>());
          }
          result["text"] = tok.decode(ids, p.on("--skip-special-tokens"));
        } else if (chat) {
          if (!j.contains("messages") || !j["messages"].is_array())
            fail("expected an object with a \"messages\" array");
          // Key order matters to templates that iterate over a message's fields.
          const nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(line);
          const auto* tools = ordered.contains("tools") ? &ordered["tools"] : nullptr;
          const std::string text = chat->render_json(ordered["messages"], chat_options, tools);
          result["text"] = text;
          result["ids"] = tok.encode(text, special, split);
        } else {
          if (!j.contains("text") || !j["text"].is_string())
            fail("expected an object with a string \"text\"");
          result["ids"] = tok.encode(j["text"].get<std::string>(), special, split);
        }
        return result;
      });
}

}  // namespace r1
