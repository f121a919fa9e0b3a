//! The hot loop: sums of presynaptic values over a row of indices.
//!
//! A row of K indices selects K entries of a presynaptic vector; each entry is a small array of
//! W values (W = 1 for a plain simulation; W = 1 + k, padded to 2, 4 or 8, when k tangent
//! vectors ride along, see [`crate::tangent`]), so one pass over the indices serves all of
//! them and the index stream, which is the memory traffic, is read once. Four independent
//! accumulators break the floating-point dependency chain; the summation order is fixed, so
//! results are bitwise reproducible.
//!
//! What the time goes into, measured on the 2-core Zen 5 CI machine (README, "Performance"):
//! * **Load ports.** A synapse costs a value load, and with one 16-bit index load per synapse
//!   the ports, not memory, bound the loop. 16-bit indices are read four at a time with one
//!   64-bit load ([`Idx::quads`]).
//! * **The index stream.** Past the private caches (N = 20000: 24 MB of indices per step)
//!   the stream is prefetched a few rows ahead ([`prefetch_ahead`]).
//! * **Line splits.** Entries start on a 64-byte boundary ([`Padded`]), so a 32-byte entry
//!   (W = 4) never straddles two cache lines.
//!
//! With 16-bit indices the presynaptic vector is padded to 65536 entries and passed as a
//! fixed-size array, so every `u16` index is in bounds by type and the compiler drops the
//! bounds checks. For W >= 2, `network` runs this kernel compiled for AVX2 when the CPU has it
//! (one 256-bit load and add per entry for W = 4; same bits as the baseline build, tested in
//! `network::kernel_tests`). The only `unsafe` is the prefetch hint.

/// Entries a 16-bit index can address.
pub const SPAN16: usize = 1 << 16;

/// A presynaptic vector padded for 16-bit indices, its first entry on a 64-byte boundary.
///
/// The alignment matters for W >= 2: a 32-byte entry (W = 4) that straddles two cache lines
/// costs two loads. A large `Vec` from the system allocator starts 16 bytes past a page
/// boundary, which made every other W = 4 entry straddle and the Lyapunov gather ~25 % slower
/// than with aligned entries.
pub struct Padded<const W: usize> {
    data: Vec<f64>,
    /// Offset (in f64) of entry 0 in `data`.
    off: usize,
    len: usize,
}

impl<const W: usize> Padded<W> {
    /// Room for `n` entries (at least 65536 so 16-bit indices need no bounds check).
    pub fn new(n: usize) -> Self {
        let len = n.max(SPAN16);
        let data = vec![0.0; len * W + 8];
        let misalign = (data.as_ptr() as usize % 64) / 8;
        Padded {
            data,
            off: (8 - misalign) % 8,
            len,
        }
    }
    pub fn as_mut_slice(&mut self) -> &mut [[f64; W]] {
        bytemuck::cast_slice_mut(&mut self.data[self.off..self.off + self.len * W])
    }
    pub fn as_slice(&self) -> &[[f64; W]] {
        bytemuck::cast_slice(&self.data[self.off..self.off + self.len * W])
    }
    pub fn as_array(&self) -> &[[f64; W]; SPAN16] {
        self.as_slice()[..SPAN16]
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

/// How far ahead of the row being summed the index stream is prefetched, in bytes. Past the
/// private caches (at N = 20000 the indices are 24 MB per step) the hardware prefetcher alone
/// does not keep the index stream ahead of the gather; asking for it a few rows in advance
/// raised the gather rate there by ~1.5x in a C microbenchmark (4 KB ahead; 2-10 KB did the
/// same). Inside L2 (N = 5000) it changes nothing measurable.
pub const PREFETCH_AHEAD: usize = 4096;

/// Ask for the cache lines of `bytes` bytes starting `PREFETCH_AHEAD` bytes after `start`.
/// A hint only: addresses past the end of the allocation are allowed (nothing is read).
#[inline(always)]
pub fn prefetch_ahead<T>(start: *const T, bytes: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = start.cast::<i8>().wrapping_add(PREFETCH_AHEAD);
        let mut off = 0;
        while off < bytes {
            // SAFETY: SSE is part of every x86-64 CPU, and a prefetch reads nothing and cannot
            // fault, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off)) };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, bytes);
}

/// An index width the kernel accepts.
pub trait Idx: Copy {
    fn ix(self) -> usize;
    /// The indices of `idx` in groups of four, in order, and the remainder (fewer than 4).
    fn quads(idx: &[Self]) -> (impl Iterator<Item = [usize; 4]>, &[Self]);
}
impl Idx for u16 {
    #[inline(always)]
    fn ix(self) -> usize {
        self as usize
    }
    /// Four 16-bit indices per 64-bit load, split with shifts: one load instead of four per
    /// group, which on a core whose load ports bound the gather (two loads per synapse: index
    /// and value) is worth ~10 % (see the README, "Performance"). Same indices, same order.
    #[inline(always)]
    fn quads(idx: &[u16]) -> (impl Iterator<Item = [usize; 4]>, &[u16]) {
        let split = idx.len() / 4 * 4;
        let bytes: &[u8] = bytemuck::cast_slice(&idx[..split]);
        let quads = bytes.chunks_exact(8).map(|b| {
            let q = u64::from_ne_bytes(b.try_into().expect("8 bytes"));
            // Element m of the group sits in bits 16m..16m+16 on a little-endian machine.
            std::array::from_fn(|m| {
                let shift = if cfg!(target_endian = "little") {
                    16 * m
                } else {
                    48 - 16 * m
                };
                ((q >> shift) & 0xffff) as usize
            })
        });
        (quads, &idx[split..])
    }
}
impl Idx for u32 {
    #[inline(always)]
    fn ix(self) -> usize {
        self as usize
    }
    #[inline(always)]
    fn quads(idx: &[u32]) -> (impl Iterator<Item = [usize; 4]>, &[u32]) {
        let c = idx.chunks_exact(4);
        let rem = c.remainder();
        (c.map(|c| std::array::from_fn(|m| c[m] as usize)), rem)
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
    let (quads, rem) = I::quads(idx);
    for c in quads {
        add(&mut s[0], &v[c[0]]);
        add(&mut s[1], &v[c[1]]);
        add(&mut s[2], &v[c[2]]);
        add(&mut s[3], &v[c[3]]);
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
    let ((ca, ra), (cb, rb)) = (I::quads(a), I::quads(b));
    for (x, y) in ca.zip(cb) {
        add(&mut s[0], &v[x[0]]);
        add(&mut t[0], &v[y[0]]);
        add(&mut s[1], &v[x[1]]);
        add(&mut t[1], &v[y[1]]);
        add(&mut s[2], &v[x[2]]);
        add(&mut t[2], &v[y[2]]);
        add(&mut s[3], &v[x[3]]);
        add(&mut t[3], &v[y[3]]);
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

    #[test]
    fn quads_are_the_indices_in_order() {
        // The 64-bit loads of the u16 path must yield exactly the row's indices, in order, for
        // every remainder length (and the same as the u32 path).
        for len in 0..14 {
            let idx: Vec<u16> = (0..len).map(|k| (k * 40503 % 65536) as u16).collect();
            let (q, rem) = u16::quads(&idx);
            let mut got: Vec<usize> = q.flatten().collect();
            got.extend(rem.iter().map(|&j| j as usize));
            let want: Vec<usize> = idx.iter().map(|&j| j as usize).collect();
            assert_eq!(got, want, "len {len}");
            let idx32: Vec<u32> = idx.iter().map(|&j| j as u32).collect();
            let (q, rem) = u32::quads(&idx32);
            let mut got: Vec<usize> = q.flatten().collect();
            got.extend(rem.iter().map(|&j| j as usize));
            assert_eq!(got, want, "len {len}, u32");
        }
    }

    #[test]
    fn entries_start_on_a_cache_line() {
        for _ in 0..4 {
            assert_eq!(Padded::<4>::new(10).as_slice().as_ptr() as usize % 64, 0);
            assert_eq!(Padded::<2>::new(70000).as_array().as_ptr() as usize % 64, 0);
            let mut p = Padded::<1>::new(3);
            assert_eq!(p.as_mut_slice().as_ptr() as usize % 64, 0);
            assert_eq!(p.as_slice().len(), SPAN16);
        }
    }
}
