//! Words for the ids and values pages show people: roles, workflow statuses and actions, dates
//! as people read them ("12月6日 20:20", "3 分钟前") and numbers with separators. One place, so
//! every page says the same thing in the same language; the JSON API keeps the ids.
//!
//! Pure functions of their inputs (the current time is a parameter where it matters), so they
//! are tested here without a server.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::domain::content::Status;
use crate::domain::policy::Role;
use crate::domain::workflow::Action;
use crate::domain::Lang;

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// A role's name.
pub fn role(role: Role, lang: Lang) -> &'static str {
    match role {
        Role::Rep => pick(lang, "销售代表", "Sales rep"),
        Role::Trainer => pick(lang, "培训师", "Trainer"),
        Role::Manager => pick(lang, "销售经理", "Manager"),
        Role::Admin => pick(lang, "管理员", "Administrator"),
    }
}

/// A role's name from its id (`rep`, …); an unknown id is shown as it is.
pub fn role_id(id: &str, lang: Lang) -> String {
    Role::ALL
        .into_iter()
        .find(|r| r.as_str() == id)
        .map_or_else(|| id.to_owned(), |r| role(r, lang).to_owned())
}

/// A workflow status.
pub fn status(status: Status, lang: Lang) -> &'static str {
    match status {
        Status::Draft => pick(lang, "草稿", "Draft"),
        Status::InReview => pick(lang, "审核中", "In review"),
        Status::Published => pick(lang, "已发布", "Published"),
        Status::Archived => pick(lang, "已归档", "Archived"),
    }
}

/// A workflow status from its id; "" for an unknown one.
pub fn status_id(id: &str, lang: Lang) -> &'static str {
    Status::parse(id).map_or("", |s| status(s, lang))
}

/// What a version of an item records as its cause.
pub fn action(action: Action, lang: Lang) -> &'static str {
    match action {
        Action::Imported => pick(lang, "从文件载入", "Loaded from file"),
        Action::Created => pick(lang, "创建", "Created"),
        Action::Saved => pick(lang, "保存", "Saved"),
        Action::Submitted => pick(lang, "提交审核", "Submitted for review"),
        Action::Approved => pick(lang, "批准发布", "Approved"),
        Action::SentBack => pick(lang, "退回修改", "Sent back"),
        Action::Archived => pick(lang, "归档", "Archived"),
        Action::Restored => pick(lang, "恢复旧版本", "Restored"),
        Action::Curated => pick(lang, "标记最佳实践", "Best practice marked"),
    }
}

/// A language's name, as the badge of an item shown in the other UI language.
pub fn language_badge(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "中文",
        Lang::En => "EN",
    }
}

/// `n` with a comma between groups of three digits: `86,400,000` (Chinese pages use the same).
pub fn group_digits(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        grouped.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// `usize` counts, grouped (see [`group_digits`]).
pub fn count(n: usize) -> String {
    group_digits(i128::try_from(n).unwrap_or(i128::MAX))
}

/// A moment as a page shows it: the words, the machine-readable value and the exact local time
/// for the hover title (`<time datetime="…" title="…">…</time>`, see `macros.html`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanTime {
    /// RFC 3339 (or the date) for `datetime`.
    pub iso: String,
    /// The exact time in the page's time zone, naming the zone.
    pub title: String,
    /// "3 分钟前", "昨天 20:20", "12月6日 20:20", "Dec 6, 2025, 20:20".
    pub text: String,
}

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn zone_name(offset: UtcOffset) -> String {
    let (h, m, _) = offset.as_hms();
    if h == 0 && m == 0 {
        "UTC".to_owned()
    } else if m == 0 {
        format!("UTC{h:+}")
    } else {
        format!("UTC{h:+}:{:02}", m.unsigned_abs())
    }
}

fn day_text(date: Date, with_year: bool, lang: Lang) -> String {
    let (year, month, day) = (date.year(), u8::from(date.month()), date.day());
    match (lang, with_year) {
        (Lang::Zh, true) => format!("{year}年{month}月{day}日"),
        (Lang::Zh, false) => format!("{month}月{day}日"),
        (Lang::En, true) => format!("{} {day}, {year}", MONTHS_EN[usize::from(month) - 1]),
        (Lang::En, false) => format!("{} {day}", MONTHS_EN[usize::from(month) - 1]),
    }
}

/// `value` (RFC 3339, or a bare date `YYYY-MM-DD`) in words, relative to `now` when recent;
/// `None` when it is neither (the caller shows it as it is).
pub fn human_time_at(
    value: &str,
    lang: Lang,
    offset: UtcOffset,
    now: OffsetDateTime,
) -> Option<HumanTime> {
    let value = value.trim();
    if let Ok(date) = Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    ) {
        let today = now.to_offset(offset).date();
        let text = day_text(date, date.year() != today.year(), lang);
        return Some(HumanTime {
            iso: value.to_owned(),
            title: day_text(date, true, lang),
            text,
        });
    }
    let moment = OffsetDateTime::parse(value, &Rfc3339)
        .ok()
        .or_else(|| {
            // A stored time without its zone is UTC.
            PrimitiveDateTime::parse(
                value,
                time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
            )
            .ok()
            .map(PrimitiveDateTime::assume_utc)
        })?
        .to_offset(offset);
    let now = now.to_offset(offset);
    let clock = format!("{:02}:{:02}", moment.hour(), moment.minute());
    let exact = format!(
        "{} {clock}:{:02} ({})",
        day_text(moment.date(), true, lang),
        moment.second(),
        zone_name(offset)
    );
    let ago = now - moment;
    let minutes = ago.whole_minutes();
    let text = if ago.is_negative() && ago.whole_seconds() < -60 {
        // In the future (a clock ahead of ours): the day and time.
        format!(
            "{} {clock}",
            day_text(moment.date(), moment.year() != now.year(), lang)
        )
    } else if minutes < 1 {
        pick(lang, "刚刚", "just now").to_owned()
    } else if minutes < 60 {
        match lang {
            Lang::Zh => format!("{minutes} 分钟前"),
            Lang::En if minutes == 1 => "1 minute ago".to_owned(),
            Lang::En => format!("{minutes} minutes ago"),
        }
    } else if moment.date() == now.date() {
        let hours = ago.whole_hours();
        match lang {
            Lang::Zh => format!("{hours} 小时前"),
            Lang::En if hours == 1 => "1 hour ago".to_owned(),
            Lang::En => format!("{hours} hours ago"),
        }
    } else if now.date().previous_day() == Some(moment.date()) {
        format!("{} {clock}", pick(lang, "昨天", "yesterday"))
    } else {
        let day = day_text(moment.date(), moment.year() != now.year(), lang);
        match lang {
            Lang::Zh => format!("{day} {clock}"),
            Lang::En => format!("{day}, {clock}"),
        }
    };
    let iso = moment.format(&Rfc3339).unwrap_or_else(|_| value.to_owned());
    Some(HumanTime {
        iso,
        title: exact,
        text,
    })
}

/// `value` in words as of now; a value that is no time is shown as it is.
pub fn human_time(value: &str, lang: Lang, offset: UtcOffset) -> HumanTime {
    human_time_at(value, lang, offset, OffsetDateTime::now_utc()).unwrap_or_else(|| HumanTime {
        iso: String::new(),
        title: String::new(),
        text: value.to_owned(),
    })
}

/// A number of seconds since the Unix epoch as RFC 3339 (for stores that keep timestamps).
pub fn unix_to_rfc3339(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    const SHANGHAI: UtcOffset = offset!(+8);
    const NOW: OffsetDateTime = datetime!(2026-12-07 12:20:00 UTC); // 20:20 in Shanghai

    fn text(value: &str, lang: Lang) -> String {
        human_time_at(value, lang, SHANGHAI, NOW).unwrap().text
    }

    #[test]
    fn recent_times_are_relative_older_ones_are_a_day_and_a_time() {
        assert_eq!(text("2026-12-07T12:19:40Z", Lang::Zh), "刚刚");
        assert_eq!(text("2026-12-07T12:17:00Z", Lang::Zh), "3 分钟前");
        assert_eq!(text("2026-12-07T12:17:00Z", Lang::En), "3 minutes ago");
        assert_eq!(text("2026-12-07T09:00:00Z", Lang::En), "3 hours ago");
        // 20:20 the day before, Shanghai time.
        assert_eq!(
            text("2026-12-06T12:20:04.801932743Z", Lang::Zh),
            "昨天 20:20"
        );
        assert_eq!(text("2026-12-06T12:20:04Z", Lang::En), "yesterday 20:20");
        assert_eq!(text("2026-11-06T12:20:04Z", Lang::Zh), "11月6日 20:20");
        assert_eq!(text("2026-11-06T12:20:04Z", Lang::En), "Nov 6, 20:20");
        assert_eq!(
            text("2025-12-06T12:20:04Z", Lang::Zh),
            "2025年12月6日 20:20"
        );
        assert_eq!(text("2025-12-06T12:20:04Z", Lang::En), "Dec 6, 2025, 20:20");
    }

    #[test]
    fn the_title_is_the_exact_local_time_naming_the_zone() {
        let t = human_time_at("2026-12-06T12:20:04.801932743Z", Lang::Zh, SHANGHAI, NOW).unwrap();
        assert_eq!(t.title, "2026年12月6日 20:20:04 (UTC+8)");
        assert!(t.iso.starts_with("2026-12-06T20:20:04"), "{}", t.iso);
        let utc = human_time_at("2026-12-06T12:20:04Z", Lang::En, UtcOffset::UTC, NOW).unwrap();
        assert_eq!(utc.title, "Dec 6, 2026 12:20:04 (UTC)");
    }

    #[test]
    fn bare_dates_have_no_time_and_other_text_is_left_alone() {
        assert_eq!(text("2026-12-31", Lang::Zh), "12月31日");
        assert_eq!(text("2027-01-31", Lang::En), "Jan 31, 2027");
        assert!(human_time_at("soon", Lang::En, SHANGHAI, NOW).is_none());
        assert_eq!(human_time("soon", Lang::En, SHANGHAI).text, "soon");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(group_digits(86_400_000_i64), "86,400,000");
        assert_eq!(group_digits(-1234_i32), "-1,234");
        assert_eq!(group_digits(999_u32), "999");
        assert_eq!(count(2012), "2,012");
    }

    #[test]
    fn every_role_status_and_action_has_words_in_both_languages() {
        for lang in [Lang::Zh, Lang::En] {
            for r in Role::ALL {
                assert_ne!(role(r, lang), r.as_str());
            }
            for s in Status::ALL {
                assert!(!status(s, lang).is_empty());
            }
        }
        assert_eq!(role_id("rep", Lang::Zh), "销售代表");
        assert_eq!(action(Action::SentBack, Lang::Zh), "退回修改");
    }
}
