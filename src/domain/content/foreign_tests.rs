//! Notes as Hexo, Hugo, Jekyll, Obsidian, Typora, Yuque, Feishu and Notion write them.

use proptest::prelude::*;

use super::*;
use crate::fuzz_support::{config, nasty_string, pieces_string};

fn meta<'a>(note: &'a ForeignNote, key: &str) -> Option<&'a str> {
    note.metadata
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn wiki(target: &str, embed: bool) -> NoteLink {
    NoteLink {
        target: target.into(),
        kind: LinkKind::Wiki,
        embed,
    }
}

fn relative(target: &str, embed: bool) -> NoteLink {
    NoteLink {
        target: target.into(),
        kind: LinkKind::Relative,
        embed,
    }
}

#[test]
fn hexo_post() {
    let text = "---\ntitle: 大客户价格谈判的三个阶段\ndate: 2023-05-01 10:20:30\n\
                categories: [销售, 谈判]\ntags:\n  - 价格\n  - 谈判\n  - 大客户\n\
                description: 从报价到签约\ncomments: true\n---\n\
                ## 第一阶段\n\n先摸清预算，再报价。\n\n![报价单](/images/报价单.png)\n";
    let note = read_foreign_note("source/_posts/price-talks.md", text);
    assert_eq!(note.title, "大客户价格谈判的三个阶段");
    assert_eq!(note.date.as_deref(), Some("2023-05-01"));
    assert_eq!(note.tags, ["价格", "谈判", "大客户", "销售"]);
    assert_eq!(note.summary.as_deref(), Some("从报价到签约"));
    assert_eq!(note.metadata, [("comments".to_owned(), "true".to_owned())]);
    assert!(note.body.starts_with("## 第一阶段\n"), "{:?}", note.body);
    assert_eq!(note.links, [relative("/images/报价单.png", true)]);
    assert!(note.warnings.is_empty());
    assert_eq!(note.kind_hint, None);
}

#[test]
fn hexo_nested_categories_and_open_front_matter() {
    // Hexo also reads front matter closed by `---` without an opening one.
    let text = "title: Discovery calls\ndate: 2023/5/1\n\
                categories:\n- [Sales, Calls]\n- Coaching\ntags: discovery, questions\n---\nBody.\n";
    let note = read_foreign_note("discovery.md", text);
    assert_eq!(note.title, "Discovery calls");
    assert_eq!(note.date.as_deref(), Some("2023-05-01"));
    // `tags` before `categories`, whatever their order in the file.
    assert_eq!(
        note.tags,
        ["discovery", "questions", "Sales", "Calls", "Coaching"]
    );
    assert_eq!(note.body, "Body.\n");
}

#[test]
fn setext_heading_with_a_colon_is_not_front_matter() {
    let note = read_foreign_note("n.md", "Note: call before noon\n---\nText.\n");
    assert!(note.metadata.is_empty());
    assert!(note.body.starts_with("Note: call"));
}

#[test]
fn hugo_toml_post() {
    let text = "+++\ntitle = \"Handling the 'too expensive' objection\"\n\
                date = 2023-05-01T10:20:30+08:00\ndraft = false\n\
                tags = [\"objections\", \"pricing\"]\ncategories = [\n  \"sales\",\n]\n\
                summary = '''\nValue before price.'''\nlanguageCode = \"en-us\"\n\
                lang = \"en-US\"  # the site's\n\n[params]\nauthor = \"Li Lei\"\n+++\n\
                Start with the value.\n";
    let note = read_foreign_note("content/posts/objection.md", text);
    assert!(note.warnings.is_empty(), "{:?}", note.warnings);
    assert_eq!(note.title, "Handling the 'too expensive' objection");
    assert_eq!(note.date.as_deref(), Some("2023-05-01"));
    assert_eq!(note.tags, ["objections", "pricing", "sales"]);
    assert_eq!(note.summary.as_deref(), Some("Value before price."));
    assert_eq!(note.lang.as_deref(), Some("en"));
    assert_eq!(
        note.metadata,
        [
            ("draft".to_owned(), "false".to_owned()),
            ("languageCode".to_owned(), "en-us".to_owned()),
            ("params.author".to_owned(), "Li Lei".to_owned()),
        ]
    );
    assert_eq!(note.body, "Start with the value.\n");
}

#[test]
fn unreadable_toml_line_is_a_warning_and_the_block_is_kept() {
    let text = "+++\ntitle = \"报价\"\nthis is not toml\n+++\n正文\n";
    let note = read_foreign_note("a.md", text);
    assert_eq!(note.title, "报价");
    assert_eq!(note.warnings.len(), 1);
    assert!(note.warnings[0].contains("line 3"), "{:?}", note.warnings);
    assert!(note
        .body
        .starts_with("```toml\ntitle = \"报价\"\nthis is not toml\n```\n\n正文"));
}

#[test]
fn hugo_json_front_matter() {
    let text = "{\n  \"title\": \"Renewal checklist\",\n  \"tags\": [\"renewal\"],\n  \
                \"weight\": 3\n}\n\nCheck usage first.\n";
    let note = read_foreign_note("renewal.md", text);
    assert_eq!(note.title, "Renewal checklist");
    assert_eq!(note.tags, ["renewal"]);
    assert_eq!(meta(&note, "weight"), Some("3"));
    assert_eq!(note.body, "\nCheck usage first.\n");
}

#[test]
fn jekyll_post_keeps_layout_and_permalink() {
    let text = "---\nlayout: post\ntitle: \"Cold email that gets replies\"\n\
                permalink: /sales/cold-email/\ntags: email outreach\nauthor:\n  name: Ann\n  \
                twitter: ann\nkind: playbook\n---\n# Cold email that gets replies\n\nKeep it short.\n";
    let note = read_foreign_note("_posts/2023-05-01-cold-email.md", text);
    assert_eq!(note.title, "Cold email that gets replies");
    assert_eq!(note.tags, ["email", "outreach"]);
    assert_eq!(note.kind_hint.as_deref(), Some("playbook"));
    assert_eq!(meta(&note, "layout"), Some("post"));
    assert_eq!(meta(&note, "permalink"), Some("/sales/cold-email/"));
    assert_eq!(meta(&note, "author"), Some("{name: Ann, twitter: ann}"));
    // The heading repeating the title is dropped.
    assert_eq!(note.body, "Keep it short.\n");
}

#[test]
fn obsidian_note() {
    let text = "---\naliases: [回款跟进, Collections]\ntags: [回款]\ncssclass: wide\n---\n\
                回款前先确认[[客户分级|分级]]，见 [[回款节奏#第一周]]。\n\n![[pareto.png]]\n\
                ![[pareto.png|300]]\n\n待办 #回款 #跟进/电话 #123 见 https://x.cn/#frag\n\n\
                ```\n#not-a-tag [[not a link]]\n```\n`[[code]]` and [[Missing]]\n";
    let note = read_foreign_note("Vault/回款/回款跟进.md", text);
    assert_eq!(note.title, "回款跟进");
    assert_eq!(note.aliases, ["回款跟进", "Collections"]);
    assert_eq!(note.tags, ["回款", "跟进/电话"]);
    assert_eq!(note.kind_hint, None);
    assert_eq!(meta(&note, "cssclass"), Some("wide"));
    assert_eq!(
        note.links,
        [
            wiki("客户分级", false),
            wiki("回款节奏", false),
            wiki("pareto.png", true),
            wiki("Missing", false),
        ]
    );
    // The body keeps the wiki links for rewrite_links.
    assert!(note.body.contains("[[客户分级|分级]]"));

    let rewritten = rewrite_links(&note.body, &mut |link| match link.target.as_str() {
        "客户分级" => Some("/items/tiering".into()),
        "pareto.png" => Some("/files/pareto.png".into()),
        _ => None,
    });
    assert!(rewritten.contains("回款前先确认[分级](/items/tiering)，见 回款节奏 > 第一周。"));
    assert!(rewritten.contains("\n![](/files/pareto.png)\n![](/files/pareto.png)\n"));
    assert!(rewritten.contains("```\n#not-a-tag [[not a link]]\n```\n`[[code]]` and Missing\n"));
}

#[test]
fn unresolved_wiki_links_become_text_and_nothing_else_changes() {
    let body = "See [[Pricing#Tiers|the tiers]], [[#Scope]] and ![[deck.pdf]].\n\
                | a | [[Note\\|shown]] |\n[[ ]] [[unclosed and ![img](a%20b.png \"t\") [x](https://e.com)\n";
    let out = rewrite_links(body, &mut |_| None);
    assert_eq!(
        out,
        "See the tiers, Scope and deck.pdf.\n| a | shown |\n\
         \\[[ ]] \\[[unclosed and ![img](a%20b.png \"t\") [x](https://e.com)\n"
    );
}

#[test]
fn relative_links_are_decoded_and_rewritten_with_their_fragment() {
    let body = "[定价](../定价%20策略.md#折扣) ![图](<img/a b.png>) [外部](https://a.cn/x.md) \
                [锚点](#x) [![badge](b.svg)](docs/readme.md)\n\n[ref]: ./参考.md \"Title\"\n";
    let note = read_foreign_note("n.md", body);
    assert_eq!(
        note.links,
        [
            relative("../定价 策略.md", false),
            relative("img/a b.png", true),
            relative("b.svg", true),
            relative("docs/readme.md", false),
            relative("./参考.md", false),
        ]
    );
    let out = rewrite_links(body, &mut |link| {
        (link.target != "b.svg").then(|| format!("/f/{}", link.target.replace(' ', "_")))
    });
    assert_eq!(
        out,
        "[定价](/f/../定价_策略.md#折扣) ![图](/f/img/a_b.png) [外部](https://a.cn/x.md) \
         [锚点](#x) [![badge](b.svg)](/f/docs/readme.md)\n\n[ref]: /f/./参考.md \"Title\"\n"
    );
}

#[test]
fn typora_file_without_front_matter() {
    let text = "# 电话邀约话术\n\n## 开场\n\n您好，我是……\n";
    let note = read_foreign_note("C:\\Users\\me\\Documents\\邀约.md", text);
    assert_eq!(note.title, "电话邀约话术");
    assert_eq!(note.body, "## 开场\n\n您好，我是……\n");
    assert!(note.metadata.is_empty() && note.warnings.is_empty());
}

#[test]
fn heading_that_is_not_the_first_block_stays() {
    let note = read_foreign_note("x.md", "Intro line.\n\n# Real title\n\nText\n");
    assert_eq!(note.title, "Real title");
    assert!(note.body.contains("# Real title"));
}

#[test]
fn notion_export_with_hash_suffix_and_properties() {
    let text = "# 价格谈判\n\nTags: 价格, 谈判\nCreated: May 1, 2023 10:20 AM\n状态: 进行中\n\n\
                第一步：确认预算。\n\n[子页面](%E5%AD%90%E9%A1%B5%E9%9D%A2%203f2a9c1e0b4d4e6f8a7b6c5d4e3f2a1b.md)\n";
    let note = read_foreign_note("价格谈判 3f2a9c1e0b4d4e6f8a7b6c5d4e3f2a1b.md", text);
    assert_eq!(note.title, "价格谈判");
    assert_eq!(note.tags, ["价格", "谈判"]);
    assert_eq!(note.date.as_deref(), Some("2023-05-01"));
    assert_eq!(note.metadata, [("状态".to_owned(), "进行中".to_owned())]);
    assert!(
        note.body.starts_with("第一步：确认预算。"),
        "{:?}",
        note.body
    );
    assert_eq!(
        note.links,
        [relative(
            "子页面 3f2a9c1e0b4d4e6f8a7b6c5d4e3f2a1b.md",
            false
        )]
    );
}

#[test]
fn notion_title_from_file_name_and_plain_first_paragraph_kept() {
    let note = read_foreign_note(
        "export/Follow-up_emails 0123456789abcdef0123456789ABCDEF.md",
        "Note: send within a day.\n",
    );
    assert_eq!(note.title, "Follow-up_emails");
    let note = read_foreign_note("a.md", "# Title\n\nNote: send within a day.\n");
    assert!(note.metadata.is_empty());
    assert_eq!(note.body, "Note: send within a day.\n");
}

#[test]
fn yuque_note() {
    let text =
        "---\ntitle: 客户拜访复盘\nurlname: visit-review\ndate: '2023-05-01 09:00:00 +0800'\n\
                tags: 复盘，拜访\nupdated: 2023-06-02\ntype: case\nlanguage: zh-CN\n---\n\
                <a name=\"x\"></a>\n## 背景\n";
    let note = read_foreign_note("visit-review.md", text);
    assert_eq!(note.title, "客户拜访复盘");
    assert_eq!(note.date.as_deref(), Some("2023-05-01"));
    assert_eq!(note.tags, ["复盘", "拜访"]);
    assert_eq!(note.kind_hint.as_deref(), Some("case"));
    assert_eq!(note.lang.as_deref(), Some("zh"));
    assert_eq!(
        note.metadata,
        [
            ("urlname".to_owned(), "visit-review".to_owned()),
            ("updated".to_owned(), "2023-06-02".to_owned()),
        ]
    );
}

#[test]
fn feishu_export_with_only_a_title_heading() {
    let note = read_foreign_note("飞书文档.md", "# 季度复盘会纪要\n");
    assert_eq!(note.title, "季度复盘会纪要");
    assert_eq!(note.body, "");
}

#[test]
fn broken_yaml_is_kept_as_text_with_a_warning() {
    let text = "---\ntitle: 报价\ntags: [a, b\nsummary: x\n---\n正文\n";
    let note = read_foreign_note("a.md", text);
    assert_eq!(note.warnings.len(), 1);
    assert!(
        note.warnings[0].starts_with("the front matter could not be read as YAML (line"),
        "{:?}",
        note.warnings
    );
    assert!(note
        .body
        .starts_with("```yaml\ntitle: 报价\ntags: [a, b\nsummary: x\n```\n\n正文"));
    assert_eq!(note.title, "a");
}

#[test]
fn unclosed_front_matter_is_body_with_a_warning() {
    let note = read_foreign_note("a.md", "---\ntitle: x\n\ntext");
    assert_eq!(note.warnings.len(), 1);
    assert_eq!(note.body, "---\ntitle: x\n\ntext");
}

#[test]
fn crlf_and_bom() {
    let text = "\u{feff}---\r\ntitle: Demo script\r\ntags: [demo]\r\n---\r\n\r\nLine one\r\n";
    let note = read_foreign_note("demo.md", text);
    assert_eq!(note.title, "Demo script");
    assert_eq!(note.tags, ["demo"]);
    assert_eq!(note.body, "\nLine one\n");
}

#[test]
fn only_a_title_or_nothing() {
    let note = read_foreign_note("a.md", "---\ntitle: 只有标题\n---\n");
    assert_eq!(note.title, "只有标题");
    assert_eq!(note.body, "");
    let note = read_foreign_note("notes/cold-call_tips.markdown", "");
    assert_eq!(note.title, "cold-call_tips");
    assert_eq!(read_foreign_note("", "").title, "Untitled");
}

#[test]
fn dates_in_every_form() {
    for (written, expected) in [
        ("2023-05-01", "2023-05-01"),
        ("2023-05-01 10:20:30", "2023-05-01"),
        ("2023/5/1", "2023-05-01"),
        ("2023-05-01T10:20:30+08:00", "2023-05-01"),
        ("2023-05-01T02:20:30Z", "2023-05-01"),
        ("2023年5月1日", "2023-05-01"),
        ("2023年5月1日 下午", "2023-05-01"),
        ("May 1, 2023 10:20 AM", "2023-05-01"),
        ("1 September 2023", "2023-09-01"),
        ("2024-02-29", "2024-02-29"),
        ("2023-02-30", "2023-02-30"),
        ("上周五", "上周五"),
        ("2023-05-01x", "2023-05-01x"),
    ] {
        let note = read_foreign_note("a.md", &format!("---\ndate: {written}\n---\n"));
        assert_eq!(note.date.as_deref(), Some(expected), "{written}");
    }
}

#[test]
fn languages_and_kinds() {
    for (lang, expected) in [
        ("zh_Hans", Some("zh")),
        ("en", Some("en")),
        ("English", Some("en")),
        ("fr", None),
    ] {
        let note = read_foreign_note("a.md", &format!("---\nlang: {lang}\n---\n"));
        assert_eq!(note.lang.as_deref(), expected, "{lang}");
        assert_eq!(meta(&note, "lang").is_some(), expected.is_none());
    }
    let note = read_foreign_note("a.md", "---\ntype: post\nkind: Lesson\n---\n");
    assert_eq!(note.kind_hint.as_deref(), Some("lesson"));
    assert_eq!(meta(&note, "type"), Some("post"));
}

/// Long lines of unclosed syntax: the scan stays linear (a quadratic one would not finish).
#[test]
fn pathological_lines_stay_linear() {
    for piece in [
        "[", "[[", "![[", "`` `", "[a](", "[a](b \"", "#", "]", "\\[", "<",
    ] {
        let text = piece.repeat(100_000);
        let note = read_foreign_note("x.md", &text);
        no_wiki_left(&rewrite_links(&note.body, &mut |_| None));
    }
    let nested = format!("{}x{}", "[".repeat(50_000), "](y)".repeat(50_000));
    let _ = rewrite_links(&nested, &mut |_| Some("z".into()));
}

/// Front-matter-ish and link-ish pieces.
const PIECES: &[&str] = &[
    "---\n",
    "+++\n",
    "...\n",
    "{",
    "}",
    "title: ",
    "tags: [",
    "date: 2023年5月1日",
    " = ",
    "\"",
    "'''",
    "# ",
    "#",
    "\n",
    "\n\n",
    "[[",
    "]]",
    "![[",
    "|",
    "\\|",
    "\\",
    "[",
    "]",
    "](",
    "(",
    ")",
    "<",
    ">",
    "`",
    "```\n",
    "~~~\n",
    "%E4%BB",
    "%2",
    "Tags: a, b\n",
    "x.png",
    ": ",
];

/// Rewritten text read again in the same way (as a body: front matter is not split off, so
/// code fences pair up as they did) holds no wiki link.
fn no_wiki_left(out: &str) {
    let mut wiki = Vec::new();
    rewrite_links(out, &mut |link| {
        if link.kind == LinkKind::Wiki {
            wiki.push(link.clone());
        }
        None
    });
    assert!(wiki.is_empty(), "{out:?} still has {wiki:?}");
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn random_text_never_panics(name in nasty_string(40), text in nasty_string(300)) {
        let note = read_foreign_note(&name, &text);
        prop_assert!(!note.title.is_empty());
        no_wiki_left(&rewrite_links(&note.body, &mut |_| None));
    }

    #[test]
    fn front_matter_ish_text_never_panics(text in pieces_string(PIECES, 80)) {
        let note = read_foreign_note("价格谈判 3f2a9c1e0b4d4e6f8a7b6c5d4e3f2a1b.md", &text);
        no_wiki_left(&rewrite_links(&note.body, &mut |_| None));
        no_wiki_left(&rewrite_links(&text, &mut |_| None));
        let _ = rewrite_links(&text, &mut |l| Some(format!("/x/{}", l.target)));
    }

    #[test]
    fn well_formed_wiki_links_leave_no_brackets(
        parts in proptest::collection::vec(("[a-z价格 ]{0,6}", "[a-z价格]{1,6}", any::<bool>()), 0..8)
    ) {
        let body: String = parts
            .iter()
            .map(|(text, name, embed)| format!("{text}{}[[{name}]]", if *embed { "!" } else { "" }))
            .collect();
        let out = rewrite_links(&body, &mut |_| None);
        prop_assert!(!out.contains("[["), "{out:?}");
    }
}
