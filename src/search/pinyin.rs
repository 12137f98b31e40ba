//! Pinyin for queries typed without a Chinese keyboard (`huikuan` → 回款): the plain pinyin
//! (no tones, no spaces) of Chinese words, indexed in the `pinyin` field for the words of each
//! item's title and tags, and looked up for the library's tags and labels when a query is read.

use std::cell::RefCell;

use tantivy::tokenizer::TextAnalyzer;

use crate::search::tokenizer::{index_analyzer, is_han};

thread_local! {
    static ANALYZER: RefCell<TextAnalyzer> = RefCell::new(index_analyzer());
}

/// `word` in plain pinyin (`回款` → `huikuan`), if every character has a reading.
pub fn plain_pinyin(word: &str) -> Option<String> {
    use pinyin::ToPinyin;
    let mut out = String::new();
    for reading in word.to_pinyin() {
        out.push_str(reading?.plain());
    }
    Some(out)
}

/// The plain pinyin of the Chinese words of `text` as the index cuts them (whole words, and
/// the two-character pieces and dictionary words inside longer ones), each once.
pub fn pinyin_of_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    ANALYZER.with(|analyzer| {
        let mut analyzer = analyzer.borrow_mut();
        let mut stream = analyzer.token_stream(text);
        while let Some(token) = stream.next() {
            if token.text.chars().count() >= 2 && token.text.chars().all(is_han) {
                if let Some(reading) = plain_pinyin(&token.text) {
                    if !out.contains(&reading) {
                        out.push(reading);
                    }
                }
            }
        }
    });
    out
}

/// Whether `word` may be pinyin typed for a Chinese word: Latin letters only, at least four.
pub fn may_be_pinyin(word: &str) -> bool {
    word.len() >= 4 && word.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_gives_the_pinyin_of_its_words_and_of_the_pieces_inside_them() {
        let readings = pinyin_of_words("主要客户回款催收");
        for expected in ["kehu", "huikuan", "cuishou"] {
            assert!(
                readings.iter().any(|r| r == expected),
                "{expected}: {readings:?}"
            );
        }
        assert!(pinyin_of_words("Collections ladder").is_empty());
        assert_eq!(plain_pinyin("高层").as_deref(), Some("gaoceng"));
        assert!(may_be_pinyin("huikuan") && !may_be_pinyin("hui") && !may_be_pinyin("回款"));
    }
}
