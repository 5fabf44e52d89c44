#!/usr/bin/env bash
# Key rotation for a meter: a stolen meter key is replaced without changing the meter's address,
# so its market registration and its open trade carry on.
#
# The meter's account gets a role-based Kaia key: RoleTransaction is the meter's own key (the
# only key on the device), RoleAccountUpdate the owner's key (kept offline), RoleFeePayer the
# operator's. The meter reports part of a delivery; then its key is "stolen". The owner rotates
# RoleTransaction to a new key with one fee-delegated account_update (the operator pays its gas),
# leaving the other roles as they are. From the next block the chain refuses the old key, and
# the new key, in a keystore that names the meter's account, reports the rest of the same trade.
# On a version 2 market the meter's receipts are checked against a signing address the market
# keeps: the owner points it at the new key with `evlock-trade meter set-signer`.
#
# Runs on a fresh machine after `cargo build` (binaries in target/debug; another folder can be
# given in EVLOCK_BIN). Everything happens in a temporary folder removed at the end.
#
#   cargo build && ./examples/rotate.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${EVLOCK_BIN:-$root/target/debug}"
for tool in evlock-keygen evlock-sign evlock-devnet evlock-relay evlock-trade; do
  if [ ! -x "$bin/$tool" ]; then
    echo "rotate.sh: $bin/$tool is missing: run \`cargo build\` first (or set EVLOCK_BIN)" >&2
    exit 2
  fi
done
keygen="$bin/evlock-keygen" sign="$bin/evlock-sign" devnet="$bin/evlock-devnet"
relay="$bin/evlock-relay" trade="$bin/evlock-trade"
work="$(mktemp -d)"
devnet_pid=""
trap '[ -n "$devnet_pid" ] && kill "$devnet_pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
step() { printf '\n== %s\n' "$*" >&2; }
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\\1/"; }
fail() { echo "rotate.sh: FAILED: $*" >&2; exit 1; }

step "1. Keys: operator, owner (the seller), buyer, the meter and the buyer's meter (the public dev mnemonic; never for real money)"
printf 'demo password, change me\n' > pw.txt
chmod 600 pw.txt
"$keygen" import --mnemonic-file "$root/examples/devnet-mnemonic.txt" --count 5 --light-kdf \
  --password-file pw.txt --out-dir keys > keys.ndjson
key() { sed -n "$1p" keys.ndjson | field keystore; }
addr() { sed -n "$1p" keys.ndjson | field address; }
public() { sed -n "$1p" keys.ndjson | field public_key; }
operator="$(addr 1)" owner="$(addr 2)" buyer="$(addr 3)" meter="$(addr 4)" buyer_meter="$(addr 5)"
printf 'operator %s\nowner    %s\nbuyer    %s\nmeter    %s\n' "$operator" "$owner" "$buyer" "$meter" >&2

step "2. A local Kaia-compatible chain; the market; the meter registered to its owner; a trade of 50 Wh"
"$devnet" --port 0 > devnet.ndjson &
devnet_pid=$!
until [ -s devnet.ndjson ]; do sleep 0.1; done
export EVLOCK_RPC_URL="$(field url < devnet.ndjson)"
as() { "$sign" --key "$(key "$1")" --password-file pw.txt | "$relay" submit; }
"$trade" deploy --from "$operator" --delivery-blocks 100 | as 1 > deploy.ndjson
export EVLOCK_MARKET="$(field contract_address < deploy.ndjson)"
"$trade" register-meter --from "$operator" --meter "$meter" --owner "$owner" | as 1 > /dev/null
"$trade" register-meter --from "$operator" --meter "$buyer_meter" --owner "$buyer" | as 1 > /dev/null
"$trade" offer --from "$owner" --energy 50Wh --price 2ston/Wh | as 2 > /dev/null
"$trade" buy --from "$buyer" --offer 1 | as 3 > /dev/null

# An account_update record from the meter's account; the operator pays its gas.
rpc() { "$relay" rpc "$@" | sed -E 's/.*"result":("?)([^"}]*)\1}$/\2/'; }
update() {
  printf '{"kind":"tx","v":1,"type":"fee_delegated_account_update","chain_id":"%s","nonce":"%s","gas":"300000","gas_price":"%s","from":"%s","fee_payer":"%s","key":%s}\n' \
    "$(field chain_id < devnet.ndjson)" "$(rpc kaia_getTransactionCount "[\"$meter\",\"latest\"]")" \
    "$(rpc kaia_gasPrice)" "$meter" "$operator" "$1"
}
pays() { "$sign" --role fee-payer --key "$(key 1)" --password-file pw.txt; }

step "3. The meter's account becomes role-based (signed by the meter's key, still its only key)"
roles="{\"type\":\"role_based\",\"roles\":[{\"type\":\"public\",\"public_key\":\"$(public 4)\"},{\"type\":\"public\",\"public_key\":\"$(public 2)\"},{\"type\":\"public\",\"public_key\":\"$(public 1)\"}]}"
update "$roles" | "$sign" --key "$(key 4)" --password-file pw.txt | pays | "$relay" submit | cut -c1-160
"$relay" rpc kaia_getAccountKey "[\"$meter\",\"latest\"]" | cut -c1-240

# A delivery report of the meter: signed by KEYSTORE, gas paid by the operator.
report() {
  "$trade" report --trade 1 --wh "$1" --from "$meter" --fee-payer "$operator" \
    | "$sign" --key "$2" --password-file pw.txt | pays | "$relay" submit
}

step "4. The meter reports 20 Wh of trade 1"
report 20 "$(key 4)" | cut -c1-160

step "5. The meter's key is stolen: the owner rotates RoleTransaction to a new key (RoleAccountUpdate signs)"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > new-meter-key.hex
chmod 600 new-meter-key.hex
# The new key's keystore names the meter's account: the key is not the account's own address.
"$keygen" import --private-key-file new-meter-key.hex --account "$meter" --light-kdf \
  --password-file pw.txt --out-dir new-keys > new-key.ndjson
new_key="$(field keystore < new-key.ndjson)" new_public="$(field public_key < new-key.ndjson)"
rm new-meter-key.hex
"$keygen" inspect "$new_key" --verify --password-file pw.txt | cut -c1-240
# nil keeps a role's key: only RoleTransaction changes. The owner's key signs for the meter's account.
update "{\"type\":\"role_based\",\"roles\":[{\"type\":\"public\",\"public_key\":\"$new_public\"},{\"type\":\"nil\"},{\"type\":\"nil\"}]}" \
  | "$sign" --key "$(key 2)" --account "$meter" --password-file pw.txt | pays | "$relay" submit | cut -c1-160

step "6. The thief's report with the old key is refused by the chain"
set +e
report 30 "$(key 4)" > stolen.ndjson 2> stolen.err
stolen_exit=$?
set -e
sed -E 's/^/  /' stolen.err | tail -n 3 >&2
[ "$stolen_exit" -ne 0 ] || fail "the old key's report was accepted"
echo "the old key's report: exit $stolen_exit (refused)" >&2

step "7. The new key reports the rest of the same trade: same address, no re-registration"
report 50 "$new_key" | cut -c1-160
"$trade" status trade 1 --pretty
"$trade" status trade 1 | grep -q '"seller_report_wh":"50"' || fail "the new key's report did not count"

step "8. Version 2: receipts name their signing key; the owner points the market at the new key"
"$trade" --market-version 2 deploy --from "$operator" --delivery-blocks 100 | as 1 > deploy2.ndjson
market2="$(field contract_address < deploy2.ndjson)"
v2() { "$trade" --contract "$market2" "$@"; }
v2 meter propose --from "$operator" --meter "$meter" --owner "$owner" | as 1 > /dev/null
v2 meter accept --from "$owner" --meter "$meter" | as 2 > /dev/null
v2 meter propose --from "$operator" --meter "$buyer_meter" --owner "$buyer" | as 1 > /dev/null
v2 meter accept --from "$buyer" --meter "$buyer_meter" | as 3 > /dev/null
v2 offer --from "$owner" --energy 50Wh --price 2ston/Wh | as 2 > /dev/null
v2 buy --from "$buyer" --offer 1 | as 3 > /dev/null
# A test bench's policy lets evlock-sign sign a receipt record; in the field the meter's
# delivery session signs receipts of its own readings.
printf 'allow_receipts = true\nreceipt_markets = ["%s"]\n' "$market2" > bench.toml
printf '{"kind":"delivery_receipt","v":1,"market":"%s","trade_id":"1","cumulative_wh":"25"}\n' "$market2" \
  | "$sign" --key "$new_key" --password-file pw.txt --policy bench.toml \
      --chain-id "$(field chain_id < devnet.ndjson)" > receipt.ndjson
# The market still expects the meter's old key: the receipt is left out, nothing is sent.
v2 receipts submit --from "$owner" < receipt.ndjson > early.ndjson
[ ! -s early.ndjson ] || fail "a receipt of the new key was taken before set-signer"
v2 meter set-signer --from "$owner" --meter "$meter" --signer "$(field signer < receipt.ndjson)" \
  | as 2 > /dev/null
v2 receipts submit --from "$owner" < receipt.ndjson | as 2 | cut -c1-160
v2 status meter "$meter"
v2 status trade 1 | grep -q '"seller_report_wh":"25"' || fail "the new key's receipt did not count"
echo "version 2: the new key's receipt counts after set-signer" >&2

printf '\ndone: the meter kept its address and registration; the old key is refused, the new key reports\n' >&2
