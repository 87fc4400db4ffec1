#!/bin/sh
# One pod of the elf Indexed Job: shard JOB_COMPLETION_INDEX of ELF_SHARDS of the run ELF_RUN_ID.
# Kubernetes sets JOB_COMPLETION_INDEX; `--shards` reads it. The pod makes its things, streams, prints
# its summary as one line `ELF_SUMMARY {...}` (for `elf report merge`), and removes its things on the
# way out. A pod that dies before its clean leaves things behind: the clean-run Job removes the whole
# run by its id, without any local state.
set -u
ELF=${ELF:-node /app/bin/elf.js}
work=${ELF_WORK_DIR:-/work}
state="$work/fleet"
status=0
$ELF create "$ELF_THINGS" --shards "$ELF_SHARDS" --run-id "$ELF_RUN_ID" --state-dir "$state" || status=$?
# shellcheck disable=SC2086 # ELF_SEND_ARGS holds several flags
$ELF send --shards "$ELF_SHARDS" --json-message "$ELF_MESSAGES" --partition --json --state-dir "$state" ${ELF_SEND_ARGS:-} > "$work/summary.json" || status=$?
if [ -s "$work/summary.json" ]; then printf 'ELF_SUMMARY %s\n' "$(tr -d '\n' < "$work/summary.json")"; fi
$ELF clean --state-dir "$state" || status=$?
exit "$status"
