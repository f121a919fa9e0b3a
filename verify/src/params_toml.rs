//! Reading [`Params`] from TOML (`--params FILE.toml`, golden cases): keys are the field names
//! of `Params` (the paper's symbols: `n`, `j0`, `i0`, `g_e`, `tau_d`, ...), missing keys keep
//! their current value, unknown keys are an error.

use theory::Params;

use crate::Error;

/// Overlay the keys of `table` on `base`. `transfer = "lif"` is short for the LIF transfer with
/// tau_m = 1 (`transfer = { lif = { tau_m = 1.0 } }`), as `--transfer lif` on the command line
/// and `"transfer": "lif"` in a check file.
pub fn apply_overrides(base: Params, table: &toml::Table) -> Result<Params, Error> {
    let mut merged = toml::Table::try_from(base).map_err(|e| Error::Input(e.to_string()))?;
    for (k, v) in table {
        // Integers are accepted where floats are meant (n = 5000).
        let v = match v {
            toml::Value::Integer(i) => toml::Value::Float(*i as f64),
            toml::Value::String(t) if k == "transfer" => match t.as_str() {
                "erf" => v.clone(),
                "lif" => {
                    let mut lif = toml::Table::new();
                    lif.insert("tau_m".into(), toml::Value::Float(1.0));
                    let mut t = toml::Table::new();
                    t.insert("lif".into(), toml::Value::Table(lif));
                    toml::Value::Table(t)
                }
                other => {
                    return Err(Error::Input(format!(
                        "transfer = '{other}': valid values are \"erf\", \"lif\" or {{ lif = {{ tau_m = T }} }}"
                    )));
                }
            },
            other => other.clone(),
        };
        merged.insert(k.clone(), v);
    }
    Params::deserialize_table(merged)
}

/// A TOML error as one line: "line L, column C: what" (toml's own rendering quotes the
/// source over several lines, and a long line in full).
pub fn toml_error(e: &toml::de::Error, text: &str) -> String {
    let what = e.message().lines().next().unwrap_or("invalid TOML").trim();
    let what: String = if what.chars().count() > 120 {
        what.chars().take(120).chain("...".chars()).collect()
    } else {
        what.to_string()
    };
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {what}")
        }
        None => what,
    }
}

/// Parse TOML `text` into `T`, errors as one line naming `name` (a file or a table).
pub fn parse<T: serde::de::DeserializeOwned>(text: &str, name: &str) -> Result<T, Error> {
    toml::from_str(text).map_err(|e| Error::Input(format!("{name}: {}", toml_error(&e, text))))
}

trait FromTable {
    fn deserialize_table(t: toml::Table) -> Result<Params, Error>;
}

impl FromTable for Params {
    fn deserialize_table(t: toml::Table) -> Result<Params, Error> {
        toml::Value::Table(t)
            .try_into::<Params>()
            .map_err(|e| Error::Input(e.to_string().lines().next().unwrap_or("").to_string()))
    }
}

/// Read a parameter file.
pub fn read_params(path: &std::path::Path) -> Result<Params, Error> {
    read_params_over(path, Params::default())
}

/// As [`read_params`], with the fields the file does not set taken from `base`.
pub fn read_params_over(path: &std::path::Path, base: Params) -> Result<Params, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Input(format!("cannot read --params {}: {e}", path.display())))?;
    let table: toml::Table = parse(&text, &format!("--params {}", path.display()))?;
    apply_overrides(base, &table)
        .map_err(|e| Error::Input(format!("--params {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use theory::Transfer;

    #[test]
    fn overrides_use_symbol_names() {
        let t: toml::Table =
            toml::from_str("n = 5000\nj0 = 1.5\ntransfer = { lif = { tau_m = 2.0 } }").unwrap();
        let p = apply_overrides(Params::default(), &t).unwrap();
        assert_eq!((p.n, p.j0, p.g_i), (5000.0, 1.5, 2.0));
        assert_eq!(p.transfer, Transfer::Lif { tau_m: 2.0 });
        let bad: toml::Table = toml::from_str("j00 = 1.5").unwrap();
        assert!(
            apply_overrides(Params::default(), &bad)
                .unwrap_err()
                .to_string()
                .contains("j00")
        );
    }
}
