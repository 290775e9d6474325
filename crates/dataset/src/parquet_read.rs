//! Reading dataset rows from parquet bytes, strictly: every column present with a usable type,
//! no nulls, rectangular arrays of one shape, finite weights. Float leaves stored as f64 are
//! coerced to f32. Any corruption is one [`DatasetError::Invalid`], never a panic.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use arrow_array::{
    Array, FixedSizeListArray, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array,
    LargeListArray, LargeStringArray, ListArray, RecordBatch, StringArray, StringViewArray,
    UInt16Array, UInt32Array, UInt64Array,
};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::error::{invalid, DatasetError};
use super::row::{DatasetRow, RowShape};
use super::schema::COLUMNS;

/// The rows of one parquet file and the shape they share (`None` for a file with no rows).
#[derive(Clone, Debug, PartialEq)]
pub struct ParquetRows {
    /// Rows in file order.
    pub rows: Vec<DatasetRow>,
    /// The common shape, from the arrays themselves.
    pub shape: Option<RowShape>,
}

/// Reads and validates every row of a dataset parquet file held in memory. `origin` names the
/// file in error messages.
///
/// This is the reader's single entry point (the fuzz target and the robustness test call it).
///
/// # Errors
/// [`DatasetError::Invalid`] for anything that is not a well-formed dataset parquet file:
/// not parquet, a missing column, an unsupported type, a null, a ragged or non-square array,
/// a non-finite weight, a negative id or seed. A panic inside the parquet decoder is caught
/// and reported the same way.
pub fn read_parquet_bytes(data: Bytes, origin: &str) -> Result<ParquetRows, DatasetError> {
    install_quiet_decoder_panics();
    IN_DECODER.with(|flag| flag.set(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| decode(data, origin)));
    IN_DECODER.with(|flag| flag.set(false));
    match outcome {
        Ok(result) => result,
        Err(_) => invalid(format!(
            "{origin}: corrupt parquet file (the decoder failed); re-download or re-bake it"
        )),
    }
}

thread_local! {
    /// Set while this thread runs the parquet/Arrow decoder inside [`read_parquet_bytes`].
    static IN_DECODER: Cell<bool> = const { Cell::new(false) };
}

/// Wraps the process panic hook (once) so that a panic raised by the third-party decoder on a
/// corrupt file prints nothing: [`read_parquet_bytes`] turns it into one clear error instead.
/// Panics anywhere else reach the previous hook unchanged.
fn install_quiet_decoder_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_DECODER.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Reads `path` and calls [`read_parquet_bytes`].
///
/// # Errors
/// [`DatasetError::Io`] if the file cannot be read, else as [`read_parquet_bytes`].
pub fn read_parquet_file(path: &std::path::Path) -> Result<ParquetRows, DatasetError> {
    let data = std::fs::read(path).map_err(|e| DatasetError::io("reading", path, &e))?;
    read_parquet_bytes(Bytes::from(data), &path.display().to_string())
}

fn decode(data: Bytes, origin: &str) -> Result<ParquetRows, DatasetError> {
    let corrupt = |e: &dyn std::fmt::Display| {
        DatasetError::Invalid(format!("{origin}: not a readable parquet file: {e}"))
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(data)
        .map_err(|e| corrupt(&e))?
        .build()
        .map_err(|e| corrupt(&e))?;
    let mut out = ParquetRows {
        rows: Vec::new(),
        shape: None,
    };
    for batch in reader {
        let batch = batch.map_err(|e| corrupt(&e))?;
        decode_batch(&batch, origin, &mut out)?;
    }
    Ok(out)
}

/// A column of `batch` by name.
fn column<'a>(
    batch: &'a RecordBatch,
    name: &str,
    origin: &str,
) -> Result<&'a dyn Array, DatasetError> {
    batch
        .column_by_name(name)
        .map(|c| c.as_ref())
        .ok_or_else(|| {
            DatasetError::Invalid(format!(
                "{origin}: missing column '{name}' (a dataset has columns {})",
                COLUMNS.join(", ")
            ))
        })
}

fn decode_batch(
    batch: &RecordBatch,
    origin: &str,
    out: &mut ParquetRows,
) -> Result<(), DatasetError> {
    let ids = column(batch, "mlp_id", origin)?;
    let names = column(batch, "mlp_name", origin)?;
    let seeds = column(batch, "mlp_seed", origin)?;
    let weights = column(batch, "weights", origin)?;
    let means = column(batch, "all_layer_means", origin)?;
    let finals = column(batch, "final_means", origin)?;
    let variances = column(batch, "avg_variance", origin)?;
    let breakdowns = column(batch, "sampling_budget_breakdown", origin)?;
    for i in 0..batch.num_rows() {
        let at = |col: &str| format!("{origin}: row {} column '{col}'", out.rows.len());
        let mlp_id = uint_at(ids, i, &at("mlp_id"))?;
        let mlp_seed = uint_at(seeds, i, &at("mlp_seed"))?;
        let (weights, wshape) = floats_at(weights, i, 3, &at("weights"))?;
        let (all_layer_means, mshape) = floats_at(means, i, 2, &at("all_layer_means"))?;
        let (final_means, fshape) = floats_at(finals, i, 1, &at("final_means"))?;
        let (depth, width) = (wshape[0], wshape[1]);
        if depth == 0 || width == 0 || wshape[2] != width {
            return invalid(format!(
                "{}: weights have shape {wshape:?}; expected (depth, width, width) with depth, \
                 width ≥ 1",
                at("weights")
            ));
        }
        if mshape != [depth, width] || fshape != [width] {
            return invalid(format!(
                "{origin}: row {} has all_layer_means {mshape:?} and final_means {fshape:?}; \
                 expected [{depth}, {width}] and [{width}] to match weights {wshape:?}",
                out.rows.len()
            ));
        }
        if let Some(bad) = weights.iter().position(|v| !v.is_finite()) {
            return invalid(format!(
                "{}: weight {bad} is {}; weights must be finite",
                at("weights"),
                weights[bad]
            ));
        }
        let shape = RowShape { width, depth };
        match out.shape {
            None => out.shape = Some(shape),
            Some(s) if s != shape => {
                return invalid(format!(
                    "{origin}: row {} has width={width}, depth={depth} but earlier rows have \
                     width={}, depth={}",
                    out.rows.len(),
                    s.width,
                    s.depth
                ))
            }
            Some(_) => {}
        }
        out.rows.push(DatasetRow {
            mlp_id,
            mlp_name: string_at(names, i, &at("mlp_name"))?,
            mlp_seed,
            weights,
            all_layer_means,
            final_means,
            avg_variance: f64_at(variances, i, &at("avg_variance"))?,
            sampling_budget_breakdown: string_at(breakdowns, i, &at("sampling_budget_breakdown"))?,
        });
    }
    Ok(())
}

fn null_error<T>(what: &str) -> Result<T, DatasetError> {
    invalid(format!("{what} is null; every dataset field must be set"))
}

/// A non-negative integer cell of any integer column type.
fn uint_at(col: &dyn Array, i: usize, what: &str) -> Result<u64, DatasetError> {
    if col.is_null(i) {
        return null_error(what);
    }
    let any = col.as_any();
    let value = if let Some(a) = any.downcast_ref::<Int32Array>() {
        u64::try_from(a.value(i)).ok()
    } else if let Some(a) = any.downcast_ref::<Int64Array>() {
        u64::try_from(a.value(i)).ok()
    } else if let Some(a) = any.downcast_ref::<Int16Array>() {
        u64::try_from(a.value(i)).ok()
    } else if let Some(a) = any.downcast_ref::<UInt64Array>() {
        Some(a.value(i))
    } else if let Some(a) = any.downcast_ref::<UInt32Array>() {
        Some(u64::from(a.value(i)))
    } else if let Some(a) = any.downcast_ref::<UInt16Array>() {
        Some(u64::from(a.value(i)))
    } else {
        return invalid(format!(
            "{what} has type {}; expected an integer column",
            col.data_type()
        ));
    };
    value.ok_or_else(|| DatasetError::Invalid(format!("{what} is negative; expected ≥ 0")))
}

/// A float64 (or float32) cell.
fn f64_at(col: &dyn Array, i: usize, what: &str) -> Result<f64, DatasetError> {
    if col.is_null(i) {
        return null_error(what);
    }
    let any = col.as_any();
    if let Some(a) = any.downcast_ref::<Float64Array>() {
        Ok(a.value(i))
    } else if let Some(a) = any.downcast_ref::<Float32Array>() {
        Ok(f64::from(a.value(i)))
    } else {
        invalid(format!(
            "{what} has type {}; expected float64",
            col.data_type()
        ))
    }
}

/// A string cell (utf8, large utf8 or utf8 view).
fn string_at(col: &dyn Array, i: usize, what: &str) -> Result<String, DatasetError> {
    if col.is_null(i) {
        return null_error(what);
    }
    let any = col.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        Ok(a.value(i).to_string())
    } else if let Some(a) = any.downcast_ref::<LargeStringArray>() {
        Ok(a.value(i).to_string())
    } else if let Some(a) = any.downcast_ref::<StringViewArray>() {
        Ok(a.value(i).to_string())
    } else {
        invalid(format!(
            "{what} has type {}; expected string",
            col.data_type()
        ))
    }
}

/// The flattened floats of cell `i` of a `levels`-deep nested list column, coerced to f32, and
/// the cell's shape (outermost length first). Ragged cells are errors.
fn floats_at(
    col: &dyn Array,
    i: usize,
    levels: usize,
    what: &str,
) -> Result<(Vec<f32>, Vec<usize>), DatasetError> {
    let mut values = Vec::new();
    let mut shape: Vec<Option<usize>> = vec![None; levels];
    collect_floats(col, i, 0, &mut shape, &mut values, what)?;
    let shape = shape.into_iter().map(|s| s.unwrap_or(0)).collect();
    Ok((values, shape))
}

/// The child array of list cell `i` (any list flavour), or `None` for a non-list type.
fn list_cell(col: &dyn Array, i: usize) -> Option<std::sync::Arc<dyn Array>> {
    let any = col.as_any();
    if let Some(a) = any.downcast_ref::<ListArray>() {
        Some(a.value(i))
    } else if let Some(a) = any.downcast_ref::<LargeListArray>() {
        Some(a.value(i))
    } else {
        any.downcast_ref::<FixedSizeListArray>().map(|a| a.value(i))
    }
}

fn collect_floats(
    col: &dyn Array,
    i: usize,
    level: usize,
    shape: &mut [Option<usize>],
    out: &mut Vec<f32>,
    what: &str,
) -> Result<(), DatasetError> {
    if col.is_null(i) {
        return null_error(what);
    }
    let Some(cell) = list_cell(col, i) else {
        return invalid(format!(
            "{what} has type {}; expected a {}-level nested list of float32",
            col.data_type(),
            shape.len()
        ));
    };
    let len = cell.len();
    match shape[level] {
        None => shape[level] = Some(len),
        Some(expected) if expected != len => {
            return invalid(format!(
                "{what} is ragged: a level-{level} list has {len} entries, another has {expected}"
            ))
        }
        Some(_) => {}
    }
    if level + 1 < shape.len() {
        for j in 0..len {
            collect_floats(cell.as_ref(), j, level + 1, shape, out, what)?;
        }
        return Ok(());
    }
    if cell.null_count() > 0 {
        return null_error(&format!("{what} has a value that"));
    }
    let any = cell.as_any();
    if let Some(a) = any.downcast_ref::<Float32Array>() {
        out.extend_from_slice(a.values());
    } else if let Some(a) = any.downcast_ref::<Float64Array>() {
        out.extend(a.values().iter().map(|&v| v as f32));
    } else {
        return invalid(format!(
            "{what} has leaf type {}; expected float32",
            cell.data_type()
        ));
    }
    Ok(())
}
