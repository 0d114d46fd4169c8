//! `HF_HUB_OFFLINE` is respected: with an empty cache the hub loader fails (no network
//! attempt) with a message that says which files to put where. Own test binary, since it
//! sets process environment variables.

use layca_data::{load_hf, HF_CIFAR100};

#[test]
fn offline_empty_cache_says_which_files_to_put_where() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("HF_HUB_CACHE", dir.path());
    std::env::set_var("HF_HUB_OFFLINE", "1");
    let err = load_hf(&HF_CIFAR100).unwrap_err().to_string();
    assert!(err.contains("HF_HUB_OFFLINE"), "{err}");
    assert!(err.contains("datasets--uoft-cs--cifar100"), "{err}");
    assert!(err.contains("cifar100/train-*.parquet"), "{err}");
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
}
