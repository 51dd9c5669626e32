//! Every interpolation in every HTML page is escaped: a site whose every
//! field holds markup renders none of it.

use super::*;

/// Markup and both quotes, as an editor might paste them.
const HOSTILE: &str = r#"<script>"&'"#;

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn hostile_site(dir: &Path) -> Snapshot {
    let h = toml_string(HOSTILE);
    let files = [
        (
            "site.toml",
            format!(
                "title = {h}\nbase_url = \"https://hostile.invalid/\"\ndefault_locale = \"en\"\ntransition_notice = {h}\n\n[[locales]]\ncode = \"en\"\nname = {h}\n"
            ),
        ),
        ("topics.toml", format!("[[topics]]\nslug = \"t\"\nname = {h}\n")),
        (
            "media/photo.toml",
            format!(
                "kind = \"image\"\nsrc = \"https://hostile.invalid/a.jpg?x=1&y=2\"\nalt = {h}\ncaption = {h}\ncredit = {h}\n"
            ),
        ),
        ("media/film.toml", format!("kind = \"video\"\nalt = {h}\ncaption = {h}\ncredit = {h}\n")),
        (
            "pages/p.md",
            format!(
                "+++\ntitle = {h}\nsummary = {h}\nfrom_the_field = [\"s\"]\npartners = [\"o\"]\ntopics = [\"t\"]\nlegacy_urls = [\"/old/p.html\"]\nstatus = \"published\"\n\n[hero]\nmedia = \"photo\"\ncaption = {h}\n+++\nText [a link](@/stories/s.md \"{}\").\n",
                HOSTILE.replace('"', "\\\"")
            ),
        ),
        (
            "stories/s.md",
            format!(
                "+++\ntitle = {h}\nsummary = {h}\nmedia = [\"photo\", \"film\"]\ndate = 2020-01-02\ntopics = [\"t\"]\nstatus = \"published\"\n+++\nThe story.\n"
            ),
        ),
        (
            "partners/o.md",
            format!(
                "+++\nname = {h}\nkind = \"parents-organisation\"\nwebsite = \"https://hostile.invalid/?q=<script>&x='\\\"\"\ntopics = [\"t\"]\nstatus = \"published\"\n+++\nAbout.\n"
            ),
        ),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    }
    load(dir).unwrap_or_else(|e| panic!("{e:?}"))
}

/// The attributes of every tag in `html`, checked to be `name="value"`
/// pairs (or bare names) with nothing left over: a quote that escaped
/// its value would leave a stray piece behind.
fn assert_attributes_are_whole(path: &str, html: &str) {
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with(['/', '!', '?']) {
            continue;
        }
        let end = rest.find('>').unwrap_or_else(|| panic!("{path}: an unclosed tag"));
        let tag = rest[..end].trim_end_matches('/');
        let name_end = tag.find(' ').unwrap_or(tag.len());
        let mut attrs = tag[name_end..].trim_start();
        while !attrs.is_empty() {
            let name_len =
                attrs.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':')).unwrap_or(attrs.len());
            assert!(name_len > 0, "{path}: stray text in <{tag}>");
            attrs = &attrs[name_len..];
            if let Some(value) = attrs.strip_prefix("=\"") {
                let close = value.find('"').unwrap_or_else(|| panic!("{path}: unclosed value in <{tag}>"));
                assert!(!value[..close].contains('<'), "{path}: raw < in <{tag}>");
                attrs = &value[close + 1..];
            }
            assert!(attrs.is_empty() || attrs.starts_with(' '), "{path}: an attribute runs into the next in <{tag}>");
            attrs = attrs.trim_start();
        }
        rest = &rest[end..];
    }
}

#[test]
fn every_interpolation_is_escaped_in_every_page() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let snapshot = hostile_site(dir.path());
    let out = render(&snapshot, &options(false)).unwrap_or_else(|e| panic!("{e}"));
    let pages: Vec<(&String, String)> = out
        .iter()
        .filter(|(p, _)| p.ends_with(".html") || p.ends_with(".xml"))
        .map(|(p, b)| (p, String::from_utf8_lossy(b).into_owned()))
        .collect();
    assert!(pages.len() > 10, "{:?}", out.keys().collect::<Vec<_>>());
    for (path, text) in &pages {
        assert!(!text.contains("<script"), "{path} contains <script");
        assert_attributes_are_whole(path, text);
    }
    // The text is still there, escaped, wherever it is shown.
    let escaped = "&lt;script&gt;&quot;&amp;'";
    let page = html(&out, "pages/p/index.html");
    // Title (h1 and <title>), summary, hero alt, caption and credit, the
    // story teaser's summary and media, the topic, the notice, the site.
    assert!(page.matches(escaped).count() >= 10, "{page}");
    assert!(page.contains(&format!("alt=\"{escaped}\"")), "{page}");
    assert!(page.contains(&format!("<span class=\"credit\">{escaped}</span>")), "{page}");
    // The body's own markup comes from the core's escaper, which spells the
    // apostrophe too.
    assert!(page.contains("title=\"&lt;script&gt;&quot;&amp;&#39;\""), "the link title: {page}");
    let story = html(&out, "stories/s/index.html");
    assert!(story.contains(&format!("<p class=\"meta\">Video: {escaped}</p>")), "{story}");
    let partner = html(&out, "partners/o/index.html");
    assert!(partner.contains("href=\"https://hostile.invalid/?q=&lt;script&gt;&amp;x='&quot;\""), "{partner}");
    assert!(html(&out, "topics/t/index.html").contains(&format!("<h1>{escaped}</h1>")));
    assert!(html(&out, "old/p.html").contains(&format!("<title>Moved: {escaped}</title>")));
    assert!(html(&out, "feed.xml").contains("<title>&lt;script&gt;&quot;&amp;&apos;</title>"));
}
