//! Fuzzes the CIFAR-10 and CIFAR-100 record parsers: Ok only for whole records with labels in
//! range, otherwise an error naming the file; never a panic.
#![no_main]

use layca_data_fuzz::cifar::{parse_cifar10, parse_cifar100, Cifar100Labels};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz-input.bin");
    match parse_cifar10(data, path) {
        Ok(ds) => {
            assert_eq!(data.len(), ds.len() * 3073);
            assert!(ds.check().is_ok());
        }
        Err(e) => assert!(e.to_string().contains("fuzz-input.bin")),
    }
    for which in [Cifar100Labels::Fine, Cifar100Labels::Coarse] {
        match parse_cifar100(data, path, which) {
            Ok(ds) => {
                assert_eq!(data.len(), ds.len() * 3074);
                assert!(ds.check().is_ok());
            }
            Err(e) => assert!(e.to_string().contains("fuzz-input.bin")),
        }
    }
});
