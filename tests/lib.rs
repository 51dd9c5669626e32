//! Contract tests shared by every front end; the tests live in `it/`, the corpora in `fixtures/`.
