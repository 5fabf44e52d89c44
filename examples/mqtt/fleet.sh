#!/usr/bin/env bash
# The operator link's example (examples/operator-link.sh) in fleet mode: the same operator and
# two home meter boxes, linked through an MQTT 5 broker instead of the operator's own
# listener. mosquitto runs with the shipped configuration (examples/mqtt/mosquitto.conf and
# acl: client certificates required, each box confined to evlock/meters/NAME/up and /down);
# the certificates come from `evlock-keygen tls`. The operator sends transactions to sign (an
# offer for the seller, a purchase for the buyer) through the broker; each box signs them
# under its own policy, submits them to the chain and sends the receipts back, where the
# operator reads them with `meta.peer` from the box's topic. A request the box's policy
# forbids is refused on the box.
#
#   operator:  evlock-relay listen --from mqtts://BROKER:8883 --ca ca.pem --cert operator-client.pem \
#                --key operator-client.key --outbox outbox < commands > from-boxes.ndjson
#   each box:  evlock-relay connect --to mqtts://BROKER:8883 --ca ca.pem --cert box.pem --key box.key \
#                --spool spool --exec 'evlock-sign … | evlock-relay submit'
#
# Needs mosquitto 2 (Debian: apt-get install mosquitto) and, after `cargo build`, the binaries
# in target/debug (another folder can be named with EVLOCK_BIN). Runs against a local
# evlock-devnet, with everything in a temporary folder removed at the end.
#
#   cargo build && ./examples/mqtt/fleet.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${EVLOCK_BIN:-$root/target/debug}"
mosquitto="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
if [ ! -x "$mosquitto" ]; then
  echo "fleet.sh: mosquitto is missing (Debian: apt-get install mosquitto)" >&2
  exit 2
fi
for tool in evlock-keygen evlock-sign evlock-relay evlock-trade evlock-devnet; do
  if [ ! -x "$bin/$tool" ]; then
    echo "fleet.sh: $bin/$tool is missing: run \`cargo build\` first (or set EVLOCK_BIN)" >&2
    exit 2
  fi
done
keygen="$bin/evlock-keygen" sign="$bin/evlock-sign" relay="$bin/evlock-relay"
trade="$bin/evlock-trade" devnet="$bin/evlock-devnet"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\\1/"; }
# wait_for FILE TEXT: until FILE holds TEXT (at most 60 s)
wait_for() {
  for _ in $(seq 600); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "fleet.sh: no \"$2\" in $1 after 60 s" >&2; cat "$1" >&2; exit 1
}
# to NAME: address a tx record to the box NAME (meta.to)
to() { sed "s/\"meta\":{/\"meta\":{\"to\":\"$1\",/"; }

step "1. Keys: operator, seller, buyer and their meters (the public dev mnemonic; never for real money)"
printf 'demo password, change me\n' > pw.txt
chmod 600 pw.txt
"$keygen" import --mnemonic-file "$root/examples/devnet-mnemonic.txt" --count 5 --light-kdf \
  --password-file pw.txt --out-dir keys > keys.ndjson
key() { sed -n "$1p" keys.ndjson | field keystore; }
addr() { sed -n "$1p" keys.ndjson | field address; }
operator="$(addr 1)" seller="$(addr 2)" buyer="$(addr 3)" seller_meter="$(addr 4)" buyer_meter="$(addr 5)"

step "2. A local Kaia-compatible chain"
"$devnet" --port 0 > devnet.ndjson &
pids+=($!)
until [ -s devnet.ndjson ]; do sleep 0.1; done
export EVLOCK_RPC_URL="$(field url < devnet.ndjson)"
as_operator() { "$sign" --key "$(key 1)" --password-file pw.txt | "$relay" submit; }

step "3. The operator deploys the market and registers both meters to their owners"
"$trade" deploy --from "$operator" --delivery-blocks 100 | as_operator > deploy.ndjson
export EVLOCK_MARKET="$(field contract_address < deploy.ndjson)"
"$trade" register-meter --from "$operator" --meter "$seller_meter" --owner "$seller" | as_operator > /dev/null
"$trade" register-meter --from "$operator" --meter "$buyer_meter" --owner "$buyer" | as_operator > /dev/null
echo "market at $EVLOCK_MARKET" >&2

step "4. The operator's CA; the broker's server certificate; the operator's client certificate; one per box"
"$keygen" tls ca --name "Operator CA" > /dev/null
"$keygen" tls issue --ca ca.pem --name broker --server --host 127.0.0.1 > /dev/null
"$keygen" tls issue --ca ca.pem --name operator --cert operator-client.pem --key operator-client.key > /dev/null
"$keygen" tls issue --ca ca.pem --name seller-box --account "$seller" > /dev/null
"$keygen" tls issue --ca ca.pem --name buyer-box --account "$buyer" | cut -c1-220 >&2
sed "s/0x5FbDB2315678afecb367f032d93F642f64180aa3/$EVLOCK_MARKET/" \
  "$root/examples/policies/meter-box.toml" > box-policy.toml

step "5. mosquitto with the shipped configuration, on a free loopback port"
mkdir broker-data
cp "$root/examples/mqtt/acl" acl
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  sed -e "s#/etc/mosquitto/evlock/#$work/#" -e "s#/var/lib/mosquitto/#$work/broker-data/#" \
    -e "s#^listener 8883\$#listener $port 127.0.0.1#" "$root/examples/mqtt/mosquitto.conf" > mosquitto.conf
  # Started by root, mosquitto drops to the `mosquitto` user, who cannot read this folder.
  [ "$(id -u)" -ne 0 ] || echo "user root" >> mosquitto.conf
  "$mosquitto" -c mosquitto.conf > broker.log 2>&1 &
  broker_pid=$!
  for _ in $(seq 100); do
    grep -q "mosquitto version .* running" broker.log && break
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$broker_pid" 2>/dev/null && grep -q "running" broker.log; then break; fi
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=
done
[ -n "$broker_pid" ] || { echo "fleet.sh: mosquitto did not start" >&2; cat broker.log >&2; exit 1; }
pids+=("$broker_pid")
broker="mqtts://127.0.0.1:$port"
echo "broker at $broker" >&2

step "6. The operator, a client of the broker: commands from a fifo, what the boxes say to a file"
mkfifo commands
exec 3<>commands
"$relay" -v listen --from "$broker" --ca ca.pem --cert operator-client.pem --key operator-client.key \
  --allow seller-box --allow buyer-box --outbox operator-outbox \
  < commands > from-boxes.ndjson 2> operator.log &
pids+=($!)
wait_for operator.log "connected to the broker"

step "7. The boxes connect to the broker; each signs what the operator asks under its own policy"
box() { # box NAME OWNER-NUMBER
  "$relay" -v connect --to "$broker" --ca ca.pem --cert "$1.pem" --key "$1.key" --spool "$1-spool" \
    --exec "'$sign' --key '$(key "$2")' --password-file pw.txt --policy box-policy.toml \
            --audit-log '$1-audit.ndjson' --on-error skip | '$relay' submit --on-error skip" \
    2> "$1.log" &
  pids+=($!)
}
box seller-box 2
box buyer-box 3
wait_for operator.log "seller-box: a session through the broker"
wait_for operator.log "buyer-box: a session through the broker"

step "8. The operator asks the seller's box to offer 50 Wh at 2 ston/Wh; the receipt comes back"
"$trade" offer --from "$seller" --energy 50Wh --price 2ston/Wh --expires-in 600blocks | to seller-box >&3
wait_for from-boxes.ndjson '"name":"seller-box"'
grep -F '"name":"seller-box"' from-boxes.ndjson | cut -c1-200

step "9. The operator asks the buyer's box to buy offer 1 (escrow = energy x price)"
"$trade" buy --from "$buyer" --offer 1 --max-price 2ston/Wh | to buyer-box >&3
wait_for from-boxes.ndjson '"name":"buyer-box"'
grep -F '"name":"buyer-box"' from-boxes.ndjson | cut -c1-200
"$trade" status offer 1

step "10. A request the seller's policy forbids (a plain transfer to the operator): refused on the box"
printf '{"kind":"tx","v":1,"type":"value_transfer","chain_id":"31337","nonce":"1","gas":"21000","gas_price":"25000000000","from":"%s","to":"%s","value":"1000000000000000000","meta":{"to":"seller-box","ask":"transfer"}}\n' \
  "$seller" "$operator" >&3
wait_for seller-box.log '"code":"policy_denied"'
grep -F '"code":"policy_denied"' seller-box.log | cut -c1-200 >&2

step "11. What the operator read from its boxes: two receipts, each with the box it came from"
cat from-boxes.ndjson
[ "$(grep -c '"kind":"receipt"' from-boxes.ndjson)" -eq 2 ] || { echo "fleet.sh: expected 2 receipts" >&2; exit 1; }
grep -q '"status":"success"' from-boxes.ndjson

step "done: the offer and the purchase went operator -> broker -> box -> chain -> broker -> operator; the transfer was refused on the box"
