#!/usr/bin/env bash
# The walk-through: a meter operator creates a wallet, checks it, prepares a key
# for a small board, signs a fee-delegated transfer and sends it to a local chain.
# Everything happens in a temporary folder that is removed at the end.
#
#   ./examples/walkthrough.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" \
  --bin evlock-keygen --bin evlock-sign --bin evlock-devnet --bin evlock-relay
keygen="$root/target/release/evlock-keygen"
sign="$root/target/release/evlock-sign"
devnet="$root/target/release/evlock-devnet"
relay="$root/target/release/evlock-relay"
work="$(mktemp -d)"
devnet_pid=""
trap '[ -n "$devnet_pid" ] && kill "$devnet_pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

# Passwords always come from files (or a prompt), never from the command line.
printf 'demo password, change me\n' > password.txt
chmod 600 password.txt

step "1. A new wallet: 12 words, two accounts (seller meter, buyer meter); light scrypt for speed"
"$keygen" new --count 2 --light-kdf --out-dir keys --mnemonic-out mnemonic.txt \
  --password-file password.txt | tee accounts.ndjson
ls -l mnemonic.txt keys/ >&2

step "2. The same mnemonic derives the same addresses (no keystore needed)"
"$keygen" derive --mnemonic-file mnemonic.txt --count 2

step "3. Does the password open the first keystore?"
first="$(head -1 accounts.ndjson | sed -E 's/.*"keystore":"([^"]+)".*/\1/')"
"$keygen" inspect --verify --password-file password.txt "$first"

step "4. A wrong password is refused with exit 5 and nothing is touched"
printf 'not it\n' > wrong.txt
set +e
"$keygen" inspect --verify --password-file wrong.txt "$first"
echo "exit code: $?" >&2
set -e

step "5. A new password for the board's key"
printf 'board password\n' > board.txt
"$keygen" change-password --light-kdf --password-file password.txt --new-password-file board.txt "$first"

step "6. Ethereum-style path for a MetaMask-compatible address"
"$keygen" derive --mnemonic-file mnemonic.txt --hd-path "m/44'/60'/0'/0" --pretty

step "7. The seller meter signs a transfer; the buyer's account pays the gas (fee delegation)"
seller_key="$(sed -n 1p accounts.ndjson | sed -E 's/.*"keystore":"([^"]+)".*/\1/')"
payer_key="$(sed -n 2p accounts.ndjson | sed -E 's/.*"keystore":"([^"]+)".*/\1/')"
payer="$(sed -n 2p accounts.ndjson | sed -E 's/.*"address":"([^"]+)".*/\1/')"
printf '{"kind":"tx","v":1,"type":"fee_delegated_value_transfer","chain_id":"31337","nonce":"0","gas":"31000","gas_price":"25000000000","to":"0x7b65B75d204aBed71587c9E519a89277766EE1d0","value":"1000","fee_payer":"%s","meta":{"order":1}}\n' "$payer" \
  | "$sign" --key "$seller_key" --password-file board.txt --chain-id 31337 --audit-log audit.ndjson \
  | "$sign" --role fee-payer --key "$payer_key" --password-file password.txt | tee signed.ndjson

step "8. What was signed, and by whom"
"$sign" decode --pretty < signed.ndjson
echo "audit log:" >&2; cat audit.ndjson >&2

step "9. A local chain (evlock-devnet on a free port) that funds both accounts"
seller="$(sed -n 1p accounts.ndjson | sed -E 's/.*"address":"([^"]+)".*/\1/')"
"$devnet" --port 0 --accounts 0 --fund "$seller=10KAIA" --fund "$payer=10KAIA" > devnet.ndjson &
devnet_pid=$!
until [ -s devnet.ndjson ]; do sleep 0.1; done
cat devnet.ndjson
url="$(sed -E 's/.*"url":"([^"]+)".*/\1/' devnet.ndjson)"

step "10. Submit the fee-delegated transfer and wait for its receipt"
"$relay" submit --rpc "$url" < signed.ndjson | tee receipt.ndjson

step "11. Balances: the recipient got 1000 peb; the seller paid no gas, the payer did"
for who in 0x7b65B75d204aBed71587c9E519a89277766EE1d0 "$seller" "$payer"; do
  "$relay" rpc --rpc "$url" eth_getBalance "[\"$who\",\"latest\"]"
done

printf '\nDone: records on stdout, keystores 0600, the mnemonic only in mnemonic.txt.\n' >&2
