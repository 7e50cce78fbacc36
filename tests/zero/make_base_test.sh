#!/bin/sh
# The base-model recipe at a reduced size: examples/zero/make_base.sh with a
# few hundred rows must produce a model directory r1 loads, with the trained
# tokenizer (digits one token each) and the think/answer tags as single tokens.
# usage: make_base_test.sh R1 WORKDIR
set -eu
R1=$1
W=$2
rm -rf "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }
ROWS=300 R1="$R1" "$(dirname "$0")/../../examples/zero/make_base.sh" "$W" > "$W.log" 2>&1 ||
  { cat "$W.log"; fail "make_base.sh failed"; }
"$R1" info --model "$W/model" > "$W/info.txt" || fail "r1 info cannot load the base"
grep -q "qwen2" "$W/info.txt" || fail "not a qwen2 model: $(cat "$W/info.txt")"
[ ! -e "$W/model/optimizer.pt" ] || fail "optimizer state left in the base model"
# The trained tokenizer's ChatML template ends turns with <|im_end|>: r1 init
# makes it a second eos next to <|endoftext|>.
tr -d ' \n' < "$W/model/generation_config.json" | grep -q '"eos_token_id":\[[0-9]*,[0-9]*\]' ||
  fail "eos ids: $(cat "$W/model/generation_config.json")"
ids=$("$R1" tokenize --tokenizer "$W/model" "<think>12+34</think>" | head -1)
# <think> 1 2 + 3 4 </think>: seven tokens.
[ "$(echo "$ids" | tr ',' '\n' | wc -l)" -eq 7 ] || fail "unexpected tokenization: $ids"
echo "make_base: ok"
