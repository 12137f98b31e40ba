//! Candidate streams: posting lists intersected by leapfrogging, yielding accounts best rank first.

/// Account numbers in increasing (rank) order. `seek(t)` gives the first one ≥ `t`; targets
/// only grow.
pub(super) enum Stream<'a> {
    Empty,
    List { docs: &'a [u32], pos: usize },
    Or(Vec<Stream<'a>>),
    And(Vec<Stream<'a>>),
}

impl<'a> Stream<'a> {
    pub(super) fn list(docs: &'a [u32]) -> Stream<'a> {
        if docs.is_empty() {
            Stream::Empty
        } else {
            Stream::List { docs, pos: 0 }
        }
    }

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
            Stream::List { docs, pos } => {
                let rest = &docs[*pos..];
                if rest.first().is_some_and(|&d| d >= target) {
                    return rest.first().copied();
                }
                // Gallop, then binary search within the last step.
                let mut step = 1;
                while step < rest.len() && rest[step] < target {
                    step *= 2;
                }
                let low = step / 2;
                let high = step.min(rest.len());
                *pos += low + rest[low..high].partition_point(|&d| d < target);
                docs.get(*pos).copied()
            }
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
