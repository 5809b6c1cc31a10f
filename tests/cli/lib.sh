# Shared helpers for the command-line tests (sourced; not a test itself).
set -uo pipefail
PC=$1
SRC=$2
WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK"
export SC_COPYRIGHT_MESSAGE=DISABLE
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect_exit CODE CMD... : runs CMD, stores stdout+stderr in $OUT, checks the exit status.
expect_exit() {
  local want=$1; shift
  OUT=$("$@" 2>&1); local got=$?
  [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want. Output: $OUT"
}
expect_out() { grep -qF -- "$1" <<<"$OUT" || fail "output lacks '$1'. Output: $OUT"; }
# json_num FILE KEY : the first number after "KEY": in a pretty-printed JSON file.
json_num() { grep -o "\"$2\": [0-9.e+-]*" "$1" | head -1 | awk '{print $2}'; }
# strip_host FILE : everything before the "host" section (the last key of a stats file).
strip_host() { sed '/^  "host": {/,$d' "$1"; }
finish() { [ "$fails" = 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }; }
