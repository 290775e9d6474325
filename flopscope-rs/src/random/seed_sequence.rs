//! numpy's `SeedSequence` (pool size 4), reproduced word for word.
//!
//! The entropy pool is built from 32-bit words with numpy's `hashmix`/`mix`
//! functions; `generate_state` runs a second hash over the pool. Spawned
//! children share the parent's entropy and extend its spawn key by their index.

use std::io::Read;

/// Number of 32-bit words in the entropy pool (numpy's `DEFAULT_POOL_SIZE`).
const POOL_SIZE: usize = 4;
const INIT_A: u32 = 0x43b0_d7e5;
const MULT_A: u32 = 0x931e_8875;
const INIT_B: u32 = 0x8b51_f9dd;
const MULT_B: u32 = 0x58f3_8ded;
const MIX_MULT_L: u32 = 0xca01_f9dd;
const MIX_MULT_R: u32 = 0x4973_f715;
const XSHIFT: u32 = 16;

/// A reproducible seed deriver, bit-identical to `numpy.random.SeedSequence`
/// with the default pool size of 4 words.
///
/// ```
/// use flopscope::random::SeedSequence;
/// let mut root = SeedSequence::new(1001);
/// let kids = root.spawn(3);
/// assert_eq!(kids[2].generate_state_u32(1)[0], 3622263192);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedSequence {
    entropy: Vec<u32>,
    spawn_key: Vec<u32>,
    n_children_spawned: u64,
    pool: [u32; POOL_SIZE],
}

/// Python-int → little-endian 32-bit words, as numpy's `_int_to_uint32_array`
/// (zero gives a single `0` word).
fn u128_to_words(mut value: u128) -> Vec<u32> {
    if value == 0 {
        return vec![0];
    }
    let mut words = Vec::new();
    while value > 0 {
        words.push(value as u32);
        value >>= 32;
    }
    words
}

/// numpy's `hashmix`: `hash_const` evolves across calls.
fn hashmix(value: u32, hash_const: &mut u32) -> u32 {
    let mut v = value ^ *hash_const;
    *hash_const = hash_const.wrapping_mul(MULT_A);
    v = v.wrapping_mul(*hash_const);
    v ^ (v >> XSHIFT)
}

/// numpy's `mix`.
fn mix(x: u32, y: u32) -> u32 {
    let r = MIX_MULT_L
        .wrapping_mul(x)
        .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
    r ^ (r >> XSHIFT)
}

/// Build the pool from the assembled entropy (numpy's `mix_entropy`).
fn build_pool(assembled: &[u32]) -> [u32; POOL_SIZE] {
    let mut hash_const = INIT_A;
    let mut pool = [0u32; POOL_SIZE];
    for (i, slot) in pool.iter_mut().enumerate() {
        let word = assembled.get(i).copied().unwrap_or(0);
        *slot = hashmix(word, &mut hash_const);
    }
    for src in 0..POOL_SIZE {
        for dst in 0..POOL_SIZE {
            if src != dst {
                let h = hashmix(pool[src], &mut hash_const);
                pool[dst] = mix(pool[dst], h);
            }
        }
    }
    for &word in assembled.iter().skip(POOL_SIZE) {
        for slot in pool.iter_mut() {
            let h = hashmix(word, &mut hash_const);
            *slot = mix(*slot, h);
        }
    }
    pool
}

impl SeedSequence {
    /// `SeedSequence(entropy)` for a non-negative integer seed: the integer is
    /// split into little-endian 32-bit words (`0` → `[0]`) with no spawn key.
    pub fn new(entropy: u128) -> Self {
        Self::from_words(u128_to_words(entropy), Vec::new())
    }

    /// A sequence from raw entropy words and spawn-key words, as numpy does for
    /// `SeedSequence(entropy=[...], spawn_key=(...))` when every element fits
    /// in 32 bits. An empty `entropy` behaves like numpy's empty array: the
    /// pool is padded with zeros.
    ///
    /// A spawn-key element `k ≥ 2^32` is numpy-equivalent to its little-endian
    /// words appended in order (numpy flattens the key into words before
    /// hashing).
    pub fn from_words(entropy: Vec<u32>, spawn_key: Vec<u32>) -> Self {
        let mut assembled = entropy.clone();
        if !spawn_key.is_empty() && assembled.len() < POOL_SIZE {
            assembled.resize(POOL_SIZE, 0);
        }
        assembled.extend_from_slice(&spawn_key);
        let pool = build_pool(&assembled);
        SeedSequence {
            entropy,
            spawn_key,
            n_children_spawned: 0,
            pool,
        }
    }

    /// `SeedSequence()` with fresh entropy: 128 bits read from `/dev/urandom`
    /// (numpy uses `secrets.randbits(128)`). Falls back to hashing the clock,
    /// process id and an address when `/dev/urandom` is unavailable.
    pub fn from_os_entropy() -> Self {
        Self::new(os_entropy_u128())
    }

    /// The run-entropy words (numpy's `entropy` as 32-bit words).
    pub fn entropy_words(&self) -> &[u32] {
        &self.entropy
    }

    /// The spawn key, one word per generation for indices below 2^32.
    pub fn spawn_key(&self) -> &[u32] {
        &self.spawn_key
    }

    /// How many children [`spawn`](Self::spawn) has produced so far.
    pub fn n_children_spawned(&self) -> u64 {
        self.n_children_spawned
    }

    /// numpy's `spawn(n)`: `n` children with the same entropy and spawn key
    /// `self.spawn_key + (i,)`, `i` counting on from the children already
    /// spawned.
    pub fn spawn(&mut self, n: usize) -> Vec<SeedSequence> {
        let start = self.n_children_spawned;
        let children = (0..n as u64)
            .map(|k| {
                let index = start + k;
                let mut key = self.spawn_key.clone();
                // numpy coerces each key element to little-endian 32-bit words.
                key.extend(u128_to_words(u128::from(index)));
                SeedSequence::from_words(self.entropy.clone(), key)
            })
            .collect();
        self.n_children_spawned = start + n as u64;
        children
    }

    /// numpy's `generate_state(n, dtype=np.uint32)`.
    pub fn generate_state_u32(&self, n: usize) -> Vec<u32> {
        let mut hash_const = INIT_B;
        (0..n)
            .map(|k| {
                let mut v = self.pool[k % POOL_SIZE] ^ hash_const;
                hash_const = hash_const.wrapping_mul(MULT_B);
                v = v.wrapping_mul(hash_const);
                v ^ (v >> XSHIFT)
            })
            .collect()
    }

    /// numpy's `generate_state(n, dtype=np.uint64)`: `2n` 32-bit words paired
    /// little-endian (low word first).
    pub fn generate_state_u64(&self, n: usize) -> Vec<u64> {
        self.generate_state_u32(2 * n)
            .chunks_exact(2)
            .map(|pair| u64::from(pair[0]) | (u64::from(pair[1]) << 32))
            .collect()
    }
}

/// 128 bits of OS entropy (`/dev/urandom`), with a best-effort fallback.
fn os_entropy_u128() -> u128 {
    let mut bytes = [0u8; 16];
    let read_ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if read_ok {
        return u128::from_le_bytes(bytes);
    }
    fallback_entropy()
}

/// Clock, pid and stack-address entropy, mixed through a SeedSequence pool.
fn fallback_entropy() -> u128 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let marker = 0u8;
    let addr = &marker as *const u8 as usize as u128;
    let pid = u128::from(std::process::id());
    let mut words = u128_to_words(nanos);
    words.extend(u128_to_words(addr));
    words.extend(u128_to_words(pid));
    let state = SeedSequence::from_words(words, Vec::new()).generate_state_u32(4);
    state
        .iter()
        .rev()
        .fold(0u128, |acc, &w| (acc << 32) | u128::from(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_to_words() {
        assert_eq!(u128_to_words(0), vec![0]);
        assert_eq!(u128_to_words(1001), vec![1001]);
        assert_eq!(u128_to_words(1 << 32), vec![0, 1]);
        assert_eq!(
            u128_to_words(0x0123_4567_89ab_cdef_0011_2233),
            vec![0x0011_2233, 0x89ab_cdef, 0x0123_4567]
        );
    }

    #[test]
    fn spec_child0_generate_state_u64() {
        let kids = SeedSequence::new(1001).spawn(3);
        assert_eq!(
            kids[0].generate_state_u64(4),
            vec![
                0x30bb_ddef_71ca_29f7,
                0xab1c_41eb_c760_db21,
                0x13db_20df_74a1_95dc,
                0xa324_2bb3_3a3f_af9e
            ]
        );
        assert_eq!(kids[0].spawn_key(), &[0]);
        assert_eq!(kids[2].spawn_key(), &[2]);
        assert_eq!(kids[1].entropy_words(), &[1001]);
    }

    #[test]
    fn spec_estimator_seeds_protocol_3() {
        for (seed, want) in [
            (1001u128, 3_622_263_192u32),
            (2002, 3_259_458_125),
            (3003, 4_076_086_378),
            (4004, 755_867),
        ] {
            let kids = SeedSequence::new(seed).spawn(3);
            assert_eq!(kids[2].generate_state_u32(1)[0], want, "seed {seed}");
        }
    }

    #[test]
    fn spec_live_path_flat_spawn() {
        // S = 7, two MLPs: kids = spawn(3 * 2); mlp.seed_i = kids[3i+2].generate_state(1)[0].
        let kids = SeedSequence::new(7).spawn(6);
        assert_eq!(kids[2].generate_state_u32(1)[0], 3_831_650_445);
        assert_eq!(kids[5].generate_state_u32(1)[0], 1_370_054_118);
    }

    #[test]
    fn spawn_counts_on_from_previous_children() {
        let mut a = SeedSequence::new(7);
        let first = a.spawn(2);
        let second = a.spawn(4);
        assert_eq!(a.n_children_spawned(), 6);
        let all = SeedSequence::new(7).spawn(6);
        assert_eq!(first[..], all[..2]);
        assert_eq!(second[..], all[2..]);
        assert_eq!(second[0].spawn_key(), &[2]);
    }

    /// Values probed from numpy 2.4.6.
    #[test]
    fn numpy_probe_root_states() {
        // SeedSequence(0).generate_state(4)
        assert_eq!(
            SeedSequence::new(0).generate_state_u32(4),
            vec![0xb0f4_78be, 0xdb2c_d7e7, 0x2c71_ba49, 0xabf4_641a]
        );
        // SeedSequence(2**64 + 5).generate_state(6) (three entropy words)
        assert_eq!(
            SeedSequence::new((1u128 << 64) + 5).generate_state_u32(6),
            vec![
                0xd67e_b732,
                0x3bc5_6ee7,
                0x3182_cbed,
                0x784f_8ac1,
                0xeb24_eb98,
                0x377e_d8ac
            ]
        );
        // SeedSequence(2**127 + 12345): four entropy words.
        assert_eq!(
            SeedSequence::new((1u128 << 127) + 12345).generate_state_u32(5),
            vec![
                0x8254_3d65,
                0x6592_1bfc,
                0x55b1_8a54,
                0x8181_7817,
                0x277a_cfeb
            ]
        );
    }

    /// Grandchildren and long spawn keys, probed from numpy 2.4.6.
    #[test]
    fn numpy_probe_grandchildren_and_long_keys() {
        let mut kids = SeedSequence::new(42).spawn(2);
        let grand = kids[1].spawn(3);
        assert_eq!(grand[2].spawn_key(), &[1, 2]);
        assert_eq!(
            grand[2].generate_state_u32(3),
            vec![0xeed8_3866, 0xe0da_c085, 0xbc79_1727]
        );
        // SeedSequence([1, 2, 3, 4, 5, 6], spawn_key=(9, 2**32 + 3))
        let ss = SeedSequence::from_words(vec![1, 2, 3, 4, 5, 6], vec![9, 3, 1]);
        assert_eq!(
            ss.generate_state_u64(2),
            vec![0x5962_1a73_8daf_942f, 0x0d5e_8684_bc94_3d76]
        );
        // Empty entropy array with no spawn key pads with zeros like [0].
        let empty = SeedSequence::from_words(Vec::new(), Vec::new());
        assert_eq!(
            empty.generate_state_u32(4),
            SeedSequence::new(0).generate_state_u32(4)
        );
    }

    #[test]
    fn os_entropy_differs() {
        let a = SeedSequence::from_os_entropy();
        let b = SeedSequence::from_os_entropy();
        assert_ne!(a.entropy_words(), b.entropy_words());
    }
}
