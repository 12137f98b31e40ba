//! Posting lists packed in blocks of 128 account numbers: each block delta-coded and bit-packed
//! (the `bitpacking` crate, as tantivy packs its own lists), found by its last number.
//!
//! A list holding nearly every account packs into a bit or less per account instead of 32; a
//! rare list into about 20. With the generated 1M accounts of the benchmark suite the 88M
//! postings take 86 MB with their block tables instead of 353 MB. The lists are written while the build's second pass reads
//! the accounts ([`Writer`]), so the plain numbers are never held all at once: only the block
//! each list is filling (at most 128 numbers per list).
//!
//! Each run of accounts the build reads on its own thread writes its own [`Packed`] lists; a
//! list is the first run's part followed by the second's (every number of the second run is
//! greater), read by one [`Cursor`] per part.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use bitpacking::{BitPacker, BitPacker4x};

use super::build::{direct_slot, KeyHasher};
use super::candidates::Stream;

/// Account numbers per block.
pub(super) const BLOCK: usize = BitPacker4x::BLOCK_LEN;

/// Stands for "no list" in [`Postings::slot_list`].
pub(super) const NO_LIST: u32 = u32::MAX;

/// One shard of posting lists.
#[derive(Default)]
pub(super) struct Postings {
    /// Key → list number, for keys outside the direct table.
    pub(super) hashed: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    /// Direct-table slot → list number ([`NO_LIST`] for a slot no account has); empty for the
    /// shard of hashed keys.
    pub(super) slot_list: Vec<u32>,
    /// Each run's part of every list.
    pub(super) runs: [Packed; 2],
}

impl Postings {
    pub(super) fn list(&self, key: u64) -> List<'_> {
        let number = match direct_slot(key) {
            Some(slot) => self.slot_list.get(slot).copied().filter(|&n| n != NO_LIST),
            None => self.hashed.get(&key).copied(),
        };
        List {
            postings: self,
            number: number.map(|n| n as usize),
        }
    }

    pub(super) fn lists(&self) -> usize {
        self.runs[0].list_len.len()
    }

    pub(super) fn postings(&self) -> usize {
        self.runs.iter().map(Packed::postings).sum()
    }

    pub(super) fn heap_bytes(&self) -> usize {
        // A hashbrown table holds key, value and one control byte per bucket.
        self.hashed.capacity() * (8 + 4 + 1)
            + self.slot_list.capacity() * 4
            + self.runs.iter().map(Packed::heap_bytes).sum::<usize>()
    }
}

/// One posting list of a shard (possibly one no account has).
#[derive(Clone, Copy)]
pub(super) struct List<'a> {
    postings: &'a Postings,
    number: Option<usize>,
}

impl<'a> List<'a> {
    pub(super) fn len(&self) -> usize {
        self.number.map_or(0, |n| {
            self.postings.runs.iter().map(|r| r.len(n) as usize).sum()
        })
    }

    /// Whether both are the same list.
    pub(super) fn same(&self, other: &List<'_>) -> bool {
        std::ptr::eq(self.postings, other.postings) && self.number == other.number
    }

    /// The list's accounts, each run's part in turn.
    pub(super) fn stream(self) -> Stream<'a> {
        let Some(number) = self.number else {
            return Stream::Empty;
        };
        Stream::union(
            self.postings
                .runs
                .iter()
                .filter_map(|run| run.cursor(number))
                .map(Stream::Packed)
                .collect(),
        )
    }
}

/// The posting lists of one run of accounts, packed.
#[derive(Default)]
pub(super) struct Packed {
    /// The number before the run's first account, where its lists' first blocks count from
    /// (`None` for a run starting at account 0).
    base: Option<u32>,
    /// Per list: its first block; one extra entry at the end.
    list_block: Vec<u32>,
    /// Per list: how many accounts it holds.
    list_len: Vec<u32>,
    /// Per block: its last account number.
    block_last: Vec<u32>,
    /// Per block: where its bytes start in `bytes`.
    block_start: Vec<u32>,
    /// Per block: bits per packed number.
    block_bits: Vec<u8>,
    bytes: Vec<u8>,
}

impl Packed {
    /// How many accounts list `list` holds (0 for a list this run never saw).
    pub(super) fn len(&self, list: usize) -> u32 {
        self.list_len.get(list).copied().unwrap_or(0)
    }

    /// A cursor over list `list`, or `None` when it is empty in this run.
    pub(super) fn cursor(&self, list: usize) -> Option<Cursor<'_>> {
        let len = self.len(list);
        if len == 0 {
            return None;
        }
        let first = self.list_block[list] as usize;
        Some(Cursor {
            packed: self,
            first,
            end: self.list_block[list + 1] as usize,
            last_count: (len as usize - 1) % BLOCK + 1,
            block: first,
            decoded: None,
            pos: 0,
            buf: Vec::new(),
        })
    }

    pub(super) fn postings(&self) -> usize {
        self.list_len.iter().map(|&n| n as usize).sum()
    }

    pub(super) fn heap_bytes(&self) -> usize {
        (self.list_block.capacity()
            + self.list_len.capacity()
            + self.block_last.capacity()
            + self.block_start.capacity())
            * 4
            + self.block_bits.capacity()
            + self.bytes.capacity()
    }

    /// Unpacks block `block` (a block of the list whose first block is `first`) into `out`.
    fn unpack(&self, first: usize, block: usize, out: &mut [u32]) {
        let base = if block == first {
            self.base
        } else {
            Some(self.block_last[block - 1])
        };
        let start = self.block_start[block] as usize;
        BitPacker4x::new().decompress_strictly_sorted(
            base,
            &self.bytes[start..],
            out,
            self.block_bits[block],
        );
    }
}

/// Fills a run's [`Packed`] lists one account number at a time; each list's numbers must come
/// in increasing order, and exactly as many as announced.
pub(super) struct Writer {
    packed: Packed,
    /// Per list: numbers written so far.
    written: Vec<u32>,
    /// Per list: where its block in progress starts in `pending`.
    pending_start: Vec<u32>,
    pending: Vec<u32>,
}

impl Writer {
    /// A writer for lists of the given lengths, whose numbers are all greater than `base`.
    pub(super) fn new(lengths: Vec<u32>, base: Option<u32>) -> Writer {
        let mut list_block = Vec::with_capacity(lengths.len() + 1);
        let mut pending_start = Vec::with_capacity(lengths.len());
        let (mut blocks, mut pending) = (0u32, 0u32);
        for &n in &lengths {
            list_block.push(blocks);
            pending_start.push(pending);
            blocks += n.div_ceil(BLOCK as u32);
            pending += n.min(BLOCK as u32);
        }
        list_block.push(blocks);
        let blocks = blocks as usize;
        Writer {
            written: vec![0; lengths.len()],
            pending_start,
            pending: vec![0; pending as usize],
            packed: Packed {
                base,
                list_block,
                list_len: lengths,
                block_last: vec![0; blocks],
                block_start: vec![0; blocks],
                block_bits: vec![0; blocks],
                bytes: Vec::new(),
            },
        }
    }

    pub(super) fn push(&mut self, list: usize, doc: u32) {
        let n = self.written[list] as usize;
        let len = self.packed.list_len[list] as usize;
        debug_assert!(n < len, "list {list} is longer than announced");
        let fill = n % BLOCK;
        let start = self.pending_start[list] as usize;
        self.pending[start + fill] = doc;
        self.written[list] += 1;
        if fill + 1 == BLOCK || n + 1 == len {
            let numbers = &self.pending[start..start + fill + 1];
            Writer::seal(&mut self.packed, list, n / BLOCK, numbers);
        }
    }

    /// Packs the full (or last) block `index` of `list`.
    fn seal(packed: &mut Packed, list: usize, index: usize, numbers: &[u32]) {
        let first = packed.list_block[list] as usize;
        let block = first + index;
        let mut plain = [0u32; BLOCK];
        plain[..numbers.len()].copy_from_slice(numbers);
        // A short last block is padded with the following numbers: deltas of one pack into
        // no bits at all.
        for i in numbers.len()..BLOCK {
            plain[i] = plain[i - 1].saturating_add(1);
        }
        let base = if index == 0 {
            packed.base
        } else {
            Some(packed.block_last[block - 1])
        };
        let packer = BitPacker4x::new();
        let bits = packer.num_bits_strictly_sorted(base, &plain);
        let mut out = [0u8; 4 * BLOCK];
        let size = packer.compress_strictly_sorted(base, &plain, &mut out, bits);
        packed.block_last[block] = numbers[numbers.len() - 1];
        packed.block_start[block] =
            u32::try_from(packed.bytes.len()).expect("the packed lists fit in 4 GiB");
        packed.block_bits[block] = bits;
        packed.bytes.extend_from_slice(&out[..size]);
    }

    pub(super) fn finish(self) -> Packed {
        debug_assert!(
            self.written
                .iter()
                .zip(&self.packed.list_len)
                .all(|(w, n)| w == n),
            "every list got the numbers announced"
        );
        let mut packed = self.packed;
        packed.bytes.shrink_to_fit();
        packed
    }
}

/// Account numbers of one run's part of a list, in increasing order; `seek(t)` gives the first
/// one ≥ `t`, targets only grow.
pub(super) struct Cursor<'a> {
    packed: &'a Packed,
    /// The list's first block and the one after its last.
    first: usize,
    end: usize,
    /// Numbers in the list's last block.
    last_count: usize,
    /// The current block (`end` once the list is exhausted) and the position in it.
    block: usize,
    pos: usize,
    /// The block unpacked into `buf`.
    decoded: Option<usize>,
    buf: Vec<u32>,
}

impl Cursor<'_> {
    pub(super) fn seek(&mut self, target: u32) -> Option<u32> {
        let packed = self.packed;
        if self.block >= self.end {
            return None;
        }
        if packed.block_last[self.block] < target {
            // Skip every block that ends before the target.
            let rest = &packed.block_last[self.block + 1..self.end];
            self.block += 1 + rest.partition_point(|&last| last < target);
            self.pos = 0;
            if self.block >= self.end {
                return None;
            }
        }
        if self.decoded != Some(self.block) {
            self.buf.resize(BLOCK, 0);
            packed.unpack(self.first, self.block, &mut self.buf);
            self.decoded = Some(self.block);
        }
        let count = if self.block + 1 == self.end {
            self.last_count
        } else {
            BLOCK
        };
        // The block's last number is ≥ the target, so one is found.
        self.pos += self.buf[self.pos..count].partition_point(|&d| d < target);
        Some(self.buf[self.pos])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(lists: &[Vec<u32>], base: Option<u32>) -> Packed {
        let mut writer = Writer::new(lists.iter().map(|l| l.len() as u32).collect(), base);
        // Interleaved, as the build writes them: account by account.
        let mut all: Vec<(u32, usize)> = lists
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.iter().map(move |&d| (d, i)))
            .collect();
        all.sort();
        for (doc, list) in all {
            writer.push(list, doc);
        }
        writer.finish()
    }

    fn read_all(packed: &Packed, list: usize) -> Vec<u32> {
        let mut out = Vec::new();
        if let Some(mut cursor) = packed.cursor(list) {
            let mut target = 0;
            while let Some(d) = cursor.seek(target) {
                out.push(d);
                target = d + 1;
            }
        }
        out
    }

    #[test]
    fn lists_of_every_shape_read_back_as_written() {
        let lists: Vec<Vec<u32>> = vec![
            vec![],
            vec![7],
            (0..BLOCK as u32).collect(),
            (0..BLOCK as u32 + 1).map(|d| d * 3).collect(),
            (0..1000).map(|d| d * d + 5).collect(),
            (0..5000).collect(),
            vec![0, u32::MAX - BLOCK as u32],
        ];
        let p = packed(&lists, None);
        for (i, list) in lists.iter().enumerate() {
            assert_eq!(read_all(&p, i), *list, "list {i}");
            assert_eq!(p.len(i) as usize, list.len());
        }
        assert_eq!(p.postings(), lists.iter().map(Vec::len).sum::<usize>());
        // A dense list packs into far fewer bytes than its numbers.
        assert!(p.bytes.len() < 5000, "{} bytes", p.bytes.len());
    }

    #[test]
    fn a_later_run_counts_from_its_base() {
        let lists: Vec<Vec<u32>> = vec![(500..900).collect(), vec![500], vec![1_000_000]];
        let p = packed(&lists, Some(499));
        for (i, list) in lists.iter().enumerate() {
            assert_eq!(read_all(&p, i), *list, "list {i}");
        }
    }

    #[test]
    fn seeking_skips_blocks_and_never_goes_back() {
        let list: Vec<u32> = (0..10_000).map(|d| d * 2).collect();
        let p = packed(std::slice::from_ref(&list), None);
        let mut cursor = p.cursor(0).expect("a list");
        assert_eq!(cursor.seek(0), Some(0));
        assert_eq!(cursor.seek(0), Some(0));
        assert_eq!(cursor.seek(3), Some(4));
        assert_eq!(cursor.seek(5_001), Some(5_002));
        assert_eq!(cursor.seek(5_001), Some(5_002));
        assert_eq!(cursor.seek(19_998), Some(19_998));
        assert_eq!(cursor.seek(19_999), None);
        assert_eq!(cursor.seek(0), None);
        assert!(p.cursor(1).is_none());
    }
}
