//! What a stranger and a hostile member can do to a node's network: a key not in genesis is
//! refused before anything it sends is read; an oversized frame gets its sender dropped
//! without the frame being allocated; a listed peer's frames arrive in order, attributed to
//! its key.

use std::sync::Arc;
use std::time::Duration;

use futures::AsyncWriteExt;
use libp2p::identity::Keypair;
use libp2p::{noise, tcp, yamux, Multiaddr};
use tokio::sync::mpsc;
use tracechain_network::{
    start, Channel, NetConfig, NetEvent, NetLimits, NetworkHandle, Peer, CONSENSUS_PROTOCOL,
};
use tracechain_types::{PublicKey, SecretKey};

fn key(seed: u8) -> PublicKey {
    SecretKey::from_seed([seed; 32]).public()
}

fn limits() -> NetLimits {
    NetLimits {
        max_consensus_frame_bytes: 1024,
        redial_interval_ms: 100,
        ..NetLimits::default()
    }
}

async fn node(seed: u8, peers: Vec<Peer>) -> (NetworkHandle, mpsc::Receiver<NetEvent>, Multiaddr) {
    node_with(seed, peers, limits()).await
}

async fn node_with(
    seed: u8,
    peers: Vec<Peer>,
    limits: NetLimits,
) -> (NetworkHandle, mpsc::Receiver<NetEvent>, Multiaddr) {
    let (h, ev) = start(
        [seed; 32],
        NetConfig {
            listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
            peers,
            limits,
        },
        1024,
    )
    .unwrap();
    let addr = loop {
        if let Some(a) = h.listen_addrs().first() {
            break a.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    (h, ev, addr)
}

/// The next event matching `f`, within `secs`.
async fn next_matching(
    ev: &mut mpsc::Receiver<NetEvent>,
    secs: u64,
    mut f: impl FnMut(&NetEvent) -> bool,
) -> Option<NetEvent> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, ev.recv()).await {
            Ok(Some(e)) if f(&e) => return Some(e),
            Ok(Some(_)) => continue,
            _ => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_peers_frames_arrive_in_order_under_its_key() {
    let (a, mut a_ev, a_addr) = node(
        1,
        vec![Peer {
            key: key(2),
            addr: None,
        }],
    )
    .await;
    let (b, _b_ev, _) = node(
        2,
        vec![Peer {
            key: key(1),
            addr: Some(a_addr),
        }],
    )
    .await;
    next_matching(
        &mut a_ev,
        10,
        |e| matches!(e, NetEvent::Connected(k) if *k == key(2)),
    )
    .await
    .expect("b connects to a");
    // Wait for b's side too, then send.
    while b.connected().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for i in 0..200u32 {
        b.send(
            Channel::Consensus,
            vec![key(1)],
            Arc::new(i.to_be_bytes().to_vec()),
        );
    }
    let mut got = Vec::new();
    while got.len() < 200 {
        match next_matching(&mut a_ev, 10, |e| matches!(e, NetEvent::Frame { .. })).await {
            Some(NetEvent::Frame {
                from,
                channel,
                bytes,
                ..
            }) => {
                assert_eq!((from, channel), (key(2), Channel::Consensus));
                got.push(u32::from_be_bytes(bytes.try_into().unwrap()));
            }
            _ => panic!("only {} of 200 frames arrived", got.len()),
        }
    }
    assert_eq!(got, (0..200).collect::<Vec<_>>(), "in the order sent");
    assert_eq!(a.connected(), vec![key(2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_not_in_genesis_is_refused_and_nothing_it_sends_is_read() {
    // a lists only key 2; the stranger (key 9) lists a and dials it.
    let (a, mut a_ev, a_addr) = node(
        1,
        vec![Peer {
            key: key(2),
            addr: None,
        }],
    )
    .await;
    let (stranger, _s_ev, _) = node(
        9,
        vec![Peer {
            key: key(1),
            addr: Some(a_addr),
        }],
    )
    .await;
    let refused = next_matching(&mut a_ev, 10, |e| matches!(e, NetEvent::Refused { .. })).await;
    match refused {
        Some(NetEvent::Refused { reason }) => {
            assert!(
                reason.to_lowercase().contains("not") || !reason.is_empty(),
                "{reason}"
            )
        }
        other => panic!("the stranger's connection was not refused: {other:?}"),
    }
    // Whatever the stranger tries to send, a never hands a frame or a connection to the node.
    for _ in 0..20 {
        stranger.send(Channel::Consensus, vec![key(1)], Arc::new(vec![7; 8]));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let leaked = next_matching(&mut a_ev, 2, |e| {
        matches!(
            e,
            NetEvent::Frame { .. } | NetEvent::Connected(_) | NetEvent::SyncRequest { .. }
        )
    })
    .await;
    assert!(leaked.is_none(), "{leaked:?}");
    assert!(a.connected().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_drops_its_sender_without_being_read() {
    let (a, mut a_ev, a_addr) = node(
        1,
        vec![Peer {
            key: key(2),
            addr: None,
        }],
    )
    .await;
    // The hostile member: a raw libp2p swarm with the listed key 2 that writes a frame header
    // announcing far more than the consensus limit.
    let mut seed = [2u8; 32];
    let kp = Keypair::ed25519_from_bytes(&mut seed).unwrap();
    let a_peer = tracechain_network::peer_id_of(&key(1)).unwrap();
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(kp)
        .with_tokio()
        .with_tcp(
            tcp::Config::new(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| libp2p_stream::Behaviour::new())
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build();
    let mut control = swarm.behaviour().new_control();
    swarm.dial(a_addr).unwrap();
    tokio::spawn(async move {
        use futures::StreamExt;
        loop {
            swarm.select_next_some().await;
        }
    });
    next_matching(
        &mut a_ev,
        10,
        |e| matches!(e, NetEvent::Connected(k) if *k == key(2)),
    )
    .await
    .expect("the member connects");
    let mut stream = control
        .open_stream(a_peer, CONSENSUS_PROTOCOL)
        .await
        .unwrap();
    let announced: u32 = 512 * 1024 * 1024;
    stream.write_all(&announced.to_be_bytes()).await.unwrap();
    stream.write_all(&[0u8; 64]).await.unwrap();
    stream.flush().await.unwrap();
    let dropped = next_matching(&mut a_ev, 10, |e| {
        matches!(e, NetEvent::Dropped { .. } | NetEvent::Frame { .. })
    })
    .await;
    match dropped {
        Some(NetEvent::Dropped { peer, reason }) => {
            assert_eq!(peer, key(2));
            assert!(
                reason.contains(&format!(
                    "frame of {announced} bytes is over the limit of 1024"
                )),
                "{reason}"
            );
        }
        other => panic!("expected the member dropped, got {other:?}"),
    }
    let gone = next_matching(
        &mut a_ev,
        10,
        |e| matches!(e, NetEvent::Disconnected(k) if *k == key(2)),
    )
    .await;
    assert!(gone.is_some(), "the connection is closed");
    assert!(!a.connected().contains(&key(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_penalised_too_often_is_banned_for_a_while_then_let_back() {
    let limits = NetLimits {
        max_penalties: 3,
        ban_ms: 1500,
        ..limits()
    };
    let (a, mut a_ev, a_addr) = node_with(
        1,
        vec![Peer {
            key: key(2),
            addr: None,
        }],
        limits,
    )
    .await;
    let (_b, _b_ev, _) = node(
        2,
        vec![Peer {
            key: key(1),
            addr: Some(a_addr),
        }],
    )
    .await;
    next_matching(
        &mut a_ev,
        10,
        |e| matches!(e, NetEvent::Connected(k) if *k == key(2)),
    )
    .await
    .expect("connects");
    a.penalise(key(2), "test fault 1");
    a.penalise(key(2), "test fault 2");
    let early = next_matching(&mut a_ev, 1, |e| matches!(e, NetEvent::Dropped { .. })).await;
    assert!(early.is_none(), "two penalties are not a ban: {early:?}");
    a.penalise(key(2), "test fault 3");
    match next_matching(&mut a_ev, 5, |e| matches!(e, NetEvent::Dropped { .. })).await {
        Some(NetEvent::Dropped { peer, reason }) => {
            assert_eq!(peer, key(2));
            assert!(reason.contains("3 penalties"), "{reason}");
        }
        other => panic!("not banned: {other:?}"),
    }
    // b redials every 100 ms; while banned it is refused, then let back.
    let banned_at = std::time::Instant::now();
    next_matching(
        &mut a_ev,
        10,
        |e| matches!(e, NetEvent::Connected(k) if *k == key(2)),
    )
    .await
    .expect("let back after the ban");
    assert!(
        banned_at.elapsed() >= Duration::from_millis(1000),
        "reconnected {:?} after the ban began",
        banned_at.elapsed()
    );
}
