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
# png_check FILE W H : FILE is a PNG (signature, IHDR first, IEND last) of W x H pixels (IHDR's
# big-endian width and height at bytes 16..23).
png_check() {
  [ -s "$1" ] || { fail "$1: missing or empty"; return; }
  [ "$(od -An -tx1 -N16 "$1" | tr -d ' \n')" = 89504e470d0a1a0a0000000d49484452 ] ||
    { fail "$1: no PNG signature followed by a 13-byte IHDR chunk"; return; }
  local dims; dims=$(od -An -tu1 -j16 -N8 "$1" | awk '{print ($1*16777216+$2*65536+$3*256+$4) "x" ($5*16777216+$6*65536+$7*256+$8)}')
  [ "$dims" = "$2x$3" ] || fail "$1: $dims pixels, expected $2x$3"
  [ "$(tail -c 12 "$1" | od -An -tx1 | tr -d ' \n')" = 0000000049454e44ae426082 ] || fail "$1: does not end with IEND"
}
# strip_host FILE : everything before the "host" section (the last key of a stats file).
strip_host() { sed '/^  "host": {/,$d' "$1"; }
finish() { [ "$fails" = 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }; }
