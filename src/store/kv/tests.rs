//! The same checks on both backends: sled always, PostgreSQL when `PLAYBOOK_TEST_POSTGRES`
//! names a server (scripts/test.sh starts a throwaway one), each test in a database of its own.

use super::*;

/// Runs `check` on a fresh sled store and, when a test server is configured, on a fresh
/// PostgreSQL database.
fn on_both(name: &str, check: impl Fn(&Kv)) {
    let dir = tempfile::tempdir().unwrap();
    check(&Kv::open(&StoreLocation::Sled(dir.path().to_path_buf())).unwrap());
    if let Some(url) = fresh_postgres_database(name) {
        check(&Kv::open(&StoreLocation::Postgres(url)).unwrap());
    }
}

/// A new, empty database on the test server named by `PLAYBOOK_TEST_POSTGRES`, if any.
fn fresh_postgres_database(name: &str) -> Option<String> {
    let server = std::env::var("PLAYBOOK_TEST_POSTGRES").ok()?;
    Some(postgres::create_database(&server, &format!("unit_{name}")).unwrap())
}

fn keys(iter: impl Iterator<Item = Result<(IVec, IVec), StoreError>>) -> Vec<Vec<u8>> {
    iter.map(|e| e.unwrap().0.to_vec()).collect()
}

#[test]
fn ranges_prefixes_and_both_ends_follow_byte_order_across_pages() {
    on_both("kv_ranges", |kv| {
        let tree = kv.open_tree("t").unwrap();
        let other = kv.open_tree("u").unwrap();
        other.insert(b"a", b"elsewhere".to_vec()).unwrap();
        // More than one page of records (PostgreSQL fetches 256 at a time).
        let mut batch = Batch::default();
        for i in 0u32..700 {
            batch.insert(&i.to_be_bytes(), i.to_string().as_bytes());
        }
        batch.insert(b"p\x00".as_slice(), b"x".as_slice());
        batch.insert(b"p\xff".as_slice(), b"y".as_slice());
        batch.insert(b"q".as_slice(), b"z".as_slice());
        tree.apply_batch(batch).unwrap();

        let all = keys(tree.iter());
        assert_eq!(all.len(), 703);
        assert!(all.windows(2).all(|w| w[0] < w[1]), "ascending byte order");
        let mut reversed = keys(tree.iter().rev());
        reversed.reverse();
        assert_eq!(reversed, all);

        // From both ends at once: every record exactly once.
        let mut it = tree.iter();
        let mut seen = Vec::new();
        loop {
            match (it.next(), it.next_back()) {
                (None, None) => break,
                (a, b) => seen.extend(a.into_iter().chain(b).map(|e| e.unwrap().0.to_vec())),
            }
        }
        seen.sort();
        assert_eq!(seen, all);

        let from = 300u32.to_be_bytes();
        let to = 310u32.to_be_bytes();
        assert_eq!(keys(tree.range(from..to)).len(), 10);
        assert_eq!(keys(tree.range(from..=to)).len(), 11);
        assert_eq!(
            keys(tree.range(..=from)).last().unwrap().clone(),
            from.to_vec(),
            "an inclusive upper bound"
        );
        assert_eq!(
            tree.range(..=from).next_back().unwrap().unwrap().0.to_vec(),
            from.to_vec()
        );
        assert_eq!(
            keys(tree.scan_prefix(b"p")),
            vec![b"p\x00".to_vec(), b"p\xff".to_vec()]
        );
        assert_eq!(
            tree.first().unwrap().unwrap().0.to_vec(),
            0u32.to_be_bytes()
        );
        assert_eq!(tree.last().unwrap().unwrap().0.to_vec(), b"q".to_vec());
        assert_eq!(keys(other.iter()), vec![b"a".to_vec()], "trees are apart");
        assert_eq!(tree.remove(b"q").unwrap().unwrap().to_vec(), b"z".to_vec());
        assert!(tree.remove(b"q").unwrap().is_none());
        tree.clear().unwrap();
        assert!(tree.first().unwrap().is_none());
        assert!(other.contains_key(b"a").unwrap());
    });
}

#[test]
fn a_transaction_writes_all_or_nothing_and_an_abort_writes_nothing() {
    on_both("kv_transactions", |kv| {
        let a = kv.open_tree("a").unwrap();
        let b = kv.open_tree("b").unwrap();
        let done = kv.transaction(&[&a, &b], |tx| {
            tx.insert(&a, b"k", b"1")?;
            tx.insert(&b, b"k", b"2")?;
            assert_eq!(
                tx.get(&a, b"k")?.unwrap().to_vec(),
                b"1".to_vec(),
                "reads its writes"
            );
            Ok::<_, TxError<()>>(7)
        });
        assert_eq!(done.unwrap(), 7);
        let aborted = kv.transaction(&[&a, &b], |tx| {
            tx.insert(&a, b"k", b"changed")?;
            tx.remove(&b, b"k")?;
            Err::<(), _>(TxError::Abort("no"))
        });
        assert!(matches!(aborted, Err(TransactionError::Abort("no"))));
        assert_eq!(a.get(b"k").unwrap().unwrap().to_vec(), b"1".to_vec());
        assert_eq!(b.get(b"k").unwrap().unwrap().to_vec(), b"2".to_vec());

        assert!(a
            .compare_and_swap(b"new", None, Some(b"v".to_vec()))
            .unwrap());
        assert!(!a
            .compare_and_swap(b"new", None, Some(b"w".to_vec()))
            .unwrap());
        assert!(a
            .compare_and_swap(b"new", Some(b"v"), Some(b"w".to_vec()))
            .unwrap());
        a.fetch_and_update(b"new", |old| Some([old.unwrap_or_default(), b"!"].concat()))
            .unwrap();
        assert_eq!(a.get(b"new").unwrap().unwrap().to_vec(), b"w!".to_vec());
    });
}

#[test]
fn concurrent_transactions_lose_no_update_and_ids_follow_commits() {
    on_both("kv_concurrency", |kv| {
        let counter = kv.open_tree("counter").unwrap();
        let log = kv.open_tree("log").unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (kv, counter, log) = (kv.clone(), counter.clone(), log.clone());
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        kv.transaction(&[&counter, &log], |tx| {
                            let seq = tx.generate_id()? + 1;
                            let n = tx
                                .get(&counter, b"n")?
                                .map_or(0, |v| u64::from_be_bytes(v.as_ref().try_into().unwrap()));
                            tx.insert(&counter, b"n", (n + 1).to_be_bytes())?;
                            tx.insert(&log, seq.to_be_bytes(), (n + 1).to_be_bytes())?;
                            Ok::<_, TxError<()>>(())
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n = counter.get(b"n").unwrap().unwrap();
        assert_eq!(u64::from_be_bytes(n.as_ref().try_into().unwrap()), 100);
        // In sequence order the counter only grows: numbers were committed in order.
        let values: Vec<u64> = log
            .iter()
            .map(|e| u64::from_be_bytes(e.unwrap().1.as_ref().try_into().unwrap()))
            .collect();
        assert_eq!(values, (1..=100).collect::<Vec<_>>());
    });
}

#[test]
fn store_locations_tell_a_database_from_a_directory_and_hide_passwords() {
    assert_eq!(
        StoreLocation::parse("postgres://u:secret@db:5432/playbook").describe(),
        "postgres://u:***@db:5432/playbook"
    );
    assert!(matches!(
        StoreLocation::parse("postgresql://db/playbook"),
        StoreLocation::Postgres(_)
    ));
    assert!(matches!(
        StoreLocation::parse("/var/lib/playbook"),
        StoreLocation::Sled(_)
    ));
    assert_eq!(
        postgres::with_database("postgres://u@h:1/postgres?sslmode=disable", "t1"),
        "postgres://u@h:1/t1?sslmode=disable"
    );
    assert_eq!(
        postgres::with_database("postgres://u@h:1", "t1"),
        "postgres://u@h:1/t1"
    );
}

#[test]
fn calls_from_inside_an_async_runtime_do_not_block_it_forever() {
    // The web server's workers are tokio threads; store calls made there must complete.
    on_both("kv_in_runtime", |kv| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let tree = kv.open_tree("t").unwrap();
            for i in 0u32..300 {
                tree.insert(i.to_be_bytes(), b"v".to_vec()).unwrap();
                assert!(tree.get(i.to_be_bytes()).unwrap().is_some());
            }
            assert_eq!(tree.iter().count(), 300);
        });
    });
}

#[test]
fn locks_and_slots_hold_across_nodes_of_one_database() {
    let Some(url) = fresh_postgres_database("kv_locks") else {
        return;
    };
    let node_a = Kv::open(&StoreLocation::Postgres(url.clone())).unwrap();
    let node_b = Kv::open(&StoreLocation::Postgres(url)).unwrap();
    let first = node_a.try_slot(2).unwrap().expect("a slot");
    let second = node_b.try_slot(2).unwrap().expect("the other slot");
    assert!(node_a.try_slot(2).unwrap().is_none(), "both slots taken");
    assert!(node_b.try_slot(2).unwrap().is_none(), "both slots taken");
    drop(first);
    assert!(node_b.try_slot(2).unwrap().is_some(), "a slot given back");
    drop(second);

    // The writer's lock: node B waits until node A lets go.
    let held = node_a.lock(LockKey::AccountsWriter).unwrap();
    let (done, waited) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _lock = node_b.lock(LockKey::AccountsWriter).unwrap();
        done.send(()).unwrap();
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(waited.try_recv().is_err(), "B waits while A holds the lock");
    drop(held);
    waited
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("B gets the lock once A lets go");
    waiter.join().unwrap();
}
