#!/bin/sh
# bench/run.sh: how fast is a warm `snowsts credential-process`?
#
# Usage: bench/run.sh [RUNS]          (RUNS defaults to 200; run from anywhere)
#
# It builds snowsts and bench/floor (a Go program that only reads the cached
# session file and prints it) into a temp dir, starts `snowsts simulate` on a
# free loopback port, configures the device profile in a temp HOME, warms the
# session cache with one credential-process, and then measures:
#
#   1. warm `snowsts credential-process` against the floor: median wall time
#      of each and the ratio (goal: at most 2x), with hyperfine when installed
#      (apt-get install -y hyperfine), else a plain loop timed as a whole;
#   2. peak RSS of one warm invocation (goal: at most 25 MB), with
#      /usr/bin/time -v (apt package `time`) when installed;
#   3. 32 cold invocations in parallel (cache emptied first): how many
#      AssumeRole calls reached the device (GET $ENDPOINT/_snowsts/calls,
#      must be 1) and the wall time.
#
# It prints a markdown table on stdout. Needs go, curl and a POSIX shell.
# Nothing outside the temp dir is touched; the simulator is stopped at exit.
set -eu

RUNS=${1:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/snowsts-bench.XXXXXX")
SIM_PID=
cleanup() {
	if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

cd "$ROOT"
go build -trimpath -o "$TMP/snowsts" ./cmd/snowsts
go build -trimpath -o "$TMP/floor" ./bench/floor

export HOME="$TMP/home" USER=bench
export AWS_CONFIG_FILE="$HOME/.aws/config" AWS_SHARED_CREDENTIALS_FILE="$HOME/.aws/credentials"
export SNOWSTS_CACHE_DIR="$HOME/cache"
unset AWS_PROFILE SNOWSTS_PROFILE 2>/dev/null || true
mkdir -p "$HOME"

"$TMP/snowsts" simulate --listen 127.0.0.1:0 >"$TMP/banner" 2>"$TMP/sim.log" &
SIM_PID=$!
i=0
while [ ! -s "$TMP/banner" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ]; then echo "bench: simulate did not start" >&2; cat "$TMP/sim.log" >&2; exit 1; fi
	sleep 0.05
done
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$TMP/banner"; }
ENDPOINT=$(field Endpoint)
ROLE=$(sed -n 's/.*"Roles":\["\([^"]*\)".*/\1/p' "$TMP/banner")
printf '[snowballEdge]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$(field AccessKeyId)" "$(field SecretAccessKey)" >"$TMP/creds.ini"
"$TMP/snowsts" configure --device 127.0.0.1 --sts-endpoint "$ENDPOINT" --iam-endpoint "$ENDPOINT" \
	--import-credentials "$TMP/creds.ini" 2>/dev/null

WARM="$TMP/snowsts credential-process --role-arn $ROLE"
$WARM >/dev/null
CACHE_FILE=$(ls "$SNOWSTS_CACHE_DIR"/*.json | grep -v current.json | head -n 1)
FLOOR="$TMP/floor $CACHE_FILE"

# 1. warm path vs floor: medians in ms.
if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$TMP/hf.json" "$WARM" "$FLOOR" >/dev/null 2>&1
	medians=$(tr -d ' \n' <"$TMP/hf.json" | grep -o '"median":[0-9.e-]*' | cut -d: -f2)
	WARM_MS=$(echo "$medians" | sed -n 1p | awk '{printf "%.2f", $1 * 1000}')
	FLOOR_MS=$(echo "$medians" | sed -n 2p | awk '{printf "%.2f", $1 * 1000}')
	METHOD="hyperfine -N, $RUNS runs, median"
else
	loop() { # mean of RUNS runs timed as one block (no per-run fork of date)
		t0=$(date +%s%N); n=0
		while [ "$n" -lt "$RUNS" ]; do $1 >/dev/null; n=$((n + 1)); done
		t1=$(date +%s%N)
		awk -v a="$t0" -v b="$t1" -v n="$RUNS" 'BEGIN{printf "%.2f", (b - a) / n / 1e6}'
	}
	WARM_MS=$(loop "$WARM"); FLOOR_MS=$(loop "$FLOOR")
	METHOD="shell loop, $RUNS runs, mean (install hyperfine for medians)"
fi
RATIO=$(awk -v a="$WARM_MS" -v b="$FLOOR_MS" 'BEGIN{printf "%.2f", a / b}')

# 2. peak RSS in MB.
rss() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v $1 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {printf "%.1f", $2 / 1024}'
	else
		echo "n/a"
	fi
}
WARM_RSS=$(rss "$WARM"); FLOOR_RSS=$(rss "$FLOOR")

# 3. 32 cold parallel invocations.
rm -f "$SNOWSTS_CACHE_DIR"/*.json "$SNOWSTS_CACHE_DIR"/*.lock
curl -fsS -X POST "$ENDPOINT/_snowsts/reset-calls" >/dev/null
t0=$(date +%s%N)
n=0
while [ "$n" -lt 32 ]; do
	$WARM >"$TMP/herd.$n" 2>"$TMP/herd.$n.err" &
	n=$((n + 1))
done
wait_status=0
for job in $(jobs -p); do
	if [ "$job" != "$SIM_PID" ]; then wait "$job" || wait_status=1; fi
done
t1=$(date +%s%N)
HERD_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", (b - a) / 1e6}')
CALLS=$(curl -fsS "$ENDPOINT/_snowsts/calls" | sed -n 's/.*"AssumeRole":\([0-9]*\).*/\1/p')
DISTINCT=$(cat "$TMP"/herd.[0-9] "$TMP"/herd.[0-9][0-9] | sort -u | wc -l)
[ "$wait_status" -eq 0 ] || echo "bench: some cold invocations failed" >&2

echo "| measure | snowsts credential-process | floor | ratio / note |"
echo "| --- | --- | --- | --- |"
echo "| warm wall time (ms) | $WARM_MS | $FLOOR_MS | ${RATIO}x (goal <= 2x; $METHOD) |"
echo "| peak RSS (MB) | $WARM_RSS | $FLOOR_RSS | goal <= 25 MB |"
echo "| 32 cold in parallel | ${HERD_MS} ms wall | | AssumeRole calls: ${CALLS:-?} (want 1), distinct outputs: $DISTINCT (want 1) |"
