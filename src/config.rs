//! Runtime configuration: one struct, every field documented, defaults visible.
//!
//! Each field is settable by a command-line flag or by an environment variable with the
//! `PLAYBOOK_` prefix (see `crate::cli`); flags win over the environment.

use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// Prefix of every environment variable Playbook reads.
pub const ENV_PREFIX: &str = "PLAYBOOK_";

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_CONTENT_DIR: &str = "./playbooks";
/// Default of `max_file_bytes`, in MiB.
pub const DEFAULT_MAX_FILE_MB: usize = 50;
/// Default largest body of `POST /api/v1/accounts/import`, in MiB.
pub const DEFAULT_MAX_IMPORT_MB: usize = 200;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server binds (`PLAYBOOK_ADDR`, default `127.0.0.1:8080`).
    /// Port 0 asks the OS for a free port; `Application::port` tells which.
    pub addr: String,
    /// Directory of the sled store and the search index (`PLAYBOOK_DATA_DIR`, default `./data`).
    /// With `store` set to a database, it still holds this node's search index, uploads and
    /// backups.
    pub data_dir: PathBuf,
    /// The store when it is not sled in `data_dir`: a PostgreSQL URL (`--store` /
    /// `PLAYBOOK_STORE`, `postgres://user:password@host:5432/playbook`). `None`: sled.
    pub store: Option<String>,
    /// Directory of the Markdown content and the optional `tiers.yaml` / `scenarios.yaml`
    /// (`PLAYBOOK_CONTENT_DIR`, default `./playbooks`).
    pub content_dir: PathBuf,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Load the demo accounts on start when the account store is empty (`PLAYBOOK_DEMO`,
    /// default off). Existing accounts are never overwritten.
    pub demo: bool,
    /// Largest CSV body accepted by `POST /api/v1/accounts/import`, in bytes
    /// (`PLAYBOOK_MAX_IMPORT_MB`, default 200 MiB). Larger files: `playbook import accounts`.
    pub max_import_bytes: usize,
    /// Largest single file brought in as content or attached to an item, in bytes
    /// (`PLAYBOOK_MAX_FILE_MB`, default 50 MiB). An upload of several files (or a `.zip`) may
    /// total up to `max_import_bytes`.
    pub max_file_bytes: usize,
    /// Session lifetimes (`PLAYBOOK_SESSION_IDLE_MINUTES`, default 480;
    /// `PLAYBOOK_SESSION_MAX_HOURS`, default 168).
    pub session: crate::app::users::AuthSettings,
    /// Where `POST /api/v1/backup` writes backups, each in a new subdirectory
    /// (`PLAYBOOK_BACKUP_DIR`; `None`: `DATA_DIR/backups`). The API never writes elsewhere.
    pub backup_dir: Option<PathBuf>,
    /// The reverse proxies in front of the server (`PLAYBOOK_TRUSTED_PROXIES`, a comma-separated
    /// list of addresses and CIDR blocks; default empty). Forwarding headers (`Forwarded`,
    /// `X-Forwarded-For`, `-Host`, `-Proto`) are believed only from a TCP peer in this list:
    /// anyone else could forge them.
    pub trusted_proxies: Vec<IpBlock>,
    /// The time zone pages show times in, as an offset from UTC (`PLAYBOOK_TIMEZONE_OFFSET`,
    /// `+08:00`, `-05:30`, `0`; default `+08:00`, China Standard Time). The API and the store
    /// keep UTC.
    pub utc_offset: time::UtcOffset,
    /// How searches count facets and keep answers (`PLAYBOOK_SEARCH_COUNT_BOUND`, default
    /// 10,000 matches; `PLAYBOOK_SEARCH_CACHE`, default 512 answers, 0 for none).
    pub search: crate::search::index::SearchSettings,
}

/// Default of `utc_offset`: China Standard Time (Asia/Shanghai has no daylight saving time).
pub const DEFAULT_UTC_OFFSET: time::UtcOffset = time::macros::offset!(+8);

/// Reads a UTC offset as `--timezone-offset` takes it: `+08:00`, `-05:30`, `+8`, `0`, `UTC`.
pub fn parse_utc_offset(text: &str) -> Result<time::UtcOffset, String> {
    let text = text.trim();
    let bad = || format!("{text:?} is no UTC offset (expected e.g. +08:00, -05:30 or 0)");
    if text.eq_ignore_ascii_case("utc") || text.eq_ignore_ascii_case("z") {
        return Ok(time::UtcOffset::UTC);
    }
    let text_without_utc = text
        .strip_prefix("UTC")
        .or_else(|| text.strip_prefix("utc"))
        .unwrap_or(text);
    let (sign, rest) = match text_without_utc.as_bytes().first() {
        Some(b'-') => (-1, &text_without_utc[1..]),
        Some(b'+') => (1, &text_without_utc[1..]),
        _ => (1, text_without_utc),
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None => (rest, "0"),
    };
    let hours: i8 = hours.parse().map_err(|_| bad())?;
    let minutes: i8 = minutes.parse().map_err(|_| bad())?;
    if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
        return Err(bad());
    }
    time::UtcOffset::from_hms(sign * hours, sign * minutes, 0).map_err(|_| bad())
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: DEFAULT_ADDR.to_owned(),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            store: None,
            content_dir: PathBuf::from(DEFAULT_CONTENT_DIR),
            workers: 0,
            demo: false,
            max_import_bytes: DEFAULT_MAX_IMPORT_MB * 1024 * 1024,
            max_file_bytes: DEFAULT_MAX_FILE_MB * 1024 * 1024,
            session: crate::app::users::AuthSettings::default(),
            backup_dir: None,
            trusted_proxies: Vec::new(),
            utc_offset: DEFAULT_UTC_OFFSET,
            search: crate::search::index::SearchSettings::default(),
        }
    }
}

impl Config {
    /// A configuration for tests: a free port on loopback, the given directories, one worker,
    /// no demo accounts.
    pub fn for_tests(data_dir: impl Into<PathBuf>, content_dir: impl Into<PathBuf>) -> Config {
        Config {
            addr: "127.0.0.1:0".to_owned(),
            data_dir: data_dir.into(),
            store: None,
            content_dir: content_dir.into(),
            workers: 1,
            demo: false,
            max_import_bytes: DEFAULT_MAX_IMPORT_MB * 1024 * 1024,
            max_file_bytes: DEFAULT_MAX_FILE_MB * 1024 * 1024,
            session: crate::app::users::AuthSettings::default(),
            backup_dir: None,
            trusted_proxies: Vec::new(),
            utc_offset: DEFAULT_UTC_OFFSET,
            search: crate::search::index::SearchSettings::default(),
        }
    }

    /// Where the server writes backups: `backup_dir`, else `DATA_DIR/backups`.
    pub fn backup_dir(&self) -> PathBuf {
        self.backup_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("backups"))
    }

    /// Where sled keeps its files, below the data directory.
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    /// The store to open: the database of `store`, else sled in [`Config::store_dir`].
    pub fn store_location(&self) -> crate::store::StoreLocation {
        match &self.store {
            Some(url) => crate::store::StoreLocation::parse(url),
            None => crate::store::StoreLocation::Sled(self.store_dir()),
        }
    }

    /// Where uploads wait between the steps of an import page, below the data directory (not
    /// part of the store: deleted after a day).
    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    /// Where the search index lives, below the data directory. Derived data: deleting it is
    /// safe, it is rebuilt from the store at the next start.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}

/// An IP address or a CIDR block of them (`10.0.0.0/8`, `192.168.1.7`, `fd00::/8`), as
/// `--trusted-proxies` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    network: IpAddr,
    prefix: u8,
}

impl IpBlock {
    /// True if `ip` is in the block. An IPv4 address written as IPv6 (`::ffff:10.0.0.1`, how a
    /// dual-stack socket reports IPv4 peers) counts as the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpBlock {
    type Err = String;

    fn from_str(text: &str) -> Result<IpBlock, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = address
            .parse::<IpAddr>()
            .map_err(|_| {
                format!(
                    "{text:?} is not an IP address or CIDR block (e.g. 10.0.0.0/8, 127.0.0.1, ::1)"
                )
            })?
            .to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix =
            match prefix {
                None => max,
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| {
                    format!("{text:?}: the prefix length after / must be 0–{max}")
                })?,
            };
        Ok(IpBlock { network, prefix })
    }
}

/// [`IpBlock`]s as a flag or environment variable lists them: separated by commas, spaces
/// allowed; empty text is an empty list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpBlocks(pub Vec<IpBlock>);

impl FromStr for IpBlocks {
    type Err = String;

    fn from_str(text: &str) -> Result<IpBlocks, String> {
        text.split(',')
            .filter(|part| !part.trim().is_empty())
            .map(IpBlock::from_str)
            .collect::<Result<_, _>>()
            .map(IpBlocks)
    }
}

impl std::fmt::Display for IpBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utc_offset_is_read_as_people_write_it() {
        let east8 = time::UtcOffset::from_hms(8, 0, 0).unwrap();
        assert_eq!(parse_utc_offset("+08:00"), Ok(east8));
        assert_eq!(parse_utc_offset("8"), Ok(east8));
        assert_eq!(parse_utc_offset("UTC+8"), Ok(east8));
        assert_eq!(
            parse_utc_offset("-05:30"),
            Ok(time::UtcOffset::from_hms(-5, -30, 0).unwrap())
        );
        assert_eq!(parse_utc_offset("0"), Ok(time::UtcOffset::UTC));
        assert_eq!(parse_utc_offset("utc"), Ok(time::UtcOffset::UTC));
        assert!(parse_utc_offset("Asia/Shanghai").is_err());
        assert!(parse_utc_offset("+25:00").is_err());
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_ip_block_holds_the_addresses_of_its_prefix_and_no_others() {
        let block: IpBlock = "10.1.0.0/16".parse().unwrap();
        assert!(block.contains(ip("10.1.200.3")));
        assert!(!block.contains(ip("10.2.0.1")));
        assert!(
            block.contains(ip("::ffff:10.1.0.9")),
            "IPv4 seen through IPv6"
        );
        let single: IpBlock = "127.0.0.1".parse().unwrap();
        assert!(single.contains(ip("127.0.0.1")) && !single.contains(ip("127.0.0.2")));
        let v6: IpBlock = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let everything: IpBlock = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(ip("8.8.8.8")));
    }

    #[test]
    fn a_bad_ip_block_is_refused_with_an_example() {
        for bad in [
            "10.0.0.0/33",
            "example.com",
            "10.0.0/8",
            "::1/129",
            "10.0.0.1/x",
        ] {
            let error = bad.parse::<IpBlock>().unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
        assert_eq!("".parse::<IpBlocks>().unwrap(), IpBlocks::default());
        let list: IpBlocks = "127.0.0.1, 10.0.0.0/8,".parse().unwrap();
        assert_eq!(list.0.len(), 2, "spaces and a trailing comma are fine");
        let error = "127.0.0.1,nope".parse::<IpBlocks>().unwrap_err();
        assert!(error.contains("nope"), "{error}");
    }
}
