//! Incoming push webhooks: right, wrong and missing, for every forge.

use http::{HeaderMap, HeaderName, HeaderValue};
use tessera_notify::ConfigError;
use tessera_notify::incoming::{Provider, Rejection, read_secret, verify};

// The example in GitHub's "Validating webhook deliveries", checked with
// `printf 'Hello, World!' | openssl dgst -sha256 -hmac "It's a Secret to Everybody"`.
const SECRET: &[u8] = b"It's a Secret to Everybody";
const BODY: &[u8] = b"Hello, World!";
const HEX: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
/// HEX with its last digit changed.
const WRONG_HEX: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18";

fn headers(name: &'static str, value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(HeaderName::from_static(name), HeaderValue::from_str(value).unwrap());
    headers.insert(HeaderName::from_static("content-type"), HeaderValue::from_static("application/json"));
    headers
}

#[test]
fn github_signatures_are_checked() {
    let signed = headers("x-hub-signature-256", &format!("sha256={HEX}"));
    assert_eq!(verify(&signed, BODY, SECRET), Ok(Provider::GitHub));
    assert_eq!(verify(&signed, b"Hello, World?", SECRET), Err(Rejection::BadSignature));
    assert_eq!(verify(&signed, BODY, b"It's a Secret to Everybody!"), Err(Rejection::BadSignature));
    let upper = headers("x-hub-signature-256", &format!("sha256={}", HEX.to_uppercase()));
    assert_eq!(verify(&upper, BODY, SECRET), Ok(Provider::GitHub));
    for wrong in
        [format!("sha256={WRONG_HEX}"), HEX.to_owned(), format!("sha1={HEX}"), "sha256=zz".into(), "sha256=".into()]
    {
        assert_eq!(
            verify(&headers("x-hub-signature-256", &wrong), BODY, SECRET),
            Err(Rejection::BadSignature),
            "{wrong}"
        );
    }
}

#[test]
fn gitea_and_forgejo_signatures_are_bare_hex() {
    for name in ["x-gitea-signature", "x-forgejo-signature"] {
        assert_eq!(verify(&headers(name, HEX), BODY, SECRET), Ok(Provider::Gitea), "{name}");
        assert_eq!(verify(&headers(name, WRONG_HEX), BODY, SECRET), Err(Rejection::BadSignature), "{name}");
        assert_eq!(verify(&headers(name, &format!("sha256={HEX}")), BODY, SECRET), Err(Rejection::BadSignature));
        assert_eq!(verify(&headers(name, &HEX[..62]), BODY, SECRET), Err(Rejection::BadSignature));
    }
}

#[test]
fn gitlab_tokens_must_equal_the_secret() {
    let secret = "It's a Secret to Everybody";
    assert_eq!(verify(&headers("x-gitlab-token", secret), BODY, SECRET), Ok(Provider::GitLab));
    for wrong in ["It's a Secret to Everybod", "It's a Secret to Everybody!", "it's a secret to everybody", ""] {
        assert_eq!(verify(&headers("x-gitlab-token", wrong), BODY, SECRET), Err(Rejection::BadSignature), "{wrong}");
    }
}

#[test]
fn a_request_without_any_signature_is_unsigned() {
    assert_eq!(verify(&HeaderMap::new(), BODY, SECRET), Err(Rejection::Unsigned));
    assert_eq!(verify(&headers("x-hub-signature", "sha1=abc"), BODY, SECRET), Err(Rejection::Unsigned));
}

#[test]
fn a_wrong_signature_is_not_rescued_by_another_header() {
    let mut both = headers("x-hub-signature-256", &format!("sha256={WRONG_HEX}"));
    both.insert("x-gitlab-token", HeaderValue::from_static("It's a Secret to Everybody"));
    assert_eq!(verify(&both, BODY, SECRET), Err(Rejection::BadSignature));
}

#[test]
fn the_secret_file_loses_one_trailing_newline_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("push.secret");
    std::fs::write(&path, "a-long-enough-secret\n").unwrap();
    assert_eq!(read_secret(&path).unwrap(), b"a-long-enough-secret");
    std::fs::write(&path, "a-long-enough-secret \r\n").unwrap();
    assert_eq!(read_secret(&path).unwrap(), b"a-long-enough-secret ");
    std::fs::write(&path, "a-long-enough-secret").unwrap();
    assert_eq!(read_secret(&path).unwrap(), b"a-long-enough-secret");
    for (contents, expected) in [("", "empty"), ("\n", "empty"), ("shorty-secret\n", "at least 16")] {
        std::fs::write(&path, contents).unwrap();
        let error = read_secret(&path).unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, ConfigError::Secret { .. }), "{error:?}");
        assert!(text.contains("push.secret") && text.contains(expected), "{text}");
        assert!(!text.contains("shorty"), "the secret leaked: {text}");
    }
}
