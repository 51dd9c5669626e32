//! `tessera new`: a skeleton item that `tessera check` accepts.

use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;
use tessera_core::{Kind, is_valid_slug};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum NewKind {
    Page,
    Measure,
    Partner,
    Story,
    Media,
}

impl NewKind {
    fn kind(self) -> Kind {
        match self {
            NewKind::Page => Kind::Page,
            NewKind::Measure => Kind::Measure,
            NewKind::Partner => Kind::Partner,
            NewKind::Story => Kind::Story,
            NewKind::Media => Kind::Media,
        }
    }
}

/// The file a new item of `kind` starts as. New items are drafts: nothing
/// reaches the public before an editor publishes it.
pub(crate) fn skeleton(kind: NewKind, slug: &str) -> String {
    let title = title_from_slug(slug);
    match kind {
        NewKind::Page => format!(
            "+++\ntitle = \"{title}\"\nsummary = \"\"\nstatus = \"draft\"\n# section = \"\"\n# measures = []\n# partners = []\n# from_the_field = []\n# topics = []\n+++\nWrite the page here, in Markdown.\n"
        ),
        NewKind::Measure => format!(
            "+++\ntitle = \"{title}\"\nstatus = \"draft\"\n# partner_kinds = []\n# topics = []\n+++\nDescribe the measure here, in Markdown.\n"
        ),
        NewKind::Partner => format!(
            "+++\nname = \"{title}\"\nkind = \"national-ngo\"\nstatus = \"draft\"\n# country = \"\"\n# website = \"https://\"\n+++\n"
        ),
        NewKind::Story => format!(
            "+++\ntitle = \"{title}\"\nstatus = \"draft\"\n# country = \"\"\n# summary = \"\"\n# media = []\n+++\nTell the story here, in Markdown.\n"
        ),
        NewKind::Media => "#:schema ../../schema/content.schema.json\nkind = \"image\"\nalt = \"Describe what the image shows.\"\n# src = \"\"\n# caption = \"\"\n# credit = \"\"\n".to_owned(),
    }
}

fn title_from_slug(slug: &str) -> String {
    let words = slug.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) fn run(kind: NewKind, slug: &str, content: &Path) -> anyhow::Result<ExitCode> {
    if !is_valid_slug(slug) {
        anyhow::bail!("`{slug}` is not a valid slug: use lowercase letters, digits and single hyphens");
    }
    let k = kind.kind();
    let folder = content.join(k.folder());
    let path = folder.join(format!("{slug}.{}", k.extension()));
    if !content.join("site.toml").is_file() {
        anyhow::bail!("`{}` is not a content folder (it has no site.toml)", content.display());
    }
    std::fs::create_dir_all(&folder).map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", folder.display()))?;
    let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            anyhow::bail!("`{}` already exists; choose another slug", path.display())
        }
        Err(e) => anyhow::bail!("cannot create `{}`: {e}", path.display()),
    };
    std::io::Write::write_all(&mut file, skeleton(kind, slug).as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
    println!("created {} ({} draft)", path.display(), k);
    Ok(ExitCode::SUCCESS)
}
