// r1 dashboard: the live training dashboard (serve/dashboard.h) alone, in the
// torch-free r1 binary so it starts at once. r1 serve --runs serves the same
// page beside the OpenAI API. docs/serve.md has the details.
#include "args.h"
#include "commands.h"
#include "serve/dashboard.h"
#include "serve/http_server.h"
#include "util/error.h"

namespace r1 {

int cmd_dashboard(const Args& args) {
  ArgParser p("r1 dashboard RUN_DIR [RUN_DIR ...] [--port N]",
              "A local page that follows run directories while they train (metrics.jsonl,\n"
              "samples.jsonl): every logged metric charted, several runs overlaid, the\n"
              "latest samples. The same as r1 serve --runs DIR ...");
  p.allow_positional("RUN_DIR", "run directories (train.output_dir)");
  p.add("--host", "ADDR", "address to listen on (0.0.0.0 exposes it to the network)", "127.0.0.1");
  p.add("--port", "N", "port (0 = any free one, printed at start)", "8000");
  if (!p.parse(args)) return 0;
  if (p.positional().empty()) fail("give at least one run directory");
  HttpServer server(32);
  add_dashboard_routes(server, p.positional());
  listen_until_signal(server, p.str("--host"), static_cast<int>(p.i64("--port")),
                      "r1 dashboard: listening");
  return 0;
}

}  // namespace r1
