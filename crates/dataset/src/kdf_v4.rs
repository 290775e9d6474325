//! Seed protocol 4.0 key derivation: keyed BLAKE2b of the per-MLP input seed under
//! a per-dataset secret salt, domain-separated for the estimator seed and the name seed.

use std::fmt;

use blake2::digest::consts::U8;
use blake2::digest::{FixedOutput, Update};
use blake2::Blake2bMac;
use sha2::{Digest, Sha256};

/// BLAKE2b personalisation of the estimator seed (`mlp.seed`).
pub const PERSON_ESTIMATOR: &[u8] = b"whest-4.0-est";
/// BLAKE2b personalisation of the name seed.
pub const PERSON_NAME: &[u8] = b"whest-4.0-name";
/// Environment variable that carries the hex salt when `salt_source` is `"env"`.
pub const SEED_SALT_ENV_VAR: &str = "WHEST_SEED_SALT";
/// Longest key BLAKE2b accepts, in bytes.
pub const MAX_SALT_BYTES: usize = 64;

/// Why a protocol-4.0 seed could not be derived: BLAKE2b refused the key or personalisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyDerivationError {
    /// The salt is empty or longer than [`MAX_SALT_BYTES`]; holds its length in bytes.
    SaltLength(usize),
    /// The personalisation is longer than 16 bytes; holds it.
    PersonalisationTooLong(Vec<u8>),
}

impl fmt::Display for KeyDerivationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyDerivationError::SaltLength(len) => write!(
                f,
                "seed_protocol 4.0 salt must be 1 to {MAX_SALT_BYTES} bytes; got {len}"
            ),
            KeyDerivationError::PersonalisationTooLong(person) => write!(
                f,
                "BLAKE2b personalisation {:?} is longer than 16 bytes",
                person.as_slice()
            ),
        }
    }
}

impl std::error::Error for KeyDerivationError {}

/// Why a hex string (a salt) could not be decoded; `origin` names where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HexError {
    /// An odd number of hex digits.
    OddLength {
        /// Where the string came from (`seed_protocol.salt`, an environment variable, …).
        origin: String,
    },
    /// A non-hex character in the pair starting at `position`.
    BadDigits {
        /// Where the string came from.
        origin: String,
        /// Byte offset of the bad pair in the trimmed string.
        position: usize,
    },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::OddLength { origin } => {
                write!(f, "{origin} is not valid hex: odd number of digits")
            }
            HexError::BadDigits { origin, position } => {
                write!(
                    f,
                    "{origin} is not valid hex: bad digits at position {position}"
                )
            }
        }
    }
}

impl std::error::Error for HexError {}

/// `sha256(salt)` as lowercase hex: the `salt_digest` recorded in metadata.
pub fn salt_digest(salt: &[u8]) -> String {
    to_hex(&Sha256::digest(salt))
}

/// `BLAKE2b(data = input_seed as 8 big-endian bytes, key = salt, digest_size = 8,
/// person = person zero-padded to 16 bytes)`, read big-endian.
///
/// # Errors
/// [`KeyDerivationError::SaltLength`] when `salt` is empty or longer than [`MAX_SALT_BYTES`]
/// (BLAKE2b refuses such a key), [`KeyDerivationError::PersonalisationTooLong`] when `person`
/// is longer than 16 bytes.
pub fn keyed_digest(
    input_seed: u64,
    salt: &[u8],
    person: &[u8],
) -> Result<u64, KeyDerivationError> {
    if salt.is_empty() || salt.len() > MAX_SALT_BYTES {
        return Err(KeyDerivationError::SaltLength(salt.len()));
    }
    let mut mac = Blake2bMac::<U8>::new_with_salt_and_personal(Some(salt), &[], person)
        .map_err(|_| KeyDerivationError::PersonalisationTooLong(person.to_vec()))?;
    mac.update(&input_seed.to_be_bytes());
    let out = mac.finalize_fixed();
    let mut word = [0u8; 8];
    word.copy_from_slice(&out);
    Ok(u64::from_be_bytes(word))
}

/// The protocol-4.0 `mlp.seed`: `keyed_digest(s, salt, "whest-4.0-est") & 0xFFFF_FFFF`.
///
/// # Errors
/// As [`keyed_digest`].
pub fn estimator_seed_v4(input_seed: u64, salt: &[u8]) -> Result<u64, KeyDerivationError> {
    Ok(keyed_digest(input_seed, salt, PERSON_ESTIMATOR)? & 0xFFFF_FFFF)
}

/// The protocol-4.0 name seed: `keyed_digest(s, salt, "whest-4.0-name") & (2^63 − 1)`.
///
/// # Errors
/// As [`keyed_digest`].
pub fn name_seed_v4(input_seed: u64, salt: &[u8]) -> Result<u64, KeyDerivationError> {
    Ok(keyed_digest(input_seed, salt, PERSON_NAME)? & (u64::MAX >> 1))
}

/// Bytes from a hex string (either case, no separators), as Python's `bytes.fromhex` for the
/// strings a salt field holds.
///
/// # Errors
/// A [`HexError`] naming `origin` when `hex` has an odd length or a non-hex character.
pub fn decode_hex(hex: &str, origin: &str) -> Result<Vec<u8>, HexError> {
    let hex = hex.trim();
    if !hex.len().is_multiple_of(2) {
        return Err(HexError::OddLength {
            origin: origin.to_string(),
        });
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| HexError::BadDigits {
                    origin: origin.to_string(),
                    position: i,
                })
        })
        .collect()
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use whest_contest::names::name_for_seed;

    /// The protocol's published test vector: salt = bytes 0..31, input seed 1001.
    #[test]
    fn protocol_4_test_vector() {
        let salt: Vec<u8> = (0u8..32).collect();
        assert_eq!(
            salt_digest(&salt),
            "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
        );
        assert_eq!(estimator_seed_v4(1001, &salt), Ok(2_910_499_503));
        let name_seed = name_seed_v4(1001, &salt).expect("valid salt");
        assert_eq!(name_seed, 8_636_681_765_737_103_000);
        assert_eq!(name_for_seed(name_seed), "holly-clements");
    }

    #[test]
    fn bad_salts_are_errors() {
        assert_eq!(
            keyed_digest(1, &[], PERSON_NAME),
            Err(KeyDerivationError::SaltLength(0))
        );
        let err = keyed_digest(1, &[0; 65], PERSON_NAME).expect_err("too long");
        assert_eq!(
            err.to_string(),
            "seed_protocol 4.0 salt must be 1 to 64 bytes; got 65"
        );
        assert!(keyed_digest(1, &[0; 64], PERSON_NAME).is_ok());
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        assert_eq!(decode_hex("00ff10", "x"), Ok(vec![0, 255, 16]));
        assert_eq!(decode_hex("ABcd", "x"), Ok(vec![0xab, 0xcd]));
        assert_eq!(to_hex(&[0, 255, 16]), "00ff10");
        assert_eq!(
            decode_hex("abc", "salt").map_err(|e| e.to_string()),
            Err("salt is not valid hex: odd number of digits".to_string())
        );
        assert_eq!(
            decode_hex("00zz", "salt").map_err(|e| e.to_string()),
            Err("salt is not valid hex: bad digits at position 2".to_string())
        );
    }
}
