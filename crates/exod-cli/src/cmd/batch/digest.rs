//! `digest.json` of a run folder: what made it (SHA-256 of every input file's content, the
//! parameters, the plots flag, the exod version) and what it found (per-exposure outcomes,
//! events, detections). A rerun keeps a folder whose digest matches and whose run.json lists only
//! files that exist; anything else is recomputed.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// SHA-256 of a file's content (hex).
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The key of a unit: software, parameters, plots flag, and input files by name and content
/// (paths are not part of it: a moved archive is still reused).
pub fn key(
    params: &Value,
    plots: bool,
    lists: &[PathBuf],
    srclist: Option<&Path>,
) -> Result<Value> {
    let entry = |p: &Path| -> Result<Value> {
        Ok(json!({"file": file_name(p), "sha256": sha256_file(p)?}))
    };
    Ok(json!({
        "software": format!("exod {}", env!("CARGO_PKG_VERSION")),
        "parameters": params,
        "plots": plots,
        "inputs": lists.iter().map(|p| entry(p)).collect::<Result<Vec<_>>>()?,
        "srclist": srclist.map(entry).transpose()?,
    }))
}

/// Write `digest.json` into `dir`: the key, the paths read and the unit's result.
pub fn write(dir: &Path, key: &Value, paths: &[PathBuf], result: Value) -> Result<()> {
    let mut v = key.clone();
    v["paths"] = json!(paths);
    v["result"] = result;
    let p = dir.join("digest.json");
    let text = serde_json::to_string_pretty(&v)? + "\n";
    exod_io::fits::write_atomic(&p, |tmp| std::fs::write(tmp, &text))
        .with_context(|| format!("writing {}", p.display()))
}

/// The recorded result of `dir` if the folder is complete (run.json and digest.json readable,
/// every output run.json lists present) and was made with `key`.
pub fn reusable(dir: &Path, key: &Value) -> Option<Value> {
    let read = |n: &str| -> Option<Value> {
        serde_json::from_str(&std::fs::read_to_string(dir.join(n)).ok()?).ok()
    };
    let d = read("digest.json")?;
    for k in ["software", "parameters", "plots", "inputs", "srclist"] {
        if d.get(k) != key.get(k) {
            return None;
        }
    }
    let run = read("run.json")?;
    let complete = run["outputs"].as_array()?.iter().all(|p| {
        p.as_str()
            .map(|s| dir.join(file_name(Path::new(s))).is_file())
            .unwrap_or(false)
    });
    complete.then(|| d["result"].clone())
}
