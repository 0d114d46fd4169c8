//! Writers of small files in every real format, shared by the integration tests.
#![allow(dead_code)]

use flate2::write::GzEncoder;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// IDX image file bytes (magic 2051, big-endian header).
pub fn idx_images(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [2051u32, count, rows, cols] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(pixels);
    b
}

/// IDX label file bytes (magic 2049).
pub fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [2049u32, labels.len() as u32] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(labels);
    b
}

/// Gzip-compresses bytes.
pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A deterministic pixel pattern that distinguishes image, channel, row and column
/// (asymmetric in row/column so a height/width swap shows).
pub fn pattern(image: usize, c: usize, y: usize, x: usize) -> u8 {
    ((image * 53 + c * 101 + y * 7 + x * 3 + y * x) % 256) as u8
}

/// One CIFAR image's 3072 bytes (R plane, G plane, B plane, each row-major 32×32).
pub fn cifar_pixels(image: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(3072);
    for c in 0..3 {
        for y in 0..32 {
            for x in 0..32 {
                v.push(pattern(image, c, y, x));
            }
        }
    }
    v
}

/// CIFAR-10 binary records for `labels`, images numbered from `first`.
pub fn cifar10_bytes(first: usize, labels: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, &l) in labels.iter().enumerate() {
        b.push(l);
        b.extend_from_slice(&cifar_pixels(first + k));
    }
    b
}

/// CIFAR-100 binary records for `(coarse, fine)` labels, images numbered from `first`.
pub fn cifar100_bytes(first: usize, labels: &[(u8, u8)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, &(c, f)) in labels.iter().enumerate() {
        b.push(c);
        b.push(f);
        b.extend_from_slice(&cifar_pixels(first + k));
    }
    b
}

pub fn write(path: &Path, bytes: &[u8]) {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

/// Encodes an image buffer to PNG bytes.
pub fn png(img: &image::DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Encodes an RGB or grayscale image as JPEG (quality 100).
pub fn jpeg(img: &image::DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 100);
    img.write_with_encoder(enc).unwrap();
    out
}

/// Writes a parquet file laid out as the HF `datasets` library does for image data sets:
/// `optional group <image_col> { optional binary bytes; optional binary path (STRING); }`
/// and `optional int64 <label_col>`, snappy-compressed, `path` column null.
pub fn write_hf_parquet(path: &Path, image_col: &str, label_col: &str, rows: &[(Vec<u8>, i64)]) {
    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    let schema = format!(
        "message schema {{ optional group {image_col} {{ optional binary bytes; \
         optional binary path (STRING); }} optional int64 {label_col}; }}"
    );
    let schema = Arc::new(parse_message_type(&schema).unwrap());
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let file = std::fs::File::create(path).unwrap();
    let mut w = SerializedFileWriter::new(file, schema, props).unwrap();
    let mut rg = w.next_row_group().unwrap();
    // image.bytes: present (definition level 2 = group and field defined).
    let mut col = rg.next_column().unwrap().unwrap();
    let vals: Vec<ByteArray> = rows
        .iter()
        .map(|(b, _)| ByteArray::from(b.clone()))
        .collect();
    col.typed::<ByteArrayType>()
        .write_batch(&vals, Some(&vec![2; rows.len()]), None)
        .unwrap();
    col.close().unwrap();
    // image.path: null (definition level 1 = group defined, field null).
    let mut col = rg.next_column().unwrap().unwrap();
    col.typed::<ByteArrayType>()
        .write_batch(&[], Some(&vec![1; rows.len()]), None)
        .unwrap();
    col.close().unwrap();
    // label.
    let mut col = rg.next_column().unwrap().unwrap();
    let labels: Vec<i64> = rows.iter().map(|(_, l)| *l).collect();
    col.typed::<Int64Type>()
        .write_batch(&labels, Some(&vec![1; rows.len()]), None)
        .unwrap();
    col.close().unwrap();
    assert!(rg.next_column().unwrap().is_none());
    rg.close().unwrap();
    w.close().unwrap();
}
