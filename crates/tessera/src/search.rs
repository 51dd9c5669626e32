//! `tessera search`: the site's search from the command line.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use tessera_core::{Kind, LoadError, Locale};
use tessera_search::{Audience, SearchError, SearchIndex, SearchRequest};

use crate::Format;

pub(crate) struct Options {
    pub(crate) query: String,
    pub(crate) locale: Option<String>,
    pub(crate) kinds: Vec<String>,
    pub(crate) limit: usize,
    pub(crate) preview: bool,
    pub(crate) format: Format,
}

pub(crate) fn run(content: &Path, options: Options) -> anyhow::Result<ExitCode> {
    let snapshot = match crate::load_kept(content) {
        Ok(s) => s,
        Err(LoadError::Invalid { diagnostics }) => {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            anyhow::bail!("`{}` has {errors} content error(s); `tessera check` lists them", content.display());
        }
        Err(e) => anyhow::bail!(e),
    };
    let locale = match options.locale {
        Some(tag) => Locale::parse(&tag).map_err(|e| anyhow::anyhow!("--locale: {e}"))?,
        None => snapshot.site().default_locale.clone(),
    };
    let locales: Vec<&str> = snapshot.site().locales.iter().map(|l| l.code.as_str()).collect();
    if !locales.contains(&locale.as_str()) {
        anyhow::bail!("--locale `{locale}` is not one of the site's locales ({})", locales.join(", "));
    }
    let mut request = SearchRequest::new(options.query, locale);
    request.limit = options.limit;
    for k in &options.kinds {
        let kind = match k.parse::<Kind>() {
            Ok(kind) if Kind::WITH_PAGES.contains(&kind) => kind,
            _ => anyhow::bail!("--kind `{k}`: use page, measure, partner or story"),
        };
        request.kinds.push(kind);
    }
    let audience = if options.preview { Audience::Preview } else { Audience::Public };
    // Kept in the cache folder, so that the next search of the same
    // content does not build it again; in memory if that cannot be.
    let now = chrono::Utc::now();
    let kept = crate::cache_dir().map(|dir| dir.join("search"));
    let index = match SearchIndex::build(&snapshot, audience, now, kept.as_deref()) {
        Ok((index, _)) => index,
        Err(SearchError::Cache { .. }) => SearchIndex::build(&snapshot, audience, now, None)?.0,
        Err(e) => return Err(e.into()),
    };
    let results = match index.search(&request) {
        Ok(r) => r,
        Err(e @ (SearchError::EmptyQuery | SearchError::QueryTooLong { .. })) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = std::io::stdout().lock();
    match options.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&results)?)?,
        Format::Text => {
            for (i, hit) in results.hits.iter().enumerate() {
                let fallback =
                    if hit.locale != request.locale.as_str() { format!(" [{}]", hit.locale) } else { String::new() };
                // Titles and snippets are content: never an escape
                // sequence they may hold.
                let safe = tessera_core::terminal_safe;
                writeln!(out, "{}. {} ({}){fallback}", i + 1, safe(&hit.title), hit.kind)?;
                writeln!(out, "   @/{}/{}.md", hit.kind.folder(), hit.slug)?;
                writeln!(out, "   {}", safe(&hit.snippet.marked("[", "]", str::to_owned)))?;
            }
            let facets: Vec<String> = results.facets.kinds.iter().map(|f| format!("{} {}", f.count, f.value)).collect();
            writeln!(
                out,
                "{} result(s){}",
                results.total,
                if facets.is_empty() { String::new() } else { format!(": {}", facets.join(", ")) }
            )?;
            for suggestion in &results.suggestions {
                writeln!(out, "Did you mean: {}?", tessera_core::terminal_safe(suggestion))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
