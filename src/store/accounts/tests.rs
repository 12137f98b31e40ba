//! Tests.

use super::*;

fn account(id: &str, revenue: i64) -> Account {
    Account {
        id: id.into(),
        name: format!("{id} 有限公司").into(),
        aliases: Vec::new(),
        industry: None,
        region: None,
        owner: None,
        indicators: Indicators {
            revenue: Some(Money::from_yuan(revenue)),
            ..Indicators::default()
        },
    }
}

fn full_account() -> Account {
    Account {
        id: "KH-001".into(),
        name: "华东星海精密有限公司".into(),
        aliases: vec!["星海精密".into(), "Xinghai".into()],
        industry: Some("制造".into()),
        region: Some("华东".into()),
        owner: Some("zhang.wei".into()),
        indicators: Indicators {
            revenue: Some(Money(12_345_678_901)),
            profit: Some(Money(-300_000)),
            collected: Some(Money(i64::MIN)),
            transactions: Some(u64::MAX),
            cooperation_years: Some(3.5),
            overdue_days: Some(u32::MAX),
            product_lines: Some(0),
            credit: Some(CreditRating::Poor),
            referral: Some(true),
            picky: Some(false),
            strict: Some(true),
            potential_customer: Some(100),
            potential_service: Some(0),
        },
    }
}

/// [`full_account`] with amounts a store of money in fen could hold (whole fen).
fn fen_account() -> Account {
    let mut account = full_account();
    account.indicators.revenue = Some(Money(12_345_678_900));
    account.indicators.collected = Some(Money(-9_223_372_036_854_775_800));
    account
}

/// An account as a layout-1 store wrote it: JSON with money as integers of fen.
fn v1_json(account: &Account) -> Vec<u8> {
    let mut json = serde_json::to_value(account).unwrap();
    for (field, money) in [
        ("revenue", account.indicators.revenue),
        ("profit", account.indicators.profit),
        ("collected", account.indicators.collected),
    ] {
        if let Some(money) = money {
            assert_eq!(money.units() % 100, 0, "whole fen");
            json["indicators"][field] = serde_json::json!(money.units() / 100);
        }
    }
    serde_json::to_vec(&json).unwrap()
}

fn record(seq: u64, trigger: &str, accounts: usize) -> RecomputeRecord {
    RecomputeRecord {
        seq,
        at: format!("2025-01-01T00:00:{seq:02}Z"),
        trigger: trigger.to_owned(),
        accounts,
        counts: Vec::new(),
        up: 0,
        down: 0,
        new: 0,
        changed: 0,
        millis: 0,
    }
}

/// Opens a store that was just closed: sled's background threads may hold its file lock
/// for a moment after the last handle is dropped.
fn reopen(dir: &std::path::Path) -> Store {
    for _ in 0..50 {
        match Store::open(dir) {
            Err(StoreError::Open { .. }) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            result => return result.unwrap(),
        }
    }
    Store::open(dir).unwrap()
}

fn no_indicators(id: &str) -> Account {
    let mut a = account(id, 1);
    a.indicators = Indicators::default();
    a
}

#[test]
fn accounts_round_trip_in_binary_with_every_field_and_with_none() {
    let accounts = [full_account(), account("b", 0), no_indicators("c")];
    let chunk = encode_account_chunk(accounts.iter());
    let mut back = Vec::new();
    decode_account_chunk(b"KH-001", &chunk, &mut back).unwrap();
    assert_eq!(back, accounts);
    // Far smaller than the JSON it replaces.
    let json = serde_json::to_vec(&full_account()).unwrap();
    let one = encode_account_chunk([full_account()].iter());
    assert!(
        one.len() * 3 < json.len(),
        "{} vs {}",
        one.len(),
        json.len()
    );
}

#[test]
fn a_corrupt_account_chunk_is_a_clear_error_not_a_panic() {
    let accounts = [full_account(), account("b", 0)];
    let chunk = encode_account_chunk(accounts.iter());
    for cut in 0..chunk.len() {
        let error = decode_account_chunk(b"KH-001", &chunk[..cut], &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("\"KH-001\"") && error.contains(ACCOUNT_CHUNKS_TREE),
            "{error}"
        );
    }
    let mut longer = chunk.clone();
    longer.push(0);
    let error = decode_account_chunk(b"KH-001", &longer, &mut Vec::new()).unwrap_err();
    assert!(error.to_string().contains("unexpected bytes"), "{error}");
    let mut newer = chunk.clone();
    newer[0] = 9;
    let error = decode_account_chunk(b"KH-001", &newer, &mut Vec::new()).unwrap_err();
    assert!(error.to_string().contains("newer playbook"), "{error}");
    let error = decode_account_chunk(b"A", &chunk, &mut Vec::new()).unwrap_err();
    assert!(
        error.to_string().contains("differs from the key"),
        "{error}"
    );
    let unordered = encode_account_chunk([account("b", 0), account("a", 0)].iter());
    let error = decode_account_chunk(b"b", &unordered, &mut Vec::new()).unwrap_err();
    assert!(error.to_string().contains("out of order"), "{error}");
}

#[test]
fn upserting_counts_new_and_updated_accounts_and_lists_them_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let counts = store
        .upsert_accounts(&[account("b", 1), account("a", 2)])
        .unwrap();
    assert_eq!(counts, UpsertCounts { new: 2, updated: 0 });
    let counts = store
        .upsert_accounts(&[account("a", 5), account("c", 1)])
        .unwrap();
    assert_eq!(counts, UpsertCounts { new: 1, updated: 1 });
    let ids: Vec<String> = store
        .list_accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let a = store.get_account("a").unwrap().unwrap();
    assert_eq!(a.indicators.revenue, Some(Money::from_yuan(5)));
    assert_eq!(store.get_account("0").unwrap(), None);
    assert_eq!(store.get_account("bb").unwrap(), None);
}

#[test]
fn upserts_split_growing_chunks_and_rewrite_only_the_chunks_they_touch() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let id = |i: usize| format!("K{i:04}");
    // Every other id, then the ones in between, then some before the first and after the
    // last: chunks grow past the maximum, split, and the first chunk's key moves.
    let evens: Vec<Account> = (10..60).step_by(2).map(|i| account(&id(i), 1)).collect();
    assert_eq!(store.upsert_accounts(&evens).unwrap().new, 25);
    let odds: Vec<Account> = (11..60).step_by(2).map(|i| account(&id(i), 2)).collect();
    assert_eq!(store.upsert_accounts(&odds).unwrap().new, 25);
    let edges: Vec<Account> = [0, 1, 2, 60, 61, 30]
        .into_iter()
        .map(|i| account(&id(i), 3))
        .collect();
    let counts = store.upsert_accounts(&edges).unwrap();
    assert_eq!(counts, UpsertCounts { new: 5, updated: 1 });

    let all = store.list_accounts().unwrap();
    let ids: Vec<String> = all.iter().map(|a| a.id.to_string()).collect();
    let expected: Vec<String> = [0, 1, 2].into_iter().chain(10..62).map(id).collect();
    assert_eq!(ids, expected);
    assert_eq!(store.count_accounts().unwrap(), expected.len());
    assert_eq!(
        store
            .get_account(&id(30))
            .unwrap()
            .unwrap()
            .indicators
            .revenue,
        Some(Money::from_yuan(3))
    );
    let keys: Vec<sled::IVec> = store
        .account_chunks
        .iter()
        .keys()
        .map(Result::unwrap)
        .collect();
    assert_eq!(keys[0].as_ref(), id(0).as_bytes());
    for (key, value) in store.account_chunks.iter().map(Result::unwrap) {
        let mut chunk = Vec::new();
        decode_account_chunk(&key, &value, &mut chunk).unwrap();
        assert!((1..=ACCOUNT_CHUNK_MAX).contains(&chunk.len()));
    }
    for i in [0, 11, 30, 59, 61] {
        assert_eq!(store.get_account(&id(i)).unwrap().unwrap().id, id(i));
    }
}

#[test]
fn the_tier_model_round_trips_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.tier_model().unwrap(), None);
    let model = TierModel::from_json(
        r#"{"preset":"vip","cut":{"method":"share_of_value","shares":[50,80,95]},"score":{"method":"scorecard"}}"#,
    )
    .unwrap();
    store.put_tier_model(&model).unwrap();
    assert_eq!(store.tier_model().unwrap(), Some(model));
    store.put_tier_model(&TierModel::default()).unwrap();
    assert_eq!(store.tier_model().unwrap(), Some(TierModel::default()));
}

/// Ids, tiers and last changes of `n` accounts: every third changed at `seq`.
struct Fixture {
    names: Vec<String>,
    accounts: Vec<Account>,
    tiers: Vec<u16>,
    last: Vec<LastChange>,
}

fn fixture(n: usize, seq: u64) -> Fixture {
    let names = vec!["strategic".to_owned(), "small".to_owned()];
    let accounts: Vec<Account> = (0..n).map(|i| account(&format!("K{i:07}"), 1)).collect();
    let tiers: Vec<u16> = (0..n).map(|i| (i % 2) as u16).collect();
    let last = (0..n)
        .map(|i| LastChange {
            seq: if i % 3 == 0 { seq } else { 1 },
            from: if i % 3 == 0 {
                1 - (i % 2) as u16
            } else {
                NO_TIER
            },
            to: (i % 2) as u16,
            direction: if i % 3 == 0 {
                Direction::Up
            } else {
                Direction::New
            },
        })
        .collect();
    Fixture {
        names,
        accounts,
        tiers,
        last,
    }
}

fn write(store: &Store, f: &Fixture, seq: u64, changed: &[u32], scope: SnapshotScope) {
    let record = record(seq, "import", f.accounts.len());
    store
        .record_recompute(&RecomputeWrite {
            record: &record,
            names: &f.names,
            accounts: &f.accounts,
            tiers: &f.tiers,
            last: &f.last,
            changed,
            snapshot: scope,
        })
        .unwrap();
}

#[test]
fn a_snapshot_larger_than_a_chunk_round_trips_shrinks_and_updates_only_changed_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // Chunk boundaries: exactly one chunk, one chunk and one entry, two chunks and a bit.
    for n in [SNAPSHOT_CHUNK, SNAPSHOT_CHUNK + 1, 2 * SNAPSHOT_CHUNK + 10] {
        let f = fixture(n, 2);
        write(&store, &f, 2, &[], SnapshotScope::Full);
        let snapshot = store.tier_snapshot().unwrap().unwrap();
        assert_eq!(snapshot.len(), n);
        assert_eq!(snapshot.names, f.names);
        assert_eq!(snapshot.tiers, f.tiers);
        assert_eq!(snapshot.last, f.last);
        assert_eq!(snapshot.id(n - 1), f.accounts[n - 1].id);
    }
    let f = fixture(5, 2);
    write(&store, &f, 3, &[], SnapshotScope::Full);
    let snapshot = store.tier_snapshot().unwrap().unwrap();
    assert_eq!(snapshot.len(), 5);
    assert_eq!(snapshot.pairs().nth(1), Some(("K0000001", "small")));
    assert_eq!(store.next_recompute_seq().unwrap(), 4);

    // Only the chunk holding a changed account is rewritten.
    let mut f = fixture(SNAPSHOT_CHUNK + 3, 4);
    write(&store, &f, 4, &[], SnapshotScope::Full);
    let changed = SNAPSHOT_CHUNK + 1;
    f.tiers[changed] = 0;
    f.tiers[0] = 1; // not reported as changed, so not rewritten
    f.last[changed] = LastChange {
        seq: 5,
        from: 1,
        to: 0,
        direction: Direction::Up,
    };
    write(
        &store,
        &f,
        5,
        &[changed as u32],
        SnapshotScope::ChangedChunks,
    );
    let snapshot = store.tier_snapshot().unwrap().unwrap();
    assert_eq!(snapshot.tiers[changed], 0);
    assert_eq!(snapshot.last[changed].seq, 5);
    assert_eq!(snapshot.tiers[0], 0, "chunk 0 was left as it was");
}

#[test]
fn recorded_changes_are_listed_newest_first_across_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let n = CHANGE_CHUNK + 5;
    let f = fixture(n, 1);
    let all: Vec<u32> = (0..n as u32).collect();
    write(&store, &f, 1, &all, SnapshotScope::Full);
    let mut f2 = fixture(n, 2);
    f2.last[7] = LastChange {
        seq: 2,
        from: 1,
        to: 0,
        direction: Direction::Up,
    };
    write(&store, &f2, 2, &[7], SnapshotScope::ChangedChunks);

    let recent = store.recent_changes(n + 10).unwrap();
    assert_eq!(recent.len(), n + 1);
    assert_eq!(
        (
            recent[0].seq,
            recent[0].account_id.as_str(),
            recent[0].trigger.as_str()
        ),
        (2, "K0000007", "import")
    );
    assert_eq!(recent[0].from.as_deref(), Some("small"));
    assert_eq!(recent[0].to, "strategic");
    assert_eq!(recent[0].at, "2025-01-01T00:00:02Z");
    // Then seq 1 from the highest id down, across the chunk boundary.
    let ids: Vec<&str> = recent[1..].iter().map(|c| c.account_id.as_str()).collect();
    let mut expected: Vec<String> = (0..n).rev().map(|i| format!("K{i:07}")).collect();
    expected.truncate(n);
    assert_eq!(ids, expected);
    assert_eq!(store.recent_changes(3).unwrap().len(), 3);
    assert_eq!(recent[n].direction, Direction::Up); // K0000000: i % 3 == 0
    assert_eq!(recent[n - 1].direction, Direction::New);
    assert_eq!(recent[n - 1].from, None);
}

#[test]
fn corrupt_chunks_are_clear_errors_not_panics() {
    let names = vec!["strategic".to_owned(), "small".to_owned()];
    let last = LastChange {
        seq: 9,
        from: 0,
        to: 1,
        direction: Direction::Down,
    };
    let snapshot = encode_snapshot_chunk(
        &names,
        [("a", 1, last), ("b", 0, LastChange::NONE)].into_iter(),
    );
    let changes = encode_change_chunk(&names, [("a", last)].into_iter());
    // Every truncation fails cleanly.
    for cut in 0..snapshot.len() {
        let mut out = TierSnapshot::default();
        assert!(decode_snapshot_chunk(&snapshot[..cut], &mut out).is_err());
    }
    for cut in 0..changes.len() {
        assert!(decode_change_chunk(&changes[..cut]).is_err());
    }
    // A tier index past the names, an unknown direction, ids out of order, a newer layout.
    let bad_tier = encode_snapshot_chunk(&names, [("a", 5, LastChange::NONE)].into_iter());
    let error = decode_snapshot_chunk(&bad_tier, &mut TierSnapshot::default()).unwrap_err();
    assert!(error.0.contains("tier"), "{error}");
    let mut bad_direction = changes.clone();
    *bad_direction.last_mut().unwrap() = 9;
    assert!(decode_change_chunk(&bad_direction)
        .unwrap_err()
        .0
        .contains("direction"));
    let unordered = encode_snapshot_chunk(
        &names,
        [("b", 0, LastChange::NONE), ("a", 0, LastChange::NONE)].into_iter(),
    );
    assert!(
        decode_snapshot_chunk(&unordered, &mut TierSnapshot::default())
            .unwrap_err()
            .0
            .contains("out of order")
    );
    let mut newer = changes.clone();
    newer[0] = 2;
    assert!(decode_change_chunk(&newer).unwrap_err().0.contains("newer"));

    // Through the store: the error names the tree and the chunk.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .tier_change_log
        .insert(change_log_key(3, 0), &changes[..changes.len() - 1])
        .unwrap();
    store
        .tier_snapshot
        .insert(snapshot_key(0), &snapshot[..5])
        .unwrap();
    let error = store.recent_changes(10).unwrap_err().to_string();
    assert!(
        error.contains("tier_change_log") && error.contains("seq 3 chunk 0"),
        "{error}"
    );
    let error = store.tier_snapshot().unwrap_err().to_string();
    assert!(
        error.contains("tier_snapshot") && error.contains("chunk 0"),
        "{error}"
    );
}

#[test]
fn a_version_1_store_is_upgraded_keeping_accounts_changes_and_last_changes() {
    let dir = tempfile::tempdir().unwrap();
    {
        // The layout of schema version 1, written by hand.
        let db = sled::open(dir.path()).unwrap();
        let meta = db.open_tree(super::super::META_TREE).unwrap();
        meta.insert(super::super::SCHEMA_VERSION_KEY, b"1").unwrap();
        let accounts = db.open_tree(V1_ACCOUNTS_TREE).unwrap();
        for a in [fen_account(), account("a", 5)] {
            accounts.insert(a.id.as_bytes(), v1_json(&a)).unwrap();
        }
        let runs = db.open_tree(TIER_RUNS_TREE).unwrap();
        let changes = db.open_tree(V1_TIER_CHANGES_TREE).unwrap();
        let by_account = db.open_tree(V1_TIER_CHANGES_BY_ACCOUNT_TREE).unwrap();
        let put = |seq: u64, id: &str, from: Option<&str>, to: &str, d: Direction| {
            let change = RecordedChange {
                seq,
                at: format!("2025-01-01T00:00:{seq:02}Z"),
                trigger: "import".to_owned(),
                account_id: id.to_owned(),
                from: from.map(str::to_owned),
                to: to.to_owned(),
                direction: d,
            };
            let mut key = seq.to_be_bytes().to_vec();
            key.extend_from_slice(id.as_bytes());
            changes
                .insert(key, serde_json::to_vec(&change).unwrap())
                .unwrap();
            let mut key = id.as_bytes().to_vec();
            key.push(0);
            key.extend_from_slice(&seq.to_be_bytes());
            by_account.insert(key, &[]).unwrap();
        };
        put(1, "KH-001", None, "small", Direction::New);
        put(1, "a", None, "strategic", Direction::New);
        put(2, "KH-001", Some("small"), "strategic", Direction::Up);
        put(2, "a", Some("strategic"), "small", Direction::Down);
        for seq in [1u64, 2] {
            runs.insert(
                seq.to_be_bytes(),
                serde_json::to_vec(&record(seq, "import", 2)).unwrap(),
            )
            .unwrap();
        }
        let snapshot = db.open_tree(TIER_SNAPSHOT_TREE).unwrap();
        snapshot
            .insert(
                b"tiers",
                serde_json::to_vec(&["strategic", "small"]).unwrap(),
            )
            .unwrap();
        let mut chunk = Vec::new();
        for (id, tier) in [("KH-001", 0u16), ("a", 1)] {
            chunk.extend_from_slice(&tier.to_le_bytes());
            chunk.extend_from_slice(&(id.len() as u16).to_le_bytes());
            chunk.extend_from_slice(id.as_bytes());
        }
        let mut key = b"c".to_vec();
        key.extend_from_slice(&0u32.to_be_bytes());
        snapshot.insert(key, chunk).unwrap();
        db.flush().unwrap();
    }

    let store = reopen(dir.path());

    let version = store
        .meta
        .get(super::super::SCHEMA_VERSION_KEY)
        .unwrap()
        .unwrap();
    assert_eq!(
        version.as_ref(),
        super::super::SCHEMA_VERSION.to_string().as_bytes()
    );
    assert_eq!(
        store.list_accounts().unwrap(),
        [fen_account(), account("a", 5)]
    );
    assert_eq!(store.account_chunks.iter().count(), 1, "one chunk");
    let recent: Vec<(u64, String, Option<String>, String)> = store
        .recent_changes(10)
        .unwrap()
        .into_iter()
        .map(|c| (c.seq, c.account_id, c.from, c.to))
        .collect();
    assert_eq!(
        recent,
        [
            (2, "a".into(), Some("strategic".into()), "small".into()),
            (2, "KH-001".into(), Some("small".into()), "strategic".into()),
            (1, "a".into(), None, "strategic".into()),
            (1, "KH-001".into(), None, "small".into()),
        ]
    );
    let snapshot = store.tier_snapshot().unwrap().unwrap();
    let pairs: Vec<(&str, &str)> = snapshot.pairs().collect();
    assert_eq!(pairs, [("KH-001", "strategic"), ("a", "small")]);
    assert_eq!(snapshot.last[1].seq, 2);
    assert_eq!(snapshot.last[1].direction, Direction::Down);
    assert_eq!(
        snapshot.names[usize::from(snapshot.last[1].from)],
        "strategic"
    );
    for old in [
        V1_ACCOUNTS_TREE,
        V1_TIER_CHANGES_TREE,
        V1_TIER_CHANGES_BY_ACCOUNT_TREE,
    ] {
        assert!(!store.kv.tree_names().unwrap().iter().any(|n| n == old));
    }
    assert!(store.tier_snapshot.get(b"tiers").unwrap().is_none());
    drop(store);
    // Opening again changes nothing.
    let store = reopen(dir.path());
    assert_eq!(store.recent_changes(10).unwrap().len(), 4);
}

#[test]
fn a_layout_3_store_keeps_its_amounts_exactly_when_money_gains_four_decimals() {
    let dir = tempfile::tempdir().unwrap();
    // Amounts as a layout-3 store held them: in fen, in a chunk of version 1.
    let mut in_fen = full_account();
    in_fen.indicators.revenue = Some(Money(123_456)); // ¥1,234.56
    in_fen.indicators.profit = Some(Money(-36_288)); // -¥362.88
    in_fen.indicators.collected = None;
    {
        let store = Store::open(dir.path()).unwrap();
        let mut chunk = encode_account_chunk([in_fen.clone(), account("z", 7)].iter());
        assert_eq!(chunk[0], ACCOUNT_CHUNK_VERSION);
        chunk[0] = ACCOUNT_CHUNK_VERSION_FEN;
        store
            .account_chunks
            .insert(in_fen.id.as_bytes(), chunk)
            .unwrap();
        store
            .meta
            .insert(super::super::SCHEMA_VERSION_KEY, b"3")
            .unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let accounts = store.list_accounts().unwrap();
    assert_eq!(accounts[0].indicators.revenue, Some(Money(12_345_600)));
    assert_eq!(accounts[0].indicators.profit, Some(Money(-3_628_800)));
    // Its 70,000 were fen (¥700) in that chunk.
    assert_eq!(accounts[1].indicators.revenue, Some(Money(7_000_000)));
    let chunk = store.account_chunks.first().unwrap().unwrap().1;
    assert_eq!(chunk[0], ACCOUNT_CHUNK_VERSION, "rewritten in the new unit");
    assert_eq!(
        store
            .meta
            .get(super::super::SCHEMA_VERSION_KEY)
            .unwrap()
            .unwrap()
            .as_ref(),
        super::super::SCHEMA_VERSION.to_string().as_bytes()
    );
    drop(store);
    // Opening again changes nothing.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.list_accounts().unwrap(), accounts);
}
