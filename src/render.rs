//! Markdown → safe HTML, and Markdown → plain text for the search index.
//!
//! pulldown-cmark renders (tables, footnotes, task lists, strikethrough); ammonia then removes
//! everything script-capable: raw `<script>`, event-handler attributes, `javascript:` and other
//! non-allow-listed URL schemes. Only HTML that went through [`render_html`] may be marked `safe`
//! in a template.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    // Task lists render as disabled checkboxes; footnotes need ids and classes to link up.
    builder
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("sup", ["class", "id"])
        .add_tag_attributes("div", ["class", "id"])
        .add_tag_attributes("li", ["id"])
        .add_tag_attributes("a", ["class"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer"))
        .attribute_filter(|element, attribute, value| {
            match (element, attribute) {
                // Only checkboxes, never text fields or buttons.
                ("input", "type") if value != "checkbox" => None,
                // Table alignment is the only style pulldown-cmark writes.
                ("th" | "td", "style") => matches!(
                    value,
                    "text-align: left" | "text-align: center" | "text-align: right"
                )
                .then(|| value.into()),
                _ => Some(value.into()),
            }
        });
    builder
});

/// Renders Markdown to sanitised HTML, safe to embed in a page.
pub fn render_html(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, markdown_options());
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut unsafe_html, parser);
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
    fn plain_text_drops_markup_and_raw_html() {
        let text =
            plain_text("# 标题\n\n**粗体** and `code`<b>x</b>\n\n<script>alert(1)</script>\n");
        assert!(text.contains("标题\n"));
        assert!(text.contains("粗体 and code"));
        assert!(!text.contains("<b>"));
        assert!(!text.contains("alert"));
    }
}
