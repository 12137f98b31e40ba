//! Tests.

use super::*;
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{
    IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{doc, Index, IndexWriter, TantivyDocument};

/// All tokens `analyzer` produces for `text`.
fn token_stream_helper(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut stream = analyzer.token_stream(text);
    stream.process(&mut |token: &Token| tokens.push(token.clone()));
    tokens
}

fn index_tokens(text: &str) -> Vec<Token> {
    token_stream_helper(&mut index_analyzer(), text)
}

fn query_tokens(text: &str) -> Vec<Token> {
    token_stream_helper(&mut query_analyzer(), text)
}

fn texts(tokens: &[Token]) -> Vec<&str> {
    tokens.iter().map(|t| t.text.as_str()).collect()
}

fn index_texts(text: &str) -> Vec<String> {
    index_tokens(text).into_iter().map(|t| t.text).collect()
}

fn query_texts(text: &str) -> Vec<String> {
    query_tokens(text).into_iter().map(|t| t.text).collect()
}

fn has(tokens: &[String], word: &str) -> bool {
    tokens.iter().any(|t| t == word)
}

/// Invariants every stream must satisfy, whatever the input.
fn check_invariants(text: &str, tokens: &[Token]) {
    let mut last_position = 0;
    let mut seen = std::collections::HashSet::new();
    for token in tokens {
        assert!(token.offset_from <= token.offset_to, "{token:?}");
        assert!(token.offset_to <= text.len(), "{token:?}");
        assert!(text.is_char_boundary(token.offset_from), "{token:?}");
        assert!(text.is_char_boundary(token.offset_to), "{token:?}");
        assert!(!token.text.is_empty(), "{token:?}");
        assert!(
            token.position >= last_position,
            "positions decrease: {tokens:?}"
        );
        assert!(
            seen.insert((token.position, token.text.clone())),
            "duplicate term at one position: {token:?}"
        );
        last_position = token.position;
    }
}

fn check_both_modes(text: &str) {
    check_invariants(text, &index_tokens(text));
    check_invariants(text, &query_tokens(text));
}

#[test]
fn empty_and_separator_only_input() {
    assert!(index_tokens("").is_empty());
    assert!(query_tokens("").is_empty());
    assert!(index_tokens("  ，。！？ — …\n\t").is_empty());
    assert!(index_tokens("的了和").is_empty(), "only stop words");
}

#[test]
fn domain_words_segment_whole() {
    for word in DOMAIN_WORDS {
        let tokens = index_texts(word);
        assert!(has(&tokens, word), "{word}: {tokens:?}");
    }
}

#[test]
fn customer_tiering_and_collections() {
    let tokens = index_texts("客户分级");
    for expected in ["客户分级", "客户", "分级"] {
        assert!(has(&tokens, expected), "{tokens:?}");
    }
    let tokens = index_texts("回款催收");
    for expected in ["回款催收", "回款", "催收"] {
        assert!(has(&tokens, expected), "{tokens:?}");
    }
    assert_eq!(query_texts("客户分级"), ["客户", "分级"]);
    assert_eq!(query_texts("回款催收"), ["回款", "催收"]);
}

#[test]
fn key_account_and_odd_length_words() {
    let tokens = index_texts("大客户管理");
    for expected in ["大客户", "大客", "客户", "管理"] {
        assert!(has(&tokens, expected), "{tokens:?}");
    }
    for word in ["三板斧", "样板点"] {
        let tokens = index_texts(word);
        assert!(has(&tokens, word), "{tokens:?}");
    }
    // Odd length: non-overlapping bigrams plus one overlapping at the end.
    let query = query_tokens("三板斧");
    assert_eq!(texts(&query), ["三板", "板斧"]);
    assert_eq!(query[0].position, 0);
    assert_eq!(query[1].position, 1);
}

#[test]
fn query_words_tile_along_their_dictionary_pieces() {
    // 3 + 2: tiles stay inside 满意度 and 回访.
    let query = query_tokens("满意度回访");
    assert_eq!(texts(&query), ["满意", "意度", "回访"]);
    let positions: Vec<usize> = query.iter().map(|t| t.position).collect();
    assert_eq!(positions, [0, 1, 3]);
    // 2 + 3.
    assert_eq!(query_texts("客户金字塔"), ["客户", "金字", "字塔"]);
    // The document side has every one of those tiles, joined or apart.
    for doc in ["满意度回访", "满意度 回访"] {
        let tokens = index_tokens(doc);
        for tile in &query {
            assert!(
                tokens
                    .iter()
                    .any(|t| t.text == tile.text && t.position == tile.position),
                "{doc}: {tile:?} missing in {tokens:?}"
            );
        }
    }
}

#[test]
fn search_mode_after_sales_service() {
    let tokens = index_tokens("售后服务");
    let words = texts(&tokens);
    for expected in ["售后", "服务", "售后服务"] {
        assert!(words.contains(&expected), "{words:?}");
    }
    let pos = |w: &str| tokens.iter().find(|t| t.text == w).map(|t| t.position);
    assert_eq!(pos("售后服务"), Some(0));
    assert_eq!(pos("售后"), Some(0));
    assert_eq!(pos("服务"), Some(2));
    // A query for either half is one term the document has.
    assert_eq!(query_texts("售后"), ["售后"]);
    assert_eq!(query_texts("服务"), ["服务"]);
}

#[test]
fn index_tokens_cover_jieba_search_mode() {
    let jieba = &*JIEBA;
    for text in [
        "售后服务体系建设",
        "中华人民共和国",
        "满意度回访",
        "客户金字塔模型",
    ] {
        let ours = index_texts(text);
        for token in jieba.cut_for_search(text, true) {
            if is_stop_word(token.word) {
                continue;
            }
            assert!(
                has(&ours, token.word),
                "{text}: {} missing in {ours:?}",
                token.word
            );
        }
    }
}

#[test]
fn latin_and_han_split_by_script() {
    assert_eq!(index_texts("KA渠道"), ["ka", "渠道"]);
    assert_eq!(index_texts("30天"), ["30", "天"]);
    assert_eq!(query_texts("30天"), ["30", "天"]);
    let tokens = index_tokens("VIP客户的回款");
    assert_eq!(texts(&tokens), ["vip", "客户", "回款"]);
    // 的 is dropped but keeps its position.
    let positions: Vec<usize> = tokens.iter().map(|t| t.position).collect();
    assert_eq!(positions, [0, 1, 4]);
    let query: Vec<usize> = query_tokens("VIP客户的回款")
        .iter()
        .map(|t| t.position)
        .collect();
    assert_eq!(query, positions);
    // A Latin token spans one position, a Han token one per character.
    let lengths: Vec<usize> = index_tokens("Negotiation客户分级")
        .iter()
        .map(|t| t.position_length)
        .collect();
    assert_eq!(lengths, [1, 4, 2, 2, 2]);
}

#[test]
fn stop_characters_only_as_single_words() {
    let tokens = index_texts("了解客户现在的需求和参与度");
    assert!(has(&tokens, "了解"), "{tokens:?}");
    assert!(has(&tokens, "现在"), "{tokens:?}");
    assert!(!has(&tokens, "的"), "{tokens:?}");
    assert!(!has(&tokens, "和"), "{tokens:?}");
    // English stop words are kept: tier "A" customers must be findable.
    assert_eq!(index_texts("A类客户"), ["a", "类", "客户"]);
    assert_eq!(index_texts("the IT team"), ["the", "it", "team"]);
}

#[test]
fn traditional_folds_to_simplified_both_ways() {
    assert_eq!(index_texts("追加銷售"), index_texts("追加销售"));
    assert_eq!(query_texts("追加銷售"), query_texts("追加销售"));
    assert_eq!(query_texts("追加銷售"), ["追加", "销售"]);
    assert_eq!(index_texts("客戶"), ["客户"]);
    assert_eq!(index_texts("售後服務"), index_texts("售后服务"));
    // Simplified characters the table would mangle are kept.
    let tokens = index_texts("捍卫客户利益");
    assert!(has(&tokens, "捍卫"), "{tokens:?}");
}

#[test]
fn full_width_folds_to_half_width() {
    let tokens = index_tokens("ＫＡ渠道１２３");
    assert_eq!(texts(&tokens), ["ka", "渠道", "123"]);
    assert_eq!(index_texts("Ｗｉｎ－Ｗｉｎ，ＯＫ！"), ["win", "win", "ok"]);
    assert_eq!(index_texts("３０天"), ["30", "天"]);
}

#[test]
fn english_is_stemmed() {
    assert_eq!(index_texts("negotiations"), index_texts("negotiation"));
    assert_eq!(query_texts("Negotiating"), index_texts("negotiation"));
    assert_eq!(index_texts("Customers' objections"), ["custom", "object"]);
    assert_eq!(index_texts("Q3 2024 B2B"), ["q3", "2024", "b2b"]);
}

#[test]
fn offsets_point_into_original_text() {
    let text = "ＶＩＰ客戶的追加銷售，30天內ｒｅｔｕｒｎ！";
    let tokens = index_tokens(text);
    check_invariants(text, &tokens);
    let slice = |t: &Token| &text[t.offset_from..t.offset_to];
    let find = |word: &str| {
        tokens
            .iter()
            .find(|t| t.text == word)
            .unwrap_or_else(|| panic!("{word} missing in {tokens:?}"))
    };
    assert_eq!(slice(find("vip")), "ＶＩＰ");
    assert_eq!(slice(find("客户")), "客戶");
    assert_eq!(slice(find("追加")), "追加");
    assert_eq!(slice(find("销售")), "銷售");
    assert_eq!(slice(find("30")), "30");
    assert_eq!(slice(find("return")), "ｒｅｔｕｒｎ");
    for token in &tokens {
        // Normalising the original slice gives the token back (before
        // stemming; none of these tokens is changed by the stemmer).
        let again = index_texts(slice(token));
        assert!(again.contains(&token.text), "{token:?} vs {again:?}");
    }
}

#[test]
fn offsets_of_bigrams_inside_words() {
    let text = "售後服務體系";
    let tokens = index_tokens(text);
    check_invariants(text, &tokens);
    let fuwu = tokens
        .iter()
        .find(|t| t.text == "服务")
        .map(|t| &text[t.offset_from..t.offset_to]);
    assert_eq!(fuwu, Some("服務"));
}

#[test]
fn odd_unicode_does_not_panic() {
    for text in [
        "🚀🔥客户👍👍",
        "👨‍👩‍👧‍👦 family",
        "e\u{301}te\u{301} café",
        "İstanbul İİ",
        "\u{0}\u{FEFF}\u{200B}零宽\u{200D}字符",
        "𠀀𠀁𪚥 extension B",
        "ｶﾀｶﾅ ひらがな 한국어 Ελληνικά Русский",
        "﹏﹏￥１００￡",
        "\r\n\r\n",
        "a",
        "的",
        "〇〇七 々",
        &"字".repeat(5_000),
        &"长".repeat(3),
    ] {
        check_both_modes(text);
    }
    assert_eq!(index_texts("İstanbul"), ["istanbul"]);
    assert_eq!(index_texts("🚀客户👍"), ["客户"]);
}

#[test]
fn random_mixed_text_keeps_invariants() {
    const POOL: &[&str] = &[
        "客",
        "户",
        "的",
        "销",
        "售",
        "後",
        "服",
        "務",
        "體",
        "系",
        "大",
        "回",
        "款",
        "催",
        "收",
        "𠀀",
        "〇",
        "A",
        "z",
        "9",
        "Ｋ",
        "１",
        "，",
        "。",
        " ",
        "\n",
        "-",
        "'",
        "é",
        "e\u{301}",
        "İ",
        "ß",
        "🚀",
        "👨\u{200D}👩",
        "\u{FEFF}",
        "\u{0}",
        "ｶ",
        "한",
        "Ж",
        "％",
        "　",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut index = index_analyzer();
    let mut query = query_analyzer();
    for _ in 0..2_000 {
        let len = (next() % 40) as usize;
        let text: String = (0..len)
            .map(|_| POOL[(next() % POOL.len() as u64) as usize])
            .collect();
        check_invariants(&text, &token_stream_helper(&mut index, &text));
        check_invariants(&text, &token_stream_helper(&mut query, &text));
    }
}

#[test]
fn tokenizer_reused_across_documents() {
    let mut analyzer = index_analyzer();
    let first = token_stream_helper(&mut analyzer, "大客户管理 ＶＩＰ");
    let _ = token_stream_helper(&mut analyzer, &"x".repeat(100));
    let again = token_stream_helper(&mut analyzer, "大客户管理 ＶＩＰ");
    assert_eq!(first, again);
}

struct TestIndex {
    index: Index,
    body: tantivy::schema::Field,
    id: tantivy::schema::Field,
}

fn build_index(docs: &[(&str, &str)]) -> TestIndex {
    let mut builder = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(ZH_EN_TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let body = builder.add_text_field(
        "body",
        TextOptions::default()
            .set_indexing_options(indexing)
            .set_stored(),
    );
    let id = builder.add_text_field("id", STRING | STORED);
    let index = Index::create_in_ram(builder.build());
    register_tokenizers(index.tokenizers());
    let mut writer: IndexWriter = index
        .writer_with_num_threads(1, 15_000_000)
        .expect("writer");
    for (doc_id, text) in docs {
        writer
            .add_document(doc!(id => *doc_id, body => *text))
            .expect("add");
    }
    writer.commit().expect("commit");
    TestIndex { index, body, id }
}

impl TestIndex {
    fn search_with(&self, parser: &QueryParser, query: &str) -> Vec<String> {
        let searcher = self.index.reader().expect("reader").searcher();
        let query = parser.parse_query(query).expect("query parses");
        let hits = searcher
            .search(&query, &TopDocs::with_limit(10))
            .expect("search");
        let mut ids: Vec<String> = hits
            .into_iter()
            .map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address).expect("doc");
                doc.get_first(self.id)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        ids.sort();
        ids
    }

    /// Search the recommended way: query analyzer via `query_tokenizer_manager`.
    fn search(&self, query: &str) -> Vec<String> {
        let parser = QueryParser::new(
            self.index.schema(),
            vec![self.body],
            query_tokenizer_manager(),
        );
        self.search_with(&parser, query)
    }
}

const DOCS: &[(&str, &str)] = &[
    ("service", "我们的售后服务体系覆盖全国"),
    ("upsell_s", "追加销售的三个时机"),
    ("upsell_t", "交叉銷售與追加銷售話術"),
    ("ka", "大客户管理：客户分级与高层拜访"),
    ("negotiation", "Negotiation playbook for VIP客户"),
    ("collect", "回款催收流程：先对账，再催收"),
    ("apart", "回款很重要。后来我们才开始催收"),
    ("split", "客户 分级 的方法"),
    ("survey", "每季度做一次满意度、回访记录要归档"),
];

#[test]
fn end_to_end_query_parser() {
    let index = build_index(DOCS);
    // A two-character word inside a longer word.
    assert_eq!(index.search("服务"), ["service"]);
    assert_eq!(index.search("售后"), ["service"]);
    assert_eq!(index.search("售后服务"), ["service"]);
    // Traditional <-> Simplified, both directions.
    assert_eq!(index.search("追加銷售"), ["upsell_s", "upsell_t"]);
    assert_eq!(index.search("追加销售"), ["upsell_s", "upsell_t"]);
    assert_eq!(index.search("交叉销售"), ["upsell_t"]);
    // 客户 inside 大客户.
    assert!(index.search("客户").contains(&"ka".to_string()));
    assert_eq!(index.search("大客户"), ["ka"]);
    // Stemming.
    assert_eq!(index.search("negotiating"), ["negotiation"]);
    assert_eq!(index.search("NEGOTIATIONS"), ["negotiation"]);
    assert_eq!(index.search("ｖｉｐ"), ["negotiation"]);
    // Phrases: adjacent only, spaces in the query do not matter.
    assert_eq!(index.search("\"回款 催收\""), ["collect"]);
    assert_eq!(index.search("回款催收"), ["collect"]);
    assert_eq!(index.search("回款 AND 催收"), ["apart", "collect"]);
    // A compound query word still finds the words written apart.
    assert_eq!(index.search("客户分级"), ["ka", "split"]);
    assert_eq!(index.search("满意度回访"), ["survey"]);
    assert!(index.search("售前").is_empty());
}

#[test]
fn end_to_end_with_index_analyzer_at_query_time() {
    // Not the recommended setup, but it must not break.
    let index = build_index(DOCS);
    let parser = QueryParser::for_index(&index.index, vec![index.body]);
    assert_eq!(index.search_with(&parser, "服务"), ["service"]);
    assert_eq!(index.search_with(&parser, "售后服务"), ["service"]);
    assert_eq!(
        index.search_with(&parser, "追加銷售"),
        ["upsell_s", "upsell_t"]
    );
    assert_eq!(index.search_with(&parser, "\"回款 催收\""), ["collect"]);
}

#[test]
fn snippet_highlights_original_text() {
    let index = build_index(DOCS);
    let searcher = index.index.reader().expect("reader").searcher();
    let parser = QueryParser::new(
        index.index.schema(),
        vec![index.body],
        query_tokenizer_manager(),
    );
    let query = parser.parse_query("追加销售").expect("query");
    let generator = SnippetGenerator::create(&searcher, &*query, index.body).expect("snippets");
    let snippet = generator.snippet("交叉銷售與追加銷售話術");
    let html = snippet.to_html();
    assert!(html.contains("<b>追加</b>"), "{html}");
    assert!(html.contains("<b>銷售</b>"), "{html}");
}
