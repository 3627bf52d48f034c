#[global_allocator]
static A: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for _ in 0..3 {
        let t1 = Instant::now();
        let node = iamsim::json::parse(&text, true).unwrap();
        let t2 = Instant::now();
        drop(node);
        let s = iamsim::scenario::load_scenario_text("x", &text).unwrap();
        let t3 = Instant::now();
        let r = iamsim::scenario::run_scenario(&s, false);
        let t4 = Instant::now();
        let out = iamsim::report::json::document(&[("x".to_string(), r)]);
        let t5 = Instant::now();
        eprintln!(
            "parse {:?} load(total) {:?} run {:?} json {:?} ({} bytes)",
            t2 - t1,
            t3 - t2,
            t4 - t3,
            t5 - t4,
            out.len()
        );
    }
}
