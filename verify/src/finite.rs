//! Every number balnet prints is finite: [`ensure_finite`] walks a result's serde
//! serialisation and names the first NaN or infinity, before JSON would print it as `null` and
//! the command exit 0 with a silent wrong answer (issue 20). Fields that may legitimately have
//! no value are `Option`s (printed `null` when `None`) and are not affected.

use serde::ser::{self, Serialize};

use crate::{Error, Result};

/// `Err(Error::Compute)` naming the field path (e.g. `statistics[3].expected`) of the first
/// non-finite number in `value`'s serialisation.
pub fn ensure_finite<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut w = Walker { path: Vec::new() };
    match value.serialize(&mut w) {
        Ok(()) => Ok(()),
        Err(Found(msg)) => Err(Error::Compute(msg)),
    }
}

/// `#[serde(serialize_with = "crate::finite::or_null")]` on a number that is undefined in
/// some results (e.g. a statistic balnet could not predict): `null` when not finite, so that
/// [`ensure_finite`] accepts it. Use it only where the schema documents the `null`.
pub fn or_null<S: ser::Serializer>(v: &f64, s: S) -> std::result::Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_some(v)
    } else {
        s.serialize_none()
    }
}

/// The first non-finite number, as a message.
#[derive(Debug)]
struct Found(String);

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Found {}

impl ser::Error for Found {
    fn custom<M: std::fmt::Display>(msg: M) -> Self {
        Found(msg.to_string())
    }
}

/// A serializer that only looks at numbers, keeping the path to them.
struct Walker {
    path: Vec<String>,
}

impl Walker {
    fn number(&self, v: f64) -> Result<(), Found> {
        if v.is_finite() {
            return Ok(());
        }
        let path = self.path.concat();
        let path = path.trim_start_matches('.');
        Err(Found(format!(
            "the result has a non-finite value ({v}) at `{}`: the computation broke down (check \
             the parameters, or shorten dt)",
            if path.is_empty() { "the top" } else { path }
        )))
    }
    fn inside<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), Found> {
        self.path.push(key);
        let r = value.serialize(&mut *self);
        self.path.pop();
        r
    }
}

/// One implementation for every compound (sequences, tuples, maps, structs and variants):
/// elements are walked with their index or field name on the path.
struct Compound<'a> {
    w: &'a mut Walker,
    index: usize,
    /// A map's key, for the path of its value.
    key: Option<String>,
}

impl<'a> Compound<'a> {
    fn new(w: &'a mut Walker) -> Self {
        Compound {
            w,
            index: 0,
            key: None,
        }
    }
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        let key = format!("[{}]", self.index);
        self.index += 1;
        self.w.inside(key, value)
    }
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Found> {
        self.w.inside(format!(".{key}"), value)
    }
}

macro_rules! ok_scalars {
    ($($f:ident: $t:ty),*) => {
        $(fn $f(self, _v: $t) -> Result<(), Found> { Ok(()) })*
    };
}

impl<'a> ser::Serializer for &'a mut Walker {
    type Ok = ();
    type Error = Found;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    ok_scalars!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_char: char, serialize_str: &str, serialize_bytes: &[u8],
        serialize_unit_struct: &'static str);

    fn serialize_f32(self, v: f32) -> Result<(), Found> {
        self.number(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Found> {
        self.number(v)
    }
    fn serialize_none(self) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Found> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        self.inside(format!(".{variant}"), value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
}

macro_rules! elements {
    ($($tr:ident :: $f:ident),*) => {
        $(impl ser::$tr for Compound<'_> {
            type Ok = ();
            type Error = Found;
            fn $f<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
                self.element(value)
            }
            fn end(self) -> Result<(), Found> {
                Ok(())
            }
        })*
    };
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! fields {
    ($($tr:ident),*) => {
        $(impl ser::$tr for Compound<'_> {
            type Ok = ();
            type Error = Found;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Found> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Found> {
                Ok(())
            }
        })*
    };
}

fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Found> {
        self.key = serde_json::to_value(key).ok().map(|k| match k {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        match self.key.take() {
            Some(k) => self.w.inside(format!(".{k}"), value),
            None => self.element(value),
        }
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Inner {
        x: f64,
        maybe: Option<f64>,
    }

    #[derive(serde::Serialize)]
    struct Outer {
        name: String,
        rows: Vec<Inner>,
        pair: (f32, f64),
    }

    #[test]
    fn names_the_first_non_finite_number() {
        let ok = Outer {
            name: "a".into(),
            rows: vec![Inner {
                x: 1.0,
                maybe: None,
            }],
            pair: (1.0, 2.0),
        };
        assert!(ensure_finite(&ok).is_ok());
        let bad = Outer {
            rows: vec![
                Inner {
                    x: 1.0,
                    maybe: Some(2.0),
                },
                Inner {
                    x: 1.0,
                    maybe: Some(f64::NAN),
                },
            ],
            ..ok
        };
        let e = ensure_finite(&bad).unwrap_err();
        assert!(!e.is_input());
        assert!(e.to_string().contains("`rows[1].maybe`"), "{e}");
        let e = ensure_finite(&(1.0, f64::INFINITY))
            .unwrap_err()
            .to_string();
        assert!(e.contains("(inf) at `[1]`"), "{e}");
        assert!(
            ensure_finite(&f64::NEG_INFINITY)
                .unwrap_err()
                .to_string()
                .contains("the top")
        );
    }
}
