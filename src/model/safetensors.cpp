#include "model/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/mapped_file.h"

namespace r1 {

namespace {

// A header this large is certainly corrupt (real ones are a few MB at most);
// refusing it keeps a garbage length from making us parse gigabytes.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "F32", 4},   {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::F64, "F64", 8},   {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},   {DType::I8, "I8", 1},   {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},
};

bool parse_dtype(const std::string& name, DType* out) {
  for (const auto& d : kDTypes) {
    if (name == d.name) {
      *out = d.dtype;
      return true;
    }
  }
  return false;
}

}  // namespace

const char* dtype_name(DType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d.name;
  return "?";
}

size_t dtype_size(DType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d.size;
  return 0;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

SafetensorsFile::~SafetensorsFile() = default;

SafetensorsFile::SafetensorsFile(const std::string& path)
    : path_(path), file_(std::make_unique<MappedFile>(path)) {
  const uint8_t* bytes = file_->data();
  const uint64_t file_size = file_->size();
  if (file_size < 8)
    fail(path, ": file has ", file_size, " bytes, too short for the 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > file_size - 8)
    fail(path, ": header length ", with_commas(header_len), " runs past the end of the file (",
         with_commas(file_size), " bytes); the file is truncated or not safetensors");
  if (header_len > kMaxHeaderBytes)
    fail(path, ": header length ", with_commas(header_len), " is implausibly large");

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes + 8, bytes + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": header is not valid JSON (", e.what(), ")");
  }
  if (!header.is_object()) fail(path, ": header is not a JSON object");

  const uint8_t* buffer = bytes + 8 + header_len;
  const uint64_t buffer_size = file_size - 8 - header_len;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(path, ": __metadata__ is not an object");
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        if (!m.value().is_string())
          fail(path, ": __metadata__ value '", m.key(), "' is not a string");
        metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto where = [&] { return cat(path, ": tensor '", name, "'"); };
    if (!entry.is_object()) fail(where(), " entry is not an object");
    if (!entry.contains("dtype") || !entry["dtype"].is_string()) fail(where(), " has no dtype");
    TensorView view;
    view.name = name;
    std::string dtype = entry["dtype"].get<std::string>();
    if (!parse_dtype(dtype, &view.dtype)) fail(where(), " has unsupported dtype '", dtype, "'");
    if (!entry.contains("shape") || !entry["shape"].is_array()) fail(where(), " has no shape");
    uint64_t numel = 1;
    for (const auto& dim : entry["shape"]) {
      if (!dim.is_number_unsigned())
        fail(where(), " has a shape entry that is not a non-negative integer");
      uint64_t d = dim.get<uint64_t>();
      if (d != 0 && numel > (uint64_t(1) << 48) / d) fail(where(), " has an absurdly large shape");
      numel *= d;
      view.shape.push_back(static_cast<int64_t>(d));
    }
    const auto& offsets = entry.contains("data_offsets") ? entry["data_offsets"] : nlohmann::json();
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      fail(where(), " has no valid data_offsets [begin, end]");
    uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end) fail(where(), " has data_offsets [", begin, ", ", end, "] with begin > end");
    if (end > buffer_size)
      fail(where(), " ends at byte ", with_commas(8 + header_len + end), " but the file has ",
           with_commas(file_size), " bytes (truncated?)");
    uint64_t expected = numel * dtype_size(view.dtype);
    if (end - begin != expected)
      fail(where(), " has ", with_commas(end - begin), " bytes but shape x ", dtype, " needs ",
           with_commas(expected));
    view.data = buffer + begin;
    view.nbytes = end - begin;
    ranges.emplace_back(begin, end);
    tensors_.emplace(name, std::move(view));
  }

  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second)
      fail(path, ": tensors overlap in the data buffer (bytes ", ranges[i].first, "..",
           ranges[i - 1].second, ")");
  }
}

const TensorView& SafetensorsFile::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(path_, ": missing tensor '", name, "'");
  return it->second;
}

std::string serialize_safetensors(const std::vector<TensorBytes>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // align the buffer to 8 bytes
  std::string out;
  out.reserve(8 + json.size() + offset);
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += json;
  for (const auto& t : tensors) out.append(static_cast<const char*>(t.data), t.nbytes);
  return out;
}

}  // namespace r1
