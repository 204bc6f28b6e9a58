//! PDF → page texts, parsed in a sandboxed child process.
//!
//! The parser (pdf-extract on lopdf) panics, recurses and allocates without bound on hostile
//! files, so the service never runs it in-process: [`extract_pages`] spawns
//! `<program> extract-pdf` (the hidden CLI subcommand, which calls [`run_child`]), pipes the
//! PDF to its stdin and reads JSON from its stdout. The child is killed when it exceeds the
//! wall-clock limit; its memory is capped by `prlimit --as` (util-linux) when available, with
//! a resident-set watchdog on `/proc/<pid>/status` as a second line (and the only one where
//! prlimit is missing), and its CPU time by `prlimit --cpu` as a backstop if this process dies.

use super::ExtractError;
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Limits and program of the PDF sandbox.
#[derive(Debug, Clone)]
pub struct PdfSandbox {
    /// Program run as `<program> extract-pdf`; `None` means the current executable (the
    /// `crosswalk` binary). Tests and benchmarks pass `env!("CARGO_BIN_EXE_crosswalk")`.
    pub program: Option<PathBuf>,
    /// Wall-clock limit for one PDF.
    pub timeout: Duration,
    /// Address-space (prlimit) and resident-set (watchdog) limit of the child, in bytes.
    pub memory_limit: u64,
    /// Larger PDFs are refused without being parsed.
    pub max_input_bytes: usize,
    /// Larger JSON replies (extracted text) are refused.
    pub max_output_bytes: usize,
}

impl Default for PdfSandbox {
    fn default() -> Self {
        PdfSandbox {
            program: None,
            timeout: Duration::from_secs(60),
            memory_limit: 1 << 30,
            max_input_bytes: 200 << 20,
            max_output_bytes: 64 << 20,
        }
    }
}

/// The child's answer on stdout.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply {
    Pages(Vec<String>),
    Error(ExtractError),
}

/// Upper bound the child itself enforces on its input, whatever the parent sends.
const CHILD_MAX_INPUT: usize = 512 << 20;
/// Upper bound on extracted text, so a PDF of endless glyphs stops early.
const MAX_TEXT_BYTES: usize = 48 << 20;
/// Bytes of the child's stderr kept for error messages.
const STDERR_KEEP: u64 = 16 << 10;
/// Fewer letters and digits than this in the whole document means no text layer.
const MIN_TEXT_CHARS: usize = 16;

/// Parses a PDF in a sandboxed child process; returns the text of each page.
pub(crate) fn extract_pages(
    bytes: &[u8],
    sandbox: &PdfSandbox,
) -> Result<Vec<String>, ExtractError> {
    if bytes.len() > sandbox.max_input_bytes {
        return Err(ExtractError::MalformedPdf(format!(
            "{} bytes exceeds the {}-byte limit",
            bytes.len(),
            sandbox.max_input_bytes
        )));
    }
    // Cheap rejection before paying for a process: PDF readers accept the header anywhere in
    // the first KiB.
    if !bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        return Err(ExtractError::MalformedPdf("no %PDF- header".into()));
    }
    let program = match &sandbox.program {
        Some(program) => program.clone(),
        None => std::env::current_exe()
            .map_err(|e| ExtractError::Crashed(format!("cannot locate own executable: {e}")))?,
    };
    let mut command = sandbox_command(&program, sandbox);
    command
        .arg("extract-pdf")
        // Nothing of this process's environment (an admin token, say) reaches the parser.
        .env_clear()
        .env("CROSSWALK_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| ExtractError::Crashed(format!("cannot start {}: {e}", program.display())))?;
    let outcome = supervise(&mut child, bytes, sandbox);
    // Never leave a child behind, whatever happened above.
    if !matches!(child.try_wait(), Ok(Some(_))) {
        let _ = child.kill();
        let _ = child.wait();
    }
    outcome
}

fn sandbox_command(program: &Path, sandbox: &PdfSandbox) -> Command {
    match prlimit() {
        Some(prlimit) => {
            let mut command = Command::new(prlimit);
            command
                .arg(format!("--as={}", sandbox.memory_limit))
                .arg(format!("--cpu={}", sandbox.timeout.as_secs() + 1))
                .arg("--core=0")
                .arg("--")
                .arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// `prlimit` from util-linux on the PATH, looked up once.
fn prlimit() -> Option<&'static Path> {
    static PRLIMIT: OnceLock<Option<PathBuf>> = OnceLock::new();
    PRLIMIT
        .get_or_init(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .map(|dir| dir.join("prlimit"))
                .find(|candidate| candidate.is_file())
        })
        .as_deref()
}

enum Ended {
    Exited(ExitStatus),
    TimedOut,
    OverMemory(u64),
}

fn supervise(
    child: &mut Child,
    bytes: &[u8],
    sandbox: &PdfSandbox,
) -> Result<Vec<String>, ExtractError> {
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(ExtractError::Crashed("sandbox pipes unavailable".into()));
    };
    let max_output = sandbox.max_output_bytes as u64;
    std::thread::scope(|scope| {
        // A child that stops reading (or dies) fails the write; that is reported by its exit.
        scope.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        let out = scope.spawn(move || read_capped(stdout, max_output));
        let err = scope.spawn(move || read_capped(stderr, STDERR_KEEP));
        let (ended, peak_virtual) = wait_bounded(child, sandbox);
        if !matches!(ended, Ended::Exited(_)) {
            let _ = child.kill();
            let _ = child.wait();
        }
        let (stdout, overflow) = out.join().unwrap_or_default();
        let (stderr, _) = err.join().unwrap_or_default();
        let stderr = String::from_utf8_lossy(&stderr);
        match ended {
            Ended::TimedOut => Err(ExtractError::Timeout),
            Ended::OverMemory(rss) => Err(ExtractError::Crashed(format!(
                "memory limit exceeded: resident set {} MiB over {} MiB",
                rss >> 20,
                sandbox.memory_limit >> 20
            ))),
            Ended::Exited(_) if overflow => Err(ExtractError::Crashed(format!(
                "extracted text exceeds {max_output} bytes"
            ))),
            Ended::Exited(status) if status.success() => match serde_json::from_slice(&stdout) {
                Ok(Reply::Pages(pages)) => Ok(pages),
                Ok(Reply::Error(error)) => Err(error),
                Err(e) => Err(ExtractError::Crashed(format!(
                    "unreadable sandbox reply: {e}"
                ))),
            },
            Ended::Exited(status) => Err(ExtractError::Crashed(describe_failure(
                status,
                &stderr,
                peak_virtual,
                sandbox,
            ))),
        }
    })
}

fn describe_failure(
    status: ExitStatus,
    stderr: &str,
    peak_virtual: u64,
    sandbox: &PdfSandbox,
) -> String {
    use std::os::unix::process::ExitStatusExt;
    let last_line = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let near_limit = peak_virtual.saturating_mul(4) >= sandbox.memory_limit.saturating_mul(3);
    if stderr.contains("memory allocation of")
        || stderr.contains("out of memory")
        || (status.signal().is_some() && near_limit)
    {
        return format!(
            "memory limit of {} MiB exceeded",
            sandbox.memory_limit >> 20
        );
    }
    match status.signal() {
        Some(11) => format!("parser crashed (SIGSEGV, likely stack overflow) {last_line}"),
        Some(24) => "CPU time limit exceeded".to_string(),
        Some(signal) => format!("parser killed by signal {signal} {last_line}"),
        None => format!("parser exited with {status}: {last_line}"),
    }
    .trim()
    .to_string()
}

/// Polls the child until it exits, the deadline passes or its resident set exceeds the limit.
fn wait_bounded(child: &mut Child, sandbox: &PdfSandbox) -> (Ended, u64) {
    let deadline = Instant::now() + sandbox.timeout;
    let status_path = format!("/proc/{}/status", child.id());
    let mut pause = Duration::from_millis(1);
    // Largest address space seen: tells a memory-limit abort from other crashes when the
    // allocator dies without a message.
    let mut peak_virtual = 0;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (Ended::Exited(status), peak_virtual),
            Ok(None) => {}
            Err(_) => return (Ended::TimedOut, peak_virtual),
        }
        if Instant::now() >= deadline {
            return (Ended::TimedOut, peak_virtual);
        }
        if let Some((resident, virtual_size)) = memory_use(&status_path) {
            peak_virtual = peak_virtual.max(virtual_size);
            if resident > sandbox.memory_limit {
                return (Ended::OverMemory(resident), peak_virtual);
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// (resident set, address space) in bytes, from `/proc/<pid>/status`.
fn memory_use(status_path: &str) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(status_path).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmSize:")?))
}

/// Reads up to `cap` bytes, then drains the rest so the writer never blocks; reports overflow.
fn read_capped(reader: impl Read, cap: u64) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut reader = reader;
    let _ = (&mut reader).take(cap).read_to_end(&mut kept);
    let drained = std::io::copy(&mut reader, &mut std::io::sink()).unwrap_or(0);
    (kept, drained > 0)
}

/// The sandbox child: reads a PDF from `input`, writes a JSON reply to `output`. Called by
/// the hidden `crosswalk extract-pdf` subcommand; errors in the PDF become a reply, only I/O
/// failures on the pipes are returned.
pub fn run_child(input: impl Read, mut output: impl Write) -> std::io::Result<()> {
    let mut bytes = Vec::new();
    input
        .take(CHILD_MAX_INPUT as u64 + 1)
        .read_to_end(&mut bytes)?;
    let reply = if bytes.len() > CHILD_MAX_INPUT {
        Reply::Error(ExtractError::MalformedPdf("input too large".into()))
    } else {
        match parse_in_process(&bytes) {
            Ok(pages) => Reply::Pages(pages),
            Err(error) => Reply::Error(error),
        }
    };
    serde_json::to_writer(&mut output, &reply).map_err(std::io::Error::other)?;
    output.flush()
}

/// Parses a PDF in the calling process. Only for the sandbox child and benchmarks: a hostile
/// PDF can exhaust memory, recurse without bound or run for hours here.
pub fn parse_in_process(bytes: &[u8]) -> Result<Vec<String>, ExtractError> {
    let parsed = std::panic::catch_unwind(|| {
        let mut document = pdf_extract::Document::load_mem(bytes)
            .map_err(|e| ExtractError::MalformedPdf(e.to_string()))?;
        if document.is_encrypted() {
            document
                .decrypt("")
                .map_err(|e| ExtractError::MalformedPdf(format!("encrypted: {e}")))?;
        }
        let mut pages = PageText::default();
        match pdf_extract::output_doc(&document, &mut pages) {
            Ok(()) => {}
            Err(OutputError::FormatError(_)) if pages.bytes > MAX_TEXT_BYTES => {
                return Err(ExtractError::MalformedPdf(format!(
                    "text exceeds {MAX_TEXT_BYTES} bytes"
                )));
            }
            Err(e) => return Err(ExtractError::MalformedPdf(e.to_string())),
        }
        Ok(pages.pages)
    });
    let pages = match parsed {
        Ok(result) => result?,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            return Err(ExtractError::MalformedPdf(format!(
                "parser failed: {message}"
            )));
        }
    };
    if pages.is_empty() {
        return Err(ExtractError::MalformedPdf("no pages".into()));
    }
    let letters: usize = pages
        .iter()
        .map(|p| p.chars().filter(|c| c.is_alphanumeric()).count())
        .sum();
    if letters < MIN_TEXT_CHARS {
        return Err(ExtractError::ScannedPdf);
    }
    Ok(pages)
}

/// pdf-extract's plain-text layout (new line on a vertical move, space on a horizontal gap),
/// but one string per page and a bound on the total size.
#[derive(Default)]
struct PageText {
    pages: Vec<String>,
    bytes: usize,
    page_height: f64,
    last_end: f64,
    last_y: f64,
    first_char: bool,
}

impl OutputDev for PageText {
    fn begin_page(
        &mut self,
        _: u32,
        media_box: &MediaBox,
        _: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.pages.push(String::new());
        self.page_height = media_box.ury - media_box.lly;
        self.last_end = 100_000.0;
        self.last_y = 0.0;
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), OutputError> {
        // Device position with y pointing down (as pdf-extract's flip transform).
        let (x, y) = (trm.m31, self.page_height - trm.m32);
        let scaled_x = font_size * trm.m11 + font_size * trm.m21;
        let scaled_y = font_size * trm.m12 + font_size * trm.m22;
        let size = (scaled_x * scaled_y).abs().sqrt();
        let page = match self.pages.last_mut() {
            Some(page) => page,
            None => {
                self.pages.push(String::new());
                self.pages
                    .last_mut()
                    .ok_or(OutputError::FormatError(std::fmt::Error))?
            }
        };
        let before = page.len();
        // A page starts without a break: page boundaries are not paragraph boundaries.
        if self.first_char && before > 0 {
            if (y - self.last_y).abs() > size * 1.5 {
                page.push('\n');
            }
            if x < self.last_end && (y - self.last_y).abs() > size * 0.5 {
                page.push('\n');
            }
            if x > self.last_end + size * 0.1 {
                page.push(' ');
            }
        }
        page.push_str(char);
        self.bytes += page.len() - before;
        self.first_char = false;
        self.last_y = y;
        self.last_end = x + width * size;
        if self.bytes > MAX_TEXT_BYTES {
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        self.first_char = true;
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sandboxed parser starts with an empty environment: what this process holds (an admin
    /// token in `CROSSWALK_ADMIN_TOKEN`, say) never reaches it. The "parser" here is a script that
    /// answers with its environment as the page text.
    #[cfg(unix)]
    #[test]
    fn the_child_gets_none_of_the_environment() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("env-child");
        std::fs::write(
            &program,
            "#!/bin/sh\ncat > /dev/null\nprintf '{\"pages\":[\"%s\"]}' \"$(env | cut -d= -f1 | tr '\\n' ' ')\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let sandbox = PdfSandbox {
            program: Some(program),
            ..PdfSandbox::default()
        };
        let pages = extract_pages(b"%PDF-1.4 not really", &sandbox).unwrap();
        let names: Vec<&str> = pages[0].split_whitespace().collect();
        // The test runner's environment has these; the child must not.
        assert!(std::env::var_os("PATH").is_some());
        for inherited in ["PATH", "HOME", "CARGO_MANIFEST_DIR"] {
            assert!(
                !names.contains(&inherited),
                "{inherited} reached the child: {names:?}"
            );
        }
        assert!(names.contains(&"CROSSWALK_LOG"), "{names:?}");
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        assert!(matches!(
            parse_in_process(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ntrailer"),
            Err(ExtractError::MalformedPdf(_))
        ));
        assert!(matches!(
            parse_in_process(b""),
            Err(ExtractError::MalformedPdf(_))
        ));
    }

    #[test]
    fn missing_header_is_rejected_before_spawning() {
        let sandbox = PdfSandbox {
            program: Some(PathBuf::from("/nonexistent/never-run")),
            ..PdfSandbox::default()
        };
        assert_eq!(
            extract_pages(b"<html>not a pdf</html>", &sandbox),
            Err(ExtractError::MalformedPdf("no %PDF- header".into()))
        );
    }

    #[test]
    fn missing_program_is_a_crash_error() {
        let sandbox = PdfSandbox {
            program: Some(PathBuf::from("/nonexistent/never-run")),
            ..PdfSandbox::default()
        };
        assert!(matches!(
            extract_pages(b"%PDF-1.4\n", &sandbox),
            Err(ExtractError::Crashed(_))
        ));
    }

    #[test]
    fn child_protocol_reports_errors_as_json() {
        let mut out = Vec::new();
        run_child(&b"%PDF-1.4 truncated"[..], &mut out).unwrap();
        let reply: Reply = serde_json::from_slice(&out).unwrap();
        assert!(matches!(reply, Reply::Error(ExtractError::MalformedPdf(_))));
    }

    #[test]
    fn capped_reader_reports_overflow() {
        let (kept, overflow) = read_capped(&b"abcdef"[..], 4);
        assert_eq!((kept.as_slice(), overflow), (&b"abcd"[..], true));
        let (kept, overflow) = read_capped(&b"ab"[..], 4);
        assert_eq!((kept.as_slice(), overflow), (&b"ab"[..], false));
    }
}
