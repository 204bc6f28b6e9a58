//! Everything that leaves Crosswalk in another tool's format:
//!
//! * [`oscal`]: any framework as an OSCAL 1.2 catalog, the mappings between two as an OSCAL
//!   control-mapping document;
//! * [`sssom`]: a mapping set as SSSOM/TSV with its YAML metadata block;
//! * [`tabular`]: obligation lists, search hits and saved-query results as CSV and XLSX;
//! * [`dump`]: the public named graphs as gzipped N-Quads or TriG, streamed;
//! * [`void`]: the DCAT/VoID description of the dataset.
//!
//! Quoting policy (seeds/README.md) holds in every export: verbatim text only for instruments
//! whose text may be quoted ([`crate::mapping::Framework::quotable`]); everything else leaves as
//! identifiers, titles, our paraphrase and a link to the official source.

pub mod dump;
pub mod oscal;
pub mod sssom;
pub mod tabular;
pub mod void;

use crate::graph::GraphError;
use crate::mapping::MappingError;
use sha1::Digest as _;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("{0} has no provisions in the catalogue, so it has no OSCAL catalog")]
    NoProvisions(String),
    #[error("writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing the spreadsheet failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("writing CSV failed: {0}")]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Sparql(#[from] crate::sparql::SparqlError),
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl ExportError {
    /// True when the request named something that does not exist or is malformed.
    pub fn is_client_error(&self) -> bool {
        match self {
            Self::Mapping(MappingError::UnknownFramework(_))
            | Self::NoProvisions(_)
            | Self::Invalid(_) => true,
            Self::Sparql(e) => e.is_client_error(),
            _ => false,
        }
    }
}

/// A name-based (version 5) UUID in the URL namespace: the same name always gives the same
/// UUID, so a mapping or control keeps its OSCAL identity across exports.
pub fn uuid_for(name: &str) -> String {
    let mut hasher = sha1::Sha1::new();
    hasher.update(uuid::Uuid::NAMESPACE_URL.as_bytes());
    hasher.update(name.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// The time of the graph's last write as an RFC 3339 timestamp, or now if none is recorded.
pub fn last_modified(graph: &crate::graph::Graph) -> Result<String, ExportError> {
    Ok(graph
        .revision_time()?
        .unwrap_or_else(|| chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
}

/// Hex SHA-256 of `bytes` (a content digest for document identifiers).
pub fn digest_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One line of text: newlines and runs of whitespace become single spaces (OSCAL titles and
/// SSSOM cells are single lines).
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn name_based_uuids_are_stable_version_5() {
        let a = super::uuid_for("https://w3id.org/crosswalk/id/mapping/x/0001");
        assert_eq!(
            a,
            super::uuid_for("https://w3id.org/crosswalk/id/mapping/x/0001")
        );
        assert_ne!(
            a,
            super::uuid_for("https://w3id.org/crosswalk/id/mapping/x/0002")
        );
        // Version nibble 5, RFC 4122 variant: what OSCAL's UUID pattern requires.
        assert_eq!(&a[14..15], "5");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        // Against an independent implementation: checks the namespace and byte order.
        assert_eq!(
            super::uuid_for("https://www.rust-lang.org/"),
            uuid_v5_reference()
        );
    }

    /// Independently computed value (Python: uuid.uuid5(uuid.NAMESPACE_URL,
    /// "https://www.rust-lang.org/")).
    fn uuid_v5_reference() -> String {
        "6bb70201-305f-585c-97a4-816d5df638c6".to_owned()
    }
}
