//! Writing dataset rows to parquet with the exact schema of the Python reference: the embedded
//! `ARROW:schema` (extension metadata, fixed-size `final_means`) plus the `huggingface`
//! key/value entry, array columns PLAIN and uncompressed, scalar columns snappy + dictionary,
//! row groups of at most ~100 MB uncompressed.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, FixedSizeListArray, Float32Array, Float64Array, Int32Array, Int64Array, ListArray,
    RecordBatch, StringArray,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{DataType, Field, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::error::DatasetError;
use super::row::{DatasetRow, RowShape};
use super::schema::{dataset_schema, huggingface_features_json, HUGGINGFACE_KEY, LIST_ITEM};

/// Uncompressed bytes a row group aims to stay under.
pub const ROW_GROUP_TARGET_BYTES: usize = 100 * 1024 * 1024;

/// An open parquet file receiving dataset rows in order (a bake streams rows into it).
pub struct ParquetSink {
    writer: ArrowWriter<File>,
    schema: SchemaRef,
    shape: RowShape,
    path: std::path::PathBuf,
}

/// Leaf column paths of the three float array columns.
fn array_leaf_paths() -> [ColumnPath; 3] {
    let path = |col: &str, levels: usize| {
        let mut parts = vec![col.to_string()];
        for _ in 0..levels {
            parts.push("list".into());
            parts.push(LIST_ITEM.into());
        }
        ColumnPath::new(parts)
    };
    [
        path("weights", 3),
        path("all_layer_means", 2),
        path("final_means", 1),
    ]
}

/// Rows per row group for this shape: as many as fit in [`ROW_GROUP_TARGET_BYTES`], at least 1.
pub fn rows_per_group(shape: RowShape) -> usize {
    (ROW_GROUP_TARGET_BYTES / shape.float_bytes().max(1)).max(1)
}

impl ParquetSink {
    /// Creates `path` (which must not exist) for rows of `shape`.
    ///
    /// # Errors
    /// [`DatasetError::Io`] if the file cannot be created; [`DatasetError::Invalid`] if the
    /// writer rejects the schema.
    pub fn create(path: &Path, shape: RowShape) -> Result<ParquetSink, DatasetError> {
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| DatasetError::io("creating", path, &e))?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(true)
            .set_max_row_group_row_count(Some(rows_per_group(shape)))
            .set_key_value_metadata(Some(vec![KeyValue::new(
                HUGGINGFACE_KEY.to_string(),
                huggingface_features_json(shape.width, shape.depth),
            )]));
        for leaf in array_leaf_paths() {
            props = props
                .set_column_compression(leaf.clone(), Compression::UNCOMPRESSED)
                .set_column_dictionary_enabled(leaf.clone(), false)
                .set_column_encoding(leaf, Encoding::PLAIN);
        }
        let schema = Arc::new(dataset_schema(shape.width, shape.depth));
        let writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props.build()))
            .map_err(|e| DatasetError::Invalid(format!("parquet writer: {e}")))?;
        Ok(ParquetSink {
            writer,
            schema,
            shape,
            path: path.to_path_buf(),
        })
    }

    /// Appends `rows` (in order).
    ///
    /// # Errors
    /// [`DatasetError::Invalid`] if a row's arrays do not have this sink's shape;
    /// [`DatasetError::Io`] if writing fails.
    pub fn write(&mut self, rows: &[DatasetRow]) -> Result<(), DatasetError> {
        if rows.is_empty() {
            return Ok(());
        }
        let batch = rows_to_batch(rows, self.shape, &self.schema)?;
        self.writer
            .write(&batch)
            .map_err(|e| DatasetError::Io(format!("writing {}: {e}", self.path.display())))
    }

    /// Writes the footer and closes the file.
    ///
    /// # Errors
    /// [`DatasetError::Io`] if the footer cannot be written.
    pub fn finish(self) -> Result<(), DatasetError> {
        let path = self.path;
        let file = self
            .writer
            .into_inner()
            .map_err(|e| DatasetError::Io(format!("finishing {}: {e}", path.display())))?;
        file.sync_all()
            .map_err(|e| DatasetError::io("syncing", &path, &e))
    }
}

/// `values` wrapped in `levels` list levels whose lengths are `dims` (outermost first), one
/// outer list per row.
fn uniform_lists(values: Vec<f32>, rows: usize, dims: &[usize]) -> ArrayRef {
    let mut array: ArrayRef = Arc::new(Float32Array::from(values));
    let mut count: usize = rows * dims.iter().product::<usize>();
    for &len in dims.iter().rev() {
        count /= len.max(1);
        let field = Arc::new(Field::new(LIST_ITEM, array.data_type().clone(), true));
        let offsets = OffsetBuffer::<i32>::from_lengths(std::iter::repeat_n(len, count));
        array = Arc::new(ListArray::new(field, offsets, array, None));
    }
    array
}

/// Builds one record batch from rows of `shape`.
fn rows_to_batch(
    rows: &[DatasetRow],
    shape: RowShape,
    schema: &SchemaRef,
) -> Result<RecordBatch, DatasetError> {
    let RowShape { width: w, depth: d } = shape;
    for r in rows {
        if r.weights.len() != d * w * w
            || r.all_layer_means.len() != d * w
            || r.final_means.len() != w
        {
            return Err(DatasetError::Invalid(format!(
                "row mlp_id={} does not have shape depth={d}, width={w}",
                r.mlp_id
            )));
        }
    }
    let n = rows.len();
    let ids = rows
        .iter()
        .map(|r| i32::try_from(r.mlp_id).map_err(|_| r.mlp_id))
        .collect::<Result<Vec<i32>, u64>>()
        .map_err(|id| DatasetError::Invalid(format!("mlp_id {id} does not fit int32")))?;
    let seeds = rows
        .iter()
        .map(|r| i64::try_from(r.mlp_seed).map_err(|_| r.mlp_seed))
        .collect::<Result<Vec<i64>, u64>>()
        .map_err(|s| DatasetError::Invalid(format!("mlp_seed {s} does not fit int64")))?;
    let flat = |f: fn(&DatasetRow) -> &Vec<f32>| -> Vec<f32> {
        rows.iter().flat_map(|r| f(r).iter().copied()).collect()
    };
    let finals = Float32Array::from(flat(|r| &r.final_means));
    let final_field = Arc::new(Field::new(LIST_ITEM, DataType::Float32, true));
    let final_means = FixedSizeListArray::try_new(
        final_field,
        i32::try_from(w).map_err(|_| DatasetError::Invalid(format!("width {w} too large")))?,
        Arc::new(finals),
        None,
    )
    .map_err(|e| DatasetError::Invalid(format!("final_means: {e}")))?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(ids)),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.mlp_name.as_str()),
        )),
        Arc::new(Int64Array::from(seeds)),
        uniform_lists(flat(|r| &r.weights), n, &[d, w, w]),
        uniform_lists(flat(|r| &r.all_layer_means), n, &[d, w]),
        Arc::new(final_means),
        Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|r| r.avg_variance),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.sampling_budget_breakdown.as_str()),
        )),
    ];
    RecordBatch::try_new(Arc::clone(schema), columns)
        .map_err(|e| DatasetError::Invalid(format!("building a record batch: {e}")))
}
