//! Facet counts read from a fast field.
//!
//! Every facet value of a document (its kind, partner kind, country and
//! topics) is one small number in the multi-valued fast field `facet`, so
//! counting the results is one column read and a few array increments per
//! matching document: no facet dictionary is walked and no ordinal is turned
//! back into text while counting.

use tantivy::columnar::Column;
use tantivy::{DocId, SegmentReader};
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

/// The facet numbers of every document of one segment, read once per
/// generation of the index: a document's numbers are
/// `values[starts[doc]..starts[doc + 1]]`. Counting then reads two plain
/// arrays instead of decoding a multi-valued column for every match.
#[derive(Debug, Default)]
pub(crate) struct FacetTable {
    starts: Vec<u32>,
    values: Vec<u32>,
}

impl FacetTable {
    /// Reads the multi-valued fast field `field` of `reader`; numbers of
    /// `size` or more (none in an index this crate wrote) are left out.
    pub(crate) fn read(reader: &SegmentReader, field: &str, size: usize) -> tantivy::Result<FacetTable> {
        let column: Column<u64> = reader.fast_fields().u64(field)?;
        let docs = reader.max_doc();
        let mut table = FacetTable { starts: Vec::with_capacity(docs as usize + 1), values: Vec::new() };
        for doc in 0..docs {
            table.starts.push(table.values.len() as u32);
            let numbers = column.values_for_doc(doc).filter(|n| usize::try_from(*n).is_ok_and(|n| n < size));
            table.values.extend(numbers.filter_map(|n| u32::try_from(n).ok()));
        }
        table.starts.push(table.values.len() as u32);
        Ok(table)
    }

    /// Adds one to `counts` at each facet number of `doc`.
    #[inline]
    pub(crate) fn count(&self, doc: DocId, counts: &mut [u64]) {
        let doc = doc as usize;
        let (Some(&from), Some(&to)) = (self.starts.get(doc), self.starts.get(doc + 1)) else { return };
        for &n in self.values.get(from as usize..to as usize).unwrap_or(&[]) {
            if let Some(count) = counts.get_mut(n as usize) {
                *count += 1;
            }
        }
    }
}

/// How many facet numbers an index with `topics` topics uses.
pub(crate) fn facet_numbers(topics: usize) -> usize {
    topic_value(topics) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_facet_table_counts_each_number_of_each_document() -> tantivy::Result<()> {
        use tantivy::schema::{FAST, Schema};
        use tantivy::{Index, TantivyDocument};
        let mut schema = Schema::builder();
        let field = schema.add_u64_field("facet", FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 15_000_000)?;
        // Document 2 has no number; 900 is beyond the table's size.
        for numbers in [vec![0, 8, 40], vec![1], vec![], vec![1, 900, 40]] {
            let mut doc = TantivyDocument::default();
            for n in numbers {
                doc.add_u64(field, n);
            }
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let Some(segment) = searcher.segment_readers().first() else { panic!("one segment") };
        let table = FacetTable::read(segment, "facet", 100)?;
        let mut counts = vec![0; 100];
        for doc in [0, 1, 2, 3, 99] {
            table.count(doc, &mut counts);
        }
        let counted: Vec<(usize, u64)> =
            counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(n, c)| (n, *c)).collect();
        assert_eq!(counted, [(0, 1), (1, 2), (8, 1), (40, 2)]);
        Ok(())
    }

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
