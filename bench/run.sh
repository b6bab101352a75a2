#!/bin/sh
# bench/run.sh: snowsts measured against the alternatives, in one run.
#
# Usage: bench/run.sh [RUNS [SLOW_RUNS]]    (run from anywhere)
#
#   RUNS       runs of each fast command (warm credential-process, floor);
#              default 200
#   SLOW_RUNS  runs of each slow command (cold assume, aws sts assume-role,
#              assume into big files); default 15
#
# It builds snowsts, bench/floor (a Go program that only reads the cached
# session file and prints it) and bench/genfiles (writes big AWS files) into a
# temp dir, starts `snowsts simulate` on a free loopback port, configures the
# device profile in a temp HOME, and measures, against that simulated device:
#
#   1. warm `snowsts credential-process` against the floor: median wall time
#      of each and the ratio (goal: at most 2x), measured in 10 rounds that
#      alternate the two (see pair below);
#   2. cold `snowsts assume` (a fresh AssumeRole every run) against
#      `aws sts assume-role` (the AWS CLI on PATH, same keys, --endpoint-url,
#      --region snow): medians and the ratio (goal: snowsts 10x faster);
#   3. peak RSS of each (goal: at most 25 MB for snowsts), with
#      /usr/bin/time -v (Debian package `time`);
#   4. `snowsts assume` into AWS files of 10, 1,000 and 30,000 hand-written
#      profiles (about 3 MB each file at 30,000; each profile 3-5 keys,
#      comments): medians and 30,000 / 10 (goal: at most 3x);
#   5. 32 cold `snowsts credential-process` in parallel (cache emptied first):
#      how many AssumeRole calls reached the device (must be 1) and the wall
#      time.
#
# Medians come from hyperfine (apt-get install -y hyperfine time) when it is
# installed, else from a shell loop that times each run with date (about 1 ms
# of overhead per run). It prints the machine, the load and a markdown table on
# stdout, ready to paste into docs/PERFORMANCE.md; progress goes to stderr.
# Needs go, curl and a POSIX shell; the AWS CLI row is skipped when `aws` is
# missing. Nothing outside the temp dir is touched (HOME, AWS_CONFIG_FILE,
# AWS_SHARED_CREDENTIALS_FILE and SNOWSTS_CACHE_DIR all point into it); the
# simulator is stopped at exit.
set -eu

RUNS=${1:-200}
SLOW_RUNS=${2:-15}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/snowsts-bench.XXXXXX")
SIM_PID=
cleanup() {
	if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
say() { echo "bench: $*" >&2; }

LOAD_BEFORE=$(uptime | sed 's/.*load average: //')
cd "$ROOT"
say "building into $TMP"
# As releases are built (.goreleaser.yaml): static, no cgo.
CGO_ENABLED=0 go build -trimpath -o "$TMP/snowsts" ./cmd/snowsts
CGO_ENABLED=0 go build -trimpath -o "$TMP/floor" ./bench/floor
go build -trimpath -o "$TMP/genfiles" ./bench/genfiles
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -n 1)" ]; then COMMIT="$COMMIT+dirty"; fi

unset AWS_PROFILE AWS_DEFAULT_PROFILE SNOWSTS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_CA_BUNDLE 2>/dev/null || true
export USER=bench

# use DIR: point HOME, the AWS files and the session cache into DIR.
use() {
	export HOME="$1"
	export AWS_CONFIG_FILE="$1/.aws/config" AWS_SHARED_CREDENTIALS_FILE="$1/.aws/credentials"
	export SNOWSTS_CACHE_DIR="$1/cache"
	mkdir -p "$1"
}
use "$TMP/home"

"$TMP/snowsts" simulate --listen 127.0.0.1:0 >"$TMP/banner" 2>"$TMP/sim.log" &
SIM_PID=$!
i=0
while [ ! -s "$TMP/banner" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ]; then say "simulate did not start"; cat "$TMP/sim.log" >&2; exit 1; fi
	sleep 0.05
done
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$TMP/banner"; }
ENDPOINT=$(field Endpoint)
KEY=$(field AccessKeyId)
SECRET=$(field SecretAccessKey)
ROLE=$(sed -n 's/.*"Roles":\["\([^"]*\)".*/\1/p' "$TMP/banner")
printf '[snowballEdge]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$KEY" "$SECRET" >"$TMP/creds.ini"

# configure DIR [N]: a HOME in DIR with the device profile, after N
# hand-written profiles in each file.
configure() {
	use "$1"
	"$TMP/snowsts" configure --device 127.0.0.1 --sts-endpoint "$ENDPOINT" --iam-endpoint "$ENDPOINT" \
		--import-credentials "$TMP/creds.ini" 2>/dev/null
	if [ -n "${2:-}" ]; then "$TMP/genfiles" "$2" "$AWS_CONFIG_FILE" "$AWS_SHARED_CREDENTIALS_FILE"; fi
}
configure "$TMP/home"

# median NAME RUNS WARMUP CMD...: median wall time of each CMD in ms, one a
# line. CMDs are split on white space (hyperfine -N: no shell in between).
if command -v hyperfine >/dev/null 2>&1; then
	METHOD="hyperfine -N, median"
	median() {
		name=$1 runs=$2 warmup=$3
		shift 3
		hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$TMP/$name.json" "$@" >"$TMP/$name.log" 2>&1 ||
			{ say "hyperfine $name failed:"; cat "$TMP/$name.log" >&2; exit 1; }
		tr -d ' \n' <"$TMP/$name.json" | grep -o '"median":[0-9.e+-]*' | cut -d: -f2 | awk '{printf "%.2f\n", $1 * 1000}'
	}
else
	METHOD="shell loop timed with date, median (install hyperfine for less overhead)"
	median() {
		name=$1 runs=$2 warmup=$3
		shift 3
		for cmd in "$@"; do
			n=0
			while [ "$n" -lt "$warmup" ]; do $cmd >/dev/null 2>&1; n=$((n + 1)); done
			n=0
			: >"$TMP/$name.times"
			while [ "$n" -lt "$runs" ]; do
				t0=$(date +%s%N)
				$cmd >/dev/null 2>&1
				t1=$(date +%s%N)
				echo $((t1 - t0)) >>"$TMP/$name.times"
				n=$((n + 1))
			done
			sort -n "$TMP/$name.times" | awk '{a[NR] = $1} END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f\n", m / 1e6}'
		done
	}
fi

# pair NAME RUNS A B: the median wall times in ms of A and B, one a line.
# On a shared or virtual machine the speed of process start drifts by a fifth
# over tens of seconds, so measuring all runs of A and then all runs of B
# (what one hyperfine call does) can put them in different weather. pair
# measures them in PAIR_ROUNDS rounds that alternate the order (A B, B A,
# A B, ...) and pools the samples of every round.
PAIR_ROUNDS=10
pair() {
	name=$1 runs=$2 a=$3 b=$4
	per=$(((runs + PAIR_ROUNDS - 1) / PAIR_ROUNDS))
	: >"$TMP/$name.a.times"
	: >"$TMP/$name.b.times"
	r=0
	while [ "$r" -lt "$PAIR_ROUNDS" ]; do
		if [ $((r % 2)) -eq 0 ]; then first=a second=b; else first=b second=a; fi
		eval "cmd1=\$$first cmd2=\$$second"
		if command -v hyperfine >/dev/null 2>&1; then
			hyperfine -N --warmup 5 --runs "$per" --export-json "$TMP/$name.$r.json" "$cmd1" "$cmd2" >"$TMP/$name.log" 2>&1 ||
				{ say "hyperfine $name failed:"; cat "$TMP/$name.log" >&2; exit 1; }
			# The "times" arrays (seconds), in the order the commands were given.
			tr -d ' \n' <"$TMP/$name.$r.json" | grep -o '"times":\[[^]]*\]' | sed 's/"times":\[//; s/\]$//' >"$TMP/$name.$r.times"
			sed -n 1p "$TMP/$name.$r.times" | tr ',' '\n' >>"$TMP/$name.$first.times"
			sed -n 2p "$TMP/$name.$r.times" | tr ',' '\n' >>"$TMP/$name.$second.times"
		else
			n=0
			while [ "$n" -lt "$per" ]; do
				for which in $first $second; do
					eval "cmd=\$$which"
					t0=$(date +%s%N)
					$cmd >/dev/null 2>&1
					t1=$(date +%s%N)
					awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.9f\n", (b - a) / 1e9}' >>"$TMP/$name.$which.times"
				done
				n=$((n + 1))
			done
		fi
		r=$((r + 1))
	done
	say "$name: $(grep -c . "$TMP/$name.a.times") and $(grep -c . "$TMP/$name.b.times") samples"
	for which in a b; do
		sort -g "$TMP/$name.$which.times" | awk 'NF {v[++n] = $1} END {m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2; printf "%.2f\n", m * 1000}'
	done
}

# rss CMD...: peak RSS of one run in MB.
rss() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {printf "%.1f", $2 / 1024}'
	else
		echo "n/a"
	fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.2f", a / b; else printf "n/a"}'; }
# meets VALUE OP LIMIT: "yes" or "**no**".
meets() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN{ok = (op == "<=") ? v <= l : v >= l; print ok ? "yes" : "**no**"}'; }

# 1. warm credential-process vs the floor.
WARM="$TMP/snowsts credential-process --role-arn $ROLE"
$WARM >/dev/null
CACHE_FILE=$(ls "$SNOWSTS_CACHE_DIR"/*.json | grep -v current.json | head -n 1)
FLOOR="$TMP/floor $CACHE_FILE"
say "1/5 warm credential-process vs floor ($RUNS runs each, in $PAIR_ROUNDS alternating rounds)"
m=$(pair warm "$RUNS" "$WARM" "$FLOOR")
WARM_MS=$(echo "$m" | sed -n 1p)
FLOOR_MS=$(echo "$m" | sed -n 2p)
WARM_RATIO=$(ratio "$WARM_MS" "$FLOOR_MS")

# 2. cold assume vs the AWS CLI.
ASSUME="$TMP/snowsts assume --role-arn $ROLE --target-profile bench-admin"
$ASSUME >/dev/null 2>&1
say "2/5 cold assume vs aws sts assume-role ($SLOW_RUNS runs each)"
ASSUME_MS=$(median assume "$SLOW_RUNS" 2 "$ASSUME")
AWS_MS=n/a AWS_RSS=n/a AWS_RATIO=n/a AWS_VERSION="not installed"
if command -v aws >/dev/null 2>&1; then
	AWS_BIN=$(command -v aws)
	AWS_VERSION=$(aws --version 2>&1 | head -n 1)
	AWSCMD="$AWS_BIN sts assume-role --role-arn $ROLE --role-session-name bench --endpoint-url $ENDPOINT --region snow"
	# The same keys as the device profile, in the environment of aws only.
	AWS_MS=$(export AWS_ACCESS_KEY_ID="$KEY" AWS_SECRET_ACCESS_KEY="$SECRET" && median aws "$SLOW_RUNS" 1 "$AWSCMD")
	AWS_RSS=$(export AWS_ACCESS_KEY_ID="$KEY" AWS_SECRET_ACCESS_KEY="$SECRET" && rss $AWSCMD)
	AWS_RATIO=$(ratio "$AWS_MS" "$ASSUME_MS")
fi

# 3. peak RSS.
say "3/5 peak RSS"
WARM_RSS=$(rss $WARM)
FLOOR_RSS=$(rss $FLOOR)
ASSUME_RSS=$(rss $ASSUME)

# 4. assume into big files. Each size has its own HOME; the first assume
# creates [bench-admin] at the end, the measured ones refresh it.
say "4/5 assume into files of 10, 1,000 and 30,000 profiles ($SLOW_RUNS runs each)"
for n in 10 1000 30000; do
	configure "$TMP/home$n" "$n"
	$ASSUME >/dev/null 2>&1
	eval "SIZE_$n=\$(du -k \"\$AWS_CONFIG_FILE\" | cut -f1)"
	eval "FILE_MS_$n=\$(median file$n \"\$SLOW_RUNS\" 2 \"\$ASSUME\")"
	eval "FILE_RSS_$n=\$(rss \$ASSUME)"
done
use "$TMP/home"
FILE_RATIO=$(ratio "$FILE_MS_30000" "$FILE_MS_10")

# 5. 32 cold parallel invocations.
say "5/5 32 cold credential-process in parallel"
rm -f "$SNOWSTS_CACHE_DIR"/*.json "$SNOWSTS_CACHE_DIR"/*.lock
curl -fsS -X POST "$ENDPOINT/_snowsts/reset-calls" >/dev/null
t0=$(date +%s%N)
n=0
pids=
while [ "$n" -lt 32 ]; do
	$WARM >"$TMP/herd.$n" 2>"$TMP/herd.$n.err" &
	pids="$pids $!"
	n=$((n + 1))
done
wait_status=0
for p in $pids; do wait "$p" || wait_status=1; done
t1=$(date +%s%N)
HERD_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", (b - a) / 1e6}')
CALLS=$(curl -fsS "$ENDPOINT/_snowsts/calls" | sed -n 's/.*"AssumeRole":\([0-9]*\).*/\1/p')
DISTINCT=$(cat "$TMP"/herd.[0-9] "$TMP"/herd.[0-9][0-9] | sort -u | wc -l | tr -d ' ')
[ "$wait_status" -eq 0 ] || say "some cold invocations failed"
HERD_OK=$([ "${CALLS:-x}" = 1 ] && [ "$DISTINCT" = 1 ] && [ "$wait_status" -eq 0 ] && echo yes || echo "**no**")

LOAD_AFTER=$(uptime | sed 's/.*load average: //')
MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)

cat <<EOF
- date: $(date -u '+%Y-%m-%d %H:%M UTC'), snowsts $COMMIT, $(go version | cut -d' ' -f3)
- machine: $(nproc) CPUs, ${MODEL:-unknown CPU}, Linux $(uname -r)
- load average (1, 5, 15 min): before $LOAD_BEFORE; after $LOAD_AFTER
- method: $METHOD; $RUNS runs of the fast commands (warm credential-process and the floor in $PAIR_ROUNDS rounds of alternating order, samples pooled), $SLOW_RUNS of the slow ones; AWS CLI: $AWS_VERSION
- command: \`bench/run.sh $RUNS $SLOW_RUNS\`

| measure | snowsts | alternative | ratio | goal | met |
| --- | --- | --- | --- | --- | --- |
| warm \`credential-process\` vs floor (ms, median) | $WARM_MS | $FLOOR_MS | ${WARM_RATIO}x | <= 2x | $(meets "$WARM_RATIO" "<=" 2) |
| cold \`assume\` vs \`aws sts assume-role\` (ms, median) | $ASSUME_MS | $AWS_MS | ${AWS_RATIO}x faster | >= 10x | $(meets "$AWS_RATIO" ">=" 10) |
| peak RSS, warm \`credential-process\` (MB) | $WARM_RSS | $FLOOR_RSS (floor) | | <= 25 MB | $(meets "$WARM_RSS" "<=" 25) |
| peak RSS, cold \`assume\` (MB) | $ASSUME_RSS | $AWS_RSS (aws) | | <= 25 MB | $(meets "$ASSUME_RSS" "<=" 25) |
| \`assume\`, files of 10 profiles (ms, median; RSS) | $FILE_MS_10 ms, $FILE_RSS_10 MB | config ${SIZE_10} KB | 1x | | |
| \`assume\`, files of 1,000 profiles (ms, median; RSS) | $FILE_MS_1000 ms, $FILE_RSS_1000 MB | config ${SIZE_1000} KB | $(ratio "$FILE_MS_1000" "$FILE_MS_10")x | | |
| \`assume\`, files of 30,000 profiles (ms, median; RSS) | $FILE_MS_30000 ms, $FILE_RSS_30000 MB | config ${SIZE_30000} KB | ${FILE_RATIO}x | <= 3x | $(meets "$FILE_RATIO" "<=" 3) |
| 32 cold \`credential-process\` in parallel | ${HERD_MS} ms wall | | AssumeRole calls: ${CALLS:-?}, distinct outputs: $DISTINCT | 1 call, 1 output | $HERD_OK |
EOF
