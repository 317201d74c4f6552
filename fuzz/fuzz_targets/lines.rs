//! Line framing (`LineSplitter`) across arbitrary read splits: whatever the
//! reads, the same lines and faults come out, in order, and no line handed
//! out is longer than the limit or holds a newline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::net::lines::LineSplitter;
use linechat::net::LineFault;

fn split_lines(data: &[u8], cuts: &[usize], max_line: usize) -> Vec<Result<Vec<u8>, LineFault>> {
    let mut out = Vec::new();
    let mut splitter = LineSplitter::default();
    let mut sink = |r: Result<&[u8], LineFault>| {
        out.push(r.map(<[u8]>::to_vec));
        true
    };
    let mut at = 0;
    for &cut in cuts.iter().chain(std::iter::once(&data.len())) {
        let cut = cut.clamp(at, data.len());
        assert_eq!(splitter.feed(&data[at..cut], max_line, &mut sink), 0);
        at = cut;
    }
    out
}

fuzz_target!(|input: &[u8]| {
    if input.len() < 2 {
        return;
    }
    // First byte: the line limit; second: how many split points follow.
    let max_line = 1 + input[0] as usize % 64;
    let n_cuts = (input[1] as usize % 16).min(input.len().saturating_sub(2));
    let (cut_bytes, data) = input[2..].split_at(n_cuts);
    let mut cuts: Vec<usize> = cut_bytes.iter().map(|&b| b as usize * data.len() / 256).collect();
    cuts.sort_unstable();

    let whole = split_lines(data, &[], max_line);
    let pieces = split_lines(data, &cuts, max_line);
    assert_eq!(whole, pieces, "the split changed the lines (cuts {cuts:?})");
    let bytewise: Vec<usize> = (1..data.len()).collect();
    assert_eq!(whole, split_lines(data, &bytewise, max_line), "byte-by-byte reads changed the lines");
    for line in whole.iter().flatten() {
        assert!(line.len() <= max_line, "a line of {} bytes passed the limit {max_line}", line.len());
        assert!(!line.contains(&b'\n'));
    }
});
