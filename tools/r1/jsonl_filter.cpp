// See jsonl_filter.h.
#include "jsonl_filter.h"

#include <iostream>

#include "util/error.h"
#include "util/io.h"

namespace r1 {

int filter_jsonl(const std::string& command, const std::string& in_path,
                 const std::string& out_path,
                 const std::function<nlohmann::json(const nlohmann::json& row,
                                                    const std::string& line)>& handle) {
  auto in = open_input(in_path);
  auto out = open_output(out_path);
  int64_t errors = 0;
  const bool streaming = in_path == "-";
  for_each_line(*in, [&](int64_t number, const std::string& line) {
    const nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    nlohmann::json result;
    try {
      if (row.is_discarded()) fail("not valid JSON");
      if (!row.is_object()) fail("expected a JSON object");
      result = handle(row, line);
    } catch (const Error& e) {
      result = {{"error", cat(in_path, ":", number, ": ", e.what())}};
      ++errors;
    }
    if (row.is_object() && row.contains("id")) result["id"] = row["id"];
    *out << result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (streaming) out->flush();
  });
  out->flush();
  if (errors > 0) std::cerr << "r1 " << command << ": " << errors << " line(s) had errors\n";
  return errors > 0 ? 1 : 0;
}

}  // namespace r1
