#!/usr/bin/env bash
# The main demo: a peer-to-peer energy trade on a local Kaia chain, with simulated meters.
#
# An operator deploys the EnergyMarket and registers two commissioned meters. A seller offers
# 50 Wh at 2 ston/Wh; a buyer buys it, escrowing the price. The seller's meter streams readings
# (evlock-sense) into delivery reports (evlock-trade report) that the meter signs and the
# operator pays the gas for; the buyer's board runs a whole delivery session (evlock-trade
# deliver) that reports, opens its relay at 50 Wh and settles. The seller withdraws its pay.
# A second trade is cut short by a meter put to sleep (the paper's sleep attack).
#
# Everything happens in a temporary folder removed at the end; the meters run on the virtual
# clock, so an hour of delivery takes a moment.
#
#   ./examples/trade.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin evlock-keygen --bin evlock-sign \
  --bin evlock-devnet --bin evlock-relay --bin evlock-trade --bin evlock-sense --bin evlock-calibrate
bin="$root/target/release"
keygen="$bin/evlock-keygen" sign="$bin/evlock-sign" devnet="$bin/evlock-devnet"
relay="$bin/evlock-relay" trade="$bin/evlock-trade" sense="$bin/evlock-sense" calibrate="$bin/evlock-calibrate"
work="$(mktemp -d)"
devnet_pid=""
trap '[ -n "$devnet_pid" ] && kill "$devnet_pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\\1/"; }

step "1. Keys for the operator, seller, buyer and the two meters (the public dev mnemonic; never for real money)"
printf 'demo password, change me\n' > pw.txt
chmod 600 pw.txt
"$keygen" import --mnemonic-file "$root/examples/devnet-mnemonic.txt" --count 5 --light-kdf \
  --password-file pw.txt --out-dir keys > keys.ndjson
key() { sed -n "$1p" keys.ndjson | field keystore; }
addr() { sed -n "$1p" keys.ndjson | field address; }
operator="$(addr 1)" seller="$(addr 2)" buyer="$(addr 3)" seller_meter="$(addr 4)" buyer_meter="$(addr 5)"
printf 'operator %s\nseller   %s\nbuyer    %s\nmeters   %s %s\n' "$operator" "$seller" "$buyer" "$seller_meter" "$buyer_meter" >&2

step "2. A local Kaia-compatible chain that funds the dev accounts"
"$devnet" --port 0 > devnet.ndjson &
devnet_pid=$!
until [ -s devnet.ndjson ]; do sleep 0.1; done
export EVLOCK_RPC_URL="$(field url < devnet.ndjson)"
echo "chain at $EVLOCK_RPC_URL" >&2

# as WHO-NUMBER: sign what comes in with that account's key and submit it
as() { "$sign" --key "$(key "$1")" --password-file pw.txt | "$relay" submit; }

step "3. The operator deploys the market (trades get 100 blocks to deliver)"
"$trade" deploy --from "$operator" --delivery-blocks 100 | as 1 | tee deploy.ndjson
export EVLOCK_MARKET="$(field contract_address < deploy.ndjson)"

step "4. A technician commissions the seller's meter against a reference meter (signed certificate)"
"$calibrate" commission --device sim:bench --switch sim:bench --reference 'sim:bench?role=reference' \
  --clock virtual --key "$(key 1)" --password-file pw.txt --class 1 --out seller-meter-cert.json > /dev/null
"$calibrate" report --certificate seller-meter-cert.json

step "5. The operator registers both meters to their owners"
"$trade" register-meter --from "$operator" --meter "$seller_meter" --owner "$seller" | as 1 > /dev/null
"$trade" register-meter --from "$operator" --meter "$buyer_meter" --owner "$buyer" | as 1 > /dev/null
"$trade" watch --from-block 0

step "6. The seller offers 50 Wh at 2 ston/Wh; the buyer buys it (escrow = energy x price, read from the offer)"
"$trade" offer --from "$seller" --energy 50Wh --price 2ston/Wh --expires-in 600blocks | as 2 > /dev/null
"$trade" buy --from "$buyer" --offer 1 --max-price 2ston/Wh | as 3 > /dev/null
"$trade" status offer 1 --pretty

step "7. The seller's meter: readings become a report every 10 Wh, signed by the meter, gas paid by the operator"
"$sense" --device 'sim:seller?volts=12.8&amps=2' --switch sim:seller --clock virtual --interval 1s --count 8000 \
  | "$trade" report --trade 1 --every 10Wh --from "$seller_meter" --fee-payer "$operator" \
  | "$sign" --key "$(key 4)" --password-file pw.txt \
  | "$sign" --role fee-payer --key "$(key 1)" --password-file pw.txt \
  | "$relay" submit | cut -c1-160

step "8. The buyer's board runs a delivery session: relay closed, meter read, reports, relay opened, settled"
"$trade" deliver --trade 1 --role buyer --device 'sim:buyer?volts=12.8&amps=3' --switch sim:buyer \
  --clock virtual --every 10Wh --key "$(key 5)" --password-file pw.txt \
  --fee-payer-key "$(key 1)" --fee-payer-password-file pw.txt --journal buyer-delivery.ndjson | cut -c1-160

step "9. The seller withdraws its pay; the trade, credits and balances"
"$trade" withdraw --from "$seller" | as 2 | cut -c1-160
"$trade" status trade 1 --pretty
"$trade" status credit "$seller"
"$trade" status balance "$seller"

step "10. Trade 2 is cut short: the seller's meter is put to sleep after 20 minutes (exit 1, relay opened)"
"$trade" offer --from "$seller" --energy 50Wh --price 2ston/Wh | as 2 > /dev/null
"$trade" buy --from "$buyer" --offer 2 | as 3 > /dev/null
set +e
"$trade" deliver --trade 2 --role seller --device 'sim:tired?volts=12.8&amps=2&fault=sleep@1200s' \
  --switch sim:tired --clock virtual --every 5Wh --key "$(key 4)" --password-file pw.txt \
  --fee-payer-key "$(key 1)" --fee-payer-password-file pw.txt --journal seller-delivery.ndjson \
  | grep -E '"kind":"(alarm|status)"'
echo "exit code: ${PIPESTATUS[0]}" >&2
set -e

step "11. Every market event so far"
"$trade" watch --from-block 0 | cut -c1-160

printf '\nDone: trade 1 settled complete (credit +1 each), trade 2 stopped by the meter alarm and left for its deadline.\n' >&2
