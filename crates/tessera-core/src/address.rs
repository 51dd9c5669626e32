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

#[cfg(test)]
mod tests {
    use super::legacy_path;

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
