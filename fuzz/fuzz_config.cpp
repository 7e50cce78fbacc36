// The TOML config reader and --set overrides over a table with a field of
// each type and a [[rewards]] list. The input is TOML, then (after a NUL
// byte, if any) one --set assignment per line. Bad input is an r1::Error.
#include <cstdint>
#include <sstream>
#include <string>

#include "reward/reward.h"
#include "util/config.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  std::string path = "model", type = "qwen2";
  int64_t steps = 1, seed = 0;
  double lr = 1e-6, beta = 0;
  bool shuffle = true;
  const r1::FieldTable table = {{"model.path", &path, ""},     {"model.type", &type, ""},
                                {"train.steps", &steps, ""},   {"train.seed", &seed, ""},
                                {"optim.lr", &lr, ""},         {"rl.beta", &beta, ""},
                                {"data.shuffle", &shuffle, ""}};
  try {
    const nlohmann::json lists =
        r1::apply_toml(table, input.substr(0, nul), "fuzz.toml", {"rewards"});
    if (lists.contains("rewards")) {
      const auto specs = r1::parse_reward_specs(lists["rewards"], "fuzz.toml");
      r1::reward_specs_to_tables(specs);
    }
    if (nul != std::string::npos) {
      std::istringstream sets(input.substr(nul + 1));
      for (std::string line; std::getline(sets, line);) r1::apply_override(table, line);
    }
    r1::dump_toml(table, lists);
  } catch (const r1::Error&) {
  }
  return 0;
}
