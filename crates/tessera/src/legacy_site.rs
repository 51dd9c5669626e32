//! `tessera gen-legacy`: a deterministic synthetic legacy site, as `wget
//! --mirror` would save it, to benchmark and test `tessera import`.
//!
//! Pages have the shapes of the old CMS (layout tables, inline styles,
//! `<font>`, navigation, the transition banner, a photo with its credit
//! line, inline quotations, bullets, relative links, sometimes a story
//! listing with datelines or a data table) with shuffled words for text.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// The words of the text: the synthetic corpus's English ones.
const WORDS: &[&str] = crate::corpus::EN;
const SECTIONS: &[&str] = &["disabilities", "education", "health", "protection", "media", "infobycountry"];
const PLACES: &[&str] = &["Kazakhstan", "Montenegro", "Nepal", "Ghana", "Peru", "Viet Nam", "Jordan", "Malawi"];
const CITIES: &[&str] = &["PODGORICA", "KATHMANDU", "ACCRA", "LIMA", "HANOI", "AMMAN", "LILONGWE", "ALMATY"];

struct Gen(fastrand::Rng);

impl Gen {
    fn words(&mut self, n: usize) -> String {
        (0..n).map(|_| WORDS[self.0.usize(..WORDS.len())]).collect::<Vec<_>>().join(" ")
    }
    fn sentence(&mut self) -> String {
        let n = self.0.usize(8..20);
        let mut s = self.words(n);
        if let Some(first) = s.get(..1) {
            s.replace_range(..1, &first.to_uppercase());
        }
        s.push('.');
        s
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.0.usize(..list.len())]
    }
}

fn page_path(i: usize) -> String {
    format!("{}/index_{}.html", SECTIONS[i % SECTIONS.len()], 60_000 + i)
}

fn page(g: &mut Gen, i: usize, total: usize) -> String {
    let mut h = String::new();
    let title = g.sentence().trim_end_matches('.').to_owned();
    let _ = writeln!(
        h,
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<html><head><title>UNICEF - {title}</title>\
         <meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"><style type=\"text/css\">td {{ font-family: Arial; }}</style>\
         <script type=\"text/javascript\">var s_account = \"unicef\";</script></head>\n<body bgcolor=\"#ffffff\">\
         <table width=\"960\" border=\"0\" cellpadding=\"0\" cellspacing=\"0\"><tr><td colspan=\"2\" id=\"header\"><img src=\"/images/logo.gif\" alt=\"UNICEF\"></td></tr>\
         <tr><td width=\"180\" valign=\"top\" id=\"leftnav\"><a href=\"/\">Home</a><br><a href=\"/about/\">About UNICEF</a><br><a href=\"/{}/\">{}</a></td>\
         <td valign=\"top\"><div style=\"background:#eee\"><font size=\"1\">We’re building a new UNICEF.org.<br>As we swap out old for new, pages will be in transition. Thanks for your patience – please keep coming back to see the improvements.</font></div>\
         <h1><font face=\"Arial\" color=\"#00aeef\">{title}</font></h1>",
        SECTIONS[i % SECTIONS.len()],
        SECTIONS[i % SECTIONS.len()],
    );
    let place = g.pick(PLACES);
    let year = 2005 + g.0.usize(..8);
    let _ = writeln!(
        h,
        "<table align=\"right\" width=\"250\"><tr><td><img src=\"/images/photo_{i}.jpg\" width=\"250\" alt=\"UNICEF Image: {place}, {year}: {}\"><br>\
         <font size=\"1\" color=\"#666666\">© UNICEF/NYHQ{year}-{:04}/{}</font></td></tr></table>",
        g.sentence(),
        g.0.usize(..10_000),
        g.pick(&["Pirozzi", "Smith", "Noorani", "Markisz"]),
    );
    for _ in 0..g.0.usize(3..7) {
        let link = page_path(g.0.usize(..total.max(1)));
        let _ = writeln!(
            h,
            "<p style=\"margin:0 0 8px 0\">{} <b>{}</b> <a href=\"../{link}\">{}</a> {}</p>",
            g.sentence(),
            g.words(2),
            g.words(3),
            g.sentence()
        );
    }
    let _ = writeln!(h, "<p>The Convention on the Rights of the Child says: “{}”</p>\n<ul>", g.sentence());
    for _ in 0..3 {
        let _ = writeln!(h, "<li><i>{}</i> {}</li>", g.words(2), g.sentence());
    }
    h.push_str("</ul>\n");
    if i.is_multiple_of(3) {
        h.push_str("<h2>Latest stories</h2>\n");
        for _ in 0..3 {
            let _ = writeln!(
                h,
                "<h3><a href=\"/{}/{}.html\">{}</a></h3><p>{}, {}, {} May 2012 – {}</p>",
                SECTIONS[i % SECTIONS.len()],
                g.0.usize(..100_000),
                g.sentence().trim_end_matches('.'),
                g.pick(CITIES),
                g.pick(PLACES),
                g.0.usize(1..29),
                g.sentence()
            );
        }
    }
    if i.is_multiple_of(5) {
        h.push_str("<table border=\"1\"><tr><th>Indicator</th><th>Value</th></tr>");
        for _ in 0..3 {
            let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", g.words(3), g.0.usize(..100));
        }
        h.push_str("</table>\n");
    }
    h.push_str(
        "<p><a href=\"report.pdf\">PDF version</a></p></td></tr>\n<tr><td colspan=\"2\" id=\"footer\">\
         <form action=\"/search\"><input name=\"q\"> New enhanced search</form> © UNICEF</td></tr></table></body></html>\n",
    );
    h
}

pub(crate) fn run(pages: usize, seed: u64, out: &Path) -> anyhow::Result<ExitCode> {
    if out.exists() && std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true) {
        anyhow::bail!("`{}` already exists and is not empty; give a new folder", out.display());
    }
    let mut g = Gen(fastrand::Rng::with_seed(seed));
    for i in 0..pages {
        let path = out.join(page_path(i));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", dir.display()))?;
        }
        std::fs::write(&path, page(&mut g, i, pages))
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
    }
    eprintln!("wrote {pages} legacy pages under {}", out.display());
    Ok(ExitCode::SUCCESS)
}
