//! The search benchmark (BENCHMARKS.md): build time, restart from the
//! on-disk cache, latency over 1,000 queries, index size, the time of an
//! incremental update after a one-file edit, and peak RSS.
//!
//! usage: cargo run --release -p tessera-search --example search_bench -- CORPUS CACHE_DIR
//!
//! The update step appends a line to one page of CORPUS, loads it again and
//! puts the file back as it was.

use std::path::Path;
use std::time::{Duration, Instant};

use tessera_core::{Locale, Page, Publishable};

// The same allocator as the `tessera` binary that serves searches.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use tessera_search::{Audience, SearchIndex, SearchRequest};

type Queries = Vec<String>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(corpus), Some(cache)) = (args.next(), args.next()) else {
        eprintln!("usage: search_bench CORPUS CACHE_DIR");
        std::process::exit(2);
    };
    let cache = Path::new(&cache);
    // SEARCH_BENCH_KEEP=1 reopens the index a previous run left in CACHE_DIR.
    if cache.exists() && std::env::var_os("SEARCH_BENCH_KEEP").is_none() {
        std::fs::remove_dir_all(cache)?;
    }
    let started = Instant::now();
    let snapshot = tessera_core::load(Path::new(&corpus)).map_err(|e| format!("{e}"))?;
    println!("load: {:.2} s", started.elapsed().as_secs_f64());
    let now = chrono::Utc::now();

    let started = Instant::now();
    let (index, cached) = SearchIndex::build(&snapshot, Audience::Public, now, Some(cache))?;
    println!(
        "build (public, to disk): {:.2} s, {} documents, from cache: {cached}",
        started.elapsed().as_secs_f64(),
        index.len()
    );
    drop(index);
    let started = Instant::now();
    let (index, cached) = SearchIndex::build(&snapshot, Audience::Public, now, Some(cache))?;
    println!("restart from the on-disk cache: {:.3} s, from cache: {cached}", started.elapsed().as_secs_f64());
    println!("index size: {:.1} MB", dir_size(cache)? as f64 / 1e6);

    // 1,000 queries from the corpus's own words: single words, phrases,
    // typos and prefixes, the same every run.
    let mut words: Vec<String> = snapshot
        .collection::<Page>()
        .all()
        .iter()
        .take(2000)
        .flat_map(|d| Publishable::title(&d.meta).split_whitespace().map(str::to_lowercase).collect::<Vec<_>>())
        .filter(|w| w.chars().all(char::is_alphabetic) && w.len() >= 3)
        .collect();
    words.sort();
    words.dedup();
    let mut rng = fastrand::Rng::with_seed(7);
    let mut queries = Vec::with_capacity(1000);
    for i in 0..1000 {
        let w = |rng: &mut fastrand::Rng| words[rng.usize(..words.len())].clone();
        let q = match i % 4 {
            0 => w(&mut rng),
            1 => format!("{} {}", w(&mut rng), w(&mut rng)),
            2 => {
                let mut t: Vec<char> = w(&mut rng).chars().collect();
                let at = rng.usize(1..t.len());
                t[at] = 'x';
                t.into_iter().collect()
            }
            _ => w(&mut rng).chars().take(4).collect(),
        };
        queries.push(q);
    }
    let locale = snapshot.site().default_locale.clone();
    // SEARCH_BENCH_ROUNDS=N runs the 1,000 queries N times (each round
    // reported), for a steadier median on a noisy host.
    let rounds: usize = std::env::var("SEARCH_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(1);
    for _ in 0..rounds.max(1) {
        latency("1,000 queries (10 hits with snippets, facets)", &index, &queries, &locale)?;
    }
    // SEARCH_BENCH_CLIENTS=N: N threads each run the 1,000 queries at once,
    // for the throughput of a busy server rather than one search's latency.
    if let Some(clients) = std::env::var("SEARCH_BENCH_CLIENTS").ok().and_then(|c| c.parse::<usize>().ok()) {
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..clients {
                scope.spawn(|| {
                    for q in &queries {
                        let _ = index.search(&SearchRequest::new(q.as_str(), Locale::clone(&locale)));
                    }
                });
            }
        });
        let seconds = started.elapsed().as_secs_f64();
        println!("{clients} clients at once: {:.0} searches/s", (clients * queries.len()) as f64 / seconds);
    }

    // One page edited: reload the corpus, update the index, search again.
    let page = snapshot.collection::<Page>().all().first().map(|d| Path::new(&corpus).join(&d.path));
    let Some(page) = page else { return Ok(()) };
    drop(snapshot);
    let original = std::fs::read(&page)?;
    let mut edited = original.clone();
    edited.extend_from_slice(b"\nA zeppelin flew over the river.\n");
    std::fs::write(&page, &edited)?;
    let loaded = tessera_core::load(Path::new(&corpus)).map_err(|e| format!("{e}"));
    std::fs::write(&page, &original)?;
    let snapshot = loaded?;
    let started = Instant::now();
    let (updated, refresh) = index.update(&snapshot, now)?;
    println!(
        "update after a one-page edit (to disk): {:.3} s, {refresh:?}, {} segments, {} deleted documents kept",
        started.elapsed().as_secs_f64(),
        updated.segments(),
        updated.deleted()
    );
    let zeppelin = updated.search(&SearchRequest::new("zeppelin", Locale::clone(&locale)))?.total;
    println!("the edit is found: {}", zeppelin > 0);
    latency("1,000 queries on the updated index", &updated, &queries, &locale)?;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!("peak RSS (whole process, snapshot included): {}", line.trim_start_matches("VmHWM:").trim());
    }
    Ok(())
}

fn latency(
    label: &str,
    index: &SearchIndex,
    queries: &Queries,
    locale: &Locale,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut times: Vec<Duration> = Vec::with_capacity(queries.len());
    let mut by_shape: [Vec<Duration>; 4] = Default::default();
    let mut hits = 0usize;
    for (i, q) in queries.iter().enumerate() {
        let started = Instant::now();
        let results = index.search(&SearchRequest::new(q.as_str(), Locale::clone(locale)))?;
        times.push(started.elapsed());
        by_shape[i % 4].push(started.elapsed());
        hits += usize::from(!results.hits.is_empty());
    }
    if std::env::var_os("SEARCH_BENCH_SHAPES").is_some() {
        for (name, mut t) in ["one word", "two words", "a typo", "a prefix"].into_iter().zip(by_shape) {
            t.sort();
            let at = |p: f64| t[((t.len() as f64 * p) as usize).min(t.len() - 1)].as_secs_f64() * 1000.0;
            println!("  {name}: p50 {:.2} ms, p95 {:.2} ms", at(0.5), at(0.95));
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "{label}: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {hits} with hits",
        pct(0.50),
        pct(0.95),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}

fn dir_size(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { dir_size(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}
