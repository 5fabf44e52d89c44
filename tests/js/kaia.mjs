#!/usr/bin/env node
// Differential-testing oracle for Kaia transactions, backed by
// @kaiachain/ethers-ext (v6 entry) + ethers 6. Fully offline: no provider is
// ever created; every field the SDK would otherwise fetch is given explicitly.
//
//   node kaia.mjs sign   < cases.ndjson > results.ndjson
//   node kaia.mjs decode < cases.ndjson > results.ndjson
//
// One JSON object per input line, one JSON line per case on stdout, in order.
// See README.md for the exact input/output contract.
import { createInterface } from "node:readline";
import { Transaction, decodeRlp, keccak256, recoverAddress, getAddress, toBeHex, zeroPadValue } from "ethers";
import {
  Wallet,
  KlaytnTxFactory,
  FieldTypeUint64,
  parseAccountKey,
  getChainIdFromSignatureTuples,
  isKlaytnTxType,
  isFeePayerSigTxType,
  parseTxType,
} from "@kaiachain/ethers-ext/v6";

// ------------------------------------------------------------------ types --

const TYPE_NAMES = {
  legacy: 0,
  eip2930: 1,
  eip1559: 2,
  value_transfer: 8,
  fee_delegated_value_transfer: 9,
  fee_delegated_value_transfer_with_ratio: 10,
  value_transfer_memo: 16,
  fee_delegated_value_transfer_memo: 17,
  fee_delegated_value_transfer_memo_with_ratio: 18,
  account_update: 32,
  fee_delegated_account_update: 33,
  fee_delegated_account_update_with_ratio: 34,
  smart_contract_deploy: 40,
  fee_delegated_smart_contract_deploy: 41,
  fee_delegated_smart_contract_deploy_with_ratio: 42,
  smart_contract_execution: 48,
  fee_delegated_smart_contract_execution: 49,
  fee_delegated_smart_contract_execution_with_ratio: 50,
  cancel: 56,
  fee_delegated_cancel: 57,
  fee_delegated_cancel_with_ratio: 58,
};
const TYPE_BY_NUMBER = Object.fromEntries(Object.entries(TYPE_NAMES).map(([k, v]) => [v, k]));

function typeNumber(t) {
  if (typeof t === "number") return t === 0x7801 ? 1 : t === 0x7802 ? 2 : t;
  if (typeof t !== "string") throw new Error(`bad tx type ${JSON.stringify(t)}`);
  if (t in TYPE_NAMES) return TYPE_NAMES[t];
  if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(t)) return typeNumber(Number(t));
  if (/^(TxType)?Ethereum(AccessList)$/.test(t)) return 1;
  if (/^(TxType)?Ethereum(DynamicFee)$/.test(t)) return 2;
  if (/^(TxType)?LegacyTransaction$/.test(t)) return 0;
  return parseTxType(t); // SDK: "ValueTransfer", "TxTypeValueTransfer", ...
}

const hasInput = (ty) => [16, 17, 18, 40, 41, 42, 48, 49, 50].includes(ty);
const hasTo = (ty) => ![32, 33, 34, 56, 57, 58].includes(ty);
const isDeploy = (ty) => ty === 40 || ty === 41 || ty === 42;
const isAccountUpdate = (ty) => ty === 32 || ty === 33 || ty === 34;
const isRatio = (ty) => isKlaytnTxType(ty) && (ty & 3) === 2;

// ---------------------------------------------------------------- helpers --

const big = (v) => (v === undefined || v === null ? undefined : BigInt(v));
const hexq = (v) => (v === undefined || v === null ? undefined : toBeHex(BigInt(v))); // "0x.." quantity
const dec = (v) => (v === undefined || v === null ? undefined : BigInt(v === "0x" ? 0 : v).toString());
const pick = (o, ...names) => {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
};

// evlock wire key -> SDK AccountKey object ({type: 0x02, key: compressedPubKey}, ...)
function sdkKey(k) {
  if (typeof k === "string") return k; // already an RLP-encoded key
  if (!k || typeof k !== "object") throw new Error(`bad key ${JSON.stringify(k)}`);
  switch (k.type) {
    case "nil": case "AccountKeyNil": return { type: 0x00 };
    case "legacy": case "AccountKeyLegacy": return { type: 0x01 };
    case "public": case "AccountKeyPublic": return { type: 0x02, key: pick(k, "public_key", "publicKey", "key") };
    case "fail": case "AccountKeyFail": return { type: 0x03 };
    case "weighted_multisig": case "multisig": case "AccountKeyWeightedMultiSig":
      return {
        type: 0x04,
        threshold: Number(k.threshold),
        keys: k.keys.map((w) => ({ weight: Number(w.weight), key: pick(w, "public_key", "publicKey", "key") })),
      };
    case "role_based": case "AccountKeyRoleBased": return { type: 0x05, keys: k.roles.map(sdkKey) };
    default: return k; // let the SDK judge
  }
}

// SDK AccountKey (parsed from RLP) -> evlock wire key
function wireKey(rlp) {
  // The SDK's parseAccountKey misreads a role-based key's roles (each comes back with the last
  // role's RLP) and refuses a nil role: its roles are split here with ethers' RLP decoder, and
  // each role is parsed by the SDK.
  if (/^0x05/i.test(rlp)) {
    const roles = decodeRlp("0x" + rlp.slice(4));
    return { type: "role_based", roles: roles.map((r) => (r === "0x80" ? { type: "nil" } : wireKey(r))) };
  }
  const k = parseAccountKey(rlp);
  switch (k.type) {
    case 0: return { type: "nil" };
    case 1: return { type: "legacy" };
    case 2: return { type: "public", public_key: k.key };
    case 3: return { type: "fail" };
    case 4:
      return {
        type: "weighted_multisig",
        threshold: Number(k.threshold),
        keys: k.keys.map((w) => ({ weight: Number(w.weight), public_key: w.key })),
      };
    default: return { ...k, rlp };
  }
}

function accessList(list) {
  return (list || []).map((e) => ({
    address: e.address,
    storageKeys: pick(e, "storage_keys", "storageKeys") || [],
  }));
}

// evlock wire tx -> SDK / ethers TransactionRequest
function sdkTx(w) {
  const ty = typeNumber(w.type);
  const input = pick(w, "input", "data", "memo");
  if (!isKlaytnTxType(ty)) {
    const chainId = pick(w, "chain_id", "chainId", "chainID");
    const req = {
      type: ty,
      chainId: chainId === undefined ? 0n : big(chainId), // legacy: null/absent = pre-EIP-155
      nonce: big(w.nonce), // ethers v6 keeps nonces as JS numbers: > 2^53-1 throws "overflow"
      gasLimit: big(pick(w, "gas", "gas_limit", "gasLimit")),
      to: w.to ?? null,
      value: big(w.value ?? 0),
      data: input ?? "0x",
    };
    if (ty === 2) {
      req.maxFeePerGas = big(pick(w, "max_fee_per_gas", "maxFeePerGas"));
      req.maxPriorityFeePerGas = big(pick(w, "max_priority_fee_per_gas", "maxPriorityFeePerGas"));
    } else {
      req.gasPrice = big(pick(w, "gas_price", "gasPrice"));
    }
    if (ty !== 0) req.accessList = accessList(pick(w, "access_list", "accessList"));
    if (w.from) req.from = w.from;
    return { ty, req };
  }
  // Kaia native type: SDK field names (KlaytnTx fieldTypes)
  const req = {
    type: ty,
    chainId: hexq(pick(w, "chain_id", "chainId", "chainID")),
    nonce: hexq(w.nonce),
    gasLimit: hexq(pick(w, "gas", "gas_limit", "gasLimit")),
    gasPrice: hexq(pick(w, "gas_price", "gasPrice")),
    from: w.from,
  };
  if (hasTo(ty)) {
    if (!isDeploy(ty)) req.to = w.to;
    req.value = hexq(w.value ?? 0);
  }
  if (hasInput(ty)) req.input = input ?? "0x";
  if (isDeploy(ty)) {
    req.humanReadable = pick(w, "human_readable", "humanReadable") ?? false;
    req.codeFormat = pick(w, "code_format", "codeFormat") ?? 0;
  }
  if (isAccountUpdate(ty)) req.key = sdkKey(w.key);
  if (isRatio(ty)) req.feeRatio = pick(w, "fee_ratio", "feeRatio");
  const feePayer = pick(w, "fee_payer", "feePayer");
  if (isFeePayerSigTxType(ty) && feePayer) req.feePayer = feePayer;
  return { ty, req };
}

const strip78 = (raw) => (/^0x78/i.test(raw) ? "0x" + raw.slice(4) : raw);

// ------------------------------------------------------------------- sign --

const wallets = new Map();
// A wallet of the key's own account, or of `account` (a decoupled, multisig or role-based one).
function wallet(key, account) {
  const id = `${account ?? ""}:${key}`;
  let w = wallets.get(id);
  if (!w) {
    w = account ? new Wallet(account, key) : new Wallet(key); // no provider
    wallets.set(id, w);
  }
  return w;
}

// Several keys of one account sign in turn, each appending its signature to the last one's
// RLP (as Kaia's SDK combines the signatures of a multisig or role-based account).
async function signChained(c) {
  const { ty, req } = sdkTx(c.tx);
  if (!isKlaytnTxType(ty)) throw new Error("sender_keys: Kaia types only");
  let signed = req;
  for (const key of c.sender_keys) signed = await wallet(key, c.sender_account).signTransaction(signed);
  const out = { raw: signed, hash: keccak256(signed), sender_tx_hash: keccak256(signed) };
  if (isFeePayerSigTxType(ty) && c.fee_payer_keys) {
    let paid = signed;
    for (const key of c.fee_payer_keys) paid = await wallet(key, c.fee_payer_account).signTransactionAsFeePayer(paid);
    out.fee_payer_raw = paid;
    out.fee_payer_hash = keccak256(paid);
  }
  return out;
}

async function signCase(c) {
  if (c.sender_keys) return signChained(c);
  if (!c.sender_key) throw new Error("sender_key (or sender_keys) is required");
  const { ty } = sdkTx(c.tx);
  const sender = wallet(c.sender_key);
  const signed = await sender.signTransaction(sdkTx(c.tx).req);
  const out = {};
  if (!isKlaytnTxType(ty)) {
    // ethers output: the plain EIP-2718 form (what Kaia's SDK and every Ethereum tool write).
    const hash = keccak256(signed);
    out.raw = signed;
    out.hash = hash;
    out.sender_tx_hash = hash;
    return out;
  }
  // Kaia types: signTransaction returns TxHashRLP (basic) or SenderTxHashRLP (fee-delegated)
  out.raw = signed;
  out.hash = keccak256(signed);
  out.sender_tx_hash = keccak256(signed);
  if (isFeePayerSigTxType(ty) && c.fee_payer_key) {
    const txSignatures = KlaytnTxFactory.fromRLP(signed).toObject().txSignatures;
    const req = { ...sdkTx(c.tx).req, txSignatures };
    const fpRaw = await wallet(c.fee_payer_key).signTransactionAsFeePayer(req);
    out.fee_payer_raw = fpRaw;
    out.fee_payer_hash = keccak256(fpRaw);
  }
  return out;
}

// ----------------------------------------------------------------- decode --

function sigTuples(list) {
  return (list || []).map(([v, r, s]) => ({ v: dec(v), r: toBeHex(BigInt(r === "0x" ? 0 : r)), s: toBeHex(BigInt(s === "0x" ? 0 : s)) }));
}

function recoverAll(digest, tuples, chainId) {
  return (tuples || []).map(([v, r, s]) => {
    const parity = Number(BigInt(v) - 35n - 2n * BigInt(chainId));
    if (parity !== 0 && parity !== 1) throw new Error(`signature v ${BigInt(v)} does not match chain id ${chainId}`);
    return recoverAddress(digest, {
      r: zeroPadValue(r === "0x" ? "0x00" : r, 32),
      s: zeroPadValue(s === "0x" ? "0x00" : s, 32),
      v: 27 + parity,
    });
  });
}

function decodeEthereum(raw) {
  const kaiaEnvelope = /^0x78/i.test(raw);
  const tx = Transaction.from(strip78(raw)); // same parser the SDK's parseTransaction uses for these types
  const out = {
    type: tx.type,
    type_name: TYPE_BY_NUMBER[tx.type],
    hash: tx.hash,
    sender_tx_hash: tx.hash,
    from: tx.from,
    recovered_from: tx.from,
    chain_id: tx.type === 0 && tx.chainId === 0n ? null : dec(tx.chainId),
    nonce: dec(tx.nonce),
    gas: dec(tx.gasLimit),
  };
  if (tx.type === 2) {
    out.max_priority_fee_per_gas = dec(tx.maxPriorityFeePerGas);
    out.max_fee_per_gas = dec(tx.maxFeePerGas);
  } else {
    out.gas_price = dec(tx.gasPrice);
  }
  out.to = tx.to;
  out.value = dec(tx.value);
  out.input = tx.data;
  if (tx.type !== 0) {
    out.access_list = tx.accessList.map((e) => ({ address: e.address, storage_keys: e.storageKeys }));
  }
  const sig = tx.signature;
  const v = tx.type === 0 ? (tx.chainId === 0n ? BigInt(sig.v) : sig.networkV) : BigInt(sig.yParity);
  out.signatures = [{ v: v.toString(), r: toBeHex(BigInt(sig.r)), s: toBeHex(BigInt(sig.s)) }];
  out.kaia_envelope = kaiaEnvelope;
  return out;
}

function decodeKaia(raw) {
  const parsed = KlaytnTxFactory.fromRLP(raw); // what parseTransaction() uses internally
  const f = parsed.toObject(); // canonical fields: hex quantities, checksummed addresses, RLP key
  const ty = parsed.type;
  const out = { type: ty, type_name: TYPE_BY_NUMBER[ty], hash: keccak256(raw) };
  const chainId = getChainIdFromSignatureTuples(f.txSignatures) ?? getChainIdFromSignatureTuples(f.feePayerSignatures);
  out.chain_id = chainId === undefined ? null : String(chainId);
  out.nonce = dec(f.nonce);
  out.gas = dec(f.gasLimit);
  out.gas_price = dec(f.gasPrice);
  out.from = getAddress(f.from);
  if (hasTo(ty)) {
    out.to = f.to === "0x" ? null : getAddress(f.to); // deploy: normally null (RLP 0x80)
    out.value = dec(f.value);
  }
  if (hasInput(ty)) out.input = f.data;
  if (isDeploy(ty)) {
    out.human_readable = f.humanReadable === "0x01";
    out.code_format = Number(dec(f.codeFormat));
  }
  if (isAccountUpdate(ty)) {
    out.key = wireKey(f.key);
    out.key_rlp = f.key;
  }
  if (isRatio(ty)) out.fee_ratio = Number(dec(f.feeRatio));
  if (f.feePayer) out.fee_payer = getAddress(f.feePayer);
  out.signatures = sigTuples(f.txSignatures);
  if (f.feePayerSignatures) out.fee_payer_signatures = sigTuples(f.feePayerSignatures);

  // Sender tx hash: for fee-delegated types, keccak(SenderTxHashRLP).
  out.sender_tx_hash = isFeePayerSigTxType(ty) ? keccak256(parsed.senderTxHashRLP()) : out.hash;

  // Recover signers from SigRLP / SigFeePayerRLP (chainId taken from the signatures' v).
  try {
    if (chainId === undefined) throw new Error("cannot derive chain id from signatures");
    // Set chainId on the parsed instance itself: KlaytnTxFactory.fromObject() would
    // force `to` = "0x" for deploy types and so alter the signed bytes.
    parsed.fields.chainId = FieldTypeUint64.canonicalize(chainId); // 0 -> "0x" (RLP 0x80)
    const withChain = parsed;
    const senders = recoverAll(keccak256(withChain.sigRLP()), f.txSignatures, chainId);
    out.recovered_from = senders[0] ?? null;
    if (senders.length > 1) out.recovered_signers = senders;
    if (f.feePayer && f.feePayerSignatures) {
      const payers = recoverAll(keccak256(withChain.sigFeePayerRLP()), f.feePayerSignatures, chainId);
      out.recovered_fee_payer = payers[0] ?? null;
      if (payers.length > 1) out.recovered_fee_payer_signers = payers;
    }
  } catch (e) {
    out.recover_error = errMsg(e);
  }
  return out;
}

async function decodeCase(c) {
  if (typeof c.raw !== "string" || !/^0x[0-9a-fA-F]*$/.test(c.raw)) throw new Error("raw must be a 0x hex string");
  const raw = c.raw.toLowerCase();
  const prefix = raw.length >= 4 ? parseInt(raw.slice(2, 4), 16) : NaN;
  if (isKlaytnTxType(prefix)) return decodeKaia(raw);
  return decodeEthereum(raw);
}

// ------------------------------------------------------------------- main --

function errMsg(e) {
  return (e && e.message) || String(e);
}

async function main() {
  const mode = process.argv[2];
  const handler = mode === "sign" ? signCase : mode === "decode" ? decodeCase : null;
  if (!handler) {
    process.stderr.write("usage: node kaia.mjs sign|decode < cases.ndjson\n");
    process.exit(2);
  }
  // The caller may stop reading early (e.g. `| head`): exit quietly.
  process.stdout.on("error", (e) => process.exit(e.code === "EPIPE" ? 0 : 1));
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let c;
    let result;
    try {
      c = JSON.parse(line);
      result = { case: c.case ?? null, ...(await handler(c)) };
    } catch (e) {
      result = { case: c?.case ?? null, error: errMsg(e) };
    }
    // One write per case, immediately: callers may feed cases one at a time.
    process.stdout.write(JSON.stringify(result) + "\n");
  }
}

main().catch((e) => {
  process.stderr.write(`${errMsg(e)}\n`);
  process.exit(1);
});
