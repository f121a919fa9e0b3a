//! A deterministic fuzz driver of the `balnet` command line.
//!
//! The subcommands and their flags are read from `balnet --help` and `balnet <cmd> [<sub>]
//! --help` at test time, so a new flag is fuzzed as soon as it exists. Each invocation starts
//! from a small valid one (`--n 200 --t 5 --transient 1`, `--json` wherever it is accepted),
//! sometimes adds valid optional flags (`--network`, `--init`, `--out`, `--checkpoint`, an enum
//! value, ...), then mutates 1-3 things: a value replaced by a nasty one (0, -1, 1e308, nan, "",
//! 2^64, long strings, unicode, malformed lists), a value or a required flag dropped, an unknown
//! or duplicated flag, a path flag given a missing file, a directory or garbage, `--threads` 0,
//! 100000 or -1. A splitmix64 generator seeded per invocation makes the same seed give the same
//! invocations.
//!
//! Each invocation runs in a fresh working directory with a timeout and `RUST_BACKTRACE=1`, and
//! must keep the contract of the command line:
//! * exit status 0, 1 (computation failed) or 2 (bad input) (`check` also 3, inconclusive);
//!   no signal, no timeout (a run is killed after the timeout once it has also had that much
//!   CPU, so a run starved by a hog beside it is not blamed; at 3 x the timeout in any case,
//!   and a run starved that long is run again alone);
//! * stderr never contains "panicked", "stack backtrace" or "RUST_BACKTRACE";
//! * on status 1 or 2: a message, at most 2 lines on stderr; on status 2 caused by one mutation
//!   the message names the flag (or the path or token) it is about;
//! * an invalid literal (unknown flag, missing value, "abc" for a number, missing input file) or
//!   a NaN parameter is never accepted with status 0, and such bad input alone gives status 2,
//!   not 1;
//! * with status 0 and `--json`: stdout is exactly one JSON object;
//! * no `*.tmp` file is left in the working directory, and after a failure no new file at all
//!   (except an explicitly requested checkpoint).
//!
//! Timeouts of runs whose mutation asked for a legitimately huge workload (e.g. `--t 4294967297`,
//! `--only ""`) and `null`s in successful JSON are recorded as notes (printed), not failures.
//!
//! `fuzz_default` runs in the default suite; `fuzz_long` (ignored) takes its seed from
//! `BALNET_FUZZ_SEED` (default 1) and its count from `BALNET_FUZZ_N` (default 3000). Both
//! collect every failure and panic at the end with the list. `BALNET_FUZZ_LOG=FILE` also writes
//! every failure and note as one JSON line each; `BALNET_FUZZ_DRY=1` prints the invocations
//! without running them; `BALNET_FUZZ_JOBS` sets how many run at a time (default 2).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_balnet");
/// Invocations run at the same time.
const JOBS: usize = 2;

// ------------------------------------------------------------------------------------------
// A seeded generator (splitmix64).

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// True with probability num / den.
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

// ------------------------------------------------------------------------------------------
// The command line as `--help` describes it.

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Bool,
    Number,
    List,
    Text,
    Path,
    Enum(Vec<String>),
}

#[derive(Clone, Debug)]
struct Flag {
    name: String,
    value_name: String,
    kind: Kind,
    default: Option<String>,
}

#[derive(Clone, Debug)]
struct Spec {
    path: Vec<String>,
    flags: Vec<Flag>,
    /// Positional arguments (name as in the help, e.g. DIR) and whether each is required.
    positionals: Vec<(Flag, bool)>,
    /// Flags the usage line lists outside `[OPTIONS]`.
    required: Vec<String>,
}

impl Spec {
    fn name(&self) -> String {
        self.path.join(" ")
    }
    fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }
    fn has(&self, name: &str) -> bool {
        self.flag(name).is_some()
    }
    /// A command that builds or simulates a network (its `--n` is a workload).
    fn simulates(&self) -> bool {
        self.has("t") || self.has("network") || self.has("modes")
    }
    fn is_ssn(&self) -> bool {
        let n = self.name();
        n.starts_with("ssn") || n.ends_with("lif-ssn")
    }
}

struct Help {
    subcommands: Vec<String>,
    flags: Vec<Flag>,
    positionals: Vec<(Flag, bool)>,
    required: Vec<String>,
}

fn help_text(path: &[String]) -> String {
    let out = Command::new(BIN)
        .args(path)
        .arg("--help")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("cannot run balnet --help");
    assert!(
        out.status.success(),
        "balnet {} --help failed: {}",
        path.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn between<'a>(s: &'a str, open: &str, close: char) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let len = s[start..].find(close)?;
    Some(&s[start..start + len])
}

fn classify(value_name: &str, desc: &[String]) -> (Kind, Option<String>) {
    let joined = desc.join("\n");
    // "[default: X]" (clap) or "(default X, ...)" in the text of the model's flags.
    let default = between(&joined, "[default: ", ']')
        .or_else(|| between(&joined, "(default ", ')').and_then(|s| s.split(',').next()))
        .map(|s| s.trim().to_string());
    if value_name.is_empty() {
        return (Kind::Bool, default);
    }
    // Short help: "[possible values: a, b]"; long help: "Possible values:" then "- a: ...".
    let mut values: Vec<String> = between(&joined, "[possible values: ", ']')
        .map(|s| s.split(", ").map(str::to_string).collect())
        .unwrap_or_default();
    if values.is_empty()
        && let Some(at) = desc.iter().position(|l| l == "Possible values:")
    {
        values = desc[at + 1..]
            .iter()
            .take_while(|l| l.starts_with("- "))
            .map(|l| l[2..].split(':').next().unwrap_or("").trim().to_string())
            .collect();
    }
    let kind = if !values.is_empty() {
        Kind::Enum(values)
    } else if value_name.contains("FILE") || value_name.contains("DIR") {
        Kind::Path
    } else if value_name == "TEXT" {
        Kind::Text
    } else if value_name == "LIST"
        || value_name == "AXIS"
        || value_name.contains(',')
        || value_name.contains('/')
        || joined.contains("A:B:K")
        || joined.to_lowercase().contains("comma-separated")
    {
        Kind::List
    } else {
        Kind::Number
    };
    (kind, default)
}

fn parse_help(text: &str) -> Help {
    #[derive(PartialEq)]
    enum Sec {
        None,
        Usage,
        Commands,
        Options,
        Arguments,
    }
    let mut sec = Sec::None;
    let mut usage = String::new();
    let mut subcommands = Vec::new();
    // (name, value name, description lines), options and arguments.
    let mut options: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut arguments: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let indent = line.len() - line.trim_start().len();
        if indent == 0 && !t.is_empty() {
            sec = match t {
                "Commands:" => Sec::Commands,
                "Options:" => Sec::Options,
                "Arguments:" => Sec::Arguments,
                _ if t.starts_with("Usage:") => {
                    usage.push_str(t);
                    Sec::Usage
                }
                _ => Sec::None,
            };
            continue;
        }
        if t.is_empty() {
            if sec == Sec::Usage {
                sec = Sec::None;
            }
            continue;
        }
        match sec {
            Sec::Usage => {
                usage.push(' ');
                usage.push_str(t);
            }
            Sec::Commands if indent <= 2 => {
                let name = t.split_whitespace().next().unwrap_or("");
                if name != "help" {
                    subcommands.push(name.to_string());
                }
            }
            Sec::Arguments if indent <= 2 && (t.starts_with('<') || t.starts_with('[')) => {
                let end = t.find(['>', ']']).unwrap_or(t.len());
                let name = t[1..end].trim_end_matches("...").to_string();
                let rest = t.get(end + 1..).unwrap_or("").trim().to_string();
                arguments.push((name, vec![rest]));
            }
            Sec::Arguments => {
                if let Some(last) = arguments.last_mut() {
                    last.1.push(t.to_string());
                }
            }
            Sec::Options if indent <= 6 && t.starts_with('-') => {
                let Some(at) = t.find("--") else { continue };
                let s = &t[at + 2..];
                let end = s.find(' ').unwrap_or(s.len());
                let name = s[..end].to_string();
                let rest = s[end..].trim_start();
                let (value_name, desc) = match rest.strip_prefix('<') {
                    Some(r) => {
                        let close = r.find('>').unwrap_or(r.len());
                        (r[..close].to_string(), r.get(close + 1..).unwrap_or(""))
                    }
                    None => (String::new(), rest),
                };
                options.push((name, value_name, vec![desc.trim().to_string()]));
            }
            Sec::Options => {
                if let Some(last) = options.last_mut() {
                    last.2.push(t.to_string());
                }
            }
            _ => {}
        }
    }
    let flags = options
        .into_iter()
        .filter(|(n, _, _)| n != "help" && n != "version")
        .map(|(name, value_name, desc)| {
            let (kind, default) = classify(&value_name, &desc);
            Flag {
                name,
                value_name,
                kind,
                default,
            }
        })
        .collect();
    let positionals = arguments
        .into_iter()
        .map(|(name, desc)| {
            let kind = if name.contains("DIR") || name.contains("FILE") {
                Kind::Path
            } else {
                classify(&name, &desc).0
            };
            let required = usage.contains(&format!("<{name}>"));
            let flag = Flag {
                name: name.clone(),
                value_name: name,
                kind,
                default: None,
            };
            (flag, required)
        })
        .collect();
    let required = usage
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .map(str::to_string)
        .collect();
    Help {
        subcommands,
        flags,
        positionals,
        required,
    }
}

/// Every leaf command (`fixed-point`, `simulate rate`, ...) with its flags.
fn discover() -> Vec<Spec> {
    let mut specs = Vec::new();
    let mut stack: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = stack.pop() {
        let h = parse_help(&help_text(&path));
        if h.subcommands.is_empty() {
            if !path.is_empty() {
                specs.push(Spec {
                    path,
                    flags: h.flags,
                    positionals: h.positionals,
                    required: h.required,
                });
            }
        } else {
            for s in h.subcommands {
                let mut p = path.clone();
                p.push(s);
                stack.push(p);
            }
        }
    }
    specs.sort_by(|a, b| a.path.cmp(&b.path));
    specs
}

// ------------------------------------------------------------------------------------------
// Fixtures: valid and broken input files, shared by all invocations (read only) or copied into
// an invocation's working directory.

struct Fix {
    root: PathBuf,
    golden: PathBuf,
    ssn: Vec<String>,
    notes: Vec<String>,
}

impl Fix {
    fn p(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }
}

fn balnet_in(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "balnet {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn copy_rec(src: &Path, dst: &Path) {
    if src.is_dir() {
        fs::create_dir_all(dst).unwrap();
        for e in fs::read_dir(src).unwrap() {
            let e = e.unwrap();
            copy_rec(&e.path(), &dst.join(e.file_name()));
        }
    } else if src.exists() {
        fs::copy(src, dst).unwrap();
    }
}

fn fixtures(root: &Path) -> Fix {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden");
    let golden = golden.canonicalize().unwrap_or(golden);
    fs::create_dir_all(root).unwrap();
    let w = |name: &str, contents: &[u8]| fs::write(root.join(name), contents).unwrap();
    let mut garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    garbage[..4].copy_from_slice(b"\xff\xfe\0\x01");
    w("garbage.bin", &garbage);
    w("empty.txt", b"");
    w("params.toml", b"n = 300\nj0 = 0.5\n");
    w("bad.toml", b"n = [1,\nj0 = \"x\n[[[\n");
    w("wrongtype.toml", b"n = \"abc\"\nj0 = true\n");
    w("unknown.toml", b"bogus_key = 1\n");
    w("nan.toml", b"j0 = nan\ni0 = inf\n");
    w(
        "check.json",
        br#"{"format": "balnet-check/1", "simulator": "fuzz", "model": "rate",
 "params": {"n": 200, "j0": 0.1}, "window": {"t": 5, "transient": 1, "dt": 0.05},
 "realizations": 1, "statistics": {"phi_e": {"value": 0.47, "stderr": 1e-3}, "w": 0.3}}"#,
    );
    w(
        "check_fmt.json",
        br#"{"format": "balnet-check/2", "model": "rate", "params": {}, "statistics": {}}"#,
    );
    w(
        "check_neg.json",
        br#"{"format": "balnet-check/1", "simulator": "fuzz", "model": "rate",
 "params": {"n": -200, "j0": 1e308}, "window": {"t": -5, "transient": 1, "dt": 0},
 "realizations": 0, "statistics": {"phi_e": {"value": 1, "stderr": -1}}}"#,
    );
    w(
        "check_huge.json",
        br#"{"format": "balnet-check/1", "simulator": "fuzz", "model": "lif",
 "params": {"n": 1e19}, "window": {"t": 1e300, "transient": 1e300, "dt": 1e-300},
 "realizations": 18446744073709551616, "statistics": {"bogus": 1, "acf_e": {"lags": [], "values": [1]}}}"#,
    );
    let mut deep = "[".repeat(100_000);
    deep.push_str(&"]".repeat(100_000));
    w("check_deep.json", deep.as_bytes());
    // A state of the wrong size and one of NaNs (the valid one comes from simulate rate --out).
    w("state_short.txt", b"0.1\n0.2\n0.3\n");
    w("state_nan.txt", "nan\n".repeat(360).as_bytes());
    // Directories: empty, broken networks, a golden directory with a malformed file.
    fs::create_dir_all(root.join("emptydir")).unwrap();
    fs::create_dir_all(root.join("golden_bad")).unwrap();
    w(
        "golden_bad/bad.toml",
        b"[[case]]\nid = 1\nexpected = \"x\"\n[[[\n",
    );
    let mut notes = Vec::new();
    let mut setup = |args: &[&str]| {
        if let Err(e) = balnet_in(root, args) {
            notes.push(format!("fixture setup failed: {e}"));
        }
    };
    setup(&["export-network", "--n", "200", "--out", "net"]);
    setup(&[
        "simulate",
        "rate",
        "--n",
        "200",
        "--t",
        "5",
        "--transient",
        "1",
        "--out",
        "simout",
    ]);
    setup(&[
        "simulate",
        "rate",
        "--n",
        "300",
        "--seed",
        "9",
        "--t",
        "5",
        "--transient",
        "1",
        "--checkpoint",
        "ck_other.bin",
    ]);
    setup(&[
        "sweep",
        "lyapunov",
        "--j0s",
        "0.5,1.5",
        "--ns",
        "200",
        "--out",
        "sweep",
        "--t",
        "5",
        "--transient",
        "1",
    ]);
    let _ = fs::copy(root.join("simout/state.txt"), root.join("state.txt"));
    copy_rec(&root.join("net"), &root.join("net_bad"));
    w(
        "net_bad/ee.mtx",
        b"%%MatrixMarket matrix coordinate real general\n3 3 9\n1 1\n",
    );
    copy_rec(&root.join("net"), &root.join("net_badjson"));
    w("net_badjson/network.json", b"{\"n\": -1, \"model\": 7}");
    copy_rec(&root.join("sweep"), &root.join("sweep_bad"));
    w(
        "sweep_bad/shard-0-of-1.jsonl",
        b"{\"point\": 99}\n{garbage\n",
    );
    copy_rec(&root.join("sweep"), &root.join("sweep_dup"));
    let _ = fs::copy(
        root.join("sweep/shard-0-of-1.jsonl"),
        root.join("sweep_dup/shard-1-of-2.jsonl"),
    );
    let ssn_dir = golden.join("ssn");
    let mut ssn: Vec<String> = fs::read_dir(&ssn_dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    ssn.sort();
    if ssn.is_empty() {
        notes.push(format!("no SSN networks in {}", ssn_dir.display()));
        ssn.push(root.join("params.toml").display().to_string());
    }
    Fix {
        root: root.to_path_buf(),
        golden,
        ssn,
        notes,
    }
}

// ------------------------------------------------------------------------------------------
// Invocations.

#[derive(Clone, Debug)]
enum Tok {
    /// `--name value` or `--name`.
    Opt(String, Option<String>),
    /// `--name=value`.
    Eq(String, String),
    Pos(String),
    Raw(String),
}

impl Tok {
    fn name(&self) -> Option<&str> {
        match self {
            Tok::Opt(n, _) | Tok::Eq(n, _) => Some(n),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
struct Mutation {
    what: String,
    /// The flag (or positional) it changed ("threads" also before the command), "" for an added
    /// token.
    target: String,
    /// Names of which the error message should mention one (flag, token or path).
    names: Vec<String>,
    /// The mutation makes the command line invalid: status 0 is a failure.
    must_fail: bool,
    /// A NaN parameter: status 0 is a failure.
    nan: bool,
}

#[derive(Clone, Debug, Default)]
struct Inv {
    index: usize,
    spec: usize,
    /// Arguments before the command (global flags).
    pre: Vec<String>,
    path: Vec<String>,
    toks: Vec<Tok>,
    /// Fixtures copied into the working directory (fixture, name there).
    copies: Vec<(String, String)>,
    /// Outputs that may remain after a failure (requested checkpoints).
    keep: Vec<String>,
    muts: Vec<Mutation>,
    /// A mutation asked for a huge (but maybe valid) workload: a timeout is a note.
    workload: bool,
}

impl Inv {
    fn argv(&self) -> Vec<String> {
        let mut v = self.pre.clone();
        v.extend(self.path.iter().cloned());
        for t in &self.toks {
            match t {
                Tok::Opt(n, val) => {
                    v.push(format!("--{n}"));
                    v.extend(val.iter().cloned());
                }
                Tok::Eq(n, val) => v.push(format!("--{n}={val}")),
                Tok::Pos(s) | Tok::Raw(s) => v.push(s.clone()),
            }
        }
        v
    }
    fn has(&self, name: &str) -> bool {
        self.toks.iter().any(|t| t.name() == Some(name))
    }
    /// Record `m`; a mutation that replaced or removed the flag's value supersedes the earlier
    /// ones of that flag (which then no longer decide what the command must do).
    fn record(&mut self, m: Mutation, replaces: bool) {
        if replaces && !m.target.is_empty() {
            self.muts.retain(|x| x.target != m.target);
        }
        self.muts.push(m);
    }
    /// Remove flag `name` and the mutations that gave it its value.
    fn remove(&mut self, name: &str) {
        self.toks.retain(|t| t.name() != Some(name));
        self.muts.retain(|m| m.target != name);
    }
    fn insert_random(&mut self, rng: &mut Rng, t: Tok) {
        let at = rng.below(self.toks.len() + 1);
        self.toks.insert(at, t);
    }
    /// Give flag `name` the value `v`: in place if present, else inserted at random.
    fn set(&mut self, rng: &mut Rng, name: &str, v: String) {
        if name == "threads" {
            // One place for it: after the command, where this puts it.
            self.pre.clear();
        }
        let eq = if v.starts_with('-') { 2 } else { 1 };
        let tok = if rng.chance(eq, 4) {
            Tok::Eq(name.to_string(), v)
        } else {
            Tok::Opt(name.to_string(), Some(v))
        };
        match self.toks.iter().position(|t| t.name() == Some(name)) {
            Some(i) => self.toks[i] = tok,
            None => self.insert_random(rng, tok),
        }
    }
}

/// The structure of a network: fixed by `--network`.
const STRUCTURAL: &[&str] = &[
    "n",
    "ns",
    "f",
    "c-e",
    "c-i",
    "k-e",
    "k-i",
    "no-autapses",
    "realizations",
    "params",
];
/// Flags set in every base invocation that has them (small sizes, cheap settings).
const SMALL: &[&str] = &[
    "n",
    "t",
    "transient",
    "modes",
    "realizations",
    "chains",
    "max-chains",
    "max-iterations",
    "target",
    "max-realizations",
    "no-cache",
    "no-golden",
    "only",
    "j0s",
    "ns",
];
/// Bool flags never added (minutes of work by design).
const SLOW_BOOLS: &[&str] = &["full"];

/// A valid value of flag `f` for a cheap run; None for a bool flag or when there is none.
fn valid_value(spec: &Spec, f: &Flag, fx: &Fix, rng: &mut Rng, inv: &mut Inv) -> Option<String> {
    let cmd = spec.name();
    let ssn = spec.is_ssn();
    let list = f.kind == Kind::List;
    let v = match f.name.as_str() {
        "n" if cmd == "dmf" => "2000",
        "n" => "200",
        "t" if ssn => "0.05",
        "t" => "5",
        "transient" if ssn => "0.01",
        "transient" => "1",
        "modes" => "256",
        "realizations" | "chains" | "max-chains" | "max-realizations" => "2",
        "max-iterations" => "50",
        "average-iterations" => "4",
        "target" => "0.5",
        "j0s" => "0.5,1.5",
        "ns" => "200",
        "x" => "n=1e3:1e5:3",
        "y" => "j0=0.1:1:3",
        "mu-ext" if list => "0:200:3",
        "mu-ext" | "mu" => "100",
        "r" if list => "1,2",
        "r" => "1",
        "sigma" => "10",
        "seed" => "3",
        "k" => "1",
        "k-e" => "5",
        "k-i" => "1",
        "trace" => "0,1",
        "cv-window" => "2,3",
        "shard" => "0/2",
        "quantity" => "phi_e,w",
        "checkpoint-every" => "1",
        "only" if cmd == "verify" => "balanced-limit",
        "only" if cmd == "reproduce" => "4c",
        "params" if ssn => return Some(rng.pick(&fx.ssn).clone()),
        "params" => return Some(fx.p("params.toml")),
        "network" => return Some(fx.p("net")),
        "init" => return Some(fx.p("state.txt")),
        "against" => return Some(fx.p("check.json")),
        "golden" => return Some(fx.golden.display().to_string()),
        "checkpoint" => {
            inv.keep.push("ck.bin".into());
            "ck.bin"
        }
        "out" if f.value_name.contains("FILE") => "out.csv",
        "out" => "out",
        "cache-dir" => "cache",
        _ => {
            return match &f.kind {
                Kind::Bool | Kind::Path => None,
                Kind::Enum(v) => Some(rng.pick(v).clone()),
                _ if f.default.is_some() => f.default.clone(),
                Kind::Number | Kind::List => Some("1".into()),
                Kind::Text => Some("x".into()),
            };
        }
    };
    Some(v.to_string())
}

fn base(spec: &Spec, fx: &Fix, rng: &mut Rng, inv: &mut Inv) {
    let mut names: Vec<&str> = spec.required.iter().map(String::as_str).collect();
    for s in SMALL {
        if *s == "n" && (!spec.simulates() || spec.has("ns")) {
            continue;
        }
        if spec.has(s) && !names.contains(s) {
            names.push(s);
        }
    }
    let cmd = spec.name();
    if (cmd == "dmf" || cmd == "het-fixed-point") && spec.has("j0") {
        let v = if cmd == "dmf" { "1.5" } else { "1" };
        inv.toks.push(Tok::Opt("j0".into(), Some(v.into())));
    }
    for name in names {
        let Some(f) = spec.flag(name) else { continue };
        if f.kind == Kind::Bool {
            inv.toks.push(Tok::Opt(name.into(), None));
        } else if let Some(v) = valid_value(spec, f, fx, rng, inv) {
            inv.toks.push(Tok::Opt(name.into(), Some(v)));
        }
    }
    for (p, required) in &spec.positionals {
        if !required {
            continue;
        }
        let v = if p.kind == Kind::Path && cmd.ends_with("merge") {
            inv.copies.push(("sweep".into(), "sweep".into()));
            "sweep".to_string()
        } else {
            "x".to_string()
        };
        inv.toks.push(Tok::Pos(v));
    }
    if spec.has("json") {
        inv.toks.push(Tok::Opt("json".into(), None));
    }
}

/// Add a valid optional flag that is not there yet.
fn add_optional(spec: &Spec, fx: &Fix, rng: &mut Rng, inv: &mut Inv) {
    let f = rng.pick(&spec.flags).clone();
    let skip = ["threads", "json"];
    if inv.has(&f.name) || skip.contains(&f.name.as_str()) || SLOW_BOOLS.contains(&f.name.as_str())
    {
        return;
    }
    if inv.has("network") && STRUCTURAL.contains(&f.name.as_str()) {
        return;
    }
    // A value swept over (`--j0s`, `--ns`) cannot be given alone too.
    if spec.has(&format!("{}s", f.name)) {
        return;
    }
    if f.name == "network" {
        for s in STRUCTURAL {
            inv.remove(s);
        }
    }
    if f.kind == Kind::Bool {
        inv.insert_random(rng, Tok::Opt(f.name.clone(), None));
        return;
    }
    let Some(v) = valid_value(spec, &f, fx, rng, inv) else {
        return;
    };
    inv.insert_random(rng, Tok::Opt(f.name.clone(), Some(v)));
    // The in-degrees go together.
    for (a, b) in [("k-e", "k-i"), ("k-i", "k-e")] {
        if f.name == a
            && !inv.has(b)
            && let Some(g) = spec.flag(b)
            && let Some(v) = valid_value(spec, g, fx, rng, inv)
        {
            inv.insert_random(rng, Tok::Opt(b.into(), Some(v)));
        }
    }
}

fn long_digits() -> String {
    "9".repeat(5000)
}

/// Nasty values for a number: mostly parseable extremes (they reach the computation), else
/// text that is no number at all.
fn nasty_number(rng: &mut Rng) -> String {
    let parseable = [
        "0",
        "-0",
        "-1",
        "1",
        "2",
        "3",
        "9",
        "0.5",
        "1e6",
        "1e308",
        "-1e308",
        "1e19",
        "1e-300",
        "-1e-300",
        "5e-324",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "18446744073709551616",
        "4294967297",
        "-4294967297",
        "2147483648",
    ];
    let junk = [
        "",
        "abc",
        "1e",
        "0x10",
        "1,5",
        "\u{ff14}\u{ff12}",
        "\u{3c0}",
        "1\u{66b}5",
        "\u{221e}",
    ];
    match rng.below(20) {
        0..=12 => rng.pick(&parseable).to_string(),
        13..=17 => rng.pick(&junk).to_string(),
        18 => match rng.below(2) {
            0 => long_digits(),
            _ => format!("1{}", "0".repeat(400)),
        },
        _ => "x".repeat(10_000),
    }
}

fn nasty_list(rng: &mut Rng, name: &str) -> String {
    let fixed = [
        "",
        ",",
        "1,,2",
        "1:2:0",
        "1:2:-1",
        "1:2:1e19",
        "1:2:4294967297",
        "1:2:18446744073709551616",
        "nan:1:3",
        "1:inf:3",
        "1:2",
        "1:2:3:4",
        "0/0",
        "1/1",
        "5/2",
        "-1/2",
        "18446744073709551616/1",
        "1e308,1e308",
        "nan,1",
        "-1,-2",
        "n=",
        "=1,2",
        "foo=1,2",
        "n=0:0:1",
        "n=-1:1:3",
        "j0=nan,1",
        "i0=1:2:1e9",
        "4294967297",
        "abc",
        "\u{3c0},\u{221e}",
    ];
    match rng.below(fixed.len() + 2) {
        i if i < fixed.len() => fixed[i].to_string(),
        i if i == fixed.len() => {
            let prefix = if name == "x" || name == "y" { "n=" } else { "" };
            format!("{prefix}{}", vec!["1"; 30_000].join(","))
        }
        _ => nasty_number(rng),
    }
}

/// Nasty text for flag `name`. Not "" for `--only`: it selects everything (minutes of work by
/// design).
fn nasty_text(rng: &mut Rng, name: &str) -> String {
    let fixed = ["zzz-none", "\u{1f600}", "a\nb", "--json", "", " "];
    let n = if name == "only" { 4 } else { fixed.len() };
    match rng.below(n + 1) {
        i if i < n => fixed[i].to_string(),
        _ => "x".repeat(10_000),
    }
}

/// A bad value for path flag (or positional) `name`: the value, fixtures to copy into the
/// working directory, and whether the command must then fail.
fn bad_path(spec: &Spec, name: &str, fx: &Fix, rng: &mut Rng, inv: &mut Inv) -> (String, bool) {
    let missing = || "no/such/file".to_string();
    let copy = |inv: &mut Inv, src: &str, dst: &str| {
        inv.copies.push((src.into(), dst.into()));
        dst.to_string()
    };
    let merge = spec.name().ends_with("merge");
    match name {
        "params" => match rng.below(11) {
            0 => (missing(), true),
            1 => (".".into(), true),
            2 => (fx.p("garbage.bin"), true),
            3 => (fx.p("empty.txt"), false),
            4 => (fx.p("bad.toml"), true),
            5 => (fx.p("wrongtype.toml"), true),
            6 => (fx.p("unknown.toml"), false),
            7 => (fx.p("nan.toml"), false),
            8 => (fx.p("check.json"), true),
            9 => ("/dev/null".into(), false),
            _ if spec.is_ssn() => (fx.p("params.toml"), false),
            _ => (fx.ssn[0].clone(), false),
        },
        "network" => match rng.below(6) {
            0 => (missing(), true),
            1 => (fx.p("garbage.bin"), true),
            2 => (fx.p("emptydir"), true),
            3 => (fx.p("net_bad"), true),
            4 => (fx.p("net_badjson"), true),
            _ => (".".into(), true),
        },
        "init" => match rng.below(6) {
            0 => (missing(), true),
            1 => (".".into(), true),
            2 => (fx.p("garbage.bin"), true),
            3 => (fx.p("empty.txt"), true),
            4 => (fx.p("state_nan.txt"), true),
            _ => (fx.p("state_short.txt"), true),
        },
        "checkpoint" => {
            inv.keep.push("ck.bin".into());
            match rng.below(6) {
                0 => (copy(inv, "garbage.bin", "ck.bin"), true),
                1 => (copy(inv, "ck_other.bin", "ck.bin"), true),
                2 => (copy(inv, "empty.txt", "ck.bin"), true),
                3 => (".".into(), true),
                4 => ("/proc/nope/ck.bin".into(), true),
                _ => {
                    inv.keep.push("sub/dir/ck.bin".into());
                    ("sub/dir/ck.bin".into(), false)
                }
            }
        }
        "against" => match rng.below(8) {
            0 => (missing(), true),
            1 => (".".into(), true),
            2 => (fx.p("garbage.bin"), true),
            3 => (fx.p("empty.txt"), true),
            4 => (fx.p("check_fmt.json"), true),
            5 => (fx.p("check_neg.json"), true),
            6 => (fx.p("check_huge.json"), true),
            _ => (fx.p("check_deep.json"), true),
        },
        "golden" => match rng.below(4) {
            0 => (missing(), true),
            1 => (fx.p("emptydir"), true),
            2 => (fx.p("golden_bad"), true),
            _ => (fx.p("garbage.bin"), true),
        },
        "out"
            if spec
                .flag("out")
                .is_some_and(|f| f.value_name.contains("FILE")) =>
        {
            match rng.below(5) {
                0 => (".".into(), true),
                1 => ("/proc/nope/out.csv".into(), true),
                2 => (copy(inv, "garbage.bin", "out.csv"), false),
                3 => ("sub/dir/out.csv".into(), false),
                _ => (String::new(), true),
            }
        }
        "out" => match rng.below(5) {
            0 => (copy(inv, "garbage.bin", "out"), true),
            1 => ("/proc/nope/out".into(), true),
            2 => ("/dev/null".into(), true),
            3 => (".".into(), false),
            _ => (String::new(), true),
        },
        "cache-dir" => match rng.below(2) {
            0 => (copy(inv, "garbage.bin", "cache"), false),
            _ => ("/proc/nope/cache".into(), false),
        },
        _ if merge => match rng.below(6) {
            0 => (missing(), true),
            1 => (fx.p("emptydir"), true),
            2 => (copy(inv, "sweep_bad", "sweep"), true),
            3 => (copy(inv, "sweep_dup", "sweep"), true),
            4 => (fx.p("garbage.bin"), true),
            _ => (String::new(), true),
        },
        _ => match rng.below(4) {
            0 => (missing(), false),
            1 => (".".into(), false),
            2 => (fx.p("garbage.bin"), false),
            _ => (String::new(), false),
        },
    }
}

/// Does `value` of flag `name` ask for a huge workload (a timeout is then legitimate)?
fn is_workload(spec: &Spec, name: &str, value: &str) -> bool {
    let sized = matches!(
        name,
        "t" | "transient"
            | "modes"
            | "realizations"
            | "max-realizations"
            | "chains"
            | "max-chains"
            | "max-iterations"
            | "average-iterations"
            | "k-e"
            | "k-i"
            | "k"
            | "j0s"
            | "ns"
            | "x"
            | "y"
            | "cv-window"
            | "trace"
            | "max-rate"
    ) || (name == "n" && spec.simulates())
        // Lists of inputs (ssn scan); a single input is no workload.
        || (matches!(name, "mu-ext" | "r") && spec.flag(name).is_some_and(|f| f.kind == Kind::List));
    let fine = matches!(name, "dt" | "sample-dt" | "t-ort" | "checkpoint-every");
    if name == "only" {
        return value.trim().is_empty();
    }
    if sized && value.len() > 1000 {
        return true;
    }
    value
        .split([',', ':', '=', '/'])
        .filter_map(|s| s.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .any(|v| (sized && v.abs() >= 1e3) || (fine && v != 0.0 && v.abs() < 1e-3))
}

fn is_nan(v: &str) -> bool {
    v.trim().parse::<f64>().is_ok_and(f64::is_nan)
}

/// Apply one mutation.
fn mutate(spec: &Spec, fx: &Fix, rng: &mut Rng, inv: &mut Inv) {
    let value_flags: Vec<&Flag> = spec.flags.iter().filter(|f| f.kind != Kind::Bool).collect();
    let path_flags: Vec<&Flag> = value_flags
        .iter()
        .copied()
        .filter(|f| f.kind == Kind::Path)
        .chain(
            spec.positionals
                .iter()
                .map(|(p, _)| p)
                .filter(|p| p.kind == Kind::Path),
        )
        .collect();
    for _ in 0..100 {
        match rng.below(100) {
            // A nasty value.
            0..=54 if !value_flags.is_empty() => {
                let f = *rng.pick(&value_flags);
                let (v, must_fail, nan) = match &f.kind {
                    Kind::Number => {
                        let v = nasty_number(rng);
                        let bad = v.trim().parse::<f64>().is_err();
                        let nan = is_nan(&v);
                        (v, bad, nan)
                    }
                    Kind::List => (nasty_list(rng, &f.name), false, false),
                    Kind::Text => (nasty_text(rng, &f.name), false, false),
                    Kind::Enum(vals) => {
                        let first = &vals[0];
                        let v = match rng.below(4) {
                            0 => "xyz".to_string(),
                            1 => String::new(),
                            2 => first.to_uppercase(),
                            _ => format!("{first} "),
                        };
                        (v, true, false)
                    }
                    Kind::Path => {
                        let (v, bad) = bad_path(spec, &f.name, fx, rng, inv);
                        (v, bad, false)
                    }
                    Kind::Bool => unreachable!(),
                };
                inv.workload |= is_workload(spec, &f.name, &v);
                let mut names = if f.kind != Kind::Path || v.contains("no/such") || v.is_empty() {
                    vec![f.name.clone(), v.clone()]
                } else {
                    Vec::new()
                };
                if f.kind == Kind::List {
                    // A list may be judged element by element: `--ns` as n, `--y j0=..` as j0.
                    names.extend(f.name.strip_suffix('s').map(str::to_string));
                    names.extend(v.split_once('=').map(|(axis, _)| axis.to_string()));
                }
                inv.record(
                    Mutation {
                        what: format!("--{} <- {}", f.name, abbrev(&v)),
                        target: f.name.clone(),
                        names,
                        must_fail,
                        nan,
                    },
                    true,
                );
                inv.set(rng, &f.name, v);
            }
            // A flag without its value (at the end, so it cannot take the next token).
            55..=59 if !value_flags.is_empty() => {
                let f = *rng.pick(&value_flags);
                inv.remove(&f.name);
                inv.toks.push(Tok::Opt(f.name.clone(), None));
                inv.record(
                    Mutation {
                        what: format!("--{} without value", f.name),
                        target: f.name.clone(),
                        names: vec![f.name.clone()],
                        must_fail: true,
                        nan: false,
                    },
                    true,
                );
            }
            // A required flag or positional dropped.
            60..=63 => {
                let mut cands: Vec<(usize, String)> = inv
                    .toks
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| match t {
                        Tok::Opt(n, _) | Tok::Eq(n, _) if spec.required.contains(n) => {
                            Some((i, n.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                let positional = spec.positionals.iter().find(|(_, req)| *req);
                if let Some((p, _)) = positional
                    && let Some(i) = inv.toks.iter().position(|t| matches!(t, Tok::Pos(_)))
                {
                    cands.push((i, p.name.clone()));
                }
                if cands.is_empty() {
                    continue;
                }
                let (i, name) = rng.pick(&cands).clone();
                if matches!(inv.toks[i], Tok::Pos(_)) {
                    inv.toks.remove(i);
                } else {
                    // Every occurrence (a duplicate may be there).
                    inv.remove(&name);
                }
                inv.record(
                    Mutation {
                        what: format!("required {name} dropped"),
                        target: name.clone(),
                        names: vec![name],
                        must_fail: true,
                        nan: false,
                    },
                    true,
                );
            }
            // An unknown flag or stray argument.
            64..=69 => {
                let toks = [
                    "--bogus",
                    "--bogus=1",
                    "-z",
                    "--N",
                    "---json",
                    "--json=1",
                    "--nn",
                    "extra",
                    "--\u{e9}t\u{e9}",
                ];
                let t = *rng.pick(&toks);
                let core = t.trim_start_matches('-').split('=').next().unwrap_or(t);
                // A stray word may be taken for the positional and the real one reported.
                let names = if core == t && !spec.positionals.is_empty() {
                    Vec::new()
                } else {
                    vec![core.to_string()]
                };
                inv.insert_random(rng, Tok::Raw(t.to_string()));
                inv.record(
                    Mutation {
                        what: format!("unknown {t}"),
                        target: String::new(),
                        names,
                        must_fail: true,
                        nan: false,
                    },
                    false,
                );
            }
            // A flag given twice.
            70..=74 => {
                let present: Vec<Tok> = inv
                    .toks
                    .iter()
                    .filter(|t| t.name().is_some_and(|n| n != "json"))
                    .cloned()
                    .collect();
                if present.is_empty() {
                    continue;
                }
                let mut t = rng.pick(&present).clone();
                let name = t.name().unwrap_or("").to_string();
                if rng.chance(1, 2)
                    && let Tok::Opt(_, Some(v)) | Tok::Eq(_, v) = &mut t
                    && spec.flag(&name).is_some_and(|f| f.kind == Kind::Number)
                {
                    *v = nasty_number(rng);
                    inv.workload |= is_workload(spec, &name, v);
                }
                inv.record(
                    Mutation {
                        what: format!("--{name} twice"),
                        target: name.clone(),
                        names: vec![name],
                        must_fail: false,
                        nan: false,
                    },
                    false,
                );
                inv.insert_random(rng, t);
            }
            // A missing file, a directory, garbage, ... for a path.
            75..=94 if !path_flags.is_empty() => {
                let f = *rng.pick(&path_flags);
                let positional = spec.positionals.iter().any(|(p, _)| p.name == f.name);
                let (v, must_fail) = bad_path(spec, &f.name, fx, rng, inv);
                // A missing path should be named; a file's content may be judged field by field.
                let names = if v.contains("no/such") || v.is_empty() {
                    vec![f.name.clone(), v.clone()]
                } else {
                    Vec::new()
                };
                if f.name == "network" {
                    for s in STRUCTURAL {
                        inv.remove(s);
                    }
                }
                inv.record(
                    Mutation {
                        what: format!(
                            "{}{} <- {}",
                            if positional { "" } else { "--" },
                            f.name,
                            abbrev(&v)
                        ),
                        target: f.name.clone(),
                        names,
                        must_fail,
                        nan: false,
                    },
                    true,
                );
                if positional {
                    match inv.toks.iter().position(|t| matches!(t, Tok::Pos(_))) {
                        Some(i) => inv.toks[i] = Tok::Pos(v),
                        None => inv.toks.push(Tok::Pos(v)),
                    }
                } else {
                    inv.set(rng, &f.name, v);
                }
            }
            // --threads.
            95..=99 => {
                let vals = ["0", "100000", "-1", "1e3", "18446744073709551616", "", "3"];
                let v = rng.pick(&vals).to_string();
                let must_fail = !matches!(v.as_str(), "100000" | "3");
                let pre = rng.chance(1, 2);
                if pre {
                    inv.remove("threads");
                }
                inv.record(
                    Mutation {
                        what: format!("--threads <- {v}"),
                        target: "threads".into(),
                        names: vec!["threads".into()],
                        must_fail,
                        nan: false,
                    },
                    true,
                );
                if pre {
                    inv.pre = vec!["--threads".into(), v];
                } else {
                    inv.set(rng, "threads", v);
                }
            }
            _ => continue,
        }
        return;
    }
}

fn generate(specs: &[Spec], fx: &Fix, seed: u64, index: usize) -> Inv {
    let mut rng = Rng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ index as u64);
    rng.next_u64();
    let spec_index = rng.below(specs.len());
    let spec = &specs[spec_index];
    let mut inv = Inv {
        index,
        spec: spec_index,
        path: spec.path.clone(),
        ..Inv::default()
    };
    base(spec, fx, &mut rng, &mut inv);
    if rng.chance(1, 2) {
        for _ in 0..1 + rng.below(2) {
            add_optional(spec, fx, &mut rng, &mut inv);
        }
    }
    let n = match rng.below(10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    for _ in 0..n {
        mutate(spec, fx, &mut rng, &mut inv);
    }
    inv
}

// ------------------------------------------------------------------------------------------
// Running and judging.

struct Outcome {
    code: Option<i32>,
    timed_out: bool,
    secs: f64,
    /// CPU seconds when it was killed.
    cpu: f64,
    /// Killed at 3 x the timeout with less than the timeout of CPU: starved by a hog beside it.
    starved: bool,
    stdout: String,
    /// stdout was longer than what was read.
    stdout_cut: bool,
    stderr: String,
    new_files: Vec<String>,
    tmp_files: Vec<String>,
}

/// Relative paths of everything under `dir` (directories end in '/').
fn walk(dir: &Path) -> BTreeSet<String> {
    fn go(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap_or(&p).display().to_string();
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                out.insert(format!("{rel}/"));
                go(base, &p, out);
            } else {
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    go(dir, dir, &mut out);
    out
}

/// The first 64 MB of a file, and whether there was more.
fn read_capped(path: &Path) -> (String, bool) {
    const CAP: u64 = 64 << 20;
    let mut buf = Vec::new();
    if let Ok(f) = fs::File::open(path) {
        let _ = f.take(CAP + 1).read_to_end(&mut buf);
    }
    let more = buf.len() as u64 > CAP;
    buf.truncate(CAP as usize);
    (String::from_utf8_lossy(&buf).into_owned(), more)
}

/// CPU time (user + system, all threads) of process `pid` so far, from /proc (Linux).
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name "(...)": state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks / 100.0)
}

fn run(inv: &Inv, fx: &Fix, root: &Path, timeout: Duration) -> Outcome {
    let wd = root.join(format!("w{}", inv.index));
    let cache = root.join(format!("c{}", inv.index));
    let _ = fs::remove_dir_all(&wd);
    fs::create_dir_all(&wd).unwrap();
    for (src, dst) in &inv.copies {
        let dst = wd.join(dst);
        let _ = fs::remove_dir_all(&dst);
        copy_rec(&fx.root.join(src), &dst);
    }
    let before = walk(&wd);
    let out_path = root.join(format!("o{}", inv.index));
    let err_path = root.join(format!("e{}", inv.index));
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .args(inv.argv())
        .current_dir(&wd)
        .env("RUST_BACKTRACE", "1")
        .env("BALNET_MEMORY_LIMIT", "4e9")
        .env("BALNET_CACHE", &cache)
        .env("XDG_CACHE_HOME", &cache)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("cannot start balnet");
    let mut timed_out = false;
    let mut cpu = 0.0;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) => {
                let wall = start.elapsed();
                if wall > timeout {
                    // Killed once it has had the CPU for `timeout` too: a run starved by a hog
                    // beside it (`--threads 100000`) gets its share (up to 3 x timeout). A huge
                    // workload asked for is stopped at once.
                    cpu = cpu_secs(child.id()).unwrap_or(wall.as_secs_f64());
                    if inv.workload || cpu > timeout.as_secs_f64() || wall > 3 * timeout {
                        timed_out = true;
                        let _ = child.kill();
                        let _ = child.wait();
                        break None;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                } else {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            Err(_) => break None,
        }
    };
    let secs = start.elapsed().as_secs_f64();
    let after = walk(&wd);
    let tmp_files = after
        .iter()
        .filter(|p| p.trim_end_matches('/').ends_with(".tmp"))
        .cloned()
        .collect();
    let new_files = after
        .difference(&before)
        .filter(|p| !p.ends_with('/'))
        .cloned()
        .collect();
    let (stdout, stdout_cut) = read_capped(&out_path);
    let o = Outcome {
        code: status.and_then(|s| s.code()),
        timed_out,
        secs,
        cpu,
        starved: timed_out && !inv.workload && cpu <= timeout.as_secs_f64(),
        stdout,
        stdout_cut,
        stderr: read_capped(&err_path).0,
        new_files,
        tmp_files,
    };
    let _ = fs::remove_dir_all(&wd);
    let _ = fs::remove_dir_all(&cache);
    let _ = fs::remove_file(&out_path);
    let _ = fs::remove_file(&err_path);
    o
}

/// Keys whose value is text or absent by design (`"error": null`): their nulls are expected.
const TEXT_KEYS: &[&str] = &[
    "error",
    "known_failure",
    "reason",
    "note",
    "expected",
    "lower",
    "upper",
];

/// Paths of the `null`s in a JSON value (except under [`TEXT_KEYS`]).
fn nulls(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Null => {
            let key = at.rsplit('.').next().unwrap_or("");
            if !TEXT_KEYS.contains(&key) {
                out.push(if at.is_empty() { ".".into() } else { at });
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                nulls(x, format!("{at}[{i}]"), out);
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                nulls(x, format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// "file.rs:12:5" from a panic message, if any.
fn panic_location(stderr: &str) -> Option<String> {
    let line = stderr.lines().find(|l| l.contains("panicked at "))?;
    let rest = &line[line.find("panicked at ")? + "panicked at ".len()..];
    Some(
        rest.trim_end_matches(':')
            .split(": ")
            .next()?
            .trim_end_matches(':')
            .to_string(),
    )
}

struct Finding {
    kind: &'static str,
    detail: String,
}

/// The failures and the notes of one run.
fn judge(spec: &Spec, inv: &Inv, o: &Outcome) -> (Vec<Finding>, Vec<Finding>) {
    let mut fail = Vec::new();
    let mut note = Vec::new();
    let mut f = |kind: &'static str, detail: String| fail.push(Finding { kind, detail });
    let check = spec.name() == "check";
    let err = o.stderr.as_str();
    if o.timed_out {
        if inv.workload {
            note.push(Finding {
                kind: "timeout-workload",
                detail: format!(
                    "killed after {:.0} s, {:.0} s of CPU (huge workload asked)",
                    o.secs, o.cpu
                ),
            });
        } else {
            f(
                "timeout",
                format!("killed after {:.0} s, {:.0} s of CPU", o.secs, o.cpu),
            );
        }
    }
    for bad in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
        if err.contains(bad) {
            let at = panic_location(err).unwrap_or_default();
            f("panic", format!("stderr contains {bad:?} {at}"));
            break;
        }
    }
    let code = o.code;
    match code {
        None if !o.timed_out => f("signal", "killed by a signal".into()),
        Some(c) if !(matches!(c, 0..=2) || (check && c == 3)) => {
            f("status", format!("exit status {c}"))
        }
        _ => {}
    }
    let verdict = check && matches!(code, Some(1 | 3));
    if matches!(code, Some(1 | 2)) && !verdict {
        let lines = err.lines().count();
        if err.trim().is_empty() {
            f("stderr-empty", "failed without a message".into());
        } else if lines > 2 {
            f("stderr-lines", format!("{lines} lines on stderr"));
        }
    }
    if code == Some(2)
        && inv.muts.len() == 1
        && !inv.muts[0].names.is_empty()
        && !err.trim().is_empty()
    {
        let m = &inv.muts[0];
        let low = err.to_lowercase();
        let named = m.names.iter().filter(|n| !n.is_empty()).any(|n| {
            let n = n.to_lowercase();
            low.contains(&n) || low.contains(&n.replace('-', "_"))
        });
        // Or it names a flag that is missing (`--k-e` given: "--k-i ... not provided").
        let companion = spec
            .flags
            .iter()
            .any(|f| !inv.has(&f.name) && low.contains(&format!("--{} ", f.name)));
        let named = named || companion;
        if !named {
            f(
                "unnamed",
                format!("the message does not name {:?}", m.names[0]),
            );
        }
    }
    if code == Some(1) && inv.muts.len() == 1 && inv.muts[0].must_fail {
        f(
            "status-1",
            format!("bad input ({}) reported as status 1", inv.muts[0].what),
        );
    }
    if code == Some(0) {
        if let Some(m) = inv.muts.iter().find(|m| m.must_fail) {
            f("accepted-invalid", format!("status 0 despite {}", m.what));
        } else if let Some(m) = inv.muts.iter().find(|m| m.nan) {
            f("nan-accepted", format!("status 0 with {}", m.what));
        }
        if inv.has("json") && !o.stdout_cut {
            match serde_json::from_str::<serde_json::Value>(&o.stdout) {
                Ok(v) if v.is_object() => {
                    let mut n = Vec::new();
                    nulls(&v, String::new(), &mut n);
                    if !n.is_empty() {
                        note.push(Finding {
                            kind: "null-in-json",
                            detail: format!("null at {}", n.join(" ")),
                        });
                    }
                }
                Ok(_) => f("json", "stdout is JSON but not an object".into()),
                Err(e) => f("json", format!("stdout is not one JSON object: {e}")),
            }
        }
    }
    if !o.tmp_files.is_empty() {
        f("tmp-left", format!("left {}", o.tmp_files.join(" ")));
    }
    if code.is_some_and(|c| c != 0) && !verdict {
        let left: Vec<&String> = o
            .new_files
            .iter()
            .filter(|p| !inv.keep.iter().any(|k| p == &k))
            .collect();
        if !left.is_empty() {
            let shown: Vec<&str> = left.iter().take(4).map(|s| s.as_str()).collect();
            f("files-left", format!("failed but left {}", shown.join(" ")));
        }
    }
    (fail, note)
}

/// A long argument shortened for reading.
fn abbrev(s: &str) -> String {
    let n = s.chars().count();
    if n <= 48 {
        return s.to_string();
    }
    let first = s.chars().next().unwrap_or(' ');
    if s.chars().all(|c| c == first) {
        return format!("<{n} x '{first}'>");
    }
    let head: String = s.chars().take(24).collect();
    format!("{head}...<{n} chars>")
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+$".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn command_line(inv: &Inv, fx: &Fix) -> String {
    let root = fx.root.display().to_string();
    let golden = fx.golden.display().to_string();
    let mut s = String::from("balnet");
    for a in inv.argv() {
        s.push(' ');
        let a = a.replace(&root, "$FIX").replace(&golden, "$GOLDEN");
        s.push_str(&quote(&abbrev(&a)));
    }
    for (src, dst) in &inv.copies {
        let _ = write!(s, "   [cp -r $FIX/{src} ./{dst}]");
    }
    s
}

fn first_lines(s: &str, n: usize) -> String {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .map(abbrev_line)
        .collect::<Vec<_>>()
        .join(" | ")
}

fn abbrev_line(l: &str) -> String {
    if l.chars().count() > 200 {
        let head: String = l.chars().take(200).collect();
        format!("{head}...")
    } else {
        l.to_string()
    }
}

/// Digits and quoted values folded, so messages differing only in values group together.
fn signature(s: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push('\'');
            }
            _ if quoted => {}
            '0'..='9' => {
                if !out.ends_with('#') {
                    out.push('#');
                }
            }
            _ => out.push(c),
        }
    }
    out.chars().take(140).collect()
}

struct Record {
    index: usize,
    cmd: String,
    line: String,
    argv: Vec<String>,
    code: Option<i32>,
    stderr: String,
    muts: Vec<String>,
    kind: &'static str,
    detail: String,
}

fn fuzz(name: &str, seed: u64, count: usize, timeout: Duration) {
    let t0 = Instant::now();
    let specs = discover();
    let root = std::env::temp_dir().join(format!("balnet-fuzz-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).unwrap();
    let fx = fixtures(&root.join("fix"));
    let invs: Vec<Inv> = (0..count).map(|i| generate(&specs, &fx, seed, i)).collect();
    if std::env::var_os("BALNET_FUZZ_DRY").is_some() {
        for inv in &invs {
            println!("#{} {}", inv.index, command_line(inv, &fx));
        }
        let _ = fs::remove_dir_all(&root);
        return;
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    let jobs = std::env::var("BALNET_FUZZ_JOBS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(JOBS)
        .max(1);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= invs.len() {
                        break;
                    }
                    let o = run(&invs[i], &fx, &root, timeout);
                    results.lock().unwrap().push((i, o));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    // A run starved by a hog beside it is run again alone, and that run is judged.
    let mut starved = Vec::new();
    for (i, o) in results.iter_mut() {
        if o.starved {
            starved.push(*i);
            *o = run(&invs[*i], &fx, &root, timeout);
        }
    }
    let mut fails: Vec<Record> = Vec::new();
    let mut notes: Vec<Record> = Vec::new();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut slowest = (0.0f64, 0usize);
    for (i, o) in &results {
        let inv = &invs[*i];
        let spec = &specs[inv.spec];
        let key = match (o.timed_out, o.code) {
            (true, _) => "timeout".to_string(),
            (_, Some(c)) => c.to_string(),
            (_, None) => "signal".to_string(),
        };
        *statuses.entry(key).or_default() += 1;
        if !o.timed_out && o.secs > slowest.0 {
            slowest = (o.secs, *i);
        }
        let (f, n) = judge(spec, inv, o);
        let record = |x: Finding| Record {
            index: *i,
            cmd: spec.name(),
            line: command_line(inv, &fx),
            argv: inv.argv(),
            code: o.code,
            stderr: first_lines(&o.stderr, 3),
            muts: inv.muts.iter().map(|m| m.what.clone()).collect(),
            kind: x.kind,
            detail: x.detail,
        };
        fails.extend(f.into_iter().map(record));
        notes.extend(n.into_iter().map(record));
    }
    let wall = t0.elapsed().as_secs_f64();
    if let Ok(path) = std::env::var("BALNET_FUZZ_LOG") {
        let mut log = String::new();
        for (tag, list) in [("failure", &fails), ("note", &notes)] {
            for r in list.iter() {
                let v = serde_json::json!({
                    "tag": tag, "index": r.index, "cmd": r.cmd, "kind": r.kind,
                    "detail": r.detail, "status": r.code, "stderr": r.stderr,
                    "line": r.line, "argv": r.argv, "mutations": r.muts,
                });
                log.push_str(&v.to_string());
                log.push('\n');
            }
        }
        let _ = fs::write(&path, log);
    }
    let show = |r: &Record| {
        format!(
            "#{} [{}] {}\n    {}\n    status {:?}; mutations: {}\n    stderr: {}\n",
            r.index,
            r.kind,
            r.detail,
            r.line,
            r.code,
            r.muts.join("; "),
            r.stderr
        )
    };
    println!(
        "{name}: seed {seed}, {count} invocations of {} commands in {wall:.1} s ({jobs} at a time); statuses {statuses:?}; slowest completed run {:.1} s (#{})",
        specs.len(),
        slowest.0,
        slowest.1
    );
    for n in &fx.notes {
        println!("note: {n}");
    }
    if !starved.is_empty() {
        println!("starved beside a hog, run again alone: {starved:?}");
    }
    if !notes.is_empty() {
        println!("{} notes (not failures):", notes.len());
        for r in &notes {
            print!("{}", show(r));
        }
    }
    if !fails.is_empty() {
        println!("{} failures:", fails.len());
        for r in &fails {
            print!("{}", show(r));
        }
    }
    let _ = fs::remove_dir_all(&root);
    if fails.is_empty() {
        return;
    }
    // Grouped: kind, command and the message (or panic location) with digits and values folded.
    let mut groups: BTreeMap<(String, String, String), Vec<&Record>> = BTreeMap::new();
    for r in &fails {
        let sig = match r.stderr.find("panicked at ") {
            Some(_) => panic_location(&r.stderr.replace(" | ", "\n")).unwrap_or_default(),
            None => signature(r.stderr.split(" | ").next().unwrap_or("")),
        };
        groups
            .entry((r.kind.to_string(), r.cmd.clone(), sig))
            .or_default()
            .push(r);
    }
    let mut msg = format!(
        "{name}: {} failures in {} groups ({count} invocations, seed {seed}; the full list is printed above)\n",
        fails.len(),
        groups.len()
    );
    for ((kind, cmd, sig), rs) in &groups {
        let ex = rs.iter().min_by_key(|r| r.line.len()).unwrap();
        let _ = writeln!(
            msg,
            "- [{kind}] {cmd} x{}: {}\n    {}\n    status {:?}; stderr: {}",
            rs.len(),
            if sig.is_empty() { &ex.detail } else { sig },
            ex.line,
            ex.code,
            ex.stderr
        );
    }
    panic!("{msg}");
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

/// The default suite's share: a fixed seed, 300 invocations, a 10 s timeout. Measured on 2
/// cores (release): 4 s when no run hangs (each run takes ~10 ms, at most ~1 s); 55 s with the
/// committed code of 2026-12-07, whose 5 hangs cost the timeout each (2 at a time).
#[test]
fn fuzz_default() {
    fuzz("default", 20_260_107, 300, Duration::from_secs(10));
}

/// The long run: `BALNET_FUZZ_SEED` (default 1), `BALNET_FUZZ_N` invocations (default 3000),
/// a 20 s timeout. Measured on 2 cores (release), 3000 invocations: 44 s when (almost) no run
/// hangs; LONGTIME with the committed code of 2026-12-07 (~30 hangs of 20 s).
#[test]
#[ignore = "long: BALNET_FUZZ_N=3000 cargo test --release -p balnet --test fuzz -- --ignored"]
fn fuzz_long() {
    let seed = env_u64("BALNET_FUZZ_SEED", 1);
    let n = env_u64("BALNET_FUZZ_N", 3000) as usize;
    fuzz("long", seed, n, Duration::from_secs(20));
}
