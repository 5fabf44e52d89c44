#!/usr/bin/env bash
# The board footprint of the ARM builds (README "Running on a board"):
#   - the stripped size of each tool, per target;
#   - the peak RSS of `evlock-sense --interval 1s` on the simulator for 60 s, and of
#     `evlock-sign` streaming 1,000 records, under qemu-user;
#   - the time (and peak RSS) to unlock a keystore with --light-kdf and with the standard KDF.
#
#   benches/board-footprint.sh [TARGET…]     after `scripts/cross --build` (default: every ARM
#                                            target built in target/…/release)
#
# Under qemu-user the figures are indicative only: the RSS includes qemu's own code and its
# translation cache (the "baseline" row is the RSS of `--version`, so the difference is the
# tool's own working set), and emulated time is not board time (a 1 GHz Cortex-A7 can be much
# slower or faster than qemu on this host). A native x86_64 column is given when target/release
# holds native builds (`cargo build --release`). Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
[ -x /usr/bin/time ] || { echo "board-footprint: needs GNU time (apt-get install time)" >&2; exit 2; }

tools=()
for bin in src/bin/*.rs; do tools+=("$(basename "$bin" .rs)"); done

targets=("$@")
if [ ${#targets[@]} = 0 ]; then
  for t in armv7-unknown-linux-gnueabihf aarch64-unknown-linux-gnu; do
    [ -x "$target_dir/$t/release/evlock-sense" ] && targets+=("$t")
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "board-footprint: no ARM build: run scripts/cross --build" >&2; exit 2; }

# The runner of a target, from .cargo/config.toml (the one cargo test uses).
runner_of() {
  sed -n "/^\[target\.$1\]/,/^\[/ s/^runner = \"\(.*\)\"$/\1/p" .cargo/config.toml
}
gnu_of() { case "$1" in armv7-*) echo arm-linux-gnueabihf ;; aarch64-*) echo aarch64-linux-gnu ;; esac; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure CMD…: runs CMD under GNU time; prints "peak_kib seconds" (CMD's stdout: $work/stdout).
measure() {
  /usr/bin/time -f '%M %e' -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" ||
    { echo "board-footprint: failed: $* — $(tail -n 3 "$work/stderr")" >&2; exit 1; }
  cat "$work/time"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# Inputs: a key, a light and a standard keystore of it, 1,000 tx records.
echo "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d" > "$work/key.hex"
echo "board" > "$work/pw"
for i in $(seq 0 999); do
  printf '{"kind":"tx","v":1,"type":"value_transfer","chain_id":"1001","nonce":"%d","gas":"21000","gas_price":"25000000000","to":"0x000000000000000000000000000000000000dEaD","value":"%d"}\n' "$i" "$((i + 1))"
done > "$work/txs.ndjson"

# Columns: each ARM target under its runner, then x86_64 natively when built.
columns=("${targets[@]}")
[ -x "$target_dir/release/evlock-sense" ] && columns+=(x86_64-native)
prefix_of() { if [ "$1" = x86_64-native ]; then echo ""; else runner_of "$1"; fi; }
dir_of() { if [ "$1" = x86_64-native ]; then echo "$target_dir/release"; else echo "$target_dir/$1/release"; fi; }

echo "# Board footprint of evlock $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1) ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
echo
echo "## Stripped release size"
echo
printf '| %-17s |' tool; for c in "${columns[@]}"; do printf ' %s |' "$c"; done; echo
printf '|---|'; for _ in "${columns[@]}"; do printf -- '---:|'; done; echo
total=()
for tool in "${tools[@]}"; do
  printf '| %-17s |' "$tool"
  for i in "${!columns[@]}"; do
    c=${columns[$i]}
    exe="$(dir_of "$c")/$tool"
    strip=strip; [ "$c" = x86_64-native ] || strip="$(gnu_of "$c")-strip"
    "$strip" --strip-all -o "$work/stripped" "$exe"
    bytes=$(stat -c %s "$work/stripped")
    total[$i]=$(( ${total[$i]:-0} + bytes ))
    printf ' %s |' "$(awk -v b="$bytes" 'BEGIN { printf "%.2f MB", b / 1e6 }')"
  done
  echo
done
printf '| %-17s |' "all seven"
for i in "${!columns[@]}"; do printf ' %s |' "$(awk -v b="${total[$i]}" 'BEGIN { printf "%.2f MB", b / 1e6 }')"; done
echo
echo

echo "## Peak RSS and time (ARM columns under qemu-user: indicative, not board figures)"
echo
printf '| %-58s |' measurement; for c in "${columns[@]}"; do printf ' %s |' "$c"; done; echo
printf '|---|'; for _ in "${columns[@]}"; do printf -- '---:|'; done; echo
row() {
  local label=$1; shift
  printf '| %-58s |' "$label"
  for c in "${columns[@]}"; do
    local dir prefix
    dir=$(dir_of "$c"); prefix=$(prefix_of "$c")
    # shellcheck disable=SC2086
    printf ' %s |' "$("$@" "$dir" $prefix)"
  done
  echo
}
rss() { read -r k _ <<<"$(measure "$@")"; mib "$k"; }
rss_time() { read -r k s <<<"$(measure "$@")"; echo "$(mib "$k"), ${s} s"; }

baseline() { local dir=$1; shift; rss "$@" "$dir/evlock-sense" --version; }
sense60() {
  local dir=$1; shift
  rss "$@" "$dir/evlock-sense" --device 'sim:board?kind=solar&amps=5' --switch sim:board --interval 1s --count 60
}
sign1000() {
  local dir=$1; shift
  local out="$work/signer-$RANDOM"
  "$@" "$dir/evlock-keygen" import --private-key-file "$work/key.hex" --password-file "$work/pw" \
    --light-kdf --out-dir "$out" >/dev/null 2>&1
  local figures
  figures=$(measure "$@" "$dir/evlock-sign" --key "$out"/*.json --password-file "$work/pw" <"$work/txs.ndjson")
  [ "$(grep -c '"kind":"signed_tx"' "$work/stdout")" = 1000 ] ||
    { echo "board-footprint: evlock-sign did not sign 1,000 records" >&2; exit 1; }
  read -r k s <<<"$figures"
  echo "$(mib "$k"), ${s} s"
}
unlock() {
  local kdf=$1 dir=$2; shift 2
  local out="$work/$kdf-$RANDOM" flag=()
  [ "$kdf" = light ] && flag=(--light-kdf)
  "$@" "$dir/evlock-keygen" import --private-key-file "$work/key.hex" --password-file "$work/pw" \
    "${flag[@]}" --out-dir "$out" >/dev/null 2>&1
  rss_time "$@" "$dir/evlock-keygen" inspect --verify --password-file "$work/pw" "$out"/*.json
}
row "baseline: evlock-sense --version" baseline
row "evlock-sense --interval 1s, 60 s on the simulator" sense60
row "evlock-sign streaming 1,000 tx records (light keystore)" sign1000
row "keystore unlock, --light-kdf (scrypt n=2^12): RSS, time" unlock light
row "keystore unlock, standard KDF (scrypt n=2^18): RSS, time" unlock standard
echo
echo "Emulated time is not board time; the ARM RSS includes qemu-user itself (see the baseline)."
