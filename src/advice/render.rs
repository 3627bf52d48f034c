//! `fix` and `who-can` as text and JSON.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::edits::Edit;
use super::fix::{FixReport, Goal};
use super::who_can::{WhoAnswer, WhoCan};

fn edit_json(e: &Edit) -> Value {
    let mut v = json!({ "edit": e.describe() });
    match e {
        Edit::AddStatement { target, statement } => {
            v["kind"] = json!("add_statement");
            v["policy"] = json!(target.describe());
            v["statement"] = statement.clone();
        }
        Edit::RemoveStatement { target, label, .. } => {
            v["kind"] = json!("remove_statement");
            v["policy"] = json!(target.describe());
            v["statement"] = json!(label);
        }
        Edit::RemoveCondition {
            target,
            label,
            operator,
            key,
            ..
        } => {
            v["kind"] = json!("remove_condition");
            v["policy"] = json!(target.describe());
            v["statement"] = json!(label);
            v["condition"] = json!({"operator": operator, "key": key});
        }
        Edit::SetHeader {
            check,
            header,
            value,
        } => {
            v["kind"] = json!("set_header");
            v["check"] = json!(check);
            v["header"] = json!(header);
            v["value"] = json!(value);
        }
        Edit::AddGrant { key, grant } => {
            v["kind"] = json!("add_grant");
            v["key"] = json!(key);
            v["grant"] = grant.clone();
        }
        Edit::SetReplicaKey { bucket, rule, key } => {
            v["kind"] = json!("set_replica_key");
            v["bucket"] = json!(bucket);
            v["rule"] = json!(rule);
            v["key"] = json!(key);
        }
    }
    v
}

/// The suggestions as text, best first.
pub fn fix_text(r: &FixReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Check {:?}: {}", r.check, r.answer);
    if let Some(advice) = &r.advice {
        let _ = writeln!(out, "Where the fix belongs: {advice}");
    }
    if r.suggestions.is_empty() {
        let _ = writeln!(
            out,
            "No edit found that iamsim could verify: the failure is not a policy decision, or it needs a change outside the scenario's policies and requests."
        );
        return out;
    }
    let (verb, effect) = match r.goal {
        Goal::Allow => ("succeed", "newly allows"),
        Goal::Deny => ("be denied", "newly denies"),
    };
    let _ = writeln!(
        out,
        "Edits that make it {verb}, the least added access first:"
    );
    for (i, s) in r.suggestions.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{}. {}",
            i + 1,
            if s.reaches_goal {
                "verified"
            } else {
                "not enough on its own"
            }
        );
        for e in &s.edits {
            let _ = writeln!(out, "   - {}", e.describe());
        }
        let _ = writeln!(out, "   the check then: {}", s.answer);
        if s.side_effect_count == 0 {
            let _ = writeln!(
                out,
                "   it {effect} nothing else ({} compared)",
                s.measured_on
            );
        } else {
            let _ = writeln!(
                out,
                "   it also {effect} {} other request(s) of {}:",
                s.side_effect_count, s.measured_on
            );
            for e in &s.side_effects {
                let _ = writeln!(out, "     {e}");
            }
            if s.side_effect_count > s.side_effects.len() {
                let _ = writeln!(out, "     ...");
            }
        }
    }
    out
}

/// The suggestions as JSON.
pub fn fix_json(r: &FixReport) -> String {
    let suggestions: Vec<Value> = r
        .suggestions
        .iter()
        .map(|s| {
            json!({
                "edits": s.edits.iter().map(edit_json).collect::<Vec<_>>(),
                "verified": s.reaches_goal,
                "answer": s.answer,
                "side_effects": s.side_effects,
                "side_effect_count": s.side_effect_count,
                "measured_on": s.measured_on,
            })
        })
        .collect();
    let doc = json!({
        "check": r.check,
        "goal": match r.goal { Goal::Allow => "allow", Goal::Deny => "deny" },
        "answer": r.answer,
        "advice": r.advice,
        "suggestions": suggestions,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn answer_text(a: &WhoAnswer) -> String {
    let mut text = a.principal.clone();
    if a.allowed {
        text.push_str(": can");
    } else {
        text.push_str(": cannot");
        if let Some(step) = &a.failed_step {
            let _ = write!(text, ", at {step}");
        }
        if let Some(how) = &a.how {
            let _ = write!(text, " ({how})");
        }
    }
    if !a.decided_by.is_empty() {
        let _ = write!(text, ", by {}", a.decided_by.join(", "));
    }
    text
}

/// The answers as text.
pub fn who_can_text(w: &WhoCan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Can ({}):", w.can.len());
    for a in &w.can {
        let _ = writeln!(out, "  {}", answer_text(a));
    }
    let _ = writeln!(out, "Cannot ({}):", w.cannot.len());
    for a in &w.cannot {
        let _ = writeln!(out, "  {}", answer_text(a));
    }
    let _ = writeln!(out, "Outside the declared principals:");
    for a in &w.others {
        let _ = writeln!(out, "  {}", answer_text(a));
    }
    out
}

fn answer_json(a: &WhoAnswer) -> Value {
    json!({
        "principal": a.principal,
        "allowed": a.allowed,
        "failed_step": a.failed_step,
        "denial": a.how,
        "decided_by": a.decided_by,
        "message": a.message,
    })
}

/// The answers as JSON.
pub fn who_can_json(w: &WhoCan) -> String {
    let doc = json!({
        "can": w.can.iter().map(answer_json).collect::<Vec<_>>(),
        "cannot": w.cannot.iter().map(answer_json).collect::<Vec<_>>(),
        "others": w.others.iter().map(answer_json).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
