// Compiles contracts/EnergyMarket.sol with the pinned solc (npm `solc`, exact version in
// package.json) and fixed settings into contracts/EnergyMarket.json.
//
//   node tests/js/compile-contract.mjs          write the artifact
//   node tests/js/compile-contract.mjs --check  exit 1 if the committed artifact differs
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const sourcePath = join(root, "contracts", "EnergyMarket.sol");
const artifactPath = join(root, "contracts", "EnergyMarket.json");
const source = readFileSync(sourcePath, "utf8");

const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "paris",
  metadata: { bytecodeHash: "none" },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};
const input = { language: "Solidity", sources: { "EnergyMarket.sol": { content: source } }, settings };
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(2);

const contract = output.contracts["EnergyMarket.sol"].EnergyMarket;
const artifact = {
  contract: "EnergyMarket",
  source: "contracts/EnergyMarket.sol",
  source_sha256: createHash("sha256").update(source).digest("hex"),
  compiler: { name: "solc", version: solc.version(), package: "npm solc (pinned in tests/js/package.json)" },
  settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion, metadata: settings.metadata },
  abi: contract.abi,
  bytecode: "0x" + contract.evm.bytecode.object,
  deployed_bytecode: "0x" + contract.evm.deployedBytecode.object,
};
const text = JSON.stringify(artifact, null, 2) + "\n";

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(artifactPath, "utf8");
  } catch {}
  if (committed !== text) {
    console.error("contracts/EnergyMarket.json differs from a fresh compile: run scripts/build-contract and commit it");
    process.exit(1);
  }
  console.log("contracts/EnergyMarket.json matches the source and the pinned compiler");
} else {
  writeFileSync(artifactPath, text);
  console.log(`wrote contracts/EnergyMarket.json (solc ${solc.version()}, ${contract.evm.deployedBytecode.object.length / 2} bytes deployed)`);
}
