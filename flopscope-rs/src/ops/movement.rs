//! Movement ops (in progress).
