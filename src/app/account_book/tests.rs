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
        .map(|a| a.id)
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
