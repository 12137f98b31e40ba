//! Stored times (RFC 3339, UTC) as people read them on a page: "3 分钟前" / "3 min ago" for
//! the last day, else "12月6日 20:20" / "6 Dec 20:20" (with the year when it is not this
//! year's). The exact time goes into the `title` and `datetime` of a `<time>` element, so
//! hovering shows it. Times are shown in UTC, as stored: the server does not know the
//! viewer's time zone.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::domain::Lang;

/// A stored time ready for `<time datetime="{{ exact }}" title="{{ exact }}">{{ text }}</time>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanTime {
    /// As people read it, in the UI language.
    pub text: String,
    /// The stored value (RFC 3339), for the tooltip and `datetime`.
    pub exact: String,
}

/// `stored` (RFC 3339) as people read it, relative to now.
pub fn human_time(stored: &str, lang: Lang) -> HumanTime {
    human_time_at(stored, lang, OffsetDateTime::now_utc())
}

/// `stored` (RFC 3339) as people read it at `now`. A value that does not parse is shown as
/// it is.
pub fn human_time_at(stored: &str, lang: Lang, now: OffsetDateTime) -> HumanTime {
    let exact = stored.to_owned();
    let Ok(at) = OffsetDateTime::parse(stored, &Rfc3339) else {
        return HumanTime {
            text: exact.clone(),
            exact,
        };
    };
    let at = at.to_offset(time::UtcOffset::UTC);
    let ago = (now - at).whole_seconds();
    let text = match (lang, ago) {
        (Lang::Zh, 0..60) => "刚刚".to_owned(),
        (Lang::En, 0..60) => "just now".to_owned(),
        (Lang::Zh, 60..3600) => format!("{} 分钟前", ago / 60),
        (Lang::En, 60..3600) => format!("{} min ago", ago / 60),
        (Lang::Zh, 3600..86400) => format!("{} 小时前", ago / 3600),
        (Lang::En, 3600..86400) => format!("{} h ago", ago / 3600),
        _ => calendar(at, lang, at.year() != now.year()),
    };
    HumanTime { text, exact }
}

fn calendar(at: OffsetDateTime, lang: Lang, with_year: bool) -> String {
    let (month, day) = (u8::from(at.month()), at.day());
    let clock = format!("{:02}:{:02}", at.hour(), at.minute());
    match (lang, with_year) {
        (Lang::Zh, false) => format!("{month}月{day}日 {clock}"),
        (Lang::Zh, true) => format!("{}年{month}月{day}日 {clock}", at.year()),
        (Lang::En, false) => format!("{day} {} {clock}", month_abbreviation(month)),
        (Lang::En, true) => format!("{day} {} {} {clock}", month_abbreviation(month), at.year()),
    }
}

fn month_abbreviation(month: u8) -> &'static str {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS[usize::from(month.clamp(1, 12) - 1)]
}

/// `n` with thousands separators: `86,400,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::parse("2026-12-07T08:00:00Z", &Rfc3339).unwrap()
    }

    #[test]
    fn recent_times_read_as_how_long_ago_and_older_ones_as_a_date() {
        let cases = [
            ("2026-12-07T07:59:30.5Z", "刚刚", "just now"),
            ("2026-12-07T07:57:00Z", "3 分钟前", "3 min ago"),
            ("2026-12-07T05:00:00Z", "3 小时前", "3 h ago"),
            (
                "2026-12-05T20:20:04.801932743Z",
                "12月5日 20:20",
                "5 Dec 20:20",
            ),
            (
                "2025-03-01T02:00:00Z",
                "2025年3月1日 02:00",
                "1 Mar 2025 02:00",
            ),
            // Another offset is shown in UTC, as every other time.
            ("2026-11-01T10:00:00+08:00", "11月1日 02:00", "1 Nov 02:00"),
        ];
        for (stored, zh, en) in cases {
            assert_eq!(human_time_at(stored, Lang::Zh, now()).text, zh, "{stored}");
            assert_eq!(human_time_at(stored, Lang::En, now()).text, en, "{stored}");
            assert_eq!(human_time_at(stored, Lang::En, now()).exact, stored);
        }
    }

    #[test]
    fn a_time_that_does_not_parse_is_shown_as_stored() {
        let shown = human_time_at("yesterday", Lang::Zh, now());
        assert_eq!(shown.text, "yesterday");
    }

    #[test]
    fn large_numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(86_400_000), "86,400,000");
    }
}
