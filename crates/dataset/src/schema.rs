//! The parquet row schema of the Python reference: exact Arrow types, the `datasets` extension-type field
//! metadata, and the `huggingface` features JSON that Python `datasets` reads back.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema};
use serde_json::json;

use whest_score::report::to_python_json_line;

/// Column names in file order.
pub const COLUMNS: [&str; 8] = [
    "mlp_id",
    "mlp_name",
    "mlp_seed",
    "weights",
    "all_layer_means",
    "final_means",
    "avg_variance",
    "sampling_budget_breakdown",
];
/// Arrow field metadata key naming an extension type.
pub const EXTENSION_NAME_KEY: &str = "ARROW:extension:name";
/// Arrow field metadata key carrying an extension type's parameters.
pub const EXTENSION_METADATA_KEY: &str = "ARROW:extension:metadata";
/// Parquet key/value (and Arrow schema) metadata key of the HF features.
pub const HUGGINGFACE_KEY: &str = "huggingface";
/// Name of a list's child field (parquet's compliant 3-level LIST naming).
pub const LIST_ITEM: &str = "element";

/// A nullable `float32` list element field.
fn f32_item() -> Arc<Field> {
    Arc::new(Field::new(LIST_ITEM, DataType::Float32, true))
}

/// `list<…list<float32>>` nested `levels` deep (variable-size lists).
pub fn nested_f32_list(levels: usize) -> DataType {
    let mut t = DataType::Float32;
    for _ in 0..levels {
        t = DataType::List(Arc::new(Field::new(LIST_ITEM, t, true)));
    }
    t
}

/// The `fixed_size_list<float32>[w]` type of `final_means`.
pub fn final_means_type(width: usize) -> DataType {
    DataType::FixedSizeList(f32_item(), list_len(width))
}

/// `width` as an Arrow list length (saturating: widths beyond `i32::MAX` cannot be stored).
fn list_len(width: usize) -> i32 {
    i32::try_from(width).unwrap_or(i32::MAX)
}

/// A field carrying `datasets`' `ArrayND` extension metadata, e.g. `[[2, 4, 4], "float32"]`.
fn array_nd_field(name: &str, kind: &str, shape: &[usize]) -> Field {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let meta = HashMap::from([
        (
            EXTENSION_NAME_KEY.to_string(),
            format!("datasets.features.features.{kind}ExtensionType"),
        ),
        (
            EXTENSION_METADATA_KEY.to_string(),
            format!("[[{}], \"float32\"]", dims.join(", ")),
        ),
    ]);
    Field::new(name, nested_f32_list(shape.len()), true).with_metadata(meta)
}

/// The `huggingface` metadata value: `{"info": {"features": {...}}}` exactly as `datasets`
/// writes it for a width-`w`, depth-`d` dataset.
pub fn huggingface_features_json(width: usize, depth: usize) -> String {
    let value = |dtype: &str| json!({"dtype": dtype, "_type": "Value"});
    let mut features = serde_json::Map::new();
    features.insert("mlp_id".into(), value("int32"));
    features.insert("mlp_name".into(), value("string"));
    features.insert("mlp_seed".into(), value("int64"));
    features.insert(
        "weights".into(),
        json!({"shape": [depth, width, width], "dtype": "float32", "_type": "Array3D"}),
    );
    features.insert(
        "all_layer_means".into(),
        json!({"shape": [depth, width], "dtype": "float32", "_type": "Array2D"}),
    );
    features.insert(
        "final_means".into(),
        json!({"feature": value("float32"), "length": width, "_type": "List"}),
    );
    features.insert("avg_variance".into(), value("float64"));
    features.insert("sampling_budget_breakdown".into(), value("string"));
    to_python_json_line(&json!({"info": {"features": features}}))
}

/// The Arrow schema of a width-`w`, depth-`d` dataset, with the `huggingface` key
/// in the schema metadata so it also travels inside `ARROW:schema`.
pub fn dataset_schema(width: usize, depth: usize) -> Schema {
    let fields = vec![
        Field::new("mlp_id", DataType::Int32, true),
        Field::new("mlp_name", DataType::Utf8, true),
        Field::new("mlp_seed", DataType::Int64, true),
        array_nd_field("weights", "Array3D", &[depth, width, width]),
        array_nd_field("all_layer_means", "Array2D", &[depth, width]),
        Field::new("final_means", final_means_type(width), true),
        Field::new("avg_variance", DataType::Float64, true),
        Field::new("sampling_budget_breakdown", DataType::Utf8, true),
    ];
    let meta = HashMap::from([(
        HUGGINGFACE_KEY.to_string(),
        huggingface_features_json(width, depth),
    )]);
    Schema::new_with_metadata(fields, meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact `huggingface` value Python whestbench 0.16.2 wrote for the reference fixture.
    #[test]
    fn features_json_matches_python() {
        assert_eq!(
            huggingface_features_json(4, 2),
            r#"{"info": {"features": {"mlp_id": {"dtype": "int32", "_type": "Value"}, "mlp_name": {"dtype": "string", "_type": "Value"}, "mlp_seed": {"dtype": "int64", "_type": "Value"}, "weights": {"shape": [2, 4, 4], "dtype": "float32", "_type": "Array3D"}, "all_layer_means": {"shape": [2, 4], "dtype": "float32", "_type": "Array2D"}, "final_means": {"feature": {"dtype": "float32", "_type": "Value"}, "length": 4, "_type": "List"}, "avg_variance": {"dtype": "float64", "_type": "Value"}, "sampling_budget_breakdown": {"dtype": "string", "_type": "Value"}}}}"#
        );
    }

    #[test]
    fn schema_has_extension_metadata_and_fixed_size_final_means() {
        let s = dataset_schema(4, 2);
        let names: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, COLUMNS);
        let w = s.field_with_name("weights").expect("weights");
        assert_eq!(
            w.metadata().get(EXTENSION_METADATA_KEY).map(String::as_str),
            Some("[[2, 4, 4], \"float32\"]")
        );
        assert_eq!(
            w.metadata().get(EXTENSION_NAME_KEY).map(String::as_str),
            Some("datasets.features.features.Array3DExtensionType")
        );
        assert_eq!(
            s.field_with_name("final_means").expect("final").data_type(),
            &final_means_type(4)
        );
        assert!(s.fields().iter().all(|f| f.is_nullable()));
    }
}
