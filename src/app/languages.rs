//! One entry per item and its translations, in the reader's language.
//!
//! A translation names its original in front matter (`translation_of: <id>`); the original and
//! all its translations form one group, keyed by the original's id. A list shown to a reader
//! (home sections, search hits, coverage cells, a briefing's playbooks, a course's lessons)
//! shows each group once: the item in the reader's language when the group has one the reader
//! may see, else the item the list had, marked with its language so the page can badge it.
//!
//! Knows nothing of HTTP or templates.

use std::collections::{HashMap, HashSet};

use crate::app::access::Access;
use crate::app::library::Library;
use crate::domain::content::ContentItem;
use crate::domain::Lang;

/// An entry of a list as a reader of one language sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct InLanguage<T> {
    pub item: T,
    /// `Some(language)` when the item is not in the reader's language and has no translation
    /// in it: the page shows a small badge with the language.
    pub other_language: Option<Lang>,
}

/// The group of translations `item` belongs to: its original's id.
pub fn translation_group(item: &ContentItem) -> &str {
    item.translation_of.as_deref().unwrap_or(&item.id)
}

/// `items` with each group of translations once, in their order (a group takes the place of
/// its first member): a member in `lang` when the list holds one or `translation` finds one
/// (given the group), else the list's own member, marked with its language. `describe` tells
/// an entry's group and language.
pub fn one_per_translation<T>(
    items: Vec<T>,
    lang: Lang,
    describe: impl Fn(&T) -> (String, Lang),
    mut translation: impl FnMut(&str) -> Option<T>,
) -> Vec<InLanguage<T>> {
    let described: Vec<(String, Lang)> = items.iter().map(&describe).collect();
    // The list's own member in the reader's language, per group (the first one).
    let mut in_list: HashMap<&str, usize> = HashMap::new();
    for (i, (group, item_lang)) in described.iter().enumerate() {
        if *item_lang == lang {
            in_list.entry(group.as_str()).or_insert(i);
        }
    }
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out = Vec::with_capacity(slots.len());
    for (i, (group, item_lang)) in described.iter().enumerate() {
        if !seen.insert(group.as_str()) {
            continue;
        }
        let chosen = in_list
            .get(group.as_str())
            .and_then(|&j| slots[j].take())
            .map(|item| InLanguage {
                item,
                other_language: None,
            })
            .or_else(|| {
                (*item_lang != lang)
                    .then(|| translation(group))
                    .flatten()
                    .map(|item| InLanguage {
                        item,
                        other_language: None,
                    })
            })
            .or_else(|| {
                slots[i].take().map(|item| InLanguage {
                    item,
                    other_language: (*item_lang != lang).then_some(*item_lang),
                })
            });
        out.extend(chosen);
    }
    out
}

impl Library {
    /// The published item of `group` (an original's id) in `lang` that `access` may read.
    pub fn translation_in(&self, access: &Access, group: &str, lang: Lang) -> Option<ContentItem> {
        self.catalog()
            .iter()
            .find(|item| item.lang == lang && translation_group(item) == group)
            .filter(|item| access.can_read(item))
            .cloned()
    }

    /// The translation group of the item `id` (its original's id; `id` itself when it is an
    /// original or not published).
    pub fn translation_group_of(&self, id: &str) -> String {
        self.group_and_language_of(id, Lang::default()).0
    }

    /// The translation group and the language of the published item `id` (`id` itself and
    /// `fallback` when it is not published).
    pub fn group_and_language_of(&self, id: &str, fallback: Lang) -> (String, Lang) {
        self.indexed_catalog().get(id).map_or_else(
            || (id.to_owned(), fallback),
            |item| (translation_group(item).to_owned(), item.lang),
        )
    }

    /// `items` as a reader of `lang` sees them listed: each item and its translations once,
    /// in `lang` when there is a version in it that `access` may read.
    pub fn in_language(
        &self,
        access: &Access,
        items: Vec<ContentItem>,
        lang: Lang,
    ) -> Vec<InLanguage<ContentItem>> {
        // The catalog's items in `lang` by translation group, read once for the whole list.
        let catalog = self.catalog();
        let mut in_lang: std::collections::HashMap<&str, &ContentItem> =
            std::collections::HashMap::new();
        for item in catalog.iter().filter(|item| item.lang == lang) {
            // The first in catalog order, as `translation_in` finds it.
            in_lang.entry(translation_group(item)).or_insert(item);
        }
        one_per_translation(
            items,
            lang,
            |item| (translation_group(item).to_owned(), item.lang),
            |group| {
                in_lang
                    .get(group)
                    .filter(|item| access.can_read(item))
                    .map(|item| (*item).clone())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, lang: Lang, translation_of: Option<&str>) -> ContentItem {
        let mut item = ContentItem::blank(id, crate::domain::content::Kind::Playbook, id);
        item.lang = lang;
        item.translation_of = translation_of.map(str::to_owned);
        item
    }

    fn pair(
        items: Vec<ContentItem>,
        catalog: &[ContentItem],
        lang: Lang,
    ) -> Vec<(String, Option<Lang>)> {
        one_per_translation(
            items,
            lang,
            |i| (translation_group(i).to_owned(), i.lang),
            |group| {
                catalog
                    .iter()
                    .find(|i| i.lang == lang && translation_group(i) == group)
                    .cloned()
            },
        )
        .into_iter()
        .map(|e| (e.item.id, e.other_language))
        .collect()
    }

    #[test]
    fn an_item_and_its_translation_are_one_entry_in_the_readers_language() {
        let zh = item("visit", Lang::Zh, None);
        let en = item("visit-en", Lang::En, Some("visit"));
        let list = vec![zh.clone(), en.clone()];
        assert_eq!(
            pair(list.clone(), &[], Lang::En),
            [("visit-en".into(), None)]
        );
        assert_eq!(pair(list, &[], Lang::Zh), [("visit".into(), None)]);
        // The English reader sees the translation in the place of the original.
        let other = item("pricing", Lang::Zh, None);
        assert_eq!(
            pair(
                vec![zh.clone(), other.clone()],
                std::slice::from_ref(&en),
                Lang::En
            ),
            [
                ("visit-en".into(), None),
                ("pricing".into(), Some(Lang::Zh))
            ]
        );
    }

    #[test]
    fn an_item_without_a_translation_keeps_its_place_marked_with_its_language() {
        let only_en = item("cold-call", Lang::En, None);
        let zh = item("visit", Lang::Zh, None);
        assert_eq!(
            pair(vec![only_en, zh], &[], Lang::Zh),
            [("cold-call".into(), Some(Lang::En)), ("visit".into(), None)]
        );
    }

    #[test]
    fn translations_of_one_original_into_the_same_language_show_once() {
        let zh = item("visit", Lang::Zh, None);
        let en1 = item("visit-en", Lang::En, Some("visit"));
        let en2 = item("visit-en-2", Lang::En, Some("visit"));
        assert_eq!(
            pair(vec![en1, zh, en2], &[], Lang::En),
            [("visit-en".into(), None)]
        );
    }
}
