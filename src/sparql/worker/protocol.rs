//! Frames between the server and a query worker over their Unix socket pair: one tag byte, a
//! little-endian `u32` length, the payload. Control payloads are JSON; output chunks are the
//! serialised results as they are, so the server forwards them without copying them apart.

use super::super::Description;
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

/// Server → worker: evaluate a query ([`Query`]).
pub const QUERY: u8 = b'Q';
/// Server → worker: the answer to a [`CALL`] (SPARQL JSON results).
pub const REPLY: u8 = b'R';
/// Server → worker: a [`CALL`] failed ([`Failure`]).
pub const REPLY_ERROR: u8 = b'E';
/// Worker → server: the next piece of output.
pub const CHUNK: u8 = b'C';
/// Worker → server: the end of the output; [`DONE_HEADER`] bytes of summary, then the tail.
pub const DONE: u8 = b'D';
/// Worker → server: the evaluation failed ([`Failure`]).
pub const FAILED: u8 = b'F';
/// Worker → server: evaluate this `SELECT * { SERVICE <iri> { … } }` for me (the service
/// handlers, the full-text index among them, live in the server).
pub const CALL: u8 = b'S';

pub const HEADER: usize = 5;
/// A truncated flag, the row count and the evaluation's CPU time in microseconds (`u64`s,
/// little-endian) before a [`DONE`] frame's tail.
pub const DONE_HEADER: usize = 17;
/// No frame is larger: output comes in chunks of 32 KiB, service answers are at most 100 hits.
pub const MAX_FRAME: usize = 16 << 20;

/// What a worker is asked to evaluate.
#[derive(Debug, Serialize, Deserialize)]
pub struct Query {
    /// The checkpoint to read (opened once, kept until another is named).
    pub view: PathBuf,
    pub description: Description,
    /// `OutputFormat::code`.
    pub format: u8,
    pub timeout_ms: u64,
    pub max_rows: usize,
    /// Services whose calls are sent back to the server.
    pub services: Vec<String>,
}

/// How an evaluation (or a service call) failed.
#[derive(Debug, Serialize, Deserialize)]
pub struct Failure {
    /// The request's fault (HTTP 4xx).
    pub client: bool,
    /// It hit the time limit.
    pub timeout: bool,
    pub message: String,
}

/// Writes one frame in a single `write_all`.
pub fn write_frame(out: &mut impl Write, tag: u8, payload: &[u8]) -> io::Result<()> {
    out.write_all(&frame(tag, payload)?)
}

/// One frame as bytes.
pub fn frame(tag: u8, payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(HEADER + payload.len());
    bytes.push(tag);
    bytes.extend_from_slice(&length(payload.len())?.to_le_bytes());
    bytes.extend_from_slice(payload);
    Ok(bytes)
}

/// The length field for `len` bytes of payload.
pub fn length(len: usize) -> io::Result<u32> {
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes exceeds {MAX_FRAME}"),
        ));
    }
    Ok(len as u32)
}

/// The tag and payload length of a frame header.
pub fn parse_header(header: [u8; HEADER]) -> io::Result<(u8, usize)> {
    let len = u32::from_le_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes exceeds {MAX_FRAME}"),
        ));
    }
    Ok((header[0], len))
}

/// Reads one frame (blocking).
pub fn read_frame(input: &mut impl Read) -> io::Result<(u8, Vec<u8>)> {
    let mut header = [0; HEADER];
    input.read_exact(&mut header)?;
    let (tag, len) = parse_header(header)?;
    let mut payload = vec![0; len];
    input.read_exact(&mut payload)?;
    Ok((tag, payload))
}

/// What a [`DONE`] frame says about the evaluation it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub rows: usize,
    pub truncated: bool,
    /// CPU time the worker spent preparing and evaluating the query.
    pub cpu: Duration,
}

impl Summary {
    /// The [`DONE_HEADER`] bytes that carry it.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.truncated));
        out.extend_from_slice(&(self.rows as u64).to_le_bytes());
        let micros = u64::try_from(self.cpu.as_micros()).unwrap_or(u64::MAX);
        out.extend_from_slice(&micros.to_le_bytes());
    }
}

/// A [`DONE`] payload's summary and the tail after it.
pub fn split_done(payload: &[u8]) -> io::Result<(Summary, &[u8])> {
    if payload.len() < DONE_HEADER {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "short end-of-output frame",
        ));
    }
    let word = |at: usize| {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(&payload[at..at + 8]);
        u64::from_le_bytes(bytes)
    };
    let summary = Summary {
        truncated: payload[0] != 0,
        rows: usize::try_from(word(1)).unwrap_or(usize::MAX),
        cpu: Duration::from_micros(word(9)),
    };
    Ok((summary, &payload[DONE_HEADER..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_oversized_ones_are_refused() {
        let mut buffer = Vec::new();
        write_frame(&mut buffer, CHUNK, b"abc").unwrap();
        let summary = Summary {
            rows: 7,
            truncated: true,
            cpu: Duration::from_micros(1_234),
        };
        let mut done = Vec::new();
        summary.encode(&mut done);
        done.push(b'z');
        write_frame(&mut buffer, DONE, &done).unwrap();
        let mut input = buffer.as_slice();
        assert_eq!(read_frame(&mut input).unwrap(), (CHUNK, b"abc".to_vec()));
        let (tag, payload) = read_frame(&mut input).unwrap();
        assert_eq!(tag, DONE);
        assert_eq!(split_done(&payload).unwrap(), (summary, &b"z"[..]));
        assert!(split_done(&done[..DONE_HEADER - 1]).is_err());
        let mut huge = vec![CHUNK];
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_frame(&mut huge.as_slice()).is_err());
    }
}
