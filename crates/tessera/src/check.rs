//! `tessera check`: diagnostics printed like a compiler's.

use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use annotate_snippets::{AnnotationKind, Level, Origin, Snippet, normalize_untrusted_str};
use tessera_core::{Diagnostic, LoadError, Severity};

use crate::Format;

pub(crate) fn run(dir: &Path, format: Format) -> anyhow::Result<ExitCode> {
    let (diagnostics, files) = match crate::load_kept(dir) {
        Ok(snapshot) => {
            let files = count_files(&snapshot);
            let warnings = snapshot.warnings().to_vec();
            // The process ends right after printing: freeing a large snapshot
            // piece by piece would only delay the exit.
            std::mem::forget(snapshot);
            (warnings, files)
        }
        Err(LoadError::Invalid { diagnostics }) => (diagnostics, None),
        Err(e @ LoadError::Root { .. }) => {
            if let Format::Json = format {
                let json = serde_json::json!({ "error": e.to_string() });
                println!("{json}");
            }
            anyhow::bail!(e);
        }
    };
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let json = serde_json::json!({
                "errors": errors,
                "warnings": warnings,
                "diagnostics": diagnostics,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        Format::Text => {
            let mut renderer = Renderer::new(dir);
            for d in &diagnostics {
                // A line of a content file is shown as it is written, but
                // never an escape sequence it may hold.
                write!(out, "{}", tessera_core::terminal_safe(&renderer.render(d)))?;
            }
            let files = files.map(|n| format!("{n} files, ")).unwrap_or_default();
            writeln!(
                out,
                "{}: {files}{errors} error{}, {warnings} warning{}",
                dir.display(),
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            )?;
        }
    }
    Ok(if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn count_files(snapshot: &tessera_core::Snapshot) -> Option<usize> {
    use tessera_core::{Measure, Media, Page, Partner, Story};
    Some(
        2 + snapshot.collection::<Page>().all().len()
            + snapshot.collection::<Measure>().all().len()
            + snapshot.collection::<Partner>().all().len()
            + snapshot.collection::<Story>().all().len()
            + snapshot.collection::<Media>().all().len(),
    )
}

/// Renders diagnostics the way rustc does, with annotate-snippets: the
/// message, the place, the lines of the file the diagnostic's span covers
/// with carets under it, then the help.
///
/// Each file is read once, whatever the number of its diagnostics, and only
/// when a diagnostic has a span to show. The span is what the loader
/// recorded, a range of the text it parsed; the file is only read again
/// here because the loader does not hand its text over.
pub(crate) struct Renderer<'a> {
    root: &'a Path,
    /// Texts read so far, `None` for a file that could not be read again.
    texts: HashMap<PathBuf, Option<String>>,
}

impl<'a> Renderer<'a> {
    pub(crate) fn new(root: &'a Path) -> Renderer<'a> {
        Renderer { root, texts: HashMap::new() }
    }

    pub(crate) fn render(&mut self, d: &Diagnostic) -> String {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let shown = self.root.join(&d.path).display().to_string();
        let root = self.root;
        let text = match &d.span {
            Some(_) => self.texts.entry(d.path.clone()).or_insert_with(|| read_again(&root.join(&d.path))).as_deref(),
            None => None,
        };
        let title = level.primary_title(d.message.as_str());
        let group = match text.zip(d.span.clone()).and_then(|(text, span)| lines_around(text, span)) {
            Some((lines, first_line, span)) => title.element(
                Snippet::source(lines)
                    .line_start(first_line)
                    .path(shown)
                    .annotation(AnnotationKind::Primary.span(span)),
            ),
            None if d.line > 0 => {
                title.element(Origin::path(shown).line(d.line as usize).char_column(d.column as usize))
            }
            None => title.element(Origin::path(shown)),
        };
        let group = match &d.help {
            // Help is written from file contents (a slug, a value): it is
            // cleaned of control characters like the message is.
            Some(help) => group.element(Level::HELP.message(normalize_untrusted_str(help))),
            None => group,
        };
        let mut out = annotate_snippets::Renderer::plain().render(&[group]);
        out.push_str("\n\n");
        out
    }
}

/// Reads a content file again, as the loader read it: without a
/// byte-order mark, and only if it is still a regular file of a size the
/// loader accepts.
fn read_again(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > tessera_core::MAX_FILE_SIZE {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned())
}

/// The whole lines of `text` that `span` touches, the 1-based number of the
/// first, and `span` as a range of those lines; `None` when the span does
/// not fit the text (the file changed since it was loaded).
fn lines_around(text: &str, span: Range<usize>) -> Option<(&str, usize, Range<usize>)> {
    text.get(span.clone())?;
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[span.end..].find('\n').map_or(text.len(), |i| span.end + i);
    let first_line = text[..start].matches('\n').count() + 1;
    Some((&text[start..end], first_line, span.start - start..span.end - start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_span() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("f.md"), format!("{}X{}\n", "a".repeat(5000), "b".repeat(5000)))
            .unwrap_or_else(|e| panic!("{e}"));
        let d = Diagnostic::error_at("f.md", &format!("{}X", "a".repeat(5000)), 5000..5001, "here");
        let shown = Renderer::new(dir.path()).render(&d);
        assert!(shown.lines().all(|l| l.chars().count() < 200), "{shown}");
        let line = shown.lines().find(|l| l.starts_with("1 |")).unwrap_or_default();
        let caret = shown.lines().find(|l| l.contains('^')).unwrap_or_default();
        assert_eq!(caret.matches('^').count(), 1, "{shown}");
        assert_eq!(line.chars().nth(caret.find('^').unwrap_or(0)), Some('X'), "{shown}");
    }

    #[test]
    fn a_span_that_no_longer_fits_the_file_shows_the_place_only() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("f.md"), "é\n").unwrap_or_else(|e| panic!("{e}"));
        let mut d = Diagnostic::error("f.md", (1, 2), "here");
        for span in [1..2, 0..40] {
            d.span = Some(span);
            let shown = Renderer::new(dir.path()).render(&d);
            assert!(shown.contains("f.md:1:2") && !shown.contains('^'), "{shown}");
        }
    }
}
