//! GraphiQL, served by the binary itself: pinned files embedded at build
//! time, each loaded with its Subresource Integrity hash, so the explorer
//! works offline and on networks where a CDN is slow or blocked, and loads
//! nothing but what this build ships.
//!
//! The files are GraphiQL 3.8.3 and React 18.3.1 as published on npm
//! (`assets/graphiql/`, with their licences); a version is part of each
//! file name, so the files can be cached for good.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha384};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset {
        name: "react-18.3.1.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/react-18.3.1.production.min.js"),
    },
    Asset {
        name: "react-dom-18.3.1.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/react-dom-18.3.1.production.min.js"),
    },
    Asset {
        name: "graphiql-3.8.3.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/graphiql-3.8.3.min.js"),
    },
    Asset {
        name: "graphiql-3.8.3.min.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/graphiql-3.8.3.min.css"),
    },
];

/// Where the files are served.
pub const ASSET_PREFIX: &str = "/graphiql/assets/";

/// The `integrity` attribute value of some bytes: `sha384-<base64>`.
pub fn integrity(bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes)))
}

/// The page, written once: the stylesheet, React, React DOM and GraphiQL,
/// each with its hash, then a few lines that start GraphiQL on `/graphql`.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let tag = |a: &Asset| {
        let (src, hash) = (format!("{ASSET_PREFIX}{}", a.name), integrity(a.bytes));
        if a.name.ends_with(".css") {
            format!("<link rel=\"stylesheet\" href=\"{src}\" integrity=\"{hash}\">")
        } else {
            format!("<script src=\"{src}\" integrity=\"{hash}\"></script>")
        }
    };
    let tags: Vec<String> = ASSETS.iter().map(tag).collect();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Tessera GraphQL explorer</title>\n<style>html,body,#graphiql{{height:100%;margin:0}}</style>\n{}\n</head>\n<body>\n<div id=\"graphiql\">Loading the explorer…</div>\n{}\n<script>\nReactDOM.createRoot(document.getElementById('graphiql')).render(\n  React.createElement(GraphiQL, {{ fetcher: GraphiQL.createFetcher({{ url: '/graphql' }}), defaultEditorToolsVisibility: true }})\n);\n</script>\n</body>\n</html>\n",
        tags[3],
        tags[..3].join("\n")
    )
});

/// `GET /graphiql`.
pub async fn page() -> Html<&'static str> {
    Html(PAGE.as_str())
}

/// `GET /graphiql/assets/{name}`: an embedded file, cached for a year (its
/// name changes with its version).
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => (
            [(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")],
            a.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such explorer file\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_embedded_files_each_with_its_hash() {
        let page = PAGE.as_str();
        for a in &ASSETS {
            let expected = format!("{ASSET_PREFIX}{}\" integrity=\"{}\"", a.name, integrity(a.bytes));
            assert!(page.contains(&expected), "{}", a.name);
        }
        // Nothing from elsewhere: no scheme, no protocol-relative address.
        assert!(!page.contains("http:") && !page.contains("https:") && !page.contains("\"//"), "{page}");
    }

    #[test]
    fn integrity_is_sha384_in_base64() {
        // The SRI example value of the empty input.
        assert_eq!(integrity(b""), "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb");
    }
}
