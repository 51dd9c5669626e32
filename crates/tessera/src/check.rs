//! `tessera check`: diagnostics printed like a compiler's.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use tessera_core::{Diagnostic, LoadError, Severity};

use crate::Format;

pub(crate) fn run(dir: &Path, format: Format) -> anyhow::Result<ExitCode> {
    let (diagnostics, files) = match tessera_core::load(dir) {
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
            for d in &diagnostics {
                write!(out, "{}", render(dir, d))?;
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

/// Most characters of a source line shown under a diagnostic.
const WINDOW: usize = 100;

/// Renders one diagnostic the way rustc does: the message, the place, the
/// offending line with a caret under the spot, then the help.
pub(crate) fn render(root: &Path, d: &Diagnostic) -> String {
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut s = format!("{severity}: {}\n", d.message);
    let shown = root.join(&d.path);
    if d.line == 0 {
        s.push_str(&format!("  --> {}\n", shown.display()));
    } else {
        s.push_str(&format!("  --> {}:{}:{}\n", shown.display(), d.line, d.column));
        if let Some(line) = source_line(&shown, d.line) {
            let number = d.line.to_string();
            let pad = " ".repeat(number.len());
            // A window of the line around the column: a generated or
            // hostile file can have a line of megabytes.
            let chars: Vec<char> = line.chars().collect();
            let column = (d.column.saturating_sub(1) as usize).min(chars.len());
            let start = if chars.len() <= WINDOW { 0 } else { column.saturating_sub(WINDOW / 2) };
            let end = (start + WINDOW).min(chars.len());
            let mut shown: String = if start > 0 { "…".to_owned() } else { String::new() };
            shown.extend(&chars[start..end]);
            if end < chars.len() {
                shown.push('…');
            }
            let mut indent: String = if start > 0 { " ".to_owned() } else { String::new() };
            indent.extend(chars[start..column].iter().map(|&c| if c == '\t' { '\t' } else { ' ' }));
            let rest: String = chars[column..].iter().collect();
            let width = token_width(&rest).min(end.saturating_sub(column)).max(1);
            s.push_str(&format!("{pad} |\n{number} | {shown}\n{pad} | {indent}{}\n", "^".repeat(width)));
        }
    }
    if let Some(help) = &d.help {
        s.push_str(&format!("  = help: {help}\n"));
    }
    s.push('\n');
    s
}

/// How many characters the token at the start of `rest` spans: a quoted
/// string, or a run of non-space characters; at least one.
fn token_width(rest: &str) -> usize {
    let mut chars = rest.chars();
    match chars.next() {
        Some('"') => {
            let mut n = 1;
            let mut escaped = false;
            for c in chars {
                n += 1;
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => return n,
                    _ => escaped = false,
                }
            }
            n
        }
        Some(_) => rest.chars().take_while(|c| !c.is_whitespace() && *c != ',').count().max(1),
        None => 1,
    }
}

fn source_line(path: &Path, line: u32) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let l = text.lines().nth(line.checked_sub(1)? as usize)?;
    Some(l.trim_start_matches('\u{feff}').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_column() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("f.md"), format!("{}X{}\n", "a".repeat(5000), "b".repeat(5000)))
            .unwrap_or_else(|e| panic!("{e}"));
        let d = Diagnostic::error("f.md", (1, 5001), "here");
        let shown = render(dir.path(), &d);
        assert!(shown.lines().all(|l| l.chars().count() < 200), "{shown}");
        let line = shown.lines().find(|l| l.starts_with("1 | ")).unwrap_or_default();
        let caret = shown.lines().find(|l| l.contains('^')).unwrap_or_default();
        assert_eq!(line.chars().nth(caret.find('^').unwrap_or(0)), Some('X'), "{shown}");
    }

    #[test]
    fn tokens_are_quoted_strings_or_words() {
        assert_eq!(token_width("\"its-about\", \"x\""), 11);
        assert_eq!(token_width("titel = 1"), 5);
        assert_eq!(token_width(""), 1);
        assert_eq!(token_width("\"a\\\"b\" x"), 6);
    }
}
