//! Chinese + English text analysis for tantivy.
//!
//! Two analyzers share one tokenizer ([`ZhEnTokenizer`]), which runs in one of
//! two modes:
//!
//! * [`ZH_EN_TOKENIZER`] (`"zh_en"`): the **index** analyzer. Set it on the
//!   schema's text fields. `SnippetGenerator` also uses it to highlight.
//! * [`ZH_EN_QUERY_TOKENIZER`] (`"zh_en_query"`): the **query** analyzer. The
//!   `QueryParser` must use it for those fields. It reads a field's tokenizer
//!   name from the schema, so give it [`query_tokenizer_manager`], where the
//!   name `"zh_en"` maps to the query analyzer:
//!   `QueryParser::new(schema, fields, query_tokenizer_manager())`. If you use
//!   `QueryParser::for_index` instead, search still works, but less well. See
//!   "Why two modes" below.
//! * [`snippet_analyzer`] ([`ZhEnMode::Snippet`]): highlighting only, not
//!   registered on the index. Every Han bigram, no jieba: query-mode Han
//!   tokens are bigrams, so it finds them a few times cheaper than the index
//!   analyzer; `crate::search::index` falls back to the index analyzer when it
//!   highlights nothing.
//!
//! # Pipeline
//!
//! 1. **Normalisation**. Each character maps to exactly one character. Three
//!    steps run in order:
//!    * full-width → half-width (`Ａ`→`a`, `１`→`1`, `，`→`,`, U+3000 → space);
//!    * lower-casing;
//!    * Traditional → Simplified Chinese with [`fast2s`] (`銷`→`销`,
//!      `戶`→`户`). This is a character-level table plus a few two-character
//!      context rules. A short list ([`KEEP_AS_IS`]) stays unchanged: those
//!      characters are standard in Simplified text, and the table would fold
//!      them wrongly (`捍`→`扞`, `彷`→`仿`, `阪`→`坂`, …).
//!
//!    Since the mapping is one char to one char, the tokenizer keeps a
//!    per-character table of byte offsets into both the original and the
//!    normalised text. So `offset_from`/`offset_to` always point into the
//!    **original** text, even where normalisation changed byte lengths. A
//!    full-width `Ａ` is 3 bytes in the original and 1 byte once normalised.
//! 2. **Runs**. The normalised text splits into runs of Han characters and runs
//!    of other alphanumeric characters (Latin letters, digits, …). Everything
//!    else separates tokens. So `KA渠道` is `ka` + `渠道`, `30天` is `30` + `天`,
//!    `VIP客户` is `vip` + `客户`.
//! 3. **Latin runs** become one token each, stemmed with tantivy's own
//!    [`Stemmer`] filter (English Snowball, rust-stemmers): "negotiations",
//!    "negotiating" and "negotiation" all become `negoti`. Numbers stay as
//!    tokens. The tokenizer applies the filter to Latin tokens only, through
//!    a `Stemmer`-over-`RawTokenizer` it owns. As a filter after the
//!    tokenizer, it would also run Snowball on every CJK token, which doubled
//!    the analyzer's cost for no effect.
//! 4. **Han runs** go to jieba (`cut`, HMM on). jieba loads once into a
//!    `LazyLock`, with the [`DOMAIN_WORDS`] added on top.
//!    * Index mode emits every word. For words longer than two characters it
//!      also emits every character bigram inside the word, plus every
//!      dictionary word of three or more characters inside it. That is a
//!      superset of jieba's search mode (`cut_for_search` only adds the
//!      bigrams and trigrams that are in the dictionary). So `售后服务` gives
//!      `售后`, `后服`, `服务` and `售后服务`.
//!    * Query mode emits words of one or two characters as they are. It cuts a
//!      longer word into bigrams that do not overlap: `客户分级` → `客户` `分级`,
//!      `售后服务` → `售后` `服务`. An odd-length word ends with an overlapping
//!      bigram: `大客户` → `大客` `客户`. If the word splits into shorter
//!      dictionary words, each piece is tiled on its own, so no tile crosses
//!      the word's internal boundary: `满意度回访` → `满意度|回访` →
//!      `满意` `意度` `回访`.
//!
//! # Positions
//!
//! A Latin token takes one position. Inside a Han run, every **character**
//! takes one position, and a token's position is that of its first character.
//! Index mode and query mode count positions the same way, and separators
//! (spaces, punctuation, emoji) take none. So the query `"回款 催收"` (`回款`@0,
//! `催收`@2) matches the text `回款催收`, where the bigrams `回款`@k and
//! `催收`@k+2 are indexed. Positions never decrease, and no term appears twice
//! at the same position, which tantivy's position encoding needs.
//!
//! # Why two modes
//!
//! jieba cuts the same characters differently in different contexts. So the
//! design must not depend on the query being cut the way the document was.
//! tantivy's `QueryParser` turns a query word that gives several tokens into a
//! *phrase* query, where every token must sit at its exact relative position.
//! So every extra query token is an extra condition. The query side therefore
//! sends only tokens that the index side is sure to have stored:
//!
//! * If the query word lies inside one document word, at least as long as
//!   itself, index mode stored every bigram of it, at positions one character
//!   apart. The query's bigrams always match. This is the requirement "a query
//!   for a two-character word must find documents that contain it inside a
//!   longer word": `服务` finds `售后服务体系`, and `客户` finds `大客户管理`.
//! * If the query word covers several document words, the bigrams still match
//!   wherever the cut points line up. Example: the query `客户分级` (one word
//!   in the custom dictionary) matches the text `客户 分级`.
//!
//! Sending the whole word would always fail in the second case. It would also
//! fail in the first case whenever the word is not in the dictionary, because
//! only dictionary words are indexed inside longer words.
//!
//! Because the tiles sit at exact positions, a phrase of bigrams still means
//! "these characters, in this order". So precision stays at the level of a
//! substring match.
//!
//! Known limits: a one-character query token only matches a one-character
//! *word* in the document. `天` does not match inside `今天`, because we do not
//! index unigrams of every character: that would double the size of the
//! index. And jieba may cut an odd-length query word in a way that the
//! document text never contains. For example, `大客` may be missing if the
//! document reads `大/客户`. The custom dictionary keeps the domain terms
//! whole on both sides, which makes this rare.
//!
//! # Stop words
//!
//! Only the Chinese function characters 的 了 和 与 及 是 在 are dropped, and
//! only when jieba cuts them as one-character words. (`了解`, `现在`, `参与`
//! are kept.) A dropped word still takes its position, on both the index and
//! query sides. Phrases therefore stay consistent: `VIP客户的回款` is
//! `vip`@0 `客户`@1 `回款`@4, whichever side produced it.
//!
//! English stop words are **not** dropped. In this domain they clash with real
//! terms: `A类客户` (tier A customers) would lose its `a`, and `IT部门` its
//! `it`. BM25 already gives very common words little weight.

use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{
    Language, RawTokenizer, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer, TokenizerManager,
};

/// Name of the index-time analyzer (set it on the schema's text fields).
pub const ZH_EN_TOKENIZER: &str = "zh_en";

/// Name of the query-time analyzer (see the module docs, and
/// [`query_tokenizer_manager`] for using it with `QueryParser`).
pub const ZH_EN_QUERY_TOKENIZER: &str = "zh_en_query";

/// Sales-domain terms added to jieba's dictionary, so that they are cut as
/// one word at both index and query time.
pub const DOMAIN_WORDS: &[&str] = &[
    "客户分级",
    "回款催收",
    "大客户",
    "三板斧",
    "样板点",
    "经验萃取",
    "复盘",
    "招投标",
    "满意度回访",
    "客户金字塔",
    "二八法则",
    "二八定律",
    "高层拜访",
    "交叉销售",
    "追加销售",
    "帕累托",
    "回款",
    "催收",
    "回款率",
    "账期",
    "商机",
    "痛点",
    "决策链",
    "关键人",
    "关键决策人",
    "客户画像",
    "客户旅程",
    "客户成功",
    "客单价",
    "复购",
    "复购率",
    "增购",
    "续约",
    "转介绍",
    "赢单",
    "丢单",
    "签单",
    "打单",
    "销售漏斗",
    "标杆客户",
    "样板客户",
    "大客户经理",
    "顾问式销售",
    "解决方案销售",
    "异议处理",
    "竞品分析",
    "价值主张",
    "电梯演讲",
    "陌拜",
    "售前",
    "售后",
];

/// Characters that `fast2s` maps but which are standard characters in
/// Simplified Chinese, so folding them would corrupt Simplified text (and
/// jieba's segmentation of it): e.g. 捍卫 → 扞卫, 彷徨 → 仿徨, 大阪 → 大坂.
pub const KEEP_AS_IS: &[char] = &[
    '磐', '疋', '仝', '祗', '黏', '阪', '矽', '薰', '吒', '捍', '彷', '煅', '醯', '呵', '呱',
];

/// Tokens of this many bytes or more are dropped (base64 blobs, hashes, …).
/// 64 bytes is 21 CJK characters, far more than any jieba word.
const MAX_TOKEN_BYTES: usize = 64;

/// Longest dictionary word looked for inside a longer word, in characters: a longer one would
/// make a token of [`MAX_TOKEN_BYTES`] or more, which is dropped anyway.
const MAX_DICTIONARY_WORD_CHARS: usize = MAX_TOKEN_BYTES / 3;

/// Buffers grown past this many elements by a huge document are released
/// instead of being kept for the next document.
const RETAINED_BUFFER_LIMIT: usize = 1 << 20;

static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    // Shorter words first: `add_word` without a frequency computes one that
    // makes the word win over its current segmentation, so components must
    // already have their final frequency when a compound is added.
    let mut words: Vec<&str> = DOMAIN_WORDS.to_vec();
    words.sort_by_key(|w| w.chars().count());
    for word in words {
        jieba.add_word(word, None, None);
    }
    jieba
});

/// Registers [`ZH_EN_TOKENIZER`] (index analyzer) and [`ZH_EN_QUERY_TOKENIZER`]
/// (query analyzer) on `manager`, typically `index.tokenizers()`.
///
/// Also loads jieba's dictionary now (a few hundred ms, once per process) so
/// the first indexed document or query does not pay for it.
pub fn register_tokenizers(manager: &TokenizerManager) {
    warm_up();
    manager.register(ZH_EN_TOKENIZER, index_analyzer());
    manager.register(ZH_EN_QUERY_TOKENIZER, query_analyzer());
}

/// A fresh tokenizer manager for `QueryParser::new`: tantivy's defaults, plus
/// [`ZH_EN_TOKENIZER`] **mapped to the query analyzer** (and
/// [`ZH_EN_QUERY_TOKENIZER`] too). The query parser looks analyzers up by the
/// name stored in the schema, so this is how it gets query-mode analysis.
///
/// Do not hand this manager to the `Index`: documents must be indexed with
/// [`index_analyzer`].
pub fn query_tokenizer_manager() -> TokenizerManager {
    let manager = TokenizerManager::default();
    register_tokenizers(&manager);
    manager.register(ZH_EN_TOKENIZER, query_analyzer());
    manager
}

/// The index-time analyzer registered as [`ZH_EN_TOKENIZER`].
pub fn index_analyzer() -> TextAnalyzer {
    build_analyzer(ZhEnTokenizer::for_index())
}

/// The query-time analyzer registered as [`ZH_EN_QUERY_TOKENIZER`].
pub fn query_analyzer() -> TextAnalyzer {
    build_analyzer(ZhEnTokenizer::for_query())
}

/// The highlighting analyzer ([`ZhEnMode::Snippet`]): not registered on the
/// index, handed to the snippet generator directly.
pub fn snippet_analyzer() -> TextAnalyzer {
    build_analyzer(ZhEnTokenizer::new(ZhEnMode::Snippet))
}

fn build_analyzer(tokenizer: ZhEnTokenizer) -> TextAnalyzer {
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .build()
}

/// tantivy's English `Stemmer` filter over a tokenizer that emits its whole
/// input as one token: stems one Latin word at a time.
type LatinStemmer = <Stemmer as TokenFilter>::Tokenizer<RawTokenizer>;

fn latin_stemmer() -> LatinStemmer {
    Stemmer::new(Language::English).transform(RawTokenizer::default())
}

/// `text` folded as the analysers fold it before cutting words (full width to ASCII, lower
/// case, Traditional to Simplified), one character for each character of `text`, so a match
/// found in the folded text is at the same character positions in `text`.
pub fn fold(text: &str) -> String {
    let mut buffers = Buffers::default();
    normalize(text, &mut buffers);
    buffers.norm
}

/// Loads jieba's dictionary if it is not loaded yet.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// Which token set a [`ZhEnTokenizer`] produces for Han text (see module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZhEnMode {
    /// Words, plus the bigrams and dictionary sub-words inside longer words.
    Index,
    /// Words of up to two characters, longer words cut into bigrams that do
    /// not overlap.
    Query,
    /// Highlighting only: every character bigram of a Han run, without jieba
    /// (a few times cheaper). Query mode's Han tokens are bigrams, so every
    /// one that occurs in the text is found; a one-character query word is
    /// not (the caller falls back to index mode when nothing is highlighted).
    Snippet,
}

/// Chinese + English tokenizer; see the module documentation.
///
/// Shaped like tantivy's `SimpleTokenizer`: the tokenizer owns the `Token`
/// (and reusable buffers) and lends them to the [`ZhEnTokenStream`].
#[derive(Clone)]
pub struct ZhEnTokenizer {
    mode: ZhEnMode,
    token: Token,
    buffers: Buffers,
    stemmer: LatinStemmer,
}

impl std::fmt::Debug for ZhEnTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZhEnTokenizer")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Per-document working memory, kept between documents to avoid allocating.
#[derive(Clone, Debug, Default)]
struct Buffers {
    /// Text after width folding and lower-casing (input to `fast2s`).
    folded: String,
    /// Fully normalised text.
    norm: String,
    /// `orig_byte[i]` is the byte offset in the original text of character
    /// `i`; one extra entry holds the text's length.
    orig_byte: Vec<usize>,
    /// Same as `orig_byte`, for `norm`.
    norm_byte: Vec<usize>,
    /// Tokens of the current Han run, in emission order.
    pending: Vec<Pending>,
}

/// A token of a Han run: characters `start..end` (indices into the
/// per-character tables) at `position`.
#[derive(Clone, Copy, Debug)]
struct Pending {
    start: usize,
    end: usize,
    position: usize,
}

impl ZhEnTokenizer {
    /// Tokenizer for indexing (what [`ZH_EN_TOKENIZER`] uses).
    pub fn for_index() -> Self {
        Self::new(ZhEnMode::Index)
    }

    /// Tokenizer for queries (what [`ZH_EN_QUERY_TOKENIZER`] uses).
    pub fn for_query() -> Self {
        Self::new(ZhEnMode::Query)
    }

    /// Tokenizer in the given mode.
    pub fn new(mode: ZhEnMode) -> Self {
        Self {
            mode,
            token: Token::default(),
            buffers: Buffers::default(),
            stemmer: latin_stemmer(),
        }
    }

    /// The mode this tokenizer runs in.
    pub fn mode(&self) -> ZhEnMode {
        self.mode
    }
}

impl Default for ZhEnTokenizer {
    fn default() -> Self {
        Self::for_index()
    }
}

impl Tokenizer for ZhEnTokenizer {
    type TokenStream<'a> = ZhEnTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhEnTokenStream<'a> {
        self.token.reset();
        let buffers = &mut self.buffers;
        normalize(text, buffers);
        release_if_huge(&mut buffers.pending);
        buffers.pending.clear();
        ZhEnTokenStream {
            mode: self.mode,
            norm: &buffers.norm,
            orig_byte: &buffers.orig_byte,
            norm_byte: &buffers.norm_byte,
            pending: &mut buffers.pending,
            pending_next: 0,
            cursor: 0,
            slot: 0,
            token: &mut self.token,
            stemmer: &mut self.stemmer,
        }
    }
}

/// Token stream produced by [`ZhEnTokenizer`].
pub struct ZhEnTokenStream<'a> {
    mode: ZhEnMode,
    norm: &'a str,
    orig_byte: &'a [usize],
    norm_byte: &'a [usize],
    /// Tokens of the Han run being emitted, and the index of the next one.
    pending: &'a mut Vec<Pending>,
    pending_next: usize,
    /// Next character to scan.
    cursor: usize,
    /// Position of the next Latin token / first character of the next Han run.
    slot: usize,
    token: &'a mut Token,
    stemmer: &'a mut LatinStemmer,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CharClass {
    Han,
    Word,
    Separator,
}

impl<'a> ZhEnTokenStream<'a> {
    /// Number of characters in the text.
    fn char_count(&self) -> usize {
        self.norm_byte.len().saturating_sub(1)
    }

    /// Normalised text of characters `start..end`.
    fn norm_slice(&self, start: usize, end: usize) -> &'a str {
        match (self.norm_byte.get(start), self.norm_byte.get(end)) {
            (Some(&from), Some(&to)) => self.norm.get(from..to).unwrap_or(""),
            _ => "",
        }
    }

    fn class_at(&self, index: usize) -> CharClass {
        self.norm_byte
            .get(index)
            .and_then(|&byte| self.norm.get(byte..))
            .and_then(|rest| rest.chars().next())
            .map_or(CharClass::Separator, classify)
    }

    /// Fills `self.token` with characters `start..end` at `position`,
    /// spanning `position_length` positions.
    fn set_token(&mut self, start: usize, end: usize, position: usize, position_length: usize) {
        let offset_from = self.orig_byte.get(start).copied().unwrap_or(0);
        let offset_to = self.orig_byte.get(end).copied().unwrap_or(offset_from);
        let text = self.norm_slice(start, end);
        self.token.text.clear();
        self.token.text.push_str(text);
        self.token.offset_from = offset_from;
        self.token.offset_to = offset_to;
        self.token.position = position;
        self.token.position_length = position_length;
    }

    /// Segments the Han run of characters `start..end` into `self.pending`.
    fn segment_han_run(&mut self, run_start: usize, run_end: usize) {
        self.pending.clear();
        self.pending_next = 0;
        let run = self.norm_slice(run_start, run_end);
        if run.is_empty() {
            return;
        }
        let base_slot = self.slot;
        if self.mode == ZhEnMode::Snippet {
            for i in run_start..run_end.saturating_sub(1) {
                self.pending.push(Pending {
                    start: i,
                    end: i + 2,
                    position: base_slot + (i - run_start),
                });
            }
            return;
        }
        for word in JIEBA.cut(run, true) {
            let start = run_start + word.start;
            let end = run_start + word.end;
            if start >= end || end > run_end {
                continue; // never happens: jieba's tokens tile the run
            }
            let len = end - start;
            let at = |s: usize, e: usize| Pending {
                start: s,
                end: e,
                position: base_slot + (s - run_start),
            };
            if len == 1 {
                if !is_stop_word(word.word) {
                    self.pending.push(at(start, end));
                }
                continue;
            }
            match self.mode {
                ZhEnMode::Index => {
                    self.pending.push(at(start, end));
                    if len >= 3 {
                        for i in start..end - 1 {
                            self.pending.push(at(i, i + 2));
                            // Dictionary words of 3..len-1 characters inside
                            // the word (jieba's search mode stops at 3).
                            // Bounded by the longest dictionary word: a run jieba
                            // cannot cut (100,000 rare characters is one word) would
                            // otherwise cost cubic time.
                            let last = end.min(i + MAX_DICTIONARY_WORD_CHARS);
                            for sub_end in (i + 3)..=last {
                                if sub_end - i >= len {
                                    break;
                                }
                                if JIEBA.has_word(self.norm_slice(i, sub_end)) {
                                    self.pending.push(at(i, sub_end));
                                }
                            }
                        }
                    }
                }
                ZhEnMode::Snippet => {}
                ZhEnMode::Query => {
                    if len == 2 {
                        self.pending.push(at(start, end));
                        continue;
                    }
                    let pieces = self.dictionary_split(start, end);
                    for (piece_start, piece_end) in pieces {
                        let mut i = piece_start;
                        while i + 2 <= piece_end {
                            self.pending.push(at(i, i + 2));
                            i += 2;
                        }
                        if i < piece_end {
                            self.pending.push(at(piece_end - 2, piece_end));
                        }
                    }
                }
            }
        }
    }

    /// Splits the query word at characters `start..end` (3+ characters) into
    /// the fewest dictionary words of at least two characters, shorter than
    /// the word itself: `满意度回访` → `满意度` + `回访`. Tiling each piece with
    /// bigrams then never puts a tile across the word's own internal word
    /// boundary, so the query also matches text where those pieces are written
    /// apart. Returns the whole word as one piece if no such split exists.
    fn dictionary_split(&self, start: usize, end: usize) -> Vec<(usize, usize)> {
        let len = end - start;
        // best[i]: (pieces, start of last piece) covering characters 0..i.
        let mut best: Vec<Option<(usize, usize)>> = vec![None; len + 1];
        best[0] = Some((0, 0));
        for i in 0..len {
            let Some((pieces, _)) = best[i] else { continue };
            let last = len.min(i + MAX_DICTIONARY_WORD_CHARS);
            for (j, entry) in best.iter_mut().enumerate().take(last + 1).skip(i + 2) {
                if j - i >= len {
                    break;
                }
                if entry.is_none_or(|(p, _)| pieces + 1 < p)
                    && JIEBA.has_word(self.norm_slice(start + i, start + j))
                {
                    *entry = Some((pieces + 1, i));
                }
            }
        }
        let mut split = Vec::new();
        let mut j = len;
        while j > 0 {
            match best[j] {
                Some((_, i)) if i < j => {
                    split.push((start + i, start + j));
                    j = i;
                }
                _ => return vec![(start, end)],
            }
        }
        split.reverse();
        split
    }
}

impl TokenStream for ZhEnTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some(&next) = self.pending.get(self.pending_next) {
                self.pending_next += 1;
                self.set_token(next.start, next.end, next.position, next.end - next.start);
                return true;
            }
            let count = self.char_count();
            while self.cursor < count && self.class_at(self.cursor) == CharClass::Separator {
                self.cursor += 1;
            }
            if self.cursor >= count {
                return false;
            }
            let start = self.cursor;
            let class = self.class_at(start);
            let mut end = start + 1;
            while end < count && self.class_at(end) == class {
                end += 1;
            }
            self.cursor = end;
            match class {
                CharClass::Word => {
                    let position = self.slot;
                    self.slot += 1;
                    self.set_token(start, end, position, 1);
                    let word = self.norm_slice(start, end);
                    let mut stemmed = self.stemmer.token_stream(word);
                    if stemmed.advance() {
                        self.token.text.clear();
                        self.token.text.push_str(&stemmed.token().text);
                    }
                    return true;
                }
                CharClass::Han => {
                    self.segment_han_run(start, end);
                    self.slot += end - start;
                    // Loop: emit the run's first token, or move on if the run
                    // held only stop words.
                }
                CharClass::Separator => {}
            }
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Normalises `text` into `buffers.norm` and fills the offset tables. Every
/// input character produces exactly one output character.
fn normalize(text: &str, buffers: &mut Buffers) {
    release_if_huge(&mut buffers.orig_byte);
    release_if_huge(&mut buffers.norm_byte);
    if buffers.folded.capacity() > RETAINED_BUFFER_LIMIT {
        buffers.folded = String::new();
    }
    if buffers.norm.capacity() > RETAINED_BUFFER_LIMIT {
        buffers.norm = String::new();
    }
    buffers.folded.clear();
    buffers.norm.clear();
    buffers.orig_byte.clear();
    buffers.norm_byte.clear();

    // Whether any character could be Traditional Chinese: fast2s only looks
    // at characters of three UTF-8 bytes.
    let mut may_be_traditional = false;
    for c in text.chars() {
        let folded = lowercase(fold_width(c));
        may_be_traditional |= folded.len_utf8() == 3;
        buffers.folded.push(folded);
    }
    let simplified = may_be_traditional.then(|| fast2s::convert(&buffers.folded));
    let mut simplified_chars = simplified.as_deref().map(str::chars);

    for ((orig_offset, _), folded) in text.char_indices().zip(buffers.folded.chars()) {
        // fast2s maps one char to one char, so the iterators stay aligned.
        let converted = simplified_chars.as_mut().and_then(Iterator::next);
        let out = match converted {
            Some(s) if !KEEP_AS_IS.contains(&folded) => s,
            _ => folded,
        };
        buffers.orig_byte.push(orig_offset);
        buffers.norm_byte.push(buffers.norm.len());
        buffers.norm.push(out);
    }
    buffers.orig_byte.push(text.len());
    buffers.norm_byte.push(buffers.norm.len());
}

fn release_if_huge<T>(buffer: &mut Vec<T>) {
    if buffer.capacity() > RETAINED_BUFFER_LIMIT {
        *buffer = Vec::new();
    }
}

/// Full-width ASCII variants (U+FF01..U+FF5E), the ideographic space and the
/// full-width currency/symbol signs map to their ordinary forms.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{FFE0}' => '\u{A2}',
        '\u{FFE1}' => '\u{A3}',
        '\u{FFE2}' => '\u{AC}',
        '\u{FFE3}' => '\u{AF}',
        '\u{FFE4}' => '\u{A6}',
        '\u{FFE5}' => '\u{A5}',
        '\u{FFE6}' => '\u{20A9}',
        _ => c,
    }
}

/// One-to-one lower-casing: the first char of the full lower-case mapping.
/// (Only U+0130 `İ` maps to more than one char; it becomes a plain `i`.)
fn lowercase(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else if is_han(c) {
        // Han has no case; the Unicode table lookup was a tenth of the analyser's time.
        c
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

fn classify(c: char) -> CharClass {
    if is_han(c) {
        CharClass::Han
    } else if c.is_alphanumeric() {
        CharClass::Word
    } else {
        CharClass::Separator
    }
}

/// CJK ideographs: unified (incl. extensions A–H), compatibility ideographs,
/// and 々〆〇. The one test of "Chinese character" the search module uses.
pub fn is_han(c: char) -> bool {
    matches!(
        c as u32,
        0x3005..=0x3007
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xF900..=0xFAFF
            | 0x20000..=0x2FA1F
            | 0x30000..=0x323AF
    )
}

/// Chinese function characters dropped when jieba cuts them as a word.
fn is_stop_word(word: &str) -> bool {
    matches!(word, "的" | "了" | "和" | "与" | "及" | "是" | "在")
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz_tests;
