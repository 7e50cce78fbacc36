#include "model/checkpoint.h"

#include <ATen/ATen.h>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>

#include "model/safetensors.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/io.h"

namespace fs = std::filesystem;

namespace r1 {

namespace {

// A parameter's key in an optimizer's state map: its TensorImpl's address,
// printed (libtorch 1.x, std::string keys) or as it is (2.x, void* keys).
template <typename Key>
Key optimizer_state_key(const at::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream key;  // c10::guts::to_string, which 2.x no longer has
    key << p.unsafeGetTensorImpl();
    return key.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

const char* kIndexFile = "model.safetensors.index.json";
const char* kSingleFile = "model.safetensors";
// Files a model directory carries besides weights, copied through on save.
const char* kCompanionFiles[] = {
    "tokenizer.json", "tokenizer_config.json",  "special_tokens_map.json", "vocab.json",
    "merges.txt",     "generation_config.json", "chat_template.jinja"};

at::ScalarType scalar_type(DType d) {
  switch (d) {
    case DType::F32:
      return at::kFloat;
    case DType::F16:
      return at::kHalf;
    case DType::BF16:
      return at::kBFloat16;
    case DType::F64:
      return at::kDouble;
    case DType::I64:
      return at::kLong;
    case DType::I32:
      return at::kInt;
    case DType::I16:
      return at::kShort;
    case DType::I8:
      return at::kChar;
    case DType::U8:
      return at::kByte;
    case DType::BOOL:
      return at::kBool;
  }
  return at::kFloat;
}

DType file_dtype(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return DType::F32;
    case at::kHalf:
      return DType::F16;
    case at::kBFloat16:
      return DType::BF16;
    case at::kDouble:
      return DType::F64;
    case at::kLong:
      return DType::I64;
    case at::kInt:
      return DType::I32;
    case at::kByte:
      return DType::U8;
    case at::kBool:
      return DType::BOOL;
    default:
      fail("cannot save tensors of type ", c10::toString(t));
  }
}

// A copy of the bytes (the map may go away; parameters must be writable).
at::Tensor copy_tensor(const TensorView& view) {
  auto t = at::empty(view.shape, at::TensorOptions().dtype(scalar_type(view.dtype)));
  if (view.nbytes > 0) std::memcpy(t.data_ptr(), view.data, view.nbytes);
  return t;
}

at::ScalarType save_type(const std::string& dtype) {
  if (dtype == "float32") return at::kFloat;
  if (dtype == "bfloat16") return at::kBFloat16;
  if (dtype == "float16") return at::kHalf;
  fail("unknown save dtype '", dtype, "' (use float32, bfloat16 or float16)");
}

// The weight files of a model directory: one file, or the shards an index names.
std::vector<std::string> weight_files(const std::string& dir) {
  std::string index = dir + "/" + kIndexFile;
  if (file_exists(index)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(index));
    } catch (const nlohmann::json::exception& e) {
      fail(index, ": not valid JSON (", e.what(), ")");
    }
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      fail(index, ": missing 'weight_map' object");
    std::set<std::string> shards;
    for (auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string()) fail(index, ": weight_map entry '", name, "' is not a file name");
      shards.insert(file.get<std::string>());
    }
    std::vector<std::string> out;
    for (const auto& s : shards) out.push_back(dir + "/" + s);
    return out;
  }
  std::string single = dir + "/" + kSingleFile;
  if (file_exists(single)) return {single};
  if (file_exists(dir + "/pytorch_model.bin"))
    fail(dir,
         ": has pytorch_model.bin only; r1cpp reads safetensors (convert with transformers' "
         "save_pretrained(safe_serialization=True))");
  fail(dir, ": no ", kSingleFile, " or ", kIndexFile, " found");
}

// Old checkpoints carry derived buffers that are not weights.
bool ignorable(const std::string& name, const ModelConfig& c) {
  if (name.find("rotary_emb.inv_freq") != std::string::npos) return true;
  return c.tie_word_embeddings && name == "lm_head.weight";
}

}  // namespace

std::map<std::string, at::Tensor> load_safetensors(const std::string& path) {
  SafetensorsFile file(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, view] : file.tensors()) out[name] = copy_tensor(view);
  return out;
}

void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors) {
  std::vector<at::Tensor> keep;
  std::vector<TensorBytes> bytes;
  for (const auto& [name, t] : tensors) {
    keep.push_back(t.detach().to(at::kCPU).contiguous());
    const at::Tensor& c = keep.back();
    bytes.push_back({name, file_dtype(c.scalar_type()), c.sizes().vec(), c.data_ptr(),
                     static_cast<size_t>(c.numel() * c.element_size())});
  }
  write_file_atomic(path, serialize_safetensors(bytes, {{"format", "pt"}}));
}

void load_optimizer(torch::optim::AdamW& optimizer, const std::string& path) {
  if (!file_exists(path)) fail(path, ": missing (the checkpoint has no optimizer state)");
  try {
    torch::load(optimizer, path);
  } catch (const c10::Error& e) {
    const std::string why = e.what_without_backtrace();
    fail(path, ": not an optimizer state r1cpp can load (", why.substr(0, why.find('\n')), ")");
  }
  int64_t index = 0;
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& p : group.params()) {
      using Key = typename std::decay_t<decltype(optimizer.state())>::key_type;
      auto it = optimizer.state().find(optimizer_state_key<Key>(p));
      if (it != optimizer.state().end()) {
        const auto* s = dynamic_cast<const torch::optim::AdamWParamState*>(it->second.get());
        if (!s) fail(path, ": parameter ", index, " has no AdamW state");
        for (const at::Tensor* t : {&s->exp_avg(), &s->exp_avg_sq()}) {
          if (!t->defined() || t->sizes() != p.sizes())
            fail(path, ": parameter ", index, " has moments of shape ",
                 t->defined() ? t->sizes() : at::IntArrayRef{}, " but the model's has ", p.sizes(),
                 " (a checkpoint of another model?)");
          if (!at::isfinite(*t).all().item<bool>())
            fail(path, ": parameter ", index, " has moments that are not finite");
        }
        if (s->step() < 0) fail(path, ": parameter ", index, " has a negative step count");
      }
      ++index;
    }
  }
}

std::string weights_description(const std::string& dir) {
  auto files = weight_files(dir);
  if (files.size() == 1) return fs::path(files[0]).filename().string();
  return cat(files.size(), " shards (", kIndexFile, ")");
}

Model load_model(const std::string& dir, const at::Device& device, at::ScalarType dtype) {
  if (!is_directory(dir)) fail(dir, ": not a model directory");
  ModelConfig config = load_config(dir + "/config.json");

  std::vector<std::unique_ptr<SafetensorsFile>> files;
  std::map<std::string, std::pair<const TensorView*, const SafetensorsFile*>> found;
  for (const auto& path : weight_files(dir)) {
    files.push_back(std::make_unique<SafetensorsFile>(path));
    for (const auto& [name, view] : files.back()->tensors()) {
      auto [it, fresh] = found.try_emplace(name, &view, files.back().get());
      if (!fresh)  // which copy is right is unknowable: never let the last one win
        fail(path, ": tensor '", name, "' is also in ", it->second.second->path());
    }
  }

  // Shape-only placeholders (the meta device allocates nothing), then filled.
  Model model = allocate_model(config, [](std::vector<int64_t> shape, ParamKind) {
    return at::empty(shape, at::TensorOptions().device(at::kMeta));
  });
  auto slots = model.named_parameters();
  std::set<std::string> used;
  for (size_t i = 0; i < slots.size(); ++i) {
    const std::string& name = slots[i].first;
    auto it = found.find(name);
    if (it == found.end())
      fail(dir, ": missing tensor '", name, "' in ",
           files.size() == 1 ? files[0]->path() : cat(files.size(), " shards of ", kIndexFile),
           " (model_type ", config.model_type, ")");
    const TensorView& view = *it->second.first;
    const std::string where = cat(it->second.second->path(), ": tensor '", name, "'");
    auto want = slots[i].second->sizes();
    if (at::IntArrayRef(view.shape) != want)
      fail(where, " has shape ", at::IntArrayRef(view.shape), " but config.json implies ", want);
    if (!at::isFloatingType(scalar_type(view.dtype)))
      fail(where, " has dtype ", dtype_name(view.dtype), ", which cannot hold model weights");
    *slots[i].second = copy_tensor(view).to(device, dtype);
    used.insert(name);
  }
  for (const auto& [name, entry] : found) {
    if (!used.count(name) && !ignorable(name, config))
      fail(entry.second->path(), ": unexpected tensor '", name, "' for model_type ",
           config.model_type, " (wrong config.json?)");
  }
  finalize_model(model);
  return model;
}

void save_model(Model& model, const std::string& dir, const SaveOptions& options) {
  const at::ScalarType type = save_type(options.dtype);
  std::string staging = make_staging_dir(dir);

  ModelConfig config = model.config;
  config.torch_dtype = options.dtype;
  write_file_atomic(staging + "/config.json", config_to_json(config).dump(2) + "\n");

  // Convert, then group tensors into shards of at most max_shard_bytes.
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (auto& [name, t] : model.named_parameters())
    tensors.emplace_back(name, t->detach().to(at::kCPU, type).contiguous());
  std::vector<std::vector<TensorBytes>> shards(1);
  int64_t shard_bytes = 0, total_bytes = 0;
  for (const auto& [name, t] : tensors) {
    int64_t n = t.numel() * t.element_size();
    if (shard_bytes > 0 && shard_bytes + n > options.max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back(
        {name, file_dtype(type), t.sizes().vec(), t.data_ptr(), static_cast<size_t>(n)});
    shard_bytes += n;
    total_bytes += n;
  }
  const std::map<std::string, std::string> metadata = {{"format", "pt"}};
  if (shards.size() == 1) {
    write_file_atomic(staging + "/" + kSingleFile, serialize_safetensors(shards[0], metadata));
  } else {
    nlohmann::json index = {{"metadata", {{"total_size", total_bytes}}},
                            {"weight_map", nlohmann::json::object()}};
    for (size_t s = 0; s < shards.size(); ++s) {
      char file[64];
      std::snprintf(file, sizeof(file), "model-%05zu-of-%05zu.safetensors", s + 1, shards.size());
      write_file_atomic(staging + "/" + file, serialize_safetensors(shards[s], metadata));
      for (const auto& t : shards[s]) index["weight_map"][t.name] = file;
    }
    write_file_atomic(staging + "/" + kIndexFile, index.dump(2) + "\n");
  }

  bool copied_generation_config = false;
  if (!options.copy_from_dir.empty()) {
    for (const char* name : kCompanionFiles) {
      std::string src = options.copy_from_dir + "/" + name;
      if (!file_exists(src)) continue;
      write_file_atomic(staging + "/" + name, read_file(src));
      if (std::string(name) == "generation_config.json") copied_generation_config = true;
    }
  }
  if (!copied_generation_config) {
    nlohmann::json gen = nlohmann::json::object();
    if (config.bos_token_id >= 0) gen["bos_token_id"] = config.bos_token_id;
    if (config.eos_token_ids.size() == 1)
      gen["eos_token_id"] = config.eos_token_ids[0];
    else if (!config.eos_token_ids.empty())
      gen["eos_token_id"] = config.eos_token_ids;
    write_file_atomic(staging + "/generation_config.json", gen.dump(2) + "\n");
  }
  if (options.write_extra) options.write_extra(staging);
  publish_dir_atomic(staging, dir);
}

}  // namespace r1
