//! Deterministic, seed-driven human-readable MLP names.
//!
//! A bit-exact port of `whestbench.naming` (0.16.2) at its pinned faker 37.12.0:
//! `generate_mlp_name(seed)` builds a fresh `Faker()` (locale `en_US`), calls
//! `seed_instance(int(seed))` — i.e. a per-call `random.Random(seed)` — and takes
//! `first_name()` then `last_name()`. Each is `random.choices(names, weights)` over faker's
//! weighted tables, so exactly one `random()` is drawn per part:
//!
//! 1. seed CPython's MT19937 with `init_by_array` of the 32-bit little-endian words of the seed
//!    (`[0]` for 0) — see [`mt19937::Mt19937::from_python_int_seed`];
//! 2. `u1 = random()`, `u2 = random()`;
//! 3. for each table, cumulative `f64` sums of the weights in table order, then index
//!    `bisect_right(cum, u * total)` clamped to `len - 1` (`random.choices` passes `hi=n-1`);
//! 4. slug each part (see [`slugify`]) and join with `-`.
//!
//! Seeds are `mlp.seed` (protocols 2.0/3.0 and the live path, uint32) or the protocol-4.0 name
//! seed (int63); any `u64` is accepted and handled as the equal Python `int`.

pub mod mt19937;
mod tables;

use std::collections::HashMap;
use std::sync::OnceLock;

use mt19937::Mt19937;
use tables::{FIRST_NAMES, LAST_NAMES};

/// Cumulative weights of a table, accumulated left to right in `f64` like `itertools.accumulate`.
fn cumulative(table: &[(&str, f64)]) -> Vec<f64> {
    let mut acc = 0.0f64;
    table
        .iter()
        .map(|&(_, w)| {
            acc += w;
            acc
        })
        .collect()
}

/// Cached cumulative weights of [`FIRST_NAMES`].
fn first_cum() -> &'static [f64] {
    static CUM: OnceLock<Vec<f64>> = OnceLock::new();
    CUM.get_or_init(|| cumulative(&FIRST_NAMES))
}

/// Cached cumulative weights of [`LAST_NAMES`].
fn last_cum() -> &'static [f64] {
    static CUM: OnceLock<Vec<f64>> = OnceLock::new();
    CUM.get_or_init(|| cumulative(&LAST_NAMES))
}

/// `random.choices(population, cum_weights=cum)[0]` index for the uniform draw `u`:
/// `bisect_right(cum, u * total, 0, len - 1)` with `total = cum[-1] + 0.0`.
fn weighted_index(cum: &[f64], u: f64) -> usize {
    let Some(&total) = cum.last() else {
        return 0;
    };
    let x = u * (total + 0.0);
    let hi = cum.len() - 1;
    // Weights are positive, so `cum` is sorted; the partition point over `cum[..hi]` is
    // exactly `bisect_right(cum, x, 0, hi)`.
    cum[..hi].partition_point(|&c| c <= x)
}

/// Whitespace as Python's `re` `\s` sees it for `str` patterns (Unicode whitespace plus the
/// ASCII information separators U+001C..U+001F, which `str.isspace()` also accepts).
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// WhestBench's `_slugify`: lowercase, delete every character that is not `[a-z]`, whitespace or
/// `-`, collapse each run of whitespace/hyphens to a single `-`, and strip leading/trailing `-`.
///
/// For example `"O'Neil"` → `"oneil"`, `"De La Cruz"` → `"de-la-cruz"`.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_sep = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() {
            // A separator run is emitted only between letters, which also strips both ends.
            if pending_sep && !out.is_empty() {
                out.push('-');
            }
            pending_sep = false;
            out.push(c);
        } else if c == '-' || is_py_space(c) {
            pending_sep = true;
        }
        // Anything else is dropped without breaking a separator run, as in the reference
        // (deletion happens before collapsing).
    }
    out
}

/// The deterministic name of one seed, e.g. `0` → `"megan-chang"`, `42` → `"danielle-johnson"`.
///
/// Bit-exact with `whestbench.naming.generate_mlp_name(seed)` at faker 37.12.0.
pub fn name_for_seed(seed: u64) -> String {
    let mut rng = Mt19937::from_python_int_seed(seed);
    let u1 = rng.random();
    let u2 = rng.random();
    let first = FIRST_NAMES[weighted_index(first_cum(), u1)].0;
    let last = LAST_NAMES[weighted_index(last_cum(), u2)].0;
    format!("{}-{}", slugify(first), slugify(last))
}

/// Names for a list of seeds, resolving collisions in order like `assign_unique_names`.
///
/// The first occurrence of a generated name keeps it bare; the k-th occurrence (k ≥ 2) of the
/// same generated name gets the suffix `-k` (`x`, `x-2`, `x-3`, …). As in the reference, only
/// generated base names are counted — a suffixed name is not checked against other base names.
pub fn assign_unique_names(seeds: &[u64]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    seeds
        .iter()
        .map(|&seed| {
            let base = name_for_seed(seed);
            let count = seen.entry(base.clone()).or_insert(0);
            *count += 1;
            if *count == 1 {
                base
            } else {
                format!("{base}-{count}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// whestbench naming test vectors (plus the 4.0 name-seed vector).
    const SPEC_VECTORS: [(u64, &str); 9] = [
        (0, "megan-chang"),
        (42, "danielle-johnson"),
        (3_622_263_192, "emily-hart"),
        (3_259_458_125, "elizabeth-rice"),
        (4_076_086_378, "mary-rivera"),
        (755_867, "ann-andrews"),
        (3_831_650_445, "jason-rivers"),
        (1_370_054_118, "benjamin-jones"),
        (8_636_681_765_737_103_000, "holly-clements"),
    ];

    /// Probed from `whestbench.naming.generate_mlp_name` (whestbench 0.16.2, faker 37.12.0,
    /// CPython 3.11). Includes word-boundary seeds (2^31, 2^32 ± 1, 2^63 − 1, 2^64 − 1), seeds
    /// hitting the first/last index of each table (15: last index 0; 139: first index 0;
    /// 1847: last index 999; 9730: first index 689), a name whose weight comes from the female
    /// table while keeping its male position (75: Shannon), and random 63-bit seeds.
    const PROBED_VECTORS: [(u64, &str); 32] = [
        (1, "dennis-boone"),
        (2, "stephanie-gould"),
        (3, "john-stephens"),
        (7, "mario-hernandez"),
        (100, "dustin-gibson"),
        (1000, "kimberly-santiago"),
        (65535, "benjamin-richard"),
        (2_147_483_647, "louis-roth"),
        (2_147_483_648, "matthew-wagner"),
        (4_294_967_295, "cynthia-harris"),
        (4_294_967_296, "daniel-butler"),
        (4_294_967_297, "jerry-hunt"),
        (1_099_511_627_776, "dale-lambert"),
        (9_007_199_254_740_993, "michael-rogers"),
        (4_611_686_018_427_387_904, "jason-mann"),
        (9_223_372_036_854_775_807, "levi-welch"),
        (18_446_744_073_709_551_615, "andrew-morgan"),
        (15, "tammy-smith"),
        (75, "shannon-kim"),
        (139, "aaron-neal"),
        (1847, "brandon-cooke"),
        (9730, "zoe-miranda"),
        (1_675_942_381_751_885_190, "mark-harper"),
        (5_334_363_257_504_237_404, "jason-sanford"),
        (1_846_535_093_305_386_535, "lauren-burke"),
        (6_673_246_749_242_817_190, "suzanne-cowan"),
        (6_984_094_975_176_446_167, "joanne-hudson"),
        (6_997_088_682_787_474_019, "derek-bright"),
        (4_917_721_887_018_420_292, "randy-abbott"),
        (5_867_428_164_980_129_238, "erica-johnston"),
        (6_781_413_524_586_715_513, "kenneth-spencer"),
        (3_266_663_457_877_962_215, "deanna-peterson"),
    ];

    #[test]
    fn names_spec_vectors() {
        for (seed, want) in SPEC_VECTORS {
            assert_eq!(name_for_seed(seed), want, "seed {seed}");
        }
    }

    #[test]
    fn names_probed_vectors() {
        for (seed, want) in PROBED_VECTORS {
            assert_eq!(name_for_seed(seed), want, "seed {seed}");
        }
    }

    #[test]
    fn names_table_sizes_and_totals() {
        assert_eq!(FIRST_NAMES.len(), 690);
        assert_eq!(LAST_NAMES.len(), 1000);
        // `list(itertools.accumulate(weights))[-1]` in Python, as raw bits:
        // first 1.9859461509999992, last 1.000000008999998.
        assert_eq!(
            first_cum().last().map(|t| t.to_bits()),
            Some(0x3fff_c66f_78a2_97db)
        );
        assert_eq!(
            last_cum().last().map(|t| t.to_bits()),
            Some(0x3ff0_0000_026a_79a4)
        );
        // Table order: male file order first, the female-only names appended.
        assert_eq!(FIRST_NAMES[0].0, "Aaron");
        assert_eq!(FIRST_NAMES[689].0, "Zoe");
        assert_eq!(LAST_NAMES[0].0, "Smith");
        assert_eq!(LAST_NAMES[999].0, "Cooke");
        // All table names are plain ASCII letters, so each slug is the lowercased name.
        for (name, w) in FIRST_NAMES.iter().chain(LAST_NAMES.iter()) {
            assert!(name.chars().all(|c| c.is_ascii_alphabetic()), "{name}");
            assert!(*w > 0.0, "{name}");
        }
    }

    #[test]
    fn names_shared_first_names_take_female_weight() {
        // `Shannon` is in both faker lists (male weight 0.000421583, female 0.005952552); it
        // keeps its male position (281) and takes the female weight.
        let pos = FIRST_NAMES.iter().position(|(n, _)| *n == "Shannon");
        assert_eq!(pos, Some(281));
        let w = FIRST_NAMES
            .iter()
            .find(|(n, _)| *n == "Shannon")
            .map(|e| e.1);
        assert_eq!(w, Some(0.005952552));
    }

    #[test]
    fn names_slugify_matches_reference_rule() {
        // Expected values from `whestbench.naming._slugify`.
        let cases = [
            ("O'Neil", "oneil"),
            ("Mary  Ann", "mary-ann"),
            ("--Jean-- Luc--", "jean-luc"),
            ("Zoë", "zo"),
            ("Anne\tMarie", "anne-marie"),
            ("", ""),
            ("De La Cruz", "de-la-cruz"),
            ("St. John", "st-john"),
            ("A_B", "ab"),
            ("x\u{1c}y", "x-y"),
            ("\u{212a}elvin", "kelvin"),
            ("Smith-Jones", "smith-jones"),
        ];
        for (text, want) in cases {
            assert_eq!(slugify(text), want, "{text:?}");
        }
    }

    #[test]
    fn names_assign_unique_repeats() {
        assert_eq!(
            assign_unique_names(&[0, 0, 0]),
            ["megan-chang", "megan-chang-2", "megan-chang-3"]
        );
        // Distinct seeds 221 and 377 both generate `john-davis`.
        assert_eq!(
            assign_unique_names(&[0, 42, 0, 221, 377, 0, 377]),
            [
                "megan-chang",
                "danielle-johnson",
                "megan-chang-2",
                "john-davis",
                "john-davis-2",
                "megan-chang-3",
                "john-davis-3",
            ]
        );
        assert!(assign_unique_names(&[]).is_empty());
    }

    #[test]
    fn names_weighted_index_clamps() {
        let cum = [1.0, 2.0, 3.0];
        assert_eq!(weighted_index(&cum, 0.0), 0);
        assert_eq!(weighted_index(&cum, 1.0 / 3.0), 1); // x == cum[0] → bisect_right goes past it
        assert_eq!(weighted_index(&cum, 0.999_999), 2);
        assert_eq!(weighted_index(&cum, 1.0), 2); // clamped to len - 1
        assert_eq!(weighted_index(&[], 0.5), 0);
    }
}
