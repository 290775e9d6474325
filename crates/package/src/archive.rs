//! The submission tarball: writing one (gzip, regular files only, `0644`, owner 0, sorted names,
//! `manifest.json` last) and reading one back defensively.
//!
//! Reading never touches the file system: members are read into memory, at most
//! [`super::MAX_BYTES`] plus a margin in total and a bounded number of entries, so a
//! decompression bomb stops early. Links, devices, absolute paths, `..`, duplicated names and
//! non-UTF-8 names become issues; directory entries are skipped.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use tar::{Archive, Builder, EntryType, Header};

use super::policy::unsafe_path_reason;
use super::{Issue, Member, MAX_BYTES, MAX_FILES};

/// Entries read before giving up on an archive (files, directories and headers together).
const MAX_ENTRIES: usize = MAX_FILES * 4;
/// Bytes of member content read before giving up (the cap plus room for the manifest).
const MAX_READ_BYTES: u64 = MAX_BYTES + 1024 * 1024;

/// Writes `members` (in the given order) as a gzip tarball to `out`, each stamped with `mtime`
/// (seconds since the epoch).
///
/// # Errors
/// The I/O error of the first failed write.
pub fn write(out: &Path, members: &[Member], mtime: u64) -> std::io::Result<()> {
    let file = File::create(out)?;
    let mut tar = Builder::new(GzEncoder::new(file, Compression::default()));
    for m in members {
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(m.bytes.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        tar.append_data(&mut header, &m.name, m.bytes.as_slice())?;
    }
    let gz = tar.into_inner()?;
    let mut file = gz.finish()?;
    file.flush()?;
    file.sync_all()
}

/// Reads the regular files of the gzip tarball at `path` into memory.
///
/// Returns the members read and every issue found; an archive that cannot be opened or decoded
/// gives no members and one `archive_missing`/`archive_unreadable` issue.
pub fn read(path: &Path) -> (Vec<Member>, Vec<Issue>) {
    let label = path.display().to_string();
    if !path.is_file() {
        let issue = Issue::new(
            "archive_missing",
            label.clone(),
            format!("no such submission archive: {label}"),
        );
        return (Vec::new(), vec![issue]);
    }
    match File::open(path) {
        Ok(file) => read_from(MultiGzDecoder::new(file), &label),
        Err(e) => (Vec::new(), vec![unreadable(&label, &e.to_string())]),
    }
}

fn unreadable(label: &str, why: &str) -> Issue {
    Issue::new(
        "archive_unreadable",
        label,
        format!("cannot read {label} as a gzip tar archive: {why}"),
    )
}

fn read_from<R: Read>(reader: R, label: &str) -> (Vec<Member>, Vec<Issue>) {
    let mut members = Vec::new();
    let mut issues = Vec::new();
    let mut archive = Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return (members, vec![unreadable(label, &e.to_string())]),
    };
    let mut read_bytes = 0u64;
    for (index, entry) in entries.enumerate() {
        if index >= MAX_ENTRIES {
            issues.push(Issue::new(
                "too_many_files",
                "",
                format!("the archive has more than {MAX_ENTRIES} entries; stopped reading"),
            ));
            break;
        }
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                issues.push(unreadable(label, &e.to_string()));
                break;
            }
        };
        let name = match std::str::from_utf8(&entry.path_bytes()) {
            Ok(n) => n.to_string(),
            Err(_) => {
                let shown = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                issues.push(Issue::new(
                    "unsafe_path",
                    shown.clone(),
                    format!("archive member {shown:?} has a name that is not UTF-8"),
                ));
                continue;
            }
        };
        if let Some(reason) = unsafe_path_reason(&name) {
            issues.push(Issue::new(
                "unsafe_path",
                name.clone(),
                format!("archive member {name:?} {reason}: refusing to unpack it"),
            ));
            continue;
        }
        match entry.header().entry_type() {
            EntryType::Regular | EntryType::Continuous => {}
            EntryType::Directory | EntryType::XGlobalHeader => continue,
            EntryType::Symlink | EntryType::Link => {
                issues.push(Issue::new(
                    "link_entry",
                    name.clone(),
                    format!(
                        "archive member {name:?} is a link; submissions hold regular files only"
                    ),
                ));
                continue;
            }
            other => {
                issues.push(Issue::new(
                    "not_a_regular_file",
                    name.clone(),
                    format!("archive member {name:?} is a {other:?} entry, not a regular file"),
                ));
                continue;
            }
        }
        let size = entry.size();
        if read_bytes + size > MAX_READ_BYTES {
            issues.push(Issue::new(
                "too_large",
                name,
                format!(
                    "the archive unpacks to more than {} MiB; stopped reading",
                    MAX_READ_BYTES / (1024 * 1024)
                ),
            ));
            break;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        if let Err(e) = (&mut entry).take(size).read_to_end(&mut bytes) {
            issues.push(unreadable(label, &e.to_string()));
            break;
        }
        read_bytes += size;
        members.push(Member::new(name, bytes));
    }
    (members, issues)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("whest-archive-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn written_members_read_back() {
        let dir = temp_dir("roundtrip");
        let out = dir.join("a.tar.gz");
        let long = format!("src/{}/deep.rs", "x".repeat(120));
        let members = vec![
            Member::new("Cargo.toml", b"[package]\n".to_vec()),
            Member::new(long.clone(), vec![7; 3000]),
        ];
        write(&out, &members, 1_700_000_000).expect("write");
        let (read_back, issues) = read(&out);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(read_back, members);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A tarball built by hand, entry by entry, for the hostile cases `write` cannot produce.
    fn hostile(entries: &[(&str, EntryType, &[u8])]) -> Vec<u8> {
        let mut tar = Builder::new(Vec::new());
        for (name, kind, data) in entries {
            let mut h = Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            // Write the raw name so `..` and absolute paths survive.
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            if *kind == EntryType::Symlink {
                h.set_link_name("/etc/passwd").expect("link name");
            }
            h.set_cksum();
            tar.append(&h, *data).expect("append");
        }
        tar.into_inner().expect("tar")
    }

    #[test]
    fn hostile_members_become_issues() {
        let bytes = hostile(&[
            ("../evil.rs", EntryType::Regular, b"x"),
            ("/abs.rs", EntryType::Regular, b"x"),
            ("link.rs", EntryType::Symlink, b""),
            ("fifo", EntryType::Fifo, b""),
            ("ok.rs", EntryType::Regular, b"fine"),
        ]);
        let (members, issues) = read_from(bytes.as_slice(), "t");
        let codes: Vec<&str> = issues.iter().map(|i| i.code).collect();
        assert_eq!(
            codes,
            [
                "unsafe_path",
                "unsafe_path",
                "link_entry",
                "not_a_regular_file"
            ]
        );
        assert_eq!(members, vec![Member::new("ok.rs", b"fine".to_vec())]);
    }

    #[test]
    fn garbage_is_unreadable() {
        let dir = temp_dir("garbage");
        let path = dir.join("x.tar.gz");
        std::fs::write(&path, b"not gzip at all").expect("write");
        let (members, issues) = read(&path);
        assert!(members.is_empty());
        assert_eq!(issues[0].code, "archive_unreadable");
        assert_eq!(
            read(&dir.join("missing.tar.gz")).1[0].code,
            "archive_missing"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
