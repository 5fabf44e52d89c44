//! Every "RLP Encoding (Example)" of docs.kaia.io for the transaction types
//! implemented by the `kaia` module, checked byte-for-byte.
//!
//! Sources (kaiachain/kaia-docs, rendered at https://docs.kaia.io/learn/transactions/):
//! - docs/learn/transactions/basic.md                  (legacy + basic types)
//! - docs/learn/transactions/fee-delegation.md         (fee-delegated types)
//! - docs/learn/transactions/partial-fee-delegation.md (fee-delegated with ratio)
//! - docs/learn/transactions/ethereum.md               (EIP-2930 / EIP-1559)
//!
//! The ChainDataAnchoring examples (0x48, 0x49, 0x4a) are not included: that
//! type is outside this module's scope. Long contract code is written once as
//! `CODE` and spliced into the deploy examples where the docs repeat it
//! verbatim (`{CODE}` below).
//!
//! To move this file to evlock's `tests/`, change the next line to
//! `use evlock::kaia::{...};`.
use evlock::kaia::{
    AccessListItem, AccountKey, CompressedPubkey, Eip1559Tx, Eip2930Tx, FeeDelegation, FeeRatio, KaiaKind,
    KaiaTx, LegacyTx, RecoverableSig, Transaction, TxSignature, address_of,
};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use k256::ecdsa::SigningKey;

const BASIC: &str = "docs.kaia.io/learn/transactions/basic (kaia-docs docs/learn/transactions/basic.md)";
const FD: &str =
    "docs.kaia.io/learn/transactions/fee-delegation (kaia-docs docs/learn/transactions/fee-delegation.md)";
const PFD: &str = "docs.kaia.io/learn/transactions/partial-fee-delegation (kaia-docs docs/learn/transactions/partial-fee-delegation.md)";
const ETH: &str = "docs.kaia.io/learn/transactions/ethereum (kaia-docs docs/learn/transactions/ethereum.md)";

const SENDER_KEY: &str = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
const FEE_PAYER_KEY: &str = "b9d5558443585bca6f225b935950e3f6e69f9da8a5809a83f51c3365dff53936";
const FROM: &str = "a94f5374fce5edbc8e2a8697c15331677e6ebf0b";
const TO: &str = "7b65b75d204abed71587c9e519a89277766ee1d0";
const FEE_PAYER: &str = "5a0043070275d9f6054307ee7348bd660849d90f";
/// Address of the documented FeePayerPrivateKey. It is NOT the `feePayer`
/// field of the fee-delegation examples (0x5a00...): in the docs' test setup
/// that account's key was evidently updated to this key. (The key's own
/// address appears as `feePayer` in the ChainDataAnchoring examples.)
const FEE_PAYER_KEY_ADDRESS: &str = "33f524631e573329a550296f595c820d6c65213f";
const MEMO: &str = "68656c6c6f";
const EXEC_INPUT: &str = "6353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b2";
const PUBKEY: &str = "033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33d";
const CODE: &str = "608060405234801561001057600080fd5b506101de806100206000396000f3006080604052600436106100615763ffffffff7c01000000000000000000000000000000000000000000000000000000006000350416631a39d8ef81146100805780636353586b146100a757806370a08231146100ca578063fd6b7ef8146100f8575b3360009081526001602052604081208054349081019091558154019055005b34801561008c57600080fd5b5061009561010d565b60408051918252519081900360200190f35b6100c873ffffffffffffffffffffffffffffffffffffffff60043516610113565b005b3480156100d657600080fd5b5061009573ffffffffffffffffffffffffffffffffffffffff60043516610147565b34801561010457600080fd5b506100c8610159565b60005481565b73ffffffffffffffffffffffffffffffffffffffff1660009081526001602052604081208054349081019091558154019055565b60016020526000908152604090205481565b336000908152600160205260408120805490829055908111156101af57604051339082156108fc029083906000818181858888f193505050501561019c576101af565b3360009081526001602052604090208190555b505600a165627a7a72305820627ca46bb09478a015762806cc00c431230501118c7c26c30ac58c4e09e51c4f0029";

fn h(s: &str) -> Vec<u8> {
    let s = s.replace("{CODE}", CODE);
    hex::decode(s.trim_start_matches("0x")).expect("valid hex in vector table")
}
fn addr(s: &str) -> Address {
    Address::from_slice(&h(s))
}
fn b256(s: &str) -> B256 {
    B256::from_slice(&h(s))
}

/// The fee payer part of a fee-delegated example.
struct FeePayerPart {
    sig_rlp: &'static str,
    sig_hash: &'static str,
    signature: &'static str,
}

struct DocVector {
    name: &'static str,
    source: &'static str,
    build: fn() -> Transaction,
    /// SigRLP / SigHash / Signature (absent for the Ethereum examples).
    sig_rlp: Option<&'static str>,
    sig_hash: Option<&'static str>,
    signature: Option<&'static str>,
    fee_payer: Option<FeePayerPart>,
    /// TxHashRLP (Kaia) or Hex (Ethereum, with the 0x78 envelope, as documented).
    raw: &'static str,
    tx_hash: &'static str,
    sender_tx_hash_rlp: Option<&'static str>,
    sender_tx_hash: &'static str,
    /// Documented errata, if any (see `doc_errata` handling below).
    erratum: Option<&'static str>,
}

fn kaia(kind: KaiaKind, fee: FeeDelegation) -> Transaction {
    Transaction::Kaia(KaiaTx {
        chain_id: 1,
        nonce: 1234,
        gas_price: U256::from(25),
        gas: 1_000_000,
        from: addr(FROM),
        kind,
        fee,
        signatures: vec![],
        fee_payer_signatures: vec![],
    })
}
fn full() -> FeeDelegation {
    FeeDelegation::Full { fee_payer: addr(FEE_PAYER) }
}
fn ratio() -> FeeDelegation {
    FeeDelegation::WithRatio { fee_payer: addr(FEE_PAYER), fee_ratio: FeeRatio::new(30).unwrap() }
}
fn vt() -> KaiaKind {
    KaiaKind::ValueTransfer { to: addr(TO), value: U256::from(10) }
}
fn memo() -> KaiaKind {
    KaiaKind::ValueTransferMemo { to: addr(TO), value: U256::from(10), input: Bytes::from(h(MEMO)) }
}
fn deploy() -> KaiaKind {
    // The docs' examples set `to` and humanReadable = true (both rejected by
    // a real node's validation, but part of the documented bytes).
    KaiaKind::SmartContractDeploy {
        to: Some(addr(TO)),
        value: U256::from(10),
        input: Bytes::from(h(CODE)),
        human_readable: true,
        code_format: 0,
    }
}
fn exec() -> KaiaKind {
    KaiaKind::SmartContractExecution {
        to: addr(TO),
        value: U256::from(10),
        input: Bytes::from(h(EXEC_INPUT)),
    }
}
fn update() -> KaiaKind {
    KaiaKind::AccountUpdate { key: AccountKey::Public(CompressedPubkey::from_sec1(&h(PUBKEY)).unwrap()) }
}
fn access_list() -> Vec<AccessListItem> {
    vec![AccessListItem {
        address: addr("0000000000000000000000000000000000000001"),
        storage_keys: vec![B256::ZERO],
    }]
}

fn vectors() -> Vec<DocVector> {
    vec![
        // ------------------------------------------------------------ basic.md
        DocVector {
            name: "TxTypeLegacyTransaction",
            source: BASIC,
            build: || {
                Transaction::Legacy(LegacyTx {
                    chain_id: Some(1),
                    nonce: 1234,
                    gas_price: U256::from(25),
                    gas: 1_000_000,
                    to: Some(addr(TO)),
                    value: U256::from(10),
                    input: Bytes::from(h("31323334")),
                    signature: None,
                })
            },
            sig_rlp: Some("0xe68204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a8431323334018080"),
            sig_hash: Some("0x40e73366650cddb7affcf5af39efa864b2c68c42b5329044fc86a12b26c4edc7"),
            signature: Some(
                "f845f84325a0b2a5a15550ec298dc7dddde3774429ed75f864c82caeb5ee24399649ad731be9a029da1014d16f2011b3307f7bbe1035b6e699a4204fc416c763def6cefd976567",
            ),
            fee_payer: None,
            raw: "0xf8668204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a843132333425a0b2a5a15550ec298dc7dddde3774429ed75f864c82caeb5ee24399649ad731be9a029da1014d16f2011b3307f7bbe1035b6e699a4204fc416c763def6cefd976567",
            tx_hash: "e434257753bf31a130c839fec0bd34fc6ea4aa256b825288ee82db31c2ed7524",
            sender_tx_hash_rlp: Some(
                "0xf8668204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a843132333425a0b2a5a15550ec298dc7dddde3774429ed75f864c82caeb5ee24399649ad731be9a029da1014d16f2011b3307f7bbe1035b6e699a4204fc416c763def6cefd976567",
            ),
            sender_tx_hash: "e434257753bf31a130c839fec0bd34fc6ea4aa256b825288ee82db31c2ed7524",
            erratum: None,
        },
        DocVector {
            name: "TxTypeValueTransfer",
            source: BASIC,
            build: || kaia(vt(), FeeDelegation::None),
            sig_rlp: Some(
                "0xf839b5f4088204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b018080",
            ),
            sig_hash: Some("0xaa7665566c9508140bb91e36a948fc8f61c4518400a69562432d17e064f3ce43"),
            signature: Some(
                "f845f84325a0f3d0cd43661cabf53425535817c5058c27781f478cb5459874feaa462ed3a29aa06748abe186269ff10b8100a4b7d7fea274b53ea2905acbf498dc8b5ab1bf4fbc",
            ),
            fee_payer: None,
            raw: "0x08f87a8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84325a0f3d0cd43661cabf53425535817c5058c27781f478cb5459874feaa462ed3a29aa06748abe186269ff10b8100a4b7d7fea274b53ea2905acbf498dc8b5ab1bf4fbc",
            tx_hash: "762f130342569e9669a4d8547f1248bd2554fbbf3062d63a97ce28bfa97aa9d7",
            sender_tx_hash_rlp: Some(
                "0x08f87a8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84325a0f3d0cd43661cabf53425535817c5058c27781f478cb5459874feaa462ed3a29aa06748abe186269ff10b8100a4b7d7fea274b53ea2905acbf498dc8b5ab1bf4fbc",
            ),
            sender_tx_hash: "762f130342569e9669a4d8547f1248bd2554fbbf3062d63a97ce28bfa97aa9d7",
            erratum: None,
        },
        DocVector {
            name: "TxTypeValueTransferMemo",
            source: BASIC,
            build: || kaia(memo(), FeeDelegation::None),
            sig_rlp: Some(
                "0xf841b83cf83a108204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b8568656c6c6f018080",
            ),
            sig_hash: Some("0x23dd6ca2c023a152cad636ac8ed0a1a7962d3eb4cb7f3c50e34c0cc42e37d48a"),
            signature: Some(
                "f845f84325a07d2b0c89ee8afa502b3186413983bfe9a31c5776f4f820210cffe44a7d568d1ca02b1cbd587c73b0f54969f6b76ef2fd95cea0c1bb79256a75df9da696278509f3",
            ),
            fee_payer: None,
            raw: "0x10f8808204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b8568656c6c6ff845f84325a07d2b0c89ee8afa502b3186413983bfe9a31c5776f4f820210cffe44a7d568d1ca02b1cbd587c73b0f54969f6b76ef2fd95cea0c1bb79256a75df9da696278509f3",
            tx_hash: "6c7ee543c24e5b928b638a9f4502c1eca69103f5467ed4b6a2ed0ea5aede2e6b",
            sender_tx_hash_rlp: Some(
                "0x10f8808204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b8568656c6c6ff845f84325a07d2b0c89ee8afa502b3186413983bfe9a31c5776f4f820210cffe44a7d568d1ca02b1cbd587c73b0f54969f6b76ef2fd95cea0c1bb79256a75df9da696278509f3",
            ),
            sender_tx_hash: "6c7ee543c24e5b928b638a9f4502c1eca69103f5467ed4b6a2ed0ea5aede2e6b",
            erratum: None,
        },
        DocVector {
            name: "TxTypeSmartContractDeploy",
            source: BASIC,
            build: || kaia(deploy(), FeeDelegation::None),
            sig_rlp: Some(
                "0xf90240b9023af90237288204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}0180018080",
            ),
            sig_hash: Some("0xa921fa892d5dec0837bd32c1fb77fc3b2df57ec0b0c4eea79192c79883ed543c"),
            signature: Some(
                "f845f84325a0fcd107738fb47750ba727610aefd6d5f51ac8163d62ce500e7ab7e15defe7088a0383d68220d0266490ea4173c1d7847f22fcbe22f8c8125e1c0589189845c902a",
            ),
            fee_payer: None,
            raw: "0x28f9027d8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}0180f845f84325a0fcd107738fb47750ba727610aefd6d5f51ac8163d62ce500e7ab7e15defe7088a0383d68220d0266490ea4173c1d7847f22fcbe22f8c8125e1c0589189845c902a",
            tx_hash: "e983f38b814891990f3ca57028c2230dc7e907eb313c827e7c99fadcc9b4c58b",
            sender_tx_hash_rlp: Some(
                "0x28f9027d8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}0180f845f84325a0fcd107738fb47750ba727610aefd6d5f51ac8163d62ce500e7ab7e15defe7088a0383d68220d0266490ea4173c1d7847f22fcbe22f8c8125e1c0589189845c902a",
            ),
            sender_tx_hash: "e983f38b814891990f3ca57028c2230dc7e907eb313c827e7c99fadcc9b4c58b",
            erratum: None,
        },
        DocVector {
            name: "TxTypeSmartContractExecution",
            source: BASIC,
            build: || kaia(exec(), FeeDelegation::None),
            sig_rlp: Some(
                "0xf860b85bf859308204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b2018080",
            ),
            sig_hash: Some("0x197ea7d262f74489934d6cbcf8baa3bec169c16ad672fef4a9f8148864c9cdce"),
            signature: Some(
                "f845f84326a0e4276df1a779274fbb04bc18a0184809eec1ce9770527cebb3d64f926dc1810ba04103b828a0671a48d64fe1a3879eae229699f05a684d9c5fd939015dcdd9709b",
            ),
            fee_payer: None,
            raw: "0x30f89f8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b2f845f84326a0e4276df1a779274fbb04bc18a0184809eec1ce9770527cebb3d64f926dc1810ba04103b828a0671a48d64fe1a3879eae229699f05a684d9c5fd939015dcdd9709b",
            tx_hash: "23bb192bd58d56527843eb63225c5213f3aded95e4c9776f1ff0bdd8ee0b6826",
            sender_tx_hash_rlp: Some(
                "0x30f89f8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b2f845f84326a0e4276df1a779274fbb04bc18a0184809eec1ce9770527cebb3d64f926dc1810ba04103b828a0671a48d64fe1a3879eae229699f05a684d9c5fd939015dcdd9709b",
            ),
            sender_tx_hash: "23bb192bd58d56527843eb63225c5213f3aded95e4c9776f1ff0bdd8ee0b6826",
            erratum: None,
        },
        DocVector {
            name: "TxTypeAccountUpdate",
            source: BASIC,
            build: || kaia(update(), FeeDelegation::None),
            sig_rlp: Some(
                "0xf849b844f842208204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33d018080",
            ),
            sig_hash: Some("0xa0d3f1d2b4f061c3a5d9c22c7bb621aa821162b42b4db6cf1888defc2473e0ab"),
            signature: Some(
                "f845f84325a0f7d479628f05f51320f0842193e3f7ae55a5b49d3645bf55c35bee1e8fd2593aa04de8eab5338fdc86e96f8c49ed516550f793fc2c4007614ce3d2a6b33cf9e451",
            ),
            fee_payer: None,
            raw: "0x20f8888204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33df845f84325a0f7d479628f05f51320f0842193e3f7ae55a5b49d3645bf55c35bee1e8fd2593aa04de8eab5338fdc86e96f8c49ed516550f793fc2c4007614ce3d2a6b33cf9e451",
            tx_hash: "8c70627d6b637c7d033ead083fc5e43e5cad10c704a86dd9bda7ac104a0e5ad0",
            sender_tx_hash_rlp: Some(
                "0x20f8888204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33df845f84325a0f7d479628f05f51320f0842193e3f7ae55a5b49d3645bf55c35bee1e8fd2593aa04de8eab5338fdc86e96f8c49ed516550f793fc2c4007614ce3d2a6b33cf9e451",
            ),
            sender_tx_hash: "8c70627d6b637c7d033ead083fc5e43e5cad10c704a86dd9bda7ac104a0e5ad0",
            erratum: None,
        },
        DocVector {
            name: "TxTypeCancel",
            source: BASIC,
            build: || kaia(KaiaKind::Cancel, FeeDelegation::None),
            sig_rlp: Some("0xe39fde388204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0b018080"),
            sig_hash: Some("0xaaac6d71ad921e8a12e92c47d0b0654a20d8d9a4ff70d83f78661ccdf062ce9a"),
            signature: Some(
                "f845f84325a0fb2c3d53d2f6b7bb1deb5a09f80366a5a45429cc1e3956687b075a9dcad20434a05c6187822ee23b1001e9613d29a5d6002f990498d2902904f7f259ab3358216e",
            ),
            fee_payer: None,
            raw: "0x38f8648204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84325a0fb2c3d53d2f6b7bb1deb5a09f80366a5a45429cc1e3956687b075a9dcad20434a05c6187822ee23b1001e9613d29a5d6002f990498d2902904f7f259ab3358216e",
            tx_hash: "10d135d590cb587cc45c1f94f4a0e3b8c24d24a6e4243f09ca395fb4e2450413",
            sender_tx_hash_rlp: Some(
                "0x38f8648204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84325a0fb2c3d53d2f6b7bb1deb5a09f80366a5a45429cc1e3956687b075a9dcad20434a05c6187822ee23b1001e9613d29a5d6002f990498d2902904f7f259ab3358216e",
            ),
            sender_tx_hash: "10d135d590cb587cc45c1f94f4a0e3b8c24d24a6e4243f09ca395fb4e2450413",
            erratum: None,
        },
        // --------------------------------------------------- fee-delegation.md
        DocVector {
            name: "TxTypeFeeDelegatedValueTransfer",
            source: FD,
            build: || kaia(vt(), full()),
            sig_rlp: Some(
                "0xf839b5f4098204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b018080",
            ),
            sig_hash: Some("0xb86e4cc0955f7c2cda1b36038c9d43a2724fc956c11e09c37625379b7eb2bd21"),
            signature: Some(
                "f845f84325a09f8e49e2ad84b0732984398749956e807e4b526c786af3c5f7416b293e638956a06bf88342092f6ff9fabe31739b2ebfa1409707ce54a54693e91a6b9bb77df0e7",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf84eb5f4098204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0x3e7c5f40e826d1d22493be59bf62928dc397de5c972bd9bfa3fe5206c24a5f82",
                signature: "f845f84326a0f45cf8d7f88c08e6b6ec0b3b562f34ca94283e4689021987abb6b0772ddfd80aa0298fe2c5aeabb6a518f4cbb5ff39631a5d88be505d3923374f65fdcf63c2955b",
            }),
            raw: "0x09f8d68204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84325a09f8e49e2ad84b0732984398749956e807e4b526c786af3c5f7416b293e638956a06bf88342092f6ff9fabe31739b2ebfa1409707ce54a54693e91a6b9bb77df0e7945a0043070275d9f6054307ee7348bd660849d90ff845f84326a0f45cf8d7f88c08e6b6ec0b3b562f34ca94283e4689021987abb6b0772ddfd80aa0298fe2c5aeabb6a518f4cbb5ff39631a5d88be505d3923374f65fdcf63c2955b",
            tx_hash: "e1e07f9971153499fc8c7bafcdaf7abc20b37aa4c18fb1e53a9bfcc259e3644c",
            sender_tx_hash_rlp: Some(
                "0x09f87a8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84325a09f8e49e2ad84b0732984398749956e807e4b526c786af3c5f7416b293e638956a06bf88342092f6ff9fabe31739b2ebfa1409707ce54a54693e91a6b9bb77df0e7",
            ),
            sender_tx_hash: "40f8c94e01e07eb5353f6cd4cd3eabd5893215dd53a50ba4b8ff9a447ac51731",
            erratum: None,
        },
        DocVector {
            name: "TxTypeFeeDelegatedValueTransferMemo",
            source: FD,
            build: || kaia(memo(), full()),
            sig_rlp: Some(
                "0xf841b83cf83a118204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b8568656c6c6f018080",
            ),
            sig_hash: Some("0x3333b9336d431ffa53b795fedcf03cc2217cea3f26825ea5cbf7d69f0b99fde9"),
            signature: Some(
                "f845f84326a064e213aef0167fbd853f8f9989ef5d8b912a77457395ccf13d7f37009edd5c5ba05d0c2e55e4d8734fe2516ed56ac628b74c0eb02aa3b6eda51e1e25a1396093e1",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf856b83cf83a118204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b8568656c6c6f945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0xed015096fb27764f576415e23576228cbf7c4fdad464ea7ffc3a1856dfe391c9",
                signature: "f845f84326a087390ac14d3c34440b6ddb7b190d3ebde1a07d9a556e5a82ce7e501f24a060f9a037badbcb12cda1ed67b12b1831683a08a3adadee2ea760a07a46bdbb856fea44",
            }),
            raw: "0x11f8dc8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b8568656c6c6ff845f84326a064e213aef0167fbd853f8f9989ef5d8b912a77457395ccf13d7f37009edd5c5ba05d0c2e55e4d8734fe2516ed56ac628b74c0eb02aa3b6eda51e1e25a1396093e1945a0043070275d9f6054307ee7348bd660849d90ff845f84326a087390ac14d3c34440b6ddb7b190d3ebde1a07d9a556e5a82ce7e501f24a060f9a037badbcb12cda1ed67b12b1831683a08a3adadee2ea760a07a46bdbb856fea44",
            tx_hash: "8f68882f6192a53ba470aeca1e83ed9b9e519906a91256724b284dee778b21c9",
            sender_tx_hash_rlp: Some(
                "0x11f8808204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b8568656c6c6ff845f84326a064e213aef0167fbd853f8f9989ef5d8b912a77457395ccf13d7f37009edd5c5ba05d0c2e55e4d8734fe2516ed56ac628b74c0eb02aa3b6eda51e1e25a1396093e1",
            ),
            sender_tx_hash: "fffaa2b38d4e684ea70a89c78fc7b2659000d130c76ad721d68175cbfc77c550",
            erratum: None,
        },
        DocVector {
            name: "TxTypeFeeDelegatedSmartContractDeploy",
            source: FD,
            build: || kaia(deploy(), full()),
            sig_rlp: Some(
                "0xf90240b9023af90237298204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}0180018080",
            ),
            sig_hash: Some("0xfd5e0726c763d117d07e5e688889ab7e4d0d1164d1bbca26a9d4ee629cbd875b"),
            signature: Some(
                "f845f84325a04ea37b8ecfed93795a9f99b1e4d554df6fb05a361965a7655abd4e4c4422a9e5a00b05e3fffe5a3c0892eaff31466f6c47b7edad80703d395d65bbfc1a2c6a2570",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf90255b9023af90237298204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}0180945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0xb7ea4d9d8c4d20ac6fd6cfffcaf89ae7d217d7450820b3b40d9ea29a0f01a1b2",
                signature: "f845f84326a0c6738376304dfb32c77649bddd4ade925b947876cfe6b1fd2c06a2e4394504cca023817ba66a6b7c92fcf23f2d5506ea2a673aae5f1a1e4d742367971ae58a1576",
            }),
            raw: "0x29f902d98204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}0180f845f84325a04ea37b8ecfed93795a9f99b1e4d554df6fb05a361965a7655abd4e4c4422a9e5a00b05e3fffe5a3c0892eaff31466f6c47b7edad80703d395d65bbfc1a2c6a2570945a0043070275d9f6054307ee7348bd660849d90ff845f84326a0c6738376304dfb32c77649bddd4ade925b947876cfe6b1fd2c06a2e4394504cca023817ba66a6b7c92fcf23f2d5506ea2a673aae5f1a1e4d742367971ae58a1576",
            tx_hash: "a457cc54b5cfd35eb61baa5ad61398fdcecab4c83693815addf00ca7166cb87e",
            sender_tx_hash_rlp: Some(
                "0x29f9027d8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}0180f845f84325a04ea37b8ecfed93795a9f99b1e4d554df6fb05a361965a7655abd4e4c4422a9e5a00b05e3fffe5a3c0892eaff31466f6c47b7edad80703d395d65bbfc1a2c6a2570",
            ),
            sender_tx_hash: "f3bca26fc8b50bfbcc1e94bc792ee6489cff14056e7e9aa2b074abb385f2139f",
            erratum: None,
        },
        DocVector {
            name: "TxTypeFeeDelegatedSmartContractExecution",
            source: FD,
            build: || kaia(exec(), full()),
            sig_rlp: Some(
                "0xf860b85bf859318204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b2018080",
            ),
            sig_hash: Some("0xa5dd93af9f96fa316f0ddd84f10acb2e6eb41baaec3b42f9068c38aa1618f7e1"),
            signature: Some(
                "f845f84325a0253aea7d2c37160da45e84afbb45f6b3341cf1e8fc2df4ecc78f14adb512dc4fa022465b74015c2a8f8501186bb5e200e6ce44be52e9374615a7e7e21c41bc27b5",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf875b85bf859318204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b2945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0xf547d9d0041912e0daa2db2b65170a9e833877cd8482f405a11b03429fcbd554",
                signature: "f845f84326a0e7c51db7b922c6fa2a941c9687884c593b1b13076bdf0c473538d826bf7b9d1aa05b0de2aabb84b66db8bf52d62f3d3b71b592e3748455630f1504c20073624d80",
            }),
            raw: "0x31f8fb8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b2f845f84325a0253aea7d2c37160da45e84afbb45f6b3341cf1e8fc2df4ecc78f14adb512dc4fa022465b74015c2a8f8501186bb5e200e6ce44be52e9374615a7e7e21c41bc27b5945a0043070275d9f6054307ee7348bd660849d90ff845f84326a0e7c51db7b922c6fa2a941c9687884c593b1b13076bdf0c473538d826bf7b9d1aa05b0de2aabb84b66db8bf52d62f3d3b71b592e3748455630f1504c20073624d80",
            tx_hash: "ef46f28c54b3d90a183e26f406ca1d5cc2b6e9fbb6cfa7c85a10330ffadf54b0",
            sender_tx_hash_rlp: Some(
                "0x31f89f8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b2f845f84325a0253aea7d2c37160da45e84afbb45f6b3341cf1e8fc2df4ecc78f14adb512dc4fa022465b74015c2a8f8501186bb5e200e6ce44be52e9374615a7e7e21c41bc27b5",
            ),
            sender_tx_hash: "3cd3380f4206943422d5d5b218dd66d03d60d19a109f9929ea12b52a230257cb",
            erratum: None,
        },
        DocVector {
            name: "TxTypeFeeDelegatedAccountUpdate",
            source: FD,
            build: || kaia(update(), full()),
            sig_rlp: Some(
                "0xf849b844f842218204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33d018080",
            ),
            sig_hash: Some("0x78437953e6beb985ea3ccbee8d6a648a09d11249389477a32c7094fc7b8765ef"),
            signature: Some(
                "f845f84326a0ab69d9adca15d9763c4ce6f98b35256717c6e932007658f19c5a255de9e70ddaa026aa676a3a1a6e96aff4a3df2335788d614d54fb4db1c3c48551ce1fa7ac5e52",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf85eb844f842218204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33d945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0x1026d3ac74f56b52453d656b084d06798479b8bcfda1868d8beaa23e36f3aeb3",
                signature: "f845f84326a0f295cd69b4144d9dbc906ba144933d2cc535d9d559f7a92b4672cc5485bf3a60a0784b8060234ffd64739b5fc2f2503939340ab4248feaa6efcf62cb874345fe40",
            }),
            raw: "0x21f8e48204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33df845f84326a0ab69d9adca15d9763c4ce6f98b35256717c6e932007658f19c5a255de9e70ddaa026aa676a3a1a6e96aff4a3df2335788d614d54fb4db1c3c48551ce1fa7ac5e52945a0043070275d9f6054307ee7348bd660849d90ff845f84326a0f295cd69b4144d9dbc906ba144933d2cc535d9d559f7a92b4672cc5485bf3a60a0784b8060234ffd64739b5fc2f2503939340ab4248feaa6efcf62cb874345fe40",
            tx_hash: "756ff5d3912a4089659614d42a218eee59e602a5992bddca383c2d295c6637bb",
            sender_tx_hash_rlp: Some(
                "0x21f8888204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33df845f84326a0ab69d9adca15d9763c4ce6f98b35256717c6e932007658f19c5a255de9e70ddaa026aa676a3a1a6e96aff4a3df2335788d614d54fb4db1c3c48551ce1fa7ac5e52",
            ),
            sender_tx_hash: "f56937017bd3b75c637ba5b4ce90df20c166006a2a529b42e808bc806159b98f",
            erratum: None,
        },
        DocVector {
            name: "TxTypeFeeDelegatedCancel",
            source: FD,
            build: || kaia(KaiaKind::Cancel, full()),
            sig_rlp: Some("0xe39fde398204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0b018080"),
            sig_hash: Some("0xd36c4277f4aa1d483a5fc4d656aeea50416c28adddb27a234d320290bd2a343c"),
            signature: Some(
                "f845f84326a08409f5441d4725f90905ad87f03793857d124de7a43169bc67320cd2f020efa9a060af63e87bdc565d7f7de906916b2334336ee7b24d9a71c9521a67df02e7ec92",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf8389fde398204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0b945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0x15859ecc06acbd2dd5820c5968a85590826d1f6affb938e89559558ac4f86a24",
                signature: "f845f84326a0044d5b25e8c649a1fdaa409dc3817be390ad90a17c25bc17c89b6d5d248495e0a073938e690d27b5267c73108352cf12d01de7fd0077b388e94721aa1fa32f85ec",
            }),
            raw: "0x39f8c08204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84326a08409f5441d4725f90905ad87f03793857d124de7a43169bc67320cd2f020efa9a060af63e87bdc565d7f7de906916b2334336ee7b24d9a71c9521a67df02e7ec92945a0043070275d9f6054307ee7348bd660849d90ff845f84326a0044d5b25e8c649a1fdaa409dc3817be390ad90a17c25bc17c89b6d5d248495e0a073938e690d27b5267c73108352cf12d01de7fd0077b388e94721aa1fa32f85ec",
            tx_hash: "96b39d3ab849127d31a5f7b5c882ca9ba408cd9d875052640d51a64f8c4acbb2",
            sender_tx_hash_rlp: Some(
                "0x39f8648204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0bf845f84326a08409f5441d4725f90905ad87f03793857d124de7a43169bc67320cd2f020efa9a060af63e87bdc565d7f7de906916b2334336ee7b24d9a71c9521a67df02e7ec92",
            ),
            sender_tx_hash: "cc6c2673398903b3d906a3023b41636fc08bd1bddd5aa1602116091638f48447",
            erratum: None,
        },
        // ------------------------------------------- partial-fee-delegation.md
        DocVector {
            name: "TxTypeFeeDelegatedValueTransferWithRatio",
            source: PFD,
            build: || kaia(vt(), ratio()),
            sig_rlp: Some(
                "0xf83ab6f50a8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b1e018080",
            ),
            sig_hash: Some("0x0f7d520cd00034299b36004c21b571263dbb9a77edbd5920c4136f7f74050d9d"),
            signature: Some(
                "f845f84325a0dde32b8241f039a82b124fe94d3e556eb08f0d6f26d07dcc0f3fca621f1090caa01c8c336b358ab6d3a2bbf25de2adab4d01b754e2fb3b9b710069177d54c1e956",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf84fb6f50a8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b1e945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0x38123c30a5f83db853e9ae4e8dd8d4f6aa6840415acffb8dbf18b2050463dec4",
                signature: "f845f84326a0091ecf53f91bb97bb694f2f2443f3563ac2b646d651497774524394aae396360a044228b88f275aa1ec1bab43681d21dc7e3a676786ed1906f6841d0a1a188f88a",
            }),
            raw: "0x0af8d78204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b1ef845f84325a0dde32b8241f039a82b124fe94d3e556eb08f0d6f26d07dcc0f3fca621f1090caa01c8c336b358ab6d3a2bbf25de2adab4d01b754e2fb3b9b710069177d54c1e956945a0043070275d9f6054307ee7348bd660849d90ff845f84326a0091ecf53f91bb97bb694f2f2443f3563ac2b646d651497774524394aae396360a044228b88f275aa1ec1bab43681d21dc7e3a676786ed1906f6841d0a1a188f88a",
            tx_hash: "83a89f4debd8e9d6374b987e25132b3a4030c9cf9ace2fc6e7d1086fcea2ce40",
            sender_tx_hash_rlp: Some(
                "0x0af87b8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b1ef845f84325a0dde32b8241f039a82b124fe94d3e556eb08f0d6f26d07dcc0f3fca621f1090caa01c8c336b358ab6d3a2bbf25de2adab4d01b754e2fb3b9b710069177d54c1e956",
            ),
            sender_tx_hash: "4711ed4023e821425968342c1d50063b6bc3176b1792b7075cfeee3656d450f6",
            erratum: None,
        },
        DocVector {
            name: "TxTypeFeeDelegatedValueTransferMemoWithRatio",
            source: PFD,
            build: || kaia(memo(), ratio()),
            sig_rlp: Some(
                "0xf842b83df83b128204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b8568656c6c6f1e018080",
            ),
            sig_hash: Some("0x50eef45abe0743dce17e40db185d1d85607245a545f7517a52b90f3673aff689"),
            signature: Some(
                "f845f84326a0769f0afdc310289f9b24decb5bb765c8d7a87a6a4ae28edffb8b7085bbd9bc78a06a7b970eea026e60ac29bb52aee10661a4222e6bdcdfb3839a80586e584586b4",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf857b83df83b128204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b8568656c6c6f1e945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0x09583a871c38a4860e336bfa5f16003feec75e710cfd9186c37892cee7d9775b",
                signature: "f845f84325a0c1c54bdc72ce7c08821329bf50542535fac74f4bba5de5b7881118a461d52834a03a3a64878d784f9af91c2e3ab9c90f17144c47cfd9951e3588c75063c0649ecd",
            }),
            raw: "0x12f8dd8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b8568656c6c6f1ef845f84326a0769f0afdc310289f9b24decb5bb765c8d7a87a6a4ae28edffb8b7085bbd9bc78a06a7b970eea026e60ac29bb52aee10661a4222e6bdcdfb3839a80586e584586b4945a0043070275d9f6054307ee7348bd660849d90ff845f84325a0c1c54bdc72ce7c08821329bf50542535fac74f4bba5de5b7881118a461d52834a03a3a64878d784f9af91c2e3ab9c90f17144c47cfd9951e3588c75063c0649ecd",
            tx_hash: "abcb0fd8ebb8f62ac899e5211b9ba47fe948a8efd815229cc4ed9cd781464f15",
            sender_tx_hash_rlp: Some(
                "0x12f87b8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0b1ef845f84326a0769f0afdc310289f9b24decb5bb765c8d7a87a6a4ae28edffb8b7085bbd9bc78a06a7b970eea026e60ac29bb52aee10661a4222e6bdcdfb3839a80586e584586b4",
            ),
            sender_tx_hash: "2c4e8cd3c68a4aacae51c695e857cfc1a019037ca71d8cd1e8ca56ec4eaf55b1",
            erratum: Some(
                "the documented SenderTxHashRLP omits the memo `input` (8568656c6c6f); the documented \
                 SenderTxHash is keccak of the correct RLP (with the memo), which is what we produce",
            ),
        },
        DocVector {
            name: "TxTypeFeeDelegatedSmartContractDeployWithRatio",
            source: PFD,
            build: || kaia(deploy(), ratio()),
            sig_rlp: Some(
                "0xf90241b9023bf902382a8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}011e80018080",
            ),
            sig_hash: Some("0x000db9e2246975d7242e2fb45279ff42bc0269e544e3b1589ea78e760775cc2c"),
            signature: Some(
                "f845f84326a0cfe8dc29d31916b3f661a4774cb8d44d39ae700a9fb6ca04327f84bbe4de1486a01616e09ced403420cac1363d14e705b7a323518b1ce5124b16f06871c00ac424",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf90256b9023bf902382a8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}011e80945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0xedd4031ccfb27867cbd856192cec0a538ab25f6bc632f3075bf7be8368983cea",
                signature: "f845f84325a0e29dae81defc027f059cd6a55ff74156b9c5bdb811460f09fc8d167c01aaaea1a04eba34d4d5ebbce60e4998f03b7a4658263bb21063ddf68ad3b088d670de47c8",
            }),
            raw: "0x2af902da8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}011e80f845f84326a0cfe8dc29d31916b3f661a4774cb8d44d39ae700a9fb6ca04327f84bbe4de1486a01616e09ced403420cac1363d14e705b7a323518b1ce5124b16f06871c00ac424945a0043070275d9f6054307ee7348bd660849d90ff845f84325a0e29dae81defc027f059cd6a55ff74156b9c5bdb811460f09fc8d167c01aaaea1a04eba34d4d5ebbce60e4998f03b7a4658263bb21063ddf68ad3b088d670de47c8",
            tx_hash: "54b6f267c2dd508ffdd9d41fd6d04847ad975cede8fcd4d5af58ca959c534946",
            sender_tx_hash_rlp: Some(
                "0x2af9027e8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0bb901fe{CODE}011e80f845f84326a0cfe8dc29d31916b3f661a4774cb8d44d39ae700a9fb6ca04327f84bbe4de1486a01616e09ced403420cac1363d14e705b7a323518b1ce5124b16f06871c00ac424",
            ),
            sender_tx_hash: "57dfef9c923cba182cca00fa65d45aaf619613d843d585d3c4026a3bd0797366",
            erratum: None,
        },
        DocVector {
            name: "TxTypeFeeDelegatedSmartContractExecutionWithRatio",
            source: PFD,
            build: || kaia(exec(), ratio()),
            sig_rlp: Some(
                "0xf861b85cf85a328204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b21e018080",
            ),
            sig_hash: Some("0x1eeea77acecdd102a070ead80a00f388e039c11d813e6d4a63ec90bd0186b210"),
            signature: Some(
                "f845f84326a074ccfee18dc28932396b85617c53784ee366303bce39a2401d8eb602cf73766fa04c937a5ab9401d2cacb3f39ba8c29dbcd44588cc5c7d0b6b4113cfa7b7d9427b",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf876b85cf85a328204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b21e945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0x8a13f42530219cddb490108e38c48e7b58bc02a82f4d797d8f4d85eb16f6d6a5",
                signature: "f845f84325a04a4997524694d535976d7343c1e3a260f99ba53fcb5477e2b96216ec96ebb565a00f8cb31a35399d2b0fbbfa39f259c819a15370706c0449952c7cfc682d200d7c",
            }),
            raw: "0x32f8fc8204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b21ef845f84326a074ccfee18dc28932396b85617c53784ee366303bce39a2401d8eb602cf73766fa04c937a5ab9401d2cacb3f39ba8c29dbcd44588cc5c7d0b6b4113cfa7b7d9427b945a0043070275d9f6054307ee7348bd660849d90ff845f84325a04a4997524694d535976d7343c1e3a260f99ba53fcb5477e2b96216ec96ebb565a00f8cb31a35399d2b0fbbfa39f259c819a15370706c0449952c7cfc682d200d7c",
            tx_hash: "b204e530f2a7f010d65b6f0f7639d1e9fc8add73e3a0ff1551b11585c36d3bdb",
            sender_tx_hash_rlp: Some(
                "0x32f8a08204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a94a94f5374fce5edbc8e2a8697c15331677e6ebf0ba46353586b000000000000000000000000bc5951f055a85f41a3b62fd6f68ab7de76d299b21ef845f84326a074ccfee18dc28932396b85617c53784ee366303bce39a2401d8eb602cf73766fa04c937a5ab9401d2cacb3f39ba8c29dbcd44588cc5c7d0b6b4113cfa7b7d9427b",
            ),
            sender_tx_hash: "d5e22319cbf020d422d8ba3a07da9d99b9300826637af85b4e061805dcb2c1b0",
            erratum: None,
        },
        DocVector {
            name: "TxTypeFeeDelegatedAccountUpdateWithRatio",
            source: PFD,
            build: || kaia(update(), ratio()),
            sig_rlp: Some(
                "0xf84ab845f843228204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33d1e018080",
            ),
            sig_hash: Some("0x706ba7cd01e44008077a2abeafc3aacd64cbf210f49c64983f295a2e4cc03216"),
            signature: Some(
                "f845f84326a00e5929f96dec2b41343a9e6f0150eef08741fe7dcece88cc5936c49ed19051dca05a07b07017190e0baba32bdf6352f5a358a2798ed3c56e704a63819b87cf8e3f",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf85fb845f843228204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33d1e945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0xd2a51cefec667747890e6bd11fd068e8796b5446f77e152367eaa3cf98c96b30",
                signature: "f845f84326a0cf8d102de7c6b0a41d3f02aefb7e419522341734c98af233408298d0c424c04ba00286f89cab4668f728d7c269997116a49b80cec8776fc64e60588a9268571e35",
            }),
            raw: "0x22f8e58204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33d1ef845f84326a00e5929f96dec2b41343a9e6f0150eef08741fe7dcece88cc5936c49ed19051dca05a07b07017190e0baba32bdf6352f5a358a2798ed3c56e704a63819b87cf8e3f945a0043070275d9f6054307ee7348bd660849d90ff845f84326a0cf8d102de7c6b0a41d3f02aefb7e419522341734c98af233408298d0c424c04ba00286f89cab4668f728d7c269997116a49b80cec8776fc64e60588a9268571e35",
            tx_hash: "276f02c25ca4ced081dcfbb836755ced574993b047e648a583ed8d4144b3813f",
            sender_tx_hash_rlp: Some(
                "0x22f8898204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0ba302a1033a514176466fa815ed481ffad09110a2d344f6c9b78c1d14afc351c3a51be33d1ef845f84326a00e5929f96dec2b41343a9e6f0150eef08741fe7dcece88cc5936c49ed19051dca05a07b07017190e0baba32bdf6352f5a358a2798ed3c56e704a63819b87cf8e3f",
            ),
            sender_tx_hash: "e1d87538509549f4a1eb418f986bc53dc77b7eec3b2150f75cd787951d3e4b7f",
            erratum: None,
        },
        DocVector {
            name: "TxTypeFeeDelegatedCancelWithRatio",
            source: PFD,
            build: || kaia(KaiaKind::Cancel, ratio()),
            sig_rlp: Some("0xe4a0df3a8204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0b1e018080"),
            sig_hash: Some("0xeccd1585e8e105bc034a72190c3e9312b5407736686aa0d34b1ad75320871014"),
            signature: Some(
                "f845f84326a072efa47960bef40b536c72d7e03ceaf6ca5f6061eb8a3eda3545b1a78fe52ef5a062006ddaf874da205f08b3789e2d014ae37794890fc2e575bf75201563a24ba9",
            ),
            fee_payer: Some(FeePayerPart {
                sig_rlp: "0xf839a0df3a8204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0b1e945a0043070275d9f6054307ee7348bd660849d90f018080",
                sig_hash: "0xf71b0b22d72ef59a063a865ee844e1ba0a103d707f06fb7013b3372ed169c705",
                signature: "f845f84326a06ba5ef20c3049323fc94defe14ca162e28b86aa64f7cf497ac8a5520e9615614a04a0a0fc61c10b416759af0ce4ce5c09ca1060141d56d958af77050c9564df6bf",
            }),
            raw: "0x3af8c18204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0b1ef845f84326a072efa47960bef40b536c72d7e03ceaf6ca5f6061eb8a3eda3545b1a78fe52ef5a062006ddaf874da205f08b3789e2d014ae37794890fc2e575bf75201563a24ba9945a0043070275d9f6054307ee7348bd660849d90ff845f84326a06ba5ef20c3049323fc94defe14ca162e28b86aa64f7cf497ac8a5520e9615614a04a0a0fc61c10b416759af0ce4ce5c09ca1060141d56d958af77050c9564df6bf",
            tx_hash: "63604ebf68bfee51b2e3f54ddb2f19f9ea72d32b3fc70877324531ecda25817a",
            sender_tx_hash_rlp: Some(
                "0x3af8658204d219830f424094a94f5374fce5edbc8e2a8697c15331677e6ebf0b1ef845f84326a072efa47960bef40b536c72d7e03ceaf6ca5f6061eb8a3eda3545b1a78fe52ef5a062006ddaf874da205f08b3789e2d014ae37794890fc2e575bf75201563a24ba9",
            ),
            sender_tx_hash: "c0818be4cffbacfe29be1134e0267e10fd1afb6571f4ccc95dcc67a788bab5e7",
            erratum: None,
        },
        // ---------------------------------------------------------- ethereum.md
        DocVector {
            name: "TxTypeEthereumAccessList",
            source: ETH,
            build: || {
                Transaction::Eip2930(Eip2930Tx {
                    chain_id: 2,
                    nonce: 1234,
                    gas_price: U256::from(25),
                    gas: 1_000_000,
                    to: Some(addr(TO)),
                    value: U256::from(10),
                    input: Bytes::from(h("31323334")),
                    access_list: access_list(),
                    signature: None,
                })
            },
            sig_rlp: None,
            sig_hash: None,
            signature: None,
            fee_payer: None,
            raw: "7801f8a1028204d219830f4240947b65b75d204abed71587c9e519a89277766ee1d00a8431323334f838f7940000000000000000000000000000000000000001e1a0000000000000000000000000000000000000000000000000000000000000000001a0bfc80a874c43b71b67c68fa5927d1443407f31aef4ec6369bbecdb76fc39b0c0a0193e62c1dd63905aee7073958675dcb45d78c716a9a286b54a496e82cb762f26",
            tx_hash: "3a3ab67168de40b1f8a2141a70a4e2f551f90d7814b2fbcb3ac99ad8d8d0b641",
            sender_tx_hash_rlp: None,
            sender_tx_hash: "3a3ab67168de40b1f8a2141a70a4e2f551f90d7814b2fbcb3ac99ad8d8d0b641",
            erratum: None,
        },
        DocVector {
            name: "TxTypeEthereumDynamicFee",
            source: ETH,
            build: || {
                Transaction::Eip1559(Eip1559Tx {
                    chain_id: 2,
                    nonce: 1234,
                    max_priority_fee_per_gas: U256::from(25),
                    max_fee_per_gas: U256::from(25),
                    gas: 1_000_000,
                    to: Some(addr(TO)),
                    value: U256::from(10),
                    input: Bytes::from(h("31323334")),
                    access_list: access_list(),
                    signature: None,
                })
            },
            sig_rlp: None,
            sig_hash: None,
            signature: None,
            fee_payer: None,
            raw: "7802f8a1028204d21919830f4240947b65b75d204abed71587c9e519a89277766ee1d00a8431323334f838f7940000000000000000000000000000000000000001e1a0000000000000000000000000000000000000000000000000000000000000000080a0ca14aa0bada2da7ca1b143c16e2dd4a69f2a1e77ce54c7f6d440fe828a777f4f9f117f0f78aed398b2995b5ee7c67ace25d52be3c72c1384c2aaa9683b351556",
            tx_hash: "be74e122acf00c2f257e8698ecf01140b58b2880de3f24d0875730425eccb45a",
            sender_tx_hash_rlp: None,
            sender_tx_hash: "be74e122acf00c2f257e8698ecf01140b58b2880de3f24d0875730425eccb45a",
            erratum: None,
        },
    ]
}

/// Parses a docs "Signature" value (`rlp([[V, R, S]])`) into one triple.
fn doc_signature(s: &str) -> TxSignature {
    let bytes = h(s);
    let outer = rlp::Rlp::new(&bytes);
    assert_eq!(outer.item_count().unwrap(), 1, "one signature in {s}");
    let sig = outer.at(0).unwrap();
    let v: u64 = sig.val_at(0).unwrap();
    let r: Vec<u8> = sig.val_at(1).unwrap();
    let s_: Vec<u8> = sig.val_at(2).unwrap();
    TxSignature { v, r: U256::from_be_slice(&r), s: U256::from_be_slice(&s_) }
}

fn key(hex_key: &str) -> SigningKey {
    SigningKey::from_slice(&h(hex_key)).unwrap()
}

#[test]
fn doc_keys_match_doc_addresses() {
    assert_eq!(address_of(key(SENDER_KEY).verifying_key()), addr(FROM));
    assert_eq!(address_of(key(FEE_PAYER_KEY).verifying_key()), addr(FEE_PAYER_KEY_ADDRESS));
    // The contract code splice is the 510-byte payload announced by `b901fe`.
    assert_eq!(h(CODE).len(), 0x1fe);
}

#[test]
fn all_doc_vectors() {
    let sender_key = key(SENDER_KEY);
    let fee_payer_key = key(FEE_PAYER_KEY);
    let vectors = vectors();
    assert_eq!(vectors.len(), 21);
    for v in &vectors {
        let ctx = format!("{} [{}]", v.name, v.source);
        let mut tx = (v.build)();
        assert_eq!(tx.tx_type().kaia_name(), v.name, "{ctx}: type name");

        // Sender signing payload and hash.
        if let Some(sig_rlp) = v.sig_rlp {
            assert_eq!(hex::encode(tx.sig_rlp()), hex::encode(h(sig_rlp)), "{ctx}: SigRLP");
        }
        if let Some(sig_hash) = v.sig_hash {
            assert_eq!(tx.sig_hash(), b256(sig_hash), "{ctx}: SigHash");
        }

        // Our RFC 6979 signature must equal the documented one.
        let ours = RecoverableSig::sign_prehash(&sender_key, &tx.sig_hash()).unwrap();
        if let Some(doc) = v.signature {
            let doc = doc_signature(doc);
            let chain_id = tx.chain_id().unwrap();
            assert_eq!(TxSignature::from_recoverable(&ours, chain_id).unwrap(), doc, "{ctx}: Signature");
        }
        tx.add_sender_signature(ours).unwrap();

        // Fee payer payload, hash and signature.
        match &v.fee_payer {
            Some(fp) => {
                assert_eq!(
                    hex::encode(tx.fee_payer_sig_rlp().unwrap()),
                    hex::encode(h(fp.sig_rlp)),
                    "{ctx}: SigRLPFeePayer"
                );
                let hash = tx.fee_payer_sig_hash().unwrap();
                assert_eq!(hash, b256(fp.sig_hash), "{ctx}: SigHashFeePayer");
                let sig = RecoverableSig::sign_prehash(&fee_payer_key, &hash).unwrap();
                assert_eq!(
                    TxSignature::from_recoverable(&sig, 1).unwrap(),
                    doc_signature(fp.signature),
                    "{ctx}: SignatureFeePayer"
                );
                tx.add_fee_payer_signature(sig).unwrap();
            }
            None => assert!(tx.fee_payer_sig_rlp().is_err(), "{ctx}: not fee-delegated"),
        }

        // Raw encoding and hashes. The docs write EIP-2930/1559 in Kaia's 0x78 envelope (what
        // kaia_sendRawTransaction decodes); evlock writes the plain EIP-2718 form inside it.
        let raw = tx.raw().unwrap();
        let documented = h(v.raw);
        let documented_plain = evlock::kaia::strip_envelope(&documented);
        assert_eq!(hex::encode(&raw), hex::encode(documented_plain), "{ctx}: TxHashRLP / raw");
        if v.source == ETH {
            assert_eq!(documented[0], 0x78, "{ctx}: the docs' envelope");
            assert_eq!(Transaction::decode_raw(&documented).unwrap(), tx, "{ctx}: decode(enveloped)");
        }
        assert_eq!(tx.tx_hash().unwrap(), b256(v.tx_hash), "{ctx}: TxHash");
        if let (Some(doc_rlp), Transaction::Kaia(k)) = (v.sender_tx_hash_rlp, &tx) {
            let ours = k.sender_tx_hash_rlp().unwrap();
            if v.erratum.is_some() {
                // The documented RLP contradicts the documented hash; the
                // documented hash is the hash of our RLP.
                assert_ne!(ours, h(doc_rlp), "{ctx}: erratum still present?");
                assert_ne!(keccak256(h(doc_rlp)), b256(v.sender_tx_hash), "{ctx}");
                assert_eq!(keccak256(&ours), b256(v.sender_tx_hash), "{ctx}");
            } else {
                assert_eq!(hex::encode(ours), hex::encode(h(doc_rlp)), "{ctx}: SenderTxHashRLP");
            }
        }
        assert_eq!(tx.sender_tx_hash().unwrap(), b256(v.sender_tx_hash), "{ctx}: SenderTxHash");

        // Decoding round-trips and recovers the documented parties.
        let decoded = Transaction::decode_raw(&raw).unwrap();
        assert_eq!(decoded, tx, "{ctx}: decode(raw)");
        assert_eq!(decoded.recover_sender().unwrap(), addr(FROM), "{ctx}: sender");
        if v.fee_payer.is_some() {
            assert_eq!(decoded.fee_payer(), Some(addr(FEE_PAYER)), "{ctx}: feePayer field");
            assert_eq!(
                decoded.recover_fee_payer().unwrap(),
                addr(FEE_PAYER_KEY_ADDRESS),
                "{ctx}: fee payer key"
            );
        }

        // JSON round trip (the deploy examples use `to` and
        // humanReadable = true, which the JSON input rejects on purpose).
        let json = serde_json::to_value(&tx).unwrap();
        match serde_json::from_value::<Transaction>(json.clone()) {
            Ok(back) => assert_eq!(back, tx, "{ctx}: JSON round trip {json}"),
            Err(e) => {
                assert!(v.name.contains("SmartContractDeploy"), "{ctx}: JSON: {e}");
                assert!(e.to_string().contains("field `to`"), "{ctx}: {e}");
            }
        }
    }
}

#[test]
fn ethereum_doc_hashes_exclude_the_0x78_envelope() {
    for v in vectors().iter().filter(|v| v.source == ETH) {
        let raw = h(v.raw);
        assert_eq!(raw[0], 0x78);
        assert_eq!(keccak256(&raw[1..]), b256(v.tx_hash), "{}", v.name);
        // The documented signature (decoded from the doc's raw bytes)
        // recovers the documented sender.
        let tx = Transaction::decode_raw(&raw).unwrap();
        assert_eq!(tx.recover_sender().unwrap(), addr(FROM), "{}", v.name);
        // Written back in the plain form, whose keccak is the documented hash.
        assert_eq!(tx.raw().unwrap(), raw[1..], "{}", v.name);
        assert_eq!(Transaction::decode_raw(&raw[1..]).unwrap(), tx, "{}", v.name);
        assert_eq!(tx.tx_hash().unwrap(), b256(v.tx_hash), "{}", v.name);
    }
}
