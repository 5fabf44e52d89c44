#!/usr/bin/env bash
# Calibration on the simulator: a technician commissions a meter against a reference meter,
# signs the certificate, and later checks the meter against it: once healthy, once drifted by
# 3 %, once recalibrated behind their back, once with a forged certificate. Then the meter
# runs under its certificate in evlock-sense.
#
# Runs on a fresh machine after `cargo build` (binaries in target/debug; another folder can be
# named with EVLOCK_BIN). Everything happens in a temporary folder removed at the end.
#
#   cargo build && ./examples/calibrate.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${EVLOCK_BIN:-$root/target/debug}"
for tool in evlock-keygen evlock-calibrate evlock-sense; do
  if [ ! -x "$bin/$tool" ]; then
    echo "calibrate.sh: $bin/$tool is missing: run \`cargo build\` first (or set EVLOCK_BIN)" >&2
    exit 2
  fi
done
keygen="$bin/evlock-keygen"
calibrate="$bin/evlock-calibrate"
sense="$bin/evlock-sense"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
expect_exit() { # expect_exit CODE COMMAND…: runs it, fails the script unless it exits CODE
  local want="$1"; shift
  set +e; "$@"; local got=$?; set -e
  echo "exit code: $got" >&2
  [ "$got" -eq "$want" ] || { echo "calibrate.sh: expected exit $want" >&2; exit 1; }
}

# The simulated bench: meter, relay and programmable load of world "bench", and a reference
# meter on the same world (true values). The virtual clock makes warm-up and settling instant.
bench=(--switch sim:bench --reference 'sim:bench?role=reference' --clock virtual)

step "1. The technician's key: the public dev mnemonic, a light keystore (never for real money)"
printf 'technician password, change me\n' > password.txt
chmod 600 password.txt
"$keygen" import --mnemonic-file "$root/examples/devnet-mnemonic.txt" --light-kdf \
  --password-file password.txt --out-dir keys | tee key.ndjson
keystore="$(sed -E 's/.*"keystore":"([^"]+)".*/\1/' key.ndjson)"
technician="$(sed -E 's/.*"address":"([^"]+)".*/\1/' key.ndjson)"

step "2. Commission: zero point, 1 A, 2 A, 5 A against the reference; class 1 (±1 %)"
"$calibrate" commission --device sim:bench "${bench[@]}" --key "$keystore" \
  --password-file password.txt --class 1 --out bench-cert.json
head -c 600 bench-cert.json >&2; echo " …" >&2

step "3. Check the healthy meter: signature, registers, load points"
"$calibrate" check --certificate bench-cert.json --device sim:bench "${bench[@]}" \
  --technician "$technician" | tee check-ok.ndjson

step "4. The same meter drifted by 3 %: out of tolerance at class 1 (exit 1)"
expect_exit 1 "$calibrate" check --certificate bench-cert.json --device 'sim:bench?drift=3%' "${bench[@]}" \
  > check-drift.ndjson
tail -1 check-drift.ndjson

step "5. Its gain register was changed (the recalibration attack): caught against the baseline (exit 1)"
expect_exit 1 "$calibrate" check --certificate bench-cert.json --device 'sim:bench?fault=recal' "${bench[@]}" \
  | tail -1

step "6. A forged certificate (one digit of the baseline changed): refused before measuring (exit 1)"
sed 's/"gain": 1000000/"gain": 1000001/' bench-cert.json > forged.json
expect_exit 1 "$calibrate" check --certificate forged.json --device sim:bench "${bench[@]}"

step "7. The certificate and the drifted check, for humans; the errors as an SVG"
"$calibrate" report --certificate bench-cert.json --check check-drift.ndjson --svg errors.svg
ls -l errors.svg >&2

step "8. The meter at work: corrected by its certificate, health-checked on every reading"
"$sense" --device sim:bench --switch sim:bench --certificate bench-cert.json \
  --technician "$technician" --clock virtual --count 3

step "9. Recalibrated before the session: the first reading raises 'recalibrated' (exit 1)"
expect_exit 1 "$sense" --device 'sim:bench?fault=recal' --certificate bench-cert.json \
  --clock virtual --count 3 --fail-on-alarm

step "done: every step behaved as expected"
