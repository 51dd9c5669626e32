//! `tessera export`: the static site and machine outputs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::ValueEnum;
use tessera_core::{LoadError, Locale};
use tessera_export::{ExportOptions, Formats};

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Html,
    Json,
    Markdown,
    Text,
    All,
}

#[derive(clap::Args)]
pub(crate) struct ExportArgs {
    /// What to produce.
    #[arg(long, value_enum, default_value = "all")]
    format: ExportFormat,
    /// The folder to write (replaced as a whole once the export is complete).
    #[arg(long)]
    out: PathBuf,
    /// The content folder.
    #[arg(long, default_value = "content")]
    content: PathBuf,
    /// The address the site will be published at (default: base_url in site.toml).
    #[arg(long)]
    base_url: Option<String>,
    /// Only this locale (repeatable; default: every enabled locale).
    #[arg(long = "locale")]
    locales: Vec<String>,
    /// Include drafts, items in review and embargoed items.
    #[arg(long)]
    preview: bool,
    /// Write links in the HTML from the site's root (`/pages/x/`), for a
    /// site served only at the root of its domain. By default they are
    /// relative to each page, so that the site works from any folder, a
    /// subfolder or file:// (canonical and hreflang links stay absolute).
    #[arg(long)]
    absolute_links: bool,
    /// Relative links, the default (kept so that older scripts still run).
    #[arg(long, hide = true, conflicts_with = "absolute_links")]
    relative_links: bool,
}

pub(crate) fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // Before the work, not after it: the content folder itself must never be replaced.
    tessera_export::check_target(&args.out, &[&args.content])?;
    let snapshot = match crate::load_kept(&args.content) {
        Ok(s) => s,
        Err(LoadError::Invalid { diagnostics }) => {
            let mut renderer = crate::check::Renderer::new(&args.content);
            for d in &diagnostics {
                eprint!("{}", renderer.render(d));
            }
            eprintln!("not exporting: fix the errors above");
            return Ok(ExitCode::from(1));
        }
        Err(e) => anyhow::bail!(e),
    };
    let formats = match args.format {
        ExportFormat::Html => Formats { html: true, json: false, markdown: false, text: false },
        ExportFormat::Json => Formats { html: false, json: true, markdown: false, text: false },
        ExportFormat::Markdown => Formats { html: false, json: false, markdown: true, text: false },
        ExportFormat::Text => Formats { html: false, json: false, markdown: false, text: true },
        ExportFormat::All => Formats::ALL,
    };
    let locales = args
        .locales
        .iter()
        .map(|l| Locale::parse(l))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--locale: {e}"))?;
    let options = ExportOptions {
        formats,
        base_url: args.base_url,
        locales,
        preview: args.preview,
        now: chrono::Utc::now(),
        relative_links: args.relative_links || !args.absolute_links,
    };
    // A progress bar on a terminal; nothing but the summary otherwise.
    let bar = indicatif::ProgressBar::hidden();
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template("writing {pos}/{len} files {wide_bar} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    }
    let summary = tessera_export::export_with(&snapshot, &options, &args.out, &|n| bar.set_length(n), &|n| bar.inc(n))?;
    bar.finish_and_clear();
    // The process ends now: freeing the snapshot piece by piece would only delay it.
    std::mem::forget(snapshot);
    println!(
        "exported {} files ({} HTML pages, {:.1} MB) to {} in {:.2} s{}",
        summary.files,
        summary.pages,
        summary.bytes as f64 / 1e6,
        args.out.display(),
        started.elapsed().as_secs_f64(),
        if args.preview { " (preview: drafts and embargoed items included)" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}
