#include "model/train_checkpoint.h"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <vector>

#include "model/checkpoint.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"

namespace fs = std::filesystem;

namespace r1 {

namespace {

const char* const kMasterWeights = "master.safetensors";

// The complete checkpoints of a run (step-N with trainer_state.json), by step.
std::map<int64_t, std::string> complete_checkpoints(const std::string& dir) {
  std::map<int64_t, std::string> out;
  if (!is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("step-", 0) != 0 || name.size() == 5 || name.size() > 20) continue;
    if (!std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    if (file_exists(e.path().string() + "/trainer_state.json"))
      out[std::stoll(name.substr(5))] = e.path().string();
  }
  return out;
}

void prune(const std::string& checkpoints_dir, const CheckpointPolicy& policy) {
  auto all = complete_checkpoints(checkpoints_dir);
  if (all.empty()) return;
  const int64_t newest = all.rbegin()->first;
  int64_t keep = policy.save_total_limit > 0 ? policy.save_total_limit : INT64_MAX;
  int64_t rank = static_cast<int64_t>(all.size());  // 1 = newest
  for (const auto& [step, dir] : all) {
    if (step != newest && policy.keep_resume_state == "latest") remove_tree(dir + "/resume");
    if (rank-- > keep) remove_tree(dir);
  }
}

}  // namespace

void CheckpointPolicy::validate() const {
  if (every < 0) fail("train.checkpoint_every must be >= 0, got ", every);
  if (save_total_limit < 0) fail("train.save_total_limit must be >= 0, got ", save_total_limit);
  if (save_dtype != "float32" && save_dtype != "bfloat16" && save_dtype != "float16")
    fail("train.save_dtype: unknown '", save_dtype, "' (float32, bfloat16, float16)");
  if (keep_resume_state != "latest" && keep_resume_state != "all")
    fail("train.keep_resume_state: unknown '", keep_resume_state, "' (latest, all)");
}

void add_checkpoint_fields(FieldTable& table, CheckpointPolicy& p) {
  table.push_back({"train.checkpoint_every", &p.every,
                   "checkpoint every N steps, and at the end (0 = end only)", "TRL save_steps"});
  table.push_back({"train.save_total_limit", &p.save_total_limit,
                   "keep the newest N checkpoints (0 = all); only the newest keeps resume state",
                   "TRL save_total_limit"});
  table.push_back({"train.save_dtype", &p.save_dtype,
                   "float32 | bfloat16 | float16: dtype of the published weights (resume state "
                   "stays fp32)"});
  table.push_back({"train.keep_resume_state", &p.keep_resume_state,
                   "latest | all: which checkpoints keep the optimizer state and fp32 weights "
                   "needed to resume"});
}

std::string save_checkpoint(Model& model, const std::string& run_dir, int64_t step,
                            const CheckpointPolicy& policy, const CheckpointContents& contents) {
  const std::string checkpoints = run_dir + "/checkpoints";
  make_dirs(checkpoints);
  SaveOptions save;
  save.dtype = policy.save_dtype;
  save.copy_from_dir = contents.copy_from_dir;
  save.write_extra = [&](const std::string& staging) {
    const std::string resume = staging + "/resume";
    make_dirs(resume);
    if (policy.save_dtype != "float32") {
      std::map<std::string, at::Tensor> master;
      for (auto& [name, t] : model.named_parameters()) master[name] = t->detach();
      save_safetensors(resume + "/" + kMasterWeights, master);
    }
    if (contents.write_resume) contents.write_resume(resume);
    // Written last: a checkpoint without it is incomplete and never resumed from.
    write_file_atomic(staging + "/trainer_state.json", contents.trainer_state.dump(2) + "\n");
  };
  const std::string dir = checkpoints + "/step-" + std::to_string(step);
  save_model(model, dir, save);
  prune(checkpoints, policy);
  return dir;
}

Model load_resume_model(const std::string& checkpoint_dir, const at::Device& device) {
  Model model = load_model(checkpoint_dir, device);
  const std::string master = checkpoint_dir + "/resume/" + kMasterWeights;
  if (!file_exists(master)) return model;
  auto saved = load_safetensors(master);
  at::NoGradGuard no_grad;
  for (auto& [name, t] : model.named_parameters()) {
    auto it = saved.find(name);
    if (it == saved.end()) fail(master, ": no tensor '", name, "'");
    if (!it->second.sizes().equals(t->sizes()))
      fail(master, ": tensor '", name, "' has shape ", it->second.sizes(), ", the model ",
           t->sizes());
    t->copy_(it->second);
  }
  finalize_model(model);
  return model;
}

std::string resume_file(const std::string& checkpoint_dir, const std::string& name) {
  for (const std::string& path : {checkpoint_dir + "/resume/" + name, checkpoint_dir + "/" + name})
    if (file_exists(path)) return path;
  fail(checkpoint_dir, ": no resume state (", name,
       "): with train.keep_resume_state = \"latest\" only the newest checkpoint keeps it");
}

}  // namespace r1
