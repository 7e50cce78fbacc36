#include "data/prompt.h"

#include <toml++/toml.h>

#include <cctype>
#include <ostream>
#include <sstream>

#include "reward/reward.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/io.h"

namespace r1 {

const char* const kBoxedInstruction =
    "Please reason step by step, and put your final answer within \\boxed{}.";

namespace {

// The row's key equal to `name` ignoring case ("Problem" in AIME 2024), or "".
std::string find_key(const nlohmann::json& row, const std::string& name) {
  for (const auto& [key, value] : row.items()) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < key.size(); ++i)
      same &= std::tolower(static_cast<unsigned char>(key[i])) == name[i];
    if (same) return key;
  }
  return "";
}

std::string first_key(const nlohmann::json& row, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (std::string key = find_key(row, name); !key.empty()) return key;
  return "";
}

// "" if `prompt` is a usable question, else what is wrong with it.
std::string prompt_problem(const nlohmann::json& prompt, bool chat) {
  if (prompt.is_string()) return prompt.get<std::string>().empty() ? "is an empty string" : "";
  if (!prompt.is_array())
    return "must be a string or a list of {role, content} messages, got " +
           std::string(prompt.type_name());
  if (!chat) return "is a list of messages, which needs data.template = \"chat\"";
  if (prompt.empty()) return "is an empty list of messages";
  for (const auto& m : prompt)
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
        !m["content"].is_string())
      return "has a message that is not {\"role\": string, \"content\": string}";
  return "";
}

}  // namespace

void PromptFormat::validate() const {
  if (template_name != "r1_zero" && template_name != "chat" && template_name != "raw")
    fail("data.template: unknown '", template_name, "' (r1_zero, chat, raw)");
  if (template_name != "chat" && !system_prompt.empty())
    fail("data.system_prompt needs data.template = \"chat\" (it is '", template_name, "')");
  if (!chat_template_kwargs.is_object())
    fail("data.chat_template_kwargs must be a table, e.g. { enable_thinking = false }");
  if (template_name != "chat" && !chat_template_kwargs.empty())
    fail("data.chat_template_kwargs needs data.template = \"chat\" (it is '", template_name, "')");
  if (max_prompt_tokens < 0) fail("data.max_prompt_tokens must be >= 0, got ", max_prompt_tokens);
  if (overlong_prompts != "error" && overlong_prompts != "skip" &&
      overlong_prompts != "truncate_left")
    fail("data.overlong_prompts: unknown '", overlong_prompts, "' (error, skip, truncate_left)");
}

void add_prompt_fields(FieldTable& table, PromptFormat& f) {
  table.push_back({"data.template", &f.template_name,
                   "r1_zero (R1-Zero's plain-text prompt) | chat (the model's chat template) | "
                   "raw (the question as it is)"});
  table.push_back({"data.prompt_field", &f.prompt_field,
                   "field holding the question: a string or a list of {role, content} messages "
                   "('' = the first of prompt, problem, question, messages)"});
  table.push_back({"data.answer_field", &f.answer_field,
                   "field holding the reference answer, given to the rewards as 'answer' ('' = "
                   "answer, else solution)"});
  table.push_back({"data.system_prompt", &f.system_prompt,
                   "chat: a system turn before each question (rows with their own keep theirs)"});
  table.push_back({"data.instruction", &f.instruction,
                   "appended to each question after a newline ('boxed' = R1's 'Please reason step "
                   "by step, and put your final answer within \\boxed{}.')"});
  table.push_back({"data.chat_template_kwargs", &f.chat_template_kwargs,
                   "chat: extra template variables, e.g. { enable_thinking = false } (Qwen3)",
                   "TRL chat_template_kwargs"});
  table.push_back({"data.max_prompt_tokens", &f.max_prompt_tokens,
                   "longest prompt in tokens (0 = the model context less one)",
                   "TRL max_prompt_length, veRL data.max_prompt_length"});
  table.push_back({"data.overlong_prompts", &f.overlong_prompts,
                   "error | skip | truncate_left: a longer prompt stops the run before it starts, "
                   "is left out, or keeps its last max_prompt_tokens",
                   "veRL data.filter_overlong_prompts, data.truncation"});
}

PromptFormat prompt_format_of_run_file(const std::string& path) {
  toml::table doc;
  try {
    doc = toml::parse(read_file(path), path);
  } catch (const toml::parse_error& e) {
    fail(path, ":", e.source().begin.line, ": ", e.description());
  }
  PromptFormat format;
  FieldTable table;
  add_prompt_fields(table, format);
  toml::table data;
  if (const toml::table* section = doc["data"].as_table())
    for (const auto& [key, value] : *section)
      for (const Field& f : table)
        if (f.key == "data." + std::string(key.str())) data.insert(key, value);
  std::ostringstream text;
  text << toml::table{{"data", data}};
  apply_toml(table, text.str(), path, {});
  return format;
}

PromptFields resolve_prompt_fields(const PromptFormat& format, const Dataset& data,
                                   const std::vector<std::string>& rewards) {
  const nlohmann::json& first = data.rows.front();
  PromptFields f;
  f.prompt = format.prompt_field.empty()
                 ? first_key(first, {"prompt", "problem", "question", "messages"})
                 : format.prompt_field;
  if (f.prompt.empty())
    fail(data.where(0),
         ": no question field (looked for prompt, problem, question, messages; set "
         "data.prompt_field)");
  f.answer =
      format.answer_field.empty() ? first_key(first, {"answer", "solution"}) : format.answer_field;

  // What the rewards read: "answer" comes from the answer field.
  std::vector<std::pair<std::string, std::string>> needed;  // (row field, reward)
  for (const auto& reward : rewards)
    for (const auto& field : reward_info(reward).row_fields) {
      if (field == "answer" && f.answer.empty())
        fail(data.where(0), ": reward '", reward,
             "' needs the reference answer, but the rows have no answer or solution field "
             "(set data.answer_field)");
      needed.emplace_back(field == "answer" ? f.answer : field, reward);
    }

  const bool chat = format.template_name == "chat";
  for (size_t i = 0; i < data.rows.size(); ++i) {
    const nlohmann::json& row = data.rows[i];
    if (!row.contains(f.prompt))
      fail(data.where(i), ": missing field '", f.prompt, "' (data.prompt_field)");
    if (std::string problem = prompt_problem(row[f.prompt], chat); !problem.empty())
      fail(data.where(i), ": field '", f.prompt, "' ", problem);
    for (const auto& [field, reward] : needed) {
      if (!row.contains(field) || row[field].is_null())
        fail(data.where(i), ": missing field '", field, "', which reward '", reward, "' reads",
             field == f.answer ? " (data.answer_field)" : "");
    }
  }
  return f;
}

PromptBuilder::PromptBuilder(const PromptFormat& format, const PromptFields& fields,
                             const Tokenizer& tok)
    : format_(format), fields_(fields), tok_(tok) {
  format_.validate();
  if (format_.instruction == "boxed") format_.instruction = kBoxedInstruction;
  if (format_.template_name == "chat")
    chat_ = std::make_unique<ChatTemplate>(ChatTemplate::of(tok));
}

PromptBuilder::~PromptBuilder() = default;

std::string PromptBuilder::question(const nlohmann::json& row) const {
  const nlohmann::json& prompt = row.at(fields_.prompt);
  if (!prompt.is_string()) fail("data.prompt_field '", fields_.prompt, "' is not a string");
  const std::string q = prompt.get<std::string>();
  return format_.instruction.empty() ? q : q + "\n" + format_.instruction;
}

nlohmann::ordered_json PromptBuilder::messages(const nlohmann::json& row) const {
  const nlohmann::json& prompt = row.at(fields_.prompt);
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (prompt.is_string()) {
    messages.push_back({{"role", "user"}, {"content", question(row)}});
  } else {
    for (const auto& m : prompt) messages.push_back(nlohmann::ordered_json::parse(m.dump()));
    for (auto m = messages.rbegin(); m != messages.rend() && !format_.instruction.empty(); ++m) {
      if ((*m)["role"] != "user") continue;
      (*m)["content"] = (*m)["content"].get<std::string>() + "\n" + format_.instruction;
      break;
    }
  }
  if (!format_.system_prompt.empty() && messages.front()["role"] != "system")
    messages.insert(messages.begin(),
                    nlohmann::ordered_json{{"role", "system"}, {"content", format_.system_prompt}});
  return messages;
}

std::string PromptBuilder::render(const nlohmann::json& row) const {
  if (format_.template_name == "r1_zero") return render_r1_zero(question(row));
  if (format_.template_name == "raw") return question(row);
  ChatOptions options;
  options.kwargs = &format_.chat_template_kwargs;
  return chat_->render_json(messages(row), options);
}

std::vector<int64_t> PromptBuilder::encode(const std::string& prompt) const {
  std::vector<int64_t> ids =
      tok_.encode(prompt, /*add_special_tokens=*/format_.template_name != "chat");
  if (truncate_to_ > 0 && static_cast<int64_t>(ids.size()) > truncate_to_)
    ids.erase(ids.begin(), ids.end() - truncate_to_);
  return ids;
}

int64_t PromptBuilder::fit_prompts(Dataset& data, int64_t context, std::ostream* log) {
  const int64_t limit = format_.max_prompt_tokens > 0 ? format_.max_prompt_tokens : context - 1;
  if (limit >= context)
    fail("data.max_prompt_tokens = ", limit, " leaves no room to generate: the model context is ",
         context, " positions");
  const std::string where_limit = format_.max_prompt_tokens > 0
                                      ? cat("data.max_prompt_tokens = ", limit)
                                      : cat("the model context (", context, ") less one");
  if (format_.overlong_prompts == "truncate_left") {
    truncate_to_ = limit;
    return 0;
  }
  const bool skip = format_.overlong_prompts == "skip";
  std::vector<size_t> kept;
  for (size_t i = 0; i < data.rows.size(); ++i) {
    const int64_t n = static_cast<int64_t>(encode(render(data.rows[i])).size());
    if (n <= limit) {
      kept.push_back(i);
      continue;
    }
    if (!skip)
      fail(data.where(i), ": the prompt has ", n, " tokens, over ", where_limit,
           " (data.overlong_prompts = \"skip\" leaves such rows out, \"truncate_left\" keeps "
           "their last tokens)");
  }
  const int64_t dropped = static_cast<int64_t>(data.rows.size() - kept.size());
  if (dropped == 0) return 0;
  if (kept.empty()) fail(data.source, ": every prompt is over ", where_limit);
  for (size_t k = 0; k < kept.size(); ++k) {
    data.rows[k] = std::move(data.rows[kept[k]]);
    data.origins[k] = data.origins[kept[k]];
  }
  data.rows.resize(kept.size());
  data.origins.resize(kept.size());
  if (log)
    *log << "warning: " << data.source << ": " << dropped << " of " << dropped + kept.size()
         << " prompts are over " << where_limit << " and were left out\n";
  return dropped;
}

nlohmann::json PromptBuilder::reward_row(const nlohmann::json& row) const {
  nlohmann::json out = row;
  if (!fields_.answer.empty() && fields_.answer != "answer" && row.contains(fields_.answer))
    out["answer"] = row[fields_.answer];
  return out;
}

}  // namespace r1
