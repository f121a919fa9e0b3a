//! The hot loop: sums of presynaptic values over a row of indices.
//!
//! A row of K indices selects K entries of a presynaptic vector; each entry is a small array of
//! W values (W = 1 for a plain simulation; W = 1 + k, padded to 2, 4 or 8, when k tangent
//! vectors ride along, see [`crate::tangent`]), so one pass over the indices serves all of them and the index stream,
//! which is the memory traffic, is read once. Four independent accumulators break the
//! floating-point dependency chain; the summation order is fixed, so results are bitwise
//! reproducible.
//!
//! With 16-bit indices the presynaptic vector is padded to 65536 entries and passed as a
//! fixed-size array, so every `u16` index is in bounds by type and the compiler drops the
//! bounds checks (no `unsafe` here). For W >= 2, `network` runs this kernel compiled for AVX2
//! when the CPU has it (one 256-bit load and add per entry for W = 4; same bits as the
//! baseline build, tested in `network::kernel_tests`).

/// Entries a 16-bit index can address.
pub const SPAN16: usize = 1 << 16;

/// A presynaptic vector padded for 16-bit indices.
pub struct Padded<const W: usize> {
    data: Vec<[f64; W]>,
}

impl<const W: usize> Padded<W> {
    /// Room for `n` entries (at least 65536 so 16-bit indices need no bounds check).
    pub fn new(n: usize) -> Self {
        Padded {
            data: vec![[0.0; W]; n.max(SPAN16)],
        }
    }
    pub fn as_mut_slice(&mut self) -> &mut [[f64; W]] {
        &mut self.data
    }
    pub fn as_slice(&self) -> &[[f64; W]] {
        &self.data
    }
    pub fn as_array(&self) -> &[[f64; W]; SPAN16] {
        self.data[..SPAN16]
            .try_into()
            .expect("padded to 65536 entries")
    }
}

#[inline(always)]
fn add<const W: usize>(acc: &mut [f64; W], v: &[f64; W]) {
    for m in 0..W {
        acc[m] += v[m];
    }
}

#[inline(always)]
fn combine<const W: usize>(s: [[f64; W]; 4]) -> [f64; W] {
    std::array::from_fn(|m| (s[0][m] + s[1][m]) + (s[2][m] + s[3][m]))
}

/// An index width the kernel accepts.
pub trait Idx: Copy {
    fn ix(self) -> usize;
}
impl Idx for u16 {
    #[inline(always)]
    fn ix(self) -> usize {
        self as usize
    }
}
impl Idx for u32 {
    #[inline(always)]
    fn ix(self) -> usize {
        self as usize
    }
}

/// Sum of v[j] over the indices j of a row. `V` is a padded `[[f64; W]; 65536]` for 16-bit
/// indices (no bounds checks) or a slice for 32-bit ones (bounds-checked).
#[inline(always)]
pub fn row<const W: usize, I: Idx, V: std::ops::Index<usize, Output = [f64; W]> + ?Sized>(
    v: &V,
    idx: &[I],
) -> [f64; W] {
    let mut s = [[0.0; W]; 4];
    let chunks = idx.chunks_exact(4);
    let rem = chunks.remainder();
    for c in chunks {
        add(&mut s[0], &v[c[0].ix()]);
        add(&mut s[1], &v[c[1].ix()]);
        add(&mut s[2], &v[c[2].ix()]);
        add(&mut s[3], &v[c[3].ix()]);
    }
    for &j in rem {
        add(&mut s[0], &v[j.ix()]);
    }
    combine(s)
}

/// The sums of two rows of equal length at once: the same operations, in the same order, as
/// two calls of [`row`] (so the same bits), with twice the independent chains per loop
/// iteration and half the loop overhead, which matters for short rows (K_I = 25 at N = 5000).
#[inline(always)]
pub fn row_pair<const W: usize, I: Idx, V: std::ops::Index<usize, Output = [f64; W]> + ?Sized>(
    v: &V,
    a: &[I],
    b: &[I],
) -> ([f64; W], [f64; W]) {
    debug_assert_eq!(a.len(), b.len());
    let mut s = [[0.0; W]; 4];
    let mut t = [[0.0; W]; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        add(&mut s[0], &v[x[0].ix()]);
        add(&mut t[0], &v[y[0].ix()]);
        add(&mut s[1], &v[x[1].ix()]);
        add(&mut t[1], &v[y[1].ix()]);
        add(&mut s[2], &v[x[2].ix()]);
        add(&mut t[2], &v[y[2].ix()]);
        add(&mut s[3], &v[x[3].ix()]);
        add(&mut t[3], &v[y[3].ix()]);
    }
    for (&j, &k) in ra.iter().zip(rb) {
        add(&mut s[0], &v[j.ix()]);
        add(&mut t[0], &v[k.ix()]);
    }
    (combine(s), combine(t))
}

/// Sum over a row of 16-bit indices.
#[inline(always)]
pub fn row16<const W: usize>(v: &[[f64; W]; SPAN16], idx: &[u16]) -> [f64; W] {
    row(v, idx)
}

/// Sum over a row of 32-bit indices (bounds-checked).
#[inline(always)]
pub fn row32<const W: usize>(v: &[[f64; W]], idx: &[u32]) -> [f64; W] {
    row(v, idx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_widths_sum_exactly_on_integers() {
        // Integer-valued entries below 2^53 sum exactly in any order: the kernels must return
        // the exact sums (this is the dense reference, sum over the selected entries).
        let mut v = Padded::<2>::new(1000);
        for (j, e) in v.as_mut_slice().iter_mut().enumerate().take(1000) {
            *e = [j as f64, (3 * j + 1) as f64];
        }
        let idx: Vec<u16> = (0..37).map(|k| (k * 27 % 1000) as u16).collect();
        let want: [f64; 2] = [
            idx.iter().map(|&j| j as f64).sum(),
            idx.iter().map(|&j| (3 * j as usize + 1) as f64).sum(),
        ];
        assert_eq!(row16(v.as_array(), &idx), want);
        let idx32: Vec<u32> = idx.iter().map(|&j| j as u32).collect();
        assert_eq!(row32(v.as_slice(), &idx32), want);
    }
}
