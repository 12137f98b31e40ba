//! Every error code the API answers with, its HTTP status and when it is given: the one list.
//!
//! Codes are named where the error is raised (the application layer names its own, such as
//! `invalid_transition`), always through the constants of [`code`], so a code that is not
//! listed here does not compile. The web layer maps each error to its HTTP status; in debug
//! builds (every test) an error answered with another status than this list says fails loudly,
//! and a unit test checks that the error table of `docs/api.md` says exactly what this list
//! says. A new code is added here, in the same change, with its status and a line for the
//! guide. Nothing in here knows HTTP beyond the status numbers.

/// One error code of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: &'static str,
    pub status: u16,
    /// When it is answered, as the guide says it.
    pub when: &'static str,
}

macro_rules! error_codes {
    ($($name:ident $code:literal $status:literal $when:literal;)*) => {
        /// Every error code, in the order of the guide's table.
        pub const ERROR_CODES: &[ErrorCode] = &[$(ErrorCode { code: $code, status: $status, when: $when }),*];

        /// The codes as constants: where an error is raised it names one of these, so a code
        /// that is not listed does not compile.
        pub mod code {
            $(pub const $name: &str = $code;)*
        }
    };
}

error_codes! {
    NOT_FOUND "not_found" 404 "unknown id or route (an item the user may not read answers the same way)";
    UNAUTHORIZED "unauthorized" 401 "not signed in, wrong name or password, an unknown or revoked token (`WWW-Authenticate: Bearer`)";
    FORBIDDEN "forbidden" 403 "signed in, but the role may not do this; the message says who may";
    CSRF_REJECTED "csrf_rejected" 403 "a cookie-signed change without our `Origin`/`Referer` or without the CSRF token";
    TOO_MANY_ATTEMPTS "too_many_attempts" 429 "too many failed sign-ins (`Retry-After` in seconds)";
    TOO_MANY_IMPORTS "too_many_imports" 429 "more account imports at once than the server runs (`Retry-After` in seconds)";
    DATABASE_UNAVAILABLE "database_unavailable" 503 "the store's database cannot be reached (PostgreSQL down or unreachable); nothing was changed by this request, and the node recovers by itself when the database is back: try again after `Retry-After`";
    SERVER_BUSY "server_busy" 503 "too many password checks at once (sign-in, password change, a user given a password); try again after `Retry-After`";
    USER_EXISTS "user_exists" 409 "`POST /api/v1/users` with a name that exists";
    EDIT_CONFLICT "edit_conflict" 409 "a save or step made from a version that is no longer the latest, or an id that is taken (reload and apply the change again)";
    INVALID_USER "invalid_user" 400 "a bad user name or password (the message names the field)";
    INVALID_ROLE "invalid_role" 400 "an unknown role";
    CANNOT_DEMOTE_SELF "cannot_demote_self" 400 "an admin disabling themselves or taking away their own admin role";
    LAST_ADMIN "last_admin" 400 "disabling or demoting the last enabled admin";
    INVALID_FORM "invalid_form" 400 "a page form that does not parse";
    INVALID_QUERY "invalid_query" 400 "a query parameter that is unknown or has the wrong type";
    INVALID_PATH "invalid_path" 400 "a malformed path segment: a number that is not one, or an id that cannot be one (item ids are letters, digits, `-` and `_`, at most 128; account ids one line of at most 64 characters)";
    INVALID_KIND "invalid_kind" 400 "`kind=` is not playbook, case, course or lesson";
    INVALID_TIER "invalid_tier" 400 "an unknown tier id; the message lists the accepted ones";
    INVALID_SCENARIO "invalid_scenario" 400 "an unknown scenario id; the message lists the accepted ones";
    INVALID_LANG "invalid_lang" 400 "a language other than `zh` or `en`";
    INVALID_LIMIT "invalid_limit" 400 "`limit` outside the page sizes the list takes";
    INVALID_OFFSET "invalid_offset" 400 "`offset` above 1000";
    QUERY_TOO_LONG "query_too_long" 400 "`q` longer than 200 characters";
    INVALID_JSON "invalid_json" 400 "a JSON body that does not parse or has unknown fields";
    INVALID_ENCODING "invalid_encoding" 400 "a Markdown body that is not UTF-8";
    INVALID_CONTENT "invalid_content" 400 "content that fails validation; `fields` lists each problem with its field";
    INVALID_TRANSITION "invalid_transition" 400 "a workflow step that does not fit the item's status";
    INVALID_ACTION "invalid_action" 400 "a workflow form naming an unknown step";
    COMMENT_REQUIRED "comment_required" 400 "sending an item back without a comment";
    NOT_A_CASE "not_a_case" 400 "marking a move of an item that is not a case";
    NOT_A_LESSON "not_a_lesson" 400 "marking progress on an item that is not a lesson";
    INVALID_CSV "invalid_csv" 400 "an import whose header (or encoding) cannot be used; nothing was stored";
    INCOMPLETE_FILE "incomplete_file" 400 "an import whose body broke off before its end (nothing of it is stored)";
    INVALID_TIER_MODEL "invalid_tier_model" 400 "a tier model that fails validation; the message starts with the field, e.g. `score.weights: …`";
    INVALID_OVERRIDE "invalid_override" 400 "an override without `reason`, or naming a tier the model does not have";
    INVALID_INDICATOR "invalid_indicator" 400 "`indicator=` is not a known indicator (the message lists them)";
    INVALID_FILTER "invalid_filter" 400 "`tier=` in the account list is not a tier of the model, or a tier-change filter (`direction=`, `since=`) that cannot be read";
    INVALID_REQUEST "invalid_request" 400 "a request the server could not read (a body that breaks off or is badly encoded)";
    PAYLOAD_TOO_LARGE "payload_too_large" 413 "an import body over `--max-import-mb`, any other body over 2 MiB";
    METHOD_NOT_ALLOWED "method_not_allowed" 405 "a known path asked with a method it does not take (`Allow` lists the ones it does)";
    UNSUPPORTED_MEDIA_TYPE "unsupported_media_type" 415 "a body whose `Content-Type` the route does not take";
    INTERNAL "internal" 500 "anything else; the cause is logged on the server, never sent";
}

/// The listed entry of `code`, if any.
pub fn lookup(code: &str) -> Option<&'static ErrorCode> {
    ERROR_CODES.iter().find(|c| c.code == code)
}

/// In debug builds, fails loudly when an error is answered with a code that is not listed or
/// with another status than the list says: the list stays the whole truth.
pub fn check_listed(code: &str, status: u16) {
    if cfg!(debug_assertions) {
        match lookup(code) {
            Some(listed) => assert_eq!(
                listed.status, status,
                "error code {code:?} is answered with {status}, but error_codes lists {}",
                listed.status
            ),
            None => panic!("error code {code:?} is not in error_codes::ERROR_CODES"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error table of the guide: `| `code` | status | when |` rows.
    fn documented() -> Vec<(String, u16, String)> {
        let guide = include_str!("../docs/api.md");
        guide
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split(" | ").collect();
                let code = cells.first()?.strip_prefix("| `")?.strip_suffix('`')?;
                let status = cells.get(1)?.parse().ok()?;
                let when = cells.get(2)?.strip_suffix(" |")?;
                Some((code.to_owned(), status, when.to_owned()))
            })
            .collect()
    }

    #[test]
    fn the_guide_lists_exactly_the_error_codes_with_their_status_and_meaning() {
        let listed: Vec<(String, u16, String)> = ERROR_CODES
            .iter()
            .map(|c| (c.code.to_owned(), c.status, c.when.to_owned()))
            .collect();
        assert_eq!(
            documented(),
            listed,
            "docs/api.md's error table and ERROR_CODES differ"
        );
    }

    #[test]
    fn codes_are_unique_snake_case_and_their_statuses_are_errors() {
        let mut seen = std::collections::HashSet::new();
        for c in ERROR_CODES {
            assert!(seen.insert(c.code), "{} twice", c.code);
            assert!(
                c.code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{}",
                c.code
            );
            assert!((400..600).contains(&c.status), "{}", c.code);
        }
    }
}
