// Jinja2 for chat templates, the evaluator: runs the statement tree from
// jinja_parse.cpp over JSON values with Python semantics (jinja_value.cpp),
// with the globals, filters, tests and methods chat templates use.
#include "tokenizer/jinja.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <ctime>
#include <map>
#include <optional>
#include <vector>

#include "tokenizer/jinja_ast.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace r1::jinja {

namespace {

struct LoopControl {
  bool is_break;
};

// What one value costs in memory besides its string bytes: a json node and its
// share of the vector or map holding it, rounded up.
constexpr int64_t kNodeBytes = 64;

// How big a value is, roughly in bytes (kNodeBytes a node plus string bytes),
// and how deeply it nests; measuring stops once either is over its limit.
struct Size {
  int64_t bytes = 0;
  int depth = 0;
};

void measure(const json& j, int depth, const Limits& lim, Size& size) {
  size.bytes += kNodeBytes;
  size.depth = std::max(size.depth, depth);
  if (size.bytes > lim.max_bytes || depth > lim.max_depth) return;
  if (j.is_string()) {
    size.bytes += static_cast<int64_t>(j.get_ref<const std::string&>().size());
  } else if (j.is_array()) {
    for (const auto& x : j) {
      measure(x, depth + 1, lim, size);
      if (size.bytes > lim.max_bytes || size.depth > lim.max_depth) return;
    }
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      size.bytes += static_cast<int64_t>(it.key().size());
      measure(it.value(), depth + 1, lim, size);
      if (size.bytes > lim.max_bytes || size.depth > lim.max_depth) return;
    }
  }
}

// Checked int64 arithmetic: Python's ints do not overflow, so an overflow
// here is a template error, never a wrapped value.
[[noreturn]] void overflow(int line, const char* op) {
  error_at(line, cat("integer overflow in '", op, "'"));
}

// A float as an int64 (Python's int(x)): an error where it has no such value.
int64_t float_to_int(double d, int line) {
  if (!(d > -9.2233720368547758e18 && d < 9.2233720368547758e18))
    error_at(line, cat("cannot convert ", d, " to a 64-bit integer"));
  return static_cast<int64_t>(d);
}

class Renderer {
 public:
  Renderer(const json& context, const Limits& limits)
      : limits_(limits), start_(std::chrono::steady_clock::now()) {
    scopes_.push_back(vars_of(context));
  }

  void run(const Block& block, std::string& out) {
    for (const auto& s : block) exec(*s, out);
  }

 private:
  using Scope = std::map<std::string, Value>;

  // One unit of work: the step budget and, every 1024 steps, the clock.
  void tick(int line) {
    if (++steps_ > limits_.max_steps)
      error_at(line,
               cat("rendering took more than ", limits_.max_steps, " steps (a runaway loop?)"));
    if ((steps_ & 1023) == 0) {
      const std::chrono::duration<double> spent = std::chrono::steady_clock::now() - start_;
      if (spent.count() > limits_.max_seconds)
        error_at(line, cat("rendering took more than ", limits_.max_seconds, " s"));
    }
  }

  // Counts one level of render recursion for its scope.
  struct Nest {
    Nest(Renderer& r, int line) : r_(r) {
      if (++r_.depth_ > r_.limits_.max_depth) {
        --r_.depth_;
        error_at(line, cat("rendering nested more than ", r_.limits_.max_depth,
                           " levels deep (a recursive macro?)"));
      }
    }
    ~Nest() { --r_.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
    Renderer& r_;
  };

  void check_string(const std::string& s, int line) const {
    if (static_cast<int64_t>(s.size()) > limits_.max_bytes)
      error_at(line, cat("a string of more than ", with_commas(limits_.max_bytes), " bytes"));
  }
  // A built list, dict or namespace: bounded in size and nesting.
  void check_json(const json& j, int line) const {
    Size size;
    measure(j, 0, limits_, size);
    if (size.bytes > limits_.max_bytes)
      error_at(line, cat("a value of more than ", with_commas(limits_.max_bytes), " bytes"));
    if (size.depth > limits_.max_depth)
      error_at(line, cat("a value nested more than ", limits_.max_depth, " levels deep"));
  }
  Value check_value(Value v, int line) const {
    check_json(v.j, line);
    return v;
  }
  Value str_val(std::string s, int line) const {
    check_string(s, line);
    return val(std::move(s));
  }
  // Items of a string or a range: too many would exhaust memory before the
  // step budget runs out.
  void check_items(int64_t n, int line) const {
    if (n > limits_.max_bytes / kNodeBytes)
      error_at(line, cat("a sequence of ", n, " items (the limit is ",
                         limits_.max_bytes / kNodeBytes, ")"));
  }

  static Scope vars_of(const json& context) {
    Scope s;
    for (auto it = context.begin(); it != context.end(); ++it) s[it.key()] = val(it.value());
    return s;
  }

  Value* find_var(const std::string& name) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) return &f->second;
    }
    return nullptr;
  }

  void exec(const Stmt& s, std::string& out) {
    tick(s.line);
    Nest nest(*this, s.line);
    switch (s.kind) {
      case Stmt::kText:
        out += s.text;
        check_string(out, s.line);
        return;
      case Stmt::kOutput:
        out += to_str(eval(*s.expr));
        check_string(out, s.line);
        return;
      case Stmt::kBody:
        run(s.body, out);
        return;
      case Stmt::kBreak:
        throw LoopControl{true};
      case Stmt::kContinue:
        throw LoopControl{false};
      case Stmt::kIf:
        for (const auto& [cond, body] : s.branches)
          if (truthy(eval(*cond))) {
            run(body, out);
            return;
          }
        run(s.else_body, out);
        return;
      case Stmt::kSet: {
        Value v = eval(*s.expr);
        if (s.targets.size() == 1) {
          scopes_.back()[s.targets[0]] = v;
          return;
        }
        Value* ns = find_var(s.targets[0]);
        if (!ns || !ns->j.is_object())
          error_at(s.line, "'" + s.targets[0] + "' is not a namespace");
        ns->j[s.targets[1]] = v.j;
        check_json(ns->j, s.line);  // {% set ns.a = ns %} doubles it
        return;
      }
      case Stmt::kFor:
        exec_for(s, out);
        return;
      case Stmt::kSetBlock: {
        std::string text;
        run(s.body, text);
        scopes_.back()[s.targets[0]] = val(text);
        return;
      }
      case Stmt::kMacro:
        macros_[s.targets[0]] = &s;
        scopes_.back()[s.targets[0]] = val(json{{"__macro__", s.targets[0]}});
        return;
    }
  }

  void exec_for(const Stmt& s, std::string& out) {
    Value seq = eval(*s.expr);
    std::vector<json> items;
    if (seq.undefined || seq.j.is_null()) {
    } else if (seq.j.is_array()) {
      items.assign(seq.j.begin(), seq.j.end());
    } else if (seq.j.is_object()) {
      for (auto it = seq.j.begin(); it != seq.j.end(); ++it) items.push_back(it.key());
    } else if (seq.j.is_string()) {
      const auto cps = code_points(seq.j.get<std::string>());
      check_items(static_cast<int64_t>(cps.size()), s.line);
      for (size_t i = 0; i < cps.size(); ++i) items.push_back(from_code_points(cps, i, i + 1));
    } else {
      error_at(s.line, "cannot loop over " + python_repr(seq.j));
    }
    auto bind = [&](Scope& scope, const json& item) {
      if (s.targets.size() == 1) {
        scope[s.targets[0]] = val(item);
        return;
      }
      if (!item.is_array() || item.size() != s.targets.size())
        error_at(s.line, "cannot unpack " + python_repr(item));
      for (size_t k = 0; k < s.targets.size(); ++k) scope[s.targets[k]] = val(item[k]);
    };
    if (s.filter) {  // "for x in y if cond" filters before loop.* is computed
      std::vector<json> kept;
      for (const auto& item : items) {
        scopes_.emplace_back();
        bind(scopes_.back(), item);
        const bool keep = truthy(eval(*s.filter));
        scopes_.pop_back();
        if (keep) kept.push_back(item);
      }
      items.swap(kept);
    }
    if (items.empty()) {
      run(s.else_body, out);
      return;
    }
    const int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      tick(s.line);
      scopes_.emplace_back();
      bind(scopes_.back(), items[i]);
      json loop = {{"index0", i},           {"index", i + 1}, {"first", i == 0},
                   {"last", i == n - 1},    {"length", n},    {"revindex", n - i},
                   {"revindex0", n - i - 1}};
      if (i > 0) loop["previtem"] = items[i - 1];
      if (i + 1 < n) loop["nextitem"] = items[i + 1];
      scopes_.back()["loop"] = val(loop);
      bool stop = false;
      try {
        run(s.body, out);
      } catch (const LoopControl& c) {
        stop = c.is_break;
      }
      scopes_.pop_back();
      if (stop) break;
    }
  }

  Value eval(const Expr& e) {
    tick(e.line);
    Nest nest(*this, e.line);
    switch (e.kind) {
      case Expr::kLiteral:
        return val(e.literal);
      case Expr::kName: {
        Value* v = find_var(e.name);
        if (v) return *v;
        static const char* kGlobals[] = {"raise_exception", "namespace", "range", "strftime_now",
                                         "dict"};
        for (const char* g : kGlobals)
          if (e.name == g) return val(json{{"__function__", g}});
        return Value::undef();
      }
      case Expr::kList: {
        json a = json::array();
        for (const auto& x : e.args) a.push_back(eval(*x).j);
        return check_value(val(std::move(a)), e.line);
      }
      case Expr::kDict: {
        json o = json::object();
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value k = eval(*e.args[i]);
          if (!k.j.is_string()) error_at(e.line, "dict keys must be strings");
          o[k.j.get<std::string>()] = eval(*e.args[i + 1]).j;
        }
        return check_value(val(std::move(o)), e.line);
      }
      case Expr::kAttr: {
        Value obj = eval(*e.args[0]);
        if (obj.undefined) error_at(e.line, "'" + e.name + "' of an undefined value");
        return get_item(obj, json(e.name), e.line);
      }
      case Expr::kItem: {
        Value obj = eval(*e.args[0]);
        if (obj.undefined) error_at(e.line, "subscript of an undefined value");
        return get_item(obj, eval(*e.args[1]).j, e.line);
      }
      case Expr::kSlice:
        return slice(e);
      case Expr::kCall:
        return call(e);
      case Expr::kFilter:
        return filter(e);
      case Expr::kTest: {
        const bool r = test(e);
        return val(e.negated ? !r : r);
      }
      case Expr::kUnary: {
        Value v = eval(*e.args[0]);
        if (!v.j.is_number()) error_at(e.line, "unary " + e.name + " needs a number");
        if (e.name == "+") return v;
        if (v.j.is_number_float()) return val(-v.j.get<double>());
        int64_t r;
        if (__builtin_sub_overflow(int64_t{0}, v.j.get<int64_t>(), &r)) overflow(e.line, "-");
        return val(r);
      }
      case Expr::kNot:
        return val(!truthy(eval(*e.args[0])));
      case Expr::kAnd: {
        Value a = eval(*e.args[0]);
        return truthy(a) ? eval(*e.args[1]) : a;
      }
      case Expr::kOr: {
        Value a = eval(*e.args[0]);
        return truthy(a) ? a : eval(*e.args[1]);
      }
      case Expr::kTernary:
        if (truthy(eval(*e.args[1]))) return eval(*e.args[0]);
        return e.args[2] ? eval(*e.args[2]) : Value::undef();
      case Expr::kBinary:
        return binary(e.name, eval(*e.args[0]), eval(*e.args[1]), e.line);
      case Expr::kCompare: {
        Value left = eval(*e.args[0]);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.args[i + 1]);
          if (!truthy(binary(e.ops[i], left, right, e.line))) return val(false);
          left = right;
        }
        return val(true);
      }
    }
    return Value::undef();
  }

  Value get_item(const Value& obj, const json& key, int line) {
    const json& j = obj.j;
    if (j.is_object()) {
      if (!key.is_string()) return Value::undef();
      auto it = j.find(key.get<std::string>());
      return it == j.end() ? Value::undef() : val(*it);
    }
    if ((j.is_array() || j.is_string()) && key.is_number_integer()) {
      if (j.is_string()) {
        const auto cps = code_points(j.get<std::string>());
        int64_t i = key.get<int64_t>();
        if (i < 0) i += static_cast<int64_t>(cps.size());
        if (i < 0 || i >= static_cast<int64_t>(cps.size())) return Value::undef();
        return val(from_code_points(cps, i, i + 1));
      }
      int64_t i = key.get<int64_t>();
      if (i < 0) i += static_cast<int64_t>(j.size());
      if (i < 0 || i >= static_cast<int64_t>(j.size())) return Value::undef();
      return val(j[i]);
    }
    (void)line;
    return Value::undef();
  }

  Value slice(const Expr& e) {
    Value obj = eval(*e.args[0]);
    auto bound = [&](int k) -> std::optional<int64_t> {
      if (!e.args[k]) return std::nullopt;
      Value v = eval(*e.args[k]);
      if (v.j.is_null()) return std::nullopt;
      if (!v.j.is_number_integer()) error_at(e.line, "slice bounds must be integers");
      return v.j.get<int64_t>();
    };
    const auto start = bound(1), stop = bound(2), step_opt = bound(3);
    const int64_t step = step_opt.value_or(1);
    if (step == 0) error_at(e.line, "slice step cannot be zero");
    const bool is_str = obj.j.is_string();
    std::vector<uint32_t> cps;
    if (is_str)
      cps = code_points(obj.j.get<std::string>());
    else if (!obj.j.is_array())
      error_at(e.line, "cannot slice " + python_repr(obj.j));
    const int64_t n = static_cast<int64_t>(is_str ? cps.size() : obj.j.size());
    auto norm = [&](std::optional<int64_t> v, int64_t dflt, int64_t lo, int64_t hi) {
      if (!v) return dflt;
      int64_t x = *v < 0 ? *v + n : *v;
      return std::max(lo, std::min(hi, x));
    };
    // Python's picks; 128-bit steps so a huge step cannot overflow.
    std::vector<int64_t> picked;
    if (step > 0) {
      const int64_t end = norm(stop, n, 0, n);
      for (__int128 i = norm(start, 0, 0, n); i < end; i += step)
        picked.push_back(static_cast<int64_t>(i));
    } else {
      const int64_t end = norm(stop, -1, -1, n - 1);
      for (__int128 i = norm(start, n - 1, -1, n - 1); i > end; i += step)
        picked.push_back(static_cast<int64_t>(i));
    }
    if (is_str) {
      std::string s;
      for (int64_t p : picked) utf8::append(s, cps[p]);
      return val(s);
    }
    json r = json::array();
    for (int64_t p : picked) r.push_back(obj.j[p]);
    return val(std::move(r));
  }

  std::vector<Value> positional(const Expr& e, size_t skip) {
    std::vector<Value> out;
    for (size_t i = skip; i < e.args.size(); ++i) out.push_back(eval(*e.args[i]));
    return out;
  }

  const Expr* kwarg(const Expr& e, const char* name) {
    for (const auto& [k, v] : e.kwargs)
      if (k == name) return v.get();
    return nullptr;
  }

  // A macro renders its body with the template's top-level variables and its
  // parameters (positional, keyword, defaults) and returns the text.
  Value call_macro(const std::string& name, const Expr& e) {
    auto it = macros_.find(name);
    if (it == macros_.end()) error_at(e.line, "unknown macro " + name);
    const Stmt& m = *it->second;
    const size_t n_params = m.targets.size() - 1;
    const auto args = positional(e, 1);
    if (args.size() > n_params) error_at(e.line, "too many arguments to macro " + name);
    Scope params;
    for (size_t i = 0; i < n_params; ++i) {
      const std::string& p = m.targets[i + 1];
      if (i < args.size()) {
        params[p] = args[i];
      } else if (const Expr* k = kwarg(e, p.c_str())) {
        params[p] = eval(*k);
      } else {
        params[p] = m.defaults[i] ? eval(*m.defaults[i]) : Value::undef();
      }
    }
    std::vector<Scope> saved = std::move(scopes_);
    scopes_ = {saved.front(), std::move(params)};
    std::string text;
    try {
      run(m.body, text);
    } catch (...) {
      scopes_ = std::move(saved);
      throw;
    }
    scopes_ = std::move(saved);
    return val(text);
  }

  Value call(const Expr& e) {
    const Expr& callee = *e.args[0];
    if (callee.kind == Expr::kAttr) {  // a method
      Value obj = eval(*callee.args[0]);
      if (obj.undefined) error_at(e.line, "method '" + callee.name + "' of an undefined value");
      return method(obj, callee.name, positional(e, 1), e);
    }
    Value f = eval(callee);
    if (f.j.is_object() && f.j.contains("__macro__")) return call_macro(f.j["__macro__"], e);
    if (!f.j.is_object() || !f.j.contains("__function__"))
      error_at(e.line, "'" + (callee.kind == Expr::kName ? callee.name : std::string("value")) +
                           "' is not a function r1cpp knows");
    const std::string name = f.j["__function__"];
    const auto args = positional(e, 1);
    if (name == "raise_exception")
      fail("chat template raised: ", args.empty() ? std::string() : to_str(args[0]));
    if (name == "namespace" || name == "dict") {
      json o = json::object();
      for (const auto& [k, v] : e.kwargs) o[k] = eval(*v).j;
      return check_value(val(std::move(o)), e.line);
    }
    if (name == "range") {
      if (args.empty() || args.size() > 3) error_at(e.line, "range() takes 1 to 3 arguments");
      for (const auto& a : args)
        if (!a.j.is_number_integer())
          error_at(e.line, "range() needs integers, not " + python_repr(a.j).substr(0, 40));
      int64_t a = 0, b = 0, step = 1;
      if (args.size() == 1) b = args[0].j.get<int64_t>();
      if (args.size() >= 2) a = args[0].j.get<int64_t>(), b = args[1].j.get<int64_t>();
      if (args.size() == 3) step = args[2].j.get<int64_t>();
      if (step == 0) error_at(e.line, "range() step cannot be zero");
      const __int128 span = step > 0 ? __int128{b} - a : __int128{a} - b;
      const __int128 count = span <= 0 ? 0 : (span - 1) / (step > 0 ? step : -__int128{step}) + 1;
      check_items(count > INT64_MAX ? INT64_MAX : static_cast<int64_t>(count), e.line);
      json r = json::array();
      for (__int128 i = 0; i < count; ++i) r.push_back(static_cast<int64_t>(a + i * step));
      return val(std::move(r));
    }
    if (name == "strftime_now") {
      const std::time_t now = std::time(nullptr);
      std::tm tm{};
      localtime_r(&now, &tm);
      char buf[256];
      const size_t n =
          std::strftime(buf, sizeof(buf), args.empty() ? "" : to_str(args[0]).c_str(), &tm);
      return val(std::string(buf, n));
    }
    error_at(e.line, "unknown function " + name);
  }

  Value method(const Value& obj, const std::string& name, const std::vector<Value>& args,
               const Expr& e) {
    const json& j = obj.j;
    auto arg_str = [&](size_t i) -> std::string {
      if (i >= args.size() || !args[i].j.is_string())
        error_at(e.line, "str." + name + "() needs a string argument");
      return args[i].j.get<std::string>();
    };
    if (j.is_string()) {
      const std::string& s = j.get_ref<const std::string&>();
      if (name == "startswith" || name == "endswith") {
        std::vector<std::string> options;
        if (!args.empty() && args[0].j.is_array())
          for (const auto& x : args[0].j) options.push_back(x.get<std::string>());
        else
          options.push_back(arg_str(0));
        for (const auto& o : options) {
          if (name == "startswith" && s.compare(0, o.size(), o) == 0) return val(true);
          if (name == "endswith" && s.size() >= o.size() &&
              s.compare(s.size() - o.size(), o.size(), o) == 0)
            return val(true);
        }
        return val(false);
      }
      if (name == "strip" || name == "lstrip" || name == "rstrip") {
        std::string chars;
        const bool has = !args.empty() && !args[0].j.is_null();
        if (has) chars = arg_str(0);
        return val(py_strip(s, has ? &chars : nullptr, name != "rstrip", name != "lstrip"));
      }
      if (name == "split")
        return val(py_split(s, args.empty() ? nullptr : &args[0],
                            args.size() > 1 ? args[1].j.get<int64_t>() : -1));
      if (name == "upper" || name == "lower") return val(unicode_case(s, name == "upper"));
      if (name == "title") return val(title_case(s));
      if (name == "capitalize") {
        std::string r = unicode_case(s, false);
        if (!r.empty()) r[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(r[0])));
        return val(r);
      }
      if (name == "replace") {
        const std::string a = arg_str(0), b = arg_str(1);
        if (a.empty()) error_at(e.line, "str.replace with an empty pattern");
        std::string r;
        size_t p = 0, q;
        while ((q = s.find(a, p)) != std::string::npos) {
          r += s.substr(p, q - p) + b;
          check_string(r, e.line);
          p = q + a.size();
        }
        return str_val(r + s.substr(p), e.line);
      }
      if (name == "find") {
        const size_t p = s.find(arg_str(0));
        return val(p == std::string::npos
                       ? int64_t{-1}
                       : static_cast<int64_t>(code_points(s.substr(0, p)).size()));
      }
      if (name == "count") {
        const std::string a = arg_str(0);
        int64_t n = 0;
        for (size_t p = s.find(a); !a.empty() && p != std::string::npos;
             p = s.find(a, p + a.size()))
          ++n;
        return val(n);
      }
      if (name == "join") {
        std::string r;
        if (args.empty() || !args[0].j.is_array()) error_at(e.line, "str.join needs a list");
        for (size_t i = 0; i < args[0].j.size(); ++i) {
          r += (i ? s : "") + to_str(val(args[0].j[i]));
          check_string(r, e.line);
        }
        return val(r);
      }
    } else if (j.is_object()) {
      if (name == "get") {
        if (args.empty() || !args[0].j.is_string()) error_at(e.line, "dict.get needs a key");
        auto it = j.find(args[0].j.get<std::string>());
        if (it != j.end()) return val(*it);
        return args.size() > 1 ? args[1] : val(nullptr);
      }
      if (name == "items" || name == "keys" || name == "values") {
        json r = json::array();
        for (auto it = j.begin(); it != j.end(); ++it) {
          if (name == "items") r.push_back(json::array({it.key(), it.value()}));
          if (name == "keys") r.push_back(it.key());
          if (name == "values") r.push_back(it.value());
        }
        return val(r);
      }
    }
    error_at(e.line, "method '" + name + "' is not supported on " + python_repr(j).substr(0, 40));
  }

  Value filter(const Expr& e) {
    Value v = eval(*e.args[0]);
    const auto args = positional(e, 1);
    const std::string& f = e.name;
    if (f == "length" || f == "count") {
      if (v.j.is_string())
        return val(static_cast<int64_t>(code_points(v.j.get<std::string>()).size()));
      if (v.j.is_array() || v.j.is_object()) return val(static_cast<int64_t>(v.j.size()));
      if (v.undefined) return val(int64_t{0});
      error_at(e.line, "length of " + python_repr(v.j));
    }
    if (f == "trim") {
      std::string chars;
      const bool has = !args.empty() && args[0].j.is_string();
      if (has) chars = args[0].j.get<std::string>();
      return val(py_strip(to_str(v), has ? &chars : nullptr, true, true));
    }
    if (f == "string") return val(to_str(v));
    if (f == "upper" || f == "lower") return val(unicode_case(to_str(v), f == "upper"));
    if (f == "title") return val(title_case(to_str(v)));
    if (f == "capitalize") {
      std::string r = unicode_case(to_str(v), false);
      if (!r.empty()) r[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(r[0])));
      return val(r);
    }
    if (f == "safe" || f == "e" || f == "escape") {
      if (f != "safe") error_at(e.line, "the 'escape' filter is not supported");
      return v;
    }
    if (f == "default" || f == "d") {
      const bool boolean = (args.size() > 1 && truthy(args[1])) ||
                           (kwarg(e, "boolean") && truthy(eval(*kwarg(e, "boolean"))));
      if (v.undefined || (boolean && !truthy(v))) return args.empty() ? val("") : args[0];
      return v;
    }
    if (f == "tojson") {
      int indent = -1;
      int64_t n = -1;
      if (const Expr* k = kwarg(e, "indent"))
        n = eval(*k).j.get<int64_t>();
      else if (!args.empty() && args[0].j.is_number_integer())
        n = args[0].j.get<int64_t>();
      constexpr int64_t kMaxIndent = 64;  // Python takes any; templates use 2 or 4
      if (n > kMaxIndent) error_at(e.line, cat("tojson indent ", n, " is over ", kMaxIndent));
      indent = static_cast<int>(std::max<int64_t>(n, -1));
      const json& x = v.undefined ? json(nullptr) : v.j;
      check_json(x, e.line);  // dumps recurses
      std::string out;
      dumps(x, indent, 0, out);
      return str_val(std::move(out), e.line);
    }
    if (f == "int") {
      if (v.j.is_number_integer()) return v;
      if (v.j.is_number()) return val(float_to_int(v.j.get<double>(), e.line));
      try {
        return val(static_cast<int64_t>(std::stoll(to_str(v))));
      } catch (const std::exception&) {
        return val(int64_t{0});
      }
    }
    if (f == "float") {
      if (v.j.is_number()) return val(v.j.get<double>());
      try {
        return val(std::stod(to_str(v)));
      } catch (const std::exception&) {
        return val(0.0);
      }
    }
    if (f == "list") {
      if (v.j.is_array()) return v;
      if (v.j.is_string()) {
        json r = json::array();
        const auto cps = code_points(v.j.get<std::string>());
        check_items(static_cast<int64_t>(cps.size()), e.line);
        for (size_t i = 0; i < cps.size(); ++i) r.push_back(from_code_points(cps, i, i + 1));
        return val(r);
      }
      if (v.j.is_object()) return method(v, "keys", {}, e);
      error_at(e.line, "list of " + python_repr(v.j));
    }
    if (f == "items") return v.undefined ? val(json::array()) : method(v, "items", {}, e);
    if (f == "first" || f == "last") {
      if (!v.j.is_array() || v.j.empty()) return Value::undef();
      return val(f == "first" ? v.j.front() : v.j.back());
    }
    if (f == "reverse") {
      if (v.j.is_string()) {
        auto cps = code_points(v.j.get<std::string>());
        std::reverse(cps.begin(), cps.end());
        return val(from_code_points(cps, 0, cps.size()));
      }
      json r = v.j;
      std::reverse(r.begin(), r.end());
      return val(r);
    }
    if (f == "join") {
      const std::string sep = args.empty() ? "" : to_str(args[0]);
      if (!v.j.is_array()) error_at(e.line, "join of " + python_repr(v.j));
      std::string r;
      for (size_t i = 0; i < v.j.size(); ++i) {
        r += (i ? sep : "") + to_str(val(v.j[i]));
        check_string(r, e.line);
      }
      return val(r);
    }
    if (f == "replace") {
      if (args.size() < 2) error_at(e.line, "replace needs two arguments");
      return method(val(to_str(v)), "replace", args, e);
    }
    if (f == "select" || f == "reject" || f == "selectattr" || f == "rejectattr" || f == "map") {
      if (!v.j.is_array()) return val(json::array());
      json r = json::array();
      const bool attr = f == "selectattr" || f == "rejectattr";
      for (const auto& item : v.j) {
        if (f == "map") {
          const Expr* a = kwarg(e, "attribute");
          if (!a) error_at(e.line, "map() supports only attribute=");
          r.push_back(get_item(val(item), eval(*a).j, e.line).j);
          continue;
        }
        Value subject = val(item);
        size_t k = 0;
        if (attr) {
          if (args.empty()) error_at(e.line, f + " needs an attribute name");
          subject = get_item(subject, args[0].j, e.line);
          k = 1;
        }
        bool ok = k < args.size()
                      ? run_test(to_str(args[k]), subject,
                                 std::vector<Value>(args.begin() + k + 1, args.end()), e)
                      : truthy(subject);
        if (f == "reject" || f == "rejectattr") ok = !ok;
        if (ok) r.push_back(item);
      }
      return val(r);
    }
    error_at(e.line,
             "the '" + f + "' filter is not supported by r1cpp's chat template interpreter");
  }

  bool test(const Expr& e) {
    Value v;
    if (e.name == "defined" || e.name == "undefined") {
      // Jinja: an undefined attribute of a defined value is just undefined.
      const Expr& x = *e.args[0];
      if (x.kind == Expr::kAttr || x.kind == Expr::kItem) {
        Value obj = eval(*x.args[0]);
        v = obj.undefined ? Value::undef() : eval(x);
      } else {
        v = eval(x);
      }
    } else {
      v = eval(*e.args[0]);
    }
    return run_test(e.name, v, positional(e, 1), e);
  }

  bool run_test(const std::string& name, const Value& v, const std::vector<Value>& args,
                const Expr& e) {
    const json& j = v.j;
    if (name == "defined") return !v.undefined;
    if (name == "undefined") return v.undefined;
    if (v.undefined) return false;
    if (name == "none") return j.is_null();
    if (name == "string") return j.is_string();
    if (name == "number") return j.is_number();
    if (name == "integer") return j.is_number_integer();
    if (name == "float") return j.is_number_float();
    if (name == "boolean") return j.is_boolean();
    if (name == "true") return j.is_boolean() && j.get<bool>();
    if (name == "false") return j.is_boolean() && !j.get<bool>();
    if (name == "mapping") return j.is_object();
    if (name == "iterable") return j.is_array() || j.is_object() || j.is_string();
    if (name == "sequence") return j.is_array() || j.is_string() || j.is_object();
    if (name == "odd" || name == "even") {
      if (!j.is_number_integer()) error_at(e.line, name + " test needs an integer");
      return (j.get<int64_t>() % 2 != 0) == (name == "odd");
    }
    if (name == "equalto" || name == "eq" || name == "sameas") {
      if (args.empty()) error_at(e.line, name + " test needs an argument");
      return equal(v, args[0]);
    }
    if (name == "in") return !args.empty() && contains(args[0], v, e.line);
    if (name == "divisibleby") {
      if (args.empty() || !j.is_number_integer() || !args[0].j.is_number_integer())
        error_at(e.line, "divisibleby needs integers");
      const int64_t d = args[0].j.get<int64_t>();
      if (d == 0) error_at(e.line, "divisibleby 0");
      return d == -1 || j.get<int64_t>() % d == 0;
    }
    error_at(e.line,
             "the '" + name + "' test is not supported by r1cpp's chat template interpreter");
  }

  static bool equal(const Value& a, const Value& b) {
    if (a.undefined || b.undefined) return a.undefined && b.undefined;
    if (a.j.is_number() && b.j.is_number()) return a.j.get<double>() == b.j.get<double>();
    return a.j == b.j;
  }

  bool contains(const Value& haystack, const Value& needle, int line) {
    const json& h = haystack.j;
    if (haystack.undefined) error_at(line, "'in' an undefined value");
    if (h.is_string()) {
      if (!needle.j.is_string()) error_at(line, "'in <string>' needs a string on the left");
      return h.get_ref<const std::string&>().find(needle.j.get<std::string>()) != std::string::npos;
    }
    if (h.is_array()) {
      for (const auto& x : h)
        if (equal(val(x), needle)) return true;
      return false;
    }
    if (h.is_object()) return needle.j.is_string() && h.contains(needle.j.get<std::string>());
    error_at(line, "'in' needs a string, list or dict on the right");
  }

  Value binary(const std::string& op, const Value& a, const Value& b, int line) {
    if (op == "==") return val(equal(a, b));
    if (op == "!=") return val(!equal(a, b));
    if (op == "in") return val(contains(b, a, line));
    if (op == "not in") return val(!contains(b, a, line));
    if (op == "~") return str_val(to_str(a) + to_str(b), line);
    if (a.undefined || b.undefined) error_at(line, "'" + op + "' with an undefined value");
    const json &x = a.j, &y = b.j;
    if (op == "<" || op == ">" || op == "<=" || op == ">=") {
      int c;
      if (x.is_number() && y.is_number()) {
        const double p = x.get<double>(), q = y.get<double>();
        c = p < q ? -1 : p > q ? 1 : 0;
      } else if (x.is_string() && y.is_string()) {
        c = x.get<std::string>().compare(y.get<std::string>());
      } else {
        error_at(line, "cannot compare " + python_repr(x) + " and " + python_repr(y));
      }
      if (op == "<") return val(c < 0);
      if (op == ">") return val(c > 0);
      if (op == "<=") return val(c <= 0);
      return val(c >= 0);
    }
    if (op == "+") {
      if (x.is_string() && y.is_string())
        return str_val(x.get<std::string>() + y.get<std::string>(), line);
      if (x.is_array() && y.is_array()) {
        json r = x;
        for (const auto& item : y) r.push_back(item);
        return check_value(val(std::move(r)), line);
      }
    }
    if (op == "*" && x.is_string() && y.is_number_integer()) {
      const std::string& unit = x.get_ref<const std::string&>();
      const int64_t n = std::max<int64_t>(y.get<int64_t>(), 0);
      if (!unit.empty() && n > limits_.max_bytes / static_cast<int64_t>(unit.size()))
        error_at(line, cat("a string of more than ", with_commas(limits_.max_bytes), " bytes"));
      std::string r;
      r.reserve(unit.size() * static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) r += unit;
      return val(r);
    }
    if (!x.is_number() || !y.is_number())
      error_at(line, "cannot apply '" + op + "' to " + python_repr(x) + " and " + python_repr(y));
    const bool ints = x.is_number_integer() && y.is_number_integer();
    if (ints && op != "/" && op != "**") {
      const int64_t p = x.get<int64_t>(), q = y.get<int64_t>();
      if ((op == "//" || op == "%") && q == 0) error_at(line, "division by zero");
      int64_t r = 0;
      bool over = false;
      if (op == "+") over = __builtin_add_overflow(p, q, &r);
      if (op == "-") over = __builtin_sub_overflow(p, q, &r);
      if (op == "*") over = __builtin_mul_overflow(p, q, &r);
      if (q == -1 && op == "//")
        over = __builtin_sub_overflow(int64_t{0}, p, &r);  // MIN // -1 traps
      if (over) overflow(line, op.c_str());
      if (op == "+" || op == "-" || op == "*" || (q == -1 && op == "//")) return val(r);
      if (q == -1) return val(int64_t{0});  // %
      const int64_t fl = (p / q) - ((p % q != 0) && ((p < 0) != (q < 0)) ? 1 : 0);
      if (op == "//") return val(fl);
      if (op == "%") return val(p - fl * q);
    }
    const double p = x.get<double>(), q = y.get<double>();
    if (op == "+") return val(p + q);
    if (op == "-") return val(p - q);
    if (op == "*") return val(p * q);
    if (op == "**") {
      if (!ints || q < 0) return val(std::pow(p, q));
      const double r = std::pow(p, q);
      if (!(std::fabs(r) < 9.2233720368547758e18)) error_at(line, "integer overflow in '**'");
      return val(static_cast<int64_t>(std::llround(r)));
    }
    if (q == 0) error_at(line, "division by zero");
    if (op == "/") return val(p / q);
    if (op == "//") return val(std::floor(p / q));
    return val(p - std::floor(p / q) * q);
  }

  std::vector<Scope> scopes_;
  std::map<std::string, const Stmt*> macros_;
  const Limits limits_;
  const std::chrono::steady_clock::time_point start_;
  int64_t steps_ = 0;
  int depth_ = 0;
};

}  // namespace

struct Template::Node {
  Block body;
};

Template::Template(const std::string& source, std::string name) : name_(std::move(name)) {
  auto node = std::make_shared<Node>();
  try {
    node->body = parse_template(source);
  } catch (const Error& e) {
    if (name_.empty()) throw;
    fail(name_, ": ", e.what());
  }
  root_ = node;
}

std::string Template::render(const nlohmann::ordered_json& context, const Limits& limits) const {
  const std::string where = name_.empty() ? "" : name_ + ": ";
  std::string out;
  Renderer r(context, limits);
  try {
    r.run(root_->body, out);
  } catch (const LoopControl&) {
    fail(where, "chat template: break/continue outside a loop");
  } catch (const nlohmann::json::exception& e) {
    fail(where, "chat template: a value has the wrong type (", e.what(), ")");
  } catch (const Error& e) {
    if (where.empty()) throw;
    fail(where, e.what());
  }
  return out;
}

}  // namespace r1::jinja