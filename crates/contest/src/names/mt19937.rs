//! CPython's Mersenne Twister (`_randommodule.c`), bit-exact.
//!
//! Reproduces what `random.Random(seed)` does for a non-negative Python `int` seed:
//! `init_by_array` keyed with the 32-bit little-endian words of the seed (`[0]` for zero),
//! then `getrandbits(32)` / `random()` exactly as CPython computes them.

/// State size of MT19937.
const N: usize = 624;
/// Shift offset of MT19937.
const M: usize = 397;
/// Constant vector `a`.
const MATRIX_A: u32 = 0x9908_b0df;
/// Most significant `w - r` bits.
const UPPER_MASK: u32 = 0x8000_0000;
/// Least significant `r` bits.
const LOWER_MASK: u32 = 0x7fff_ffff;

/// A Mersenne Twister generator seeded and consumed exactly like CPython's `random.Random`.
#[derive(Clone, Debug)]
pub struct Mt19937 {
    /// The 624-word state vector.
    mt: [u32; N],
    /// Index of the next word to temper; `N` means "regenerate first".
    index: usize,
}

impl Mt19937 {
    /// Classic `init_genrand(s)` (only used as the first step of [`Mt19937::from_key`]).
    fn init_genrand(s: u32) -> Self {
        let mut mt = [0u32; N];
        mt[0] = s;
        for i in 1..N {
            let prev = mt[i - 1];
            // `i < 624`, so the cast is lossless.
            mt[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Self { mt, index: N }
    }

    /// CPython's `init_by_array(key)`. An empty key behaves like CPython's `[0]` key.
    pub fn from_key(key: &[u32]) -> Self {
        let zero = [0u32];
        let key: &[u32] = if key.is_empty() { &zero } else { key };
        let mut g = Self::init_genrand(19_650_218);
        let mt = &mut g.mt;
        let mut i = 1usize;
        let mut j = 0usize;
        for _ in 0..N.max(key.len()) {
            let prev = mt[i - 1];
            // CPython adds `(uint32_t)j`; truncation is the reference behaviour.
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1];
            // `i < 624`, so the cast is lossless.
            mt[i] =
                (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        g
    }

    /// `random.Random(seed)` for a non-negative Python `int` seed: `init_by_array` keyed with
    /// the little-endian 32-bit words of `seed` (`[0]` for 0; one word below 2^32, two above).
    pub fn from_python_int_seed(seed: u64) -> Self {
        // Truncating casts split the u64 into its low and high 32-bit words.
        let lo = seed as u32;
        let hi = (seed >> 32) as u32;
        if hi == 0 {
            Self::from_key(&[lo])
        } else {
            Self::from_key(&[lo, hi])
        }
    }

    /// Regenerates the whole state block (the "twist").
    fn twist(&mut self) {
        let mt = &mut self.mt;
        let mag = |y: u32| if y & 1 == 0 { 0 } else { MATRIX_A };
        for kk in 0..N - M {
            let y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
            mt[kk] = mt[kk + M] ^ (y >> 1) ^ mag(y);
        }
        for kk in N - M..N - 1 {
            let y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
            mt[kk] = mt[kk + M - N] ^ (y >> 1) ^ mag(y);
        }
        let y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
        mt[N - 1] = mt[M - 1] ^ (y >> 1) ^ mag(y);
        self.index = 0;
    }

    /// Next tempered 32-bit output (`genrand_uint32`, i.e. Python's `getrandbits(32)`).
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// Python's `random()`: `((a >> 5) * 2^26 + (b >> 6)) * 2^-53` from two consecutive outputs,
    /// a float in `[0, 1)` with 53 random bits.
    pub fn random(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Mt19937;

    // Reference values from CPython 3.11: `random.Random(s).getrandbits(32)` / `.random()`.

    #[test]
    fn names_mt_raw_outputs_match_cpython() {
        let cases: [(u64, [u32; 3]); 4] = [
            (0, [3_626_764_237, 1_654_615_998, 3_255_389_356]),
            (5489, [3_382_763_572, 956_215_839, 417_760_592]),
            (4_294_967_303, [968_553_300, 3_287_823_873, 1_540_179_448]),
            (u64::MAX, [93_740_670, 1_068_495_656, 1_452_108_352]),
        ];
        for (seed, want) in cases {
            let mut g = Mt19937::from_python_int_seed(seed);
            let got = [g.next_u32(), g.next_u32(), g.next_u32()];
            assert_eq!(got, want, "seed {seed}");
        }
    }

    #[test]
    fn names_mt_random_matches_cpython() {
        let cases: [(u64, [f64; 2]); 4] = [
            (0, [0.8444218515250481, 0.7579544029403025]),
            (5489, [0.7876110167997803, 0.0972674640914375]),
            (4_294_967_303, [0.22550888929893187, 0.35860096918797]),
            (u64::MAX, [0.021825695401270107, 0.3380953268613758]),
        ];
        for (seed, want) in cases {
            let mut g = Mt19937::from_python_int_seed(seed);
            let got = [g.random(), g.random()];
            assert_eq!(got[0].to_bits(), want[0].to_bits(), "seed {seed}");
            assert_eq!(got[1].to_bits(), want[1].to_bits(), "seed {seed}");
        }
    }

    #[test]
    fn names_mt_past_first_twist_matches_cpython() {
        // `r = random.Random(42); [r.getrandbits(32) for _ in range(1000)]; r.getrandbits(32)`
        let mut g = Mt19937::from_python_int_seed(42);
        for _ in 0..1000 {
            g.next_u32();
        }
        assert_eq!(g.next_u32(), 2_672_573_305);
    }

    #[test]
    fn names_mt_empty_key_is_zero_key() {
        let mut a = Mt19937::from_key(&[]);
        let mut b = Mt19937::from_key(&[0]);
        for _ in 0..700 {
            assert_eq!(a.next_u32(), b.next_u32());
        }
    }
}
