#!/bin/sh
# `r1 data gen` + `r1 init` + `r1 eval` end to end: usage: eval_cli_test.sh R1 FIXTURES WORKDIR.
# Same seed, same file; the summary has the metrics; a re-run generates nothing
# new and reports the same numbers.
set -e
r1=$1 fixtures=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
"$r1" data gen --task countdown --n 6 --seed 4 --split test --out a.jsonl
"$r1" data gen --task countdown --n 6 --seed 4 --split test --out b.jsonl
cmp a.jsonl b.jsonl
"$r1" init --out model --tokenizer "$fixtures/tokenizer/tiny" > /dev/null
"$r1" eval --model model --data a.jsonl -k 4 --max-new-tokens 8 --out ev --quiet > first.txt
for key in '"pass@1"' '"cons@4"' '"pass@k"' '"mean_response_tokens"' '"questions": 6'; do
  grep -q "$key" ev/summary.json || { echo "summary.json lacks $key"; cat ev/summary.json; exit 1; }
done
cp ev/questions.jsonl done.jsonl
"$r1" eval --model model --data a.jsonl -k 4 --max-new-tokens 8 --out ev --quiet > second.txt
cmp done.jsonl ev/questions.jsonl
diff -u first.txt second.txt
