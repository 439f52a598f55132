//! `GET /v1/export` (ADR 0087) over a real data directory holding the demo's export flow:
//! a regulator's export replays from the genesis alone to the store's tip; nobody else reads
//! it; a range outside the chain is refused; exports over `api.max_exports` are 503 while one
//! streams.

mod common;

use common::*;
use http_body_util::BodyExt;
use tower::ServiceExt;
use tracechain_api::ReadConfig;
use tracechain_audit::export::{ExportReader, DEFAULT_MAX_FRAME_BYTES};
use tracechain_audit::{replay, ExportBlocks, ReplayOptions};

async fn get(f: &Fixture, reader: Option<&str>, target: &str) -> Answer {
    let k = reader.map(key);
    send(
        &f.router(),
        request("GET", target, vec![], k.as_ref(), NOW_MS + 60_001),
    )
    .await
}

#[tokio::test]
async fn a_regulators_export_replays_from_genesis_to_the_tip() {
    let f = build();
    let tip = f.store.tip().unwrap();
    let a = get(&f, Some("tax-regulator"), "/v1/export").await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(
        a.headers["content-type"],
        "application/vnd.tracechain.export"
    );
    let reader = ExportReader::new(a.body.as_slice(), DEFAULT_MAX_FRAME_BYTES).unwrap();
    let h = reader.header().clone();
    assert_eq!((h.from, h.to), (1, tip.height));
    assert_eq!(h.chain_id, chain());
    assert_eq!(h.genesis_hash, genesis().build().unwrap().block.hash());
    let o = replay(
        &genesis(),
        ExportBlocks::new(reader),
        ReplayOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert!(o.summary.verified, "{:?}", o.summary.failure);
    assert_eq!(o.summary.last_height, tip.height);
    assert_eq!(o.summary.state_root, tip.state_root.to_hex());

    // A part of the chain: exactly the heights asked.
    let a = get(&f, Some("customs-regulator"), "/v1/export?from=2&to=3").await;
    assert_eq!(a.status, 200);
    let mut r = ExportReader::new(a.body.as_slice(), DEFAULT_MAX_FRAME_BYTES).unwrap();
    let mut heights = vec![];
    while let Some((b, _)) = r.next_block().unwrap() {
        heights.push(b.header.height);
    }
    assert_eq!(heights, vec![2, 3]);
}

#[tokio::test]
async fn only_regulators_export_and_only_heights_of_the_chain() {
    let f = build();
    let tip = f.store.tip().unwrap().height;
    // Public, a participant of the flow, an outsider: 403.
    for reader in [None, Some("producer"), Some("bench-0-producer")] {
        let a = get(&f, reader, "/v1/export").await;
        assert_eq!(
            a.status,
            403,
            "{reader:?}: {}",
            String::from_utf8_lossy(&a.body)
        );
    }
    // Heights outside the chain, the genesis, a reversed range, a malformed query: 400.
    for target in [
        format!("/v1/export?to={}", tip + 1),
        "/v1/export?from=0".to_string(),
        "/v1/export?from=4&to=2".to_string(),
        "/v1/export?from=x".to_string(),
    ] {
        let a = get(&f, Some("customs-regulator"), &target).await;
        assert_eq!(
            a.status,
            400,
            "{target}: {}",
            String::from_utf8_lossy(&a.body)
        );
    }
}

/// Read an export's body to its end: Ok with its block count, or the reader's error.
fn read_blocks(body: &[u8]) -> Result<usize, String> {
    let mut r = ExportReader::new(body, DEFAULT_MAX_FRAME_BYTES).map_err(|e| e.to_string())?;
    let mut n = 0;
    while r.next_block().map_err(|e| e.to_string())?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// Retry a one-block export until it is served (its place freed) or 5 s pass.
async fn served_again(router: &axum::Router, k: &tracechain_types::SecretKey, ts: u64) -> Answer {
    for i in 0..250 {
        let a = send(
            router,
            request("GET", "/v1/export?to=1", vec![], Some(k), ts + i),
        )
        .await;
        if a.status != 503 {
            return a;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the export's place was not freed");
}

#[tokio::test]
async fn exports_over_the_limit_are_busy_while_one_streams() {
    let f = build();
    let tip = f.store.tip().unwrap().height;
    assert!(tip >= 3);
    let cfg = ReadConfig {
        max_exports: 1,
        export_buffer_blocks: 1,
        export_idle_ms: 1_000,
        ..ReadConfig::default()
    };
    let router = f.router_with(cfg);
    let k = key("customs-regulator");
    let open = |ts: u64| {
        router
            .clone()
            .oneshot(request("GET", "/v1/export", vec![], Some(&k), ts))
    };
    // The first export's body is not read: its reader waits on its one-block buffer.
    let first = open(NOW_MS + 60_001).await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let second = send(
        &router,
        request("GET", "/v1/export?to=1", vec![], Some(&k), NOW_MS + 60_002),
    )
    .await;
    assert_eq!(
        second.status,
        503,
        "{}",
        String::from_utf8_lossy(&second.body)
    );
    assert_eq!(second.json()["code"], "E_BUSY");
    // Read to its end, the first export is whole; its place is free again.
    let body = first.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(read_blocks(&body), Ok(tip as usize));
    let a = served_again(&router, &k, NOW_MS + 61_000).await;
    assert_eq!(a.status, 200);
    assert_eq!(read_blocks(&a.body), Ok(1));

    // A client that goes away: its export stops and frees its place.
    let gone = open(NOW_MS + 62_000).await.unwrap();
    assert_eq!(gone.status().as_u16(), 200);
    drop(gone);
    assert_eq!(served_again(&router, &k, NOW_MS + 63_000).await.status, 200);

    // A client that stays but reads nothing: after `api.export_idle_ms` its export ends
    // (without its end frame) and its place is free.
    let idle = open(NOW_MS + 64_000).await.unwrap();
    assert_eq!(idle.status().as_u16(), 200);
    let busy = send(
        &router,
        request("GET", "/v1/export?to=1", vec![], Some(&k), NOW_MS + 64_001),
    )
    .await;
    assert_eq!(busy.status, 503);
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(served_again(&router, &k, NOW_MS + 65_000).await.status, 200);
    let cut = idle.into_body().collect().await;
    let verdict = match cut {
        Ok(b) => read_blocks(&b.to_bytes()),
        Err(e) => Err(e.to_string()),
    };
    assert!(verdict.is_err(), "an idle export ended whole: {verdict:?}");
}
