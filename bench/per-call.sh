# bench/per-call.sh: sourced by the per-call benchmarks (modinfo.sh, modprobe.sh).
#
#   per_call_row LABEL KMOD_CMD RKMOD_CMD [HYPERFINE_OPTION...]
#
# Times both commands with hyperfine (60 runs after 5 warm-ups, no shell) and prints
# one markdown row: label, kmod's median, rkmod's median, speed-up.
per_call_row() {
  local label=$1 theirs=$2 ours=$3 json
  shift 3
  json=$(mktemp)
  hyperfine -N "$@" -w 5 -r 60 --export-json "$json" "$theirs" "$ours" >/dev/null 2>&1
  python3 - "$json" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
k, o = r[0]["median"] * 1000, r[1]["median"] * 1000
print(f"| {sys.argv[2]} | {k:.2f} ms | {o:.2f} ms | {k / o:.1f}x |")
PY
  rm -f "$json"
}
