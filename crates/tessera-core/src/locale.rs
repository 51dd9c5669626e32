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
pub struct Locale(compact_str::CompactString);

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
        Ok(Locale(tag.into()))
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

/// Every officially assigned ISO 3166-1 alpha-2 code, in order, with the
/// short English name a reader knows the country by.
const COUNTRIES: &[(&str, &str)] = &[
    ("AD", "Andorra"),
    ("AE", "United Arab Emirates"),
    ("AF", "Afghanistan"),
    ("AG", "Antigua and Barbuda"),
    ("AI", "Anguilla"),
    ("AL", "Albania"),
    ("AM", "Armenia"),
    ("AO", "Angola"),
    ("AQ", "Antarctica"),
    ("AR", "Argentina"),
    ("AS", "American Samoa"),
    ("AT", "Austria"),
    ("AU", "Australia"),
    ("AW", "Aruba"),
    ("AX", "Åland Islands"),
    ("AZ", "Azerbaijan"),
    ("BA", "Bosnia and Herzegovina"),
    ("BB", "Barbados"),
    ("BD", "Bangladesh"),
    ("BE", "Belgium"),
    ("BF", "Burkina Faso"),
    ("BG", "Bulgaria"),
    ("BH", "Bahrain"),
    ("BI", "Burundi"),
    ("BJ", "Benin"),
    ("BL", "Saint Barthélemy"),
    ("BM", "Bermuda"),
    ("BN", "Brunei Darussalam"),
    ("BO", "Bolivia"),
    ("BQ", "Bonaire, Sint Eustatius and Saba"),
    ("BR", "Brazil"),
    ("BS", "Bahamas"),
    ("BT", "Bhutan"),
    ("BV", "Bouvet Island"),
    ("BW", "Botswana"),
    ("BY", "Belarus"),
    ("BZ", "Belize"),
    ("CA", "Canada"),
    ("CC", "Cocos (Keeling) Islands"),
    ("CD", "Democratic Republic of the Congo"),
    ("CF", "Central African Republic"),
    ("CG", "Congo"),
    ("CH", "Switzerland"),
    ("CI", "Côte d'Ivoire"),
    ("CK", "Cook Islands"),
    ("CL", "Chile"),
    ("CM", "Cameroon"),
    ("CN", "China"),
    ("CO", "Colombia"),
    ("CR", "Costa Rica"),
    ("CU", "Cuba"),
    ("CV", "Cabo Verde"),
    ("CW", "Curaçao"),
    ("CX", "Christmas Island"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DJ", "Djibouti"),
    ("DK", "Denmark"),
    ("DM", "Dominica"),
    ("DO", "Dominican Republic"),
    ("DZ", "Algeria"),
    ("EC", "Ecuador"),
    ("EE", "Estonia"),
    ("EG", "Egypt"),
    ("EH", "Western Sahara"),
    ("ER", "Eritrea"),
    ("ES", "Spain"),
    ("ET", "Ethiopia"),
    ("FI", "Finland"),
    ("FJ", "Fiji"),
    ("FK", "Falkland Islands"),
    ("FM", "Micronesia"),
    ("FO", "Faroe Islands"),
    ("FR", "France"),
    ("GA", "Gabon"),
    ("GB", "United Kingdom"),
    ("GD", "Grenada"),
    ("GE", "Georgia"),
    ("GF", "French Guiana"),
    ("GG", "Guernsey"),
    ("GH", "Ghana"),
    ("GI", "Gibraltar"),
    ("GL", "Greenland"),
    ("GM", "Gambia"),
    ("GN", "Guinea"),
    ("GP", "Guadeloupe"),
    ("GQ", "Equatorial Guinea"),
    ("GR", "Greece"),
    ("GS", "South Georgia and the South Sandwich Islands"),
    ("GT", "Guatemala"),
    ("GU", "Guam"),
    ("GW", "Guinea-Bissau"),
    ("GY", "Guyana"),
    ("HK", "Hong Kong"),
    ("HM", "Heard Island and McDonald Islands"),
    ("HN", "Honduras"),
    ("HR", "Croatia"),
    ("HT", "Haiti"),
    ("HU", "Hungary"),
    ("ID", "Indonesia"),
    ("IE", "Ireland"),
    ("IL", "Israel"),
    ("IM", "Isle of Man"),
    ("IN", "India"),
    ("IO", "British Indian Ocean Territory"),
    ("IQ", "Iraq"),
    ("IR", "Iran"),
    ("IS", "Iceland"),
    ("IT", "Italy"),
    ("JE", "Jersey"),
    ("JM", "Jamaica"),
    ("JO", "Jordan"),
    ("JP", "Japan"),
    ("KE", "Kenya"),
    ("KG", "Kyrgyzstan"),
    ("KH", "Cambodia"),
    ("KI", "Kiribati"),
    ("KM", "Comoros"),
    ("KN", "Saint Kitts and Nevis"),
    ("KP", "North Korea"),
    ("KR", "South Korea"),
    ("KW", "Kuwait"),
    ("KY", "Cayman Islands"),
    ("KZ", "Kazakhstan"),
    ("LA", "Laos"),
    ("LB", "Lebanon"),
    ("LC", "Saint Lucia"),
    ("LI", "Liechtenstein"),
    ("LK", "Sri Lanka"),
    ("LR", "Liberia"),
    ("LS", "Lesotho"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("LV", "Latvia"),
    ("LY", "Libya"),
    ("MA", "Morocco"),
    ("MC", "Monaco"),
    ("MD", "Moldova"),
    ("ME", "Montenegro"),
    ("MF", "Saint Martin"),
    ("MG", "Madagascar"),
    ("MH", "Marshall Islands"),
    ("MK", "North Macedonia"),
    ("ML", "Mali"),
    ("MM", "Myanmar"),
    ("MN", "Mongolia"),
    ("MO", "Macao"),
    ("MP", "Northern Mariana Islands"),
    ("MQ", "Martinique"),
    ("MR", "Mauritania"),
    ("MS", "Montserrat"),
    ("MT", "Malta"),
    ("MU", "Mauritius"),
    ("MV", "Maldives"),
    ("MW", "Malawi"),
    ("MX", "Mexico"),
    ("MY", "Malaysia"),
    ("MZ", "Mozambique"),
    ("NA", "Namibia"),
    ("NC", "New Caledonia"),
    ("NE", "Niger"),
    ("NF", "Norfolk Island"),
    ("NG", "Nigeria"),
    ("NI", "Nicaragua"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("NP", "Nepal"),
    ("NR", "Nauru"),
    ("NU", "Niue"),
    ("NZ", "New Zealand"),
    ("OM", "Oman"),
    ("PA", "Panama"),
    ("PE", "Peru"),
    ("PF", "French Polynesia"),
    ("PG", "Papua New Guinea"),
    ("PH", "Philippines"),
    ("PK", "Pakistan"),
    ("PL", "Poland"),
    ("PM", "Saint Pierre and Miquelon"),
    ("PN", "Pitcairn Islands"),
    ("PR", "Puerto Rico"),
    ("PS", "State of Palestine"),
    ("PT", "Portugal"),
    ("PW", "Palau"),
    ("PY", "Paraguay"),
    ("QA", "Qatar"),
    ("RE", "Réunion"),
    ("RO", "Romania"),
    ("RS", "Serbia"),
    ("RU", "Russia"),
    ("RW", "Rwanda"),
    ("SA", "Saudi Arabia"),
    ("SB", "Solomon Islands"),
    ("SC", "Seychelles"),
    ("SD", "Sudan"),
    ("SE", "Sweden"),
    ("SG", "Singapore"),
    ("SH", "Saint Helena, Ascension and Tristan da Cunha"),
    ("SI", "Slovenia"),
    ("SJ", "Svalbard and Jan Mayen"),
    ("SK", "Slovakia"),
    ("SL", "Sierra Leone"),
    ("SM", "San Marino"),
    ("SN", "Senegal"),
    ("SO", "Somalia"),
    ("SR", "Suriname"),
    ("SS", "South Sudan"),
    ("ST", "São Tomé and Príncipe"),
    ("SV", "El Salvador"),
    ("SX", "Sint Maarten"),
    ("SY", "Syria"),
    ("SZ", "Eswatini"),
    ("TC", "Turks and Caicos Islands"),
    ("TD", "Chad"),
    ("TF", "French Southern Territories"),
    ("TG", "Togo"),
    ("TH", "Thailand"),
    ("TJ", "Tajikistan"),
    ("TK", "Tokelau"),
    ("TL", "Timor-Leste"),
    ("TM", "Turkmenistan"),
    ("TN", "Tunisia"),
    ("TO", "Tonga"),
    ("TR", "Türkiye"),
    ("TT", "Trinidad and Tobago"),
    ("TV", "Tuvalu"),
    ("TW", "Taiwan"),
    ("TZ", "Tanzania"),
    ("UA", "Ukraine"),
    ("UG", "Uganda"),
    ("UM", "United States Minor Outlying Islands"),
    ("US", "United States"),
    ("UY", "Uruguay"),
    ("UZ", "Uzbekistan"),
    ("VA", "Holy See"),
    ("VC", "Saint Vincent and the Grenadines"),
    ("VE", "Venezuela"),
    ("VG", "British Virgin Islands"),
    ("VI", "United States Virgin Islands"),
    ("VN", "Viet Nam"),
    ("VU", "Vanuatu"),
    ("WF", "Wallis and Futuna"),
    ("WS", "Samoa"),
    ("YE", "Yemen"),
    ("YT", "Mayotte"),
    ("ZA", "South Africa"),
    ("ZM", "Zambia"),
    ("ZW", "Zimbabwe"),
];

impl Country {
    /// Parses an ISO 3166-1 alpha-2 code; only assigned codes are accepted.
    pub fn parse(code: &str) -> Result<Country, IdentifierError> {
        let bytes = code.as_bytes();
        if bytes.len() == 2
            && bytes.iter().all(u8::is_ascii_uppercase)
            && COUNTRIES.binary_search_by(|(c, _)| (*c).cmp(code)).is_ok()
        {
            return Ok(Country([bytes[0], bytes[1]]));
        }
        let hint = if bytes.len() == 2 && COUNTRIES.iter().any(|(c, _)| c.eq_ignore_ascii_case(code)) {
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

    /// The short English name, e.g. `Montenegro` for `ME`: what a list
    /// or a search filter shows where a reader would not know the code.
    pub fn name(&self) -> &'static str {
        let code = self.as_str();
        // Every `Country` holds a code of the table, so the search finds it.
        COUNTRIES.binary_search_by(|(c, _)| (*c).cmp(code)).map_or("", |i| COUNTRIES[i].1)
    }

    /// Every assigned code, for tests and generators.
    pub fn all() -> impl Iterator<Item = Country> {
        COUNTRIES.iter().map(|(c, _)| Country([c.as_bytes()[0], c.as_bytes()[1]]))
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
        let codes: Vec<&str> = COUNTRIES.iter().map(|(c, _)| *c).collect();
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

    #[test]
    fn every_country_has_a_name() {
        assert!(COUNTRIES.windows(2).all(|w| w[0].0 < w[1].0), "the table is in code order");
        for country in Country::all() {
            assert!(!country.name().is_empty(), "{country} has no name");
            assert_ne!(country.name(), country.as_str());
        }
        let name = |code: &str| Country::parse(code).map(|c| c.name());
        assert_eq!(name("ME"), Ok("Montenegro"));
        assert_eq!(name("KZ"), Ok("Kazakhstan"));
        assert_eq!(name("AD"), Ok("Andorra"));
        assert_eq!(name("ZW"), Ok("Zimbabwe"));
        assert_eq!(name("CI"), Ok("Côte d'Ivoire"));
    }
}
