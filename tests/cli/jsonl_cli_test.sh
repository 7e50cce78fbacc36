#!/bin/sh
# r1 score and r1 tokenize as JSONL filters: one output line per input line in
# order, error lines naming input and line, ids echoed, exit code 1 on errors.
# usage: jsonl_cli_test.sh R1 MODEL_DIR WORKDIR
set -eu
R1=$1
MODEL=$2
W=$3
rm -rf "$W" && mkdir -p "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }

printf '{"ids":[1,2,3],"id":"a"}\nnot json\n[1]\n{"ids":[99999,1]}\n{"ids":[5,6]}\n' > "$W/score.jsonl"
if "$R1" score --model "$MODEL" --in "$W/score.jsonl" --out "$W/scored.jsonl" 2> "$W/err"; then
  fail "score: exit 0 with bad lines"
fi
[ "$(wc -l < "$W/scored.jsonl")" -eq 5 ] || fail "score: not one line per input line"
sed -n 1p "$W/scored.jsonl" | grep -q '"id":"a","logprobs":\[-[0-9.]*,-[0-9.]*\]' || fail "score line 1"
sed -n 2p "$W/scored.jsonl" | grep -q "score.jsonl:2: not valid JSON" || fail "score line 2"
sed -n 3p "$W/scored.jsonl" | grep -q "score.jsonl:3: expected a JSON object" || fail "score line 3"
sed -n 4p "$W/scored.jsonl" | grep -q "score.jsonl:4: token id 99999 is outside" || fail "score line 4"
sed -n 5p "$W/scored.jsonl" | grep -q '^{"logprobs":\[-[0-9.]*\]}$' || fail "score line 5"
grep -q "r1 score: 3 line(s) had errors" "$W/err" || fail "score: error count"

printf '{"text":"12+3","id":7}\n{"tex":1}\n' > "$W/tok.jsonl"
if "$R1" tokenize --tokenizer "$MODEL" --in "$W/tok.jsonl" --out "$W/ids.jsonl" 2> "$W/err"; then
  fail "tokenize: exit 0 with a bad line"
fi
# Digits are single tokens in this tokenizer: 1 2 + 3.
sed -n 1p "$W/ids.jsonl" | grep -q '^{"id":7,"ids":\[[0-9]*,[0-9]*,[0-9]*,[0-9]*\]}$' || fail "tokenize line 1"
sed -n 2p "$W/ids.jsonl" | grep -q 'tok.jsonl:2: expected an object with a string' || fail "tokenize line 2"
echo "jsonl cli: ok"
