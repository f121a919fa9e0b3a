//! A network on disk, for other simulators: four Matrix Market pattern files (one per block
//! of Eq. 2) and `network.json` with every parameter and the four block weights (Eq. 3).
//!
//! ## Layout of DIR
//! * `ee.mtx`, `ei.mtx`, `ie.mtx`, `ii.mtx`: `%%MatrixMarket matrix coordinate pattern
//!   general`. Block XY has one row per postsynaptic neuron of population X and one column per
//!   presynaptic neuron of population Y; indices are 1-based *within* each population (the
//!   format is 1-based). Row i lists the K_Y presynaptic partners of neuron i.
//! * `network.json`: `format` ("balnet-network/1"), `params` (the [`Params`] fields),
//!   `sizes` (n_e, n_i, k_e, k_i), `seed`, `autapses`, `generator`, and `blocks`, each with its
//!   file, shape, in-degree and signed `weight`: J^EE = J0 j_E / sqrt(K_E),
//!   J^EI = -J0 g_E j_E / sqrt(K_I), J^IE = J0 j_I / sqrt(K_E), J^II = -J0 g_I j_I / sqrt(K_I).
//!
//! In global numbering (E neurons 0..N_E-1, then I neurons N_E..N-1) the full weight matrix is
//! J = [[w_ee EE, w_ei EI], [w_ie IE, w_ii II]]; with scipy:
//! `J = scipy.sparse.bmat([[w['ee'] * mmread('ee.mtx'), w['ei'] * mmread('ei.mtx')], ...])`.
//!
//! Every file is written to a temporary name and renamed, `network.json` last, so a reader
//! never sees a half-written network. The reader accepts entries in any order (as other tools
//! may write them) and checks every invariant of [`Connectivity::validate`].

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use theory::Params;

use crate::connectivity::{Autapses, Block, Connectivity, Indices, Sizes};
use crate::error::SimError;
use crate::files::{io_err, write_atomic};
use crate::network::RateNetwork;

/// The `format` tag of network.json.
pub const FORMAT: &str = "balnet-network/1";

/// One block's entry in network.json.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockMeta {
    pub file: String,
    /// Postsynaptic population (rows) and presynaptic population (columns).
    pub post: String,
    pub pre: String,
    pub rows: usize,
    pub cols: usize,
    pub in_degree: usize,
    /// Signed weight of every synapse of the block (Eq. 3).
    pub weight: f64,
}

/// The contents of network.json.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkMeta {
    pub format: String,
    pub params: Params,
    pub sizes: Sizes,
    pub seed: u64,
    pub autapses: Autapses,
    pub generator: String,
    pub ordering: String,
    pub ee: BlockMeta,
    pub ei: BlockMeta,
    pub ie: BlockMeta,
    pub ii: BlockMeta,
}

fn name(b: Block) -> &'static str {
    match b {
        Block::EE => "ee",
        Block::EI => "ei",
        Block::IE => "ie",
        Block::II => "ii",
    }
}

impl NetworkMeta {
    pub fn of(net: &RateNetwork) -> Self {
        let s = net.conn.sizes;
        let meta = |b: Block, weight: f64| {
            let (rows, cols, k) = b.shape(&s);
            let n = name(b);
            BlockMeta {
                file: format!("{n}.mtx"),
                post: n[..1].to_uppercase(),
                pre: n[1..].to_uppercase(),
                rows,
                cols,
                in_degree: k,
                weight,
            }
        };
        NetworkMeta {
            format: FORMAT.into(),
            params: net.params,
            sizes: s,
            seed: net.conn.seed,
            autapses: net.conn.autapses,
            generator: "ChaCha8 (rand_chacha) seeded with seed_from_u64(seed); row i of block b \
                        (EE=0, EI=1, IE=2, II=3) uses stream (b << 40) | i; Floyd sampling \
                        without replacement; rows sorted"
                .into(),
            ordering: "global index: E neurons 0..n_e-1, then I neurons n_e..n-1; Matrix Market \
                       indices are 1-based within each population"
                .into(),
            ee: meta(Block::EE, net.j_ee),
            ei: meta(Block::EI, -net.j_ei),
            ie: meta(Block::IE, net.j_ie),
            ii: meta(Block::II, -net.j_ii),
        }
    }

    fn block(&self, b: Block) -> &BlockMeta {
        match b {
            Block::EE => &self.ee,
            Block::EI => &self.ei,
            Block::IE => &self.ie,
            Block::II => &self.ii,
        }
    }
}

/// Rows formatted per parallel batch (bounded memory for large networks).
const BATCH_ROWS: usize = 4096;

fn write_block(w: &mut dyn Write, ix: &Indices, b: Block, s: &Sizes) -> std::io::Result<()> {
    let (rows, cols, k) = b.shape(s);
    let n = name(b).to_uppercase();
    writeln!(w, "%%MatrixMarket matrix coordinate pattern general")?;
    writeln!(
        w,
        "% balnet block {n}: rows = postsynaptic {} neurons, columns = presynaptic {} neurons \
         (1-based within each population); weight in network.json",
        &n[..1],
        &n[1..]
    )?;
    writeln!(w, "{rows} {cols} {}", rows * k)?;
    for start in (0..rows).step_by(BATCH_ROWS) {
        let end = (start + BATCH_ROWS).min(rows);
        let parts: Vec<Vec<u8>> = (start..end)
            .into_par_iter()
            .with_min_len(64)
            .map(|i| {
                let mut buf = Vec::with_capacity(k * 12);
                for q in 0..k {
                    // Infallible: writing into a Vec.
                    let _ = writeln!(buf, "{} {}", i + 1, ix.get(i * k + q) + 1);
                }
                buf
            })
            .collect();
        for p in parts {
            w.write_all(&p)?;
        }
    }
    Ok(())
}

/// Write `net` to `dir` (created if needed). Returns the files written.
pub fn write_network(dir: &Path, net: &RateNetwork) -> Result<Vec<PathBuf>, SimError> {
    let s = net.conn.sizes;
    let mut files = Vec::new();
    for b in Block::ALL {
        let ix = net.conn.block(b);
        files.push(write_atomic(&dir.join(format!("{}.mtx", name(b))), |w| {
            write_block(w, ix, b, &s)
        })?);
    }
    let meta = NetworkMeta::of(net);
    files.push(write_atomic(&dir.join("network.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &meta).map_err(std::io::Error::other)?;
        writeln!(w)
    })?);
    Ok(files)
}

/// Parse a pattern Matrix Market file into sorted rows.
fn read_block(path: &Path, rows: usize, cols: usize, k: usize) -> Result<Vec<Vec<u32>>, SimError> {
    let err = io_err(path);
    let bad = |why: String| SimError::Format(format!("{}: {why}", path.display()));
    let file = std::fs::File::open(path).map_err(&err)?;
    let mut lines = std::io::BufReader::with_capacity(1 << 20, file).lines();
    let header = lines.next().transpose().map_err(&err)?.unwrap_or_default();
    let h: Vec<String> = header.split_whitespace().map(str::to_lowercase).collect();
    if h.len() != 5 || h[0] != "%%matrixmarket" || h[1] != "matrix" || h[2] != "coordinate" {
        return Err(bad(format!(
            "not a coordinate Matrix Market file (header '{header}')"
        )));
    }
    if h[3] != "pattern" || h[4] != "general" {
        return Err(bad(format!(
            "expected 'pattern general' entries (weights live in network.json), found '{} {}'",
            h[3], h[4]
        )));
    }
    let mut size: Option<(usize, usize, usize)> = None;
    let mut out: Vec<Vec<u32>> = vec![Vec::with_capacity(k); rows];
    let mut count = 0usize;
    for (lineno, line) in lines.enumerate() {
        let line = line.map_err(&err)?;
        let t = line.trim();
        if t.is_empty() || t.starts_with('%') {
            continue;
        }
        let mut it = t.split_ascii_whitespace().map(str::parse::<usize>);
        let (a, b) = (it.next(), it.next());
        let at = || format!("line {}: '{t}'", lineno + 2);
        match size {
            None => {
                let c = it.next();
                match (a, b, c) {
                    (Some(Ok(r)), Some(Ok(cc)), Some(Ok(nnz))) => {
                        if (r, cc, nnz) != (rows, cols, rows * k) {
                            return Err(bad(format!(
                                "size line says {r} x {cc} with {nnz} entries; network.json implies \
                                 {rows} x {cols} with {}",
                                rows * k
                            )));
                        }
                        size = Some((r, cc, nnz));
                    }
                    _ => return Err(bad(format!("bad size line at {}", at()))),
                }
            }
            Some(_) => {
                let (Some(Ok(i)), Some(Ok(j)), None) = (a, b, it.next()) else {
                    return Err(bad(format!("expected two indices at {}", at())));
                };
                if !(1..=rows).contains(&i) || !(1..=cols).contains(&j) {
                    return Err(bad(format!("index out of range at {}", at())));
                }
                let row = &mut out[i - 1];
                if row.len() == k {
                    return Err(bad(format!("row {i} has more than {k} entries")));
                }
                row.push((j - 1) as u32);
                count += 1;
            }
        }
    }
    if size.is_none() || count != rows * k {
        return Err(bad(format!("{count} entries, expected {}", rows * k)));
    }
    out.par_iter_mut().for_each(|r| r.sort_unstable());
    Ok(out)
}

/// What a network directory holds.
#[derive(Debug)]
pub struct LoadedNetwork {
    pub meta: NetworkMeta,
    pub conn: Connectivity,
}

impl LoadedNetwork {
    /// The rate network with the weights of network.json (which must agree with its params).
    pub fn rate_network(&self) -> Result<RateNetwork, SimError> {
        self.rate_network_with(self.meta.params)
    }

    /// The same connectivity with other model parameters (J0, I0, ...). The structural ones
    /// (N, f, c_E, c_I) must be those of the file.
    pub fn rate_network_with(&self, params: Params) -> Result<RateNetwork, SimError> {
        let m = &self.meta.params;
        for (nm, a, b) in [
            ("n", params.n, m.n),
            ("f", params.f, m.f),
            ("c_e", params.c_e, m.c_e),
            ("c_i", params.c_i, m.c_i),
        ] {
            if a != b {
                return Err(SimError::Format(format!(
                    "{nm} = {a} differs from the loaded network's {nm} = {b} (the file fixes the structure)"
                )));
            }
        }
        params.validate()?;
        let net = RateNetwork::new(self.conn.clone(), params);
        if params == self.meta.params {
            let want = NetworkMeta::of(&net);
            for b in Block::ALL {
                let (w, f) = (want.block(b).weight, self.meta.block(b).weight);
                if (w - f).abs() > 1e-12 * w.abs() {
                    return Err(SimError::Format(format!(
                        "network.json: weight of block {} is {f}, its params imply {w}",
                        name(b)
                    )));
                }
            }
        }
        Ok(net)
    }
}

/// Read a network written by [`write_network`] (or by another tool following the layout).
pub fn read_network(dir: &Path) -> Result<LoadedNetwork, SimError> {
    let jpath = dir.join("network.json");
    let text = std::fs::read_to_string(&jpath).map_err(io_err(&jpath))?;
    let meta: NetworkMeta = serde_json::from_str(&text)
        .map_err(|e| SimError::Format(format!("{}: {e}", jpath.display())))?;
    if meta.format != FORMAT {
        return Err(SimError::Format(format!(
            "{}: format '{}', expected '{FORMAT}'",
            jpath.display(),
            meta.format
        )));
    }
    let s = meta.sizes;
    let mut blocks = Vec::with_capacity(4);
    for b in Block::ALL {
        let (rows, cols, k) = b.shape(&s);
        let bm = meta.block(b);
        if (bm.rows, bm.cols, bm.in_degree) != (rows, cols, k) {
            return Err(SimError::Format(format!(
                "{}: block {} is {} x {} with in-degree {}, sizes imply {rows} x {cols} with {k}",
                jpath.display(),
                name(b),
                bm.rows,
                bm.cols,
                bm.in_degree
            )));
        }
        let rows_v = read_block(&dir.join(&bm.file), rows, cols, k)?;
        blocks.push(Indices::from_rows(rows_v, cols));
    }
    let mut it = blocks.into_iter();
    let mut next = || it.next().expect("four blocks");
    let conn = Connectivity {
        sizes: s,
        autapses: meta.autapses,
        seed: meta.seed,
        ee: next(),
        ei: next(),
        ie: next(),
        ii: next(),
    };
    conn.validate()?;
    Ok(LoadedNetwork { meta, conn })
}
