//! The sweep manifest: the driver's scaled run list, one fully-resolved configuration per
//! index, the data each index trains on (where it comes from, its fingerprint), and a SHA-256
//! of all of it, so that an array task never trains from an edited or mixed-up manifest.
use crate::figures::driver::WaveJob;
use crate::figures::scale::Scale;
use crate::Common;
use anyhow::{bail, Context, Result};
use layca_train::RunConfig;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Format tag of the manifest files this code reads and writes.
pub const FORMAT: &str = "layca-sweep/1";

/// One index of the sweep: one run of the driver's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The index (`$SLURM_ARRAY_TASK_ID`).
    pub index: usize,
    /// 0: depends on nothing; 1: an AdaptCopy run, after the wave-0 run it replays.
    pub wave: usize,
    /// `fig N <key>`, as the figure command's progress calls it.
    pub label: String,
    /// The run directory's name in the run store (run id + data fingerprint).
    pub run: String,
    /// The index of the run an AdaptCopy run replays.
    pub replays: Option<usize>,
    /// Validation and test images kept when the data is loaded.
    pub eval_limit: Option<usize>,
    /// The data's content fingerprint: checked by `sweep run` before it trains.
    pub data_fingerprint: String,
    /// The data's source as loaded (`dir:<path>`, `standin-…`, `embedded-mnist`).
    pub data_source: String,
    /// The configuration, fully resolved (AdaptCopy sources are absolute run directories).
    pub config: RunConfig,
}

/// Where every index finds the same data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    /// `--data-dir` (absolute) when given.
    pub data_dir: Option<PathBuf>,
    /// How the data is obtained at this scale.
    pub how: String,
}

/// Everything the hash covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// [`FORMAT`].
    pub format: String,
    /// The figures the collect job renders.
    pub figures: Vec<u32>,
    /// The scale.
    pub scale: Scale,
    /// `--epochs` override.
    pub epochs: Option<usize>,
    /// The run store (absolute).
    pub runs: PathBuf,
    /// The training device of every index.
    pub device: String,
    /// The data.
    pub data: DataInfo,
    /// The sweep directory (absolute): manifest, scripts, logs and the figure.
    pub out: PathBuf,
    /// One entry per index, wave 0 first.
    pub entries: Vec<Entry>,
}

/// A manifest file: the body and its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The hashed content.
    #[serde(flatten)]
    pub body: Body,
    /// `sha256:<hex>` of the body's compact JSON.
    pub hash: String,
}

impl Body {
    /// `sha256:<hex>` of the compact JSON of the body.
    pub fn hash(&self) -> Result<String> {
        let bytes = serde_json::to_vec(self).context("serialising the sweep manifest")?;
        let digest = Sha256::digest(&bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("sha256:{hex}"))
    }

    /// The shared options every index and the collect job train / render with.
    pub fn common(&self) -> Common {
        Common {
            runs: self.runs.clone(),
            device: self.device.clone(),
            data_dir: self.data.data_dir.clone(),
            quiet: true,
            jobs: 1,
        }
    }

    /// Indices of wave `w`, as an inclusive range (`None` when the wave is empty).
    pub fn wave_range(&self, w: usize) -> Option<(usize, usize)> {
        let idx: Vec<usize> = self
            .entries
            .iter()
            .filter(|e| e.wave == w)
            .map(|e| e.index)
            .collect();
        Some((*idx.first()?, *idx.last()?))
    }
}

/// The manifest of the driver's jobs.
pub fn build(
    common: &Common,
    figures: Vec<u32>,
    scale: Scale,
    epochs: Option<usize>,
    out: &Path,
    jobs: &[WaveJob],
) -> Result<Manifest> {
    let entries = jobs
        .iter()
        .enumerate()
        .map(|(index, w)| entry(index, w, jobs))
        .collect::<Result<Vec<_>>>()?;
    let body = Body {
        format: FORMAT.into(),
        figures,
        scale,
        epochs,
        runs: common.runs.clone(),
        device: common.device.clone(),
        data: DataInfo {
            data_dir: common.data_dir.clone(),
            how: data_how(common, scale),
        },
        out: out.to_path_buf(),
        entries,
    };
    Ok(Manifest {
        hash: body.hash()?,
        body,
    })
}

fn entry(index: usize, w: &WaveJob, all: &[WaveJob]) -> Result<Entry> {
    let replays = match &w.job.cfg.control {
        layca_train::ControlKind::AdaptCopy { source } => {
            let src = source.display().to_string();
            let i = all.iter().position(|o| o.job.id == src).with_context(|| {
                format!(
                    "{}: the run it replays ({src}) is not in the sweep",
                    w.job.label
                )
            })?;
            Some(i)
        }
        _ => None,
    };
    let run = Path::new(&w.job.id)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Entry {
        index,
        wave: w.wave,
        label: w.job.label.clone(),
        run,
        replays,
        eval_limit: w.eval_limit,
        data_fingerprint: w.job.data.identity.fingerprint.clone(),
        data_source: w.job.data.identity.source.clone(),
        config: w.job.cfg.clone(),
    })
}

fn data_how(common: &Common, scale: Scale) -> String {
    match (&common.data_dir, scale) {
        (Some(d), _) => format!("read from --data-dir {}", d.display()),
        (None, Scale::Smoke) => format!(
            "generated once by `sweep figure` under {}/smoke-data (shared by every index)",
            common.runs.display()
        ),
        (None, Scale::Cpu) => "stand-ins made in memory from the embedded MNIST digits".into(),
        (None, Scale::Paper) => "the embedded MNIST digits".into(),
    }
}

impl Manifest {
    /// Writes the manifest (pretty JSON, atomically).
    pub fn write(&self, path: &Path) -> Result<()> {
        crate::write_json(path, self)
    }

    /// Reads a manifest and checks its format and hash.
    pub fn read(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the sweep manifest {}", path.display()))?;
        let m: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a sweep manifest", path.display()))?;
        if m.body.format != FORMAT {
            bail!(
                "{}: format `{}`, expected `{FORMAT}`",
                path.display(),
                m.body.format
            );
        }
        let actual = m.body.hash()?;
        if actual != m.hash {
            bail!(
                "{}: field `hash` is {} but the content hashes to {actual}: the manifest was \
                 edited after `sweep figure` wrote it (write it again)",
                path.display(),
                m.hash
            );
        }
        Ok(m)
    }
}
