//! Fail-over between endpoints and retries: only transport failures are retried, never a
//! JSON-RPC error answer.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::rpc::*;
use evlock::exit::ErrorClass;
use evlock::rpc::{ClientOptions, JsonRpcError, RpcClient, RpcError, ServerOptions, start};

fn options(urls: &[&str], retries: u32) -> ClientOptions {
    let mut options = ClientOptions::new(urls.iter().copied());
    options.retries = retries;
    options.backoff = Duration::from_millis(10);
    options
}

/// A server that answers every request with the same raw HTTP response (or never answers),
/// counting requests.
fn canned(response: Option<&'static str>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut buffer = [0u8; 65536];
                let _ = stream.read(&mut buffer);
                match response {
                    Some(text) => {
                        let _ = stream.write_all(text.as_bytes());
                    }
                    None => std::thread::sleep(Duration::from_secs(5)),
                }
            });
        }
    });
    (url, hits)
}

#[test]
fn fails_over_to_the_next_endpoint_and_stays_there() {
    let node = FakeNode::new();
    let server = start(ServerOptions::new("127.0.0.1:0".parse().unwrap()), node.clone()).unwrap();
    let dead = dead_url();
    let live = server.url();
    let client = RpcClient::new(options(&[&dead, &live], 0)).unwrap();
    assert_eq!(client.current_endpoint(), dead);
    assert_eq!(client.chain_id().unwrap(), 31337);
    assert_eq!(client.current_endpoint(), live, "the working endpoint is remembered");
    assert_eq!(client.block_number().unwrap(), 0);
    assert_eq!(node.with(|s| s.calls.len()), 2);
}

#[test]
fn all_endpoints_dead_names_them_all() {
    let (a, b) = (dead_url(), dead_url());
    let client = RpcClient::new(options(&[&a, &b], 2)).unwrap();
    let error = client.chain_id().unwrap_err();
    let text = error.to_string();
    assert!(text.contains(&a) && text.contains(&b), "{text}");
    assert!(text.contains("3 attempts"), "{text}");
    assert!(matches!(error.root(), RpcError::Unreachable { .. }));
    assert_eq!(error.exit_code().as_i32(), 4);
    assert_eq!(error.error_code(), "unreachable");

    // The same through the tool.
    let dir = tempfile::tempdir().unwrap();
    let out = relay(dir.path(), &["rpc", "eth_chainId", "--rpc", &a, "--rpc", &b, "--retries", "1"], &[], "");
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("no endpoint answered ({a}, {b}; 2 attempts)")), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
}

#[test]
fn json_rpc_errors_are_never_retried_nor_failed_over() {
    let first = FakeNode::new();
    let second = FakeNode::new();
    first.with(|s| s.fail_all = Some(JsonRpcError::new(-32000, "nonce too low")));
    let a = start(ServerOptions::new("127.0.0.1:0".parse().unwrap()), first.clone()).unwrap();
    let b = start(ServerOptions::new("127.0.0.1:0".parse().unwrap()), second.clone()).unwrap();
    let client = RpcClient::new(options(&[&a.url(), &b.url()], 5)).unwrap();
    let error = client.chain_id().unwrap_err();
    assert_eq!(error.node_error().unwrap().message, "nonce too low");
    assert_eq!(first.with(|s| s.calls.len()), 1, "asked once");
    assert_eq!(second.with(|s| s.calls.len()), 0, "the node's answer stands");
}

#[test]
fn transient_http_errors_are_retried_with_backoff() {
    let (url, hits) = canned(Some(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy",
    ));
    let client = RpcClient::new(options(&[&url], 2)).unwrap();
    let error = client.chain_id().unwrap_err();
    assert!(matches!(error.root(), RpcError::Http { status: 503, .. }), "{error:?}");
    assert!(error.root().to_string().ends_with("answered HTTP 503: busy"), "{error}");
    assert_eq!(hits.load(Ordering::SeqCst), 3, "one try and two retries");
}

#[test]
fn permanent_http_errors_and_garbage_are_not_retried() {
    let (url, hits) =
        canned(Some("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    let client = RpcClient::new(options(&[&url], 3)).unwrap();
    assert!(matches!(client.chain_id().unwrap_err(), RpcError::Http { status: 401, .. }));
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    let (url, hits) = canned(Some(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\nConnection: close\r\n\r\n<html>",
    ));
    let client = RpcClient::new(options(&[&url], 3)).unwrap();
    let error = client.chain_id().unwrap_err();
    assert!(matches!(error, RpcError::Malformed { .. }), "{error}");
    assert_eq!(error.exit_code().as_i32(), 4);
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // Garbage fails over to the next endpoint.
    let node = FakeNode::new();
    let server = start(ServerOptions::new("127.0.0.1:0".parse().unwrap()), node).unwrap();
    let client = RpcClient::new(options(&[&url, &server.url()], 0)).unwrap();
    assert_eq!(client.chain_id().unwrap(), 31337);
}

#[test]
fn timeouts_are_transport_errors_and_retried() {
    let (url, hits) = canned(None);
    let mut options = options(&[&url], 1);
    options.timeout = Duration::from_millis(200);
    let client = RpcClient::new(options).unwrap();
    let error = client.chain_id().unwrap_err();
    assert!(matches!(error.root(), RpcError::Timeout { .. }), "{error:?}");
    assert_eq!(error.error_code(), "timeout");
    assert!(error.root().to_string().contains("did not answer within 200ms"), "{error}");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}
