//! `tessera browse` and `tessera read`: the terminal front end.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use tessera_core::LoadError;
use tessera_tui::{App, LocalSource, RemoteSource, Source, StartingSource};

#[derive(clap::Args)]
pub(crate) struct SourceArgs {
    /// The content folder (the default source).
    #[arg(long, default_value = "content", conflicts_with = "server")]
    content: PathBuf,
    /// Read from a Tessera server instead, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    server: Option<String>,
    /// The language to read in (default: the site's).
    #[arg(long)]
    locale: Option<String>,
}

fn local(content: &std::path::Path) -> anyhow::Result<(LocalSource, String)> {
    match crate::load_kept(content) {
        Ok(snapshot) => {
            let locale = snapshot.site().default_locale.to_string();
            let search = crate::cache_dir().map(|c| c.join("search"));
            Ok((LocalSource::new(Arc::new(snapshot)).with_search_cache(search), locale))
        }
        Err(LoadError::Invalid { diagnostics }) => {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            anyhow::bail!(
                "`{}` has {errors} content error(s); `tessera check {}` lists them",
                content.display(),
                content.display()
            )
        }
        Err(e) => anyhow::bail!(e),
    }
}

fn remote(server: &str) -> anyhow::Result<RemoteSource> {
    RemoteSource::new(server, crate::cache_dir()).map_err(|e| anyhow::anyhow!("--server: {e}"))
}

pub(crate) fn browse(args: SourceArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("`tessera browse` needs a terminal; `tessera read` prints an item as plain text");
    }
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    match &args.server {
        Some(server) => {
            // No locale: the server's default.
            let locale = args.locale.clone().unwrap_or_default();
            tessera_tui::run(App::new(remote(server)?, &locale, color))?;
        }
        None => {
            // The home screen kept at the last start is drawn while the
            // content loads; without one, the content is loaded first, so
            // that a broken folder is reported before the screen is taken.
            let kept = crate::cache_dir().map(|c| tessera_tui::kept_home_file(&c, &args.content));
            let search = crate::cache_dir().map(|c| c.join("search"));
            let mut starting =
                StartingSource::start(&args.content, kept, crate::load_cache()).with_search_cache(search);
            let default = match starting.kept_default_locale() {
                Some(default) => default.to_owned(),
                None => starting.wait().map_err(anyhow::Error::msg)?,
            };
            let locale = args.locale.clone().unwrap_or(default);
            tessera_tui::run(App::new(starting, &locale, color))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn read(item: &str, args: SourceArgs, width: Option<usize>) -> anyhow::Result<ExitCode> {
    let item = item.trim_start_matches("@/").trim_end_matches(".md");
    let Some((folder, slug)) = item.split_once('/') else {
        anyhow::bail!("`{item}` is not an item: write <kind>/<slug>, e.g. pages/civil-society-partnerships");
    };
    let Some(kind) = tessera_core::Kind::from_folder(folder)
        .filter(|k| !matches!(k, tessera_core::Kind::Media | tessera_core::Kind::Topic))
    else {
        anyhow::bail!("`{folder}` is not a kind: use pages, measures, partners or stories");
    };
    let width =
        width.or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())).unwrap_or(80).clamp(20, 500);
    let text = match &args.server {
        Some(server) => {
            let mut source = remote(server)?;
            let locale = args.locale.clone().unwrap_or_default();
            render(&mut source, kind, slug, &locale, width)?
        }
        None => {
            let (mut source, default) = local(&args.content)?;
            let locale = args.locale.clone().unwrap_or(default);
            render(&mut source, kind, slug, &locale, width)?
        }
    };
    std::io::stdout().write_all(tessera_core::terminal_safe(&text).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn render<S: Source>(
    source: &mut S,
    kind: tessera_core::Kind,
    slug: &str,
    locale: &str,
    width: usize,
) -> anyhow::Result<String> {
    let base = source.base_url().map_err(|e| anyhow::anyhow!(e))?;
    tessera_tui::read(source, kind, slug, locale, width, &base).map_err(|e| anyhow::anyhow!(e))
}
