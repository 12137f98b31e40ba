//! Markdown is hostile input. Every payload of the XSS corpus (`tests/fixtures/xss/payloads.txt`)
//! is rendered with `render_html`, the output is parsed the way a browser parses it (html5ever,
//! via scraper) and no script-capable construct may survive: no script-capable or foreign
//! element, no event handler, no `style` beyond table alignment, no URL whose scheme (after a
//! browser's normalisation) is anything but http, https or mailto.

use std::collections::HashSet;
use std::path::Path;

use playbook::render::render_html;
use scraper::{ElementRef, Html, Selector};

const HTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Elements that can run script, load a document, change the page's base or styles, or submit.
#[rustfmt::skip]
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "svg", "math",
    "style", "link", "meta", "base", "form", "button", "textarea", "select", "template",
    "noscript", "noembed", "noframes", "xmp", "plaintext", "title", "video", "audio", "source",
    "param", "isindex", "keygen", "bgsound", "marquee",
];

/// Every element the sanitiser may let through: ammonia's default allow-list plus the task-list
/// checkbox. A new element in the output must be reviewed before it is added here.
#[rustfmt::skip]
const ALLOWED_ELEMENTS: &[&str] = &[
    "a", "abbr", "acronym", "area", "article", "aside", "b", "bdi", "bdo", "blockquote", "br",
    "caption", "center", "cite", "code", "col", "colgroup", "data", "dd", "del", "details", "dfn",
    "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "i", "img", "input", "ins", "kbd", "li", "map", "mark", "nav", "ol",
    "p", "pre", "q", "rp", "rt", "rtc", "ruby", "s", "samp", "small", "span", "strike", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "time", "tr", "tt", "u", "ul",
    "var", "wbr",
];

/// Attributes that hold a URL somewhere in some browser.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "xlink:href",
    "src",
    "srcset",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "cite",
    "ping",
    "lowsrc",
    "dynsrc",
    "longdesc",
    "codebase",
    "manifest",
];

/// Attributes that are dangerous without a URL: inline documents, DOM clobbering by name,
/// focus or popover tricks, form association.
const FORBIDDEN_ATTRIBUTES: &[&str] = &[
    "srcdoc",
    "name",
    "form",
    "target",
    "autofocus",
    "contenteditable",
    "popover",
    "popovertarget",
    "xmlns",
    "is",
];

const ALLOWED_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// The only `style` values pulldown-cmark writes (table alignment).
const ALIGNMENT_STYLES: &[&str] = &[
    "text-align: left",
    "text-align: center",
    "text-align: right",
];

/// The only classes rendered Markdown carries (footnotes).
const ALLOWED_CLASSES: &[(&str, &str)] = &[
    ("sup", "footnote-reference"),
    ("sup", "footnote-definition-label"),
    ("div", "footnote-definition"),
];

const ID_PREFIX: &str = "user-content-";

struct Payload {
    /// 1-based position in the corpus.
    index: usize,
    /// Line of the `%%%` header in the corpus file.
    line: usize,
    name: String,
    markdown: String,
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/xss")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads the corpus: entries start with a `%%% name` line; `{U+XXXX}` is that code point.
fn corpus() -> Vec<Payload> {
    let mut payloads: Vec<Payload> = Vec::new();
    for (number, line) in fixture("payloads.txt").lines().enumerate() {
        if let Some(name) = line.strip_prefix("%%% ") {
            payloads.push(Payload {
                index: payloads.len() + 1,
                line: number + 1,
                name: name.trim().to_owned(),
                markdown: String::new(),
            });
        } else if let Some(payload) = payloads.last_mut() {
            payload
                .markdown
                .push_str(&decode_code_points(line, number + 1));
            payload.markdown.push('\n');
        }
    }
    for payload in &mut payloads {
        let end = payload.markdown.trim_end().len();
        payload.markdown.truncate(end);
        payload.markdown.push('\n');
    }
    payloads
}

fn decode_code_points(line: &str, number: usize) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("{U+") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after
            .find('}')
            .unwrap_or_else(|| panic!("payloads.txt:{number}: unterminated {{U+…}}"));
        let code = u32::from_str_radix(&after[..end], 16)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or_else(|| panic!("payloads.txt:{number}: bad code point {}", &after[..end]));
        out.push(code);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The scheme a browser reads from a URL attribute, after its normalisation: entities are already
/// decoded by the parser; ASCII whitespace and control characters are dropped (browsers strip
/// leading C0/space and remove tabs/newlines anywhere; dropping all of them is stricter), and
/// the scheme is case-insensitive. `None` for a relative URL.
fn scheme(value: &str) -> Option<String> {
    let cleaned: String = value
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .collect();
    let (candidate, _) = cleaned.split_once(':')?;
    let mut chars = candidate.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    // Anything else before the colon ("./a:b", "%6Aavascript:") makes the URL relative.
    valid.then(|| candidate.to_ascii_lowercase())
}

/// Why a URL attribute value is unsafe, if it is.
fn unsafe_url(value: &str) -> Option<String> {
    if let Some(scheme) = scheme(value) {
        if !ALLOWED_SCHEMES.contains(&scheme.as_str()) {
            return Some(format!("scheme {scheme:?}"));
        }
    }
    // Cross-check with a WHATWG URL parser, resolving against a page of the site.
    let base = url::Url::parse("https://playbook.invalid/content/item").unwrap();
    match base.join(value) {
        Ok(resolved) if !ALLOWED_SCHEMES.contains(&resolved.scheme()) => {
            Some(format!("resolves to scheme {:?}", resolved.scheme()))
        }
        // Unparsable: a browser does not follow it.
        _ => None,
    }
}

fn describe(element: &ElementRef) -> String {
    let attrs: Vec<String> = element
        .value()
        .attrs()
        .map(|(name, value)| format!("{name}={value:?}"))
        .collect();
    format!("<{} {}>", element.value().name(), attrs.join(" "))
}

/// Everything script-capable (or otherwise off-limits) in a piece of rendered HTML.
fn violations(html: &str) -> Vec<String> {
    let fragment = Html::parse_fragment(html);
    let root = fragment.root_element().id();
    let mut found = Vec::new();
    // Walk the tree, not the arena: the arena also holds the parser's detached `<body>` context.
    for node in fragment.tree.root().descendants() {
        let Some(element) = ElementRef::wrap(node) else {
            continue;
        };
        if element.id() == root {
            continue;
        }
        let el = element.value();
        let name = el.name();
        if &*el.name.ns != HTML_NS {
            found.push(format!(
                "foreign element {name} ({}): {}",
                &*el.name.ns,
                describe(&element)
            ));
        }
        if FORBIDDEN_ELEMENTS.contains(&name) {
            found.push(format!("forbidden element: {}", describe(&element)));
        } else if !ALLOWED_ELEMENTS.contains(&name) {
            found.push(format!(
                "element not on the allow-list: {}",
                describe(&element)
            ));
        }
        for (attr, value) in el.attrs() {
            let lower = attr.to_ascii_lowercase();
            if lower.starts_with("on") {
                found.push(format!("event handler {attr}={value:?} on <{name}>"));
            }
            if lower == "style"
                && !(matches!(name, "th" | "td") && ALIGNMENT_STYLES.contains(&value))
            {
                found.push(format!("style={value:?} on <{name}>"));
            }
            if FORBIDDEN_ATTRIBUTES.contains(&lower.as_str()) {
                found.push(format!("attribute {attr}={value:?} on <{name}>"));
            }
            if lower == "id" && !value.starts_with(ID_PREFIX) {
                found.push(format!(
                    "id={value:?} on <{name}> without the {ID_PREFIX:?} prefix (DOM clobbering)"
                ));
            }
            if lower == "class" {
                for class in value.split_ascii_whitespace() {
                    if !ALLOWED_CLASSES.contains(&(name, class)) {
                        found.push(format!("class {class:?} on <{name}>"));
                    }
                }
            }
            if URL_ATTRIBUTES.contains(&lower.as_str()) || lower.ends_with(":href") {
                let urls: Vec<&str> = if lower == "srcset" {
                    value
                        .split(',')
                        .filter_map(|candidate| candidate.split_whitespace().next())
                        .collect()
                } else {
                    vec![value]
                };
                for url in urls {
                    if let Some(why) = unsafe_url(url) {
                        found.push(format!("{attr}={url:?} on <{name}>: {why}"));
                    }
                }
            }
        }
        if name == "input"
            && !(el.attr("type") == Some("checkbox") && el.attr("disabled").is_some())
        {
            found.push(format!(
                "<input> that is not a disabled checkbox: {}",
                describe(&element)
            ));
        }
    }
    found
}

#[test]
fn the_corpus_is_large_and_well_formed() {
    let payloads = corpus();
    assert!(
        payloads.len() >= 100,
        "only {} payloads in the corpus",
        payloads.len()
    );
    let mut names = HashSet::new();
    for payload in &payloads {
        assert!(
            !payload.markdown.trim().is_empty(),
            "payload #{} (line {}) {:?} is empty",
            payload.index,
            payload.line,
            payload.name
        );
        assert!(
            names.insert(payload.name.as_str()),
            "payload #{} (line {}): duplicate name {:?}",
            payload.index,
            payload.line,
            payload.name
        );
    }
}

#[test]
fn no_payload_of_the_corpus_survives_the_sanitiser() {
    let payloads = corpus();
    let mut failures = Vec::new();
    for payload in &payloads {
        let html = render_html(&payload.markdown);
        let found = violations(&html);
        if !found.is_empty() {
            failures.push(format!(
                "payload #{} (payloads.txt line {}, {:?}):\n  input:  {:?}\n  output: {:?}\n  - {}",
                payload.index,
                payload.line,
                payload.name,
                payload.markdown,
                html,
                found.join("\n  - ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} payloads left script-capable HTML:\n\n{}",
        failures.len(),
        payloads.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_worst_payloads_for_the_browser_test_are_neutralised_too() {
    let document = fixture("worst.md");
    // Skip the front matter, as the content loader does.
    let body = document
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(_, body)| body)
        .expect("worst.md starts with front matter");
    let html = render_html(body);
    let found = violations(&html);
    assert!(
        found.is_empty(),
        "worst.md:\n  output: {html:?}\n  - {}",
        found.join("\n  - ")
    );
    let doc = Html::parse_fragment(&html);
    let sections = doc.select(&Selector::parse("h2").unwrap()).count();
    assert!(
        (5..=8).contains(&sections),
        "{sections} payload sections in worst.md"
    );
}

/// The checks above only mean something if the checker itself catches script-capable HTML.
#[test]
fn the_checker_flags_known_bad_html() {
    let bad = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
        "<a href=\" JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"&#0000106avascript:alert(1)\">x</a>",
        "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">",
        "<img srcset=\"https://ok.example/a.png 1x, javascript:alert(1) 2x\">",
        "<a href=\"tel:+15550100\">x</a>",
        "<svg><a xlink:href=\"javascript:alert(1)\">x</a></svg>",
        "<math><mi>x</mi></math>",
        "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>",
        "<table><tr><td style=\"color: red\">x</td></tr></table>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<div id=\"lookup-form\">x</div>",
        "<div class=\"badge\">x</div>",
        "<input type=\"text\">",
        "<input type=\"checkbox\">",
        "<form action=\"https://ok.example\"></form>",
        "<details open ontoggle=alert(1)></details>",
    ];
    for html in bad {
        assert!(!violations(html).is_empty(), "not flagged: {html}");
    }
}

/// The corpus test must not pass because the sanitiser drops everything: ordinary Markdown keeps
/// its links, footnotes, task lists, table alignment and code.
#[test]
fn benign_markdown_keeps_its_links_and_structure() {
    let html = render_html(
        "[site](https://example.com/a?b=1) [plain](http://example.com/) \
         [mail](mailto:sales@example.com) [up](../x) [here](#top)\n\n\
         ![logo](https://example.com/logo.png)\n\n\
         Note[^1]\n\n[^1]: Source.\n\n\
         - [x] done\n- [ ] todo\n\n\
         | l | c | r |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n\n\
         `<img src=x onerror=alert(1)>`\n",
    );
    let found = violations(&html);
    assert!(found.is_empty(), "{html}\n{found:?}");

    let doc = Html::parse_fragment(&html);
    let select =
        |css: &str| -> Vec<ElementRef> { doc.select(&Selector::parse(css).unwrap()).collect() };
    let hrefs: Vec<&str> = select("a")
        .iter()
        .filter_map(|a| a.value().attr("href"))
        .collect();
    for expected in [
        "https://example.com/a?b=1",
        "http://example.com/",
        "mailto:sales@example.com",
        "../x",
        "#user-content-top",
        "#user-content-1",
    ] {
        assert!(hrefs.contains(&expected), "{expected} missing: {html}");
    }
    assert_eq!(
        select("img")[0].value().attr("src"),
        Some("https://example.com/logo.png"),
        "{html}"
    );

    // The footnote reference points at its definition.
    assert_eq!(select("sup.footnote-reference a").len(), 1, "{html}");
    assert_eq!(
        select("div.footnote-definition")[0].value().attr("id"),
        Some("user-content-1"),
        "{html}"
    );

    let boxes = select("li > input[type=checkbox][disabled]");
    assert_eq!(boxes.len(), 2, "{html}");
    assert_eq!(
        boxes
            .iter()
            .filter(|b| b.value().attr("checked").is_some())
            .count(),
        1
    );

    let styles: Vec<&str> = select("th")
        .iter()
        .filter_map(|th| th.value().attr("style"))
        .collect();
    assert_eq!(styles, ALIGNMENT_STYLES, "{html}");

    let code: Vec<String> = select("code").iter().map(|c| c.text().collect()).collect();
    assert_eq!(code, ["<img src=x onerror=alert(1)>"], "{html}");
}
