//! Candidate streams: posting lists intersected by leapfrogging, yielding accounts best rank first.

use super::postings::Cursor;

/// Account numbers in increasing (rank) order. `seek(t)` gives the first one ≥ `t`; targets
/// only grow.
pub(super) enum Stream<'a> {
    Empty,
    Packed(Cursor<'a>),
    Or(Vec<Stream<'a>>),
    And(Vec<Stream<'a>>),
}

impl<'a> Stream<'a> {
    pub(super) fn union(mut streams: Vec<Stream<'a>>) -> Stream<'a> {
        streams.retain(|s| !matches!(s, Stream::Empty));
        match streams.len() {
            0 => Stream::Empty,
            1 => streams.pop().unwrap_or(Stream::Empty),
            _ => Stream::Or(streams),
        }
    }

    pub(super) fn seek(&mut self, target: u32) -> Option<u32> {
        match self {
            Stream::Empty => None,
            Stream::Packed(cursor) => cursor.seek(target),
            Stream::Or(streams) => streams.iter_mut().filter_map(|s| s.seek(target)).min(),
            Stream::And(streams) => {
                let mut candidate = target;
                'outer: loop {
                    for stream in streams.iter_mut() {
                        let doc = stream.seek(candidate)?;
                        if doc != candidate {
                            candidate = doc;
                            continue 'outer;
                        }
                    }
                    return Some(candidate);
                }
            }
        }
    }
}
