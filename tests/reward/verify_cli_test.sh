#!/bin/sh
# `r1 verify` end to end: usage: verify_cli_test.sh R1 IN EXPECTED OUT.
# Bad lines give error lines (and exit code 1) without stopping the rest.
"$1" verify --in "$2" --out "$4"
rc=$?
[ "$rc" -eq 1 ] || { echo "expected exit code 1 (there are bad lines), got $rc"; exit 1; }
diff -u "$3" "$4"
