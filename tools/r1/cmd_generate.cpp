// r1 generate: sample completions from a model with the rollout engine.
// One prompt streams to the terminal; --prompts FILE writes JSONL.
#include <iostream>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "compute_flags.h"
#include "engine/generator.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {

namespace {

// A prompt line: {"prompt": "..."} or {"messages": [{"role", "content"}, ...]}.
std::string prompt_text(const nlohmann::json& line, const ArgParser& p, const Tokenizer& tok) {
  if (line.contains("messages")) {
    if (!line["messages"].is_array()) fail("\"messages\" must be an array");
    std::vector<ChatMessage> messages;
    for (const auto& m : line["messages"]) {
      if (!m.is_object() || !m.contains("role") || !m.contains("content"))
        fail("each message needs \"role\" and \"content\"");
      messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>(), {}});
    }
    return ChatTemplate::of(tok).render(messages, ChatOptions{});
  }
  if (!line.contains("prompt") || !line["prompt"].is_string())
    fail("expected {\"prompt\": \"...\"} or {\"messages\": [...]}");
  std::string text = line["prompt"].get<std::string>();
  if (p.on("--chat")) return ChatTemplate::of(tok).render({{"user", text, {}}}, ChatOptions{});
  if (p.on("--r1-zero")) return render_r1_zero(text);
  return text;
}

}  // namespace

int cmd_generate(const Args& args) {
  ArgParser p("r1 generate --model DIR (--prompt TEXT | --prompts F.jsonl) [flags]",
              "Sample completions. A single prompt with -n 1 streams to the terminal;\n"
              "--prompts reads {\"prompt\": ...} or {\"messages\": [...]} lines and writes\n"
              "one JSON line per prompt with its n completions.");
  p.add("--model", "DIR", "model directory", "", true);
  p.add("--tokenizer", "DIR", "tokenizer directory (default: the model's)");
  p.add("--prompt", "TEXT", "one prompt");
  p.add("--prompts", "FILE", "JSONL prompts, - for stdin");
  p.add("--out", "FILE", "JSONL output for --prompts", "-");
  p.add("-n", "N", "samples per prompt", "1");
  p.add("--temperature", "X", "0 = greedy (default: generation_config.json, else 1.0)");
  p.add("--top-p", "X", "nucleus sampling mass (default: generation_config.json, else 1.0)");
  p.add("--top-k", "N", "keep the k most likely tokens, 0 = off (default: generation_config.json)");
  p.add("--min-p", "X", "drop tokens below min-p x top probability", "0");
  p.add("--repetition-penalty", "X", "CTRL repetition penalty (1 = off)", "1.0");
  p.add("--max-new-tokens", "N", "tokens to generate at most", "256");
  p.add("--stop", "TEXT", "stop string (the output is cut before it)");
  p.add("--seed", "N", "random seed (sample i of prompt j is reproducible)", "0");
  p.add("--batch", "N", "sequences decoded together", "64");
  p.add_switch("--chat", "render the prompt with the model's chat template");
  p.add_switch("--r1-zero", "wrap the prompt in the R1-Zero template");
  add_compute_flags(p);
  if (!p.parse(args)) return 0;
  if (p.given("--prompt") == p.given("--prompts")) fail("r1 generate: give --prompt or --prompts");

  Tokenizer tok = Tokenizer::load(p.given("--tokenizer") ? p.str("--tokenizer") : p.str("--model"));
  Model model = load_model_with_flags(p.str("--model"), p);
  if (tok.vocab_size() > model.config.vocab_size)
    fail("tokenizer has ", tok.vocab_size(), " tokens but the model's vocab_size is ",
         model.config.vocab_size);

  SamplingParams params;
  // The model's own sampling settings, as transformers' generate() uses them.
  const GenerationDefaults defaults = generation_defaults(p.str("--model"));
  params.temperature = static_cast<float>(
      p.given("--temperature") ? p.f64("--temperature") : defaults.temperature.value_or(1.0));
  params.top_p =
      static_cast<float>(p.given("--top-p") ? p.f64("--top-p") : defaults.top_p.value_or(1.0));
  params.top_k = p.given("--top-k") ? p.i64("--top-k") : defaults.top_k.value_or(0);
  params.min_p = static_cast<float>(p.f64("--min-p"));
  params.repetition_penalty = static_cast<float>(p.f64("--repetition-penalty"));
  params.max_new_tokens = p.i64("--max-new-tokens");
  params.stop_token_ids = stop_token_ids(tok.special().eos_ids, model.config.eos_token_ids);
  if (p.given("--stop")) params.stop_strings = {p.str("--stop")};
  GenerateOptions options;
  options.max_batch = p.i64("--batch");
  options.decode = [&](const std::vector<int64_t>& ids) { return tok.decode(ids, true); };
  const int64_t n = p.i64("-n");
  const uint64_t seed = static_cast<uint64_t>(p.i64("--seed"));

  if (p.given("--prompt")) {
    std::string text = prompt_text({{"prompt", p.str("--prompt")}}, p, tok);
    GenerateRequest request{tok.encode(text, !p.on("--chat")), n, seed};
    StreamDecoder stream(tok, /*skip_special_tokens=*/true);
    if (n == 1)
      options.on_token = [&](size_t, int64_t, int64_t id, float) {
        std::cout << stream.put(id) << std::flush;
      };
    auto results = generate(model, {request}, params, options);
    if (n == 1) {
      std::cout << stream.finish() << "\n";
    } else {
      for (int64_t i = 0; i < n; ++i)
        std::cout << "--- sample " << i << " (" << finish_reason_name(results[0][i].finish) << ")\n"
                  << results[0][i].text << "\n";
    }
    return 0;
  }

  std::vector<GenerateRequest> requests;
  std::vector<std::string> texts;
  auto in = open_input(p.str("--prompts"));
  for_each_line(*in, [&](int64_t number, const std::string& line) {
    try {
      nlohmann::json j = nlohmann::json::parse(line);
      texts.push_back(prompt_text(j, p, tok));
      // A chat-rendered prompt already holds its BOS.
      bool chat = j.contains("messages") || p.on("--chat");
      requests.push_back(
          {tok.encode(texts.back(), !chat), n, seed + static_cast<uint64_t>(number)});
    } catch (const nlohmann::json::exception&) {
      fail(p.str("--prompts"), ":", number, ": not valid JSON");
    } catch (const Error& e) {
      fail(p.str("--prompts"), ":", number, ": ", e.what());
    }
  });
  auto results = generate(model, requests, params, options);
  auto out = open_output(p.str("--out"));
  for (size_t q = 0; q < requests.size(); ++q) {
    nlohmann::json completions = nlohmann::json::array();
    for (const Completion& c : results[q])
      completions.push_back({{"text", c.text},
                             {"finish_reason", finish_reason_name(c.finish)},
                             {"num_tokens", c.tokens.size()}});
    *out << nlohmann::json{{"prompt", texts[q]}, {"completions", completions}}.dump() << "\n";
  }
  return 0;
}

}  // namespace r1
