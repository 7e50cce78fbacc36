#!/bin/sh
# Never hang: ranks started as torchrun starts them (RANK, WORLD_SIZE,
# MASTER_ADDR, MASTER_PORT). A rank killed with SIGKILL, or stopped with
# SIGSTOP, makes the other exit non-zero within R1_DIST_TIMEOUT (+ slack)
# with an error naming the rank; the last checkpoint stays intact and
# --resume (with 2 ranks after the kill, with 1 after the stop) ends at the
# weights of an uninterrupted run. A rank whose rank 0 never comes fails
# after R1_DIST_RENDEZVOUS_TIMEOUT naming the address.
# Usage: fault_test.sh R1 SOURCE_DIR WORKDIR
set -e
r1=$1 src=$2 dir=$3
timeout=3 slack=12 steps=8
export R1_THREADS=1 R1_DIST_TIMEOUT=$timeout
rm -rf "$dir" && mkdir -p "$dir" && cd "$src"
"$r1" init --out "$dir/model" --tokenizer tests/fixtures/tokenizer/tiny > /dev/null
"$r1" data gen --task arithmetic --n 64 --seed 1 --out "$dir/train.jsonl" > /dev/null
config="examples/grpo/arithmetic.toml --set model.path=$dir/model --set data.path=$dir/train.jsonl
  --set train.max_steps=$steps --set rollout.questions_per_step=4 --set rollout.group_size=4
  --set rollout.max_new_tokens=24 --set train.checkpoint_every=1"
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }

"$r1" train $config --set train.output_dir="$dir/reference" 2> "$dir/reference.log"

# Starts rank 0 and rank 1 of run $1 in the background: pids in $pid0 $pid1.
start() {
  port=$(free_port)
  RANK=0 WORLD_SIZE=2 LOCAL_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    "$r1" train $config --set train.output_dir="$dir/$1" 2> "$dir/$1.rank0.log" &
  pid0=$!
  RANK=1 WORLD_SIZE=2 LOCAL_RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    "$r1" train $config --set train.output_dir="$dir/$1" 2> "$dir/$1.rank1.log" &
  pid1=$!
  i=0  # wait (at most 120 s) for two steps
  while [ "$(cat "$dir/$1/metrics.jsonl" 2> /dev/null | wc -l)" -lt 2 ]; do
    i=$((i + 1))
    [ $i -le 1200 ] || { echo "$1: no 2 steps in 120 s"; kill -9 $pid0 $pid1; cat "$dir/$1".*.log; exit 1; }
    sleep 0.1
  done
}
# Waits for rank 0 after rank 1 was hit at $t0: non-zero, in time, naming rank 1.
expect_failure() {
  rc=0
  wait $pid0 || rc=$?
  took=$(python3 -c "print(round($(now) - $t0, 1))")
  log=$dir/$1.rank0.log
  [ $rc -ne 0 ] || { echo "$1: rank 0 exited 0 after losing rank 1"; cat "$log"; exit 1; }
  python3 -c "import sys; sys.exit(0 if $took <= $timeout + $slack else 1)" ||
    { echo "$1: rank 0 took $took s to give up (timeout $timeout s)"; cat "$log"; exit 1; }
  grep -q "$2" "$log" || { echo "$1: rank 0's error does not say '$2'"; cat "$log"; exit 1; }
  echo "$1: rank 0 exited $rc after $took s: $(grep error "$log" | head -1)"
}

# 1. SIGKILL mid-run; resume on 2 ranks through r1 launch.
start killed
kill -9 $pid1
t0=$(now)
expect_failure killed "rank 1 died or stopped answering"
wait $pid1 2> /dev/null || true
last=$(ls "$dir/killed/checkpoints" | sort -t- -k2 -n | tail -1)
echo "killed: last checkpoint $last"
"$r1" launch --nproc 2 -- train $config --set train.output_dir="$dir/killed" --resume \
  2> "$dir/killed.resume.log" || { cat "$dir/killed.resume.log"; exit 1; }
grep -q "resumed from" "$dir/killed.resume.log" || { echo "killed: did not resume"; exit 1; }
python3 tests/dist/compare_weights.py "$dir/reference/checkpoints/step-$steps/resume/master.safetensors" \
  "$dir/killed/checkpoints/step-$steps/resume/master.safetensors" 5e-5 1e-3

# 2. SIGSTOP (alive, silent); resume on 1 rank: the data order is global.
start stopped
kill -STOP $pid1
t0=$(now)
expect_failure stopped "rank 1 died or stopped answering"
kill -9 $pid1
wait $pid1 2> /dev/null || true
"$r1" train $config --set train.output_dir="$dir/stopped" --resume 2> "$dir/stopped.resume.log" ||
  { cat "$dir/stopped.resume.log"; exit 1; }
python3 tests/dist/compare_weights.py "$dir/reference/checkpoints/step-$steps/resume/master.safetensors" \
  "$dir/stopped/checkpoints/step-$steps/resume/master.safetensors" 5e-5 1e-3

# 3. Rank 0 never comes: rank 1 gives up naming the address.
port=$(free_port)
t0=$(now)
rc=0
RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port R1_DIST_RENDEZVOUS_TIMEOUT=2 \
  "$r1" train $config --set train.output_dir="$dir/alone" 2> "$dir/alone.log" || rc=$?
took=$(python3 -c "print(round($(now) - $t0, 1))")
[ $rc -ne 0 ] && grep -q "127.0.0.1:$port" "$dir/alone.log" ||
  { echo "alone: rc $rc"; cat "$dir/alone.log"; exit 1; }
python3 -c "import sys; sys.exit(0 if $took <= 2 + $slack else 1)" || { echo "alone: $took s"; exit 1; }
echo "alone: exited $rc after $took s: $(grep error "$dir/alone.log")"

# 4. r1 launch names the rank that failed and exits non-zero.
rc=0
"$r1" launch --nproc 2 -- train "$dir/missing.toml" 2> "$dir/launch.log" || rc=$?
[ $rc -ne 0 ] && grep -q "r1 launch: rank [01] (pid [0-9]*) exited with status 1" "$dir/launch.log" ||
  { echo "launch: rc $rc"; cat "$dir/launch.log"; exit 1; }
echo "ok: no hang, errors name the rank, resume reproduces the uninterrupted run"
