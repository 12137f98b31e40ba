//! Reading the XML parts of Office files as a stream of events (quick-xml).

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// An XML part as text: UTF-16 when it has that byte-order mark, else UTF-8 (invalid bytes
/// replaced).
pub(super) fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, bom)) => Cow::Owned(
            encoding
                .decode_without_bom_handling(&bytes[bom..])
                .0
                .into_owned(),
        ),
        None => String::from_utf8_lossy(bytes),
    }
}

/// A reader that tolerates mismatched end tags (damaged files still give their text).
pub(super) fn reader(text: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.expand_empty_elements = false;
    reader
}

/// The local name (without prefix) of an element.
pub(super) fn local<'a>(e: &'a BytesStart<'_>) -> &'a str {
    let name = e.name().into_inner();
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

/// The value of the attribute whose local name is `name` (any prefix, or none), unescaped.
pub(super) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    find_attr(e, name, None)
}

/// The value of the attribute whose local name is `name` and which has a prefix (`r:id`, not
/// `id`).
pub(super) fn attr_prefixed(e: &BytesStart<'_>, name: &str) -> Option<String> {
    find_attr(e, name, Some(()))
}

fn find_attr(e: &BytesStart<'_>, name: &str, prefixed: Option<()>) -> Option<String> {
    for a in e.attributes().with_checks(false).flatten() {
        let key = a.key.into_inner();
        let (prefix, l) = match key.rsplit_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, key),
        };
        if l != name || (prefixed.is_some() && prefix.is_none()) {
            continue;
        }
        return Some(
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.into_owned()),
        );
    }
    None
}

/// Text carried by an event: text, CDATA, or an entity or character reference.
pub(super) fn text_of(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Text(t) => Some(t.xml10_content().into_owned()),
        Event::CData(c) => Some(str::to_string(c)),
        Event::GeneralRef(r) => {
            if r.is_char_ref() {
                r.resolve_char_ref().ok().flatten().map(String::from)
            } else {
                quick_xml::escape::resolve_predefined_entity(r).map(String::from)
            }
        }
        _ => None,
    }
}

/// Whether an on/off property (`<w:b/>`, `<w:b w:val="0"/>`) is on.
#[allow(dead_code)]
pub(super) fn is_on(e: &BytesStart<'_>) -> bool {
    !matches!(
        attr(e, "val").as_deref(),
        Some("0") | Some("false") | Some("off") | Some("none")
    )
}

/// All text of the elements with local name `element` in an XML part, each joined (used for
/// small parts such as `docProps/core.xml`).
pub(super) fn first_text_of(text: &str, element: &str) -> Option<String> {
    let mut reader = reader(text);
    let mut depth_in: Option<usize> = None;
    let mut depth = 0usize;
    let mut out = String::new();
    loop {
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(e) => e,
        };
        match &event {
            Event::Start(e) => {
                depth += 1;
                if depth_in.is_none() && local(e) == element {
                    depth_in = Some(depth);
                }
            }
            Event::End(_) => {
                if depth_in == Some(depth) {
                    break;
                }
                depth = depth.saturating_sub(1);
            }
            other => {
                if depth_in.is_some() {
                    if let Some(t) = text_of(other) {
                        out.push_str(&t);
                    }
                }
            }
        }
    }
    let out = out.trim().to_string();
    (!out.is_empty()).then_some(out)
}
