//! Property tests: for any text both analyzers give tokens whose offsets are character
//! boundaries of the text, in non-decreasing position order, none longer than the limit; a long
//! run of one script stays linear.

use proptest::prelude::*;
use tantivy::tokenizer::TokenStream;

use super::*;
use crate::fuzz_support::{config, nasty_string, pieces_string};

/// Runs both analyzers over `text`, checks every token, returns the token counts.
fn check(text: &str) -> [usize; 2] {
    let mut counts = [0; 2];
    for (count, mut analyzer) in counts.iter_mut().zip([index_analyzer(), query_analyzer()]) {
        let mut stream = analyzer.token_stream(text);
        let mut last_position = 0;
        while let Some(token) = stream.next() {
            assert!(token.offset_from <= token.offset_to, "{token:?}");
            assert!(
                text.get(token.offset_from..token.offset_to).is_some(),
                "{token:?}"
            );
            assert!(!token.text.is_empty() && token.text.len() < MAX_TOKEN_BYTES);
            assert!(
                token.position >= last_position,
                "{token:?} after {last_position}"
            );
            last_position = token.position;
            *count += 1;
        }
        assert!(*count <= 64 * text.chars().count() + 1);
    }
    counts
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn any_text_tokenizes(text in nasty_string(200)) {
        check(&text);
    }

    #[test]
    fn any_mixed_script_text_tokenizes(
        text in pieces_string(&["客户", "分级", "满意度回访", "銷售", "的", "了", "々", "〇",
            "\u{3400}", "\u{20000}", "\u{2a6d6}", "\u{30000}", "VIP", "running", "İ", "ＡＢ",
            "１２", " ", "-", "\u{200b}", "\u{202e}", "\u{301}", "😀", "\0"], 40),
    ) {
        check(&text);
    }
}

/// Found by `very_long_words_tokenize`: jieba leaves a run of rare characters (CJK
/// extension A or B) as one word, and the index mode looked for dictionary words inside it
/// at every length, cubic work (5,000 characters: 2 s; 100,000: hours). Now bounded by the
/// longest dictionary word.
#[test]
fn a_run_of_100_000_rare_characters_is_one_word_cut_into_bigrams() {
    for text in ["\u{3400}".repeat(100_000), "\u{20000}".repeat(100_000)] {
        let [index, query] = check(&text);
        assert_eq!(
            index,
            100_000 - 1,
            "bigrams (the whole word is too long to keep)"
        );
        assert!(query <= 100_000, "{query}");
    }
}

/// Very long words of every script: one token each at most, and no quadratic work.
#[test]
fn very_long_words_tokenize() {
    let n = 100_000;
    for text in [
        "a".repeat(n),
        "客".repeat(n),
        "客户".repeat(n / 2),
        "满意度回访".repeat(n / 5),
        "\u{3400}".repeat(n),
        "\u{20000}".repeat(n),
        "\u{4e00}\u{4e01}\u{4e02}\u{4e03}".repeat(n / 4),
        "々".repeat(n),
        "\u{301}".repeat(n),
        "a\u{301}".repeat(n / 2),
        "\u{200b}".repeat(n),
        "的".repeat(n),
        "İ".repeat(n),
    ] {
        check(&text);
    }
}
