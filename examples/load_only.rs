fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for _ in 0..5 {
        let s = iamsim::scenario::load_scenario_text("x", &text).unwrap();
        std::hint::black_box(&s);
    }
}
