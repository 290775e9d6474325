//! numpy-exact random streams (in progress).
