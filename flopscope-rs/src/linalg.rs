//! Linear algebra (in progress).
