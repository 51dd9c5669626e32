# Thin recipes over cargo; CI (.ci/run) calls the same commands.

# Check the bundled content (the main job until the server lands).
check dir="content":
    cargo run --release -- check {{dir}}

# Regenerate the committed JSON Schema.
schema:
    cargo run -- schema

# Scaffold a new item: just new page my-slug
new kind slug:
    cargo run -- new {{kind}} {{slug}}

test:
    cargo test --workspace

lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Load-and-validate benchmark on a 100,000-item synthetic corpus (see BENCHMARKS.md).
bench:
    cargo build --release
    rm -rf target/bench-corpus
    ./target/release/tessera gen-corpus --items 100000 --locales en,fr --seed 1 target/bench-corpus
    /usr/bin/time -v ./target/release/tessera check target/bench-corpus

ci:
    .ci/run
