//! How the GPU's passes split the work — column blocks for the half-steps and the top-k passes — and the
//! pieces a pass is made of: two dispatches, the readout a frame shows, and the per-iteration error history.

use crate::gpu::reduce::Reduction;

/// Threads per workgroup of `shaders/ot/sinkhorn_lse.wgsl`.
pub(super) const WG: usize = 64;
/// Threads the partial pass aims for, and the most column blocks per row. A large discrete GPU holds
/// ~270k resident threads (an H200: 132 SMs × 2048); each thread streams its block's columns with one load
/// in flight, so the pass needs about that many to keep enough memory requests outstanding.
const TARGET_THREADS: usize = 262_144;
const MAX_BLOCKS: usize = 64;
/// Fewest columns per block, unless a row has fewer (below this the finishing pass's merges would dominate).
const MIN_CHUNK: usize = 16;

/// How a half-step over `rows` × `cols` splits the columns: (blocks, columns per block). Every block is
/// non-empty; `blocks` ≥ 1.
pub fn column_blocks(rows: usize, cols: usize) -> (usize, usize) {
    let want = TARGET_THREADS.div_ceil(rows.max(1)).clamp(1, MAX_BLOCKS);
    let most = (cols / MIN_CHUNK).max(1);
    let chunk = cols.max(1).div_ceil(want.min(most));
    (cols.max(1).div_ceil(chunk), chunk)
}

/// Most bytes of the top-k passes' candidate lists (blocks × rows × (k + 1) pairs of u32): fewer blocks
/// past it (20,000 rows keeping 64 get 3 blocks).
const TOP_CANDIDATE_BYTES: usize = 32 << 20;
/// Fewest columns per top-k block, in multiples of the list's length: a block's first k entries all go
/// through the heap (log₂ k steps each), later ones rarely, so short blocks multiply the total work.
/// (Measured on lavapipe, SNS at n = 2000 with k up to 64: spans 2 and 4 and one thread per row alike.)
const LIST_SPAN: usize = 2;

/// How the top-k passes split a row of `cols` columns for `rows` rows keeping up to `capacity` entries:
/// (blocks, columns per block) — as [`column_blocks`] aims, with at least [`LIST_SPAN`] × `capacity`
/// columns per block and the candidate lists within [`TOP_CANDIDATE_BYTES`].
pub fn top_blocks(rows: usize, cols: usize, capacity: usize) -> (usize, usize) {
    let want = TARGET_THREADS.div_ceil(rows.max(1)).clamp(1, MAX_BLOCKS);
    let most = (cols / MIN_CHUNK.max(LIST_SPAN * capacity)).max(1);
    let room = (TOP_CANDIDATE_BYTES / (rows.max(1) * (capacity + 1) * 8)).max(1);
    let chunk = cols.max(1).div_ceil(want.min(most).min(room));
    (cols.max(1).div_ceil(chunk), chunk)
}

/// One half-step's two dispatches (partial pairs per column block, then one thread per row).
pub(super) struct Pass {
    pub(super) partial: (wgpu::ComputePipeline, wgpu::BindGroup, (u32, u32)),
    pub(super) finish: (wgpu::ComputePipeline, wgpu::BindGroup, (u32, u32)),
}

impl Pass {
    pub(super) fn encode(&self, encoder: &mut wgpu::CommandEncoder) {
        self.encode_finishing_with(encoder, &self.finish.1);
    }

    /// As `encode`, with the finishing dispatch bound to `finish` (the same buffers but another window).
    pub(super) fn encode_finishing_with(&self, encoder: &mut wgpu::CommandEncoder, finish: &wgpu::BindGroup) {
        // WebGPU makes each dispatch's writes visible to the next one (as in `Reduction::encode`).
        let mut pass = encoder.begin_compute_pass(&Default::default());
        for (pipeline, bind, grid) in
            [(&self.partial.0, &self.partial.1, self.partial.2), (&self.finish.0, finish, self.finish.2)]
        {
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bind, &[]);
            pass.dispatch_workgroups(grid.0, grid.1, 1);
        }
    }
}

/// What a frame shows, read back with a batch's errors (one round trip per frame instead of two: in a
/// browser each readback waits for the GPU process to map the buffer).
pub(super) struct Readout {
    /// ⟨C, P⟩ at the batch's last iterate.
    pub(super) cost: f32,
    pub(super) f: Vec<f32>,
    pub(super) g: Vec<f32>,
}

impl Readout {
    /// Takes the last three parts of a readback of [`GpuSinkhorn::readout_sources`] (⟨C, P⟩, f, g).
    pub(super) fn from_tail(parts: &mut Vec<Vec<f32>>) -> Self {
        let (g, f) = (parts.pop().unwrap_or_default(), parts.pop().unwrap_or_default());
        let cost = parts.pop().and_then(|c| c.first().copied()).unwrap_or(f32::NAN);
        Self { cost, f, g }
    }
}

/// The marginal errors of a batch of iterations: iteration t's g-update writes its m column errors into
/// row t of a matrix (one bind group per row, built once), and one row reduction after the batch sums
/// them all — two dispatches per batch instead of a reduction and a copy per iteration.
pub(super) struct ErrorHistory {
    /// The g-update's finishing bind group with its error output at row t.
    pub(super) finish_at: Vec<wgpu::BindGroup>,
    /// Row sums of the rows × stride matrix (the padding past m stays 0).
    pub(super) sums: Reduction,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_blocks_cover_every_column_with_non_empty_blocks() {
        for rows in [1, 2, 63, 64, 65, 500, 1000, 20_000, 100_000] {
            for cols in [1, 2, 15, 16, 17, 77, 1000, 3001, 20_000] {
                let (blocks, chunk) = column_blocks(rows, cols);
                assert!((1..=MAX_BLOCKS).contains(&blocks), "{rows}×{cols}: {blocks}");
                assert!(blocks * chunk >= cols, "{rows}×{cols}: {blocks}×{chunk} misses columns");
                assert!((blocks - 1) * chunk < cols, "{rows}×{cols}: the last of {blocks} blocks of {chunk} is empty");
                assert!(chunk >= MIN_CHUNK.min(cols), "{rows}×{cols}: chunk {chunk}");
            }
        }
        assert_eq!(column_blocks(70, 3001), (64, 47));
        assert_eq!(column_blocks(513, 65), (4, 17));
        // Many rows already (nearly) fill the device: few blocks per row, or one.
        assert_eq!(column_blocks(100_000, 20_000), (3, 6667));
        assert_eq!(column_blocks(300_000, 20_000), (1, 20_000));
    }

    #[test]
    fn top_blocks_hold_a_full_list_and_stay_within_their_memory() {
        for rows in [1, 7, 90, 1000, 4097, 20_000, 100_000] {
            for cols in [1, 15, 64, 65, 257, 3001, 20_000] {
                for capacity in [1, 10, 64] {
                    let capacity = capacity.min(cols);
                    let (blocks, chunk) = top_blocks(rows, cols, capacity);
                    let at = format!("{rows}×{cols} keeping {capacity}: {blocks}×{chunk}");
                    assert!((1..=MAX_BLOCKS).contains(&blocks), "{at}");
                    assert!(
                        blocks * chunk >= cols && (blocks - 1) * chunk < cols,
                        "{at}: a missed column or an empty block"
                    );
                    assert!(blocks == 1 || chunk >= LIST_SPAN * capacity, "{at}: blocks too short for their lists");
                    assert!(
                        blocks == 1 || rows * blocks * (capacity + 1) * 8 <= TOP_CANDIDATE_BYTES,
                        "{at}: too many candidates"
                    );
                }
            }
        }
        // 1000 rows keeping 64 of 1000: 7 blocks (7,000 threads where one per row ran 1,000), 63 when
        // keeping 10; 20,000 rows: the memory cap leaves 3.
        assert_eq!(top_blocks(1000, 1000, 64), (7, 143));
        assert_eq!(top_blocks(1000, 1000, 10), (50, 20));
        assert_eq!(top_blocks(20_000, 20_000, 64), (3, 6667));
        assert_eq!(top_blocks(90, 257, 64), (2, 129));
    }
}
