//! tiers.csv, streamed in chunks from one state.

use super::*;

/// `tiers.csv`, produced in chunks from one state so a million rows stream without building
/// the whole file: UTF-8 with a byte-order mark (so Excel opens Chinese names correctly),
/// CRLF line ends, fields quoted when needed, text cells that a spreadsheet would evaluate
/// prefixed with `'` ([`text_cell`]), accounts best rank first.
pub struct TiersCsv {
    pub(super) state: Arc<TierState>,
    pub(super) next: usize,
    pub(super) header_done: bool,
}

/// Rows per chunk of [`TiersCsv`].
pub(super) const CSV_CHUNK_ROWS: usize = 2_000;

impl TiersCsv {
    pub fn new(state: Arc<TierState>) -> TiersCsv {
        TiersCsv {
            state,
            next: 0,
            header_done: false,
        }
    }

    pub(super) fn writer() -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::with_capacity(64 * 1024))
    }
}

impl Iterator for TiersCsv {
    type Item = Result<Vec<u8>, csv::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let state = &self.state;
        if self.header_done && self.next >= state.by_rank.len() {
            return None;
        }
        let mut writer = TiersCsv::writer();
        let mut prefix = Vec::new();
        if !self.header_done {
            self.header_done = true;
            prefix.extend_from_slice("\u{feff}".as_bytes());
            if let Err(e) =
                writer.write_record(["id", "name", "tier", "score", "rank", "percentile"])
            {
                return Some(Err(e));
            }
        }
        let end = (self.next + CSV_CHUNK_ROWS).min(state.by_rank.len());
        for &i in &state.by_rank[self.next..end] {
            let i = i as usize;
            let account = &state.accounts[i];
            let score = state
                .table
                .score(i)
                .map(|s| format!("{}", (s * 10_000.0).round() / 10_000.0))
                .unwrap_or_default();
            let record = [
                &*text_cell(&account.id),
                &*text_cell(&account.name),
                &*text_cell(state.tier_id(i)),
                &score,
                &state.table.rank(i).to_string(),
                &format!("{:.2}", state.table.percentile(i)),
            ];
            if let Err(e) = writer.write_record(record) {
                return Some(Err(e));
            }
        }
        self.next = end;
        Some(
            writer
                .into_inner()
                .map(|bytes| {
                    prefix.extend_from_slice(&bytes);
                    prefix
                })
                .map_err(|e| e.into_error().into()),
        )
    }
}
