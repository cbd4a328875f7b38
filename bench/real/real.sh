#!/usr/bin/env bash
# bench/real/real.sh - the real-program workloads of the benchmark report
# (docs/benchmarks.md), run by the driver through bench/c/launch.c with the
# allocator under test (and bench/c/whoami.c) in LD_PRELOAD:
#
#   real.sh prepare DIR           make DIR/git-template (once, before the runs)
#   real.sh [-s SCALE] WORKLOAD   WORKLOAD: python | sqlite | git
#
# Each workload runs in a fresh temporary directory and prints one JSON line
# in the shape of oxbench's: the checksum is a hash of the program's output
# (so every allocator must produce the same output), the allocator is the
# one every process of the program reported through whoami.so.
#   python  python3 -I -S running a fixed script: dicts, lists, sets of
#           objects and strings, json, re, sorting (CPython's own allocator
#           serves objects up to 512 B; larger ones and its arenas go to malloc)
#   sqlite  sqlite3: 60 000 rows in one transaction, an index, aggregates,
#           a self-join, sorts, a delete and VACUUM
#   git     `git gc --aggressive` (window 30: every delta searched again)
#           then `git fsck` on a copy of a generated repository (40 commits
#           of edits to 600 files, 5 840 objects in one pack; made once by
#           `prepare`)
set -u
here=$(cd "$(dirname "$0")" && pwd)
GIT_TEMPLATE=${OXBENCH_REAL_DIR:-$here/../../build/bench/real}/git-template

git_env() {
  export HOME=$1 GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=ox GIT_AUTHOR_EMAIL=ox@example.org
  export GIT_COMMITTER_NAME=ox GIT_COMMITTER_EMAIL=ox@example.org
  # No fsync: the disk of a shared machine would be measured, not git.
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.fsync GIT_CONFIG_VALUE_0=none
}

# 600 files in 12 directories; each of 40 commits rewrites 120 of them
# (lines added, changed and dropped), so the history has many deltas.
prepare_git() {
  local dir=$1 c
  rm -rf "$dir/git-template" && mkdir -p "$dir/git-template" || return 1
  git_env "$dir"
  cd "$dir/git-template" && git init -q -b main . || return 1
  mkdir -p dir{0..11}
  for ((c = 1; c <= 40; c++)); do
    awk -v c="$c" 'BEGIN {
      for (f = 0; f < 600; f++) {
        if (c > 1 && (f * 7 + c) % 5 != 0) continue
        out = "dir" (f % 12) "/f" f ".txt"
        for (n = 0; n < 40 + (f * c) % 60; n++)
          printf "file %d line %d value %d\n", f, n, (n * 2654435761 + f * 40503 + c * (n % 3 == 0)) % 1000003 > out
        close(out)
      } }'
    git add -A
    GIT_AUTHOR_DATE="2026-01-01 12:00:$((c % 60)) +0000" GIT_COMMITTER_DATE="2026-01-01 12:00:$((c % 60)) +0000" \
      git commit -q -m "commit $c" || return 1
  done
  git gc -q
}

wl_python() {
  PYTHONHASHSEED=0 python3 -I -S - "$1" <<'PY'
import json, re, sys
scale = float(sys.argv[1])
n = max(1000, int(40000 * scale))
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
class Rec:
    __slots__ = ("key", "tags", "value", "text")
    def __init__(self, i):
        self.key = f"k{i:07d}"
        self.tags = [words[(i * k) % 8] for k in range(1 + i % 5)]
        self.value = {"i": i, "sq": i * i % 10007, "half": i / 2}
        self.text = " ".join(self.tags) * (1 + i % 7)
recs = [Rec(i) for i in range(n)]
index = {}
for r in recs:
    for t in r.tags:
        index.setdefault(t, []).append(r.key)
pat = re.compile(r"(alpha|theta) (\w+)")
hits = sum(len(pat.findall(r.text)) for r in recs)
blob = json.dumps([{"k": r.key, "t": r.tags, "v": r.value} for r in recs[::3]])
back = json.loads(blob)
recs.sort(key=lambda r: (r.value["sq"], r.key))
sets = [frozenset(r.tags) for r in recs]
distinct = len(set(sets))
del recs, sets
big = [bytes(range(256)) * (1 + i % 64) for i in range(2000)]
print(n, hits, len(blob), len(back), distinct, {k: len(v) for k, v in sorted(index.items())},
      sum(len(b) for b in big))
PY
}

wl_sqlite() {
  # awk, not python3: every process of the run counts in the row's peak, and
  # python3's start-up (13-15 MB) was larger than sqlite3 itself.
  local rows; rows=$(awk -v s="$1" 'BEGIN { r = int(60000 * s); print (r < 1000 ? 1000 : r) }')
  { echo ".parameter set :rows $rows"; cat "$here/../../tests/real/sqlite.sql"; } | sqlite3 real.db
}

# The scale applies to the delta window (30 at scale 1), not to the
# repository, which is the template's.
wl_git() {
  [ -d "$GIT_TEMPLATE/.git" ] || { echo "no $GIT_TEMPLATE (run: real.sh prepare DIR)" >&2; return 1; }
  git_env "$PWD"
  cp -a "$GIT_TEMPLATE/.git" repo.git && cd repo.git || return 1
  local window; window=$(awk -v s="$1" 'BEGIN { w = int(30 * s); print (w < 2 ? 2 : w) }')
  git -c gc.aggressiveWindow="$window" gc -q --aggressive || return 1
  git count-objects -v | grep -E '^(count|in-pack|packs|garbage)'
  git fsck --full --strict 2>&1
  git log --format='%H %T' | head -n 3
}

if [ "${1:-}" = prepare ]; then
  prepare_git "$2"
  exit
fi
scale=1
if [ "${1:-}" = -s ]; then scale=$2; shift 2; fi
w=${1:-}
case $w in python | sqlite | git) ;; *) echo "usage: real.sh [-s SCALE] python|sqlite|git" >&2; exit 64 ;; esac
# In memory when possible: the programs are measured, not the disk.
tmp=${TMPDIR:-/tmp}
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
work=$(mktemp -d "$tmp/oxbench-real.XXXXXX") || exit 70
trap 'rm -rf "$work"' EXIT
export OXBENCH_WHOAMI=$work/whoami
start=$(date +%s.%N)
out=$(cd "$work" && "wl_$w" "$scale" 2>&1)
status=$?
end=$(date +%s.%N)
sum=$(printf '%s\n%s\n' "$out" "$status" | sha256sum | cut -c1-16)
whoami=$(sort -u "$work/whoami" 2>/dev/null | tr '\n' '+' | sed 's/+$//')
ok=true
[ "$status" -eq 0 ] || ok=false
printf '{"workload":"%s","allocator":"%s","ok":%s,"errors":%d,"checksum":"%s","ops":%d,"inner_s":%s,"scale":%s,"metrics":{}}\n' \
  "$w" "${whoami:-none}" "$ok" "$((status != 0))" "$sum" 1 "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }')" "$scale"
[ "$status" -eq 0 ] || { echo "$out" | tail -n 5 >&2; exit 1; }
