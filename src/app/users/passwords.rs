//! Secrets and hashing: random secrets, SHA-256 digests, argon2id hashes on kept working memory,
//! name and password rules.

use super::*;

pub(super) fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub(super) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS random source failing is not something to serve requests through.
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes
}

/// `n` random bytes as lower-case hex.
pub(super) fn random_hex(n: usize) -> String {
    let mut out = String::with_capacity(n * 2);
    while out.len() < n * 2 {
        for b in random_bytes::<32>() {
            if out.len() == n * 2 {
                break;
            }
            out.push_str(&format!("{b:02x}"));
        }
    }
    out
}

/// A random 20-character password from letters and digits without look-alikes (about 113
/// bits), easy to read out and type on a phone.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        for b in random_bytes::<64>() {
            // Rejection sampling keeps every character equally likely.
            let limit = 256 - 256 % ALPHABET.len();
            if (b as usize) < limit && out.len() < 20 {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    out
}

/// Most argon2 memory a stored hash may ask for (64 MiB; ours take 19): a record that asks for
/// more is treated as not matching rather than allowed to take the server's memory.
pub(super) const MAX_ARGON2_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// argon2's working memory (19 MiB), allocated once per thread and kept. Allocating it per
    /// hash, as `argon2`'s own `hash_password` does, grows the process by about that much per
    /// hash for the first dozen hashes of each thread (glibc does not reuse the freed, 64-byte
    /// aligned blocks), measured: 12 checks on one thread, 7 → 224 MiB resident.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs argon2 with `params` over this thread's kept working memory.
pub(super) fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    if blocks > MAX_ARGON2_BLOCKS {
        return Err(argon2::Error::MemoryTooMuch);
    }
    ARGON2_MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..blocks])
    })
}

/// `password` hashed with argon2id (the crate's default parameters: 19 MiB, 2 passes, one
/// lane) and a random salt, as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Call it on a
/// thread of the password gate ([`Auth`] does): it keeps 19 MiB per thread.
pub(super) fn hash_password(password: &str) -> Result<String, AuthError> {
    let hash_error = |e: &dyn std::fmt::Display| AuthError::Hash(e.to_string());
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| hash_error(&e))?;
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| hash_error(&e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon2, &params, password, salt_bytes, &mut out).map_err(|e| hash_error(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(|e| hash_error(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| hash_error(&e))?),
    };
    Ok(hash.to_string())
}

/// True if `password` matches the PHC string `hash` (any argon2 variant and parameters up to
/// [`MAX_ARGON2_BLOCKS`]), compared in constant time.
pub(super) fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    argon2_into(&argon2, &params, password, salt, &mut out).is_ok()
        && constant_time_eq(&out, expected.as_bytes())
}

pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A hash of a random password, computed once: unknown names are checked against it.
pub(super) fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&generate_password()).unwrap_or_default())
}

pub(super) fn valid_name(name: &str) -> Result<&str, AuthError> {
    let name = name.trim();
    let invalid = |message: String| AuthError::Invalid {
        field: "name",
        message,
    };
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "a user name has 1–{MAX_NAME_CHARS} characters"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(invalid(format!(
            "{c:?} is not allowed in a user name: use letters (any script), digits, '.', '_', '-' or '@' — the same name as the owner column of the account import"
        )));
    }
    Ok(name)
}

/// `password` checked against the rules, or a generated one (then also returned to be shown).
pub(super) fn given_or_generated(
    password: Option<&str>,
) -> Result<(String, Option<String>), AuthError> {
    match password {
        Some(p) => Ok((valid_password(p)?.to_owned(), None)),
        None => {
            let p = generate_password();
            Ok((p.clone(), Some(p)))
        }
    }
}

pub(super) fn valid_password(password: &str) -> Result<&str, AuthError> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(AuthError::Invalid {
            field: "password",
            message: format!(
                "a password has {MIN_PASSWORD_CHARS}–{MAX_PASSWORD_CHARS} characters (this one has {chars}); a passphrase of a few words is easiest"
            ),
        });
    }
    Ok(password)
}

pub(super) fn unix_to_rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
