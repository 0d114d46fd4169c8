//! Optimizer state ⇄ safetensors (atomic write, validated load).
//!
//! Layout: tensors `kernel/<name>/m`, `kernel/<name>/v`, `other/<name>/m`, `other/<name>/v`
//! (those the base keeps), `initial_norms` (f64, LARS-like only once captured), `layer_rates`
//! (f64, when AdaptCopy rates are set); metadata `format`, `base` and `control` (JSON), `step`,
//! `lr` (shortest round-trip decimal). Loading checks the format, that base and control are
//! identical, and that the tensor names, shapes and dtypes are exactly the expected ones.
use crate::optimizer::LaycaOptimizer;
use crate::{OptimError, Result};
use candle_core::{DType, Device, Tensor};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const FORMAT: &str = "layca-optim-state-v1";

fn state_err(path: &Path, reason: impl Into<String>) -> OptimError {
    OptimError::State {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

fn io_err(path: &Path, source: std::io::Error) -> OptimError {
    OptimError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn to_bytes(path: &Path, name: &str, t: &Tensor) -> Result<(Dtype, Vec<usize>, Vec<u8>)> {
    let flat = t.flatten_all()?;
    let (dt, bytes) = match t.dtype() {
        DType::F32 => (
            Dtype::F32,
            flat.to_vec1::<f32>()?
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        ),
        DType::F64 => (
            Dtype::F64,
            flat.to_vec1::<f64>()?
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        ),
        other => {
            return Err(state_err(
                path,
                format!("tensor `{name}`: dtype {other:?} is not supported (f32/f64 only)"),
            ))
        }
    };
    Ok((dt, t.dims().to_vec(), bytes))
}

fn from_view(view: &TensorView<'_>, device: &Device) -> Result<Tensor> {
    let shape = view.shape().to_vec();
    let data = view.data();
    let t = match view.dtype() {
        Dtype::F32 => {
            let v: Vec<f32> = data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Tensor::from_vec(v, shape, device)?
        }
        Dtype::F64 => {
            let v: Vec<f64> = data
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect();
            Tensor::from_vec(v, shape, device)?
        }
        _ => unreachable!("checked by caller"),
    };
    Ok(t)
}

impl LaycaOptimizer {
    /// Every state tensor this optimizer keeps, by file name.
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        let groups = [
            ("kernel", &self.kernels, &self.kernel_state),
            ("other", &self.others, &self.other_state),
        ];
        for (prefix, params, states) in groups {
            for (p, s) in params.iter().zip(states.iter()) {
                if let Some(m) = &s.m {
                    out.push((format!("{prefix}/{}/m", p.name), m.clone()));
                }
                if let Some(v) = &s.v {
                    out.push((format!("{prefix}/{}/v", p.name), v.clone()));
                }
            }
        }
        out
    }

    /// Saves state (moments, counters, initial norms) to a safetensors file, atomically.
    ///
    /// The file is written to a temporary file in the same directory, synced, then renamed.
    pub fn save_state(&self, path: &Path) -> Result<()> {
        let mut owned: BTreeMap<String, (Dtype, Vec<usize>, Vec<u8>)> = BTreeMap::new();
        for (name, t) in self.state_tensors() {
            let b = to_bytes(path, &name, &t)?;
            owned.insert(name, b);
        }
        let f64_vec = |v: &[f64]| -> (Dtype, Vec<usize>, Vec<u8>) {
            (
                Dtype::F64,
                vec![v.len()],
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            )
        };
        if let Some(n0) = &self.initial_norms {
            owned.insert("initial_norms".into(), f64_vec(n0));
        }
        if let Some(r) = &self.layer_rates {
            owned.insert("layer_rates".into(), f64_vec(r));
        }
        let mut views = Vec::with_capacity(owned.len());
        for (name, (dt, shape, bytes)) in &owned {
            let view = TensorView::new(*dt, shape.clone(), bytes)
                .map_err(|e| state_err(path, format!("tensor `{name}`: {e}")))?;
            views.push((name.clone(), view));
        }
        let mut meta = HashMap::new();
        meta.insert("format".to_string(), FORMAT.to_string());
        meta.insert("base".to_string(), self.config.base.to_json());
        meta.insert("control".to_string(), self.config.control.to_json());
        meta.insert("step".to_string(), self.step.to_string());
        meta.insert("lr".to_string(), format!("{:?}", self.config.lr));
        let bytes = safetensors::serialize(views, Some(meta))
            .map_err(|e| state_err(path, format!("serialisation failed: {e}")))?;
        write_atomic(path, &bytes)
    }

    /// Loads state saved by `save_state` (validates names and shapes).
    ///
    /// On any error the optimizer is left unchanged.
    pub fn load_state(&mut self, path: &Path) -> Result<()> {
        let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
        let (_, header) = SafeTensors::read_metadata(&bytes)
            .map_err(|e| state_err(path, format!("not a safetensors file: {e}")))?;
        let st = SafeTensors::deserialize(&bytes)
            .map_err(|e| state_err(path, format!("not a safetensors file: {e}")))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let get = |k: &str| {
            meta.get(k)
                .cloned()
                .ok_or_else(|| state_err(path, format!("metadata `{k}` missing")))
        };
        let format = get("format")?;
        if format != FORMAT {
            return Err(state_err(
                path,
                format!("format `{format}`, expected `{FORMAT}`"),
            ));
        }
        let base = get("base")?;
        if base != self.config.base.to_json() {
            return Err(state_err(
                path,
                format!(
                    "saved for base optimizer {base}, this optimizer is {}",
                    self.config.base.to_json()
                ),
            ));
        }
        let control = get("control")?;
        if control != self.config.control.to_json() {
            return Err(state_err(
                path,
                format!(
                    "saved for control {control}, this optimizer uses {}",
                    self.config.control.to_json()
                ),
            ));
        }
        let step: u64 = get("step")?
            .parse()
            .map_err(|e| state_err(path, format!("metadata `step`: {e}")))?;
        let lr: f64 = get("lr")?
            .parse()
            .map_err(|e| state_err(path, format!("metadata `lr`: {e}")))?;

        let expected = self.state_tensors();
        let mut names: std::collections::HashSet<&str> = st.names().into_iter().collect();
        let mut loaded = Vec::with_capacity(expected.len());
        for (name, cur) in &expected {
            let view = st.tensor(name).map_err(|_| {
                state_err(
                    path,
                    format!("tensor `{name}` missing (wrong model or optimizer?)"),
                )
            })?;
            names.remove(name.as_str());
            if view.shape() != cur.dims() {
                return Err(state_err(
                    path,
                    format!(
                        "tensor `{name}` has shape {:?}, expected {:?}",
                        view.shape(),
                        cur.dims()
                    ),
                ));
            }
            let want = match cur.dtype() {
                DType::F32 => Dtype::F32,
                DType::F64 => Dtype::F64,
                other => {
                    return Err(state_err(
                        path,
                        format!("tensor `{name}`: dtype {other:?} not supported"),
                    ))
                }
            };
            if view.dtype() != want {
                return Err(state_err(
                    path,
                    format!(
                        "tensor `{name}` has dtype {:?}, expected {want:?}",
                        view.dtype()
                    ),
                ));
            }
            loaded.push(from_view(&view, cur.device())?);
        }
        let mut read_f64 = |name: &str, len: usize| -> Result<Option<Vec<f64>>> {
            if !names.remove(name) {
                return Ok(None);
            }
            let view = st
                .tensor(name)
                .map_err(|e| state_err(path, format!("tensor `{name}`: {e}")))?;
            if view.dtype() != Dtype::F64 || view.shape() != [len] {
                return Err(state_err(
                    path,
                    format!(
                        "tensor `{name}` must be f64 [{len}], found {:?} {:?}",
                        view.dtype(),
                        view.shape()
                    ),
                ));
            }
            Ok(Some(from_view(&view, &Device::Cpu)?.to_vec1::<f64>()?))
        };
        let nk = self.kernels.len();
        let initial_norms = read_f64("initial_norms", nk)?;
        let layer_rates = read_f64("layer_rates", nk)?;
        if let Some(extra) = names.iter().next() {
            return Err(state_err(
                path,
                format!("unexpected tensor `{extra}` (wrong model or optimizer?)"),
            ));
        }
        // Commit.
        let mut it = loaded.into_iter();
        let nk_states = self.kernel_state.len();
        for idx in 0..nk_states + self.other_state.len() {
            let s = if idx < nk_states {
                &mut self.kernel_state[idx]
            } else {
                &mut self.other_state[idx - nk_states]
            };
            if s.m.is_some() {
                s.m = it.next();
            }
            if s.v.is_some() {
                s.v = it.next();
            }
        }
        self.initial_norms = initial_norms;
        self.layer_rates = layer_rates;
        self.step = step;
        self.config.lr = lr;
        Ok(())
    }
}

mod erased {
    /// JSON of a config enum (used in the state file metadata).
    pub trait Ser {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).expect("config enums serialise")
        }
    }
}
use erased::Ser as _;

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.file_name().is_none() {
        return Err(state_err(path, "path has no file name"));
    }
    layca_io::write_atomic(path, bytes).map_err(|e| io_err(path, e))
}
