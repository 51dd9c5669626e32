//! The internal link check: every `href` and `src` on a page that stays on
//! the site must name a file of the output, whether written from the site's
//! root (`/pages/x/`) or relative to the page (`../x/index.html`).

use std::collections::BTreeSet;

use rayon::prelude::*;

use crate::pages::Rendered;
use crate::{ExportError, Output};

/// Checks the links of `pages` against the pages and `out`.
pub(crate) fn check(pages: &[Rendered], out: &Output) -> Result<(), ExportError> {
    let mut files: BTreeSet<&str> = pages.iter().map(|p| p.path.as_str()).collect();
    files.extend(out.keys().map(String::as_str));
    pages.par_iter().try_for_each(|page| {
        for attr in ["href=\"", "src=\""] {
            let mut rest = page.html.as_str();
            while let Some(i) = rest.find(attr) {
                rest = &rest[i + attr.len()..];
                let end = rest.find('"').unwrap_or(rest.len());
                let href = &rest[..end];
                let known = match target(&page.path, href) {
                    Target::Elsewhere => true,
                    Target::File(file) => files.contains(file.as_str()),
                    Target::OutsideTheSite => false,
                };
                if !known {
                    return Err(ExportError::BrokenLink {
                        output: page.path.clone(),
                        source_file: page.source.clone(),
                        href: href.to_owned(),
                    });
                }
            }
        }
        Ok(())
    })
}

/// Where a link leads.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// Another site, a fragment of the same page, an e-mail address.
    Elsewhere,
    /// A file of the output.
    File(String),
    /// Above the output's root.
    OutsideTheSite,
}

/// Where `href`, on the page in the output file `page`, leads.
fn target(page: &str, href: &str) -> Target {
    let has_scheme =
        href.split_once(':').is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains(['/', '?', '#']));
    if href.is_empty() || href.starts_with('#') || href.starts_with("//") || has_scheme {
        return Target::Elsewhere;
    }
    let path = href.split(['#', '?']).next().unwrap_or("");
    let mut parts: Vec<&str> = Vec::new();
    if !path.starts_with('/') {
        parts.extend(page.split('/'));
        parts.pop();
    }
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Target::OutsideTheSite;
                }
            }
            p => parts.push(p),
        }
    }
    // A folder's address names its index.
    let folder = path.is_empty() || path.ends_with('/') || matches!(path.rsplit('/').next(), Some("." | ".."));
    if folder {
        parts.push("index.html");
    }
    Target::File(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str, html: &str) -> Rendered {
        Rendered { path: path.into(), html: html.into(), source: "pages/a.md".into() }
    }

    #[test]
    fn a_link_to_a_missing_file_fails_naming_the_output_and_its_source() {
        let pages = vec![
            page("index.html", "<a href=\"/pages/a/\">a</a> <a href=\"/style.css\">css</a>"),
            page("pages/a/index.html", "<a href=\"/pages/a/#top\">self</a> <img src=\"/missing.png\" alt=\"\">"),
        ];
        let mut out = Output::new();
        out.insert("style.css".into(), Vec::new());
        let err = check(&pages, &out).map(|_| ()).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(err, "broken link in pages/a/index.html (from pages/a.md): /missing.png");
        let fixed = vec![
            page("index.html", "<a href=\"/pages/a/\">a</a> <a href=\"https://elsewhere.example/x\">x</a>"),
            page(
                "pages/a/index.html",
                "<a href=\"/\">home</a> <a href=\"#top\">top</a> <a href=\"mailto:a@b.c\">m</a>",
            ),
        ];
        assert!(check(&fixed, &Output::new()).is_ok());
    }

    #[test]
    fn relative_links_are_read_from_the_page_folder() {
        let pages = vec![
            page("index.html", "<a href=\"pages/a/index.html\">a</a> <a href=\"style.css\">css</a>"),
            page("pages/a/index.html", "<a href=\"../../index.html#x\">home</a> <a href=\"../b/\">b</a>"),
            page("pages/b/index.html", "<a href=\"./\">self</a> <a href=\"..\">pages</a>"),
            page("pages/index.html", ""),
        ];
        let mut out = Output::new();
        out.insert("style.css".into(), Vec::new());
        assert!(check(&pages, &out).is_ok());
        let broken = vec![page("pages/a/index.html", "<a href=\"../../../index.html\">above</a>")];
        assert!(check(&broken, &out).is_err());
        assert_eq!(target("pages/a/index.html", "../c/"), Target::File("pages/c/index.html".into()));
        assert_eq!(target("pages/a/index.html", "/"), Target::File("index.html".into()));
        assert_eq!(target("a.html", "//cdn.example/x.js"), Target::Elsewhere);
        assert_eq!(target("a.html", "tel:+1"), Target::Elsewhere);
    }
}
