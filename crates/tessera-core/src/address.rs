//! Old addresses, as the legacy site wrote them.

/// The path an old address stands for, without its scheme, host, query,
/// fragment or leading `/`: `https://www.unicef.org/disabilities/index_65711.html`
/// and `/disabilities/index_65711.html?x=1` are both
/// `disabilities/index_65711.html`. `None` for an address with no path
/// (a bare host) or one that climbs out with `..`. Redirect outputs and
/// lookups by old address compare these, so any form of an old address
/// finds its page.
pub fn legacy_path(url: &str) -> Option<String> {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("").trim_start_matches('/');
    (!path.is_empty() && !path.split('/').any(|s| s == "..")).then(|| path.to_owned())
}

/// Why a written old address is refused: [`check_old_address`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadOldAddress {
    /// Not a path or an http(s) URL, or it holds characters a URL may not.
    NotAUrl,
    /// A bare host, or a path that climbs out with `..`.
    NoPath,
}

impl std::fmt::Display for BadOldAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BadOldAddress::NotAUrl => "is not a path or an http(s) URL made only of URL characters",
            BadOldAddress::NoPath => "names no page: it has no path, or climbs out with `..`",
        })
    }
}

/// The path of an old address as an editor wrote it (in `legacy_urls`,
/// `legacy.toml` or an old sitemap), or why it is refused. Only characters
/// a URL may hold are accepted (RFC 3986, `%` escapes included, no `'`):
/// old addresses end up in redirect files and server configuration, where
/// a quote, a space or a brace would be read as syntax.
pub fn check_old_address(url: &str) -> Result<String, BadOldAddress> {
    let ok = (url.starts_with('/') || url.starts_with("https://") || url.starts_with("http://"))
        && url.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&()*+,;=%".contains(&b));
    if !ok {
        return Err(BadOldAddress::NotAUrl);
    }
    legacy_path(url).ok_or(BadOldAddress::NoPath)
}

#[cfg(test)]
mod tests {
    use super::{BadOldAddress, check_old_address, legacy_path};

    #[test]
    fn written_old_addresses_are_checked() {
        assert_eq!(check_old_address("/old/a.html?x=1"), Ok("old/a.html".into()));
        assert_eq!(check_old_address("https://old.example.org/b/"), Ok("b/".into()));
        for bad in ["old/a.html", "ftp://x/a", "/a b.html", "/a'b", "/a\"b", "/a{b}", "/é.html", "javascript:alert(1)"]
        {
            assert_eq!(check_old_address(bad), Err(BadOldAddress::NotAUrl), "{bad}");
        }
        for bad in ["https://old.example.org", "https://old.example.org/", "/", "/a/../../x"] {
            assert_eq!(check_old_address(bad), Err(BadOldAddress::NoPath), "{bad}");
        }
    }

    #[test]
    fn old_addresses_in_any_form_name_the_same_path() {
        let want = Some("disabilities/index_65711.html".to_owned());
        for url in [
            "https://www.unicef.org/disabilities/index_65711.html",
            "http://unicef.org/disabilities/index_65711.html?print=1",
            "/disabilities/index_65711.html#top",
            "disabilities/index_65711.html",
        ] {
            assert_eq!(legacy_path(url), want, "{url}");
        }
        assert_eq!(legacy_path("https://old.example.org"), None);
        assert_eq!(legacy_path("https://old.example.org/"), None);
        assert_eq!(legacy_path("/a/../../etc/passwd"), None);
    }
}
