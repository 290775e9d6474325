//! Indexing (in progress).
/// Placeholder.
pub struct Index;
/// Placeholder.
pub struct SliceArg;
