//! HTTPS and mutual TLS between the JSON-RPC client and server, with certificates made by
//! rcgen at test time; and `evlock-relay` reporting TLS failures with exit 4.

mod common;

use common::rpc::*;
use evlock::rpc::{ClientOptions, RpcClient, RpcError, ServerError, ServerHandle, ServerOptions, start};

fn https(server: &Pem, client_ca: Option<&str>) -> ServerHandle {
    let mut options = ServerOptions::new("127.0.0.1:0".parse().unwrap());
    options.tls = Some((server.cert.clone().into_bytes(), server.key.clone().into_bytes()));
    options.client_ca = client_ca.map(|pem| pem.as_bytes().to_vec());
    start(options, FakeNode::new()).unwrap()
}

fn client(url: &str, ca: Option<&str>, identity: Option<&Pem>) -> RpcClient {
    let mut options = ClientOptions::new([url]);
    options.retries = 0;
    options.ca_cert_pem = ca.map(|pem| pem.as_bytes().to_vec());
    options.client_identity_pem =
        identity.map(|pem| (pem.cert.clone().into_bytes(), pem.key.clone().into_bytes()));
    RpcClient::new(options).unwrap()
}

fn tls_cause(error: RpcError) -> String {
    match error {
        RpcError::Tls { cause, .. } => cause,
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn https_with_the_operator_ca() {
    let pki = Pki::new();
    let server = https(&pki.server, None);
    assert!(server.url().starts_with("https://127.0.0.1:"));
    assert_eq!(client(&server.url(), Some(&pki.ca), None).chain_id().unwrap(), 31337);
    let localhost = server.url().replace("127.0.0.1", "localhost");
    assert_eq!(client(&localhost, Some(&pki.ca), None).chain_id().unwrap(), 31337);
}

#[test]
fn an_untrusted_server_certificate_is_refused() {
    let pki = Pki::new();
    let server = https(&pki.server, None);
    // Only the web roots: the test CA is unknown.
    let cause = tls_cause(client(&server.url(), None, None).chain_id().unwrap_err());
    assert!(cause.contains("UnknownIssuer"), "{cause}");
    // Another CA than the one that issued the server's certificate.
    let cause = tls_cause(client(&server.url(), Some(&pki.other_ca), None).chain_id().unwrap_err());
    assert!(cause.contains("UnknownIssuer"), "{cause}");
    // A server with a certificate from the other CA, to a client that trusts ours.
    let rogue = https(&pki.other_server, None);
    let error = client(&rogue.url(), Some(&pki.ca), None).chain_id().unwrap_err();
    assert_eq!(evlock::exit::ErrorClass::exit_code(&error).as_i32(), 4);
    assert!(tls_cause(error).contains("invalid peer certificate"));
}

#[test]
fn mutual_tls_requires_a_client_certificate_from_the_client_ca() {
    let pki = Pki::new();
    let server = https(&pki.server, Some(&pki.ca));
    let url = server.url();
    assert_eq!(client(&url, Some(&pki.ca), Some(&pki.client)).chain_id().unwrap(), 31337);

    let without = client(&url, Some(&pki.ca), None).chain_id().unwrap_err();
    let cause = tls_cause(without);
    assert!(cause.contains("CertificateRequired"), "{cause}");

    let intruder = client(&url, Some(&pki.ca), Some(&pki.other_client)).chain_id().unwrap_err();
    let cause = tls_cause(intruder);
    assert!(cause.contains("UnknownCA"), "{cause}");

    // The server goes on serving the right client.
    assert_eq!(client(&url, Some(&pki.ca), Some(&pki.client)).block_number().unwrap(), 0);
}

#[test]
fn unusable_tls_settings_are_input_errors() {
    let pki = Pki::new();
    let mut options = ClientOptions::new(["https://127.0.0.1:1/"]);
    options.ca_cert_pem = Some(pki.client.key.clone().into_bytes());
    let error = RpcClient::new(options).unwrap_err();
    assert!(matches!(error, RpcError::TlsConfig(_)), "{error}");
    assert_eq!(evlock::exit::ErrorClass::exit_code(&error).as_i32(), 2);

    let mut options = ClientOptions::new(["https://127.0.0.1:1/"]);
    options.client_identity_pem =
        Some((pki.client.cert.clone().into_bytes(), pki.other_client.key.clone().into_bytes()));
    assert!(matches!(RpcClient::new(options), Err(RpcError::TlsConfig(_))), "a key that does not match");

    let mut options = ServerOptions::new("127.0.0.1:0".parse().unwrap());
    options.client_ca = Some(pki.ca.clone().into_bytes());
    assert!(matches!(start(options, FakeNode::new()), Err(ServerError::ClientCaWithoutTls)));
}

#[test]
fn relay_over_mutual_tls() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    pki.write(dir.path());
    let server = https(&pki.server, Some(&pki.ca));
    let url = server.url();
    let base = ["rpc", "eth_chainId", "--rpc", url.as_str(), "--retries", "0"];

    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        relay(dir.path(), &args, &[], "")
    };
    let ok = with(&["--ca-cert", "ca.pem", "--client-cert", "client.pem", "--client-key", "client.key"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(lines(&ok.stdout)[0]["result"], "0x7a69");

    let no_cert = with(&["--ca-cert", "ca.pem"]);
    assert_eq!(no_cert.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&no_cert.stderr);
    assert!(
        stderr.contains(&format!("TLS with {url} failed: received fatal alert: CertificateRequired")),
        "{stderr}"
    );
    assert!(no_cert.stdout.is_empty());

    let wrong_cert = with(&[
        "--ca-cert",
        "ca.pem",
        "--client-cert",
        "other-client.pem",
        "--client-key",
        "other-client.key",
    ]);
    assert_eq!(wrong_cert.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&wrong_cert.stderr).contains("TLS with"));

    let no_ca = with(&["--client-cert", "client.pem", "--client-key", "client.key"]);
    assert_eq!(no_ca.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&no_ca.stderr).contains("UnknownIssuer"));

    // Certificates by environment, as a meter's service file would set them.
    let env = [
        ("EVLOCK_RPC_URL", url.as_str()),
        ("EVLOCK_CA_CERT", "ca.pem"),
        ("EVLOCK_CLIENT_CERT", "client.pem"),
        ("EVLOCK_CLIENT_KEY", "client.key"),
    ];
    let ok = relay(dir.path(), &["rpc", "eth_blockNumber"], &env, "");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));

    let missing = with(&["--ca-cert", "nope.pem"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--ca-cert nope.pem"));
    let half = with(&["--client-cert", "client.pem"]);
    assert_eq!(half.status.code(), Some(2), "a certificate without its key is a usage error");
}
