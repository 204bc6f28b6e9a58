//! Tables for spreadsheets: obligation lists, search hits and saved-query results as CSV
//! (RFC 4180, UTF-8) and XLSX (bold frozen header row, column widths, autofilter, wrapped text).
//!
//! Obligations and search hits share one row shape: jurisdiction, instrument, reference, title,
//! text or paraphrase (verbatim only where the source may be quoted), strength, roles, themes,
//! status, application dates, source URL, IRI. Saved-query results keep their own columns.

use super::ExportError;
use crate::graph::Graph;
use crate::sparql::saved::SavedQuery;
use crate::sparql::{DatasetRequest, Engine, OutputFormat, Prepared};
use oxigraph::model::{NamedNode, Term, Variable};
use oxigraph::sparql::QuerySolution;
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};
use rust_xlsxwriter::{Format, Workbook};

const OBLIGATIONS: &str = include_str!("../../queries/export/obligations.rq");
const ELEMENT_ROW: &str = include_str!("../../queries/export/element-row.rq");

/// A column: its header and XLSX width (in characters).
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub width: f64,
}

/// A sheet of text cells.
#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet name (at most 31 characters, as Excel allows).
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

/// The shared row shape: (header, width, variable of the export queries).
const REQUIREMENT_COLUMNS: [(&str, f64, &str); 13] = [
    ("Jurisdiction", 12.0, "code"),
    ("Instrument", 22.0, "instrumentName"),
    ("Reference", 14.0, "ref"),
    ("Title", 40.0, "title"),
    ("Text or paraphrase", 70.0, "wording"),
    ("Strength", 10.0, "strength"),
    ("Roles", 24.0, "roles"),
    ("Themes", 28.0, "themes"),
    ("Status", 20.0, "statusLabel"),
    ("Applies from", 13.0, "appliesFrom"),
    ("Application dates", 36.0, "history"),
    ("Source URL", 40.0, "url"),
    ("IRI", 40.0, "requirement"),
];

impl Table {
    /// A table with no columns (for answering a request for an unknown file type).
    pub fn empty() -> Self {
        Self::with_columns("Empty", [])
    }

    fn with_columns(title: &str, columns: impl IntoIterator<Item = (String, f64)>) -> Self {
        Self {
            title: title.to_owned(),
            columns: columns
                .into_iter()
                .map(|(header, width)| Column { header, width })
                .collect(),
            rows: Vec::new(),
        }
    }

    fn requirement_shape(title: &str) -> Self {
        Self::with_columns(
            title,
            REQUIREMENT_COLUMNS
                .iter()
                .map(|(h, w, _)| ((*h).to_owned(), *w)),
        )
    }

    /// RFC 4180 CSV with a header row.
    pub fn csv(&self) -> Result<Vec<u8>, ExportError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(self.columns.iter().map(|c| c.header.as_str()))?;
        for row in &self.rows {
            writer.write_record(row)?;
        }
        writer
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))
    }

    /// An XLSX workbook of one sheet: bold header row frozen, widths set, autofilter over the
    /// data, long text wrapped. URLs stay text (Excel's hyperlink cells cap at 2,079
    /// characters and would turn a long source URL into an error).
    pub fn xlsx(&self) -> Result<Vec<u8>, ExportError> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let name: String = self
            .title
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        sheet.set_name(if name.is_empty() {
            "Sheet1".into()
        } else {
            name
        })?;
        let header = Format::new().set_bold().set_text_wrap();
        let wrap = Format::new().set_text_wrap();
        for (col, column) in self.columns.iter().enumerate() {
            let col = col as u16;
            sheet.write_string_with_format(0, col, &column.header, &header)?;
            sheet.set_column_width(col, column.width)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                // Excel's cell limit; longer text is cut with a mark rather than refused.
                let cell = clip(cell, 32_000);
                let (r, c) = ((r + 1) as u32, c as u16);
                if self.columns[c as usize].width >= 36.0 {
                    sheet.write_string_with_format(r, c, cell.as_ref(), &wrap)?;
                } else {
                    sheet.write_string(r, c, cell.as_ref())?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        let last_col = self.columns.len().saturating_sub(1) as u16;
        sheet.autofilter(0, 0, self.rows.len() as u32, last_col)?;
        Ok(workbook.save_to_buffer()?)
    }
}

fn clip(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.chars().count() <= max {
        return text.into();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{cut}…").into()
}

/// The obligation export as a saved query (for its documented, validated parameters).
pub fn obligations_query() -> SavedQuery {
    SavedQuery::from_text("obligations", OBLIGATIONS)
        .expect("queries/export/obligations.rq has a valid header")
}

/// The obligation list for the given (already validated) parameters. Blocking.
pub fn obligations(
    engine: &Engine,
    bindings: Vec<(Variable, crate::sparql::GroundTerm)>,
) -> Result<Table, ExportError> {
    let mut prepared = engine.prepare(OBLIGATIONS, &DatasetRequest::default())?;
    for (variable, term) in bindings {
        prepared = prepared.bind(variable, term);
    }
    let mut table = Table::requirement_shape("Obligations");
    for row in solutions(engine, prepared)? {
        table.rows.push(requirement_row(&row));
    }
    Ok(table)
}

/// Search hits in the requirement row shape, in the order of the hits. Blocking.
pub fn search_hits(graph: &Graph, iris: &[String]) -> Result<Table, ExportError> {
    let mut table = Table::requirement_shape("Search");
    for iri in iris {
        let Ok(node) = NamedNode::new(iri.as_str()) else {
            continue;
        };
        let rows = graph.select(
            "export: element row",
            ELEMENT_ROW,
            [(Variable::new_unchecked("doc"), node.into())],
        )?;
        let mut row = rows
            .first()
            .map(requirement_row)
            .unwrap_or_else(|| vec![String::new(); REQUIREMENT_COLUMNS.len()]);
        if let Some(last) = row.last_mut() {
            *last = iri.clone();
        }
        table.rows.push(row);
    }
    Ok(table)
}

/// A saved query's (or any SELECT's) results as a table of its variables. Blocking.
pub fn query_results(
    engine: &Engine,
    title: &str,
    prepared: Prepared,
) -> Result<Table, ExportError> {
    let (variables, rows) = solutions_with_variables(engine, prepared)?;
    let mut table = Table::with_columns(
        title,
        variables.iter().map(|v| (v.as_str().to_owned(), 24.0)),
    );
    for row in rows {
        table.rows.push(
            variables
                .iter()
                .map(|v| row.get(v).map(cell).unwrap_or_default())
                .collect(),
        );
    }
    Ok(table)
}

fn requirement_row(row: &QuerySolution) -> Vec<String> {
    REQUIREMENT_COLUMNS
        .iter()
        .map(|(_, _, var)| row.get(*var).map(cell).unwrap_or_default())
        .collect()
}

/// A term as a spreadsheet cell: an IRI's text, a literal's value.
fn cell(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::Literal(l) => l.value().to_owned(),
        Term::BlankNode(b) => format!("_:{}", b.as_str()),
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    }
}

fn solutions(engine: &Engine, prepared: Prepared) -> Result<Vec<QuerySolution>, ExportError> {
    Ok(solutions_with_variables(engine, prepared)?.1)
}

/// Runs a SELECT under the engine's limits (timeout, row cap) and reads the rows back.
fn solutions_with_variables(
    engine: &Engine,
    prepared: Prepared,
) -> Result<(Vec<Variable>, Vec<QuerySolution>), ExportError> {
    if prepared.form() != crate::sparql::QueryForm::Select {
        return Err(ExportError::Invalid(
            "only SELECT results are tables".into(),
        ));
    }
    let mut json = Vec::new();
    engine.run(
        prepared,
        OutputFormat::Results(QueryResultsFormat::Json),
        &mut json,
    )?;
    match QueryResultsParser::from_format(QueryResultsFormat::Json)
        .for_slice(&json)
        .map_err(|e| ExportError::Invalid(e.to_string()))?
    {
        SliceQueryResultsParserOutput::Solutions(rows) => {
            let variables = rows.variables().to_vec();
            let rows = rows
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ExportError::Invalid(e.to_string()))?;
            Ok((variables, rows))
        }
        SliceQueryResultsParserOutput::Boolean(_) => Err(ExportError::Invalid(
            "only SELECT results are tables".into(),
        )),
    }
}
