//! Tests of query understanding.

use super::*;
use crate::domain::synonyms::Synonyms;

fn read(q: &str) -> Understood {
    let vocabulary = QueryVocabulary::new(&Synonyms::builtin(), ["回款催收", "高层拜访"]);
    understand(q, Some(&vocabulary), &mut query_analyzer())
}

fn texts(u: &Understood) -> Vec<&str> {
    u.terms.iter().map(|t| t.text.as_str()).collect()
}

fn also(u: &Understood, term: &str) -> Vec<String> {
    u.terms
        .iter()
        .find(|t| t.text == term)
        .map(|t| {
            t.alternatives
                .iter()
                .skip(1)
                .map(|a| a.text.clone())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_chinese_question_keeps_its_subject_and_reads_colloquial_words_as_the_librarys() {
    let u = read("客户嫌贵怎么办");
    assert_eq!(texts(&u), ["客户", "嫌贵"]);
    assert_eq!(u.dropped, ["怎么办"]);
    let price = also(&u, "嫌贵");
    assert!(price.contains(&"价格异议".to_owned()), "{price:?}");
    assert!(price.contains(&"price objection".to_owned()), "{price:?}");

    let u = read("客户不付款怎么办");
    assert_eq!(texts(&u), ["客户", "不付款"]);
    assert!(also(&u, "不付款").contains(&"回款".to_owned()));

    let u = read("要不要给战略客户打折吗");
    assert!(u.dropped.contains(&"要不要".to_owned()), "{:?}", u.dropped);
    assert!(u.dropped.contains(&"吗".to_owned()), "{:?}", u.dropped);
    assert!(texts(&u).contains(&"打折"), "{:?}", texts(&u));
}

#[test]
fn an_english_question_drops_its_question_words_and_finds_multiword_synonyms_in_any_inflection() {
    let u = read("how should I handle price objections");
    assert_eq!(texts(&u), ["price objections"]);
    assert!(u.dropped.iter().any(|d| d == "how"));
    assert!(also(&u, "price objections").contains(&"价格异议".to_owned()));

    let u = read("What do I do when a customer does not pay");
    assert!(texts(&u).contains(&"customer"), "{:?}", texts(&u));
    assert!(!texts(&u).contains(&"what"), "{:?}", texts(&u));
}

#[test]
fn a_query_of_question_words_only_is_searched_as_typed() {
    let u = read("how to");
    assert!(u.dropped.is_empty());
    assert_eq!(texts(&u), ["how", "to"]);
}

#[test]
fn quoted_phrases_stay_exact_and_words_inside_are_not_dropped() {
    let u = read("\"怎么办\" 回款");
    assert_eq!(u.terms[0].text, "怎么办");
    assert!(u.terms[0].phrase);
    assert!(u.dropped.is_empty());
}

#[test]
fn pinyin_of_a_tag_finds_the_chinese_word() {
    let u = read("huikuan");
    assert_eq!(texts(&u), ["huikuan"]);
    assert!(
        also(&u, "huikuan").contains(&"回款".to_owned()),
        "{:?}",
        also(&u, "huikuan")
    );
    // An English word that is no pinyin of the library's words stays itself.
    assert!(also(&read("ledger"), "ledger").is_empty());
}

#[test]
fn the_word_being_typed_matches_as_a_prefix_and_traditional_text_finds_simplified_entries() {
    let u = read("negotiat");
    assert_eq!(u.terms[0].prefix.as_deref(), Some("negotiat"));
    let u = read("negotiat ");
    assert_eq!(u.terms[0].prefix, None);
    let u = read("客戶嫌貴");
    assert!(
        also(&u, "嫌貴").contains(&"价格异议".to_owned()),
        "{:?}",
        texts(&u)
    );
}

#[test]
fn traditional_question_words_are_dropped_and_a_stop_word_synonym_is_left_to_the_words() {
    let u = read("客戶嫌貴怎麼辦");
    assert_eq!(u.dropped, ["怎麼辦"]);
    assert_eq!(texts(&u), ["客戶", "嫌貴"]);
    let synonyms = Synonyms::parse("groups:\n  - [和, 与]\n").unwrap();
    let vocabulary = QueryVocabulary::new(&synonyms, []);
    let u = understand("客户和渠道", Some(&vocabulary), &mut query_analyzer());
    assert!(u.terms.iter().all(|t| !t.alternatives.is_empty()), "{u:?}");
    assert!(!u.terms.is_empty());
    // A lone letter stays a word ("plan B"); the `s` of a possessive goes.
    assert_eq!(texts(&read("plan B")), ["plan", "B"]);
    assert!(!texts(&read("customer's needs")).contains(&"s"));
}

#[test]
fn words_next_to_each_other_stay_separate_terms_across_spaces_but_one_term_within_a_word() {
    assert_eq!(texts(&read("VIP客户")), ["VIP客户"]);
    assert_eq!(texts(&read("展会 线索")).len(), 2);
}

#[test]
fn did_you_mean_replaces_only_words_the_library_does_not_use() {
    let vocabulary = QueryVocabulary::with_titles(
        &Synonyms::builtin(),
        ["回款催收"],
        ["Negotiation playbook", "Loyalty and retention"],
    );
    let mut analyzer = query_analyzer();
    let mut suggest = |q: &str| vocabulary.suggest(q, &mut analyzer);
    assert_eq!(
        suggest("negotation tips").as_deref(),
        Some("negotiation tips")
    );
    assert_eq!(suggest("loyality").as_deref(), Some("loyalty"));
    assert_eq!(suggest("negotiation"), None);
    assert_eq!(suggest("回款"), None);
    // Another form of a word the library uses is no typo.
    assert_eq!(suggest("negotiations playbooks"), None);
}
