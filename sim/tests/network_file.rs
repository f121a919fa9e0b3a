//! Matrix Market export and read-back (sim::network_file).

use std::path::PathBuf;

use sim::Params;
use sim::connectivity::{Autapses, Block, Connectivity, Sizes};
use sim::network::RateNetwork;
use sim::network_file::{read_network, write_network};

/// A fresh directory under the system temp dir, unique per test and process.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("balnet-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn network(n: f64, sparse: Option<(usize, usize)>, aut: Autapses) -> RateNetwork {
    let p = Params {
        n,
        j0: 0.7,
        i0: 0.3,
        ..Params::default()
    };
    let sizes = match sparse {
        Some((ke, ki)) => Sizes::sparse(&p, ke, ki).unwrap(),
        None => Sizes::massive(&p).unwrap(),
    };
    RateNetwork::new(Connectivity::generate(sizes, 42, aut).unwrap(), p)
}

#[test]
fn round_trip_is_exact() {
    for (case, net) in [
        ("massive", network(1000.0, None, Autapses::Allowed)),
        ("sparse", network(700.0, Some((20, 5)), Autapses::Excluded)),
    ] {
        let dir = scratch(case);
        write_network(&dir, &net).unwrap();
        let back = read_network(&dir).unwrap();
        assert_eq!(back.conn, net.conn, "{case}: connectivity");
        let rn = back.rate_network().unwrap();
        // Weights survive the JSON round trip bit for bit (serde_json prints shortest
        // round-trip decimals).
        assert_eq!(
            (rn.j_ee, rn.j_ei, rn.j_ie, rn.j_ii),
            (net.j_ee, net.j_ei, net.j_ie, net.j_ii),
            "{case}: weights"
        );
        assert_eq!(rn.params, net.params);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn files_parse_with_an_independent_reader() {
    // nalgebra-sparse's Matrix Market parser (a separate implementation of the format) must
    // see exactly our index lists, 1-based, one row per postsynaptic neuron.
    let net = network(500.0, None, Autapses::Allowed);
    let dir = scratch("independent");
    write_network(&dir, &net).unwrap();
    let s = net.conn.sizes;
    for (b, file) in [
        (Block::EE, "ee.mtx"),
        (Block::EI, "ei.mtx"),
        (Block::IE, "ie.mtx"),
        (Block::II, "ii.mtx"),
    ] {
        let coo =
            nalgebra_sparse::io::load_coo_from_matrix_market_file::<(), _>(dir.join(file)).unwrap();
        let (rows, cols, k) = b.shape(&s);
        assert_eq!(
            (coo.nrows(), coo.ncols(), coo.nnz()),
            (rows, cols, rows * k)
        );
        let mut got: Vec<(usize, usize)> = coo.triplet_iter().map(|(i, j, _)| (i, j)).collect();
        got.sort_unstable();
        let ix = net.conn.block(b);
        let want: Vec<(usize, usize)> = (0..rows * k).map(|e| (e / k, ix.get(e))).collect();
        assert_eq!(got, want, "{file}");
    }
    // The JSON names the signed block weights of Eq. 3.
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("network.json")).unwrap()).unwrap();
    assert_eq!(meta["ei"]["weight"].as_f64().unwrap(), -net.j_ei);
    assert_eq!(meta["ie"]["weight"].as_f64().unwrap(), net.j_ie);
    assert_eq!(meta["sizes"]["k_e"].as_u64().unwrap() as usize, s.k_e);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reader_accepts_any_entry_order_and_rejects_bad_files() {
    let net = network(300.0, None, Autapses::Allowed);
    let dir = scratch("order");
    write_network(&dir, &net).unwrap();
    // Another tool may write column-major: reverse the entry lines of ee.mtx.
    let path = dir.join("ee.mtx");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let body = lines.split_off(3);
    let mut shuffled = lines.join("\n");
    for l in body.iter().rev() {
        shuffled.push('\n');
        shuffled.push_str(l);
    }
    std::fs::write(&path, &shuffled).unwrap();
    assert_eq!(read_network(&dir).unwrap().conn, net.conn);

    // A duplicated entry replacing another: same count, but row 1 has a repeated index.
    let mut dup = lines.join("\n");
    let mut body2: Vec<String> = body.iter().map(|s| s.to_string()).collect();
    body2[1] = body2[0].clone();
    for l in &body2 {
        dup.push('\n');
        dup.push_str(l);
    }
    std::fs::write(&path, &dup).unwrap();
    let e = read_network(&dir).unwrap_err().to_string();
    assert!(e.contains("sorted, distinct"), "{e}");

    // A missing entry.
    std::fs::write(&path, shuffled.rsplit_once('\n').unwrap().0).unwrap();
    let e = read_network(&dir).unwrap_err().to_string();
    assert!(e.contains("entries, expected"), "{e}");

    // A real-valued matrix is not a pattern.
    std::fs::write(
        &path,
        shuffled.replacen("coordinate pattern general", "coordinate real general", 1),
    )
    .unwrap();
    let e = read_network(&dir).unwrap_err().to_string();
    assert!(e.contains("pattern general"), "{e}");

    // Inconsistent weights in network.json are caught.
    std::fs::write(&path, &shuffled).unwrap();
    let jpath = dir.join("network.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&jpath).unwrap()).unwrap();
    meta["ii"]["weight"] = serde_json::json!(-1.0);
    std::fs::write(&jpath, meta.to_string()).unwrap();
    let e = read_network(&dir)
        .unwrap()
        .rate_network()
        .unwrap_err()
        .to_string();
    assert!(e.contains("weight of block ii"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
