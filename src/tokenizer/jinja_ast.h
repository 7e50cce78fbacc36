// The parsed form of a chat template: expressions and statements, and the
// parser that builds them from Jinja source with transformers' whitespace
// settings. Private to src/tokenizer/.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja_value.h"

namespace r1::jinja {

struct Expr {
  enum Kind {
    kLiteral,
    kName,
    kList,
    kDict,
    kAttr,
    kItem,
    kSlice,
    kCall,
    kFilter,
    kTest,
    kUnary,
    kBinary,
    kAnd,
    kOr,
    kNot,
    kTernary,
    kCompare
  } kind;
  json literal;
  std::string name;  // variable / attribute / filter / test / operator
  std::vector<std::unique_ptr<Expr>> args;
  std::vector<std::pair<std::string, std::unique_ptr<Expr>>> kwargs;
  bool negated = false;          // "is not"
  std::vector<std::string> ops;  // kCompare: a < b <= c chains, as in Python
  int line = 0;
};

using ExprPtr = std::unique_ptr<Expr>;

struct Stmt {
  enum Kind { kText, kOutput, kIf, kFor, kSet, kSetBlock, kMacro, kBreak, kContinue, kBody } kind;
  std::string text;
  ExprPtr expr;  // output value, set value, for iterable
  std::vector<std::pair<ExprPtr, std::vector<std::unique_ptr<Stmt>>>> branches;  // if
  std::vector<std::unique_ptr<Stmt>> body, else_body;
  std::vector<std::string> targets;  // for targets, set target (name[, attr]), macro name + params
  std::vector<ExprPtr> defaults;     // macro parameter defaults (null: none)
  ExprPtr filter;                    // for ... if cond
  int line = 0;
};

using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

// Throws Error ("chat template line N: ...") on a syntax error or a statement
// outside the supported subset.
Block parse_template(const std::string& source);

}  // namespace r1::jinja
