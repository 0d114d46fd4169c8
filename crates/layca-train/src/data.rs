//! Loading a task's data: train / validation / test tensors with the paper's preprocessing.
use crate::engine::TaskData;
use crate::task::{DatasetKind, TaskId};
use crate::{Result, TrainError};
use candle_core::Device;
use layca_data::{standin, Dataset, Format, HfSpec, Normalizer, TensorDataset};
use std::path::{Path, PathBuf};

/// Where a task's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// The data set embedded in the binary (MNIST only: the 10k-digit subset).
    Embedded,
    /// A local directory in the publisher's format (MNIST IDX files, CIFAR binary batches,
    /// the `tiny-imagenet-200/` tree), or a root holding the standard directory names
    /// (`mnist/`, `cifar-10-batches-bin/`, `cifar-100-binary/`, `tiny-imagenet-200/`).
    Dir(PathBuf),
    /// The parquet files of the Hugging Face hub, from the HF cache (downloaded when online).
    Hub,
    /// A real stand-in for a task's data set made from the embedded MNIST digits, shaped as the
    /// task's input (e.g. padded to 32×32 and replicated to 3 channels); for `cpu`-scale figures
    /// without `--data-dir`.
    StandIn,
}

impl DataSource {
    /// `--data-dir` if given, else the embedded data (MNIST); `hf` or `hub` selects the hub.
    pub fn from_arg(arg: Option<&std::path::Path>) -> Self {
        match arg {
            Some(p) if p.as_os_str() == "hf" || p.as_os_str() == "hub" => DataSource::Hub,
            Some(p) => DataSource::Dir(p.to_path_buf()),
            None => DataSource::Embedded,
        }
    }
}

/// What a task's data is: recorded in `run.json` and folded into the run directory name.
///
/// Two loads give equal identities exactly when they give the same tensors: the fingerprint is
/// a content hash of the raw training, validation and test images and labels (what is
/// actually used, after any `train_limit`) and of the normaliser's mean and std.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DataIdentity {
    /// Human-readable source: `embedded-mnist`, `dir:<canonical path>`, `hub:<repo>`,
    /// `standin-mnist-<C>x<H>x<W>`, ...
    pub source: String,
    /// The `train_limit` that cut the training split (`None`: the whole split is used, also
    /// when the requested limit was not below its size).
    pub train_limit: Option<usize>,
    /// The `eval_limit` that cut the validation and test splits (`None`: whole splits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_limit: Option<usize>,
    /// Images in the training / validation / test splits.
    pub n_train: usize,
    /// Validation images (0 when the test set doubles as validation).
    pub n_val: usize,
    /// Test images.
    pub n_test: usize,
    /// Image shape (C, H, W).
    pub shape: [usize; 3],
    /// Preprocessing, e.g. `scalar-mean-std(fit=official-train); validation 0.1 seed 1`.
    pub preprocessing: String,
    /// Hex content hash of every split's pixels and labels and of the normaliser.
    pub fingerprint: String,
}

impl DataIdentity {
    /// Eight hex digits of the fingerprint, for directory names.
    pub fn short(&self) -> &str {
        &self.fingerprint[..self.fingerprint.len().min(8)]
    }
}

/// Images per class in the embedded MNIST training split (the rest is the test set).
pub const EMBEDDED_MNIST_PER_CLASS: usize = layca_data::EMBEDDED_MNIST_PER_CLASS;
/// Images per class of the paper's MNIST training subset (spec §2), drawn from the 60k set.
pub const PAPER_MNIST_PER_CLASS: usize = 1000;
/// Seed of the embedded split and of the validation splits (spec §1.2: `numpy.random.seed(1)`).
pub const DATA_SEED: u64 = 1;
/// Fraction of the official training set held out for validation (spec §1.2).
pub const VALIDATION_FRACTION: f64 = 0.1;

fn hub_spec(kind: DatasetKind) -> HfSpec {
    match kind {
        DatasetKind::Mnist => layca_data::HF_MNIST,
        DatasetKind::Cifar10 => layca_data::HF_CIFAR10,
        DatasetKind::Cifar100 => layca_data::HF_CIFAR100,
        DatasetKind::TinyImagenet => layca_data::HF_TINY_IMAGENET,
    }
}

/// The on-disk format of a data set.
pub fn format_of(kind: DatasetKind) -> Format {
    match kind {
        DatasetKind::Mnist => Format::Mnist,
        DatasetKind::Cifar10 => Format::Cifar10,
        DatasetKind::Cifar100 => Format::Cifar100,
        DatasetKind::TinyImagenet => Format::TinyImagenet,
    }
}

/// The image shape `[C, H, W]` a data set's tasks take as input.
pub fn input_shape(kind: DatasetKind) -> [usize; 3] {
    format_of(kind).image_shape()
}

/// The files a `--data-dir` must hold for `kind` and where to obtain them (also the tail of
/// every "missing data" error).
pub fn expected_layout(kind: DatasetKind) -> String {
    layca_data::expected_layout(format_of(kind))
}

/// Loaded splits before they become tensors, with what was done to them.
struct Splits {
    source: String,
    steps: Vec<String>,
    norm: Normalizer,
    train: Dataset,
    val: Option<Dataset>,
    test: Dataset,
    train_limit: Option<usize>,
    eval_limit: Option<usize>,
}

/// Loads the task's data with the paper's preprocessing: one scalar mean/std over all pixels
/// of the official training set (before any split), applied to every split; for CIFAR and
/// Tiny ImageNet a seeded 10 % validation split; for MNIST the paper's class-balanced training
/// subset, validated on the test set (spec §1.2, §2).
///
/// * [`DataSource::Dir`] may be the data set directory or a root containing the standard
///   directory names ([`layca_data::layout`]); missing files are listed with
///   [`expected_layout`]. An MNIST directory with fewer than 1,000 training images in some
///   class gives a balanced subset of the smallest class count per class (with a warning,
///   recorded in the preprocessing).
/// * [`DataSource::StandIn`] is the embedded MNIST split (500/class train pool, the rest
///   test) shaped as the task's input ([`layca_data::standin`]); for CIFAR-like tasks 10 % of
///   the pool is the validation set. Labels stay 0–9: the networks keep their 100 / 200
///   outputs, of which only the first 10 are ever targets. For MNIST it is
///   [`DataSource::Embedded`].
/// * `train_limit` keeps that many training images (a seeded class-balanced subset of the
///   training split, after the validation split; validation and test stay whole), recorded in
///   the identity; a limit that is not below the training set's size keeps everything and is
///   recorded as `None` (a warning says so).
pub fn load_task_data(
    task: TaskId,
    source: &DataSource,
    train_limit: Option<usize>,
    device: &Device,
) -> Result<TaskData> {
    load_task_data_limited(task, source, train_limit, None, device)
}

/// [`load_task_data`], with the validation and test splits also cut to `eval_limit` images each
/// (seeded class-balanced subsets, recorded in the identity): the `cpu` scale of the figures,
/// whose evaluation would otherwise cost more than its training.
pub fn load_task_data_limited(
    task: TaskId,
    source: &DataSource,
    train_limit: Option<usize>,
    eval_limit: Option<usize>,
    device: &Device,
) -> Result<TaskData> {
    let kind = task.spec().dataset;
    let mut splits = match (kind, source) {
        (DatasetKind::Mnist, DataSource::Embedded | DataSource::StandIn) => embedded_splits()?,
        (_, DataSource::Embedded) => return Err(not_embedded(task, kind)),
        (_, DataSource::StandIn) => standin_splits(kind)?,
        (_, DataSource::Dir(dir)) => dir_splits(kind, dir)?,
        (_, DataSource::Hub) => hub_splits(kind)?,
    };
    if let Some(n) = train_limit {
        limit_train(&mut splits, n)?;
    }
    if let Some(n) = eval_limit {
        limit_eval(&mut splits, n)?;
    }
    splits.into_task_data(device)
}

/// Keeps seeded class-balanced subsets of at most `n` validation and `n` test images.
fn limit_eval(s: &mut Splits, n: usize) -> Result<()> {
    if n == 0 {
        return Err(TrainError::config(
            "eval_limit",
            "0 evaluation images: the limit must be at least 1",
        ));
    }
    let mut cut = false;
    if n < s.test.len() {
        s.test = s.test.balanced_subset(n, DATA_SEED)?;
        cut = true;
    }
    if let Some(v) = s.val.as_mut().filter(|v| n < v.len()) {
        *v = v.balanced_subset(n, DATA_SEED)?;
        cut = true;
    }
    if cut {
        s.eval_limit = Some(n);
        s.steps
            .push(format!("eval_limit {n} class-balanced seed {DATA_SEED}"));
    }
    Ok(())
}

fn not_embedded(task: TaskId, kind: DatasetKind) -> TrainError {
    TrainError::config(
        "data",
        format!(
            "task `{}` needs {kind:?} on disk: pass --data-dir DIR (or --data-dir hf for the \
             Hugging Face cache); only MNIST is embedded. {}",
            task.name(),
            expected_layout(kind)
        ),
    )
}

fn embedded_splits() -> Result<Splits> {
    let (train, test) = layca_data::embedded_mnist_split(EMBEDDED_MNIST_PER_CLASS, DATA_SEED)?;
    Ok(Splits {
        source: "embedded-mnist".into(),
        steps: vec!["scalar-mean-std(fit=train)".into()],
        norm: Normalizer::fit(&train),
        train,
        val: None,
        test,
        train_limit: None,
        eval_limit: None,
    })
}

fn standin_splits(kind: DatasetKind) -> Result<Splits> {
    let shape = input_shape(kind);
    let (pool, test) = layca_data::embedded_mnist_split(EMBEDDED_MNIST_PER_CLASS, DATA_SEED)?;
    let pool = standin::fit_to_shape(&pool, shape)?;
    let test = standin::fit_to_shape(&test, shape)?;
    let norm = Normalizer::fit(&pool);
    let (train, val) = pool.split_validation(VALIDATION_FRACTION, DATA_SEED)?;
    let p = standin::plan(28, 28, shape[1], shape[2])?;
    Ok(Splits {
        source: standin::standin_name(shape),
        steps: vec![
            format!("embedded-mnist {EMBEDDED_MNIST_PER_CLASS}/class split seed {DATA_SEED}"),
            format!(
                "{}x nearest upsample, zero border {}, {} channels",
                p.factor, p.top, shape[0]
            ),
            "scalar-mean-std(fit=train pool)".into(),
            format!("validation {VALIDATION_FRACTION} seed {DATA_SEED}"),
        ],
        norm,
        train,
        val: Some(val),
        test,
        train_limit: None,
        eval_limit: None,
    })
}

fn dir_splits(kind: DatasetKind, dir: &Path) -> Result<Splits> {
    let d = layca_data::load_dir(dir, format_of(kind))?;
    official_splits(kind, dir_source_name(dir), d.train, d.test, &d.train_labels)
}

fn hub_splits(kind: DatasetKind) -> Result<Splits> {
    let spec = hub_spec(kind);
    let (train, test) = layca_data::load_hf(&spec)?;
    let origin = PathBuf::from(format!("hub:{}", spec.repo));
    layca_data::layout::check_not_constant(&train, &origin)?;
    official_splits(kind, format!("hub:{}", spec.repo), train, test, &origin)
}

/// The paper's splits of an official train / test pair; `labels` names the training labels'
/// file in messages.
fn official_splits(
    kind: DatasetKind,
    source: String,
    train: Dataset,
    test: Dataset,
    labels: &Path,
) -> Result<Splits> {
    let shape = input_shape(kind);
    layca_data::layout::check_shape(&train, shape, labels)?;
    layca_data::layout::check_shape(&test, shape, labels)?;
    let norm = Normalizer::fit(&train);
    if kind == DatasetKind::Mnist {
        let (subset, step) = mnist_subset(&train, labels)?;
        return Ok(Splits {
            source,
            steps: vec!["scalar-mean-std(fit=official-train)".into(), step],
            norm,
            train: subset,
            val: None,
            test,
            train_limit: None,
            eval_limit: None,
        });
    }
    let (train, val) = train.split_validation(VALIDATION_FRACTION, DATA_SEED)?;
    Ok(Splits {
        source,
        steps: vec![
            "scalar-mean-std(fit=official-train)".into(),
            format!("validation {VALIDATION_FRACTION} seed {DATA_SEED}"),
        ],
        norm,
        train,
        val: Some(val),
        test,
        train_limit: None,
        eval_limit: None,
    })
}

/// The paper's balanced MNIST training subset: 1,000 images per class, or the smallest class
/// count when the set holds fewer (with a warning); an error naming `labels` when a class has
/// no image at all.
fn mnist_subset(train: &Dataset, labels: &Path) -> Result<(Dataset, String)> {
    let counts = train.class_counts();
    let (small_class, smallest) = counts
        .iter()
        .copied()
        .enumerate()
        .min_by_key(|&(_, n)| n)
        .unwrap_or((0, 0));
    if smallest == 0 {
        return Err(TrainError::Data(layca_data::DataError::Format {
            path: labels.to_path_buf(),
            reason: format!(
                "no training image of class {small_class} (class counts {counts:?}): MNIST \
                 needs every digit"
            ),
        }));
    }
    let per = smallest.min(PAPER_MNIST_PER_CLASS);
    if per < PAPER_MNIST_PER_CLASS {
        tracing::warn!(
            "{}: class {small_class} has only {smallest} training images; using a balanced \
             subset of {per} per class instead of the paper's {PAPER_MNIST_PER_CLASS}",
            labels.display()
        );
    }
    let (subset, _) = layca_data::balanced_split(train, per, DATA_SEED)?;
    tracing::info!(
        "MNIST: training on a balanced subset of {per} per class ({} of the {} images of {})",
        subset.len(),
        train.len(),
        labels.display()
    );
    let step = if per == PAPER_MNIST_PER_CLASS {
        format!("balanced {per}/class subset seed {DATA_SEED}")
    } else {
        format!(
            "balanced {per}/class subset seed {DATA_SEED} (the directory holds only {smallest} \
             of class {small_class}; the paper uses {PAPER_MNIST_PER_CLASS})"
        )
    };
    Ok((subset, step))
}

/// Keeps a seeded class-balanced subset of `n` training images.
fn limit_train(s: &mut Splits, n: usize) -> Result<()> {
    if n == 0 {
        return Err(TrainError::config(
            "train_limit",
            "0 training images: the limit must be at least 1",
        ));
    }
    if n >= s.train.len() {
        tracing::warn!(
            "train_limit {n} is not below the {} training images of {}: all are used",
            s.train.len(),
            s.source
        );
        return Ok(());
    }
    s.train = s.train.balanced_subset(n, DATA_SEED)?;
    s.train_limit = Some(n);
    s.steps
        .push(format!("train_limit {n} class-balanced seed {DATA_SEED}"));
    Ok(())
}

impl Splits {
    fn into_task_data(self, device: &Device) -> Result<TaskData> {
        let mut identity = identity(
            &self.source,
            &self.steps.join("; "),
            &self.train,
            self.val.as_ref(),
            &self.test,
        );
        identity.train_limit = self.train_limit;
        identity.eval_limit = self.eval_limit;
        identity.fingerprint = fingerprint_with_norm(&identity.fingerprint, self.norm);
        let val = match &self.val {
            Some(v) => Some(TensorDataset::new(v, self.norm, device)?),
            None => None,
        };
        Ok(TaskData {
            train: TensorDataset::new(&self.train, self.norm, device)?,
            val,
            test: TensorDataset::new(&self.test, self.norm, device)?,
            identity,
        })
    }
}

/// `dir:<canonical path>` of a data directory (the path as given if it cannot be resolved).
fn dir_source_name(dir: &Path) -> String {
    let canon = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    format!("dir:{}", canon.display())
}

/// Folds the normaliser (fitted on the full official training set, which the splits do not
/// all hold) into a fingerprint.
fn fingerprint_with_norm(fp: &str, norm: Normalizer) -> String {
    let mut h = u64::from_str_radix(fp, 16).unwrap_or(0);
    for b in norm
        .mean
        .to_le_bytes()
        .into_iter()
        .chain(norm.std.to_le_bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// FNV-1a 64 over every split's shape, pixels and labels.
fn fingerprint(splits: &[&Dataset]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x100000001b3);
        }
    };
    for ds in splits {
        for d in [ds.len(), ds.channels, ds.height, ds.width] {
            eat(&(d as u64).to_le_bytes());
        }
        eat(&ds.pixels);
        for l in &ds.labels {
            eat(&l.to_le_bytes());
        }
    }
    format!("{h:016x}")
}

/// The identity of loaded splits.
pub fn identity(
    source: &str,
    preprocessing: &str,
    train: &Dataset,
    val: Option<&Dataset>,
    test: &Dataset,
) -> DataIdentity {
    let mut splits = vec![train];
    splits.extend(val);
    splits.push(test);
    DataIdentity {
        source: source.to_string(),
        train_limit: None,
        eval_limit: None,
        n_train: train.len(),
        n_val: val.map_or(0, Dataset::len),
        n_test: test.len(),
        shape: [train.channels, train.height, train.width],
        preprocessing: preprocessing.to_string(),
        fingerprint: fingerprint(&splits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use layca_data::synth;

    fn cpu() -> Device {
        Device::Cpu
    }

    fn labels_of(t: &TensorDataset) -> Vec<u32> {
        t.labels.to_vec1::<u32>().unwrap()
    }

    fn counts(labels: &[u32], classes: usize) -> Vec<usize> {
        let mut c = vec![0; classes];
        for &l in labels {
            c[l as usize] += 1;
        }
        c
    }

    #[test]
    fn train_limit_is_a_balanced_subset_in_the_identity_and_fingerprint() {
        let full = load_task_data(TaskId::Mnist, &DataSource::Embedded, None, &cpu()).unwrap();
        let lim = load_task_data(TaskId::Mnist, &DataSource::Embedded, Some(100), &cpu()).unwrap();
        assert_eq!(lim.train.len(), 100);
        assert_eq!(counts(&labels_of(&lim.train), 10), vec![10; 10]);
        assert_eq!(lim.test.len(), full.test.len(), "test split stays whole");
        assert_eq!(lim.identity.train_limit, Some(100));
        assert_eq!(lim.identity.n_train, 100);
        assert!(lim.identity.preprocessing.contains("train_limit 100"));
        assert_ne!(lim.identity.fingerprint, full.identity.fingerprint);
        let again =
            load_task_data(TaskId::Mnist, &DataSource::Embedded, Some(100), &cpu()).unwrap();
        assert_eq!(again.identity, lim.identity);
        let other =
            load_task_data(TaskId::Mnist, &DataSource::Embedded, Some(200), &cpu()).unwrap();
        assert_ne!(other.identity.fingerprint, lim.identity.fingerprint);
        // A limit that cuts nothing keeps everything and the unlimited identity.
        let big =
            load_task_data(TaskId::Mnist, &DataSource::Embedded, Some(10_000), &cpu()).unwrap();
        assert_eq!(big.identity, full.identity);
        let err = load_task_data(TaskId::Mnist, &DataSource::Embedded, Some(0), &cpu())
            .unwrap_err()
            .to_string();
        assert!(err.contains("train_limit"), "{err}");
    }

    #[test]
    fn cifar_standin_is_padded_mnist_with_a_validation_split() {
        let t = std::time::Instant::now();
        let d = load_task_data(TaskId::C10Cnn1, &DataSource::StandIn, None, &cpu()).unwrap();
        assert!(t.elapsed().as_secs_f64() < 5.0);
        let id = &d.identity;
        assert_eq!(id.source, "standin-mnist-3x32x32");
        assert_eq!(id.shape, [3, 32, 32]);
        assert_eq!((id.n_train, id.n_val, id.n_test), (4500, 500, 5000));
        assert_eq!(d.train.images.dims4().unwrap(), (4500, 3, 32, 32));
        assert!(labels_of(&d.train).iter().all(|&l| l < 10));
        // The border is the normalised zero pixel; the three channels are equal.
        let img = d.train.images.get(0).unwrap();
        let corner = img.get(0).unwrap().get(0).unwrap().get(0).unwrap();
        let zero = corner.to_scalar::<f32>().unwrap();
        assert!(zero < 0.0, "zero pixel below the mean: {zero}");
        let ch: Vec<Vec<f32>> = (0..3)
            .map(|c| {
                img.get(c)
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1()
                    .unwrap()
            })
            .collect();
        assert_eq!(ch[0], ch[1]);
        assert_eq!(ch[0], ch[2]);
        // Same digits for CIFAR-100: only the name of the task differs, not the data.
        let c100 =
            load_task_data(TaskId::C100Resnet, &DataSource::StandIn, Some(300), &cpu()).unwrap();
        assert_eq!(c100.identity.source, "standin-mnist-3x32x32");
        assert_eq!(c100.train.len(), 300);
        assert_eq!(counts(&labels_of(&c100.train), 10), vec![30; 10]);
        assert_eq!(c100.val.as_ref().map(TensorDataset::len), Some(500));
    }

    #[test]
    fn tiny_standin_is_64x64_and_mnist_standin_is_embedded() {
        let d = load_task_data(TaskId::TinyCnn, &DataSource::StandIn, Some(50), &cpu()).unwrap();
        assert_eq!(d.identity.source, "standin-mnist-3x64x64");
        assert_eq!(d.train.images.dims4().unwrap(), (50, 3, 64, 64));
        assert!(d.identity.preprocessing.contains("2x nearest upsample"));
        let s = load_task_data(TaskId::Mnist, &DataSource::StandIn, None, &cpu()).unwrap();
        let e = load_task_data(TaskId::Mnist, &DataSource::Embedded, None, &cpu()).unwrap();
        assert_eq!(s.identity, e.identity);
    }

    #[test]
    fn mnist_dir_with_few_images_per_class_uses_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        synth::write_mnist_idx(dir.path(), 200, 50, 4).unwrap();
        let d = load_task_data(
            TaskId::Mnist,
            &DataSource::Dir(dir.path().into()),
            None,
            &cpu(),
        )
        .unwrap();
        assert_eq!(d.train.len(), 200);
        assert_eq!(counts(&labels_of(&d.train), 10), vec![20; 10]);
        assert_eq!(d.test.len(), 50);
        assert!(
            d.identity.preprocessing.contains("20/class"),
            "{}",
            d.identity.preprocessing
        );
        assert!(d.identity.source.starts_with("dir:"));
    }

    #[test]
    fn mnist_dir_without_a_digit_names_the_labels_file() {
        let dir = tempfile::tempdir().unwrap();
        synth::write_mnist_idx(dir.path(), 30, 10, 4).unwrap();
        // Relabel the training set without digit 3.
        let labels: Vec<u8> = (0..30u8)
            .map(|i| if i % 10 == 3 { 4 } else { i % 10 })
            .collect();
        let mut b = Vec::new();
        for v in [0x0801u32, 30] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&labels);
        let gz = dir.path().join("train-labels-idx1-ubyte.gz");
        std::fs::remove_file(&gz).unwrap();
        std::fs::write(dir.path().join("train-labels-idx1-ubyte"), b).unwrap();
        let err = load_task_data(
            TaskId::Mnist,
            &DataSource::Dir(dir.path().into()),
            None,
            &cpu(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("train-labels-idx1-ubyte"), "{err}");
        assert!(err.contains("class 3"), "{err}");
        assert!(!err.contains("per_class"), "{err}");
    }

    #[test]
    fn one_data_root_serves_every_task_and_missing_data_lists_the_layout() {
        let root = tempfile::tempdir().unwrap();
        synth::write_standard_tree(root.path(), synth::TreeSizes::default(), 3).unwrap();
        let src = DataSource::Dir(root.path().into());
        for task in [
            TaskId::C10Cnn1,
            TaskId::C100Resnet,
            TaskId::TinyCnn,
            TaskId::Mnist,
        ] {
            let d = load_task_data(task, &src, None, &cpu()).unwrap();
            let kind = task.spec().dataset;
            assert_eq!(d.identity.shape, input_shape(kind), "{task:?}");
            let dir = root.path().join(format_of(kind).dir_name());
            let canon = std::fs::canonicalize(root.path()).unwrap();
            assert_eq!(d.identity.source, format!("dir:{}", canon.display()));
            assert!(dir.is_dir());
            if kind == DatasetKind::Mnist {
                assert!(d.val.is_none());
            } else {
                let n = d.identity.n_train + d.identity.n_val;
                assert_eq!(
                    d.identity.n_val,
                    (n as f64 * 0.1).round() as usize,
                    "{task:?}"
                );
            }
        }
        let c10 = load_task_data(TaskId::C10Cnn1, &src, Some(40), &cpu()).unwrap();
        assert_eq!((c10.identity.n_train, c10.identity.n_val), (40, 20));

        let empty = tempfile::tempdir().unwrap();
        let err = load_task_data(
            TaskId::C10Cnn1,
            &DataSource::Dir(empty.path().into()),
            None,
            &cpu(),
        )
        .unwrap_err()
        .to_string();
        for want in ["data_batch_1.bin", "test_batch.bin", "cs.toronto.edu/~kriz"] {
            assert!(err.contains(want), "{want}: {err}");
        }
        assert!(expected_layout(DatasetKind::TinyImagenet).contains("tiny-imagenet-200.zip"));
        let err = load_task_data(TaskId::C10Cnn1, &DataSource::Embedded, None, &cpu())
            .unwrap_err()
            .to_string();
        assert!(err.contains("cifar-10-batches-bin"), "{err}");
    }
}
