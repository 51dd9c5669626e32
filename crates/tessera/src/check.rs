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
            let before: String = line.chars().take(d.column.saturating_sub(1) as usize).collect();
            let indent: String = before.chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            let rest: String = line.chars().skip(d.column.saturating_sub(1) as usize).collect();
            s.push_str(&format!("{pad} |\n{number} | {line}\n{pad} | {indent}{}\n", "^".repeat(token_width(&rest))));
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
    fn tokens_are_quoted_strings_or_words() {
        assert_eq!(token_width("\"its-about\", \"x\""), 11);
        assert_eq!(token_width("titel = 1"), 5);
        assert_eq!(token_width(""), 1);
        assert_eq!(token_width("\"a\\\"b\" x"), 6);
    }
}
