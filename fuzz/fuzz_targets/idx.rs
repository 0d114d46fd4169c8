//! Fuzzes the IDX parsers (raw and gzip): any input must give Ok or an error naming the file,
//! never a panic; an accepted file must be internally consistent.
#![no_main]

use layca_data_fuzz::idx::{idx_dataset, parse_idx_images, parse_idx_labels};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz-input.idx");
    match parse_idx_images(data, path) {
        Ok(img) => {
            assert_eq!(img.pixels.len(), img.count * img.rows * img.cols);
            let labels = vec![0u32; img.count];
            let ds = idx_dataset(img, labels, path, 10).expect("consistent");
            assert!(ds.check().is_ok());
        }
        Err(e) => assert!(e.to_string().contains("fuzz-input.idx")),
    }
    match parse_idx_labels(data, path, 10) {
        Ok(labels) => assert!(labels.iter().all(|&l| l < 10)),
        Err(e) => assert!(e.to_string().contains("fuzz-input.idx")),
    }
});
