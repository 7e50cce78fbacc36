#!/bin/sh
# Two "machines" on one: ranks 0 and 1 in two network namespaces joined by a
# veth pair, so the rendezvous and every all-reduce cross a real interface
# (GLOO_SOCKET_IFNAME picks it, as on a cluster). 3 GRPO steps give the
# weights of one process. Skips (exit 77) without root or ip netns.
# Usage: netns_test.sh R1 SOURCE_DIR WORKDIR
set -e
r1=$1 src=$2 dir=$3
id=$(($$ % 100000))
a=r1a$id b=r1b$id
if [ "$(id -u)" -ne 0 ] || ! command -v ip > /dev/null || ! ip netns add "$a" 2> /dev/null; then
  echo "skip: needs root and ip netns (iproute2)"
  exit 77
fi
trap 'ip netns del "$a" 2> /dev/null; ip netns del "$b" 2> /dev/null' EXIT
ip netns add "$b"
ip link add "$a" type veth peer name "$b"
ip link set "$a" netns "$a"
ip link set "$b" netns "$b"
ip -n "$a" addr add 10.77.0.1/24 dev "$a"
ip -n "$b" addr add 10.77.0.2/24 dev "$b"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; ip -n "$ns" link set "$ns" up; done

rm -rf "$dir" && mkdir -p "$dir" && cd "$src"
export R1_THREADS=1 R1_DIST_TIMEOUT=10 R1_DIST_RENDEZVOUS_TIMEOUT=30
"$r1" init --out "$dir/model" --tokenizer tests/fixtures/tokenizer/tiny > /dev/null
"$r1" data gen --task arithmetic --n 64 --seed 1 --out "$dir/train.jsonl" > /dev/null
config="examples/grpo/arithmetic.toml --set model.path=$dir/model --set data.path=$dir/train.jsonl
  --set train.max_steps=3 --set rollout.questions_per_step=4 --set rollout.group_size=4
  --set rollout.max_new_tokens=16 --set train.checkpoint_every=0"
"$r1" train $config --set train.output_dir="$dir/one" 2> "$dir/one.log"
before=$(ip netns exec "$a" cat /sys/class/net/"$a"/statistics/rx_bytes)
# Each rank writes its own run directory (no shared file system here):
# rank 1's has no checkpoint, only rank 0 writes.
for rank in 0 1; do
  ns=$([ $rank = 0 ] && echo "$a" || echo "$b")
  ip netns exec "$ns" env RANK=$rank WORLD_SIZE=2 MASTER_ADDR=10.77.0.1 MASTER_PORT=29511 \
    GLOO_SOCKET_IFNAME="$ns" "$r1" train $config --set train.output_dir="$dir/two-$rank" \
    2> "$dir/two-$rank.log" &
  eval "pid$rank=$!"
done
rc0=0 rc1=0
wait $pid0 || rc0=$?
wait $pid1 || rc1=$?
[ $rc0 -eq 0 ] && [ $rc1 -eq 0 ] || { echo "rc $rc0 $rc1"; cat "$dir"/two-*.log; exit 1; }
after=$(ip netns exec "$a" cat /sys/class/net/"$a"/statistics/rx_bytes)
echo "rank 0's interface $a received $((after - before)) bytes"
python3 -c "
import json
m = [json.loads(l) for l in open('$dir/two-0/metrics.jsonl')]
sent = sum(x['dist']['bytes_all_reduced'] for x in m)
assert $after - $before > sent, ('fewer bytes crossed the veth than were all-reduced', sent)
print(f'all-reduced {sent} bytes in 3 steps')"
python3 tests/dist/compare_weights.py "$dir/one/checkpoints/step-3/resume/master.safetensors" \
  "$dir/two-0/checkpoints/step-3/resume/master.safetensors" 1e-5 1e-3
echo "ok: 2 ranks in 2 network namespaces = 1 rank"
