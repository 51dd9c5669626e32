//! Integration tests of `tessera import`.
