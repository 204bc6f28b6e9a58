//! `crosswalk export …`, `crosswalk import mappings …` and `crosswalk questionnaire …`:
//! arguments and output. The work is in `crosswalk::export`, `crosswalk::import` and
//! `crosswalk::questionnaire`.

use clap::{Args, Subcommand};
use crosswalk::config::Config;
use crosswalk::downstream::Opened;
use crosswalk::export::{self, oscal, sssom, tabular};
use crosswalk::graph::Graph;
use crosswalk::graph::codes::Codes;
use crosswalk::import;
use crosswalk::mapping::{Framework, MappingSet};
use crosswalk::questionnaire;
use crosswalk::sparql::Engine;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ExportCommand {
    /// The whole public dataset (every named graph but the bookkeeping one)
    Graph {
        /// nquads or trig
        #[arg(long, default_value = "nquads")]
        format: String,
        /// Gzip the output
        #[arg(long)]
        gzip: bool,
        #[command(flatten)]
        output: Output,
    },
    /// A framework as an OSCAL 1.2 catalog (JSON)
    OscalCatalog {
        /// Framework code, e.g. us-nist-ai-rmf
        framework: String,
        #[command(flatten)]
        output: Output,
    },
    /// Every catalog and every mapping pair (both directions, derived mappings included) as
    /// OSCAL 1.2 JSON files under a directory: catalogs/<code>.json, mappings/<from>--<to>.json
    OscalAll {
        /// The directory to write into (created if missing)
        #[arg(long, short = 'o')]
        dir: PathBuf,
    },
    /// The mappings between two frameworks as an OSCAL 1.2 control-mapping document (JSON)
    OscalMapping {
        from: String,
        to: String,
        /// Include mappings derived by the service (two-hop chains)
        #[arg(long)]
        derived: bool,
        #[command(flatten)]
        output: Output,
    },
    /// The mappings between two frameworks as SSSOM/TSV
    Sssom {
        from: String,
        to: String,
        #[arg(long)]
        derived: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Obligations (the obligations query's filters) as CSV or XLSX
    Obligations {
        #[arg(long)]
        jurisdiction: Option<String>,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        theme: Option<String>,
        #[arg(long)]
        status: Option<String>,
        /// Only requirements applying on this date (YYYY-MM-DD)
        #[arg(long)]
        as_of: Option<String>,
        /// csv or xlsx
        #[arg(long, default_value = "csv")]
        format: String,
        #[command(flatten)]
        output: Output,
    },
    /// A saved query's results as CSV or XLSX
    Query {
        name: String,
        /// Parameter as key=value (repeatable)
        #[arg(long = "param", short = 'p')]
        params: Vec<String>,
        #[arg(long, default_value = "csv")]
        format: String,
        #[command(flatten)]
        output: Output,
    },
}

impl ExportCommand {
    /// `crosswalk export --format nquads` (no subcommand) is the whole dataset, as before
    /// exports had subcommands.
    pub fn or_graph(command: Option<Self>, format: Option<String>) -> Result<Self, String> {
        match (command, format) {
            (Some(_), Some(format)) => Err(format!(
                "--format {format:?} before the subcommand applies to the whole dataset only; \
                 put it after the subcommand"
            )),
            (Some(command), None) => Ok(command),
            (None, format) => Ok(Self::Graph {
                format: format.unwrap_or_else(|| "nquads".to_owned()),
                gzip: false,
                output: Output { output: None },
            }),
        }
    }

    /// What to ask a running server for instead (the store is then locked).
    pub fn endpoint(&self) -> &'static str {
        match self {
            Self::Graph { .. } => "GET /dump.nq.gz or /dump.trig.gz",
            Self::OscalCatalog { .. } => "GET /api/export/oscal/catalog/{framework}",
            Self::OscalMapping { .. } | Self::OscalAll { .. } => {
                "GET /api/export/oscal/mapping?from=A&to=B"
            }
            Self::Sssom { .. } => "GET /api/export/sssom?from=A&to=B",
            Self::Obligations { .. } => "GET /api/export/obligations.{csv,xlsx}",
            Self::Query { .. } => "GET /api/export/queries/{name}.{csv,xlsx}",
        }
    }
}

#[derive(Args)]
pub struct Output {
    /// Write to this file instead of standard output
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

impl Output {
    fn write(&self, bytes: &[u8]) -> Result<(), String> {
        match &self.output {
            Some(path) => {
                std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
            }
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes)
                    .and_then(|()| out.flush())
                    .map_err(|e| e.to_string())
            }
        }
    }
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Mappings from an OSCAL control-mapping document or an SSSOM/TSV file
    Mappings {
        file: PathBuf,
        /// oscal or sssom (default: guessed from the content)
        #[arg(long)]
        format: Option<String>,
        /// Write the valid rows even when others are rejected
        #[arg(long)]
        partial: bool,
        /// Name of the import graph (default: from the file name); importing again under the
        /// same name replaces it
        #[arg(long)]
        name: Option<String>,
        /// Review status of the imported mappings
        #[arg(long, default_value = "draft")]
        review_status: String,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct QuestionnaireArgs {
    /// Framework code (repeatable), e.g. sg-mgf-genai
    #[arg(long = "framework", required = true)]
    frameworks: Vec<String>,
    /// Jurisdiction code the buyer operates in (repeatable); international standards count everywhere
    #[arg(long = "jurisdiction")]
    jurisdictions: Vec<String>,
    /// The buyer's role, e.g. deployer
    #[arg(long)]
    role: String,
    /// md, csv or xlsx
    #[arg(long, default_value = "md")]
    format: String,
    #[command(flatten)]
    output: Output,
}

pub fn export(
    config: &Config,
    graph: &Graph,
    engine: &Engine,
    command: ExportCommand,
) -> Result<ExitCode, String> {
    let codes = Codes::load(graph).map_err(|e| e.to_string())?;
    let framework = |code: &str| Framework::resolve(graph, &codes, code).map_err(|e| e.to_string());
    let text = |e: export::ExportError| e.to_string();
    match command {
        ExportCommand::Graph {
            format,
            gzip,
            output,
        } => {
            let format = export::dump::format(&format).ok_or_else(|| {
                format!("unsupported export format {format:?}: use nquads or trig")
            })?;
            match &output.output {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    export::dump::write(graph, format, gzip, std::io::BufWriter::new(file))
                        .map_err(text)?;
                }
                None => {
                    let out = std::io::BufWriter::new(std::io::stdout().lock());
                    export::dump::write(graph, format, gzip, out).map_err(text)?;
                }
            }
        }
        ExportCommand::OscalCatalog {
            framework: code,
            output,
        } => {
            let outline = oscal::Outline::load(graph, framework(&code)?).map_err(text)?;
            let context = oscal::Context::new(graph).map_err(text)?;
            let document = oscal::catalog(&context, &outline).map_err(text)?;
            output.write(&pretty(&document)?)?;
        }
        ExportCommand::OscalAll { dir } => {
            let documents = oscal::everything(graph, &codes).map_err(text)?;
            for document in &documents {
                let path = dir.join(&document.path);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("{}: {e}", parent.display()))?;
                }
                std::fs::write(&path, pretty(&document.json)?)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            let catalogs = documents
                .iter()
                .filter(|d| d.path.starts_with("catalogs/"))
                .count();
            println!(
                "{catalogs} catalogs and {} mapping documents written to {}",
                documents.len() - catalogs,
                dir.display()
            );
        }
        ExportCommand::OscalMapping {
            from,
            to,
            derived,
            output,
        } => {
            let set = MappingSet::read(graph, framework(&from)?, framework(&to)?, derived)
                .map_err(|e| e.to_string())?;
            let a = oscal::Outline::load(graph, set.from.clone()).map_err(text)?;
            let b = oscal::Outline::load(graph, set.to.clone()).map_err(text)?;
            let context = oscal::Context::new(graph).map_err(text)?;
            output.write(&pretty(
                &oscal::mapping(&context, &set, &a, &b).map_err(text)?,
            )?)?;
        }
        ExportCommand::Sssom {
            from,
            to,
            derived,
            output,
        } => {
            let set = MappingSet::read(graph, framework(&from)?, framework(&to)?, derived)
                .map_err(|e| e.to_string())?;
            let modified = export::last_modified(graph).map_err(text)?;
            let version = format!("crosswalk-r{}", graph.revision());
            output.write(&sssom::write(&set, &version, &modified[..10]).map_err(text)?)?;
        }
        ExportCommand::Obligations {
            jurisdiction,
            role,
            theme,
            status,
            as_of,
            format,
            output,
        } => {
            let pairs: Vec<(&str, &str)> = [
                ("jurisdiction", jurisdiction.as_deref()),
                ("role", role.as_deref()),
                ("theme", theme.as_deref()),
                ("status", status.as_deref()),
                ("asOf", as_of.as_deref()),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
            let bindings = tabular::obligations_query()
                .checked_bindings(pairs, &codes)
                .map_err(|e| e.to_string())?;
            let table = tabular::obligations(engine, bindings).map_err(text)?;
            output.write(&table_bytes(&table, &format)?)?;
        }
        ExportCommand::Query {
            name,
            params,
            format,
            output,
        } => {
            let saved = crosswalk::sparql::saved::SavedQueries::load(&config.queries_dir)
                .map_err(|e| e.to_string())?;
            let query = saved.get(&name).map_err(|e| e.to_string())?;
            let pairs = crate::key_values(&params)?;
            let bindings = query
                .checked_bindings(pairs, &codes)
                .map_err(|e| e.to_string())?;
            let mut prepared = engine
                .prepare(&query.text, &Default::default())
                .map_err(|e| e.to_string())?;
            for (variable, term) in bindings {
                prepared = prepared.bind(variable, term);
            }
            let table = tabular::query_results(engine, &name, prepared).map_err(text)?;
            output.write(&table_bytes(&table, &format)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn pretty(value: &serde_json::Value) -> Result<Vec<u8>, String> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn table_bytes(table: &tabular::Table, format: &str) -> Result<Vec<u8>, String> {
    match format {
        "csv" => table.csv(),
        "xlsx" => table.xlsx(),
        other => return Err(format!("format {other:?}: use csv or xlsx")),
    }
    .map_err(|e| e.to_string())
}

pub fn import_mappings(opened: &Opened, command: ImportCommand) -> Result<ExitCode, String> {
    let graph = &opened.graph;
    let ImportCommand::Mappings {
        file,
        format,
        partial,
        name,
        review_status,
        json,
    } = command;
    let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let format = match format {
        Some(f) => import::Format::parse(&f)
            .ok_or_else(|| format!("--format {f:?}: use oscal or sssom"))?,
        None => import::Format::sniff(&bytes),
    };
    let options = import::Options {
        name: name.unwrap_or_else(|| import::name_from(&file.to_string_lossy())),
        format,
        partial,
        review_status,
        origin: Some(file.display().to_string()),
    };
    let codes = Codes::load(graph).map_err(|e| e.to_string())?;
    let rows = match format {
        import::Format::Oscal => import::oscal::parse(graph, &codes, &bytes),
        import::Format::Sssom => import::sssom::parse(&bytes, &codes),
    };
    let result = rows.and_then(|rows| import::import(graph, &codes, rows, &options));
    let (report, code) = match result {
        Ok(report) => {
            // The imported mappings reach the derived graph and the index before we exit.
            opened.catch_up().map_err(|e| e.to_string())?;
            (report, ExitCode::SUCCESS)
        }
        Err(import::ImportError::Rejected(report)) => (*report, ExitCode::FAILURE),
        Err(e) => return Err(e.to_string()),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        for r in &report.rejected {
            println!(
                "REJECTED  {:<28} {:<22} {:?}: {}",
                r.locator, r.field, r.value, r.reason
            );
        }
        println!(
            "{} rows, {} accepted, {} rejected; {} ({})",
            report.rows,
            report.accepted,
            report.rejected.len(),
            if report.written {
                format!("written to {}", report.graph)
            } else {
                "nothing written".to_owned()
            },
            if report.written || report.rejected.is_empty() {
                "ok"
            } else {
                "use --partial to write the valid rows"
            }
        );
    }
    Ok(code)
}

pub fn questionnaire(graph: &Graph, args: QuestionnaireArgs) -> Result<ExitCode, String> {
    let codes = Codes::load(graph).map_err(|e| e.to_string())?;
    let request = questionnaire::Request {
        frameworks: args.frameworks,
        jurisdictions: args.jurisdictions,
        role: args.role,
    };
    let q = questionnaire::build(graph, &codes, &request).map_err(|e| e.to_string())?;
    let bytes = match args.format.as_str() {
        "md" | "markdown" => q.markdown().into_bytes(),
        "csv" => q.table().csv().map_err(|e| e.to_string())?,
        "xlsx" => q.table().xlsx().map_err(|e| e.to_string())?,
        other => return Err(format!("--format {other:?}: use md, csv or xlsx")),
    };
    args.output.write(&bytes)?;
    Ok(ExitCode::SUCCESS)
}
