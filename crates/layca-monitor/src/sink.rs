//! Where records go: JSONL (one [`StepRecord`] a line), CSV (`step,tag,value`), TensorBoard.
//!
//! Sinks stream (append and flush), as training logs do; every tag is from
//! [`StepRecord::scalars`], so the three outputs hold the same numbers.
use crate::monitor::StepRecord;
use crate::tensorboard::{EventWriter, Histogram};
use crate::{MonitorError, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A destination for step records.
pub trait Sink {
    /// Writes one record.
    fn write(&mut self, record: &StepRecord) -> Result<()>;
    /// Flushes buffered output.
    fn flush(&mut self) -> Result<()>;
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| MonitorError::io(dir, e))?;
    }
    let f = File::create(path).map_err(|e| MonitorError::io(path, e))?;
    Ok(BufWriter::new(f))
}

/// One JSON object per record and line.
pub struct JsonlSink {
    out: BufWriter<File>,
    path: PathBuf,
}

impl JsonlSink {
    /// Creates (truncates) `path`.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        Ok(Self {
            out: create(&path)?,
            path,
        })
    }
}

impl Sink for JsonlSink {
    fn write(&mut self, record: &StepRecord) -> Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        self.out
            .write_all(&line)
            .map_err(|e| MonitorError::io(&self.path, e))
    }
    fn flush(&mut self) -> Result<()> {
        self.out
            .flush()
            .map_err(|e| MonitorError::io(&self.path, e))
    }
}

/// Long-format CSV: `step,tag,value` (tags as in [`StepRecord::scalars`]).
pub struct CsvSink {
    out: BufWriter<File>,
    path: PathBuf,
}

impl CsvSink {
    /// Creates (truncates) `path` and writes the header.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut out = create(&path)?;
        out.write_all(b"step,tag,value\n")
            .map_err(|e| MonitorError::io(&path, e))?;
        Ok(Self { out, path })
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Sink for CsvSink {
    fn write(&mut self, record: &StepRecord) -> Result<()> {
        let mut text = String::new();
        for (tag, v) in record.scalars() {
            text.push_str(&format!("{},{},{v:e}\n", record.step, csv_field(&tag)));
        }
        self.out
            .write_all(text.as_bytes())
            .map_err(|e| MonitorError::io(&self.path, e))
    }
    fn flush(&mut self) -> Result<()> {
        self.out
            .flush()
            .map_err(|e| MonitorError::io(&self.path, e))
    }
}

/// Scalars of every record into a TensorBoard event file.
pub struct TensorBoardSink {
    writer: EventWriter,
}

impl TensorBoardSink {
    /// A new event file in `dir`.
    pub fn create(dir: impl AsRef<Path>) -> Result<Self> {
        Ok(Self {
            writer: EventWriter::create(dir.as_ref())?,
        })
    }
    /// The event file.
    pub fn path(&self) -> &Path {
        self.writer.path()
    }
    /// Writes one histogram per layer (e.g. from [`crate::LayerMonitor::weights_f64`]).
    pub fn histograms(
        &mut self,
        step: u64,
        layers: &[(String, Vec<f64>)],
        bins: usize,
    ) -> Result<()> {
        for (name, values) in layers {
            let h = Histogram::from_values(values, bins);
            self.writer
                .add_histogram(&format!("weights/{name}"), &h, step as i64)?;
        }
        Ok(())
    }
}

impl Sink for TensorBoardSink {
    fn write(&mut self, record: &StepRecord) -> Result<()> {
        for (tag, v) in record.scalars() {
            self.writer.add_scalar(&tag, v, record.step as i64)?;
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        self.writer.flush()
    }
}
