//! Markdown → safe HTML, and Markdown → plain text for the search index.
//!
//! Markdown is hostile input. pulldown-cmark renders it (tables, footnotes, task lists,
//! strikethrough); ammonia then keeps only an allow-list of tags and attributes, which removes
//! everything script-capable: `<script>`, `<style>`, `<iframe>`, `<object>`, `<svg>`, `<math>`,
//! forms, event-handler and `style` attributes (except the table alignment pulldown-cmark writes).
//! URLs in `href` / `src` must be relative or use `http`, `https` or `mailto`; `javascript:`,
//! `data:` (so no inline images), `vbscript:` and every other scheme are dropped, however they are
//! encoded. Ids get the `user-content-` prefix (footnote links follow), so content cannot clobber
//! the page's own ids; classes are limited to the footnote ones; an `<input>` is always a
//! disabled checkbox. `tests/api/xss.rs` checks this against a corpus of payloads in
//! `tests/fixtures/xss/`. Only HTML that went through [`render_html`] may be marked `safe` in a
//! template.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
}

/// Prefix for every `id` in rendered Markdown (and for the `#fragment` links that point at them),
/// so content can never clobber the page's own ids (`lookup-form`, `scenario-picker`, …) or
/// named globals on `window`.
const ID_PREFIX: &str = "user-content-";

/// URL schemes allowed in `href` / `src`; relative URLs (no scheme) pass through unchanged.
const URL_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    // Task lists render as disabled checkboxes; footnotes need ids and classes to link up.
    // Everything else pulldown-cmark can emit is in ammonia's default allow-list.
    builder
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked"])
        // Whatever the source says, an `<input>` is a disabled checkbox: never a text field,
        // button or submit control.
        .set_tag_attribute_values(HashMap::from([(
            "input",
            HashMap::from([("type", "checkbox"), ("disabled", "")]),
        )]))
        .add_tag_attributes("div", ["id"])
        // Only the classes pulldown-cmark writes, so content cannot borrow the site's own
        // styling (overlays, buttons, badges).
        .allowed_classes(HashMap::from([
            (
                "sup",
                HashSet::from(["footnote-reference", "footnote-definition-label"]),
            ),
            ("div", HashSet::from(["footnote-definition"])),
        ]))
        .id_prefix(Some(ID_PREFIX))
        // `cite` holds a URL that ammonia does not scheme-check, and Markdown never writes it.
        .rm_tag_attributes("blockquote", ["cite"])
        .rm_tag_attributes("q", ["cite"])
        .rm_tag_attributes("del", ["cite"])
        .rm_tag_attributes("ins", ["cite"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .url_schemes(HashSet::from(URL_SCHEMES))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer"))
        .attribute_filter(|element, attribute, value| {
            match (element, attribute) {
                // Table alignment is the only style pulldown-cmark writes.
                ("th" | "td", "style") => matches!(
                    value,
                    "text-align: left" | "text-align: center" | "text-align: right"
                )
                .then(|| value.into()),
                // In-page links follow the ids, which all carry the prefix.
                ("a", "href") => match value.strip_prefix('#') {
                    Some(fragment) if !fragment.starts_with(ID_PREFIX) => {
                        Some(format!("#{ID_PREFIX}{fragment}").into())
                    }
                    _ => Some(value.into()),
                },
                _ => Some(value.into()),
            }
        });
    builder
});

/// Deepest nesting of Markdown structure (quotes, lists, emphasis, links, …) rendered as
/// elements; deeper structure keeps its text but loses its wrappers. The sanitiser's HTML parser
/// scans its stack of open elements for each new element, so depth costs quadratic time:
/// 100,000 nested `>` took minutes before this bound.
pub const MAX_NESTING: usize = 32;

/// Most raw HTML tags (counted as `<`) kept as HTML in one document; raw HTML after that is
/// shown as text. This bounds the nesting raw HTML can build, for the same reason.
pub const MAX_RAW_HTML_TAGS: usize = 1_000;

/// The parser's events with structure past [`MAX_NESTING`] flattened and raw HTML past
/// [`MAX_RAW_HTML_TAGS`] turned into text. Events come well nested, so a depth counter keeps
/// every dropped start paired with its dropped end.
fn bounded_events(markdown: &str) -> impl Iterator<Item = Event<'_>> {
    let mut depth = 0usize;
    let mut raw_tags = 0usize;
    Parser::new_ext(markdown, markdown_options()).filter_map(move |event| match event {
        Event::Start(_) => {
            depth += 1;
            (depth <= MAX_NESTING).then_some(event)
        }
        Event::End(_) => {
            let keep = depth <= MAX_NESTING;
            depth = depth.saturating_sub(1);
            keep.then_some(event)
        }
        Event::Html(ref html) | Event::InlineHtml(ref html) => {
            raw_tags = raw_tags.saturating_add(html.matches('<').count());
            match raw_tags <= MAX_RAW_HTML_TAGS {
                true => Some(event),
                false => Some(Event::Text(html.clone())),
            }
        }
        other => Some(other),
    })
}

/// Renders Markdown to sanitised HTML, safe to embed in a page.
pub fn render_html(markdown: &str) -> String {
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut unsafe_html, bounded_events(markdown));
    SANITIZER.clean(&unsafe_html).to_string()
}

/// Extracts the readable text of a Markdown document: words and code, no markup, no raw HTML.
/// Block ends become newlines so words of adjacent blocks never run together.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push('\n'),
            Event::Start(Tag::TableCell) => text.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::BlockQuote(_)
                | TagEnd::FootnoteDefinition,
            ) => text.push('\n'),
            Event::TaskListMarker(_) | Event::Html(_) | Event::InlineHtml(_) => {}
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_footnotes_and_task_lists_render() {
        let html = render_html("| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\nNote[^1]\n\n[^1]: Source.\n");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("type=\"checkbox\""), "{html}");
        assert!(html.contains("footnote-definition"), "{html}");
    }

    #[test]
    fn scripts_event_handlers_and_javascript_links_never_survive() {
        let html = render_html(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))\n\n<a href=\"JaVaScRiPt:alert(4)\">y</a>\n\n<input type=\"text\" onfocus=alert(5)>",
        );
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("onerror"), "{html}");
        assert!(!lower.contains("javascript:"), "{html}");
        assert!(!lower.contains("onfocus"), "{html}");
        assert!(!lower.contains("type=\"text\""), "{html}");
    }

    #[test]
    fn only_http_https_mailto_and_relative_urls_survive() {
        let html = render_html(
            "[a](https://example.com/) [b](mailto:x@example.com) [c](../x) [d](tel:+15550100) \
             [e](vbscript:x) [f](data:text/html,x) ![g](data:image/png;base64,iVBORw0KGgo=)",
        );
        assert!(html.contains("href=\"https://example.com/\""), "{html}");
        assert!(html.contains("href=\"mailto:x@example.com\""), "{html}");
        assert!(html.contains("href=\"../x\""), "{html}");
        assert!(!html.contains("tel:"), "{html}");
        assert!(!html.contains("vbscript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(!html.contains("src="), "{html}");
    }

    #[test]
    fn ids_are_prefixed_classes_and_inputs_are_pinned() {
        let html = render_html(
            "Note[^1]\n\n[^1]: Source.\n\n<div id=\"lookup-form\" class=\"badge\">x</div>\n\n\
             <input type=\"text\" name=\"q\"><input>\n",
        );
        assert!(html.contains("href=\"#user-content-1\""), "{html}");
        assert!(html.contains("id=\"user-content-1\""), "{html}");
        assert!(html.contains("id=\"user-content-lookup-form\""), "{html}");
        assert!(!html.contains("badge"), "{html}");
        assert!(!html.contains("name="), "{html}");
        assert!(!html.contains("type=\"text\""), "{html}");
        assert_eq!(html.matches("type=\"checkbox\"").count(), 2, "{html}");
        assert_eq!(html.matches("disabled").count(), 2, "{html}");
    }

    #[test]
    fn plain_text_drops_markup_and_raw_html() {
        let text =
            plain_text("# 标题\n\n**粗体** and `code`<b>x</b>\n\n<script>alert(1)</script>\n");
        assert!(text.contains("标题\n"));
        assert!(text.contains("粗体 and code"));
        assert!(!text.contains("<b>"));
        assert!(!text.contains("alert"));
    }
}

/// Property tests and pathological inputs: any text renders without panicking, and the output
/// grows at most linearly with the input.
#[cfg(test)]
mod fuzz_tests {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzz_support::{config, nasty_string, pieces_string};

    /// Markdown syntax, so generated text builds real structure (nesting, tables, footnotes).
    const MARKDOWN: &[&str] = &[
        ">",
        "> ",
        "*",
        "**",
        "_",
        "__",
        "~~",
        "`",
        "```",
        "    ",
        "\n",
        "\n\n",
        "# ",
        "- ",
        "+ ",
        "1. ",
        "1) ",
        "[",
        "]",
        "(",
        ")",
        "![",
        "](",
        "<",
        ">",
        "</",
        "<div>",
        "</div>",
        "<b>",
        "<script>",
        "|",
        "| --- |",
        ":--",
        "[^1]",
        "[^1]: ",
        "- [ ] ",
        "- [x] ",
        "\\",
        "&amp;",
        "&#0;",
        "&#x10FFFF;",
        "javascript:",
        "http://",
        "text",
        "词",
        " ",
        "---",
        "===",
        "<!--",
        "-->",
        "<?",
        "]: ",
        "\"",
        "'",
    ];

    /// Output never grows faster than linearly: a generous constant, but not a square.
    fn assert_linear(input: &str, output: &str) {
        assert!(
            output.len() <= 64 * input.len() + 1024,
            "{} bytes of output from {} bytes of input",
            output.len(),
            input.len()
        );
    }

    fn check(markdown: &str) {
        let html = render_html(markdown);
        assert_linear(markdown, &html);
        assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
        let text = plain_text(markdown);
        assert_linear(markdown, &text);
    }

    proptest! {
        #![proptest_config(config(128))]

        #[test]
        fn any_text_renders(markdown in nasty_string(200)) {
            check(&markdown);
        }

        #[test]
        fn any_markdown_structure_renders(markdown in pieces_string(MARKDOWN, 200)) {
            check(&markdown);
        }
    }

    /// 100,000 levels of every nesting construct whose text grows linearly with depth (10,000
    /// for indented lists, whose text grows with its square), and long runs of delimiters that
    /// make naive parsers backtrack.
    #[test]
    fn deeply_nested_markdown_renders() {
        const DEPTH: usize = 100_000;
        const INDENTED: usize = 10_000;
        let cases = [
            format!("{}x", ">".repeat(DEPTH)),
            format!("{}x", "> ".repeat(DEPTH)),
            (0..INDENTED)
                .map(|i| format!("{}- x\n", "  ".repeat(i)))
                .collect(),
            (0..INDENTED)
                .map(|i| format!("{}1. x\n", "   ".repeat(i)))
                .collect(),
            "- ".repeat(DEPTH) + "x",
            format!("{}x{}", "*".repeat(DEPTH), "*".repeat(DEPTH)),
            format!("{}x{}", "_".repeat(DEPTH), "_".repeat(DEPTH)),
            "*a _b ".repeat(DEPTH),
            format!("{}x{}", "[".repeat(DEPTH), "]".repeat(DEPTH)),
            format!("{}x{}", "[".repeat(DEPTH), "](u)".repeat(DEPTH)),
            "[a](".repeat(DEPTH),
            "![".repeat(DEPTH),
            "`".repeat(DEPTH) + "x",
            "~~".repeat(DEPTH) + "x",
            format!("{}x{}", "<div>".repeat(DEPTH), "</div>".repeat(DEPTH)),
            format!("<div>\n{}x", "<b><i><a href=x>".repeat(DEPTH)),
            format!("{}x", "<table><tr><td>".repeat(DEPTH)),
            format!("{}\n", "|".repeat(DEPTH)) + &"|-".repeat(DEPTH) + "|\n",
            (0..DEPTH)
                .map(|i| format!("[^{i}]: [^{}]\n", i + 1))
                .collect(),
            "<".repeat(DEPTH),
            "&".repeat(DEPTH) + "amp;",
        ];
        for markdown in &cases {
            check(markdown);
        }
    }

    /// Found by the 100,000-level case: the sanitiser's parser takes quadratic time in nesting
    /// depth (minutes for 100,000 `>`). Structure past [`MAX_NESTING`] keeps only its text.
    #[test]
    fn a_hundred_thousand_nested_quotes_render_at_bounded_depth() {
        for (markdown, tag) in [
            (format!("{}deep", ">".repeat(100_000)), "<blockquote>"),
            ("- ".repeat(100_000) + "deep", "<ul>"),
        ] {
            let html = render_html(&markdown);
            assert!(html.contains("deep"), "the text is kept");
            let depth = html.matches(tag).count();
            assert!(
                (1..=MAX_NESTING).contains(&depth),
                "{depth} levels of {tag}"
            );
        }
    }

    /// Raw HTML past [`MAX_RAW_HTML_TAGS`] is shown as text, so it cannot nest without bound.
    #[test]
    fn raw_html_past_the_tag_budget_is_shown_as_text() {
        let markdown = "<b>".repeat(100_000) + "x";
        let html = render_html(&markdown);
        // The HTML parser reopens up to three unclosed formatting elements after a block.
        let count = html.matches("<b>").count();
        assert!(count <= MAX_RAW_HTML_TAGS + 3, "{count} <b>");
        assert!(html.contains("&lt;b&gt;"), "the rest is text");
        let small = render_html("a <b>bold</b> word");
        assert!(small.contains("<b>bold</b>"), "{small}");
    }
}
