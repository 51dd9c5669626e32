//! Validated identifiers for languages and countries.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A language tag: the subset of BCP 47 a website needs.
///
/// A tag is a language (two or three lowercase letters), an optional script
/// (four letters, first uppercase, e.g. `Hans`) and an optional region (two
/// uppercase letters or three digits), joined by hyphens: `en`, `fr`, `ar`,
/// `pt-BR`, `zh-Hans`, `es-419`. Case must be canonical so that file names and
/// URLs have exactly one spelling.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locale(String);

/// Why a string is not a [`Locale`] or a [`Country`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdentifierError(String);

/// Writing direction of a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Left to right.
    Ltr,
    /// Right to left (Arabic, Hebrew, Persian, Urdu, ...).
    Rtl,
}

impl Direction {
    /// The value of an HTML `dir` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
        }
    }
}

/// Languages written right to left, by their primary subtag.
const RTL_LANGUAGES: &[&str] = &["ar", "arc", "ckb", "dv", "fa", "he", "ku", "ps", "sd", "syr", "ug", "ur", "yi"];

impl Locale {
    /// Parses and validates a tag.
    pub fn parse(tag: &str) -> Result<Locale, IdentifierError> {
        let bad = |why: &str| {
            IdentifierError(format!(
                "`{tag}` is not a valid locale: {why} (expected a BCP 47 tag such as `en`, `fr`, `pt-BR` or `zh-Hans`)"
            ))
        };
        let mut parts = tag.split('-');
        let language = parts.next().unwrap_or_default();
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(bad("the language must be 2 or 3 lowercase letters"));
        }
        let mut seen_script = false;
        let mut seen_region = false;
        for part in parts {
            let is_script = part.len() == 4
                && part.bytes().all(|b| b.is_ascii_alphabetic())
                && part.as_bytes()[0].is_ascii_uppercase()
                && part.bytes().skip(1).all(|b| b.is_ascii_lowercase());
            let is_region = (part.len() == 2 && part.bytes().all(|b| b.is_ascii_uppercase()))
                || (part.len() == 3 && part.bytes().all(|b| b.is_ascii_digit()));
            if is_script && !seen_script && !seen_region {
                seen_script = true;
            } else if is_region && !seen_region {
                seen_region = true;
            } else {
                return Err(bad(&format!(
                    "`{part}` is neither a script (`Latn`) nor a region (`BR`, `419`) in the right place"
                )));
            }
        }
        Ok(Locale(tag.to_owned()))
    }

    /// The tag as written, e.g. `pt-BR`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag, e.g. `pt` for `pt-BR`.
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// The writing direction of the language.
    pub fn direction(&self) -> Direction {
        if RTL_LANGUAGES.contains(&self.language()) { Direction::Rtl } else { Direction::Ltr }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Locale({})", self.0)
    }
}

impl FromStr for Locale {
    type Err = IdentifierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Locale::parse(s)
    }
}

impl Serialize for Locale {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Locale {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let tag = String::deserialize(deserializer)?;
        Locale::parse(&tag).map_err(serde::de::Error::custom)
    }
}

/// Mirrors [`Locale::parse`] so that editors catch a bad tag as they type.
const LOCALE_PATTERN: &str = "^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$";

impl JsonSchema for Locale {
    fn schema_name() -> Cow<'static, str> {
        "Locale".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": LOCALE_PATTERN,
            "description": "A BCP 47 language tag: language, optional script, optional region, e.g. `en`, `fr`, `pt-BR`, `zh-Hans`.",
            "examples": ["en", "fr", "ar", "pt-BR"]
        })
    }
}

/// A country: an officially assigned ISO 3166-1 alpha-2 code, e.g. `KZ`, `ME`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

/// Every officially assigned ISO 3166-1 alpha-2 code, in order.
const ISO_3166_1_ALPHA_2: &str = "\
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM \
DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS \
GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ \
MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM \
PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV \
SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI \
VN VU WF WS YE YT ZA ZM ZW";

impl Country {
    /// Parses an ISO 3166-1 alpha-2 code; only assigned codes are accepted.
    pub fn parse(code: &str) -> Result<Country, IdentifierError> {
        let bytes = code.as_bytes();
        if bytes.len() == 2
            && bytes.iter().all(u8::is_ascii_uppercase)
            && ISO_3166_1_ALPHA_2.split(' ').any(|c| c == code)
        {
            return Ok(Country([bytes[0], bytes[1]]));
        }
        let hint = if bytes.len() == 2 && ISO_3166_1_ALPHA_2.split(' ').any(|c| c.eq_ignore_ascii_case(code)) {
            format!(" (write it in capitals: `{}`)", code.to_ascii_uppercase())
        } else {
            String::new()
        };
        Err(IdentifierError(format!("`{code}` is not an ISO 3166-1 alpha-2 country code{hint}")))
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        // Both bytes were checked to be ASCII capitals in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Every assigned code, for tests and generators.
    pub fn all() -> impl Iterator<Item = Country> {
        ISO_3166_1_ALPHA_2.split(' ').map(|c| Country([c.as_bytes()[0], c.as_bytes()[1]]))
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.as_str())
    }
}

impl FromStr for Country {
    type Err = IdentifierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Country::parse(s)
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Country::parse(&code).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Country {
    fn schema_name() -> Cow<'static, str> {
        "Country".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let codes: Vec<&str> = ISO_3166_1_ALPHA_2.split(' ').collect();
        json_schema!({
            "type": "string",
            "enum": codes,
            "description": "An ISO 3166-1 alpha-2 country code, e.g. `KZ` for Kazakhstan, `ME` for Montenegro."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_accept_the_bcp47_subset_and_reject_the_rest() {
        for good in ["en", "fr", "ar", "pt-BR", "zh-Hans", "zh-Hans-CN", "es-419", "ast"] {
            assert!(Locale::parse(good).is_ok(), "{good} should parse");
        }
        for bad in ["", "EN", "e", "english", "en_US", "en-us", "en-", "pt-BR-BR", "zh-CN-Hans"] {
            assert!(Locale::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn arabic_is_right_to_left() {
        assert_eq!(Locale::parse("ar").map(|l| l.direction()), Ok(Direction::Rtl));
        assert_eq!(Locale::parse("fr").map(|l| l.direction()), Ok(Direction::Ltr));
    }

    #[test]
    fn countries_must_be_assigned_codes_in_capitals() {
        assert_eq!(Country::parse("KZ").map(|c| c.to_string()), Ok("KZ".to_owned()));
        assert!(Country::parse("ME").is_ok());
        let lower = Country::parse("me").map_err(|e| e.to_string());
        assert!(lower.is_err_and(|m| m.contains("`ME`")));
        assert!(Country::parse("XX").is_err());
        assert!(Country::parse("KAZ").is_err());
        assert_eq!(Country::all().count(), 249);
    }
}
