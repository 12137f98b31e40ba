//! Where a request came from: its effective origin (scheme, host, port) and its client address.
//!
//! Forwarding headers — `Forwarded` (RFC 7239) and `X-Forwarded-For`, `-Host`, `-Proto` — are
//! believed only when the TCP peer is one of the trusted proxies (`--trusted-proxies`, empty by
//! default): anyone else could forge them to pass the CSRF origin check, to get a `Secure`
//! cookie over plain HTTP or to dodge the per-client sign-in throttle. Without a trusted peer the
//! scheme is the connection's (`http`: the server does not terminate TLS), the host is the
//! `Host` header and the client is the peer. With one, each value is the one the nearest proxy
//! wrote (the right-most), and the client is the right-most address of the forwarding chain that
//! is not itself a trusted proxy.
//!
//! actix-web's own `ConnectionInfo` believes these headers from anyone; do not use it.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{self, HeaderMap};
use actix_web::HttpRequest;

use crate::config::IpBlock;

/// A web origin: scheme, host and port, compared as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of an absolute URL (an `Origin` header, a `Referer`): `scheme://host[:port]`
    /// and anything after a `/`, `?` or `#`. `None` for anything else, user info included.
    pub fn of_url(url: &str) -> Option<Origin> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        Origin::new(scheme, authority)
    }

    /// `scheme` with `authority` (`host[:port]`, `[v6]:port`); the port defaults to the
    /// scheme's.
    fn new(scheme: &str, authority: &str) -> Option<Origin> {
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        if authority.is_empty() || authority.contains(['@', ' ', '\\']) {
            return None;
        }
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            let (v6, after) = rest.split_once(']')?;
            let port = match after {
                "" => None,
                port => Some(port.strip_prefix(':')?),
            };
            (format!("[{v6}]"), port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host.to_owned(), Some(port)),
                None => (authority.to_owned(), None),
            }
        };
        let port = match port {
            None => default_port,
            Some(port) => port.parse().ok()?,
        };
        if host.is_empty() {
            return None;
        }
        Some(Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// True if the request's TCP peer is a trusted proxy.
fn from_trusted_proxy(req: &HttpRequest, trusted: &[IpBlock]) -> bool {
    match req.peer_addr() {
        Some(peer) => is_trusted(peer.ip(), trusted),
        None => false,
    }
}

fn is_trusted(ip: IpAddr, trusted: &[IpBlock]) -> bool {
    trusted.iter().any(|block| block.contains(ip))
}

/// The request's effective origin: what the browser addressed, as far as we can trust it.
pub fn effective_origin(req: &HttpRequest, trusted: &[IpBlock]) -> Option<Origin> {
    let proxied = from_trusted_proxy(req, trusted);
    let scheme = proxied
        .then(|| forwarded_value(req.headers(), "proto", "x-forwarded-proto"))
        .flatten()
        .unwrap_or_else(|| connection_scheme(req).to_owned());
    let host = proxied
        .then(|| forwarded_value(req.headers(), "host", "x-forwarded-host"))
        .flatten()
        .or_else(|| host_header(req))?;
    Origin::new(&scheme, &host)
}

/// `https` if the browser's connection was encrypted (for the cookie's `Secure` flag).
pub fn is_https(req: &HttpRequest, trusted: &[IpBlock]) -> bool {
    effective_origin(req, trusted).is_some_and(|o| o.scheme == "https")
}

/// The client's address, for throttling: the TCP peer, or behind trusted proxies the
/// right-most address of the forwarding chain that is not a trusted proxy (addresses further
/// left were written by the client itself and prove nothing).
pub fn client_address(req: &HttpRequest, trusted: &[IpBlock]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip().to_canonical()) else {
        return "unknown".to_owned();
    };
    if !is_trusted(peer, trusted) {
        return peer.to_string();
    }
    let chain = forwarded_for(req.headers());
    for hop in chain.iter().rev() {
        match parse_address(hop) {
            Some(ip) if is_trusted(ip, trusted) => continue,
            Some(ip) => return ip.to_canonical().to_string(),
            // An obfuscated or unknown hop (`unknown`, `_hidden`): the proxy saw no address.
            None => return hop.to_owned(),
        }
    }
    peer.to_string()
}

/// `http`, or `https` when the server itself terminates TLS.
fn connection_scheme(req: &HttpRequest) -> &'static str {
    if req.app_config().secure() {
        "https"
    } else {
        "http"
    }
}

/// The `Host` header (or, in HTTP/2, the URI's authority).
fn host_header(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
}

/// The value the nearest proxy gave for `param` of `Forwarded` (the last element that has
/// it), else the last item of the `X-…` header.
fn forwarded_value(headers: &HeaderMap, param: &str, x_header: &str) -> Option<String> {
    let standard = forwarded_elements(headers)
        .into_iter()
        .rev()
        .find_map(|pairs| pairs.into_iter().find(|(k, _)| k == param).map(|(_, v)| v));
    standard.or_else(|| {
        headers
            .get_all(x_header)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
            .map(str::to_owned)
    })
}

/// The `for` addresses of `Forwarded`, else the items of `X-Forwarded-For`, left to right.
fn forwarded_for(headers: &HeaderMap) -> Vec<String> {
    let standard: Vec<String> = forwarded_elements(headers)
        .into_iter()
        .filter_map(|pairs| pairs.into_iter().find(|(k, _)| k == "for").map(|(_, v)| v))
        .collect();
    if !standard.is_empty() {
        return standard;
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The elements of every `Forwarded` header, each as `(lower-case name, unquoted value)` pairs.
fn forwarded_elements(headers: &HeaderMap) -> Vec<Vec<(String, String)>> {
    headers
        .get_all(header::FORWARDED)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| {
                    (
                        k.trim().to_ascii_lowercase(),
                        v.trim().trim_matches('"').to_owned(),
                    )
                })
                .collect()
        })
        .collect()
}

/// An address as forwarding headers write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]:4711`.
fn parse_address(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            text.strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn trusted(list: &[&str]) -> Vec<IpBlock> {
        list.iter().map(|b| b.parse().unwrap()).collect()
    }

    fn from(peer: &str) -> TestRequest {
        TestRequest::default()
            .peer_addr(peer.parse().unwrap())
            .insert_header(("Host", "127.0.0.1:8080"))
    }

    fn origin(url: &str) -> Origin {
        Origin::of_url(url).unwrap()
    }

    #[test]
    fn origins_compare_scheme_host_and_port_with_default_ports() {
        assert_eq!(
            origin("http://Example.com"),
            origin("http://example.com:80/x")
        );
        assert_eq!(
            origin("https://example.com/"),
            origin("https://example.com:443")
        );
        assert_ne!(origin("https://example.com"), origin("http://example.com"));
        assert_ne!(
            origin("http://example.com:8080"),
            origin("http://example.com:8081")
        );
        assert_eq!(
            origin("http://[::1]:8080/me").to_string(),
            "http://[::1]:8080"
        );
        for bad in [
            "example.com",
            "ftp://example.com",
            "http://",
            "http://user@example.com",
            "http://example.com:99999",
            "http://example.com:x",
            "null",
        ] {
            assert_eq!(Origin::of_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let req = from("203.0.113.9:4000")
            .insert_header(("X-Forwarded-Proto", "https"))
            .insert_header(("X-Forwarded-Host", "evil.example"))
            .insert_header(("X-Forwarded-For", "10.0.0.1"))
            .insert_header(("Forwarded", "for=10.0.0.2;proto=https;host=evil.example"))
            .to_http_request();
        let list = trusted(&["127.0.0.1"]);
        assert_eq!(
            effective_origin(&req, &list),
            Some(origin("http://127.0.0.1:8080"))
        );
        assert!(!is_https(&req, &list));
        assert_eq!(client_address(&req, &list), "203.0.113.9");
    }

    #[test]
    fn a_trusted_proxy_gives_the_scheme_host_and_client_the_browser_used() {
        let list = trusted(&["10.0.0.0/8"]);
        let req = from("10.1.1.1:4000")
            .insert_header(("X-Forwarded-Proto", "http, https"))
            .insert_header(("X-Forwarded-Host", "playbook.example.com"))
            .insert_header(("X-Forwarded-For", "198.51.100.7, 203.0.113.5, 10.2.2.2"))
            .to_http_request();
        assert_eq!(
            effective_origin(&req, &list),
            Some(origin("https://playbook.example.com"))
        );
        assert_eq!(
            client_address(&req, &list),
            "203.0.113.5",
            "the right-most address that is not a proxy; the client wrote the left-most"
        );

        let standard = from("10.1.1.1:4000")
            .insert_header((
                "Forwarded",
                "for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\";proto=https;host=pb.example:8443",
            ))
            .insert_header(("X-Forwarded-Proto", "http"))
            .to_http_request();
        assert_eq!(
            effective_origin(&standard, &list),
            Some(origin("https://pb.example:8443")),
            "Forwarded wins, its last element"
        );
        assert_eq!(client_address(&standard, &list), "2001:db8::1");

        let only_proxies = from("10.1.1.1:4000")
            .insert_header(("X-Forwarded-For", "10.3.3.3"))
            .to_http_request();
        assert_eq!(client_address(&only_proxies, &list), "10.1.1.1");
        let nothing = from("10.1.1.1:4000").to_http_request();
        assert_eq!(
            effective_origin(&nothing, &list),
            Some(origin("http://127.0.0.1:8080")),
            "without forwarding headers, the request's own"
        );
    }
}
