//! Where a user-given `next` may send the browser: only to a path of this site.
//!
//! Every redirect to a `next` parameter (after signing in, after switching the language) goes
//! through [`local_path`]. Browsers are lenient with `Location`: they drop tabs and newlines
//! anywhere in a URL (`/\t/evil.example` becomes `//evil.example`, another site), read `\` as
//! `/`, and a control character is not even a valid header value (actix would answer a
//! plain-text 500). So anything but a plain local path falls back to `/`.

/// Longest `next` followed; a longer one falls back to `/`.
const MAX_NEXT_CHARS: usize = 2048;

/// `next` if it is a path of this site, else `/`: it must start with a single `/` (not `//`,
/// not `/\`), hold no backslash and no control character (C0, DEL, C1: tab, CR and LF among
/// them), and be at most [`MAX_NEXT_CHARS`] long. Spaces and non-ASCII characters are
/// percent-encoded, so the answer is always a valid header value.
pub fn local_path(next: Option<&str>) -> String {
    let Some(next) = next else {
        return "/".to_owned();
    };
    let mut chars = next.chars();
    let local = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && next.chars().count() <= MAX_NEXT_CHARS
        && !next.chars().any(|c| c == '\\' || c.is_control());
    if !local {
        return "/".to_owned();
    }
    let mut path = String::with_capacity(next.len());
    for c in next.chars() {
        if c.is_ascii_graphic() {
            path.push(c);
        } else {
            let mut bytes = [0u8; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                path.push_str(&format!("%{b:02X}"));
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_path_is_kept_as_it_is() {
        for path in [
            "/",
            "/accounts/A?x=1",
            "/search?q=%E5%AE%A2&tier=major#hits",
            "/me",
        ] {
            assert_eq!(local_path(Some(path)), path);
        }
    }

    #[test]
    fn anything_that_could_leave_the_site_or_break_the_header_becomes_the_home_page() {
        for next in [
            "//evil.example",
            "/\\evil.example",
            "/a\\b",
            "\\\\evil.example",
            "/\t/127.0.0.1:18099/pwned.html",
            "/\n/x",
            "/\r/x",
            "/\r\nSet-Cookie: a=b",
            "/\u{0}",
            "/\u{1b}[31m",
            "/\u{7f}",
            "/\u{85}/evil.example",
            "/\u{9b}",
            " /x",
            "\t//evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(local_path(Some(next)), "/", "{next:?}");
        }
        assert_eq!(local_path(None), "/");
        assert_eq!(local_path(Some(&format!("/{}", "a".repeat(3000)))), "/");
    }

    #[test]
    fn spaces_and_other_scripts_are_percent_encoded() {
        assert_eq!(
            local_path(Some("/search?q=客户 拜访")),
            "/search?q=%E5%AE%A2%E6%88%B7%20%E6%8B%9C%E8%AE%BF"
        );
        assert!(actix_web::http::header::HeaderValue::from_str(&local_path(Some("/é"))).is_ok());
    }
}
