//! Small pieces several pages show: tier and scenario badges, links to items, choices in a
//! picker, money and scores as people read them.

use crate::domain::content::ContentItem;
use crate::domain::taxonomy::Taxonomy;
use crate::domain::Lang;
use crate::web::i18n::Ui;

/// A labelled, linkable badge (tier, scenario, kind, tag…).
pub struct Badge {
    pub class: &'static str,
    pub label: String,
    pub value: String,
}

/// A content item as a list entry.
pub struct ItemLink {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub badges: Vec<Badge>,
    /// The item's language ("中文", "EN") when it is not the page's and it has no
    /// translation in the page's language.
    pub language_badge: Option<LanguageBadge>,
}

/// The small badge of an item written in the other language.
pub struct LanguageBadge {
    /// `zh` or `en`, for the `lang` attribute.
    pub lang: &'static str,
    pub label: &'static str,
}

impl LanguageBadge {
    pub fn for_lang(other: Option<Lang>) -> Option<LanguageBadge> {
        other.map(|lang| LanguageBadge {
            lang: lang.as_str(),
            label: crate::web::labels::language_badge(lang),
        })
    }
}

/// An entry of a list in the reader's language (see `app::languages`), as a list entry.
pub fn item_link_in(
    entry: &crate::app::languages::InLanguage<ContentItem>,
    taxonomy: &Taxonomy,
    lang: Lang,
) -> ItemLink {
    let mut link = item_link(&entry.item, taxonomy, lang);
    link.language_badge = LanguageBadge::for_lang(entry.other_language);
    link
}

pub fn tier_badges(item: &ContentItem, taxonomy: &Taxonomy, lang: Lang) -> Vec<Badge> {
    if item.tiers.is_empty() {
        return vec![Badge {
            class: "tier tier-all",
            label: Ui::for_lang(lang).all_tiers.to_owned(),
            value: String::new(),
        }];
    }
    item.tiers
        .iter()
        .map(|tier| Badge {
            class: "tier",
            label: taxonomy.tier_label(tier, lang).to_owned(),
            value: tier.clone(),
        })
        .collect()
}

pub fn scenario_badges(item: &ContentItem, taxonomy: &Taxonomy, lang: Lang) -> Vec<Badge> {
    item.scenarios
        .iter()
        .map(|scenario| Badge {
            class: "scenario",
            label: taxonomy.scenario_label(scenario, lang).to_owned(),
            value: scenario.clone(),
        })
        .collect()
}

pub fn item_link(item: &ContentItem, taxonomy: &Taxonomy, lang: Lang) -> ItemLink {
    let mut badges = tier_badges(item, taxonomy, lang);
    badges.extend(scenario_badges(item, taxonomy, lang));
    if let Some(outcome) = item.outcome {
        badges.push(Badge {
            class: "outcome",
            label: Ui::for_lang(lang).outcome(outcome).to_owned(),
            value: outcome.as_str().to_owned(),
        });
    }
    ItemLink {
        id: item.id.clone(),
        title: item.title.clone(),
        summary: item.summary.clone().unwrap_or_default(),
        badges,
        language_badge: None,
    }
}

/// Money in fen as yuan with thousands separators: `¥1,234,567` or `-¥3,000.50`.
/// An amount in [`Money`] units as the pages show it: yuan with thousands separators, to the
/// fen (rounded half to even; the API keeps all four decimals).
///
/// [`Money`]: crate::domain::account::Money
pub fn format_yuan(units: i128) -> String {
    use crate::domain::account::{round_half_even, Money};
    let fen = round_half_even(units, i128::from(Money::PER_YUAN / 100));
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let (yuan, cents) = (abs / 100, abs % 100);
    let digits = yuan.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if cents == 0 {
        format!("{sign}¥{grouped}")
    } else {
        format!("{sign}¥{grouped}.{cents:02}")
    }
}

pub fn format_score(score: Option<f64>, ui: &Ui) -> String {
    score.map_or_else(|| ui.no_score.to_owned(), |s| format!("{s:.2}"))
}

pub fn tier_label(def: &crate::domain::tiering::TierDef, lang: Lang) -> String {
    match lang {
        Lang::Zh => def.label_zh.clone(),
        Lang::En => def.label_en.clone(),
    }
}

/// An option of a filter or form select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn choices(values: &[String], selected: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: v.clone(),
            label: v.clone(),
            selected: v == selected,
        })
        .collect()
}

/// The key figures of a Pareto analysis, amounts written as the pages show them (yuan, years
/// to two decimals, counts).
pub fn pareto_figures(
    view: &crate::app::account_book::ParetoView,
) -> crate::web::i18n::ParetoFigures {
    use crate::domain::account::Decimal;
    use crate::domain::tiering::Indicator;
    let p = &view.pareto;
    let amount = |v: Decimal| {
        if view.indicator.is_money() {
            format_yuan(v.units)
        } else if view.indicator == Indicator::CooperationYears {
            format!("{:.2}", v.to_f64())
        } else {
            v.to_string()
        }
    };
    crate::web::i18n::ParetoFigures {
        indicator: view.indicator,
        total: amount(p.total),
        top20_count: p.top20_count,
        top20_share: p.top20_share,
        accounts_for_80pct: p.accounts_for_80pct,
        accounts_for_80pct_share: p
            .accounts_for_80pct
            .map_or(0.0, |c| 100.0 * c as f64 / p.n.max(1) as f64),
        gini: p.gini,
        bottom10_count: p.bottom10_count,
        bottom10_sum: amount(p.bottom10_sum),
    }
}
