//! The page engine's entry points: this library compiled to WebAssembly (`build.rs`), which a
//! large report carries. The page's script hands it a scenario's text and asks for one check's
//! details, which are decided and rendered by the same code as those of a report written at
//! once, at the time of the run that wrote the report.
//!
//! Data crosses in two buffers of the engine's own: one the script fills before a call, one it
//! reads after. No address from the script is ever followed here. Each export allows
//! `unsafe_code` because the lint counts an exported symbol as unsafe; nothing here dereferences
//! anything.
//!
//! The script sets the run's time ([`engine_time`]) before anything else: a scenario's world
//! reads it, and this target has no clock.

use std::cell::RefCell;

use super::source::Quotes;
use super::{details_block, Sources};
use crate::scenario::{load_scenario_text, Replay, Scenario};
use crate::world::RequestTime;

/// A scenario the page handed over, with its text for quoting statements and the replay of
/// its calls so far.
struct Loaded {
    file: u32,
    scenario: Scenario,
    sources: Sources,
    replay: Replay,
}

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<String> = const { RefCell::new(String::new()) };
    static LOADED: RefCell<Vec<Loaded>> = const { RefCell::new(Vec::new()) };
}

/// Makes the input buffer `len` bytes long and returns where it starts, for the script to fill.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn engine_input(len: usize) -> *mut u8 {
    INPUT.with_borrow_mut(|input| {
        input.clear();
        input.resize(len, 0);
        input.as_mut_ptr()
    })
}

/// Where the last call's output (markup, or what went wrong) starts.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn engine_output() -> *const u8 {
    OUTPUT.with_borrow(|output| output.as_ptr())
}

/// The last call's output length in bytes.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn engine_output_len() -> usize {
    OUTPUT.with_borrow(|output| output.len())
}

/// Takes the input (an RFC 3339 time) as the moment of the run: 1 when it did.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn engine_time() -> u32 {
    let result = input_text().and_then(|text| {
        let time = RequestTime::parse(&text).map_err(|e| e.to_string())?;
        if time.start_run() {
            Ok(())
        } else {
            Err("the run's time was already read".to_string())
        }
    });
    answer(result.map(|()| String::new()))
}

/// Loads the input (a scenario's name, a zero byte, its text) as the scenario of the report's
/// file `file`: 1 when it loaded, else 0 with the problems as output.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn engine_load(file: u32) -> u32 {
    let result = input_text().and_then(|input| {
        if !RequestTime::run_start_known() {
            return Err("the run's time is not set: engine_time comes first".to_string());
        }
        let (name, text) = input.split_once('\0').unwrap_or(("scenario", &input));
        let scenario = load_scenario_text(name, text).map_err(|e| e.to_string())?;
        let sources = Sources::new(scenario.source.clone());
        LOADED.with_borrow_mut(|loaded| {
            loaded.retain(|l| l.file != file);
            loaded.push(Loaded {
                file,
                scenario,
                sources,
                replay: Replay::default(),
            });
        });
        Ok(String::new())
    });
    answer(result)
}

/// Decides check `number` (from 1) of file `file` with its trace and renders its details as
/// the output: 1 when it did, else 0 with what went wrong.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn engine_details(file: u32, number: u32) -> u32 {
    let result = LOADED.with_borrow_mut(|loaded| {
        let l = loaded
            .iter_mut()
            .find(|l| l.file == file)
            .ok_or_else(|| format!("file {file} has not been loaded"))?;
        let index = (number as usize)
            .checked_sub(1)
            .ok_or_else(|| "checks are numbered from 1".to_string())?;
        let result = l
            .replay
            .explain(&l.scenario.world, &l.scenario.checks, index)
            .ok_or_else(|| format!("the file has no check {number}"))?;
        let mut markup = String::new();
        let quotes = Quotes::new(Some(&l.sources));
        details_block(&mut markup, &result, &format!("f{file}-c{number}"), &quotes);
        Ok(markup)
    });
    answer(result)
}

/// The input as text.
fn input_text() -> Result<String, String> {
    INPUT.with_borrow_mut(|input| {
        String::from_utf8(std::mem::take(input)).map_err(|e| format!("the input is not UTF-8: {e}"))
    })
}

/// Puts a call's markup or its problem in the output: 1 for markup, 0 for a problem.
fn answer(result: Result<String, String>) -> u32 {
    let (text, code) = match result {
        Ok(text) => (text, 1),
        Err(problem) => (problem, 0),
    };
    OUTPUT.with_borrow_mut(|output| *output = text);
    code
}
