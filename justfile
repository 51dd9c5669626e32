# Thin recipes over cargo; CI (.ci/run) calls the same commands.

# Serve the GraphQL API on the bundled content (the main job).
serve *args:
    cargo run --release -- serve {{args}}

# Read and search the site in the terminal.
browse *args:
    cargo run --release -- browse {{args}}

# Export the static site and machine outputs to public/.
export out="public":
    cargo run --release -- export --format all --out {{out}}

# Check a content folder.
check dir="content":
    cargo run --release -- check {{dir}}

# Regenerate the committed schemas (JSON Schema and GraphQL SDL).
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

# The benchmarks of BENCHMARKS.md (corpora under /tmp).
bench:
    cargo build --release
    rm -rf /tmp/bench100k /tmp/bench-pages
    ./target/release/tessera gen-corpus --items 100000 --locales en,fr --seed 1 /tmp/bench100k
    /usr/bin/time -v ./target/release/tessera check /tmp/bench100k
    cargo run --release -p tessera-search --example search_bench -- /tmp/bench100k /tmp/search-cache
    cargo run --release -p tessera-tui --example first_frame -- /tmp/bench100k
    ./target/release/tessera gen-corpus --items 25000 --locales en,fr --seed 3 /tmp/bench-pages
    CORPUS=/tmp/bench-pages bash bench/graphql.sh

ci:
    .ci/run
