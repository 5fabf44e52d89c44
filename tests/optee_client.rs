//! evlock's OP-TEE client (`evlock::signer::optee`) against the TA's own command core
//! (`evlock-ta-core`), joined by bytes only: the client encodes, the core decodes and answers,
//! the client decodes. This is the TA without the TEE around it (secure storage in memory,
//! entropy from the OS), so what the client and the TA say to each other is tested on every
//! machine; only the libteec transport itself needs a board.

use std::sync::{Arc, Mutex};

use alloy_primitives::{B256, keccak256};
use evlock::exit::{ErrorClass, ExitCode};
use evlock::signer::optee::{OpteeSigner, TeeClient, TeeError, TeeTransport, held_keys};
use evlock::signer::session::{Role, Session};
use evlock::signer::{Signer, SignerError};
use evlock_ta_core::memory::MemoryStorage;
use evlock_ta_core::{Core, Entropy, EntropyError};
use evlock_tee_proto::{Command, Refusal};
use serde_json::json;

struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(buf).map_err(|_| EntropyError)
    }
}

/// Every invocation's command id and request bytes, as the TA received them.
type Wire = Arc<Mutex<Vec<(u32, Vec<u8>)>>>;

/// The core behind the byte interface the TEE gives the TA.
struct InProcessTa {
    core: Arc<Mutex<Core<MemoryStorage, OsEntropy>>>,
    wire: Wire,
}

impl TeeTransport for InProcessTa {
    fn invoke(&mut self, command: Command, request: &[u8], response: &mut [u8]) -> Result<usize, TeeError> {
        self.wire.lock().unwrap().push((command.id(), request.to_vec()));
        self.core.lock().unwrap().handle(command.id(), request, response).map_err(|_| TeeError::Invoke {
            command: command.name(),
            code: 0xffff_0010,
            origin: evlock::signer::optee::Origin::TrustedApp,
        })
    }
}

/// A TA and clients of it that share its storage (as every session of the real TA does).
struct Ta {
    core: Arc<Mutex<Core<MemoryStorage, OsEntropy>>>,
    wire: Wire,
}

impl Ta {
    fn new() -> Ta {
        Ta {
            core: Arc::new(Mutex::new(Core::new(MemoryStorage::default(), OsEntropy))),
            wire: Wire::default(),
        }
    }
    fn client(&self) -> TeeClient<InProcessTa> {
        TeeClient::new(InProcessTa { core: self.core.clone(), wire: self.wire.clone() })
    }
    fn last_request(&self) -> (u32, Vec<u8>) {
        self.wire.lock().unwrap().last().cloned().unwrap()
    }
}

#[test]
fn the_client_speaks_the_bytes_the_core_expects() {
    let ta = Ta::new();
    let client = ta.client();
    client.generate("meter-1").unwrap();
    assert_eq!(ta.last_request(), (1, b"\x01\x07meter-1".to_vec()));
    client.public_key("meter-1").unwrap();
    assert_eq!(ta.last_request(), (2, b"\x01\x07meter-1".to_vec()));
    let digest = B256::repeat_byte(0x11);
    client.sign("meter-1", &digest).unwrap();
    let mut sign = b"\x01\x07meter-1\x20".to_vec();
    sign.extend_from_slice(&[0x11; 32]);
    assert_eq!(ta.last_request(), (3, sign));
    assert_eq!(client.list().unwrap(), ["meter-1"]);
    assert_eq!(ta.last_request(), (4, vec![1]));
    client.delete("meter-1").unwrap();
    assert_eq!(ta.last_request(), (5, b"\x01\x07meter-1".to_vec()));
    assert!(client.list().unwrap().is_empty());
}

#[test]
fn a_slot_key_signs_transactions_through_the_signer_trait() {
    let ta = Ta::new();
    let public = ta.client().generate("meter-1").unwrap();
    let signer = OpteeSigner::open(ta.client(), "meter-1").unwrap();
    assert_eq!(signer.address(), evlock::keys::address_of_public_key(&public));
    for n in 0..32u8 {
        let digest = keccak256([n]);
        let sig = signer.sign_digest(&digest).unwrap();
        assert_eq!(sig.recover_address(&digest).unwrap(), signer.address(), "low-S and the right key");
    }
    let message = signer.sign_message(b"certificate").unwrap();
    assert_eq!(
        message.recover_address(&evlock::signer::eip191_hash(b"certificate")).unwrap(),
        signer.address()
    );

    // The signing session evlock-sign runs, with the TA's key.
    let address = signer.address();
    let mut session = Session::new(
        Box::new(signer) as Box<dyn evlock::signer::Signer + Send>,
        Role::Sender,
        Some(31337),
        None,
        None,
    );
    let record = json!({"kind": "tx", "type": "fee_delegated_value_transfer", "chain_id": "31337", "nonce": "0",
                        "gas": "50000", "gas_price": "25000000000", "to": "0x7b65B75d204aBed71587c9E519a89277766EE1d0",
                        "value": "1", "fee_payer": "0x7b65B75d204aBed71587c9E519a89277766EE1d0"});
    let signed = session.sign_record(record, 1).unwrap();
    let raw = serde_json::to_value(&signed).unwrap()["raw"].as_str().unwrap().to_string();
    let tx = evlock::signer::session::decode_hex_tx(&raw).unwrap();
    assert_eq!(tx.recover_sender().unwrap(), address);
}

#[test]
fn list_reports_every_slot_as_a_held_key() {
    let ta = Ta::new();
    let client = ta.client();
    let b = client.generate("b").unwrap();
    let a = client.generate("a").unwrap();
    let held = held_keys(&client).unwrap();
    let uris: Vec<&str> = held.iter().map(|k| k.uri.as_str()).collect();
    assert_eq!(uris, ["optee:a", "optee:b"]);
    assert_eq!((held[0].public_key, held[1].public_key), (a, b));
    assert_eq!(held[0].address, evlock::keys::address_of_public_key(&a));
}

fn refusal(error: TeeError) -> (Refusal, String, ExitCode) {
    let text = error.to_string();
    let exit = error.exit_code();
    match error {
        TeeError::Refused { refusal, .. } => (refusal, text, exit),
        other => panic!("not a refusal: {other}"),
    }
}

#[test]
fn refusals_reach_the_user_named_and_exit_5() {
    let ta = Ta::new();
    let client = ta.client();
    client.generate("meter-1").unwrap();
    let (why, text, exit) = refusal(client.generate("meter-1").unwrap_err());
    assert_eq!((why, exit), (Refusal::SlotExists, ExitCode::Key));
    assert_eq!(
        text,
        "the trusted application refused to generate slot \"meter-1\": the slot holds a key already"
    );
    let (why, text, _) = refusal(client.public_key("other").unwrap_err());
    assert_eq!(why, Refusal::UnknownSlot);
    assert!(text.contains("slot \"other\": no key in this slot"), "{text}");
    let (why, _, _) = refusal(client.delete("other").unwrap_err());
    assert_eq!(why, Refusal::UnknownSlot);
    let (why, _, _) = refusal(client.generate("a b").unwrap_err());
    assert_eq!(why, Refusal::BadSlotName);

    // Opening a signer for an empty slot fails before anything is signed.
    let Err(error) = OpteeSigner::open(ta.client(), "empty") else { panic!("opened an empty slot") };
    let error = SignerError::from(error);
    assert_eq!((error.exit_code(), error.error_code()), (ExitCode::Key, "no_tee_key"));
}

#[test]
fn key_uris_name_slots() {
    use evlock::signer::KeyUri;
    assert_eq!("optee:meter-1".parse::<KeyUri>().unwrap(), KeyUri::Optee("meter-1".into()));
    let error = "optee:meter/1".parse::<KeyUri>().unwrap_err();
    assert!(error.to_string().contains("ASCII letters, digits"), "{error}");
    assert_eq!(error.exit_code(), ExitCode::Usage);
}

#[cfg(not(feature = "optee"))]
#[test]
fn without_the_feature_optee_keys_are_refused_with_the_way_to_get_them() {
    let error = evlock::signer::optee::connect().err().expect("no TEE client in this build");
    assert!(error.to_string().contains("--features optee"), "{error}");
    assert_eq!(error.exit_code(), ExitCode::Usage);
}
