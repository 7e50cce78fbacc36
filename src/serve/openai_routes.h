// r1 serve's OpenAI-compatible routes: /v1/chat/completions,
// /v1/completions (both with stream: true as server-sent events), /v1/models
// and /health, on the engine thread of serve/engine_worker.h.
#pragma once

#include <string>

#include "serve/openai_api.h"

namespace r1 {

class EngineWorker;
class HttpServer;
class Tokenizer;
class ChatTemplate;

struct OpenAIOptions {
  ServeLimits limits;
  std::string api_key;           // "" = none; else requests need "Authorization: Bearer KEY"
  bool split_reasoning = false;  // vLLM's --reasoning-parser deepseek_r1
};

// Adds the routes; the references must outlive the server.
void add_openai_routes(HttpServer& server, EngineWorker& engine, const Tokenizer& tok,
                       const ChatTemplate* chat_template, const OpenAIOptions& options);

}  // namespace r1
