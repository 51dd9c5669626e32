//! Facet counts read from a fast field.
//!
//! Every facet value of a document (its kind, partner kind, country and
//! topics) is one small number in the multi-valued fast field `facet`, so
//! counting the results is one column read and a few array increments per
//! matching document: no facet dictionary is walked and no ordinal is turned
//! back into text while counting.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};
use tessera_core::{Country, Kind, PartnerKind};

/// The kinds the index holds, in the order their numbers are given.
pub(crate) const KINDS: [Kind; 4] = [Kind::Page, Kind::Measure, Kind::Partner, Kind::Story];
const PARTNER_KINDS_FROM: u64 = 8;
const COUNTRIES_FROM: u64 = 32;
/// Topics are numbered by their place in `topics.toml`, from here.
const TOPICS_FROM: u64 = COUNTRIES_FROM + 26 * 26;

pub(crate) fn kind_value(kind: Kind) -> Option<u64> {
    KINDS.iter().position(|k| *k == kind).map(|i| i as u64)
}

pub(crate) fn partner_kind_value(kind: PartnerKind) -> Option<u64> {
    PartnerKind::ALL.iter().position(|k| *k == kind).map(|i| PARTNER_KINDS_FROM + i as u64)
}

pub(crate) fn country_value(country: Country) -> Option<u64> {
    match country.as_str().as_bytes() {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => Some(COUNTRIES_FROM + u64::from(a - b'A') * 26 + u64::from(b - b'A')),
        _ => None,
    }
}

pub(crate) fn topic_value(position: usize) -> u64 {
    TOPICS_FROM + position as u64
}

/// What a facet number stands for.
pub(crate) enum Value<'t> {
    Kind(Kind),
    PartnerKind(PartnerKind),
    Country(String),
    Topic(&'t str),
}

/// The facet value of number `n`; `topics` are the slugs the index was
/// numbered with.
pub(crate) fn value_of(n: u64, topics: &[String]) -> Option<Value<'_>> {
    let index = |from: u64| usize::try_from(n - from).ok();
    if n < PARTNER_KINDS_FROM {
        KINDS.get(index(0)?).copied().map(Value::Kind)
    } else if n < COUNTRIES_FROM {
        PartnerKind::ALL.get(index(PARTNER_KINDS_FROM)?).copied().map(Value::PartnerKind)
    } else if n < TOPICS_FROM {
        let i = n - COUNTRIES_FROM;
        let letters = [b'A' + (i / 26) as u8, b'A' + (i % 26) as u8];
        Some(Value::Country(String::from_utf8_lossy(&letters).into_owned()))
    } else {
        topics.get(index(TOPICS_FROM)?).map(|t| Value::Topic(t.as_str()))
    }
}

/// Counts matching documents by facet number.
pub(crate) struct FacetCounter {
    pub(crate) field: &'static str,
    /// One past the largest number a document may carry.
    pub(crate) size: usize,
}

impl FacetCounter {
    pub(crate) fn new(field: &'static str, topics: usize) -> FacetCounter {
        FacetCounter { field, size: topic_value(topics) as usize }
    }
}

pub(crate) struct SegmentFacetCounter {
    column: Column<u64>,
    counts: Vec<u64>,
}

impl Collector for FacetCounter {
    type Fruit = Vec<u64>;
    type Child = SegmentFacetCounter;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentFacetCounter> {
        let column = reader.fast_fields().u64(self.field)?;
        Ok(SegmentFacetCounter { column, counts: vec![0; self.size] })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<u64>>) -> tantivy::Result<Vec<u64>> {
        let mut total = vec![0; self.size];
        for fruit in fruits {
            for (t, n) in total.iter_mut().zip(fruit) {
                *t += n;
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = Vec<u64>;

    fn collect(&mut self, doc: DocId, _: Score) {
        for value in self.column.values_for_doc(doc) {
            if let Some(count) = usize::try_from(value).ok().and_then(|i| self.counts.get_mut(i)) {
                *count += 1;
            }
        }
    }

    fn harvest(self) -> Vec<u64> {
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_facet_number_reads_back_as_its_value() {
        let topics = vec!["health".to_owned(), "work".to_owned()];
        for kind in KINDS {
            let n = kind_value(kind).unwrap_or(u64::MAX);
            assert!(matches!(value_of(n, &topics), Some(Value::Kind(k)) if k == kind));
        }
        for kind in PartnerKind::ALL {
            let n = partner_kind_value(kind).unwrap_or(u64::MAX);
            assert!(matches!(value_of(n, &topics), Some(Value::PartnerKind(k)) if k == kind));
        }
        for code in ["AD", "ME", "ZW"] {
            let country = Country::parse(code).unwrap_or_else(|e| panic!("{e}"));
            let n = country_value(country).unwrap_or(u64::MAX);
            assert!(matches!(value_of(n, &topics), Some(Value::Country(c)) if c == code));
        }
        assert!(matches!(value_of(topic_value(1), &topics), Some(Value::Topic("work"))));
        assert!(value_of(topic_value(2), &topics).is_none());
    }
}
