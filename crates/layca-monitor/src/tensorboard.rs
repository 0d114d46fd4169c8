//! TensorBoard event files, without `protoc` and without the monitor: usable on its own.
//!
//! A file is a sequence of TFRecords — `u64` length (little endian), masked CRC-32C of those 8
//! bytes, the data, masked CRC-32C of the data — each holding one `tensorflow.Event` protobuf.
//! The messages below are the fields of `event.proto` / `summary.proto` this crate writes,
//! hand-written with `prost` derive (same field numbers and wire types). The first event of a file
//! is `file_version: "brain.Event:2"`; the file is named `events.out.tfevents.<secs>.<host>`.
//!
//! ```
//! use layca_monitor::tensorboard::{EventWriter, Histogram};
//! let dir = tempfile::tempdir()?;
//! let mut tb = EventWriter::create(dir.path())?;
//! tb.add_scalar("loss", 0.25, 1)?;
//! tb.add_histogram("weights/dense", &Histogram::from_values(&[0.1, -0.2, 0.3], 4), 1)?;
//! tb.flush()?;
//! assert!(tb.path().file_name().unwrap().to_str().unwrap().starts_with("events.out.tfevents."));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
use crate::{MonitorError, Result};
use prost::Message;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// `tensorflow.Event` (the fields written here).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// Seconds since the epoch.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    /// Global step.
    #[prost(int64, tag = "2")]
    pub step: i64,
    /// What the event holds.
    #[prost(oneof = "EventWhat", tags = "3, 5")]
    pub what: Option<EventWhat>,
}

/// `Event.what`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum EventWhat {
    /// `file_version` (first event of a file).
    #[prost(string, tag = "3")]
    FileVersion(String),
    /// `summary`.
    #[prost(message, tag = "5")]
    Summary(Summary),
}

/// `tensorflow.Summary`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// `value`.
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<SummaryValue>,
}

/// `tensorflow.Summary.Value`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryValue {
    /// `tag`.
    #[prost(string, tag = "1")]
    pub tag: String,
    /// `value` oneof.
    #[prost(oneof = "ValueKind", tags = "2, 5")]
    pub value: Option<ValueKind>,
}

/// `Summary.Value.value`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum ValueKind {
    /// `simple_value` (float32).
    #[prost(float, tag = "2")]
    SimpleValue(f32),
    /// `histo`.
    #[prost(message, tag = "5")]
    Histo(Histogram),
}

/// `tensorflow.HistogramProto`: bucket `i` counts values in (`bucket_limit[i-1]`, `bucket_limit[i]`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    /// Smallest value.
    #[prost(double, tag = "1")]
    pub min: f64,
    /// Largest value.
    #[prost(double, tag = "2")]
    pub max: f64,
    /// Number of values.
    #[prost(double, tag = "3")]
    pub num: f64,
    /// Σ x.
    #[prost(double, tag = "4")]
    pub sum: f64,
    /// Σ x².
    #[prost(double, tag = "5")]
    pub sum_squares: f64,
    /// Right edges of the buckets.
    #[prost(double, repeated, tag = "6")]
    pub bucket_limit: Vec<f64>,
    /// Counts per bucket.
    #[prost(double, repeated, tag = "7")]
    pub bucket: Vec<f64>,
}

impl Histogram {
    /// `bins` equal-width buckets over [min, max] of the finite values (at least one bucket).
    pub fn from_values(values: &[f64], bins: usize) -> Self {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let (min, max) = finite
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if finite.is_empty() {
            return Self::default();
        }
        let bins = if max > min { bins.max(1) } else { 1 };
        let width = (max - min) / bins as f64;
        let mut bucket = vec![0.0; bins];
        for &v in &finite {
            let i = if width > 0.0 {
                ((v - min) / width) as usize
            } else {
                0
            };
            bucket[i.min(bins - 1)] += 1.0;
        }
        let mut bucket_limit: Vec<f64> = (1..bins).map(|i| min + width * i as f64).collect();
        bucket_limit.push(max);
        Self {
            min,
            max,
            num: finite.len() as f64,
            sum: finite.iter().sum(),
            sum_squares: finite.iter().map(|v| v * v).sum(),
            bucket_limit,
            bucket,
        }
    }
}

fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// One TFRecord: length, masked CRC-32C of the length, data, masked CRC-32C of the data.
pub fn tfrecord(data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + 16);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
    out
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn summary_event(step: i64, value: SummaryValue) -> Event {
    Event {
        wall_time: now(),
        step,
        what: Some(EventWhat::Summary(Summary { value: vec![value] })),
    }
}

/// An in-memory event file: build it, then write it atomically with [`EventBuffer::write_to`].
#[derive(Debug, Clone)]
pub struct EventBuffer {
    bytes: Vec<u8>,
}

impl Default for EventBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBuffer {
    /// A buffer holding the `file_version` event.
    pub fn new() -> Self {
        let mut b = Self { bytes: vec![] };
        b.push(&Event {
            wall_time: now(),
            step: 0,
            what: Some(EventWhat::FileVersion("brain.Event:2".into())),
        });
        b
    }
    /// Appends one event.
    pub fn push(&mut self, event: &Event) {
        self.bytes.extend(tfrecord(&event.encode_to_vec()));
    }
    /// Appends a scalar (TensorBoard stores it as float32).
    pub fn scalar(&mut self, tag: &str, value: f64, step: i64) {
        let v = SummaryValue {
            tag: tag.into(),
            value: Some(ValueKind::SimpleValue(value as f32)),
        };
        self.push(&summary_event(step, v));
    }
    /// Appends a histogram.
    pub fn histogram(&mut self, tag: &str, h: &Histogram, step: i64) {
        let v = SummaryValue {
            tag: tag.into(),
            value: Some(ValueKind::Histo(h.clone())),
        };
        self.push(&summary_event(step, v));
    }
    /// The encoded file.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// Writes the file atomically (layca-io) as a new `events.out.tfevents.*` in `dir`.
    pub fn write_to(&self, dir: &Path) -> Result<PathBuf> {
        let path = new_event_path(dir)?;
        layca_io::write_atomic(&path, &self.bytes).map_err(|e| MonitorError::io(&path, e))?;
        Ok(path)
    }
}

fn hostname() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let clean: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .collect();
    if clean.is_empty() {
        "localhost".into()
    } else {
        clean
    }
}

/// `dir/events.out.tfevents.<secs>.<host>` (creating `dir`), with `.N` appended if taken.
pub fn new_event_path(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| MonitorError::io(dir, e))?;
    let secs = now() as u64;
    let base = format!("events.out.tfevents.{secs}.{}", hostname());
    let mut path = dir.join(&base);
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{base}.{n}"));
        n += 1;
    }
    Ok(path)
}

/// A streaming event file (appended and flushed like TensorBoard's own writer: a crash loses at
/// most the unflushed tail, which TensorBoard's reader skips).
pub struct EventWriter {
    file: BufWriter<File>,
    path: PathBuf,
}

impl EventWriter {
    /// Creates `dir/events.out.tfevents.<secs>.<host>` and writes the `file_version` event.
    pub fn create(dir: &Path) -> Result<Self> {
        let path = new_event_path(dir)?;
        let file = File::create(&path).map_err(|e| MonitorError::io(&path, e))?;
        let mut w = Self {
            file: BufWriter::new(file),
            path,
        };
        w.write_bytes(EventBuffer::new().bytes())?;
        Ok(w)
    }
    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }
    fn write_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .map_err(|e| MonitorError::io(&self.path, e))
    }
    /// Appends one event.
    pub fn add_event(&mut self, event: &Event) -> Result<()> {
        self.write_bytes(&tfrecord(&event.encode_to_vec()))
    }
    /// Appends a scalar (stored as float32 `simple_value`).
    pub fn add_scalar(&mut self, tag: &str, value: f64, step: i64) -> Result<()> {
        let v = SummaryValue {
            tag: tag.into(),
            value: Some(ValueKind::SimpleValue(value as f32)),
        };
        self.add_event(&summary_event(step, v))
    }
    /// Appends a histogram.
    pub fn add_histogram(&mut self, tag: &str, h: &Histogram, step: i64) -> Result<()> {
        let v = SummaryValue {
            tag: tag.into(),
            value: Some(ValueKind::Histo(h.clone())),
        };
        self.add_event(&summary_event(step, v))
    }
    /// Flushes to the file.
    pub fn flush(&mut self) -> Result<()> {
        self.file
            .flush()
            .map_err(|e| MonitorError::io(&self.path, e))
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        let _ = self.file.flush();
    }
}

/// Decodes every event of an event file's bytes, checking both CRCs of every record.
pub fn read_events(bytes: &[u8]) -> std::result::Result<Vec<Event>, String> {
    let mut out = vec![];
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 12 {
            return Err(format!("truncated record header ({} bytes)", rest.len()));
        }
        let (len_bytes, tail) = rest.split_at(8);
        let crc = u32::from_le_bytes(tail[..4].try_into().map_err(|_| "header")?);
        if crc != masked_crc(len_bytes) {
            return Err("length CRC mismatch".into());
        }
        let len = u64::from_le_bytes(len_bytes.try_into().map_err(|_| "length")?) as usize;
        let body = &tail[4..];
        if body.len() < len + 4 {
            return Err(format!("truncated record: {len} bytes announced"));
        }
        let (data, after) = body.split_at(len);
        let crc = u32::from_le_bytes(after[..4].try_into().map_err(|_| "crc")?);
        if crc != masked_crc(data) {
            return Err("data CRC mismatch".into());
        }
        out.push(Event::decode(data).map_err(|e| e.to_string())?);
        rest = &after[4..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_framing() {
        // CRC-32C check value of "123456789" (RFC 3720).
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        let rec = tfrecord(b"abc");
        assert_eq!(rec.len(), 3 + 16);
        assert_eq!(&rec[..8], &3u64.to_le_bytes());
        assert_eq!(&rec[12..15], b"abc");
    }

    #[test]
    fn buffer_round_trips_and_detects_corruption() {
        let mut b = EventBuffer::new();
        b.scalar("loss", 0.5, 3);
        b.histogram("w", &Histogram::from_values(&[1.0, 2.0, 2.0, 4.0], 3), 3);
        let events = read_events(b.bytes()).unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(
            events[0].what,
            Some(EventWhat::FileVersion("brain.Event:2".into()))
        );
        let Some(EventWhat::Summary(s)) = &events[2].what else {
            panic!("{:?}", events[2])
        };
        let Some(ValueKind::Histo(h)) = &s.value[0].value else {
            panic!("{s:?}")
        };
        assert_eq!(h.bucket, vec![1.0, 2.0, 1.0]);
        assert_eq!(h.bucket_limit, vec![2.0, 3.0, 4.0]);
        assert_eq!((h.num, h.sum, h.sum_squares), (4.0, 9.0, 25.0));
        let mut bad = b.bytes().to_vec();
        let n = bad.len();
        bad[n - 6] ^= 1;
        assert!(read_events(&bad).is_err());
    }
}
