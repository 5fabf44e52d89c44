//! Signatures per second of each signer backend, in one run, through the `Signer` trait
//! every tool uses (digest in, low-S recoverable signature out):
//!
//!     cargo bench --bench backends
//!
//! - `keystore`: the key in memory (a keystore unlocked once).
//! - `pkcs11_softhsm2`: a key on a SoftHSM2 token: `C_Sign` (CKM_ECDSA) through the PKCS#11
//!   module, then low-S normalization and trial recovery of the parity. Skipped, with the
//!   reason printed, when SoftHSM2 is not installed.
//! - `optee_core_host`: the OP-TEE client and the TA's command core joined by bytes on the
//!   host (request encoding, key load from storage, signing, response decoding): the TA's own
//!   cost, without the world switch of a real board.

use std::path::Path;
use std::sync::Mutex;

use alloy_primitives::keccak256;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use evlock::keys::SecretKey;
use evlock::keys::password::PasswordSource;
use evlock::signer::optee::{OpteeSigner, TeeClient, TeeError, TeeTransport};
use evlock::signer::{KeyAccess, KeyUri, KeystoreSigner, Signer};
use evlock_ta_core::memory::MemoryStorage;
use evlock_ta_core::{Core, Entropy, EntropyError};
use evlock_tee_proto::Command;

const KEY: &str = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";

fn bench_signer(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    signer: &dyn Signer,
) {
    let mut counter = 0u64;
    group.bench_function(name, |b| {
        b.iter(|| {
            counter += 1;
            signer.sign_digest(&keccak256(counter.to_be_bytes())).unwrap()
        })
    });
}

/// A SoftHSM2 token in `dir` with one secp256k1 key made by evlock; `None` (and why) when
/// SoftHSM2 is not installed.
fn softhsm_signer(dir: &Path) -> Result<Box<dyn Signer + Send>, String> {
    if !Path::new(SOFTHSM).exists() {
        return Err(format!("{SOFTHSM} is missing (apt-get install softhsm2)"));
    }
    std::fs::create_dir(dir.join("tokens")).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!("directories.tokendir = {}\nobjectstore.backend = file\n", dir.join("tokens").display()),
    )
    .unwrap();
    // SAFETY: set before any thread of this process reads the environment (criterion starts
    // none before the benchmark functions run, and this runs first).
    unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
    let init = std::process::Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", "bench", "--pin", "1234", "--so-pin", "5678"])
        .output()
        .map_err(|e| format!("softhsm2-util: {e}"))?;
    if !init.status.success() {
        return Err(format!("softhsm2-util: {}", String::from_utf8_lossy(&init.stderr)));
    }
    std::fs::write(dir.join("pin"), "1234\n").unwrap();
    let password = PasswordSource { file: None, no_input: true, flag: "--password-file" };
    let mut access = KeyAccess::password(password);
    access.pin.file = Some(dir.join("pin"));
    access.pkcs11_module = Some(SOFTHSM.into());
    let uri: KeyUri = "pkcs11:token=bench;object=signer".parse().unwrap();
    uri.generate(&access).map_err(|e| e.to_string())?;
    uri.open(&access).map_err(|e| e.to_string())
}

struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(buf).map_err(|_| EntropyError)
    }
}

struct HostTa(Mutex<Core<MemoryStorage, OsEntropy>>);

impl TeeTransport for HostTa {
    fn invoke(&mut self, command: Command, request: &[u8], response: &mut [u8]) -> Result<usize, TeeError> {
        let mut core = self.0.lock().unwrap();
        Ok(core.handle(command.id(), request, response).expect("a 4 KiB response buffer"))
    }
}

fn backends(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let token = softhsm_signer(dir.path());
    let mut group = c.benchmark_group("signer_backends");
    group.throughput(Throughput::Elements(1));

    let keystore = KeystoreSigner::from_key(SecretKey::from_hex(KEY).unwrap());
    bench_signer(&mut group, "keystore", &keystore);

    match &token {
        Ok(signer) => bench_signer(&mut group, "pkcs11_softhsm2", signer.as_ref()),
        Err(reason) => eprintln!("signer_backends/pkcs11_softhsm2: SKIPPED — {reason}"),
    }

    let client = TeeClient::new(HostTa(Mutex::new(Core::new(MemoryStorage::default(), OsEntropy))));
    client.generate("bench").unwrap();
    let optee = OpteeSigner::open(client, "bench").unwrap();
    bench_signer(&mut group, "optee_core_host", &optee);
    group.finish();
}

criterion_group!(benches, backends);
criterion_main!(benches);
