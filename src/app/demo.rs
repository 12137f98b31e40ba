//! Demo accounts: a deterministic generator of fictional Chinese customers, plus the 12
//! showcase accounts of `demo/showcase_accounts.csv` that the bundled cases refer to.
//!
//! The output is CSV in the importer's format, so the demo goes through the real import path.
//! Same `count` and `seed` → same bytes, on every machine (a hand-written splitmix64 PRNG, no
//! floating-point library calls whose results could differ between platforms except `ln`,
//! `exp` and `sqrt`, which are correctly rounded or close enough for money rounded to the yuan).
//!
//! Revenue is heavy-tailed like a real customer base: two log-normal segments — many small and
//! mid-sized firms (median ≈ 150,000 yuan) and a minority of large enterprises (median ≈ 3.5
//! million yuan) — giving an overall median ≈ 300,000 yuan and a top 20 % holding most of the
//! revenue. Margins are mostly positive with about one account in twelve losing money; overdue
//! days are mostly 0 with a tail to 120.

use std::fmt::Write as _;

/// The 12 showcase accounts (DEMO-001 … DEMO-012), in the importer's CSV format.
pub const SHOWCASE_CSV: &str = include_str!("../../demo/showcase_accounts.csv");

/// Default number of generated accounts (the showcase accounts come on top).
pub const DEFAULT_COUNT: usize = 2_000;
/// Default seed.
pub const DEFAULT_SEED: u64 = 20_240_601;

/// The demo reps who own accounts.
pub const OWNERS: [&str; 3] = ["zhang.wei", "li.na", "wang.fang"];

const HEADER: &str = "id,name,aliases,industry,region,owner,revenue,profit,collected,transactions,cooperation_years,overdue_days,product_lines,credit,referral,picky,strict,potential_customer,potential_service";

const PLACES: &[&str] = &[
    "华东", "华南", "华北", "西南", "东方", "中原", "北方", "江南", "沿海", "长江", "珠江", "苏州",
    "杭州", "宁波", "无锡", "常州", "合肥", "武汉", "长沙", "成都", "重庆", "西安", "青岛", "厦门",
    "佛山", "东莞", "南京", "郑州", "济南", "天津", "大连", "昆明",
];
const BRANDS: &[&str] = &[
    "星海", "恒通", "瑞丰", "金桥", "鼎盛", "宏达", "远航", "嘉禾", "华信", "通达", "锦程", "天润",
    "博远", "启明", "润泽", "泰和", "安捷", "众诚", "汇智", "凯越", "明德", "长盛", "永益", "新纪",
    "立邦", "卓越", "景川", "同创", "海纳", "青禾", "澄川", "云帆", "北辰", "信达", "中拓", "万隆",
    "德润", "和光", "蓝图", "晨曦",
];
/// (business word, industry, relative weight)
const TRADES: &[(&str, &str)] = &[
    ("精密", "装备制造"),
    ("机械", "装备制造"),
    ("电子", "电子制造"),
    ("科技", "软件与信息服务"),
    ("数智", "软件与信息服务"),
    ("物流", "交通物流"),
    ("供应链", "交通物流"),
    ("医药", "医药流通"),
    ("食品", "食品加工"),
    ("新材料", "新材料"),
    ("化工", "化工"),
    ("能源", "能源装备"),
    ("建设", "建筑工程"),
    ("环保", "环保服务"),
    ("商贸", "批发零售"),
    ("汽车部件", "汽车零部件"),
];
/// (suffix, minimum revenue in yuan for a firm to carry it)
const SUFFIXES: &[(&str, i64)] = &[
    ("集团有限公司", 20_000_000),
    ("股份有限公司", 5_000_000),
    ("有限公司", 0),
    ("有限公司", 0),
    ("有限公司", 0),
    ("有限责任公司", 0),
    ("商行", 0),
    ("厂", 0),
];
const REGIONS: &[&str] = &[
    "江苏", "浙江", "上海", "广东", "北京", "山东", "四川", "湖北", "湖南", "安徽", "福建", "河南",
    "天津", "陕西", "重庆", "辽宁", "云南",
];

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast and well distributed; enough for demo data.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// The demo accounts as CSV: `count` generated accounts (ids `C-00001` …) followed by the 12
/// showcase accounts.
pub fn accounts_csv(count: usize, seed: u64) -> String {
    let mut out = String::with_capacity(count * 160 + SHOWCASE_CSV.len());
    out.push_str(HEADER);
    out.push('\n');
    let mut rng = SplitMix64::new(seed);
    let mut used_names = std::collections::HashSet::new();
    for n in 1..=count {
        push_generated(&mut out, &mut rng, n, &mut used_names);
    }
    // The showcase file has the same header; append its rows.
    for line in SHOWCASE_CSV
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
    {
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn push_generated(
    out: &mut String,
    rng: &mut SplitMix64,
    n: usize,
    used_names: &mut std::collections::HashSet<String>,
) {
    // Two segments: small and mid-sized firms, and large enterprises.
    let enterprise = rng.chance(0.35);
    let (median, sigma) = if enterprise {
        (3_500_000.0, 1.0)
    } else {
        (150_000.0, 1.1)
    };
    let revenue = ((median * (sigma * rng.normal()).exp()).round() as i64).max(5_000);
    // Margin: mostly 5–20 %, about one in twelve loses money.
    let margin = if rng.chance(0.08) {
        -(0.02 + 0.18 * rng.unit())
    } else {
        (0.11 + 0.05 * rng.normal()).clamp(0.005, 0.35)
    };
    let profit = (revenue as f64 * margin).round() as i64;
    let overdue_days: u32 = match rng.unit() {
        x if x < 0.78 => 0,
        x if x < 0.90 => 1 + rng.below(30) as u32,
        x if x < 0.96 => 30 + rng.below(30) as u32,
        x if x < 0.985 => 60 + rng.below(30) as u32,
        _ => 90 + rng.below(31) as u32,
    };
    // Late payers have collected less of what they bought.
    let collected_share = if overdue_days > 0 {
        0.45 + 0.45 * rng.unit()
    } else {
        0.85 + 0.15 * rng.unit()
    };
    let collected = (revenue as f64 * collected_share).round() as i64;
    let size = (revenue as f64).ln();
    let transactions = ((size - 8.0).max(1.0) * (1.5 + 3.0 * rng.unit())).round() as u64;
    let product_lines = match rng.unit() {
        x if x < 0.42 => 1,
        x if x < 0.72 => 2,
        x if x < 0.88 => 3,
        x if x < 0.96 => 4,
        _ => 5,
    };
    let cooperation_years = 1 + rng.below(if enterprise { 15 } else { 8 });
    let credit = match (overdue_days, rng.unit()) {
        (d, _) if d >= 90 => "poor",
        (d, x) if d >= 30 && x < 0.6 => "fair",
        (_, x) if x < 0.03 => "none",
        (_, x) if x < 0.75 => "good",
        _ => "fair",
    };
    let referral = rng.chance(0.2);
    let picky = rng.chance(0.12);
    let strict = rng.chance(if enterprise { 0.4 } else { 0.1 });
    let potential_customer = (45.0 + 10.0 * (size - 12.0) + 15.0 * rng.normal()).clamp(0.0, 100.0);
    let potential_service = (55.0 + 18.0 * rng.normal()).clamp(0.0, 100.0);

    let (name, alias, industry) = company_name(rng, revenue, used_names);
    let region = rng.pick(REGIONS);
    let owner = rng.pick(&OWNERS);
    let _ = writeln!(
        out,
        "C-{n:05},{name},{alias},{industry},{region},{owner},{revenue},{profit},{collected},\
         {transactions},{cooperation_years},{overdue_days},{product_lines},{credit},{referral},\
         {picky},{strict},{},{}",
        potential_customer.round() as u8,
        potential_service.round() as u8,
    );
}

/// A fictional company name (place + brand + trade + legal suffix), unique in the file, with
/// a short alias (brand + trade) and its industry.
fn company_name(
    rng: &mut SplitMix64,
    revenue: i64,
    used: &mut std::collections::HashSet<String>,
) -> (String, String, &'static str) {
    for attempt in 0.. {
        let place = rng.pick(PLACES);
        let brand = rng.pick(BRANDS);
        let (trade, industry) = *rng.pick(TRADES);
        let suffix = loop {
            let (suffix, min_revenue) = *rng.pick(SUFFIXES);
            if revenue >= min_revenue {
                break suffix;
            }
        };
        // The word lists give about 100,000 distinct names; larger demo files number the rest.
        let name = if attempt < 8 {
            format!("{place}{brand}{trade}{suffix}")
        } else {
            format!("{place}{brand}{trade}{}号{suffix}", used.len())
        };
        if used.insert(name.clone()) {
            let alias = if rng.chance(0.5) {
                format!("{brand}{trade};{place}{brand}")
            } else {
                format!("{brand}{trade}")
            };
            return (name, alias, industry);
        }
    }
    unreachable!("a numbered name is always new")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::domain::import::read_accounts;
    use crate::domain::tiering::TierModel;

    #[test]
    fn the_generator_is_deterministic_and_seed_dependent() {
        assert_eq!(accounts_csv(50, 7), accounts_csv(50, 7));
        assert_ne!(accounts_csv(50, 7), accounts_csv(50, 8));
    }

    #[test]
    fn every_demo_row_passes_the_real_importer_with_unique_ids_and_names() {
        let csv = accounts_csv(DEFAULT_COUNT, DEFAULT_SEED);
        let rows = read_accounts(csv.as_bytes()).unwrap();
        let mut names = std::collections::HashSet::new();
        let mut count = 0;
        for row in rows {
            let row = row.unwrap_or_else(|errors| panic!("{errors:?}"));
            assert!(
                names.insert(row.account.name.clone()),
                "{}",
                row.account.name
            );
            count += 1;
        }
        assert_eq!(count, DEFAULT_COUNT + 12);
    }

    #[test]
    fn demo_revenue_is_heavy_tailed_around_a_median_of_300k_yuan() {
        let csv = accounts_csv(DEFAULT_COUNT, DEFAULT_SEED);
        let mut revenue: Vec<i64> = read_accounts(csv.as_bytes())
            .unwrap()
            .filter_map(Result::ok)
            .filter_map(|r| {
                r.account
                    .indicators
                    .revenue
                    .map(|m| m.units() / crate::domain::account::Money::PER_YUAN)
            })
            .collect();
        revenue.sort_unstable();
        let median = revenue[revenue.len() / 2];
        assert!((200_000..450_000).contains(&median), "median {median}");
        let total: i64 = revenue.iter().sum();
        let top20: i64 = revenue.iter().rev().take(revenue.len() / 5).sum();
        assert!(
            top20 * 100 / total >= 70,
            "top 20% hold {}%",
            top20 * 100 / total
        );
        let losses = read_accounts(csv.as_bytes())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|r| r.account.indicators.profit.is_some_and(|p| p.units() < 0))
            .count();
        assert!(losses > 50, "{losses} loss-making accounts");
    }

    #[test]
    fn showcase_accounts_land_in_their_intended_tiers_under_the_default_model() {
        let csv = accounts_csv(DEFAULT_COUNT, DEFAULT_SEED);
        let accounts: Vec<_> = read_accounts(csv.as_bytes())
            .unwrap()
            .filter_map(Result::ok)
            .map(|r| r.account)
            .collect();
        let tiers = crate::domain::tiering::compute_tiers(
            &TierModel::default(),
            &accounts,
            &HashMap::new(),
        )
        .unwrap();
        let tier_of = |id: &str| {
            tiers
                .iter()
                .find(|t| t.account_id == id)
                .map(|t| (t.tier.clone(), t.rank))
                .unwrap()
        };
        let expected = [
            ("DEMO-001", "strategic"),
            ("DEMO-002", "strategic"),
            ("DEMO-003", "major"),
            ("DEMO-004", "major"),
            ("DEMO-005", "major"),
            ("DEMO-006", "ordinary"),
            ("DEMO-007", "ordinary"),
            ("DEMO-008", "ordinary"),
            ("DEMO-009", "small"),
            ("DEMO-010", "small"),
            ("DEMO-011", "small"),
            ("DEMO-012", "small"),
        ];
        for (id, tier) in expected {
            let (found, rank) = tier_of(id);
            assert_eq!(found, tier, "{id} is {found} at rank {rank}");
        }
    }
}
