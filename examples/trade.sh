#!/usr/bin/env bash
# The main demo: the whole Evlock system on a local Kaia chain, with simulated meters.
#
# An operator runs the market (EnergyMarketV2: signed delivery receipts) and the meters' link
# (mutual TLS, certificates from its own CA). A technician commissions both meters against a
# reference meter. Each meter's account is role-based (Kaia's account model): the transaction
# key lives on the meter (on a PKCS#11 token when SoftHSM2 is installed, else in a keystore),
# the owner's key may update the account, the operator's pays the gas. The meters are bound to
# their owners with consent; the seller offers 50 Wh, the buyer buys it (escrow). Both meters'
# delivery sessions sign receipts of their own readings, which the link carries to the other
# side; the seller's session keeps its relay closed only while the buyer's receipts keep up,
# and settles the trade in one transaction with both sides' latest receipts. The seller
# withdraws its pay, and a summary says what was delivered, paid, refunded and spent.
#
# With --attack NAME it runs one attack of SECURITY.md's threat table instead of the honest
# trade, shows what was attempted and how it was caught, and exits 1 if it was not caught:
#
#   recal         a meter recalibrated behind the technician's back
#   sleep         the seller's meter put to sleep mid-delivery
#   rewire        part of the seller's energy diverted before the buyer's meter
#   mitm          link peers with another CA's certificate (a fake operator, a fake meter)
#   replay        a signed transaction sent again; a buyer's receipt replayed on another trade
#   silent-buyer  the buyer's meter goes quiet while the seller delivers
#   stolen-key    the seller meter's key is stolen and rotated out
#
# Everything happens in a temporary folder removed at the end, and every process it starts is
# stopped, also on Ctrl-C. The meters run on the virtual clock (an hour of delivery takes a
# moment), except for `rewire`, whose two sessions run side by side for a few seconds.
# Without EVLOCK_BIN it builds the tools (release); with it, it uses the binaries there.
# EVLOCK_DEMO_KEEP=1 keeps the folder (the records, journals and logs) for a look afterwards.
#
#   ./examples/trade.sh
#   ./examples/trade.sh --attack silent-buyer
set -euo pipefail
attacks="recal sleep rewire mitm replay silent-buyer stolen-key"
usage() { echo "usage: $0 [--attack NAME]   (NAME: ${attacks// /, })"; }
attack=""
case "$#:${1:-}" in
  0:) ;;
  2:--attack) attack="$2" ;;
  1:-h | 1:--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
if [ -n "$attack" ] && ! [[ " $attacks " == *" $attack "* ]]; then
  echo "trade.sh: unknown attack '$attack'" >&2; usage >&2; exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="evlock-keygen evlock-sign evlock-devnet evlock-relay evlock-trade evlock-calibrate"
if [ -n "${EVLOCK_BIN:-}" ]; then
  bin="$(cd "$EVLOCK_BIN" && pwd)"
else
  # shellcheck disable=SC2046
  cargo build --release --quiet --manifest-path "$root/Cargo.toml" $(printf -- '--bin %s ' $tools)
  bin="$root/target/release"
fi
for tool in $tools; do
  [ -x "$bin/$tool" ] || { echo "trade.sh: $bin/$tool is missing" >&2; exit 2; }
done
keygen="$bin/evlock-keygen" sign="$bin/evlock-sign" devnet="$bin/evlock-devnet"
relay="$bin/evlock-relay" trade="$bin/evlock-trade" calibrate="$bin/evlock-calibrate"

work="$(mktemp -d)"
pids=()
infra=() # the chain, the operator's listener, the boxes: they run until the end
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${EVLOCK_DEMO_KEEP:-}" ]; then echo "trade.sh: kept $work" >&2; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$work"
step() { infra_alive; printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
say() { printf '%s\n' "$*" >&2; }
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\\1/"; }
fail() { say "trade.sh: FAILED: $*"; exit 1; }
# interrupted STATUS: a tool that had the Ctrl-C itself exits 130 without dying of it, and then
# bash runs no INT trap: stop here as the trap would.
interrupted() { [ "$1" != 130 ] || exit 130; }
# infra_alive: the chain, the listener and the boxes never stop before the end. One that did
# had the Ctrl-C (the tools catch SIGINT even in the background); bash itself may then never
# act on it (a foreground tool that caught it too and finished normally), so stop here.
infra_alive() {
  local pid status
  for pid in "${infra[@]}"; do
    kill -0 "$pid" 2>/dev/null && continue
    status=0
    wait "$pid" || status=$?
    interrupted "$status"
    fail "a background process of the demo (pid $pid) stopped with status $status"
  done
}
# wait_for FILE TEXT: until FILE holds TEXT (at most 60 s)
wait_for() {
  for _ in $(seq 600); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; infra_alive; sleep 0.1; done
  say "trade.sh: no \"$2\" in $1 after 60 s"; cat "$1" >&2 2>/dev/null || true; exit 1
}
# The attack's verdict: CAUGHT lines, or NOT CAUGHT and exit 1.
attempted() { printf '\nATTACK %s: %s\n' "$attack" "$*" >&2; }
caught() { printf 'CAUGHT: %s\n' "$*" >&2; }
not_caught() { printf 'NOT CAUGHT: %s\n' "$*" >&2; exit 1; }

step "1. Keys: operator, seller, buyer, technician (the public dev mnemonic; never for real money)"
printf 'demo password, change me\n' > pw.txt
chmod 600 pw.txt
"$keygen" import --mnemonic-file "$root/examples/devnet-mnemonic.txt" --count 6 --light-kdf \
  --password-file pw.txt --out-dir keys > keys.ndjson
key() { sed -n "$1p" keys.ndjson | field keystore; }
addr() { sed -n "$1p" keys.ndjson | field address; }
public() { sed -n "$1p" keys.ndjson | field public_key; }
operator="$(addr 1)" seller="$(addr 2)" buyer="$(addr 3)" technician="$(addr 6)"

step "2. A local Kaia-compatible chain that funds the dev accounts"
"$devnet" --port 0 > devnet.ndjson 2> devnet.log &
pids+=($!) infra+=($!)
wait_for devnet.ndjson '"url"'
export EVLOCK_RPC_URL="$(field url < devnet.ndjson)"
chain_id="$(field chain_id < devnet.ndjson)"
say "chain at $EVLOCK_RPC_URL"
# Every receipt of every transaction, for the summary.
touch chain-receipts.ndjson
# as WHO-NUMBER: sign what comes in with that account's key and submit it
as() { "$sign" --key "$(key "$1")" --password-file pw.txt | "$relay" submit | tee -a chain-receipts.ndjson; }
pays() { "$sign" --role fee-payer --key "$(key 1)" --password-file pw.txt; }
rpc() { "$relay" rpc "$@" | sed -E 's/.*"result":("?)([^"}]*)\1}$/\2/'; }

step "3. The meters' keys: each meter's own transaction key on the meter"
# meter_key N: the --key arguments of meter N (1 the seller's, 2 the buyer's)
if command -v softhsm2-util > /dev/null && [ -f /usr/lib/softhsm/libsofthsm2.so ]; then
  export EVLOCK_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so SOFTHSM2_CONF="$work/softhsm2.conf"
  mkdir tokens
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" > softhsm2.conf
  printf '1234\n' > pin.txt
  chmod 600 pin.txt
  for n in 1 2; do
    softhsm2-util --init-token --free --label "meter-$n" --pin 1234 --so-pin 5678 > /dev/null
    "$keygen" new --key "pkcs11:token=meter-$n;object=tx" --pin-file pin.txt > "meter-$n.ndjson"
  done
  meter_key() { printf '%s\n' --key "pkcs11:token=meter-$1;object=tx" --pin-file pin.txt; }
  say "SoftHSM2: each meter's key was made on its own PKCS#11 token and never leaves it"
else
  for n in 1 2; do sed -n "$((n + 3))p" keys.ndjson > "meter-$n.ndjson"; done
  meter_key() { printf '%s\n' --key "$(sed -n "$(($1 + 3))p" keys.ndjson | field keystore)" --password-file pw.txt; }
  say "no SoftHSM2 (apt-get install softhsm2): the meters' keys are keystores"
fi
seller_meter="$(field address < meter-1.ndjson)" buyer_meter="$(field address < meter-2.ndjson)"
mapfile -t seller_key < <(meter_key 1)
mapfile -t buyer_key < <(meter_key 2)
say "operator   $operator
seller     $seller (meter $seller_meter)
buyer      $buyer (meter $buyer_meter)
technician $technician"

step "4. Each meter's account becomes role-based: RoleTransaction the meter's key, RoleAccountUpdate the owner's, RoleFeePayer the operator's"
# account_update METER KEYJSON: a fee-delegated account_update of METER's account; the operator pays
account_update() {
  printf '{"kind":"tx","v":1,"type":"fee_delegated_account_update","chain_id":"%s","nonce":"%s","gas":"300000","gas_price":"%s","from":"%s","fee_payer":"%s","key":%s}\n' \
    "$chain_id" "$(rpc kaia_getTransactionCount "[\"$1\",\"latest\"]")" "$(rpc kaia_gasPrice)" "$1" "$operator" "$2"
}
for n in 1 2; do
  meter="$(field address < "meter-$n.ndjson")"
  mapfile -t mkey < <(meter_key "$n")
  roles="{\"type\":\"role_based\",\"roles\":[{\"type\":\"public\",\"public_key\":\"$(field public_key < "meter-$n.ndjson")\"},{\"type\":\"public\",\"public_key\":\"$(public $((n + 1)))\"},{\"type\":\"public\",\"public_key\":\"$(public 1)\"}]}"
  account_update "$meter" "$roles" | "$sign" "${mkey[@]}" | pays | "$relay" submit | tee -a chain-receipts.ndjson > /dev/null
done
"$relay" rpc kaia_getAccountKey "[\"$seller_meter\",\"latest\"]" | cut -c1-200 >&2

step "5. The operator deploys the market (version 2: signed receipts; 60 blocks to deliver, 5 of grace)"
"$trade" --market-version 2 deploy --from "$operator" --delivery-blocks 60 --grace-blocks 5 | as 1 > deploy.ndjson
export EVLOCK_MARKET="$(field contract_address < deploy.ndjson)"
say "market at $EVLOCK_MARKET"

step "6. The meters are bound to their owners with consent: the operator proposes, the owner accepts"
"$trade" meter propose --from "$operator" --meter "$seller_meter" --owner "$seller" | as 1 > /dev/null
"$trade" meter accept --from "$seller" --meter "$seller_meter" | as 2 > /dev/null
"$trade" meter propose --from "$operator" --meter "$buyer_meter" --owner "$buyer" | as 1 > /dev/null
"$trade" meter accept --from "$buyer" --meter "$buyer_meter" | as 3 > /dev/null
"$trade" status meter "$seller_meter" >&2

step "7. The technician commissions both meters against a reference meter (signed certificates)"
# The meters as installed: 12.8 V, 2 A through each (the energy the seller's meter sends out
# is what the buyer's meter takes in).
device() { printf 'sim:%s?volts=12.8&amps=2' "$1"; }
for side in seller buyer; do
  "$calibrate" commission --device "$(device "$side")" --switch "sim:$side" --reference "sim:$side?role=reference" \
    --clock virtual --key "$(key 6)" --password-file pw.txt --class 1 --out "$side-cert.json" > /dev/null
done
"$calibrate" report --certificate seller-cert.json 2>&1 | head -n 4 >&2

step "8. The operator's link: its CA, its server, the two meter boxes dialling out with mutual TLS"
"$keygen" tls ca --name "Operator CA" > /dev/null
"$keygen" tls issue --ca ca.pem --name operator --server --host 127.0.0.1 --host localhost > /dev/null
"$keygen" tls issue --ca ca.pem --name seller-box --account "$seller_meter" > /dev/null
"$keygen" tls issue --ca ca.pem --name buyer-box --account "$buyer_meter" > /dev/null
mkfifo commands seller-box.fifo buyer-box.fifo
exec 5<>commands 3<>seller-box.fifo 4<>buyer-box.fifo
# The meters may pass delivery receipts to each other, and nothing else.
"$relay" -v listen --bind 127.0.0.1:0 --cert operator.pem --key operator.key --client-ca ca.pem \
  --allow seller-box --allow buyer-box --outbox operator-outbox --address-file operator.address \
  --route 'seller-box:buyer-box:delivery_receipt' --route 'buyer-box:seller-box:delivery_receipt' \
  < commands > from-boxes.ndjson 2> operator.log &
pids+=($!) infra+=($!)
wait_for operator.address ":"
address="$(cat operator.address)"
# box NAME: the box's end of the link: what its meter writes to NAME.fifo goes to the operator
# (or, addressed to the other box, on to it), what comes in is appended to NAME-inbox.ndjson.
box() {
  "$relay" -v connect --to "$address" --ca ca.pem --cert "$1.pem" --key "$1.key" --spool "$1-spool" \
    < "$1.fifo" > "$1-inbox.ndjson" 2> "$1.log" &
  pids+=($!) infra+=($!)
}
box seller-box
box buyer-box
wait_for operator.log "seller-box (kaia:$seller_meter) connected"
wait_for operator.log "buyer-box (kaia:$buyer_meter) connected"
say "operator listening on $address; both boxes connected"

offers=0
# open_trade ENERGY: the seller offers ENERGY at 2 ston/Wh, the buyer buys it (the escrow);
# sets $id to the trade
open_trade() {
  "$trade" offer --from "$seller" --energy "$1" --price 2ston/Wh --expires-in 600blocks | as 2 > /dev/null
  offers=$((offers + 1))
  "$trade" buy --from "$buyer" --offer "$offers" --max-price 2ston/Wh | as 3 > /dev/null
  id="$offers"
}
session=(--clock virtual --interval 1s --every 10Wh --fee-payer-key "$(key 1)" --fee-payer-password-file pw.txt)
# buyer_session DEVICE [ARGS…]: the buyer meter's delivery session of trade $id; its receipts
# go through its box to the seller's. Sets $buyer_exit.
buyer_session() {
  local device="$1"; shift
  set +e
  "$trade" deliver --trade "$id" --role buyer --device "$device" --switch sim:buyer \
    --certificate buyer-cert.json --technician "$technician" "${buyer_key[@]}" "${session[@]}" \
    --journal "buyer-$id.journal" --receipts-to seller-box "$@" 2> "buyer-$id.log" | tee "buyer-$id.ndjson" >&4
  buyer_exit="${PIPESTATUS[0]}"
  interrupted "$buyer_exit"
  set -e
  tail -n 2 "buyer-$id.log" >&2
}
# receipts_arrived FROM TO: wait until every receipt FROM's session signed for trade $id is
# in TO's inbox
receipts_arrived() {
  local want
  want="$(grep -c "\"kind\":\"delivery_receipt\".*\"trade_id\":\"$id\"" "$1-$id.ndjson" || true)"
  for _ in $(seq 600); do
    [ "$(grep -c "\"kind\":\"delivery_receipt\".*\"trade_id\":\"$id\"" "$2-box-inbox.ndjson" || true)" -ge "$want" ] && return 0
    infra_alive
    sleep 0.1
  done
  fail "the link did not carry $1's $want receipts of trade $id to $2"
}
# seller_session DEVICE [ARGS…]: the seller meter's session of trade $id, protected by the
# buyer's receipts its box received. Sets $seller_exit.
seller_session() {
  local device="$1"; shift
  set +e
  "$trade" deliver --trade "$id" --role seller --device "$device" --switch sim:seller \
    --certificate seller-cert.json --technician "$technician" "${seller_key[@]}" "${session[@]}" \
    --journal "seller-$id.journal" --receipts-to buyer-box --counterpart-receipts seller-box-inbox.ndjson \
    "$@" 2> "seller-$id.log" | tee "seller-$id.ndjson" >&3
  seller_exit="${PIPESTATUS[0]}"
  interrupted "$seller_exit"
  set -e
  tail -n 3 "seller-$id.log" >&2
}
# seller_waits: the seller's session ($seller_pid, in the background) stopped short and waits for
# the grace window to end before it settles: move the chain on, then wait for it. Sets $seller_exit.
seller_waits() {
  wait_for "seller-$id.log" "waiting until block"
  grep -m 1 "waiting until block" "seller-$id.log" | cut -c1-240 >&2
  past_grace
  set +e
  wait "$seller_pid"
  seller_exit=$?
  interrupted "$seller_exit"
  set -e
  wait_for "seller-$id.ndjson" '"kind":"status"'
}
last_receipt() { { grep '"kind":"delivery_receipt"' "$1" || echo '"cumulative_wh":"0"'; } | tail -n 1 | field cumulative_wh; }
status_of() { "$trade" status trade "$id" | field "$1"; }
withdrawable() { "$trade" status balance "$1" | sed -E 's/.*"withdrawable":\{"peb":"([0-9]+)".*/\1/'; }
human() { awk -v p="$1" 'BEGIN { if (p >= 1e15) printf "%.6f KAIA", p / 1e18; else printf "%.0f ston", p / 1e9 }'; }
# mine N: N blocks (tiny transfers from the operator)
mine() {
  local nonce
  nonce="$(rpc kaia_getTransactionCount "[\"$operator\",\"pending\"]")"
  for i in $(seq 0 $(($1 - 1))); do
    printf '{"kind":"tx","v":1,"type":"value_transfer","chain_id":"%s","nonce":"%s","gas":"21000","gas_price":"25000000000","from":"%s","to":"%s","value":"1"}\n' \
      "$chain_id" "$((nonce + i))" "$operator" "$operator"
  done | "$sign" --key "$(key 1)" --password-file pw.txt | "$relay" submit > /dev/null 2>&1
}
past_grace() { mine $(($(status_of deadline_block) + 6 - $(printf '%d' "$(rpc eth_blockNumber)"))); }
summary() {
  [ "$paid" != 0 ] || paid="$(withdrawable "$seller")"
  # Every transaction's receipt: its type, gas used and gas price.
  cat chain-receipts.ndjson buyer-*.ndjson seller-*.ndjson 2>/dev/null | grep '"kind":"receipt"' \
    | sed -nE 's/.*"type":"([a-z_]+)".*/\1/p' > types.txt || true
  cat chain-receipts.ndjson buyer-*.ndjson seller-*.ndjson 2>/dev/null | grep '"kind":"receipt"' \
    | sed -nE 's/.*"gas_used":"([0-9]+)".*"effective_gas_price":"([0-9]+)".*/\1 \2/p' | paste -d' ' types.txt - > gas.txt || true
  local totals
  totals="$(awk '{n++; g += $2; f += $2 * $3; if ($1 ~ /^fee_delegated/) d += $2 * $3}
                 END {printf "%d %d %.0f %.0f", n, g, f, d}' gas.txt)"
  read -r count gas fee delegated <<< "$totals"
  printf '\n\033[1mSummary\033[0m\n' >&2
  for t in $(seq 1 "$offers"); do
    local record
    record="$("$trade" status trade "$t")"
    say "  trade $t: $(echo "$record" | field state): $(echo "$record" | field energy_wh) Wh offered, $(echo "$record" | field delivered_wh) Wh delivered (seller's meter $(echo "$record" | field seller_report_wh) Wh on chain, buyer's $(echo "$record" | field buyer_report_wh) Wh)"
    if [ -f "seller-$t.ndjson" ] && [ "$(echo "$record" | field state)" = settled ]; then
      say "    settled by the seller meter's session: $(grep -c '"kind":"receipt"' "seller-$t.ndjson") transaction(s), $(sed -nE 's/.*"kind":"receipt".*"gas_used":"([0-9]+)".*/\1/p' "seller-$t.ndjson" | awk '{s += $1} END {print s + 0}') gas"
    fi
  done
  say "  paid to the seller: $(human "$paid") · refunded to the buyer: $(human "$(withdrawable "$buyer")") (withdrawable)"
  say "  credits: seller $("$trade" status credit "$seller" | field credit), buyer $("$trade" status credit "$buyer" | field credit)"
  say "  gas: $count transactions, $gas gas, $(human "$fee") spent; the operator paid $(human "$delegated") of it for the meters (fee delegation)"
}

paid=0
honest_trade() {
  step "9. The seller offers 50 Wh at 2 ston/Wh; the buyer buys it (escrow = energy x price)"
  open_trade 50Wh
  "$trade" status trade "$id" >&2

  step "10. The buyer's meter: relay closed, its own readings signed as receipts, sent through the link to the seller's box"
  buyer_session "$(device buyer)"
  [ "$buyer_exit" -eq 0 ] || fail "the buyer's session exited $buyer_exit"
  receipts_arrived buyer seller
  say "the seller's box holds the buyer meter's receipts up to $(last_receipt seller-box-inbox.ndjson) Wh"

  step "11. The seller's meter delivers while the buyer's receipts keep up, then settles in one transaction with both sides' receipts"
  seller_session "$(device seller)"
  [ "$seller_exit" -eq 0 ] || fail "the seller's session exited $seller_exit"
  receipts_arrived seller buyer
  grep '"kind":"receipt"' "seller-$id.ndjson" | cut -c1-160 >&2
  [ "$(status_of state)" = settled ] || fail "trade $id is $(status_of state), not settled"

  step "12. The seller withdraws its pay"
  paid="$(withdrawable "$seller")"
  "$trade" withdraw --from "$seller" | "$sign" --key "$(key 2)" --password-file pw.txt | tee withdraw.signed \
    | "$relay" submit | tee -a chain-receipts.ndjson | cut -c1-160
}

if [ -z "$attack" ]; then
  honest_trade
  summary
  say "
done: the whole system ran: mutual-TLS link, commissioned meters with role-based keys, consent,
receipts both ways, one-transaction settlement, withdrawal (try --attack NAME: ${attacks// /, })"
  exit 0
fi

attack_recal() {
  attempted "the buyer's meter was recalibrated after commissioning (its gain register changed, so it reads 10 % low and the buyer pays less)"
  open_trade 50Wh
  set +e
  "$calibrate" check --certificate buyer-cert.json --device "$(device buyer)&fault=recal" --switch sim:buyer \
    --reference 'sim:buyer?role=reference' --clock virtual --technician "$technician" > check.ndjson 2> check.log
  local check_exit=$?
  interrupted "$check_exit"
  set -e
  tail -n 1 check.ndjson | cut -c1-240 >&2
  say "the technician's check: exit $check_exit"
  buyer_session "$(device buyer)&fault=recal"
  grep '"kind":"alarm"' "buyer-$id.ndjson" | cut -c1-240 >&2
  local signed
  signed="$(grep -c '"kind":"delivery_receipt"' "buyer-$id.ndjson" || true)"
  [ "$check_exit" -eq 1 ] || not_caught "the calibration check passed a recalibrated meter (exit $check_exit)"
  caught "the calibration check fails against the certificate's register baseline (exit 1)"
  grep -q '"kind":"alarm".*"code":"recalibrated"' "buyer-$id.ndjson" && [ "$buyer_exit" -eq 1 ] && [ "$signed" -eq 0 ] \
    || not_caught "the buyer's session went on (exit $buyer_exit, $signed receipts signed)"
  caught "the delivery session raised 'recalibrated' at its first reading, opened the relay and signed no receipt (exit 1)"
}

attack_sleep() {
  attempted "the seller's meter is put to sleep 40 minutes into a 50 Wh delivery"
  open_trade 50Wh
  buyer_session "$(device buyer)"
  receipts_arrived buyer seller
  seller_session "$(device seller)&fault=sleep@2400s"
  grep '"kind":"alarm"' "seller-$id.ndjson" | cut -c1-240 >&2
  local reached
  reached="$(last_receipt "seller-$id.ndjson")"
  grep -q '"kind":"alarm".*"code":"shutdown"' "seller-$id.ndjson" && [ "$seller_exit" -eq 1 ] && [ "${reached:-0}" -lt 50 ] \
    || not_caught "the sleeping meter's delivery went on (exit $seller_exit, ${reached:-0} Wh)"
  [ "$(status_of state)" != settled ] || not_caught "trade $id settled complete"
  caught "the meter's health check raised 'shutdown'; the session opened the relay (its last receipt: ${reached:-0} of 50 Wh; exit 1), and trade $id waits for its deadline"
}

attack_rewire() {
  attempted "part of the seller's energy is diverted before the buyer's meter: the seller's meter sends 8.6 kW, the buyer's meter sees half"
  open_trade 40Wh
  # Both sessions at once on the wall clock (the seller's session checks the buyer's receipts as
  # they arrive over the link): 8.6 kW out, 4.3 kW in (the seller's step 6 Wh, the buyer's 1 Wh).
  set +e
  "$trade" deliver --trade "$id" --role buyer --device 'sim:buyer?volts=96&amps=45' --switch sim:buyer \
    "${buyer_key[@]}" --fee-payer-key "$(key 1)" --fee-payer-password-file pw.txt --interval 100ms \
    --every 1Wh --journal "buyer-$id.journal" --receipts-to seller-box >&4 2> "buyer-$id.log" &
  local buyer_pid=$!
  pids+=("$buyer_pid")
  set -e
  wait_for seller-box-inbox.ndjson '"kind":"delivery_receipt"'
  "$trade" deliver --trade "$id" --role seller --device 'sim:seller?volts=96&amps=90' --switch sim:seller \
    "${seller_key[@]}" --fee-payer-key "$(key 1)" --fee-payer-password-file pw.txt --interval 100ms \
    --every 6Wh --journal "seller-$id.journal" --receipts-to buyer-box \
    --counterpart-receipts seller-box-inbox.ndjson 2> "seller-$id.log" > >(tee "seller-$id.ndjson" >&3) &
  seller_pid=$!
  pids+=("$seller_pid")
  wait_for "seller-$id.ndjson" '"kind":"alarm"'
  # The seller's relay is open: the buyer's meter sees no more current.
  kill "$buyer_pid" 2>/dev/null || true
  wait "$buyer_pid" || true
  grep '"kind":"alarm"' "seller-$id.ndjson" | cut -c1-300 >&2
  grep -q '"kind":"alarm".*"code":"divergence"' "seller-$id.ndjson" \
    || not_caught "the seller's session did not stop on the divergence"
  caught "the buyer's receipts kept arriving but far behind: 'divergence'; the seller's relay opened at $(last_receipt "seller-$id.ndjson") of 40 Wh and the buyer's last receipt went on chain"
  seller_waits
  [ "$seller_exit" -eq 0 ] && [ "$(status_of state)" = settled ] || not_caught "trade $id did not settle (exit $seller_exit)"
  caught "after the grace window the seller's session settled for what the buyer's meter signed: $(status_of delivered_wh) Wh"
}

attack_mitm() {
  attempted "a man in the middle with certificates from another CA: a fake operator, and a fake seller's box sending a forged receipt to the buyer's box"
  mkdir mallory
  (cd mallory && "$keygen" tls ca --name "Mallory CA" > /dev/null \
    && "$keygen" tls issue --ca ca.pem --name operator --server --host 127.0.0.1 > /dev/null \
    && "$keygen" tls issue --ca ca.pem --name seller-box --account "$seller_meter" > /dev/null)
  "$relay" listen --bind 127.0.0.1:0 --cert mallory/operator.pem --key mallory/operator.key \
    --client-ca mallory/ca.pem --outbox mallory/outbox --address-file mallory/address \
    < /dev/null > mallory/got.ndjson 2> mallory/listen.log &
  pids+=($!)
  wait_for mallory/address ":"
  set +e
  "$relay" connect --to "$(cat mallory/address)" --ca ca.pem --cert seller-box.pem --key seller-box.key \
    --spool mallory/box-spool --give-up-after 0s --exit-on-eof < /dev/null > /dev/null 2> mallory/box.log
  local box_exit=$?
  interrupted "$box_exit"
  printf '{"kind":"delivery_receipt","v":1,"market":"%s","trade_id":"1","cumulative_wh":"50","meta":{"to":"buyer-box"}}\n' "$EVLOCK_MARKET" \
    | "$relay" connect --to "$address" --ca ca.pem --cert mallory/seller-box.pem --key mallory/seller-box.key \
        --spool mallory/fake-spool --give-up-after 0s --exit-on-eof > /dev/null 2> mallory/fake.log
  local fake_exit=$?
  interrupted "$fake_exit"
  set -e
  tail -n 1 mallory/box.log >&2
  tail -n 1 mallory/fake.log >&2
  sleep 0.5
  [ "$box_exit" -eq 4 ] && ! [ -s mallory/got.ndjson ] \
    || not_caught "the seller's box linked to the fake operator (exit $box_exit)"
  caught "the seller's box refused the fake operator's certificate (exit 4): it chains to no CA the box trusts"
  [ "$fake_exit" -eq 4 ] && ! grep -q delivery_receipt buyer-box-inbox.ndjson \
    || not_caught "the fake box got through (exit $fake_exit)"
  caught "the operator refused the fake box's certificate (exit 4); the forged receipt reached no one"
}

attack_replay() {
  honest_trade
  attempted "the seller's withdraw is sent again, signed as it was; a receipt of the buyer's meter for trade 1 is replayed on trade 2"
  local before after
  before="$(rpc kaia_getBalance "[\"$seller\",\"latest\"]")"
  set +e
  "$relay" submit < withdraw.signed > replay.ndjson 2> replay.log
  local replay_exit=$?
  interrupted "$replay_exit"
  set -e
  tail -n 2 replay.log >&2
  after="$(rpc kaia_getBalance "[\"$seller\",\"latest\"]")"
  [ "$before" = "$after" ] && [ "$(withdrawable "$seller")" = 0 ] \
    || not_caught "the replayed withdraw paid out again ($before → $after)"
  caught "the replayed withdraw paid nothing (relay exit $replay_exit; the seller's balance is unchanged): its nonce is spent, and the market's balance was cleared"
  open_trade 50Wh
  grep '"kind":"delivery_receipt".*"trade_id":"1"' seller-box-inbox.ndjson | tail -n 1 \
    | sed 's/"trade_id":"1"/"trade_id":"2"/' > replayed.ndjson
  set +e
  "$trade" receipts submit --from "$seller" < replayed.ndjson > replayed-tx.ndjson 2> replayed.log
  local submit_exit=$?
  interrupted "$submit_exit"
  set -e
  tail -n 1 replayed.log >&2
  [ ! -s replayed-tx.ndjson ] && [ "$(status_of buyer_report_wh)" = 0 ] \
    || not_caught "the replayed receipt was taken for trade 2 (exit $submit_exit)"
  caught "the replayed receipt was left out: its signature covers trade 1, so for trade 2 it is not the meter's (nothing sent; trade 2 holds 0 Wh for the buyer)"
}

attack_silent_buyer() {
  attempted "the buyer's meter goes quiet 40 minutes into a 50 Wh delivery while the buyer's load keeps drawing"
  open_trade 50Wh
  buyer_session "$(device buyer)&fault=sleep@2400s"
  receipts_arrived buyer seller
  local acknowledged
  acknowledged="$(last_receipt "buyer-$id.ndjson")"
  say "the buyer's meter signed receipts up to $acknowledged Wh, then fell silent (exit $buyer_exit)"
  "$trade" deliver --trade "$id" --role seller --device "$(device seller)" --switch sim:seller \
    --certificate seller-cert.json --technician "$technician" "${seller_key[@]}" "${session[@]}" \
    --journal "seller-$id.journal" --receipts-to buyer-box --counterpart-receipts seller-box-inbox.ndjson \
    2> "seller-$id.log" > >(tee "seller-$id.ndjson" >&3) &
  seller_pid=$!
  pids+=("$seller_pid")
  wait_for "seller-$id.ndjson" '"kind":"alarm"'
  grep '"kind":"alarm"' "seller-$id.ndjson" | cut -c1-300 >&2
  local delivered
  delivered="$(last_receipt "seller-$id.ndjson")"
  grep -q '"kind":"alarm".*"code":"counterparty_silent"' "seller-$id.ndjson" \
    || not_caught "the seller kept delivering to a silent buyer"
  caught "'counterparty_silent': the seller's relay opened at $delivered Wh with $acknowledged Wh acknowledged, and the buyer's last receipt went on chain"
  say "the seller's session waits for the deadline and the grace window, then settles with both sides' receipts:"
  seller_waits
  paid="$(withdrawable "$seller")"
  [ "$seller_exit" -eq 0 ] && [ "$(status_of state)" = settled ] && [ "$(status_of delivered_wh)" = "$acknowledged" ] \
    && [ "$paid" = "$((acknowledged * 2000000000))" ] || not_caught "trade $id did not settle on the buyer's receipt (exit $seller_exit)"
  caught "settled: the seller is paid for the $acknowledged Wh the buyer's meter signed (of $delivered Wh sent; at most the allowance of one step plus the step under way goes unpaid), the buyer refunded the rest"
}

attack_stolen_key() {
  attempted "the seller meter's key is stolen (a cloned meter); the owner rotates it out"
  open_trade 50Wh
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > new-meter-key.hex
  chmod 600 new-meter-key.hex
  "$keygen" import --private-key-file new-meter-key.hex --account "$seller_meter" --light-kdf \
    --password-file pw.txt --out-dir new-keys > new-key.ndjson
  rm new-meter-key.hex
  local new_key new_public
  new_key="$(field keystore < new-key.ndjson)" new_public="$(field public_key < new-key.ndjson)"
  say "the owner's key (RoleAccountUpdate) sets RoleTransaction to a new key; the other roles stay"
  account_update "$seller_meter" "{\"type\":\"role_based\",\"roles\":[{\"type\":\"public\",\"public_key\":\"$new_public\"},{\"type\":\"nil\"},{\"type\":\"nil\"}]}" \
    | "$sign" --key "$(key 2)" --account "$seller_meter" --password-file pw.txt | pays | "$relay" submit \
    | tee -a chain-receipts.ndjson | cut -c1-160
  "$trade" meter set-signer --from "$seller" --meter "$seller_meter" --signer "$(field key_address < new-key.ndjson)" | as 2 > /dev/null
  say "the thief signs a transfer from the meter's account and a receipt claiming the whole 50 Wh with the old key"
  set +e
  printf '{"kind":"tx","v":1,"type":"fee_delegated_value_transfer","chain_id":"%s","nonce":"%s","gas":"100000","gas_price":"%s","from":"%s","to":"%s","fee_payer":"%s","value":"0"}\n' \
    "$chain_id" "$(rpc kaia_getTransactionCount "[\"$seller_meter\",\"latest\"]")" "$(rpc kaia_gasPrice)" "$seller_meter" "$seller_meter" "$operator" \
    | "$sign" "${seller_key[@]}" | pays | "$relay" submit > thief-tx.ndjson 2> thief-tx.log
  local tx_exit=$?
  interrupted "$tx_exit"
  printf 'allow_receipts = true\nreceipt_markets = ["%s"]\n' "$EVLOCK_MARKET" > bench.toml
  printf '{"kind":"delivery_receipt","v":1,"market":"%s","trade_id":"%s","cumulative_wh":"50"}\n' "$EVLOCK_MARKET" "$id" \
    | "$sign" "${seller_key[@]}" --policy bench.toml --chain-id "$chain_id" > thief-receipt.ndjson
  "$trade" receipts submit --from "$seller" < thief-receipt.ndjson > thief-submit.ndjson 2> thief-submit.log
  set -e
  sed -nE 's/.*"message":"([^"]*)".*/the node: \1/p' thief-tx.log >&2
  grep -m 1 'left out' thief-submit.log >&2 || true
  [ "$tx_exit" -ne 0 ] && ! grep -q '"status":"success"' thief-tx.ndjson \
    || not_caught "the chain took the old key's transaction"
  caught "the chain refused the old key's transaction (relay exit $tx_exit): RoleTransaction is the new key"
  [ ! -s thief-submit.ndjson ] && [ "$(status_of seller_report_wh)" = 0 ] \
    || not_caught "the old key's receipt was taken"
  caught "the old key's receipt was left out: the market checks receipts against the meter's signing address, now the new key"
  say "the meter carries on with its new key: same address, same registration"
  buyer_session "$(device buyer)"
  receipts_arrived buyer seller
  seller_key=(--key "$new_key" --password-file pw.txt)
  seller_session "$(device seller)"
  [ "$seller_exit" -eq 0 ] && [ "$(status_of state)" = settled ] || not_caught "the new key's delivery did not settle"
  caught "the new key's receipts settled trade $id complete"
}

"attack_${attack//-/_}"
summary
say "
done: attack '$attack' was caught"
