#!/usr/bin/env bash
# tests/lifecycle/run.sh BINDIR PRELOAD_LIB - runs the lifecycle programs,
# one process each, with an outer timeout on top of their own watchdogs,
# and prints "lifecycle: N passed, N failed".
set -u
dir=$1 so=$2
source "$(dirname "${BASH_SOURCE[0]}")/../cases.sh"

run fork_huge_lock 110 "$dir/fork_huge_lock"
run fork_first_alloc 110 "$dir/fork_first_alloc"
run fork_before_ctor 110 env OXTEST_FORK_EARLY=1 "$dir/fork_huge_lock"
run fork_init_early 110 "$dir/fork_first_alloc" early
run fork_child_reuses 70 "$dir/fork_child_reuses"
run fork_states 110 "$dir/fork_states"
run exited_threads_return 70 "$dir/exited_threads_return"
run tls_dtor_alloc 70 "$dir/tls_dtor_alloc"
run tls_dtor_first_alloc 70 "$dir/tls_dtor_first_alloc"
run key_exhaustion 70 "$dir/key_exhaustion"
run collect_now 70 "$dir/collect_now"
run trim_override 70 env LD_PRELOAD="$so" OXALLOC_PURGE_DELAY=3600000 "$dir/trim_override"
run unused_stats 70 "$dir/unused_stats"
run free_path_purge 70 "$dir/free_path_purge"
run background_idle_on 70 env OXALLOC_BACKGROUND=1 "$dir/background_idle" on
run background_idle_off 70 env OXALLOC_BACKGROUND=0 "$dir/background_idle" off

finish lifecycle
