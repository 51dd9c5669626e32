//! `tessera import`: legacy pages into items in review, and the report.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::Format;

#[derive(clap::Args)]
pub(crate) struct ImportArgs {
    /// The content folder to write into.
    #[arg(long, default_value = "content")]
    content: PathBuf,
    /// The old site's address; a file's path under a source folder, joined
    /// to it, is the page's old address (default: old addresses are paths).
    #[arg(long)]
    base_url: Option<String>,
    /// Report what would be written, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// How to print the report.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Saved legacy pages (HTML or plain-text dumps), or folders of them
    /// (as `wget --mirror` saves a site).
    #[arg(required = true)]
    sources: Vec<PathBuf>,
}

/// Exit 0 when everything was imported or left unchanged (notes for
/// editors allowed), 1 when there were conflicts or unreadable sources.
pub(crate) fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let options = tessera_import::Options { content: args.content, base_url: args.base_url, dry_run: args.dry_run };
    let report = tessera_import::import(&args.sources, &options)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => std::io::Write::write_all(&mut out, report.to_text().as_bytes())?,
        Format::Json => {
            let json = serde_json::json!({ "report": report, "totals": report.totals() });
            serde_json::to_writer_pretty(&mut out, &json)?;
            std::io::Write::write_all(&mut out, b"\n")?;
        }
    }
    let totals = report.totals();
    Ok(if totals.conflicts > 0 || totals.errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
