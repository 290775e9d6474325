//! Seed protocols: how a dataset's `mlp_seed` column becomes the participant-facing
//! `mlp.seed` and the seed of the MLP's name.
//!
//! | version | name | `mlp_seed` column | `mlp.seed` |
//! |---|---|---|---|
//! | 2.0 | `whestbench_seedsequence_hierarchy` | the estimator seed | the column |
//! | 3.0 | `whestbench_explicit_per_mlp_seeds` | input seed | `SeedSequence(s).spawn(3)[2]` word |
//! | 4.0 | `whestbench_kdf_per_mlp_seeds` | input seed | keyed BLAKE2b ([`super::kdf_v4`]) |

use serde_json::{json, Map, Value};

use super::error::DatasetError;
use super::kdf_v4::{self, SEED_SALT_ENV_VAR};
use whest_contest::mlp_gen::estimator_seed_v3;

/// Name of protocol 2.0 (legacy, read-only).
pub const NAME_V2: &str = "whestbench_seedsequence_hierarchy";
/// Name of protocol 3.0 (every bake).
pub const NAME_V3: &str = "whestbench_explicit_per_mlp_seeds";
/// Name of protocol 4.0 (keyed; read-only here).
pub const NAME_V4: &str = "whestbench_kdf_per_mlp_seeds";

/// A resolved seed protocol, ready to derive seeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeedProtocol {
    /// 2.0: the column is the estimator seed.
    V2,
    /// 3.0: the column is the input seed; `mlp.seed` comes from its third SeedSequence child.
    V3,
    /// 4.0: the column is the input seed; both seeds are keyed digests under `salt`.
    V4 {
        /// The per-dataset secret.
        salt: Vec<u8>,
    },
}

/// The `(name, version)` pair of a `seed_protocol` metadata object, if it is a known one.
pub fn known_version(seed_protocol: &Value) -> Option<&'static str> {
    let name = seed_protocol.get("name").and_then(Value::as_str)?;
    let version = seed_protocol.get("version").and_then(Value::as_str)?;
    match (name, version) {
        (NAME_V2, "2.0") => Some("2.0"),
        (NAME_V3, "3.0") => Some("3.0"),
        (NAME_V4, "4.0") => Some("4.0"),
        _ => None,
    }
}

/// The `seed_protocol` block a 3.0 bake writes.
pub fn v3_metadata() -> Value {
    json!({"name": NAME_V3, "version": "3.0"})
}

impl SeedProtocol {
    /// Resolves a (validated) `seed_protocol` metadata object. For 4.0 the salt is read from
    /// the metadata (`salt_source = "metadata"`) or from `WHEST_SEED_SALT` (`"env"`), and
    /// checked against `salt_digest` when present. There is no fallback: a missing or wrong
    /// salt would derive plausible but wrong seeds and names.
    ///
    /// # Errors
    /// [`DatasetError::Invalid`] for an unknown protocol or any salt problem.
    pub fn resolve(seed_protocol: &Value) -> Result<SeedProtocol, DatasetError> {
        match known_version(seed_protocol) {
            Some("2.0") => Ok(SeedProtocol::V2),
            Some("3.0") => Ok(SeedProtocol::V3),
            Some(_) => resolve_salt(seed_protocol).map(|salt| SeedProtocol::V4 { salt }),
            None => Err(DatasetError::Invalid(format!(
                "unknown seed_protocol {seed_protocol}: expected {NAME_V2}@2.0, {NAME_V3}@3.0 \
                 or {NAME_V4}@4.0"
            ))),
        }
    }

    /// The protocol's version string (`"2.0"`, `"3.0"`, `"4.0"`).
    pub fn version(&self) -> &'static str {
        match self {
            SeedProtocol::V2 => "2.0",
            SeedProtocol::V3 => "3.0",
            SeedProtocol::V4 { .. } => "4.0",
        }
    }

    /// `mlp.seed` for a row whose `mlp_seed` column holds `column`.
    ///
    /// # Errors
    /// [`DatasetError::Invalid`] if the 4.0 salt is unusable.
    pub fn estimator_seed(&self, column: u64) -> Result<u64, DatasetError> {
        match self {
            SeedProtocol::V2 => Ok(column),
            SeedProtocol::V3 => Ok(u64::from(estimator_seed_v3(column))),
            SeedProtocol::V4 { salt } => Ok(kdf_v4::estimator_seed_v4(column, salt)?),
        }
    }

    /// The seed of the MLP's name: `mlp.seed` for 2.0/3.0, the 4.0 name digest for 4.0.
    ///
    /// # Errors
    /// [`DatasetError::Invalid`] if the 4.0 salt is unusable.
    pub fn name_seed(&self, column: u64) -> Result<u64, DatasetError> {
        match self {
            SeedProtocol::V4 { salt } => Ok(kdf_v4::name_seed_v4(column, salt)?),
            other => other.estimator_seed(column),
        }
    }
}

/// The 4.0 salt a `seed_protocol` block declares, verified against `salt_digest`.
fn resolve_salt(proto: &Value) -> Result<Vec<u8>, DatasetError> {
    let obj = proto.as_object().cloned().unwrap_or_else(Map::new);
    let source = obj
        .get("salt_source")
        .and_then(Value::as_str)
        .unwrap_or("metadata");
    let salt = match source {
        "metadata" => {
            let raw = obj.get("salt").and_then(Value::as_str).unwrap_or("");
            if raw.is_empty() {
                return Err(DatasetError::Invalid(
                    "seed_protocol 4.0 metadata is missing the 'salt' field \
                     (salt_source='metadata'); the dataset cannot be read without it"
                        .into(),
                ));
            }
            kdf_v4::decode_hex(raw, "seed_protocol.salt")?
        }
        "env" => {
            let raw = std::env::var(SEED_SALT_ENV_VAR).unwrap_or_default();
            if raw.is_empty() {
                return Err(DatasetError::Invalid(format!(
                    "seed_protocol 4.0 declares salt_source='env' but {SEED_SALT_ENV_VAR} is \
                     not set: export the dataset's salt as hex in {SEED_SALT_ENV_VAR}"
                )));
            }
            kdf_v4::decode_hex(&raw, SEED_SALT_ENV_VAR)?
        }
        other => {
            return Err(DatasetError::Invalid(format!(
                "unsupported seed_protocol salt_source {other:?}; expected 'metadata' or 'env'"
            )))
        }
    };
    if let Some(expected) = obj.get("salt_digest").and_then(Value::as_str) {
        let actual = kdf_v4::salt_digest(&salt);
        if !expected.is_empty() && actual != expected {
            return Err(DatasetError::Invalid(format!(
                "seed_protocol 4.0 salt does not match salt_digest (got {}..., expected {}...): \
                 this salt would derive different seeds and names than the dataset was baked \
                 with",
                &actual[..16],
                expected.chars().take(16).collect::<String>()
            )));
        }
    }
    if salt.is_empty() || salt.len() > kdf_v4::MAX_SALT_BYTES {
        return Err(DatasetError::Invalid(format!(
            "seed_protocol 4.0 salt must be 1 to {} bytes; got {}",
            kdf_v4::MAX_SALT_BYTES,
            salt.len()
        )));
    }
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_recognised_by_name_and_version() {
        assert_eq!(known_version(&v3_metadata()), Some("3.0"));
        assert_eq!(
            known_version(&json!({"name": NAME_V3, "version": "2.0"})),
            None
        );
        assert!(SeedProtocol::resolve(&json!({"name": "x", "version": "3.0"})).is_err());
    }

    #[test]
    fn protocol_3_and_2_seeds() {
        let v3 = SeedProtocol::resolve(&v3_metadata()).expect("3.0");
        assert_eq!(v3.estimator_seed(1001), Ok(3_622_263_192));
        assert_eq!(v3.name_seed(1001), Ok(3_622_263_192));
        let v2 = SeedProtocol::resolve(&json!({"name": NAME_V2, "version": "2.0"})).expect("2.0");
        assert_eq!(v2.estimator_seed(42), Ok(42));
    }

    #[test]
    fn protocol_4_salt_from_metadata_is_checked_against_its_digest() {
        let salt: Vec<u8> = (0u8..32).collect();
        let good = json!({"name": NAME_V4, "version": "4.0", "kdf": "blake2b-keyed",
            "salt_source": "metadata", "salt": kdf_v4::to_hex(&salt),
            "salt_digest": kdf_v4::salt_digest(&salt)});
        let p = SeedProtocol::resolve(&good).expect("valid 4.0");
        assert_eq!(p.estimator_seed(1001), Ok(2_910_499_503));
        let mut bad = good.clone();
        bad["salt_digest"] = json!("00".repeat(32));
        let err = SeedProtocol::resolve(&bad).unwrap_err();
        assert!(err.message().contains("salt_digest"), "{err}");
        let mut missing = good;
        missing.as_object_mut().map(|o| o.remove("salt"));
        assert!(SeedProtocol::resolve(&missing).is_err());
    }
}
