// load_pipeline: the file, references and every stage's config checked up
// front; run_pipeline: stages in order with completion markers.
#include "pipeline/pipeline.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>

#include "eval/evaluator.h"
#include "reward/reward.h"
#include "rl/train_config.h"
#include "rl/trainer.h"
#include "sample/rejection_sampling.h"
#include "sft/sft_config.h"
#include "sft/sft_trainer.h"
#include "util/atomic_file.h"
#include "util/config.h"
#include "util/error.h"
#include "util/io.h"
#include "util/run_dir.h"

namespace r1 {
namespace {

const char* kKinds = "sft, train, sample, eval";

// r1 eval takes flags; as a stage it takes the same settings as TOML.
struct EvalStageConfig {
  EvalConfig c;
  int64_t seed = 0;
  FieldTable fields() {
    FieldTable t = {
        {"model.path", &c.model_dir, "model directory (with its tokenizer)"},
        {"data.path", &c.data_path, "JSONL benchmark"},
        {"data.limit", &c.limit, "only the first N questions (0 = all)"},
        {"sampling.k", &c.k, "samples per question"},
        {"sampling.temperature", &c.temperature, "sampling temperature"},
        {"sampling.top_p", &c.top_p, "nucleus sampling mass"},
        {"sampling.max_new_tokens", &c.max_new_tokens, "tokens per completion at most"},
        {"sampling.seed", &seed, "question i samples with seed + i"},
        {"sampling.max_batch", &c.max_batch, "sequences decoded together"},
        {"eval.reward", &c.reward, "math | arithmetic | countdown | auto"},
    };
    add_compute_fields(t, c.compute);
    add_prompt_fields(t, c.prompt);
    return t;
  }
};

// Unknown reward names fail when the pipeline is loaded, not when the stage
// that uses them starts (building a reward may start a process: names only).
void check_reward_names(const std::vector<RewardSpec>& rewards) {
  const std::vector<std::string> known = reward_names();
  for (const auto& r : rewards)
    if (std::find(known.begin(), known.end(), r.name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      fail("unknown reward '", r.name, "' (known: ", list, ")");
    }
}

// One stage, configured: its resolved config (what the hash covers) and how to
// run it. run() returns the stage's output path.
struct StagePlan {
  std::string resolved;
  std::function<std::string(bool quiet)> run;
};

// The step of a run dir's newest complete checkpoint, or -1.
int64_t checkpoint_step(const std::string& run_dir, std::string* path) {
  *path = latest_checkpoint(run_dir);
  if (path->empty()) return -1;
  return read_trainer_state(*path, {"step"}).at("step");
}

StagePlan plan_stage(const std::string& kind, const std::string& text, const std::string& source,
                     const std::vector<std::string>& overrides, const std::string& out_dir) {
  StagePlan plan;
  if (kind == "sft") {
    SftConfig c = parse_sft_config(text, source, overrides);
    c.output_dir = out_dir;
    c.validate();
    plan.resolved = dump_sft_config(c);
    plan.run = [c, out_dir](bool quiet) mutable {
      SftOptions o;
      o.resume = true;
      o.quiet = quiet;
      train_sft(c, o);
      std::string final_dir;
      const int64_t step = checkpoint_step(out_dir, &final_dir);
      if (step != read_trainer_state(final_dir, {"total_steps"}).at("total_steps"))
        fail("stopped at step ", step, " (interrupted); run the pipeline again to resume");
      return final_dir;
    };
  } else if (kind == "train") {
    TrainConfig c = parse_train_config(text, source, overrides);
    c.output_dir = out_dir;
    c.validate();
    check_reward_names(c.rewards);
    plan.resolved = dump_train_config(c);
    plan.run = [c, out_dir](bool quiet) mutable {
      TrainOptions o;
      o.resume = true;
      o.quiet = quiet;
      train_grpo(c, o);
      std::string final_dir;
      const int64_t step = checkpoint_step(out_dir, &final_dir);
      if (step != c.steps)
        fail("stopped at step ", step, " of ", c.steps,
             " (interrupted); run the pipeline again to resume");
      return final_dir;
    };
  } else if (kind == "sample") {
    SampleConfig c = parse_sample_config(text, source, overrides);
    c.output_dir = out_dir;
    c.validate();
    check_reward_names(c.rewards);
    plan.resolved = dump_sample_config(c);
    plan.run = [c](bool quiet) mutable {
      SampleOptions o;
      o.resume = true;
      o.quiet = quiet;
      nlohmann::json s = run_sample(c, o);
      if (!s["complete"].get<bool>()) fail("stopped before every prompt was sampled");
      if (s["kept"].get<int64_t>() == 0)
        fail("kept no sample (", s["sampled"], " sampled, none passed: ", s["rejected"].dump(),
             "); a later SFT stage would have no data");
      return c.output_dir + "/samples.jsonl";
    };
  } else if (kind == "eval") {
    EvalStageConfig e;
    e.c.quiet = false;
    FieldTable table = e.fields();
    apply_toml(table, text, source, {});
    for (const auto& o : overrides) apply_override(table, o);
    e.c.seed = static_cast<uint64_t>(e.seed);
    e.c.out_dir = out_dir;
    if (e.c.model_dir.empty()) fail("model.path is required");
    if (e.c.data_path.empty()) fail("data.path is required");
    if (e.c.k < 1) fail("sampling.k must be >= 1");
    e.c.prompt.validate();
    plan.resolved = dump_toml(table, nlohmann::json::object());
    plan.run = [c = e.c](bool quiet) mutable {
      c.quiet = quiet;
      nlohmann::json s = run_eval(c);
      std::cerr << "eval: pass@1 " << s.value("pass@1", 0.0) << " over " << s["questions"]
                << " questions\n";
      return c.out_dir;
    };
  } else {
    fail("unknown kind '", kind, "' (known: ", kKinds, ")");
  }
  return plan;
}

// FNV-1a, 64 bit: a stable hash of the resolved config for the marker.
std::string hash_hex(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(h));
  return out;
}

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (char ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') return false;
  return true;
}

// Replaces every string value "@name" in a TOML table, recursively.
void resolve_table(toml::table& t, const std::function<std::string(const std::string&)>& ref);
void resolve_node(toml::node& node, const std::function<std::string(const std::string&)>& ref) {
  if (auto* s = node.as_string()) {
    if (!s->get().empty() && s->get()[0] == '@') *s = ref(s->get().substr(1));
  } else if (auto* t = node.as_table()) {
    resolve_table(*t, ref);
  } else if (auto* a = node.as_array()) {
    for (auto& item : *a) resolve_node(item, ref);
  }
}
void resolve_table(toml::table& t, const std::function<std::string(const std::string&)>& ref) {
  for (auto&& [key, value] : t) resolve_node(value, ref);
}

std::string resolve_text(const std::string& text, const std::string& source,
                         const std::function<std::string(const std::string&)>& ref) {
  toml::table t;
  try {
    t = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    fail(source, ":", e.source().begin.line, ": ", e.description());
  }
  resolve_table(t, ref);
  std::ostringstream out;
  out << t;
  return out.str();
}

// "key=@name" -> key="<resolved path>"; other overrides unchanged.
std::vector<std::string> resolve_overrides(
    const std::vector<std::string>& overrides,
    const std::function<std::string(const std::string&)>& ref) {
  std::vector<std::string> out;
  for (const auto& o : overrides) {
    size_t eq = o.find('=');
    if (eq != std::string::npos && eq + 1 < o.size() && o[eq + 1] == '@')
      out.push_back(o.substr(0, eq + 1) + nlohmann::json(ref(o.substr(eq + 2))).dump());
    else
      out.push_back(o);
  }
  return out;
}

// Every "@name" a stage refers to, in its config text and overrides.
std::vector<std::string> references(const PipelineStage& s) {
  std::vector<std::string> names;
  auto collect = [&](const std::string& name) {
    names.push_back(name);
    return std::string();
  };
  resolve_text(s.config_text, s.config_source, collect);
  resolve_overrides(s.overrides, collect);
  return names;
}

std::string stage_dir(const Pipeline& p, const PipelineStage& s) {
  return p.dir + "/" + s.name;
}

// The first reference cycle through `at`, as "a -> b -> a", or "".
std::string find_cycle(const std::map<std::string, std::vector<std::string>>& uses,
                       const std::string& at, std::vector<std::string>& path,
                       std::set<std::string>& finished) {
  for (size_t i = 0; i < path.size(); ++i)
    if (path[i] == at) {
      std::string cycle;
      for (size_t j = i; j < path.size(); ++j) cycle += path[j] + " -> ";
      return cycle + at;
    }
  if (finished.count(at)) return "";
  path.push_back(at);
  for (const auto& next : uses.at(at)) {
    std::string c = find_cycle(uses, next, path, finished);
    if (!c.empty()) return c;
  }
  path.pop_back();
  finished.insert(at);
  return "";
}

}  // namespace

Pipeline load_pipeline(const std::string& path, const std::vector<std::string>& overrides) {
  Pipeline p;
  p.path = path;
  toml::table doc;
  try {
    doc = toml::parse(read_file(path), path);
  } catch (const toml::parse_error& e) {
    fail(path, ":", e.source().begin.line, ": ", e.description());
  }
  for (auto&& [key, value] : doc)
    if (key != "pipeline" && key != "inputs" && key != "stage")
      fail(path, ": unknown key '", key.str(), "' (known: [pipeline], [inputs], [[stage]])");
  p.dir = doc["pipeline"]["dir"].value_or(std::string());
  if (auto* inputs = doc["inputs"].as_table())
    for (auto&& [key, value] : *inputs) {
      if (!value.is_string()) fail(path, ": inputs.", key.str(), " must be a string (a path)");
      p.inputs[std::string(key.str())] = *value.value<std::string>();
    }
  auto* stages = doc["stage"].as_array();
  if (!stages || stages->empty()) fail(path, ": no [[stage]] defined");
  std::set<std::string> names;
  for (size_t i = 0; i < stages->size(); ++i) {
    auto* t = (*stages)[i].as_table();
    if (!t) fail(path, ": stage ", i + 1, " must be a table ([[stage]])");
    PipelineStage s;
    s.name = (*t)["name"].value_or(std::string());
    const std::string where = cat(path, ": stage '", s.name, "'");
    if (!valid_name(s.name))
      fail(path, ": stage ", i + 1, ": name must be letters, digits, _ or - (got '", s.name, "')");
    if (!names.insert(s.name).second) fail(where, ": the name is used twice");
    if (p.inputs.count(s.name)) fail(where, ": the name is also an [inputs] entry");
    for (auto&& [key, value] : *t)
      if (key != "name" && key != "kind" && key != "config" && key != "set")
        fail(where, ": unknown key '", key.str(), "' (known: name, kind, config, set)");
    s.kind = (*t)["kind"].value_or(std::string());
    if (s.kind != "sft" && s.kind != "train" && s.kind != "sample" && s.kind != "eval")
      fail(where, ": unknown kind '", s.kind, "' (known: ", kKinds, ")");
    const toml::node_view config = (*t)["config"];
    if (config.is_string()) {
      s.config_source = *config.value<std::string>();
      if (!file_exists(s.config_source))
        fail(where, ": config file '", s.config_source, "' not found (paths are relative to ",
             "where r1 runs)");
      s.config_text = read_file(s.config_source);
    } else if (config.is_table()) {
      s.config_source = where;
      std::ostringstream out;
      out << *config.as_table();
      s.config_text = out.str();
    } else if (config) {
      fail(where, ": config must be a file path or a table");
    }
    if (auto* set = (*t)["set"].as_array()) {
      for (auto& item : *set) {
        if (!item.is_string()) fail(where, ": set must be a list of \"key=value\" strings");
        s.overrides.push_back(*item.value<std::string>());
      }
    } else if ((*t)["set"]) {
      fail(where, ": set must be a list of \"key=value\" strings");
    }
    p.stages.push_back(std::move(s));
  }

  for (const auto& o : overrides) {
    const size_t dot = o.find('.'), eq = o.find('=');
    if (dot == std::string::npos || eq == std::string::npos || dot > eq)
      fail("--set ", o, ": expected STAGE.key=value, inputs.NAME=path or pipeline.dir=path");
    const std::string head = o.substr(0, dot), rest = o.substr(dot + 1);
    if (head == "inputs") {
      p.inputs[rest.substr(0, rest.find('='))] = rest.substr(rest.find('=') + 1);
    } else if (head == "pipeline" && rest.rfind("dir=", 0) == 0) {
      p.dir = rest.substr(4);
    } else {
      auto it = std::find_if(p.stages.begin(), p.stages.end(),
                             [&](const PipelineStage& s) { return s.name == head; });
      if (it == p.stages.end()) fail("--set ", o, ": ", path, " has no stage '", head, "'");
      it->overrides.push_back(rest);
    }
  }
  if (p.dir.empty()) fail(path, ": [pipeline] dir is required (stage NAME writes to dir/NAME)");

  // References: known names, no cycle, only to earlier stages.
  std::map<std::string, std::vector<std::string>> uses;
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < p.stages.size(); ++i) position[p.stages[i].name] = i;
  for (auto& s : p.stages) {
    const std::string where = cat(path, ": stage '", s.name, "'");
    std::vector<std::string> stage_refs;
    for (const auto& name : references(s)) {
      if (p.inputs.count(name)) continue;
      if (!position.count(name)) {
        std::string known;
        for (const auto& other : p.stages) known += (known.empty() ? "" : ", ") + other.name;
        for (const auto& [input, value] : p.inputs) known += ", " + input;
        fail(where, ": unknown reference '@", name, "' (stages and inputs: ", known, ")");
      }
      stage_refs.push_back(name);
    }
    s.uses = stage_refs;
    uses[s.name] = stage_refs;
  }
  std::set<std::string> finished;
  for (const auto& s : p.stages) {
    std::vector<std::string> trail;
    std::string cycle = find_cycle(uses, s.name, trail, finished);
    if (!cycle.empty()) fail(path, ": stage '", s.name, "': reference cycle ", cycle);
  }
  for (const auto& s : p.stages)
    for (const auto& name : s.uses)
      if (position[name] > position[s.name])
        fail(path, ": stage '", s.name, "' uses '@", name,
             "', which comes later; stages run in file order: move '", name, "' before '", s.name,
             "'");

  // Every stage's config, with placeholder paths for the outputs not made yet.
  for (const auto& s : p.stages) {
    auto placeholder = [&](const std::string& name) {
      return p.inputs.count(name) ? p.inputs.at(name) : p.dir + "/" + name;
    };
    try {
      plan_stage(s.kind, resolve_text(s.config_text, s.config_source, placeholder), s.config_source,
                 resolve_overrides(s.overrides, placeholder), stage_dir(p, s));
    } catch (const Error& e) {
      fail(path, ": stage '", s.name, "' (", s.kind, "): ", e.what());
    }
  }
  return p;
}

std::vector<nlohmann::json> run_pipeline(const Pipeline& p, const PipelineOptions& options) {
  size_t restart_from = p.stages.size();
  if (!options.restart.empty()) {
    for (size_t i = 0; i < p.stages.size(); ++i)
      if (p.stages[i].name == options.restart) restart_from = i;
    if (restart_from == p.stages.size())
      fail("--restart: ", p.path, " has no stage '", options.restart, "'");
    for (size_t i = restart_from; i < p.stages.size(); ++i) remove_tree(stage_dir(p, p.stages[i]));
  }

  std::map<std::string, std::string> outputs, hashes;
  std::vector<nlohmann::json> report;
  for (size_t i = 0; i < p.stages.size(); ++i) {
    const PipelineStage& s = p.stages[i];
    const std::string where = cat(p.path, ": stage '", s.name, "'");
    auto ref = [&](const std::string& name) {
      return outputs.count(name) ? outputs.at(name) : p.inputs.at(name);
    };
    StagePlan plan;
    try {
      plan = plan_stage(s.kind, resolve_text(s.config_text, s.config_source, ref), s.config_source,
                        resolve_overrides(s.overrides, ref), stage_dir(p, s));
    } catch (const Error& e) {
      fail(where, " (", s.kind, "): ", e.what());
    }
    // The hash covers the stages used too: redoing one invalidates what was built on it.
    std::string hashed = s.kind + "\n" + plan.resolved;
    for (const auto& name : s.uses) hashed += "\n@" + name + "=" + hashes.at(name);
    const std::string hash = hash_hex(hashed);
    hashes[s.name] = hash;

    const std::string dir = stage_dir(p, s), marker = dir + "/stage.json";
    const std::string head =
        cat("pipeline: [", i + 1, "/", p.stages.size(), "] ", s.name, " (", s.kind, ")");
    if (file_exists(marker)) {
      nlohmann::json m;
      try {
        m = nlohmann::json::parse(read_file(marker));
      } catch (const nlohmann::json::exception&) {
        fail(marker, ": not valid JSON");
      }
      if (m.value("config_hash", "") != hash)
        fail(where, ": its config (or a stage it uses) changed since it ",
             m.value("state", "") == "done" ? "completed" : "started", " (", marker,
             "); rerun it and the stages after it with --restart ", s.name);
      if (m.value("state", "") == "done") {
        const std::string output = m.value("output", "");
        if (!file_exists(output))
          fail(where, ": marked done but its output ", output, " is missing; rerun it with ",
               "--restart ", s.name);
        outputs[s.name] = output;
        std::cerr << head << ": done before, skipped -> " << output << "\n";
        report.push_back(
            {{"name", s.name}, {"kind", s.kind}, {"status", "skipped"}, {"output", output}});
        continue;
      }
    }
    make_dirs(dir);
    nlohmann::json m = {
        {"name", s.name}, {"kind", s.kind}, {"config_hash", hash}, {"state", "running"}};
    write_file_atomic(marker, m.dump(2) + "\n");
    write_file_atomic(dir + "/stage.toml", plan.resolved);
    std::cerr << head << ": running\n";
    std::string output;
    try {
      output = plan.run(options.quiet);
    } catch (const Error& e) {
      fail(where, " (", s.kind, ") failed: ", e.what());
    }
    m["state"] = "done";
    m["output"] = output;
    write_file_atomic(marker, m.dump(2) + "\n");
    outputs[s.name] = output;
    std::cerr << head << ": done -> " << output << "\n";
    report.push_back({{"name", s.name}, {"kind", s.kind}, {"status", "ran"}, {"output", output}});
  }
  return report;
}

}  // namespace r1
