//! Saving and loading a model's full state (kernels, others, buffers) as safetensors.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use candle_core::Tensor;

use crate::{ModelError, NamedVar, Network, Result};

/// Every tensor of `net` in the order kernels, others, buffers (names are unique).
pub fn state(net: &dyn Network) -> Vec<NamedVar> {
    let mut v = net.kernels();
    v.extend(net.others());
    v.extend(net.buffers());
    v
}

fn weights_err(path: &Path, msg: impl Into<String>) -> ModelError {
    ModelError::Weights {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// Writes the full state of `net` to `path` (safetensors, tensors keyed by their stable
/// names, stored in the model's dtype). Atomic: the file is written to a temporary sibling
/// and renamed over `path`.
pub fn save_weights(net: &dyn Network, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let mut map: HashMap<String, Tensor> = HashMap::new();
    for nv in state(net) {
        let t = nv.var.as_detached_tensor();
        if map.insert(nv.name.clone(), t).is_some() {
            return Err(weights_err(
                path,
                format!("duplicate tensor name `{}`", nv.name),
            ));
        }
    }
    if path.file_name().is_none() {
        return Err(weights_err(path, "not a file path"));
    }
    let tmp: PathBuf = layca_io::tmp_path(path);
    if let Err(e) = candle_core::safetensors::save(&map, &tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(weights_err(path, format!("writing {}: {e}", tmp.display())));
    }
    layca_io::commit(&tmp, path)
        .map_err(|e| weights_err(path, format!("renaming {} into place: {e}", tmp.display())))
}

/// Loads a state written by [`save_weights`] into `net`. The file must hold exactly the
/// tensors of `net` (same names and shapes); values are converted to each var's dtype and
/// device. Nothing is modified unless every tensor validates.
pub fn load_weights(net: &dyn Network, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let vars = state(net);
    let device = match vars.first() {
        Some(nv) => nv.var.device().clone(),
        None => return Ok(()),
    };
    let mut map = candle_core::safetensors::load(path, &device)
        .map_err(|e| weights_err(path, format!("reading safetensors: {e}")))?;
    let expected: HashSet<&str> = vars.iter().map(|nv| nv.name.as_str()).collect();
    let mut extra: Vec<&String> = map
        .keys()
        .filter(|k| !expected.contains(k.as_str()))
        .collect();
    if !extra.is_empty() {
        extra.sort();
        return Err(weights_err(
            path,
            format!("unexpected tensors (not in this model): {extra:?}"),
        ));
    }
    let mut staged = Vec::with_capacity(vars.len());
    for nv in &vars {
        let t = map
            .remove(&nv.name)
            .ok_or_else(|| weights_err(path, format!("missing tensor `{}`", nv.name)))?;
        if t.dims() != nv.var.dims() {
            return Err(weights_err(
                path,
                format!(
                    "tensor `{}` has shape {:?}, the model expects {:?}",
                    nv.name,
                    t.dims(),
                    nv.var.dims()
                ),
            ));
        }
        let t = t
            .to_dtype(nv.var.dtype())
            .map_err(|e| weights_err(path, format!("tensor `{}`: {e}", nv.name)))?;
        staged.push((nv, t));
    }
    for (nv, t) in staged {
        nv.var
            .set(&t)
            .map_err(|e| weights_err(path, format!("tensor `{}`: {e}", nv.name)))?;
    }
    Ok(())
}
