#!/usr/bin/env bash
# tests/real/measure.sh [BUILD] [REPS] [OUT.md] - whole-process figures for
# the real-program workloads of tests/real/workloads.sh (python3 regression
# slice, sqlite3, git, gcc) under glibc and, by LD_PRELOAD, Debian's
# jemalloc, mimalloc, tcmalloc_minimal and oxalloc (BUILD/liboxalloc.so).
#
# Every (workload, allocator) pair runs REPS times (default 5), interleaved:
# each repetition runs every workload under every allocator, in an order
# rotated from one repetition to the next.  /usr/bin/time gives wall time,
# CPU time (user + sys of the whole process tree) and peak RSS (the
# largest single process of the tree).  Each run's output is checked
# against glibc's first run.  Prints a Markdown table (medians, min-max, ratios to
# oxalloc) and writes it to OUT.md when given.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd) reps=${2:-5} out_md=${3:-}
lib=/usr/lib/x86_64-linux-gnu
names=(glibc jemalloc mimalloc tcmalloc oxalloc)
preloads=("" "$lib/libjemalloc.so.2" "$lib/libmimalloc.so.2" "$lib/libtcmalloc_minimal.so.4"
          "$build/liboxalloc.so")
workloads=(${REAL_WORKLOADS:-python sqlite git gcc})
work=$(mktemp -d /tmp/oxmeasure.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" && cp -r "$here/../../c_src" "$here/../../include" "$work/src/"
export REAL_GCC_SRC=$work/src
csv=$work/runs.csv
echo "workload,allocator,rep,wall_s,cpu_s,maxrss_kb" > "$csv"

for ((rep = 1; rep <= reps; rep++)); do
  for w in "${workloads[@]}"; do
    for ((k = 0; k < ${#names[@]}; k++)); do
      i=$(((k + rep) % ${#names[@]}))
      a=${names[$i]} dir=$(mktemp -d "$work/run.XXXX")
      /usr/bin/time -f '%e %U %S %M' -o "$work/time" \
        env LD_PRELOAD="${preloads[$i]}" bash -c "source '$here/workloads.sh'; wl_$w '$dir'" \
        > "$work/out.$w.$a.$rep" 2>&1
      rm -rf "$dir"
      read -r wall user sys rss < <(tail -n 1 "$work/time")
      cpu=$(echo "$user + $sys" | bc)
      echo "$w,$a,$rep,$wall,$cpu,$rss" >> "$csv"
      echo "rep $rep $w $a: ${wall}s cpu ${cpu}s rss ${rss}KB" >&2
    done
  done
done

/usr/bin/python3 - "$csv" "$reps" "$out_md" "$work" "${1:-build}" <<'PY'
import csv, statistics, sys, subprocess, datetime, platform
rows = list(csv.DictReader(open(sys.argv[1])))
reps, out_md, work, build_arg = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def output(r): return open(f"{work}/out.{r['workload']}.{r['allocator']}.{r['rep']}", "rb").read()
for r in rows:
    r["output"] = "same" if output(r) == output(dict(r, allocator="glibc", rep="1")) else "DIFFERENT"
names = ["glibc", "jemalloc", "mimalloc", "tcmalloc", "oxalloc"]
works = list(dict.fromkeys(r["workload"] for r in rows))
def col(w, a, k): return [float(r[k]) for r in rows if r["workload"] == w and r["allocator"] == a]
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(" :\t")
lines = [f"Measured {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC on {subprocess.getoutput('nproc')} cores, {cpu}, "
         f"{platform.system()} {platform.release()}.",
         f"Command: `tests/real/measure.sh {build_arg} {reps}` (medians of {reps} interleaved runs; "
         "wall and CPU time of the whole process tree; peak RSS of its largest process).", "",
         "| workload | allocator | wall s (min-max) | wall vs oxalloc | CPU s | CPU vs oxalloc | peak RSS MiB | RSS vs oxalloc | output |",
         "|---|---|---|---|---|---|---|---|---|"]
for w in works:
    ox = {k: statistics.median(col(w, "oxalloc", k)) for k in ("wall_s", "cpu_s", "maxrss_kb")}
    for a in names:
        wall, c, rss = col(w, a, "wall_s"), col(w, a, "cpu_s"), col(w, a, "maxrss_kb")
        if not wall: continue
        mw, mc, mr = statistics.median(wall), statistics.median(c), statistics.median(rss)
        outs = {r["output"] for r in rows if r["workload"] == w and r["allocator"] == a}
        same = "same as glibc" if outs == {"same"} else "DIFFERENT"
        lines.append(f"| {w} | {a} | {mw:.2f} ({min(wall):.2f}-{max(wall):.2f}) | {mw / ox['wall_s']:.2f} | "
                     f"{mc:.2f} | {mc / ox['cpu_s']:.2f} | {mr / 1024:.1f} | {mr / ox['maxrss_kb']:.2f} | {same} |")
text = "\n".join(lines) + "\n"
print(text)
if out_md:
    open(out_md, "w").write(text)
PY
