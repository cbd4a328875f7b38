#!/bin/bash
# gc_peak.sh REPO RUNS [LIB.so...] - peak RSS (KB, /usr/bin/time %M) and wall s of
# git gc --aggressive on a fresh copy of REPO under glibc, jemalloc, mimalloc,
# tcmalloc and each LIB (named by its file name), RUNS rounds interleaved.
REPO=$1; RUNS=$2; shift 2
declare -A L=([glibc]= [jemalloc]=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 [mimalloc]=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2 [tcmalloc]=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4)
for o in "$@"; do L[$(basename $o .so)]=$o; done
for r in $(seq $RUNS); do for a in "${!L[@]}"; do
  rm -rf ${TMPDIR:-/tmp}/gcpeak-$a; cp -a $REPO ${TMPDIR:-/tmp}/gcpeak-$a
  ( cd ${TMPDIR:-/tmp}/gcpeak-$a && LD_PRELOAD=${L[$a]} /usr/bin/time -f "$a %M %e" -o ${TMPDIR:-/tmp}/gcpeak-time.$a git gc --aggressive --quiet >/dev/null 2>&1; tr "\n" " " < ${TMPDIR:-/tmp}/gcpeak-time.$a; echo )
  rm -rf ${TMPDIR:-/tmp}/gcpeak-$a
done; done
