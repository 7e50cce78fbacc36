// r1 serve: an OpenAI-compatible HTTP server on the rollout engine (--model)
// and/or the live training dashboard (--runs; cmd_dashboard.cpp is the
// dashboard alone, without libtorch). docs/serve.md has the details.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "args.h"
#include "commands.h"
#include "compute_flags.h"
#include "engine/generator.h"
#include "model/checkpoint.h"
#include "serve/dashboard.h"
#include "serve/engine_worker.h"
#include "serve/http_server.h"
#include "serve/openai_routes.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace r1 {

int cmd_serve(const Args& args) {
  ArgParser p("r1 serve --model DIR [flags]   |   r1 serve --runs DIR [--runs DIR ...]",
              "OpenAI-compatible server (/v1/chat/completions, /v1/completions, /v1/models,\n"
              "/health) on the rollout engine: concurrent requests share its continuous\n"
              "batching. With --runs, also (or only) the live training dashboard at /.");
  p.add("--model", "DIR", "model directory (Hugging Face layout, or a checkpoint)");
  p.add_repeated("--runs", "DIR", "run directory to show on the dashboard (repeatable)");
  p.add("--tokenizer", "DIR", "tokenizer directory (default: the model's)");
  p.add("--host", "ADDR", "address to listen on (0.0.0.0 exposes it to the network)", "127.0.0.1");
  p.add("--port", "N", "port (0 = any free one, printed at start)", "8000");
  p.add("--served-model-name", "NAME", "model id clients use (default: the directory's name)");
  p.add("--api-key", "KEY", "require 'Authorization: Bearer KEY' on /v1/ routes");
  p.add("--max-tokens", "N", "most new tokens a request may ask for (sizes the KV cache)", "1024");
  p.add("--batch", "N", "sequences decoded together", "64");
  p.add("--max-n", "N", "most samples per prompt (n)", "64");
  p.add("--reasoning-parser", "NAME",
        "deepseek_r1: return the <think> part as reasoning_content (as vLLM does)");
  p.add("--threads", "N", "connections served at once (default: 2 x batch + 8)");
  add_compute_flags(p);
  if (!p.parse(args)) return 0;
  if (!p.given("--model") && p.all("--runs").empty())
    fail("give --model DIR (the API) and/or --runs DIR (the dashboard)");

  const int64_t batch = p.i64("--batch");
  if (batch <= 0) fail("--batch must be > 0");
  const int threads = static_cast<int>(p.given("--threads") ? p.i64("--threads") : 2 * batch + 8);
  if (threads <= 0) fail("--threads must be > 0");
  HttpServer server(threads);

  std::optional<Tokenizer> tok;
  std::optional<Model> model;
  std::optional<ChatTemplate> chat_template;
  std::unique_ptr<EngineWorker> engine;
  if (p.given("--model")) {
    const std::string dir = p.str("--model");
    tok = Tokenizer::load(p.given("--tokenizer") ? p.str("--tokenizer") : dir);
    model = load_model_with_flags(dir, p);
    if (tok->vocab_size() > model->config.vocab_size)
      fail("tokenizer has ", tok->vocab_size(), " tokens but the model's vocab_size is ",
           model->config.vocab_size);
    if (!tok->chat_template().empty()) chat_template = ChatTemplate::of(*tok);

    OpenAIOptions o;
    o.limits.model_name = p.given("--served-model-name")
                              ? p.str("--served-model-name")
                              : std::filesystem::path(dir).lexically_normal().filename().string();
    if (o.limits.model_name.empty())
      o.limits.model_name = std::filesystem::path(dir).lexically_normal().parent_path().filename();
    o.limits.context = model->config.max_position_embeddings;
    o.limits.max_tokens = std::min(p.i64("--max-tokens"), o.limits.context - 1);
    if (o.limits.max_tokens <= 0) fail("--max-tokens must be > 0");
    o.limits.max_n = p.i64("--max-n");
    o.limits.max_prompts = batch;
    o.api_key = p.given("--api-key") ? p.str("--api-key") : "";
    if (p.given("--reasoning-parser")) {
      if (p.str("--reasoning-parser") != "deepseek_r1")
        fail("--reasoning-parser: only deepseek_r1 is known, got '", p.str("--reasoning-parser"),
             "'");
      o.split_reasoning = true;
    }

    SamplingParams base;
    base.max_new_tokens = o.limits.max_tokens;
    base.stop_token_ids = stop_token_ids(tok->special().eos_ids, model->config.eos_token_ids);
    GenerateOptions g;
    g.max_batch = batch;
    const Tokenizer& t = *tok;
    g.decode = [&t](const std::vector<int64_t>& ids) { return t.decode(ids, true); };
    engine = std::make_unique<EngineWorker>(*model, base, g);
    add_openai_routes(server, *engine, *tok, chat_template ? &*chat_template : nullptr, o);
    std::cerr << "r1 serve: " << o.limits.model_name << " (" << model->config.model_type
              << ", context " << o.limits.context << ", batch " << batch << ")\n";
  }
  if (!p.all("--runs").empty()) add_dashboard_routes(server, p.all("--runs"));
  listen_until_signal(server, p.str("--host"), static_cast<int>(p.i64("--port")),
                      "r1 serve: listening");
  return 0;
}

}  // namespace r1
