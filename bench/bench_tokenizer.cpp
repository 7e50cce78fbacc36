// Tokenizer encode throughput (MB/s, one thread) on a few MB of mixed text
// (Python sources: code and English; plus CJK, emoji, math... from the
// fixture corpus), against Hugging Face `tokenizers` measured in the same run
// by tools/bench_tokenizer_hf.py on the same text. Also checks that both give
// exactly the same ids.
//
//   bench_tokenizer [--tokenizer DIR] [--text FILE] [--python .venv/bin/python]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"
#include "tokenizer/regex.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/io.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) r1::fail("cannot run: ", cmd);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  if (::pclose(p) != 0) r1::fail("command failed: ", cmd);
  return out;
}

// Same cut as the Python side: after the first newline >= 4096 bytes on.
std::vector<std::string> documents(const std::string& text) {
  std::vector<std::string> docs;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start + 4096);
    const size_t end = nl == std::string::npos ? text.size() : nl + 1;
    docs.push_back(text.substr(start, end - start));
    start = end;
  }
  return docs;
}

std::vector<int32_t> read_ids(const std::string& path) {
  const std::string bytes = r1::read_file(path);
  std::vector<int32_t> ids(bytes.size() / 4);
  std::memcpy(ids.data(), bytes.data(), ids.size() * 4);
  return ids;
}

struct Result {
  double load_s = 0, cold_s = 0, warm_s = 0;
  std::vector<int64_t> ids;
};

}  // namespace

int main(int argc, char** argv) {
  std::string tok_dir = std::string(R1_SHARED) + "/tokenizers/qwen3";
  std::string text_path = "/tmp/r1_bench_tokenizer.txt";
  std::string python = std::string(R1_SOURCE_DIR) + "/.venv/bin/python";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--tokenizer")
      tok_dir = argv[i + 1];
    else if (a == "--text")
      text_path = argv[i + 1];
    else if (a == "--python")
      python = argv[i + 1];
  }
  const std::string script = std::string(R1_SOURCE_DIR) + "/tools/bench_tokenizer_hf.py";
  const bool have_python = r1::file_exists(python);
  try {
    if (!r1::file_exists(text_path)) {
      if (!have_python) r1::fail(text_path, " does not exist and no Python to make it");
      run_command(python + " " + script + " --make-text " + text_path);
    }
    const std::string text = r1::read_file(text_path);
    const std::vector<std::string> docs = documents(text);
    const double mb = text.size() / 1e6;
    std::cout << "text: " << text_path << ", " << r1::bench::fixed(mb, 2) << " MB, " << docs.size()
              << " documents; tokenizer: " << tok_dir << "\n\n";

    auto measure = [&](bool whole) {
      Result r;
      auto t = Clock::now();
      r1::Tokenizer tok = r1::Tokenizer::load(tok_dir);
      r.load_s = seconds_since(t);
      auto run = [&] {
        std::vector<int64_t> ids;
        if (whole) return tok.encode(text);
        for (const auto& d : docs) {
          auto part = tok.encode(d);
          ids.insert(ids.end(), part.begin(), part.end());
        }
        return ids;
      };
      t = Clock::now();
      r.ids = run();
      r.cold_s = seconds_since(t);
      r.warm_s = r1::bench::median_seconds([&] { run(); }, 3, 2.0);
      return r;
    };

    // The regex pass alone (Qwen's pattern): PCRE2 JIT, as used, vs its interpreter.
    const char* kQwenPattern =
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    std::cout << "| regex pass (Qwen pattern, whole text) | MB/s | pieces |\n|---|---|---|\n";
    for (bool jit : {true, false}) {
      r1::Regex re(kQwenPattern, "bench", jit);
      std::vector<std::pair<size_t, size_t>> m;
      const double t = r1::bench::median_seconds(
          [&] {
            m.clear();
            re.find_all(text, m);
          },
          3, 1.0);
      std::cout << "| PCRE2 " << (jit ? "JIT" : "interpreter") << " | "
                << r1::bench::fixed(mb / t, 1) << " | " << m.size() << " |\n";
    }
    std::cout << "\n";

    std::cout
        << "| mode | implementation | load s | first encode s | encode s (warm) | MB/s | ids |\n"
           "|---|---|---|---|---|---|---|\n";
    for (bool whole : {false, true}) {
      const char* mode = whole ? "one 4 MB string" : "~4 KB documents";
      Result ours = measure(whole);
      auto row = [&](const char* impl, double load, double cold, double warm, size_t n) {
        std::cout << "| " << mode << " | " << impl << " | " << r1::bench::fixed(load, 2) << " | "
                  << r1::bench::fixed(cold, 3) << " | " << r1::bench::fixed(warm, 3) << " | "
                  << r1::bench::fixed(mb / warm, 2) << " | " << n << " |\n";
      };
      row("r1cpp", ours.load_s, ours.cold_s, ours.warm_s, ours.ids.size());
      if (!whole) {  // the same documents through encode_batch on 2 threads
        r1::Tokenizer tok = r1::Tokenizer::load(tok_dir);
        size_t n = 0;
        const double t2 = r1::bench::median_seconds(
            [&] {
              n = 0;
              for (const auto& ids : tok.encode_batch(docs, false, 2)) n += ids.size();
            },
            3, 2.0);
        std::cout << "| " << mode << " | r1cpp encode_batch, 2 threads | | | "
                  << r1::bench::fixed(t2, 3) << " | " << r1::bench::fixed(mb / t2, 2) << " | " << n
                  << " |\n";
      }
      if (!have_python) continue;
      const std::string ids_path = text_path + ".hf.ids";
      const auto hf = nlohmann::json::parse(
          run_command(python + " " + script + " --tokenizer " + tok_dir + " --text " + text_path +
                      " --mode " + (whole ? "whole" : "docs") + " --ids-out " + ids_path +
                      " --decoded-out " + ids_path + ".txt"));
      const double hf_warm = hf["warm_s"];
      row("HF tokenizers", hf["load_s"], hf["cold_s"], hf_warm, hf["num_ids"].get<size_t>());
      const auto hf_ids = read_ids(ids_path);
      size_t first_diff = 0;
      while (first_diff < hf_ids.size() && first_diff < ours.ids.size() &&
             hf_ids[first_diff] == ours.ids[first_diff])
        ++first_diff;
      const bool same = hf_ids.size() == ours.ids.size() && first_diff == hf_ids.size();
      std::cout << "| " << mode << " | ratio r1cpp / HF | | | | **"
                << r1::bench::fixed(hf_warm / ours.warm_s, 2) << "x** | "
                << (same ? "ids identical" : "IDS DIFFER at " + std::to_string(first_diff))
                << " |\n";
      if (!same) return 1;
      if (whole) {
        // Decode: all ids at once, and one id at a time through StreamDecoder
        // (what the rollout engine and server do).
        r1::Tokenizer tok = r1::Tokenizer::load(tok_dir);
        std::string decoded;
        const double dec =
            r1::bench::median_seconds([&] { decoded = tok.decode(ours.ids); }, 3, 1.0);
        std::string streamed;
        const double stream = r1::bench::median_seconds(
            [&] {
              r1::StreamDecoder s(tok);
              streamed.clear();
              for (int64_t id : ours.ids) streamed += s.put(id);
              streamed += s.finish();
            },
            3, 1.0);
        const double hf_dec = hf["decode_s"];
        const double ntok = ours.ids.size() / 1e6;
        // The text was NFC-normalized when encoded, so compare with HF's decode.
        const std::string hf_text = r1::read_file(ids_path + ".txt");
        std::cout << "\n| decode " << r1::bench::fixed(ntok, 2)
                  << " M ids | M tokens/s | equals HF's decode |\n|---|---|---|\n"
                  << "| r1cpp decode | " << r1::bench::fixed(ntok / dec, 1) << " | "
                  << (decoded == hf_text ? "yes" : "NO") << " |\n"
                  << "| r1cpp StreamDecoder, one id at a time | "
                  << r1::bench::fixed(ntok / stream, 1) << " | "
                  << (streamed == hf_text ? "yes" : "NO") << " |\n"
                  << "| HF tokenizers decode | " << r1::bench::fixed(ntok / hf_dec, 1) << " | |\n"
                  << "| ratio r1cpp / HF | **" << r1::bench::fixed(hf_dec / dec, 2) << "x** | |\n";
      }
    }
  } catch (const r1::Error& e) {
    std::cerr << "bench_tokenizer: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
