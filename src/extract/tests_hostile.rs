//! Tests of hostile input: zip bombs, lying headers, unsafe paths, GBK names, encrypted and
//! damaged files, and properties that no input makes `extract` panic.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::archive::unpack_zip;
use super::tests::{docx_fixture, err, pptx_fixture, raw_zip, zip_of};
use super::*;

#[test]
fn zip_bomb_is_refused_from_its_header() {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(false);
    w.start_file("word/document.xml", options).expect("start");
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..300 {
        w.write_all(&zeros).expect("write");
    }
    let bomb = w.finish().expect("finish").into_inner();
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    let e = unpack_zip(&bomb, &Limits::default()).expect_err("bomb");
    assert_eq!(e.code(), "zip_bomb", "{e}");
    assert!(e.to_string().contains("200 times"), "{e}");
    assert_eq!(err("bomb.docx", &bomb).code(), "zip_bomb");
}

#[test]
fn entry_larger_than_declared_is_caught() {
    let mut zip = zip_of(&[("word/document.xml", &vec![b'a'; 2 * 1024 * 1024])]);
    // Make both headers claim 1,000 bytes.
    for (sig, at) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let pos = zip.windows(4).position(|w| w == sig).expect("header");
        zip[pos + at..pos + at + 4].copy_from_slice(&1000u32.to_le_bytes());
    }
    let e = unpack_zip(&zip, &Limits::default()).expect_err("liar");
    assert_eq!(e.code(), "zip_bomb", "{e}");
    assert!(extract("a.docx", &zip, &Limits::default()).is_err());
}

#[test]
fn limits_on_total_size_and_entries() {
    let docx = docx_fixture(true);
    let small = Limits {
        max_unpacked_bytes: 500,
        ..Limits::default()
    };
    let e = extract("a.docx", &docx, &small).expect_err("too large");
    assert_eq!(e.code(), "too_large", "{e}");
    let few = Limits {
        max_entries: 2,
        ..Limits::default()
    };
    let e = extract("a.docx", &docx, &few).expect_err("entries");
    assert_eq!(e.code(), "too_many_entries");
    assert!(e.to_string().contains("limit of 2"), "{e}");
    let tiny_file = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    assert_eq!(
        extract("a.txt", b"hello world!", &tiny_file)
            .expect_err("file")
            .code(),
        "too_large"
    );
    let short = Limits {
        max_text_chars: 5,
        ..Limits::default()
    };
    let out = extract("a.txt", "一二三四五六七".as_bytes(), &short).expect("cut");
    assert_eq!(out.markdown, "一二三四五");
    assert_eq!(out.warnings.len(), 1);
}

#[test]
fn unsafe_paths_are_rejected_one_by_one() {
    let nested = zip_of(&[("inner.txt", b"inner")]);
    let zip = raw_zip(&[
        (b"../evil.txt", b"x", 0),
        (b"/etc/passwd", b"x", 0),
        (b"C:\\win.txt", b"x", 0),
        (b"ok/../../x.txt", b"x", 0),
        (b"a\\..\\..\\b.txt", b"x", 0),
        (b"bad\0name.txt", b"x", 0),
        (b"docs/", b"", 0),
        (b"docs\\good.txt", b"good", 0),
        (b"./docs//two.md", b"two", 0),
        (b"__MACOSX/docs/._good.txt", b"junk", 0),
        (b"docs/.DS_Store", b"junk", 0),
        (b"nested.zip", &nested, 0),
    ]);
    let out = unpack_zip(&zip, &Limits::default()).expect("unpack");
    let paths: Vec<&str> = out.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, vec!["docs/good.txt", "docs/two.md", "nested.zip"]);
    assert_eq!(out.entries[2].bytes, nested);
    assert_eq!(out.rejected.len(), 6, "{:?}", out.rejected);
    assert!(out.rejected.iter().all(|(_, e)| e.code() == "unsafe_path"));
    assert_eq!(out.rejected[0].0, "../evil.txt");
}

#[test]
fn gbk_entry_names_are_decoded() {
    let (gbk, _, _) = encoding_rs::GBK.encode("报价单/说明.txt");
    let zip = raw_zip(&[
        (&gbk, "说明".as_bytes(), 0),
        ("方案.md".as_bytes(), b"# x", 0x0800),
        (b"plain.txt", b"p", 0),
    ]);
    let out = unpack_zip(&zip, &Limits::default()).expect("unpack");
    let paths: Vec<&str> = out.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, vec!["报价单/说明.txt", "方案.md", "plain.txt"]);
}

#[test]
fn encrypted_documents() {
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend(vec![0u8; 600]);
    let mut protected = ole.clone();
    protected.extend("EncryptionInfo".encode_utf16().flat_map(u16::to_le_bytes));
    for name in ["a.docx", "a.pptx", "a.xlsx"] {
        let e = err(name, &protected);
        assert_eq!(e.code(), "encrypted", "{name}");
        assert!(e.to_string().contains("save it without a password"), "{e}");
    }
    // An old .doc renamed: not encrypted, not readable.
    assert_eq!(err("a.docx", &ole).code(), "unsupported_format");
    // A zip entry with the encryption flag.
    let zip = raw_zip(&[(b"word/document.xml", b"<w:document/>", 1)]);
    assert_eq!(err("a.docx", &zip).code(), "encrypted");
    let out = unpack_zip(&zip, &Limits::default()).expect("unpack");
    assert_eq!(out.rejected[0].1.code(), "encrypted");
}

#[test]
fn truncated_and_fake_zips_are_corrupt() {
    let docx = docx_fixture(true);
    let e = err("a.docx", &docx[..docx.len() / 2]);
    assert_eq!(e.code(), "corrupt", "{e}");
    assert_eq!(err("a.docx", b"not a zip at all").code(), "corrupt");
    assert_eq!(err("a.pptx", &zip_of(&[("x.txt", b"x")])).code(), "corrupt");
    assert_eq!(err("a.docx", &zip_of(&[("x.txt", b"x")])).code(), "corrupt");
    assert!(unpack_zip(b"PK\x03\x04 truncated", &Limits::default()).is_err());
}

mod fuzz_tests {
    use proptest::prelude::*;

    use super::*;

    const NAMES: &[&str] = &[
        "a.md", "a.txt", "a.html", "a.docx", "a.pptx", "a.xlsx", "a.xls", "a.ods", "a.pdf",
    ];

    proptest! {
        #![proptest_config(crate::fuzz_support::config(64))]

        #[test]
        fn random_bytes_never_panic(
            which in 0..NAMES.len(),
            prefix in 0usize..4,
            body in proptest::collection::vec(any::<u8>(), 0..1500),
        ) {
            let mut bytes = match prefix {
                0 => b"PK\x03\x04".to_vec(),
                1 => b"%PDF-1.4\n".to_vec(),
                2 => vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
                _ => Vec::new(),
            };
            bytes.extend(body);
            let _ = extract(NAMES[which], &bytes, &Limits::default());
            let _ = unpack_zip(&bytes, &Limits::default());
        }

        #[test]
        fn mutated_docx_never_panics(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let mut bytes = docx_fixture(true);
            for (at, b) in flips {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len()));
            }
            let _ = extract("a.docx", &bytes, &Limits::default());
            let _ = extract("a.xlsx", &bytes, &Limits::default());
            let _ = unpack_zip(&bytes, &Limits::default());
        }

        #[test]
        fn mutated_pptx_xml_never_panics(
            cut in any::<prop::sample::Index>(),
            noise in "[<>/&a-z:=\" ]{0,40}",
        ) {
            // Damaged XML inside a sound zip.
            let good = pptx_fixture();
            let mut zip = ZipArchiveCopy::from(&good);
            zip.damage("ppt/slides/slide2.xml", cut, &noise);
            let _ = extract("a.pptx", &zip.bytes(), &Limits::default());
        }
    }

    /// The parts of a zip, to rebuild it with one part damaged.
    struct ZipArchiveCopy(Vec<(String, Vec<u8>)>);

    impl ZipArchiveCopy {
        fn from(bytes: &[u8]) -> Self {
            let out = unpack_zip(bytes, &Limits::default()).expect("fixture");
            ZipArchiveCopy(out.entries.into_iter().map(|e| (e.path, e.bytes)).collect())
        }

        fn damage(&mut self, name: &str, cut: prop::sample::Index, noise: &str) {
            if let Some((_, b)) = self.0.iter_mut().find(|(n, _)| n == name) {
                let at = cut.index(b.len());
                b.splice(at..at, noise.bytes());
                b.truncate(b.len() - at / 3);
            }
        }

        fn bytes(&self) -> Vec<u8> {
            let files: Vec<(&str, &[u8])> = self
                .0
                .iter()
                .map(|(n, b)| (n.as_str(), b.as_slice()))
                .collect();
            zip_of(&files)
        }
    }
}
