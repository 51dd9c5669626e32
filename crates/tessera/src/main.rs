//! The `tessera` command line: one binary for every front end.
//!
//! It owns argument parsing, presentation of diagnostics and exit codes; it
//! must not hold content logic, which lives in `tessera-core` so that every
//! front end shares it.
//!
//! Exit codes: 0 success (warnings allowed), 1 content errors, 2 usage or
//! I/O errors.

mod browse;
mod check;
mod corpus;
mod export;
mod follow;
mod import;
mod legacy_site;
mod notify;
mod scaffold;
mod search;
mod serve;
mod transition;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

// Loading allocates many small strings on several threads at once, which
// mimalloc serves faster and with less fragmentation than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "tessera", version, about = "A typed content platform: check, query and publish a content folder.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Browse the site in the terminal, from the content folder or a server.
    Browse(browse::SourceArgs),
    /// Print one item as plain text with numbered links, e.g. `pages/civil-society-partnerships`.
    Read {
        /// The item: its path under content/ without `.md`.
        item: String,
        #[command(flatten)]
        source: browse::SourceArgs,
        /// Wrap at this many columns (default: $COLUMNS, else 80).
        #[arg(long)]
        width: Option<usize>,
    },
    /// Export the content as a static site, JSON, Markdown or text.
    Export(export::ExportArgs),
    /// Serve the GraphQL API and the web site over HTTP.
    Serve(serve::ServeArgs),
    /// Search the content from the command line.
    Search {
        /// The words to look for.
        query: String,
        /// The content folder.
        #[arg(long, default_value = "content")]
        content: PathBuf,
        /// The reader's locale (default: the site's).
        #[arg(long)]
        locale: Option<String>,
        /// Only this kind: page, measure, partner or story (repeatable).
        #[arg(long = "kind")]
        kinds: Vec<String>,
        /// How many results.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Include drafts, items in review and embargoed items.
        #[arg(long)]
        preview: bool,
        /// How to print results.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Validate a content folder and print every problem, like a compiler.
    Check {
        /// The content folder.
        #[arg(default_value = "content")]
        dir: PathBuf,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Write the generated contracts: schema/content.schema.json and schema/tessera.graphql.
    Schema {
        /// The folder to write them to.
        #[arg(long, default_value = "schema")]
        out: PathBuf,
    },
    /// Scaffold a new item that `tessera check` accepts.
    New {
        /// page, measure, partner, story or media.
        kind: scaffold::NewKind,
        /// The new item's slug, e.g. `inclusive-education`.
        slug: String,
        /// The content folder.
        #[arg(long, default_value = "content")]
        content: PathBuf,
    },
    /// Import legacy pages (saved HTML or text dumps) as items in review.
    Import(import::ImportArgs),
    /// How far the move from the old site has come: old addresses moved, pending and retired.
    Transition(transition::TransitionArgs),
    /// Generate a deterministic synthetic legacy site (HTML pages) for import benchmarks.
    GenLegacy {
        /// How many pages to write.
        #[arg(long, default_value_t = 1000)]
        pages: usize,
        /// Seed of the generator: the same seed gives the same site.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The folder to create; it must not exist or be empty.
        out: PathBuf,
    },
    /// Generate a deterministic synthetic corpus for benchmarks and tests.
    GenCorpus {
        /// How many items to write (pages, measures, partners, stories, media).
        #[arg(long, default_value_t = 1000)]
        items: usize,
        /// Comma-separated locales; the first is the default.
        #[arg(long, default_value = "en", value_delimiter = ',')]
        locales: Vec<String>,
        /// Seed of the generator: the same seed gives the same corpus.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The folder to create; it must not exist or be empty.
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Export(args) => export::run(args),
        Command::Browse(args) => browse::browse(args),
        Command::Read { item, source, width } => browse::read(&item, source, width),
        Command::Check { dir, format } => check::run(&dir, format),
        Command::Search { query, content, locale, kinds, limit, preview, format } => {
            search::run(&content, search::Options { query, locale, kinds, limit, preview, format })
        }
        Command::Schema { out } => write_schema(&out),
        Command::New { kind, slug, content } => scaffold::run(kind, &slug, &content),
        Command::Import(args) => import::run(args),
        Command::Transition(args) => transition::run(args),
        Command::GenLegacy { pages, seed, out } => legacy_site::run(pages, seed, &out),
        Command::GenCorpus { items, locales, seed, out } => corpus::run(items, &locales, seed, &out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`tessera check | head`) is not an error.
            if e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn write_schema(out: &std::path::Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(out).map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", out.display()))?;
    for (name, text) in
        [("content.schema.json", tessera_core::content_schema()), ("tessera.graphql", tessera_graphql::sdl())]
    {
        let path = out.join(name);
        write_atomically(&path, text.as_bytes())?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Where Tessera keeps what it can make again: the parse cache, the
/// terminal's home screens, remote answers for offline reading.
/// `TESSERA_CACHE_DIR`, else `$XDG_CACHE_HOME/tessera`, else `~/.cache/tessera`.
fn cache_dir() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    if let Some(dir) = std::env::var_os("TESSERA_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("tessera"))
}

/// A load cache that keeps its parts on disk between runs, under
/// [`cache_dir`]`/parts` (only in memory when there is no cache folder).
fn load_cache() -> tessera_core::LoadCache {
    match cache_dir() {
        Some(dir) => tessera_core::LoadCache::kept_in(dir.join("parts")),
        None => tessera_core::LoadCache::default(),
    }
}

/// Writes the parse cache back if the load changed it (a refused one, from
/// another version or damaged, is written anew). A cache that cannot be
/// written is said on standard error; it changes nothing else.
fn keep(cache: &mut tessera_core::LoadCache) {
    if let Err(e) = cache.keep() {
        let at = cache_dir().map(|d| format!(" in `{}`", d.join("parts").display())).unwrap_or_default();
        eprintln!(
            "note: cannot write the parse cache{at}: {e} (nothing is lost: the next run parses again what the cache does not hold)"
        );
    }
}

/// Loads `content` through the parse cache kept on disk, and keeps it.
fn load_kept(content: &std::path::Path) -> Result<tessera_core::Snapshot, tessera_core::LoadError> {
    let mut cache = load_cache();
    let loaded = tessera_core::load_with(content, &mut cache);
    keep(&mut cache);
    loaded
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into
/// place, so that a failure (a full disk) never leaves half a file.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        anyhow::bail!("cannot write `{}`: {e}", path.display());
    }
    Ok(())
}
