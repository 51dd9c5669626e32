//! `tessera gen-corpus`: a deterministic synthetic corpus.
//!
//! The corpus has the shapes of real content (bodies of 300 to 1,500 words
//! with headings, lists and links, references between items, translations,
//! drafts and embargoed items) but its text is made of shuffled words: it is
//! for benchmarks and tests, and says so in every file.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use tessera_core::{Country, Locale, PartnerKind};

pub(crate) const EN: &[&str] = &[
    "children",
    "rights",
    "community",
    "school",
    "health",
    "partners",
    "support",
    "inclusion",
    "access",
    "families",
    "services",
    "programme",
    "policy",
    "advocacy",
    "capacity",
    "learning",
    "protection",
    "water",
    "sanitation",
    "nutrition",
    "disability",
    "organisation",
    "national",
    "local",
    "young",
    "people",
    "equity",
    "participation",
    "training",
    "monitoring",
    "results",
    "development",
    "cooperation",
    "dialogue",
    "network",
    "teachers",
    "clinics",
    "volunteers",
    "campaign",
    "report",
    "research",
    "village",
    "district",
    "mothers",
    "fathers",
    "youth",
    "sport",
    "music",
    "play",
    "safety",
    "justice",
    "voice",
    "change",
    "future",
];
const FR: &[&str] = &[
    "enfants",
    "droits",
    "communauté",
    "école",
    "santé",
    "partenaires",
    "soutien",
    "inclusion",
    "accès",
    "familles",
    "services",
    "programme",
    "politique",
    "plaidoyer",
    "capacités",
    "apprentissage",
    "protection",
    "eau",
    "assainissement",
    "nutrition",
    "handicap",
    "organisation",
    "nationale",
    "locale",
    "jeunes",
    "personnes",
    "équité",
    "participation",
    "formation",
    "suivi",
    "résultats",
    "développement",
    "coopération",
];
const AR: &[&str] = &[
    "الأطفال",
    "الحقوق",
    "المجتمع",
    "المدرسة",
    "الصحة",
    "الشركاء",
    "الدعم",
    "الإدماج",
    "الوصول",
    "الأسر",
    "الخدمات",
    "البرنامج",
    "السياسة",
    "المناصرة",
    "القدرات",
    "التعلم",
    "الحماية",
    "المياه",
    "الصرف",
    "التغذية",
    "الإعاقة",
    "المنظمة",
    "الوطنية",
    "المحلية",
    "الشباب",
    "الناس",
    "الإنصاف",
    "المشاركة",
    "التدريب",
];
const TOPICS: &[&str] =
    &["child-protection", "education", "health", "nutrition", "hiv-aids", "water-sanitation", "disabilities"];

fn words_for(locale: &str) -> &'static [&'static str] {
    match locale.split('-').next().unwrap_or(locale) {
        "fr" => FR,
        "ar" => AR,
        _ => EN,
    }
}

struct Gen {
    rng: fastrand::Rng,
    countries: Vec<Country>,
    /// Rarer made-up words, Latin and Arabic script: real text has a long
    /// tail of words that few documents share, and search speed depends on it.
    latin_tail: Vec<String>,
    arabic_tail: Vec<String>,
}

/// Made-up words of two or three syllables.
fn tail_words(rng: &mut fastrand::Rng, syllables: &[&str], n: usize) -> Vec<String> {
    let mut words = std::collections::BTreeSet::new();
    while words.len() < n {
        let count = rng.usize(2..=3);
        words.insert((0..count).map(|_| syllables[rng.usize(..syllables.len())]).collect::<String>());
    }
    let mut words: Vec<String> = words.into_iter().collect();
    rng.shuffle(&mut words);
    words
}

const LATIN_SYLLABLES: &[&str] = &[
    "ba", "be", "bi", "bo", "da", "de", "di", "do", "fa", "fe", "ka", "ke", "ki", "ko", "la", "le", "li", "lo", "ma",
    "me", "mi", "mo", "na", "ne", "ni", "no", "ra", "re", "ri", "ro", "sa", "se", "si", "so", "ta", "te", "ti", "to",
    "va", "ve", "vi", "vo", "tan", "ler", "mon", "sur", "dal", "ven",
];
const ARABIC_SYLLABLES: &[&str] =
    &["با", "تي", "جو", "دا", "ري", "سو", "شا", "عي", "فو", "قا", "كي", "لو", "ما", "ني", "ها", "وي"];

impl Gen {
    fn new(seed: u64) -> Gen {
        let mut rng = fastrand::Rng::with_seed(seed);
        let latin_tail = tail_words(&mut rng, LATIN_SYLLABLES, 5000);
        let arabic_tail = tail_words(&mut rng, ARABIC_SYLLABLES, 2000);
        Gen { rng, countries: Country::all().collect(), latin_tail, arabic_tail }
    }

    /// A word: half the time a common one of the language, otherwise one of
    /// the tail, the first ones far more often than the last (log-uniform).
    fn word(&mut self, vocabulary: &[&str]) -> String {
        if self.rng.bool() {
            return vocabulary[self.rng.usize(..vocabulary.len())].to_owned();
        }
        let arabic =
            vocabulary.first().and_then(|w| w.chars().next()).is_some_and(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
        let tail = if arabic { &self.arabic_tail } else { &self.latin_tail };
        let rank = (tail.len() as f64).powf(self.rng.f64()) as usize;
        tail[rank.saturating_sub(1).min(tail.len() - 1)].clone()
    }

    fn words(&mut self, vocabulary: &[&str], n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            let w = self.word(vocabulary);
            s.push_str(&w);
        }
        s
    }

    fn sentence(&mut self, vocabulary: &[&str]) -> String {
        let n = self.rng.usize(6..16);
        let mut s = self.words(vocabulary, n);
        if let Some(first) = s.chars().next() {
            let upper: String = first.to_uppercase().collect();
            s.replace_range(..first.len_utf8(), &upper);
        }
        s.push('.');
        s
    }

    fn title(&mut self, vocabulary: &[&str]) -> String {
        let n = self.rng.usize(2..6);
        let mut s = self.sentence(vocabulary);
        s.truncate(s.trim_end_matches('.').len());
        s.split(' ').take(n).collect::<Vec<_>>().join(" ")
    }

    /// A Markdown body of 300 to 1,500 words with headings, lists and links.
    fn body(&mut self, vocabulary: &[&str], links: &[String]) -> String {
        let target = self.rng.usize(300..=1500);
        let mut out = String::new();
        let mut written = 0;
        let mut section = 0;
        while written < target {
            if written > 0 && self.rng.u8(..4) == 0 {
                section += 1;
                let title = self.title(vocabulary);
                let _ = writeln!(out, "## {title}\n");
            }
            if self.rng.u8(..5) == 0 {
                for _ in 0..self.rng.usize(2..6) {
                    let item = self.sentence(vocabulary);
                    written += item.split(' ').count();
                    let _ = writeln!(out, "- {item}");
                }
                out.push('\n');
                continue;
            }
            let mut paragraph = String::new();
            for i in 0..self.rng.usize(2..6) {
                if i > 0 {
                    paragraph.push(' ');
                }
                let mut sentence = self.sentence(vocabulary);
                if !links.is_empty() && self.rng.u8(..6) == 0 {
                    let link = &links[self.rng.usize(..links.len())];
                    let text = self.words(vocabulary, 2);
                    sentence = format!("{} [{text}]({link}).", sentence.trim_end_matches('.'));
                }
                if self.rng.u8(..10) == 0 {
                    sentence = format!("**{}**", sentence);
                }
                paragraph.push_str(&sentence);
            }
            written += paragraph.split(' ').count();
            let _ = writeln!(out, "{paragraph}\n");
        }
        let _ = section;
        out
    }

    /// Editorial state: mostly published, some drafts, reviews and embargoes.
    fn status(&mut self) -> &'static str {
        match self.rng.u8(..100) {
            0..=4 => "status = \"draft\"\n",
            5..=6 => "status = \"review\"\n",
            7..=9 => "status = \"published\"\npublish_at = 2099-01-01T00:00:00Z\n",
            _ => "status = \"published\"\n",
        }
    }

    fn topics(&mut self) -> String {
        let a = TOPICS[self.rng.usize(..TOPICS.len())];
        let b = TOPICS[self.rng.usize(..TOPICS.len())];
        if a == b { format!("topics = [\"{a}\"]\n") } else { format!("topics = [\"{a}\", \"{b}\"]\n") }
    }

    fn country(&mut self) -> Country {
        self.countries[self.rng.usize(..self.countries.len())]
    }
}

fn list(slugs: &[String]) -> String {
    let quoted: Vec<String> = slugs.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

pub(crate) fn run(items: usize, locales: &[String], seed: u64, out: &Path) -> anyhow::Result<ExitCode> {
    let locales: Vec<Locale> = locales
        .iter()
        .map(|l| Locale::parse(l.trim()))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("--locales: {e}"))?;
    let Some(default) = locales.first().cloned() else {
        anyhow::bail!("--locales needs at least one locale");
    };
    if out.exists() && std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true) {
        anyhow::bail!("`{}` already exists and is not empty; give a new folder", out.display());
    }
    let mut g = Gen::new(seed);
    let marker = format!("# synthetic: generated by `tessera gen-corpus --seed {seed}`; not real content\n");

    // Shares of each kind; every non-page item is referenced by some page so
    // that the corpus checks without warnings.
    let media_n = (items / 20).max(1);
    let partners_n = (items * 3 / 20).max(1);
    let measures_n = (items / 5).max(1);
    let stories_n = (items / 5).max(1);
    let pages_n = items.saturating_sub(media_n + partners_n + measures_n + stories_n).max(1);
    let slugs = |prefix: &str, n: usize| -> Vec<String> { (0..n).map(|i| format!("{prefix}-{i:06}")).collect() };
    let media = slugs("media", media_n);
    let partners = slugs("partner", partners_n);
    let measures = slugs("measure", measures_n);
    let stories = slugs("story", stories_n);
    let pages = slugs("page", pages_n);

    let mut files: Vec<(String, String)> = Vec::with_capacity(items * 2);
    let mut site = format!(
        "{marker}title = \"Synthetic corpus (seed {seed})\"\nbase_url = \"https://synthetic.invalid/\"\ndefault_locale = \"{default}\"\nsearch_label = \"Search\"\ntransition_notice = \"This is a synthetic corpus for benchmarks and tests.\"\n"
    );
    for l in &locales {
        let fallback = if *l == default { String::new() } else { format!("fallback = [\"{default}\"]\n") };
        let _ = write!(site, "\n[[locales]]\ncode = \"{l}\"\nname = \"{l}\"\n{fallback}");
    }
    files.push(("site.toml".into(), site));
    let mut topics = marker.clone();
    for t in TOPICS {
        let _ = write!(topics, "\n[[topics]]\nslug = \"{t}\"\nname = \"{}\"\n", t.replace('-', " "));
    }
    files.push(("topics.toml".into(), topics));

    for slug in &media {
        let kind = if g.rng.u8(..4) == 0 { "video" } else { "image" };
        let alt = g.sentence(EN);
        let caption = g.sentence(EN);
        let country = g.country();
        files.push((format!("media/{slug}.toml"), format!(
            "{marker}kind = \"{kind}\"\nalt = \"{alt}\"\ncaption = \"{caption}\"\ncredit = \"Synthetic\"\ncountry = \"{country}\"\nyear = {}\n",
            2000 + g.rng.u16(..26)
        )));
    }
    // Links point at measures and stories, which every page can see.
    let link_pool: Vec<String> = measures
        .iter()
        .map(|s| format!("@/measures/{s}.md"))
        .chain(stories.iter().map(|s| format!("@/stories/{s}.md")))
        .collect();
    let translated = |g: &mut Gen| g.rng.u8(..5) == 0;
    let mut write_doc = |g: &mut Gen, folder: &str, slug: &str, front: &dyn Fn(&mut Gen, &[&str]) -> String| {
        for (i, l) in locales.iter().enumerate() {
            if i > 0 && !translated(g) {
                continue;
            }
            let vocabulary = words_for(l.as_str());
            let fm = front(g, vocabulary);
            let status = g.status();
            let links: Vec<String> = (0..4).map(|_| link_pool[g.rng.usize(..link_pool.len())].clone()).collect();
            let body = g.body(vocabulary, &links);
            let name = if i == 0 { format!("{folder}/{slug}.md") } else { format!("{folder}/{slug}.{l}.md") };
            files.push((name, format!("+++\n{marker}{status}{fm}+++\n{body}")));
        }
    };
    for slug in &measures {
        write_doc(&mut g, "measures", slug, &|g, v| {
            let kind = PartnerKind::ALL[g.rng.usize(..PartnerKind::ALL.len())].as_str();
            format!("title = \"{}\"\npartner_kinds = [\"{kind}\"]\n{}", g.title(v), g.topics())
        });
    }
    for slug in &partners {
        write_doc(&mut g, "partners", slug, &|g, v| {
            let kind = PartnerKind::ALL[g.rng.usize(..PartnerKind::ALL.len())].as_str();
            format!("name = \"{}\"\nkind = \"{kind}\"\ncountry = \"{}\"\n{}", g.title(v), g.country(), g.topics())
        });
    }
    for (i, slug) in stories.iter().enumerate() {
        let m = media[i % media.len()].clone();
        let p = partners[i % partners.len()].clone();
        write_doc(&mut g, "stories", slug, &|g, v| {
            format!(
                "title = \"{}\"\ncountry = \"{}\"\nsummary = \"{}\"\nmedia = [\"{m}\"]\npartners = [\"{p}\"]\ndate = 2012-09-{:02}\n{}",
                g.title(v),
                g.country(),
                g.sentence(v),
                1 + g.rng.u8(..28),
                g.topics()
            )
        });
    }
    for (i, slug) in pages.iter().enumerate() {
        // Spread references so that every measure, partner, story and media
        // item is cited by at least one page.
        let pick = |all: &[String], n: usize| -> Vec<String> {
            (0..n)
                .map(|k| all[(i * n + k) % all.len()].clone())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let per = |total: usize| total.div_ceil(pages_n).clamp(1, 5);
        let ms = pick(&measures, per(measures_n).max(3));
        let ps = pick(&partners, per(partners_n).max(2));
        let ss = pick(&stories, per(stories_n).max(1));
        let hero = media[i % media.len()].clone();
        write_doc(&mut g, "pages", slug, &|g, v| {
            format!(
                "title = \"{}\"\nsummary = \"{}\"\nsection = \"section-{}\"\nmeasures = {}\npartners = {}\nfrom_the_field = {}\nlegacy_urls = [\"/legacy/{slug}.html\"]\n{}updated = 2026-01-{:02}\n\n[hero]\nmedia = \"{hero}\"\n\n[[quotes]]\ntext = \"{}\"\nsource = \"Synthetic source\"\n",
                g.title(v),
                g.sentence(v),
                i % 12,
                list(&ms),
                list(&ps),
                list(&ss),
                g.topics(),
                1 + g.rng.u8(..28),
                g.sentence(v)
            )
        });
    }

    for folder in ["", "pages", "measures", "partners", "stories", "media"] {
        let dir = out.join(folder);
        std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", dir.display()))?;
    }
    let mut bytes = 0usize;
    for (name, text) in &files {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
        bytes += text.len();
    }
    println!(
        "wrote a synthetic corpus (not real content): {} files, {:.1} MB, {} items in {} locale(s), seed {seed}, to {}",
        files.len(),
        bytes as f64 / 1e6,
        items,
        locales.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
