//! The binary layout of accounts, snapshot and change-log chunks: encoders and decoders that return
//! errors, never panic.

use super::*;
use crate::domain::account::Text;

/// Indicator presence bits of the binary account layout, in field order.
pub(super) const IND_REVENUE: u16 = 1 << 0;
pub(super) const IND_PROFIT: u16 = 1 << 1;
pub(super) const IND_COLLECTED: u16 = 1 << 2;
pub(super) const IND_TRANSACTIONS: u16 = 1 << 3;
pub(super) const IND_COOPERATION_YEARS: u16 = 1 << 4;
pub(super) const IND_OVERDUE_DAYS: u16 = 1 << 5;
pub(super) const IND_PRODUCT_LINES: u16 = 1 << 6;
pub(super) const IND_CREDIT: u16 = 1 << 7;
pub(super) const IND_REFERRAL: u16 = 1 << 8;
pub(super) const IND_PICKY: u16 = 1 << 9;
pub(super) const IND_STRICT: u16 = 1 << 10;
pub(super) const IND_POTENTIAL_CUSTOMER: u16 = 1 << 11;
pub(super) const IND_POTENTIAL_SERVICE: u16 = 1 << 12;
pub(super) const IND_ALL: u16 = (1 << 13) - 1;

pub(super) fn opt_str(w: &mut Writer, value: &Option<Text>) {
    match value {
        None => w.u8(0),
        Some(s) => {
            w.u8(1);
            w.str(s);
        }
    }
}

pub(super) fn read_opt_str(r: &mut Reader<'_>, what: &str) -> Result<Option<Text>, CodecError> {
    match r.u8(what)? {
        0 => Ok(None),
        1 => Ok(Some(r.str(what)?.into())),
        other => Err(CodecError::new(format!(
            "{what}: bad presence byte {other}"
        ))),
    }
}

pub(super) fn credit_code(c: CreditRating) -> u8 {
    match c {
        CreditRating::Good => 0,
        CreditRating::Fair => 1,
        CreditRating::Poor => 2,
        CreditRating::None => 3,
    }
}

pub(super) fn read_bool(r: &mut Reader<'_>, what: &str) -> Result<bool, CodecError> {
    match r.u8(what)? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(CodecError::new(format!("{what}: bad yes/no byte {other}"))),
    }
}

/// Appends an account's fields but its id (which precedes them in a chunk): name, aliases (count + strings), industry / region / owner (0 = none, 1 + string),
/// a varint bit set of the indicators present, then each present indicator in field order
/// (money as zigzag varint [`Money`] units — fen in chunk version 1 —, counts as varints, `cooperation_years` as f64, credit as
/// 0 good / 1 fair / 2 poor / 3 none, yes/no and scores as one byte).
pub(super) fn encode_account_body(w: &mut Writer, account: &Account) {
    // Destructured so that a new field cannot be forgotten here.
    let Account {
        id: _,
        name,
        aliases,
        industry,
        region,
        owner,
        indicators,
    } = account;
    let Indicators {
        revenue,
        profit,
        collected,
        transactions,
        cooperation_years,
        overdue_days,
        product_lines,
        credit,
        referral,
        picky,
        strict,
        potential_customer,
        potential_service,
    } = indicators;
    w.str(name);
    w.varint(aliases.len() as u64);
    for alias in aliases {
        w.str(alias);
    }
    opt_str(w, industry);
    opt_str(w, region);
    opt_str(w, owner);
    let mut present = 0u16;
    let mut bit = |set: bool, flag: u16| {
        if set {
            present |= flag;
        }
    };
    bit(revenue.is_some(), IND_REVENUE);
    bit(profit.is_some(), IND_PROFIT);
    bit(collected.is_some(), IND_COLLECTED);
    bit(transactions.is_some(), IND_TRANSACTIONS);
    bit(cooperation_years.is_some(), IND_COOPERATION_YEARS);
    bit(overdue_days.is_some(), IND_OVERDUE_DAYS);
    bit(product_lines.is_some(), IND_PRODUCT_LINES);
    bit(credit.is_some(), IND_CREDIT);
    bit(referral.is_some(), IND_REFERRAL);
    bit(picky.is_some(), IND_PICKY);
    bit(strict.is_some(), IND_STRICT);
    bit(potential_customer.is_some(), IND_POTENTIAL_CUSTOMER);
    bit(potential_service.is_some(), IND_POTENTIAL_SERVICE);
    w.varint(u64::from(present));
    for money in [revenue, profit, collected].into_iter().flatten() {
        w.zigzag(money.units());
    }
    if let Some(v) = transactions {
        w.varint(*v);
    }
    if let Some(v) = cooperation_years {
        w.f64(*v);
    }
    for v in [overdue_days, product_lines].into_iter().flatten() {
        w.varint(u64::from(*v));
    }
    if let Some(c) = credit {
        w.u8(credit_code(*c));
    }
    for v in [referral, picky, strict].into_iter().flatten() {
        w.u8(u8::from(*v));
    }
    for v in [potential_customer, potential_service]
        .into_iter()
        .flatten()
    {
        w.u8(*v);
    }
}

/// Reads the fields of [`encode_account_body`] for the account `id`; `money_factor` converts the
/// chunk's money unit into [`Money`] units (100 for chunks that hold fen, else 1).
pub(super) fn decode_account_body(
    r: &mut Reader<'_>,
    id: &str,
    money_factor: i64,
) -> Result<Account, CodecError> {
    let name = Text::from(r.str("name")?);
    let alias_count = r.count("aliases", 1)?;
    let mut aliases = Vec::with_capacity(alias_count);
    for _ in 0..alias_count {
        aliases.push(Text::from(r.str("aliases")?));
    }
    let industry = read_opt_str(r, "industry")?;
    let region = read_opt_str(r, "region")?;
    let owner = read_opt_str(r, "owner")?;
    let present: u16 = r.varint_as("indicators")?;
    if present & !IND_ALL != 0 {
        return Err(CodecError::new(format!(
            "indicators: unknown indicator bits {present:#x}"
        )));
    }
    let has = |flag: u16| present & flag != 0;
    let mut ind = Indicators::default();
    let money = |r: &mut Reader<'_>, flag: u16, what: &str| -> Result<Option<Money>, CodecError> {
        has(flag)
            .then(|| {
                let value = r.zigzag(what)?;
                value
                    .checked_mul(money_factor)
                    .map(Money)
                    .ok_or_else(|| CodecError::new(format!("{what}: {value} fen is out of range")))
            })
            .transpose()
    };
    ind.revenue = money(r, IND_REVENUE, "revenue")?;
    ind.profit = money(r, IND_PROFIT, "profit")?;
    ind.collected = money(r, IND_COLLECTED, "collected")?;
    if has(IND_TRANSACTIONS) {
        ind.transactions = Some(r.varint("transactions")?);
    }
    if has(IND_COOPERATION_YEARS) {
        ind.cooperation_years = Some(r.f64("cooperation_years")?);
    }
    if has(IND_OVERDUE_DAYS) {
        ind.overdue_days = Some(r.varint_as("overdue_days")?);
    }
    if has(IND_PRODUCT_LINES) {
        ind.product_lines = Some(r.varint_as("product_lines")?);
    }
    if has(IND_CREDIT) {
        ind.credit = Some(match r.u8("credit")? {
            0 => CreditRating::Good,
            1 => CreditRating::Fair,
            2 => CreditRating::Poor,
            3 => CreditRating::None,
            other => return Err(CodecError::new(format!("credit: unknown rating {other}"))),
        });
    }
    if has(IND_REFERRAL) {
        ind.referral = Some(read_bool(r, "referral")?);
    }
    if has(IND_PICKY) {
        ind.picky = Some(read_bool(r, "picky")?);
    }
    if has(IND_STRICT) {
        ind.strict = Some(read_bool(r, "strict")?);
    }
    if has(IND_POTENTIAL_CUSTOMER) {
        ind.potential_customer = Some(r.u8("potential_customer")?);
    }
    if has(IND_POTENTIAL_SERVICE) {
        ind.potential_service = Some(r.u8("potential_service")?);
    }
    Ok(Account {
        id: id.into(),
        name,
        aliases,
        industry,
        region,
        owner,
        indicators: ind,
    })
}

/// One account chunk: the accounts (sorted by id) in the layout of [`ACCOUNT_CHUNKS_TREE`].
pub(super) fn encode_account_chunk<'a>(
    accounts: impl ExactSizeIterator<Item = &'a Account>,
) -> Vec<u8> {
    let mut w = Writer::with_capacity(accounts.len() * 96 + 16);
    w.u8(ACCOUNT_CHUNK_VERSION);
    w.varint(accounts.len() as u64);
    for account in accounts {
        w.str(&account.id);
        encode_account_body(&mut w, account);
    }
    w.buf
}

/// Decodes an account chunk, appending its accounts to `out`; they must sort after what `out`
/// holds and start at the chunk's key.
pub(super) fn decode_account_chunk(
    key: &[u8],
    bytes: &[u8],
    out: &mut Vec<Account>,
) -> Result<(), StoreError> {
    let key_text = || format!("{:?}", String::from_utf8_lossy(key));
    let first = out.len();
    let mut read = || -> Result<(), CodecError> {
        let mut r = Reader::new(bytes);
        let money_factor = match r.u8("version")? {
            ACCOUNT_CHUNK_VERSION => 1,
            ACCOUNT_CHUNK_VERSION_FEN => Money::PER_YUAN / 100,
            other => {
                return Err(CodecError::new(format!(
                    "unknown chunk layout {other} (written by a newer playbook?)"
                )))
            }
        };
        let count = r.count("accounts", 4)?;
        out.reserve(count);
        for _ in 0..count {
            let id = r.str("account id")?;
            if let Some(previous) = out.last() {
                if previous.id.as_str() >= id {
                    return Err(CodecError::new(format!(
                        "account ids out of order ({:?} before {id:?})",
                        previous.id
                    )));
                }
            }
            let account = decode_account_body(&mut r, id, money_factor)
                .map_err(|e| CodecError::new(format!("account {id:?}: {e}")))?;
            out.push(account);
        }
        r.finish()?;
        if out.get(first).is_some_and(|a| a.id.as_bytes() != key) {
            return Err(CodecError::new("the first account id differs from the key"));
        }
        Ok(())
    };
    read().map_err(|e| damaged(ACCOUNT_CHUNKS_TREE, key_text(), e))
}

pub(super) fn direction_code(d: Direction) -> u8 {
    match d {
        Direction::Up => 0,
        Direction::Down => 1,
        Direction::New => 2,
        Direction::Changed => 3,
    }
}

pub(super) fn read_direction(r: &mut Reader<'_>) -> Result<Direction, CodecError> {
    match r.u8("direction")? {
        0 => Ok(Direction::Up),
        1 => Ok(Direction::Down),
        2 => Ok(Direction::New),
        3 => Ok(Direction::Changed),
        other => Err(CodecError::new(format!("direction: unknown code {other}"))),
    }
}

pub(super) fn write_names(w: &mut Writer, names: &[String]) {
    w.varint(names.len() as u64);
    for name in names {
        w.str(name);
    }
}

pub(super) fn read_header<'a>(r: &mut Reader<'a>) -> Result<Vec<&'a str>, CodecError> {
    match r.u8("version")? {
        CHUNK_VERSION => {}
        other => {
            return Err(CodecError::new(format!(
                "unknown chunk layout {other} (written by a newer playbook?)"
            )))
        }
    }
    let count = r.count("tier names", 1)?;
    (0..count).map(|_| r.str("tier name")).collect()
}

pub(super) fn read_name(r: &mut Reader<'_>, names: usize, what: &str) -> Result<u16, CodecError> {
    let index: u16 = r.varint_as(what)?;
    if usize::from(index) >= names {
        return Err(CodecError::new(format!(
            "{what}: tier name {index} of {names}"
        )));
    }
    Ok(index)
}

/// `from` as stored: 0 = none, else index + 1.
pub(super) fn read_from(r: &mut Reader<'_>, names: usize) -> Result<u16, CodecError> {
    match r.varint_as::<u16>("from")? {
        0 => Ok(NO_TIER),
        n if usize::from(n) <= names => Ok(n - 1),
        n => Err(CodecError::new(format!("from: tier name {n} of {names}"))),
    }
}

pub(super) fn write_from(w: &mut Writer, from: u16) {
    w.varint(if from == NO_TIER {
        0
    } else {
        u64::from(from) + 1
    });
}

/// One snapshot chunk: `(id, tier, last change)` entries with indexes into `names`.
pub(super) fn encode_snapshot_chunk<'a>(
    names: &[String],
    entries: impl ExactSizeIterator<Item = (&'a str, u16, LastChange)>,
) -> Vec<u8> {
    let mut w = Writer::with_capacity(entries.len() * 20 + 64);
    w.u8(CHUNK_VERSION);
    write_names(&mut w, names);
    w.varint(entries.len() as u64);
    for (id, tier, last) in entries {
        w.str(id);
        w.varint(u64::from(tier));
        w.varint(last.seq);
        if !last.is_none() {
            write_from(&mut w, last.from);
            w.varint(u64::from(last.to));
            w.u8(direction_code(last.direction));
        }
    }
    w.buf
}

/// Decodes one snapshot chunk into `out`, mapping its names into `out.names`.
pub(super) fn decode_snapshot_chunk(
    bytes: &[u8],
    out: &mut TierSnapshot,
) -> Result<(), CodecError> {
    let mut r = Reader::new(bytes);
    let names = read_header(&mut r)?;
    let map: Vec<u16> = names.iter().map(|n| intern(&mut out.names, n)).collect();
    let count = r.count("entries", 3)?;
    out.ends.reserve(count);
    out.tiers.reserve(count);
    out.last.reserve(count);
    for _ in 0..count {
        let id = r.str("account id")?;
        if let Some(previous) = out.len().checked_sub(1).map(|i| out.id(i)) {
            if previous >= id {
                return Err(CodecError::new(format!(
                    "account ids out of order ({previous:?} before {id:?})"
                )));
            }
        }
        let tier = map[usize::from(read_name(&mut r, names.len(), "tier")?)];
        let seq = r.varint("last change")?;
        let last = if seq == 0 {
            LastChange::NONE
        } else {
            let from = read_from(&mut r, names.len())?;
            let to = read_name(&mut r, names.len(), "to")?;
            LastChange {
                seq,
                from: if from == NO_TIER {
                    NO_TIER
                } else {
                    map[usize::from(from)]
                },
                to: map[usize::from(to)],
                direction: read_direction(&mut r)?,
            }
        };
        out.push(id, tier, last);
    }
    r.finish()
}

/// Index of `name` in `names`, appending it when absent (tables hold a handful of names).
pub(super) fn intern(names: &mut Vec<String>, name: &str) -> u16 {
    match names.iter().position(|n| n == name) {
        Some(i) => i as u16,
        None => {
            names.push(name.to_owned());
            (names.len() - 1) as u16
        }
    }
}

/// One change-log chunk: `(id, change)` entries with indexes into `names`.
pub(super) fn encode_change_chunk<'a>(
    names: &[String],
    entries: impl ExactSizeIterator<Item = (&'a str, LastChange)>,
) -> Vec<u8> {
    let mut w = Writer::with_capacity(entries.len() * 16 + 64);
    w.u8(CHUNK_VERSION);
    write_names(&mut w, names);
    w.varint(entries.len() as u64);
    for (id, change) in entries {
        w.str(id);
        write_from(&mut w, change.from);
        w.varint(u64::from(change.to));
        w.u8(direction_code(change.direction));
    }
    w.buf
}

/// A decoded change-log chunk, borrowing from the stored bytes: `(account id, from, to,
/// direction)` per changed account, in id order.
pub(super) type ChangeChunk<'a> = Vec<(&'a str, Option<&'a str>, &'a str, Direction)>;

pub(super) fn decode_change_chunk(bytes: &[u8]) -> Result<ChangeChunk<'_>, CodecError> {
    let mut r = Reader::new(bytes);
    let names = read_header(&mut r)?;
    let count = r.count("entries", 4)?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let id = r.str("account id")?;
        let from = read_from(&mut r, names.len())?;
        let to = read_name(&mut r, names.len(), "to")?;
        let direction = read_direction(&mut r)?;
        let from = (from != NO_TIER).then(|| names[usize::from(from)]);
        entries.push((id, from, names[usize::from(to)], direction));
    }
    r.finish()?;
    Ok(entries)
}
