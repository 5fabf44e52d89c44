#!/usr/bin/env node
// Keystore interop oracle for evlock's Rust tests (ethers v6).
//
//   node keystore.mjs decrypt FILE PASSWORD_FILE
//       -> {"address":"0x<EIP-55>"}            (ethers.Wallet.fromEncryptedJson)
//   node keystore.mjs encrypt PRIVATE_KEY_HEX PASSWORD_FILE OUT_FILE [--light]
//       -> writes a Web3 Secret Storage v3 keystore to OUT_FILE and prints
//          {"address":"0x<EIP-55>"}             (ethers.encryptKeystoreJson;
//          default scrypt N=131072 r=8 p=1, --light: N=4096)
//
// Passwords are the exact bytes of PASSWORD_FILE minus ONE trailing "\n" or
// "\r\n". They are handed to ethers as bytes (Uint8Array), so ethers does not
// NFKC-normalize them (it would for a JS string). Add --nfkc to either command
// to pass the password as a string instead (ethers then applies NFKC).
//
// decrypt --kaia uses @kaiachain/ethers-ext/v6 Wallet.fromEncryptedJson instead,
// which also reads KIP-3 (v4) keystores; it prints the keystore's (possibly
// decoupled) address plus "key_address", the address derived from the first key.
//
// On any failure: the error goes to stderr and the exit status is 1.
import { readFileSync, writeFileSync } from "node:fs";
import { Wallet, encryptKeystoreJson, getAddress } from "ethers";
import { Wallet as KaiaWallet } from "@kaiachain/ethers-ext/v6";

const USAGE = `usage:
  node keystore.mjs decrypt FILE PASSWORD_FILE [--nfkc] [--kaia]
  node keystore.mjs encrypt PRIVATE_KEY_HEX PASSWORD_FILE OUT_FILE [--light] [--nfkc]`;

function readPassword(path, nfkc) {
  let bytes = readFileSync(path);
  const n = bytes.length;
  if (n >= 2 && bytes[n - 2] === 0x0d && bytes[n - 1] === 0x0a) {
    bytes = bytes.subarray(0, n - 2);
  } else if (n >= 1 && bytes[n - 1] === 0x0a) {
    bytes = bytes.subarray(0, n - 1);
  }
  if (nfkc) {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  }
  return new Uint8Array(bytes);
}

function normalizeKey(hex) {
  const h = hex.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(h)) {
    throw new Error("PRIVATE_KEY_HEX must be 32 bytes of hex (with or without 0x)");
  }
  return "0x" + h.toLowerCase();
}

async function main(argv) {
  const flags = new Set(argv.filter((a) => a.startsWith("--")));
  const args = argv.filter((a) => !a.startsWith("--"));
  for (const f of flags) {
    if (f !== "--light" && f !== "--nfkc" && f !== "--kaia") throw new Error(`unknown flag ${f}\n${USAGE}`);
  }
  const nfkc = flags.has("--nfkc");
  const [cmd, ...rest] = args;

  if (cmd === "decrypt" && rest.length === 2 && !flags.has("--light")) {
    const [file, passwordFile] = rest;
    const json = readFileSync(file, "utf8");
    if (flags.has("--kaia")) {
      const kw = await KaiaWallet.fromEncryptedJson(json, readPassword(passwordFile, nfkc));
      return { address: getAddress(await kw.getAddress()), key_address: kw.address };
    }
    const wallet = await Wallet.fromEncryptedJson(json, readPassword(passwordFile, nfkc));
    return { address: wallet.address };
  }

  if (cmd === "encrypt" && rest.length === 3 && !flags.has("--kaia")) {
    const [keyHex, passwordFile, outFile] = rest;
    const wallet = new Wallet(normalizeKey(keyHex));
    const options = flags.has("--light") ? { scrypt: { N: 4096 } } : {};
    const json = await encryptKeystoreJson(
      { address: wallet.address, privateKey: wallet.privateKey },
      readPassword(passwordFile, nfkc),
      options,
    );
    writeFileSync(outFile, json);
    return { address: wallet.address };
  }

  throw new Error(USAGE);
}

main(process.argv.slice(2)).then(
  (out) => process.stdout.write(JSON.stringify(out) + "\n"),
  (err) => {
    process.stderr.write(`${err && err.message ? err.message : err}\n`);
    process.exit(1);
  },
);
