// Independent EIP-712 oracle for EnergyMarketV2's delivery receipts (ethers v6): for each
// NDJSON line {chain_id, contract, trade_id, meter, cumulative_wh, key} on stdin, prints
// {digest, v, r, s}: ethers' TypedDataEncoder.hash of the receipt, and Wallet.signTypedData of
// it with the 0x-hex private key.
import { createInterface } from "node:readline";
import { TypedDataEncoder, Wallet, Signature } from "ethers";

const types = {
  DeliveryReceipt: [
    { name: "tradeId", type: "uint256" },
    { name: "meter", type: "address" },
    { name: "cumulativeWh", type: "uint256" },
  ],
};

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const q = JSON.parse(line);
  const domain = { name: "EnergyMarket", version: "2", chainId: BigInt(q.chain_id), verifyingContract: q.contract };
  const value = { tradeId: BigInt(q.trade_id), meter: q.meter, cumulativeWh: BigInt(q.cumulative_wh) };
  const signature = Signature.from(await new Wallet(q.key).signTypedData(domain, types, value));
  const digest = TypedDataEncoder.hash(domain, types, value);
  console.log(JSON.stringify({ digest, v: signature.v, r: signature.r, s: signature.s }));
}
