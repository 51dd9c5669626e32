//! `tessera transition`: how far the move from the old site has come, and
//! `--add` to list the old site's addresses (from its sitemap or a crawl)
//! in `legacy.toml`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde::Serialize;
use tessera_core::{Kind, LEGACY_FILE, LegacyRoute, LoadError, Snapshot, Timestamp, Utc, check_old_address};
use tessera_site::SiteMap;

use crate::Format;

#[derive(clap::Args)]
pub(crate) struct TransitionArgs {
    /// The content folder.
    #[arg(long, default_value = "content")]
    content: PathBuf,
    /// How to print the state of the move.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// First list, as pending in legacy.toml, the addresses of this file
    /// that the content does not know yet: an old sitemap (XML, with
    /// `lastmod` as the date) or a list of URLs, one per line. Repeatable.
    #[arg(long, value_name = "FILE")]
    add: Vec<PathBuf>,
}

/// One old address, as printed.
#[derive(Serialize)]
struct Row {
    url: String,
    path: String,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    /// Where a moved address leads, or where a retired one sends readers.
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    /// Files of pages that carry a pending address but are not public yet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    waiting: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    total: usize,
    moved: usize,
    pending: usize,
    retired: usize,
    addresses: Vec<Row>,
}

pub(crate) fn run(args: TransitionArgs) -> anyhow::Result<ExitCode> {
    let mut snapshot = load(&args.content)?;
    if !args.add.is_empty() {
        let added = add(&args.content, &snapshot, &args.add)?;
        if added > 0 {
            snapshot = load(&args.content)?;
        }
    }
    let report = report(&snapshot);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        Format::Text => print(&mut out, &snapshot, &report)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn load(content: &Path) -> anyhow::Result<Snapshot> {
    match tessera_core::load(content) {
        Ok(s) => Ok(s),
        Err(LoadError::Invalid { diagnostics }) => {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            bail!("`{}` has {errors} content error(s); `tessera check` lists them", content.display())
        }
        Err(e) => bail!(e),
    }
}

/// The move as the public sees it now: an address carried only by a page
/// still in review is pending, and the page is named as waiting.
fn report(snapshot: &Snapshot) -> Report {
    let map = SiteMap::new(snapshot.site());
    let transition = snapshot.editorial_transition(Utc::now());
    let addresses = transition
        .addresses
        .iter()
        .map(|a| {
            let (to, waiting) = match &a.route {
                LegacyRoute::Moved(page) => (Some(map.item(Kind::Page, &page.slug, &page.requested)), Vec::new()),
                LegacyRoute::Retired { instead } => {
                    (instead.as_ref().map(|p| map.item(Kind::Page, &p.slug, &p.requested)), Vec::new())
                }
                LegacyRoute::Pending { waiting } => {
                    (None, waiting.iter().map(|d| format!("{}/{}", Kind::Page.folder(), file_name(&d.path))).collect())
                }
            };
            Row {
                url: a.url.to_owned(),
                path: format!("/{}", a.path),
                state: a.state(),
                title: a.title().map(str::to_owned),
                since: a.since().map(|t| t.instant().date_naive().to_string()),
                to,
                waiting,
            }
        })
        .collect();
    Report {
        total: transition.total(),
        moved: transition.moved(),
        pending: transition.pending(),
        retired: transition.retired(),
        addresses,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn print(out: &mut impl Write, snapshot: &Snapshot, r: &Report) -> std::io::Result<()> {
    let share = |n: usize| (n * 100 + r.total / 2).checked_div(r.total).unwrap_or(0);
    writeln!(out, "{}: {} old address(es)", snapshot.site().title, r.total)?;
    writeln!(out, "  moved    {:>6}  {:>3}%", r.moved, share(r.moved))?;
    writeln!(out, "  pending  {:>6}  {:>3}%", r.pending, share(r.pending))?;
    writeln!(out, "  retired  {:>6}  {:>3}%", r.retired, share(r.retired))?;
    for (state, heading) in [("pending", "Pending, oldest first"), ("moved", "Moved"), ("retired", "Retired")] {
        let rows: Vec<&Row> = r.addresses.iter().filter(|a| a.state == state).collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n{heading}:")?;
        for a in rows {
            let date = a.since.as_deref().unwrap_or("-");
            let mut line = format!("  {date:<10}  {}", a.url);
            if let Some(title) = &a.title {
                line.push_str(&format!("  \"{title}\""));
            }
            if let Some(to) = &a.to {
                line.push_str(&format!("  -> {to}"));
            }
            if !a.waiting.is_empty() {
                line.push_str(&format!("  (waiting in review: {})", a.waiting.join(", ")));
            }
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// An address read from a sitemap or a list, with the line it is on.
struct Found {
    url: String,
    line: usize,
    since: Option<Timestamp>,
}

/// Adds the unknown addresses of `files` to `legacy.toml` as pending, and
/// says what it did; returns how many it added.
fn add(content: &Path, snapshot: &Snapshot, files: &[PathBuf]) -> anyhow::Result<usize> {
    let transition = snapshot.editorial_transition(Utc::now());
    let mut known: HashSet<String> = transition.addresses.iter().map(|a| a.path.to_owned()).collect();
    let today = Timestamp::from_instant(Utc::now());
    let mut entries = String::new();
    let mut added = 0;
    for file in files {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read `{}`", file.display()))?;
        let found = if text.trim_start_matches('\u{feff}').trim_start().starts_with('<') {
            sitemap(&text).with_context(|| format!("`{}` is not a sitemap", file.display()))?
        } else {
            list(&text)
        };
        let (mut new, mut refused) = (0, 0);
        for f in found {
            match check_old_address(&f.url) {
                Ok(path) if !known.contains(&path) => {
                    known.insert(path);
                    let since = f.since.as_ref().unwrap_or(&today).instant().date_naive();
                    entries.push_str(&format!("\n[[addresses]]\nurl = \"{}\"\nsince = {since}\n", f.url));
                    new += 1;
                }
                Ok(_) => {}
                Err(why) => {
                    eprintln!("{}:{}: skipped `{}`: it {why}", file.display(), f.line, f.url);
                    refused += 1;
                }
            }
        }
        eprintln!("{}: {new} new address(es) listed as pending, {refused} skipped", file.display());
        added += new;
    }
    if added == 0 {
        return Ok(0);
    }
    let path = content.join(LEGACY_FILE);
    let mut text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::from(
            "#:schema ../schema/content.schema.json\n# Every address of the old site: pending until a page carries it in\n# `legacy_urls`, or retired on purpose. `tessera transition` shows the state.\n",
        ),
        Err(e) => bail!("cannot read `{}`: {e}", path.display()),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&entries);
    crate::write_atomically(&path, text.as_bytes())?;
    eprintln!("added {added} address(es) to {}", path.display());
    Ok(added)
}

/// The `<loc>` and `<lastmod>` of each `<url>` of a sitemap.
fn sitemap(text: &str) -> anyhow::Result<Vec<Found>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = Vec::new();
    // The text of the element being read, so far (the reader hands text
    // and entity references over separately).
    let mut value = String::new();
    let (mut loc, mut lastmod): (Option<String>, Option<String>) = (None, None);
    loop {
        let position = reader.buffer_position();
        match reader.read_event() {
            Err(e) => bail!("at byte {position}: {e}"),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                match e.local_name().as_ref() {
                    b"sitemapindex" => bail!("it is a sitemap index: pass each sitemap it lists"),
                    b"url" => (loc, lastmod) = (None, None),
                    _ => {}
                }
                value.clear();
            }
            Ok(Event::Text(t)) => value.push_str(&t.decode().unwrap_or_default()),
            Ok(Event::GeneralRef(r)) => {
                let name = r.decode().unwrap_or_default();
                match r.resolve_char_ref() {
                    Ok(Some(c)) => value.push(c),
                    _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => value.push_str(s),
                        None => bail!("at byte {position}: unknown entity `&{name};`"),
                    },
                }
            }
            Ok(Event::End(e)) => {
                match e.local_name().as_ref() {
                    b"loc" => loc = Some(value.trim().to_owned()),
                    b"lastmod" => lastmod = Some(value.trim().to_owned()),
                    b"url" => {
                        if let Some(url) = loc.take() {
                            let line = text.get(..position as usize).unwrap_or(text).matches('\n').count() + 1;
                            let since = lastmod.take().and_then(|d| Timestamp::parse(&d).ok());
                            out.push(Found { url, line, since });
                        }
                    }
                    _ => {}
                }
                value.clear();
            }
            Ok(_) => {}
        }
    }
    Ok(out)
}

/// One address per line; blank lines and `#` comments are skipped.
fn list(text: &str) -> Vec<Found> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(line, l)| Found { url: l.to_owned(), line, since: None })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::legacy_path;

    #[test]
    fn sitemaps_give_addresses_and_dates() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://old.example.org/a.html?x=1&amp;y=2</loc><lastmod>2011-04-02</lastmod></url>
  <url>
    <loc> https://old.example.org/b/ </loc>
  </url>
</urlset>"#;
        let found = sitemap(xml).unwrap_or_else(|e| panic!("{e}"));
        let urls: Vec<&str> = found.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(urls, ["https://old.example.org/a.html?x=1&y=2", "https://old.example.org/b/"]);
        assert_eq!(
            found[0].since.as_ref().map(|t| t.instant().date_naive().to_string()).as_deref(),
            Some("2011-04-02")
        );
        assert!(found[1].since.is_none());
        assert_eq!(found[1].line, 6);
        assert!(sitemap("<sitemapindex><sitemap><loc>x</loc></sitemap></sitemapindex>").is_err());
        assert!(sitemap("<urlset><url><loc>x</loc></urlset>").is_err(), "mismatched tags are an error");
    }

    #[test]
    fn lists_skip_comments_and_blank_lines() {
        let found = list("# crawl of 2012\n\n/a.html\n  https://x.org/b  \n");
        let got: Vec<(usize, &str)> = found.iter().map(|f| (f.line, f.url.as_str())).collect();
        assert_eq!(got, [(3, "/a.html"), (4, "https://x.org/b")]);
        assert_eq!(legacy_path("https://x.org/b").as_deref(), Some("b"));
    }
}
