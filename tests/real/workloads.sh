# tests/real/workloads.sh - the real-program workloads, sourced by run.sh
# (the test) and measure.sh (the figures).  Each wl_NAME WORKDIR runs one
# program on a fixed workload inside the empty directory WORKDIR and prints
# output that is identical from run to run (timing lines removed), so that
# the runs with and without an LD_PRELOAD allocator can be compared byte
# for byte.  They inherit LD_PRELOAD from the caller.

REAL_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REAL_PYTHON=/usr/bin/python3   # Debian's, whose regression tests are installed

# Python: a slice of CPython's own regression suite, verbose; the names of
# the tests run and every result line are kept, timings are dropped.
wl_python() {
  cd "$1" || return 1
  "$REAL_PYTHON" -m test -v test_dict test_list test_set test_unicode test_threading 2>&1 |
    grep -E '^(Ran [0-9]+ tests|OK|FAILED|== Tests result|All [0-9]+ tests|[^ ]+ \(test\.[^)]*\) \.\.\. )' |
    sed -E -e 's/^(Ran [0-9]+ tests) in .*/\1/' -e 's/^([^ ]+ \(test\.[^)]*\) \.\.\.).*/\1/'
}

# SQLite: tests/real/sqlite.sql with 200 000 rows (bench/real/real.sh runs
# the same script at its own scale).
wl_sqlite() {
  cd "$1" || return 1
  { echo ".parameter set :rows 200000"; cat "$REAL_SRC_DIR/sqlite.sql"; } | sqlite3 real.db
}

# git: 3000 generated files committed in 3 commits with fixed identities
# and dates (so that every hash is reproducible), then log, gc and fsck.
wl_git() {
  cd "$1" || return 1
  export HOME=$1 GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=ox GIT_AUTHOR_EMAIL=ox@example.org
  export GIT_COMMITTER_NAME=ox GIT_COMMITTER_EMAIL=ox@example.org
  git init -q -b main repo && cd repo || return 1
  local c d i k line
  for c in 1 2 3; do
    for d in $(seq 1 10); do
      mkdir -p "dir$d"
      for ((i = 1; i <= 100; i++)); do
        line="file $d/$i, commit $c:"
        for ((k = i; k < i + d * 3; k++)); do line+=" $((k * c))"; done
        printf '%s\n' "$line" > "dir$d/f$c-$i.txt"
      done
    done
    [ "$c" -gt 1 ] && rm -rf "dir$((c * 3))" # deletions too
    git add -A
    GIT_AUTHOR_DATE="2026-01-0$c 12:00:00 +0000" GIT_COMMITTER_DATE="2026-01-0$c 12:00:00 +0000" \
      git commit -q -m "commit $c: 1000 generated files"
  done
  git log --stat --format='%H %s' | tail -n 40
  git log --format='%H %T %an %ad' --date=iso
  git gc -q
  git count-objects -v | grep -E '^(count|in-pack|packs|prune-packable|garbage)'
  git fsck --full --strict 2>&1
  git ls-files | wc -l
  git grep -c 'commit 3' | tail -n 3
}

# gcc: compile the allocator core (from $REAL_GCC_SRC, a snapshot of the
# tree, so that both runs see the same files) and a generated file of 400
# functions at -O2 to assembly; the output is compared by checksum.
wl_gcc() {
  cd "$1" || return 1
  local src=${REAL_GCC_SRC:-$REAL_SRC_DIR/../..} f
  {
    echo '#include <string.h>'
    for f in $(seq 1 400); do
      printf 'struct s%d { int a[%d]; double d; };\n' "$f" $((f % 17 + 1))
      printf 'double fn%d(struct s%d *s, int n) { double t = 0; for (int i = 0; i < n; i++) { switch ((i + %d) %% 5) { case 0: t += s->a[i %% %d] * 1.5; break; case 1: t -= s->d; break; case 2: t *= 0.999; break; default: t += i; } } return t + strlen("%d"); }\n' \
        "$f" "$f" "$f" $((f % 17 + 1)) "$f"
    done
  } > generated.c
  for f in "$src"/c_src/*.c generated.c; do
    gcc -std=c11 -O2 -D_GNU_SOURCE -I"$src/include" -I"$src/c_src" -S "$f" -o out.s 2>&1 &&
      printf '%s %s\n' "$(basename "$f")" "$(sha256sum < out.s | cut -c1-16)"
  done
}
