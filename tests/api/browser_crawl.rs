//! The crawl: for each role and each UI language, start at `/` and follow every same-origin
//! link, and on every page check what a person would notice: a link that answers 4xx or 5xx,
//! a raw ISO timestamp, a raw id (role, status, outcome, tier, scenario, method) where words
//! belong, a label of the other language in the page's frame, a link to an item in the other
//! language although a translation exists, and horizontal overflow on a 390 px phone.
//!
//! Links are checked over HTTP with the role's session (every distinct link once); pages are
//! loaded in one Chromium at phone width (390 px) to read the visible text and the width. The
//! failure message lists `role/lang page: problem`, one line each.

use std::collections::{HashMap, HashSet, VecDeque};

use fantoccini::Client;

use crate::browser::browser;
use crate::helpers::TestApp;

/// Pages whose layout the phone work (issue 19, item 3) rebuilds: their overflow at 390 px is
/// known and reported, not failed. Remove entries once that work is merged.
const KNOWN_PHONE_OVERFLOW: &[&str] = &[];

/// Most pages loaded per route pattern (`/content/*`, `/accounts/*/…`), and per path with the
/// same set of query parameters.
const PER_PATTERN: usize = 6;
const PER_CONTENT_PATTERN: usize = 120;
const PER_QUERY_SHAPE: usize = 2;
/// Most pages loaded in the browser per role and language.
const MAX_PAGES: usize = 300;

const PHONE_WIDTH: i64 = 390;

/// Elements whose text is content or data (item bodies, titles, names, snippets, what people
/// typed), not the page's own words: the language and id checks skip them.
const CONTENT: &str = "script, style, template, noscript, .markdown, .content-body, .snippet, \
    .summary, .lead, pre, code, textarea, .error-detail, [lang]:not(html), .user, .lookup-meta, \
    .lookup-name, a[href^='/content/'], article.content > h1, .badge.tag, .sent-back, \
    .practices strong, .moves li, .hit-title, .did-you-mean a, .left-out, .missing, .alert, \
    .item-title, .synonym, .admin-name";

/// Reads the page: visible text outside content, attributes people read, links, the width.
const PROBE: &str = r#"
const skip = arguments[0];
const visible = (el) => el.getClientRects().length > 0;
const texts = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const el = node.parentElement;
  const text = node.textContent.replace(/\s+/g, ' ').trim();
  if (!text || !el || el.closest(skip) || !visible(el)) continue;
  texts.push(text);
}
for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
  if (el.closest(skip)) continue;
  for (const name of ['placeholder', 'aria-label', 'title']) {
    const v = el.getAttribute(name);
    if (v && v.trim()) texts.push(v.trim());
  }
}
const links = Array.from(document.querySelectorAll('a[href]')).map((a) => [
  a.href, a.hasAttribute('hreflang') || a.closest('.translations, .lang-switch') !== null,
]);
const article = document.querySelector('article.content[lang]');
const ui = document.documentElement.lang.slice(0, 2);
return {
  texts,
  links,
  width: document.documentElement.scrollWidth,
  article_lang: article ? article.getAttribute('lang') : null,
  translated: document.querySelector('.translations a[hreflang="' + ui + '"]') !== null,
};
"#;

/// One role's view: a user and the words that must not show raw in each language.
struct Role {
    role: &'static str,
    user: &'static str,
}

const ROLES: [Role; 4] = [
    Role {
        role: "rep",
        user: "zhang.wei",
    },
    Role {
        role: "trainer",
        user: "chen.jing",
    },
    Role {
        role: "manager",
        user: "zhao.lei",
    },
    Role {
        role: "admin",
        user: "sysop",
    },
];

/// Ids that are never words of either language (`in_review`, `log_min_max`, `routine-visit`),
/// and ids that are English words, raw only in the Chinese UI (`rep`, `won`, `major`).
struct RawIds {
    anywhere: Vec<String>,
    in_chinese: Vec<String>,
}

fn raw_ids(tiers: &[String], scenarios: &[String]) -> RawIds {
    let mut anywhere: Vec<String> = [
        "in_review",
        "sent_back",
        "rank_percentile",
        "min_max",
        "log_min_max",
        "cooperation_years",
        "overdue_days",
        "product_lines",
        "potential_customer",
        "potential_service",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut in_chinese: Vec<String> = [
        "rep",
        "trainer",
        "manager",
        "admin",
        "draft",
        "published",
        "archived",
        "submitted",
        "approved",
        "imported",
        "won",
        "lost",
        "ongoing",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for id in tiers.iter().chain(scenarios) {
        if id.contains(['-', '_']) {
            anywhere.push(id.clone());
        } else {
            in_chinese.push(id.clone());
        }
    }
    RawIds {
        anywhere,
        in_chinese,
    }
}

/// Whether `word` occurs in `text` as a whole word (not inside a longer run of letters,
/// digits, `_`, `-` or `.`, so `li.na` and `admin2` are not `admin`).
fn has_word(text: &str, word: &str) -> bool {
    let is_word_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@');
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
    })
}

/// A raw RFC 3339 timestamp: `\d{4}-\d{2}-\d{2}T\d{2}:\d{2}`.
fn has_iso_timestamp(text: &str) -> bool {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd";
    text.as_bytes().windows(SHAPE.len()).any(|w| {
        w.iter().zip(SHAPE).all(|(c, shape)| match shape {
            b'd' => c.is_ascii_digit(),
            other => c == other,
        })
    })
}

/// The UI strings of one language, read from the source: the `Ui` tables of
/// `src/web/i18n.rs` and the `ctx.t("中文", "English")` pairs of the templates.
fn ui_strings() -> (HashSet<String>, HashSet<String>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let i18n = std::fs::read_to_string(root.join("src/web/i18n.rs")).expect("i18n.rs");
    let table = |start: &str| -> HashSet<String> {
        let from = i18n.find(start).expect("the table");
        let body = &i18n[from..];
        let body = &body[..body.find("\n};").expect("the table's end")];
        body.lines()
            .filter_map(|line| {
                let (_, value) = line.split_once(": \"")?;
                let value = value.strip_suffix("\",")?;
                (!value.contains('{')).then(|| value.replace("\\\"", "\""))
            })
            .collect()
    };
    let (mut zh, mut en) = (table("pub static ZH: Ui"), table("pub static EN: Ui"));
    for entry in std::fs::read_dir(root.join("templates")).expect("templates") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("template");
        for call in text.split("ctx.t(\"").skip(1) {
            let Some((zh_text, rest)) = call.split_once("\", \"") else {
                continue;
            };
            let Some((en_text, _)) = rest.split_once("\")") else {
                continue;
            };
            zh.insert(zh_text.to_owned());
            en.insert(en_text.to_owned());
        }
    }
    // Strings both languages share (the brand, `CSV`) say nothing about the language.
    let shared: HashSet<String> = zh.intersection(&en).cloned().collect();
    let keep = |set: HashSet<String>| -> HashSet<String> {
        set.into_iter()
            .filter(|s| {
                // Punctuation (a colon in one typography or the other) names no language.
                !shared.contains(s)
                    && s.chars().count() >= 2
                    && s.chars().any(char::is_alphanumeric)
            })
            .collect()
    };
    (keep(zh), keep(en))
}

/// Whether a text of the page is (or holds) a UI string of the other language: the whole
/// text, or for longer strings (two words or more, four characters or more of Chinese) a part.
fn other_language_label<'a>(text: &str, other: &'a HashSet<String>) -> Option<&'a str> {
    let trimmed = text.trim_end_matches([':', '：', '.', '。', ' ']);
    other
        .iter()
        .find(|label| {
            let long = label.contains(' ') || label.chars().filter(|c| !c.is_ascii()).count() >= 4;
            trimmed == label.as_str() || (long && text.contains(label.as_str()))
        })
        .map(String::as_str)
}

/// The route pattern a path counts against: `/content/*`, `/accounts/*/…`.
fn pattern(path: &str) -> (String, usize) {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let dynamic = matches!(
        segments.first().copied(),
        Some("content" | "accounts" | "courses" | "lessons")
    ) && segments.len() >= 2
        && !matches!(segments.get(1).copied(), Some("find" | "import"));
    if !dynamic {
        return (path.to_owned(), PER_PATTERN);
    }
    let mut shape = format!("/{}/*", segments[0]);
    for s in &segments[2..] {
        shape.push('/');
        shape.push_str(if s.chars().all(|c| c.is_ascii_digit()) {
            "n"
        } else {
            s
        });
    }
    let cap = if shape == "/content/*" {
        PER_CONTENT_PATTERN
    } else {
        PER_PATTERN
    };
    (shape, cap)
}

/// Links the crawl checks over HTTP but does not open as pages.
fn check_only(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/static/")
        || path.ends_with(".csv")
        || path.contains("/attachments/")
}

/// Links the crawl leaves alone: they change state or only switch the language.
fn skipped(path: &str) -> bool {
    path == "/logout" || path.starts_with("/lang/")
}

#[derive(serde::Deserialize)]
struct Probe {
    texts: Vec<String>,
    links: Vec<(String, bool)>,
    width: i64,
    article_lang: Option<String>,
    translated: bool,
}

/// Signs `user` in over the API: a client with the session and `lang` cookies, and the session
/// cookie's value for the browser.
async fn session(
    app: &TestApp,
    user: &str,
    password: &str,
    lang: &str,
) -> (reqwest::Client, String) {
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .header("Origin", &app.address)
        .json(&serde_json::json!({ "name": user, "password": password }))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(response.status(), 200, "{user} signs in");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("pb_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "Cookie",
        format!("pb_session={cookie}; lang={lang}")
            .parse()
            .expect("cookie header"),
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("client");
    (client, cookie)
}

struct Crawl<'a> {
    app: &'a TestApp,
    browser: &'a Client,
    http: reqwest::Client,
    label: String,
    lang: &'static str,
    ids: &'a RawIds,
    other_labels: &'a HashSet<String>,
    problems: &'a mut Vec<String>,
    phone_known: &'a mut Vec<String>,
}

impl Crawl<'_> {
    fn problem(&mut self, page: &str, what: String) {
        self.problems.push(format!("{} {page}: {what}", self.label));
    }

    fn check_text(&mut self, page: &str, text: &str) {
        if has_iso_timestamp(text) {
            self.problem(page, format!("raw ISO timestamp in {text:?}"));
        }
        let zh = self.lang == "zh";
        let none: &[String] = &[];
        let raw: Vec<String> = self
            .ids
            .anywhere
            .iter()
            .chain(if zh { &self.ids.in_chinese[..] } else { none })
            .filter(|id| has_word(text, id))
            .cloned()
            .collect();
        for id in raw {
            self.problem(page, format!("raw id {id:?} in {text:?}"));
        }
        if let Some(label) = other_language_label(text, self.other_labels) {
            let label = label.to_owned();
            self.problem(
                page,
                format!("label of the other language {label:?} in {text:?}"),
            );
        }
    }

    async fn run(&mut self) {
        let start = self.app.url("/");
        let origin = self.app.address.clone();
        let mut queue: VecDeque<(String, String, bool)> =
            VecDeque::from([(start.clone(), "(start)".to_owned(), false)]);
        let mut queued: HashSet<String> = HashSet::from([start]);
        let mut per_pattern: HashMap<String, usize> = HashMap::new();
        let mut per_query: HashMap<String, usize> = HashMap::new();
        // Pages of items in the other language with a translation in this one: who linked them.
        let mut linked_from: HashMap<String, Vec<(String, bool)>> = HashMap::new();
        let mut pages = 0;
        while let Some((url, from, _)) = queue.pop_front() {
            let parsed = url::Url::parse(&url).expect("a URL");
            let path = parsed.path().to_owned();
            let shown = match parsed.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.clone(),
            };
            let response = match self.http.get(&url).send().await {
                Ok(response) => response,
                Err(e) => {
                    self.problem(&from, format!("link to {shown} failed: {e}"));
                    continue;
                }
            };
            let status = response.status().as_u16();
            if status >= 400 {
                self.problem(&from, format!("link to {shown} answers {status}"));
                continue;
            }
            if (300..400).contains(&status) {
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                if let Ok(next) = parsed.join(&location) {
                    if next.path() == "/login" {
                        self.problem(
                            &from,
                            format!("link to {shown} sends a signed-in user to /login"),
                        );
                    } else if next.as_str().starts_with(&origin) && queued.insert(next.to_string())
                    {
                        queue.push_back((next.to_string(), from.clone(), false));
                    }
                }
                continue;
            }
            let html = response
                .headers()
                .get("content-type")
                .and_then(|c| c.to_str().ok())
                .is_some_and(|c| c.starts_with("text/html"));
            if !html || check_only(&path) || pages >= MAX_PAGES {
                continue;
            }
            let (shape, cap) = pattern(&path);
            let mut names: Vec<String> =
                parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
            names.sort();
            let query_shape = format!("{path}?{}", names.join("&"));
            let shape_count = per_pattern.entry(shape).or_default();
            let query_count = per_query.entry(query_shape).or_default();
            if *shape_count >= cap || *query_count >= PER_QUERY_SHAPE {
                continue;
            }
            *shape_count += 1;
            *query_count += 1;
            pages += 1;

            self.browser.goto(&url).await.expect("the page loads");
            let probe = self
                .browser
                .execute(PROBE, vec![serde_json::json!(CONTENT)])
                .await
                .expect("the probe runs");
            let probe: Probe = serde_json::from_value(probe).expect("the probe's answer");
            for text in &probe.texts {
                self.check_text(&shown, text);
            }
            if probe.width > PHONE_WIDTH {
                let what = format!(
                    "{}px wide at {PHONE_WIDTH}px (horizontal overflow)",
                    probe.width
                );
                if KNOWN_PHONE_OVERFLOW.contains(&path.as_str()) {
                    self.phone_known
                        .push(format!("{} {shown}: {what}", self.label));
                } else {
                    self.problem(&shown, what);
                }
            }
            if probe
                .article_lang
                .as_deref()
                .is_some_and(|l| l != self.lang)
                && probe.translated
            {
                for (referrer, via_switch) in linked_from.get(&path).cloned().unwrap_or_default() {
                    if !via_switch {
                        self.problem(
                            &referrer,
                            format!(
                                "links {path} in the other language although its translation exists"
                            ),
                        );
                    }
                }
            }
            for (link, via_switch) in probe.links {
                let Ok(mut target) = url::Url::parse(&link) else {
                    continue;
                };
                target.set_fragment(None);
                if !target.as_str().starts_with(&origin) || skipped(target.path()) {
                    continue;
                }
                linked_from
                    .entry(target.path().to_owned())
                    .or_default()
                    .push((shown.clone(), via_switch));
                if queued.insert(target.to_string()) {
                    queue.push_back((target.to_string(), shown.clone(), via_switch));
                }
            }
        }
        assert!(
            pages > 5,
            "{}: the crawl reached only {pages} pages",
            self.label
        );
    }
}

#[tokio::test]
async fn every_page_each_role_reaches_in_each_language_reads_as_words_in_that_language_and_fits_a_phone(
) {
    let app = crate::briefing::app_with_accounts().await;
    let (status, coverage) = app.get_coverage().await;
    assert_eq!(status, 200);
    let strings = |key: &str| -> Vec<String> {
        coverage[key]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let ids = raw_ids(&strings("tiers"), &strings("scenarios"));
    let (zh_labels, en_labels) = ui_strings();
    assert!(
        zh_labels.len() > 100 && en_labels.len() > 100,
        "the UI tables were read"
    );

    let browser = browser(390, 844).await;
    let c = &browser.client;
    let mut problems = Vec::new();
    let mut phone_known = Vec::new();
    for role in &ROLES {
        let password = app.add_user(role.user, role.role).await;
        for lang in ["zh", "en"] {
            let (http, _) = session(&app, role.user, &password, lang).await;
            c.goto(&app.url("/login")).await.expect("the login page");
            c.delete_all_cookies().await.expect("cookies cleared");
            crate::browser::sign_in(c, &app, role.user, &password, "/").await;
            c.goto(&app.url(&format!("/lang/{lang}?next=/")))
                .await
                .expect("the language switch");
            let mut crawl = Crawl {
                app: &app,
                browser: c,
                http,
                label: format!("{}/{lang}", role.role),
                lang,
                ids: &ids,
                other_labels: if lang == "zh" { &en_labels } else { &zh_labels },
                problems: &mut problems,
                phone_known: &mut phone_known,
            };
            crawl.run().await;
        }
    }
    browser.client.clone().close().await.ok();
    if !phone_known.is_empty() {
        eprintln!(
            "known phone overflow (KNOWN_PHONE_OVERFLOW), left to the phone work:\n{}",
            phone_known.join("\n")
        );
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} problems found by the crawl (role/lang page: problem):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_crawl_checks_see_what_they_look_for() {
    assert!(has_iso_timestamp("at 2026-12-06T20:20:04.80Z"));
    assert!(!has_iso_timestamp("12月6日 20:20"));
    assert!(has_word("角色 rep", "rep"));
    assert!(!has_word("li.na", "na") && !has_word("admin2", "admin") && !has_word("report", "rep"));
    let other: HashSet<String> = ["Sign out".to_owned(), "Any".to_owned()].into();
    assert_eq!(other_language_label("Any", &other), Some("Any"));
    assert_eq!(
        other_language_label("Please Sign out now", &other),
        Some("Sign out")
    );
    assert_eq!(other_language_label("Anyone", &other), None);
    assert_eq!(pattern("/content/a-b").0, "/content/*");
    assert_eq!(
        pattern("/content/a-b/versions/3").0,
        "/content/*/versions/n"
    );
    assert_eq!(pattern("/accounts/find").0, "/accounts/find");
}
