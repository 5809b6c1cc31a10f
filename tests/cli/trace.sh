# Lackey traces replay (plain, .gz, .xz); a corrupt line names file and line; a missing file is an error.
source "$(dirname "$0")/lib.sh"
t="$WORK/t.lackey"
{
  echo "==4242== Lackey, an example Valgrind tool"
  for i in $(seq 0 499); do
    printf 'I  %08x,4\n' $((0x400000 + i * 4))
    printf ' L %08x,8\n' $((0x7ff000000 + (i % 64) * 8))
    printf ' S %08x,8\n' $((0x600000 + i * 8))
    printf ' M %08x,4\n' $((0x601000 + (i % 16) * 4))
  done
  echo "==4242== "
} >"$t"
expect_exit 0 "$PC" run --trace "$t" --set workload.data_check=true --stats-json "$WORK/p.json"
# 500 fetches + 500 loads + 500 stores + 500 modifies (a load and a store each) = 2500 accesses.
[ "$(json_num "$WORK/p.json" mem_accesses)" = 2500 ] || fail "plain trace: expected 2500 accesses"
[ "$(json_num "$WORK/p.json" data_errors)" = 0 ] || fail "plain trace: data errors"
gzip -c "$t" >"$t.gz"
xz -c "$t" >"$t.xz"
for f in "$t.gz" "$t.xz"; do
  expect_exit 0 "$PC" run --trace "$f" --stats-json "$WORK/z.json"
  [ "$(json_num "$WORK/z.json" mem_accesses)" = 2500 ] || fail "$f: expected 2500 accesses"
done
{ head -3 "$t"; echo " L zzzz,8"; tail -2 "$t"; } >"$WORK/bad.lackey"
expect_exit 1 "$PC" run --trace "$WORK/bad.lackey"
expect_out "$WORK/bad.lackey:4:"
expect_exit 1 "$PC" run --trace "$WORK/missing.lackey"
expect_out "$WORK/missing.lackey"
finish
