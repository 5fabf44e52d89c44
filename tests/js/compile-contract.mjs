// Compiles the contracts with the pinned solc (npm `solc`, exact version in package.json) and
// fixed settings into committed artifacts, one JSON file beside each source:
//   contracts/EnergyMarket.sol   -> contracts/EnergyMarket.json   (the product, version 1)
//   contracts/EnergyMarketV2.sol -> contracts/EnergyMarketV2.json (the product, version 2)
//   contracts/test/NAME.sol      -> contracts/test/NAME.json      (contracts only tests deploy,
//                                                                  e.g. attackers)
// Each source file holds one contract named like the file (it may declare interfaces too).
// Imports resolve only to the pinned npm packages in tests/js/node_modules (OpenZeppelin
// Contracts); an artifact lists every imported file with its package version and sha256, so a
// changed library is drift too.
//
//   node tests/js/compile-contract.mjs          write the artifacts
//   node tests/js/compile-contract.mjs --check  exit 1 if a committed artifact differs from a
//                                               fresh compile, is missing, or has no source
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const check = process.argv.includes("--check");
const modules = join(root, "tests", "js", "node_modules");

/// The imported files, sorted, each with its npm package's version and the file's sha256.
function importsOf(imported) {
  const version = (pkg) => JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version;
  return [...imported.keys()].sort().map((path) => ({
    path,
    package: `@openzeppelin/contracts@${version("@openzeppelin/contracts")}`,
    sha256: imported.get(path),
  }));
}

const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "paris",
  metadata: { bytecodeHash: "none" },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

/// Paths (relative to the repository root, "/"-separated) of the .sol files, product first.
function sources() {
  const list = ["contracts/EnergyMarket.sol", "contracts/EnergyMarketV2.sol"];
  const testDir = join(root, "contracts", "test");
  if (existsSync(testDir)) {
    for (const name of readdirSync(testDir).sort()) {
      if (name.endsWith(".sol")) list.push(`contracts/test/${name}`);
    }
  }
  return list;
}

/// Compiles one source; returns [artifact path, artifact text, deployed size] or exits 2 on a
/// compile error.
function build(sourceRel) {
  const source = readFileSync(join(root, sourceRel), "utf8");
  const file = basename(sourceRel);
  const name = file.replace(/\.sol$/, "");
  const input = { language: "Solidity", sources: { [file]: { content: source } }, settings };
  const imported = new Map();
  const findImports = (path) => {
    if (!path.startsWith("@openzeppelin/contracts/")) return { error: `${path}: only @openzeppelin/contracts imports are allowed` };
    try {
      const content = readFileSync(join(modules, path), "utf8");
      imported.set(path, createHash("sha256").update(content).digest("hex"));
      return { contents: content };
    } catch (e) {
      return { error: `${path}: ${e.message}` };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  // The pinned library's own warnings are not ours to fix: show errors, and our warnings.
  const ours = (e) => e.severity === "error" || !(e.sourceLocation?.file || "").startsWith("@openzeppelin/");
  for (const e of (output.errors || []).filter(ours)) console.error(e.formattedMessage);
  if ((output.errors || []).some((e) => e.severity === "error")) process.exit(2);
  const contract = (output.contracts[file] || {})[name];
  if (!contract) {
    console.error(`${sourceRel} has no contract named ${name} (one contract per file, named like it)`);
    process.exit(2);
  }
  // The field order is the artifact format: keep it stable, the committed files depend on it.
  const artifact = {
    contract: name,
    source: sourceRel,
    source_sha256: createHash("sha256").update(source).digest("hex"),
    compiler: { name: "solc", version: solc.version(), package: "npm solc (pinned in tests/js/package.json)" },
    settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion, metadata: settings.metadata },
    ...(imported.size ? { imports: importsOf(imported) } : {}),
    abi: contract.abi,
    bytecode: "0x" + contract.evm.bytecode.object,
    deployed_bytecode: "0x" + contract.evm.deployedBytecode.object,
  };
  return [sourceRel.replace(/\.sol$/, ".json"), JSON.stringify(artifact, null, 2) + "\n", contract.evm.deployedBytecode.object.length / 2];
}

let stale = 0;
const built = new Set();
for (const sourceRel of sources()) {
  const [artifactRel, text, size] = build(sourceRel);
  built.add(artifactRel);
  if (check) {
    let committed = "";
    try {
      committed = readFileSync(join(root, artifactRel), "utf8");
    } catch {}
    if (committed !== text) {
      console.error(`${artifactRel} differs from a fresh compile: run scripts/build-contract and commit it`);
      stale += 1;
    } else {
      console.log(`${artifactRel} matches the source and the pinned compiler`);
    }
  } else {
    writeFileSync(join(root, artifactRel), text);
    console.log(`wrote ${artifactRel} (solc ${solc.version()}, ${size} bytes deployed)`);
  }
}
// An artifact whose source is gone would still be deployable by a test: flag it.
const testDir = join(root, "contracts", "test");
if (check && existsSync(testDir)) {
  for (const name of readdirSync(testDir)) {
    const rel = `contracts/test/${name}`;
    if (name.endsWith(".json") && !built.has(rel)) {
      console.error(`${rel} has no source contracts/test/${name.replace(/\.json$/, ".sol")}: delete it`);
      stale += 1;
    }
  }
}
if (stale) process.exit(1);
