//! Tests.

use super::*;

const CSV: &str = "id,name,region,owner,revenue,profit,collected\n\
    A,甲公司,华东,zhang.wei,1000,100,1000\n\
    B,乙公司,华东,li.na,500,50,500\n\
    C,\"丙, 公司\",华南,li.na,100,10,100\n\
    D,丁公司,华南,zhang.wei,10,1,10\n";

fn book() -> (tempfile::TempDir, AccountBook) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, AccountBook::open(store).unwrap())
}

fn no_errors(error: &RowError) {
    panic!("unexpected row error: {error}");
}

#[test]
fn an_import_is_tiered_and_the_first_account_is_strategic() {
    let (_dir, book) = book();
    let report = book
        .import_csv(CSV.as_bytes(), "import", &mut no_errors)
        .unwrap();
    assert_eq!(
        (report.imported, report.updated, report.rejected),
        (4, 0, 0)
    );
    let page = book.list(&AccountFilter::default()).unwrap();
    let tiers: Vec<(&str, &str)> = page
        .accounts
        .iter()
        .map(|r| (r.id.as_str(), r.tier.as_str()))
        .collect();
    assert_eq!(
        tiers,
        [
            ("A", "strategic"),
            ("B", "ordinary"),
            ("C", "small"),
            ("D", "small")
        ]
    );
}

#[test]
fn tiers_survive_a_restart_without_recording_changes_again() {
    let dir = tempfile::tempdir().unwrap();
    {
        let book = AccountBook::open(Store::open(dir.path()).unwrap()).unwrap();
        book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
            .unwrap();
        assert_eq!(book.recent_changes(100).unwrap().len(), 4);
    }
    let book = AccountBook::open(Store::open(dir.path()).unwrap()).unwrap();
    assert_eq!(book.recent_changes(100).unwrap().len(), 4);
    assert_eq!(book.state().summary().tiers[0].count, 1);
}

#[test]
fn the_counting_sort_by_rank_matches_a_stable_sort_with_ties_and_unscored_accounts() {
    let csv: String = std::iter::once("id,name,revenue\n".to_owned())
        .chain((0..300).map(|i| {
            // Ties (revenue repeats every 7), and every 11th account has no revenue.
            let revenue = if i % 11 == 0 {
                String::new()
            } else {
                ((i * 37) % 7).to_string()
            };
            format!("K{i:03},n,{revenue}\n")
        }))
        .collect();
    let (_dir, book) = book();
    book.import_csv(csv.as_bytes(), "import", &mut no_errors)
        .unwrap();
    let state = book.state();
    let mut expected: Vec<u32> = (0..state.len() as u32).collect();
    expected.sort_by_key(|&i| state.table.rank(i as usize));
    assert_eq!(*state.by_rank, expected);
    assert_eq!(rank_order(&state.table, state.len()), expected);
}

#[test]
fn a_renamed_tier_is_a_change_whose_old_name_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let book = AccountBook::open(Store::open(dir.path()).unwrap()).unwrap();
        book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
            .unwrap();
        // `vip` renames the first tier: A goes from `strategic` to `vip`, no order known.
        book.set_model_json(r#"{"preset":"vip"}"#, "admin").unwrap();
        let change = book.account("A", |_| true).unwrap().last_change.unwrap();
        assert_eq!(
            (change.from.as_deref(), change.to.as_str(), change.direction),
            (Some("strategic"), "vip", Direction::Changed)
        );
        assert_eq!(change.trigger, "tier_model");
        // B drops from `ordinary` (a name both models have); C stays `small`: its last
        // change is still its first.
        let b = book.account("B", |_| true).unwrap().last_change.unwrap();
        assert_eq!((b.direction, b.to.as_str()), (Direction::Down, "small"));
        let c = book.account("C", |_| true).unwrap().last_change.unwrap();
        assert_eq!((c.direction, c.seq), (Direction::New, 1));
    }
    // sled may hold the file lock for a moment after the last handle is dropped.
    let store = (0..50)
        .find_map(|_| match Store::open(dir.path()) {
            Err(StoreError::Open { .. }) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                None
            }
            result => Some(result.unwrap()),
        })
        .unwrap();
    let book = AccountBook::open(store).unwrap();
    let change = book.account("A", |_| true).unwrap().last_change.unwrap();
    assert_eq!(
        (change.from.as_deref(), change.to.as_str(), change.direction),
        (Some("strategic"), "vip", Direction::Changed)
    );
    assert_eq!(
        book.account("C", |_| true)
            .unwrap()
            .last_change
            .unwrap()
            .seq,
        1
    );
    // The restart found nothing new to record: 4 new, then A and B.
    assert_eq!(book.recent_changes(100).unwrap().len(), 6);
    let run = book.store().last_recompute().unwrap().unwrap();
    assert_eq!(
        (
            run.trigger.as_str(),
            run.up + run.down + run.new + run.changed
        ),
        ("start", 0)
    );
}

#[test]
fn importing_into_the_middle_keeps_every_account_and_its_last_change() {
    let (_dir, book) = book();
    book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
        .unwrap();
    let report = book
        .import_csv(
            "id,name,revenue\nBB,乙乙,700\nA,甲公司,1000\n0,零,1\n".as_bytes(),
            "import",
            &mut no_errors,
        )
        .unwrap();
    assert_eq!((report.imported, report.updated), (2, 1));
    let ids: Vec<String> = book
        .store()
        .list_accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(ids, ["0", "A", "B", "BB", "C", "D"]);
    assert_eq!(book.state().len(), 6);
    let bb = book.account("BB", |_| true).unwrap().last_change.unwrap();
    assert_eq!((bb.direction, bb.seq), (Direction::New, 2));
    // Every account's last change leads to the tier it is in.
    for row in book.list(&AccountFilter::default()).unwrap().accounts {
        let change = book
            .account(&row.id, |_| true)
            .unwrap()
            .last_change
            .unwrap();
        assert_eq!(change.to, row.tier, "{}", row.id);
    }
    let a = book.account("A", |_| true).unwrap();
    assert_eq!(a.account.indicators.profit, None, "replaced, not merged");
}

#[test]
fn an_override_wins_over_the_computed_tier_and_is_recorded_as_a_change() {
    let (_dir, book) = book();
    book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
        .unwrap();
    let detail = book
        .set_override(
            "D",
            OverrideRequest {
                tier: "major".into(),
                reason: "signed a framework contract".into(),
            },
            "li.na",
        )
        .unwrap();
    assert_eq!(detail.tier.tier, "major");
    assert_eq!(detail.tier.computed_tier, "small");
    let change = detail.last_change.unwrap();
    assert_eq!(
        (change.direction, change.to.as_str()),
        (Direction::Up, "major")
    );
    let detail = book.remove_override("D", "li.na").unwrap();
    assert_eq!(detail.tier.tier, "small");
    assert_eq!(detail.last_change.unwrap().direction, Direction::Down);
}

#[test]
fn the_tiers_csv_has_a_bom_a_header_and_quotes_commas() {
    let (_dir, book) = book();
    book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
        .unwrap();
    let bytes: Vec<u8> = TiersCsv::new(book.state())
        .map(|chunk| chunk.unwrap())
        .collect::<Vec<_>>()
        .concat();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("\u{feff}id,name,tier,score,rank,percentile\r\n"));
    assert!(text.contains("\r\nC,\"丙, 公司\",small,"), "{text}");
    assert_eq!(text.lines().count(), 5);
}

#[test]
fn a_preview_counts_the_moves_per_pair_and_stores_nothing() {
    let (_dir, book) = book();
    book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
        .unwrap();
    let before = book.state();
    let changes_before = book.recent_changes(100).unwrap().len();
    let preview = book
        .preview_model_json(
            r#"{"preset":"pyramid","cut":{"method":"percent_of_accounts","percents":[25,50,75]}}"#,
        )
        .unwrap();
    assert_eq!((preview.accounts, preview.moved), (4, 2));
    let moves: Vec<(&str, &str, Direction, usize, Vec<&str>)> = preview
        .moves
        .iter()
        .map(|g| {
            (
                g.from.id.as_str(),
                g.to.id.as_str(),
                g.direction,
                g.count,
                g.examples.iter().map(|e| e.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("ordinary", "major", Direction::Up, 1, vec!["乙公司"]),
            ("small", "ordinary", Direction::Up, 1, vec!["丙, 公司"]),
        ]
    );
    let counts: Vec<usize> = preview.counts.iter().map(|c| c.count).collect();
    assert_eq!(counts, [1, 1, 1, 1]);
    // Nothing stored, nothing swapped in, nothing recorded.
    let after = book.state();
    assert!(Arc::ptr_eq(&before, &after));
    assert!(book.store().tier_model().unwrap().is_none());
    assert_eq!(book.recent_changes(100).unwrap().len(), changes_before);
    assert_eq!(
        book.list(&AccountFilter::default()).unwrap().accounts[1].tier,
        "ordinary"
    );
}

#[test]
fn a_preview_of_another_preset_says_which_tiers_are_renamed() {
    let (_dir, book) = book();
    book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
        .unwrap();
    let preview = book.preview_model_json(r#"{"preset":"vip"}"#).unwrap();
    let moves: Vec<(&str, &str, Direction)> = preview
        .moves
        .iter()
        .map(|g| (g.from.id.as_str(), g.to.id.as_str(), g.direction))
        .collect();
    assert_eq!(
        moves,
        [
            ("strategic", "vip", Direction::Changed),
            ("ordinary", "small", Direction::Down)
        ]
    );
    assert_eq!(preview.tiers[0].label_zh, "VIP客户");
    // Saving the same model records exactly the moves the preview announced.
    book.set_model_json(r#"{"preset":"vip"}"#, "admin").unwrap();
    let recorded = book
        .tier_changes(&ChangeFilter {
            limit: 10,
            ..ChangeFilter::default()
        })
        .unwrap();
    assert_eq!(recorded.len(), 6);
    assert_eq!(
        recorded
            .iter()
            .take(2)
            .map(|c| c.change.account_id.as_str())
            .collect::<Vec<_>>(),
        ["B", "A"]
    );
}

#[test]
fn a_preview_of_an_invalid_model_names_the_field() {
    let (_dir, book) = book();
    let error = book
        .preview_model_json(r#"{"cut":{"method":"threshold"}}"#)
        .unwrap_err();
    match error {
        AccountsError::InvalidModel(e) => assert_eq!(e.field, "cut.thresholds"),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn tier_changes_are_filtered_by_direction_owner_and_time_with_names_and_labels() {
    let (_dir, book) = book();
    book.import_csv(CSV.as_bytes(), "import", &mut no_errors)
        .unwrap();
    book.set_model_json(r#"{"preset":"vip"}"#, "admin").unwrap();
    let filter = |direction, owner: Option<&str>| ChangeFilter {
        direction,
        owner: owner.map(str::to_owned),
        since: None,
        limit: 100,
    };
    let down = book
        .tier_changes(&filter(Some(Direction::Down), None))
        .unwrap();
    assert_eq!(down.len(), 1);
    let b = &down[0];
    assert_eq!(
        (
            b.name.as_str(),
            b.owner.as_deref(),
            b.from.as_ref().map(|t| t.label_zh.as_str()),
            b.to.label_zh.as_str()
        ),
        ("乙公司", Some("li.na"), Some("普通客户"), "小客户")
    );
    let zhang: Vec<(String, Direction)> = book
        .tier_changes(&filter(None, Some("zhang.wei")))
        .unwrap()
        .into_iter()
        .map(|c| (c.change.account_id, c.change.direction))
        .collect();
    assert_eq!(
        zhang,
        [
            ("A".to_owned(), Direction::Changed),
            ("D".to_owned(), Direction::New),
            ("A".to_owned(), Direction::New)
        ]
    );
    // A tier of an earlier model keeps its known label.
    let a = &book
        .tier_changes(&filter(Some(Direction::Changed), None))
        .unwrap()[0];
    assert_eq!(a.from.as_ref().unwrap().label_en, "Strategic");
    let future = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let since_future = ChangeFilter {
        since: Some(future),
        ..filter(None, None)
    };
    assert!(book.tier_changes(&since_future).unwrap().is_empty());
    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let since_past = ChangeFilter {
        since: Some(past),
        limit: 3,
        ..filter(None, None)
    };
    assert_eq!(book.tier_changes(&since_past).unwrap().len(), 3);
}
