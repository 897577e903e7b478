//! The demo hall's last working days, replayed through the use cases: tickets, waits,
//! applications with corrections, the back office and ratings.

use crate::demo::org::COUNTY_CODE;
use crate::demo::org::SEED;
use crate::demo::org::person;
use crate::error::AppResult;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Replays the hall's last `days` working days through the same use cases: tickets taken and
/// called (the wait falling from about 45 to about 15 minutes, so that the wait statistics
/// show the change), the applications received at the windows (one in six with a material
/// missing and supplied the next day), the back office finishing them on time, and the
/// citizens' ratings, with 5号窗口 rated worse than the rest and its 差评 answered.
pub async fn seed_service_history(app: &App, days: u32) -> AppResult<u64> {
    use crate::hall::applications::{self, Action, NewApplication};
    use crate::hall::{queue, ratings};
    use chrono::{Duration, TimeZone};
    use jiceng_core::clock::{ManualClock, china_offset};
    use std::sync::Arc;

    let real_now = app.now();
    let cal = crate::reference::of(app).get().calendar.clone();
    let today = real_now.with_timezone(&china_offset()).date_naive();
    let mut day = today;
    let mut workdays = Vec::new();
    while workdays.len() < days as usize {
        day = day.pred_opt().expect("date in range");
        if cal.is_workday(day) {
            workdays.push(day);
        }
    }
    workdays.reverse();
    let clock = Arc::new(ManualClock::new(real_now));
    let hist = app
        .with_clock(clock.clone())
        .with_wing(applications::intake_queue());
    let system = Actor::System("demo");
    let m = |c: &str| Some(format!("{COUNTY_CODE}-{c}"));
    // (group, windows, subjects as (matter, bundle))
    type Subject = (Option<String>, Option<String>);
    let groups: Vec<(&str, Vec<&str>, Vec<Subject>)> = vec![
        (
            "social",
            vec!["1号窗口", "2号窗口"],
            vec![
                (m("rsj-0002"), None),
                (m("ybj-0003"), None),
                (m("rsj-0005"), None),
            ],
        ),
        (
            "hukou",
            vec!["3号窗口"],
            vec![(m("gahz-0008"), None), (m("gahz-0007"), None)],
        ),
        (
            "general",
            vec!["4号窗口", "5号窗口"],
            vec![(None, Some("birth".into())), (m("mzj-0009"), None)],
        ),
        (
            "business",
            vec!["6号窗口"],
            vec![(m("scjgj-0002"), None), (m("sw-0001"), None)],
        ),
    ];
    let mut checklists: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (_, _, subjects) in &groups {
        for (matter, bundle) in subjects {
            let (_, items) =
                applications::checklist_for(app, matter.as_deref(), bundle.as_deref()).await?;
            checklists.insert(
                format!("{matter:?}{bundle:?}"),
                items
                    .into_iter()
                    .filter(|i| i.required)
                    .map(|i| i.name)
                    .collect(),
            );
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + 4);
    let at = |d: chrono::NaiveDate, minutes: i64| {
        china_offset()
            .from_local_datetime(&d.and_hms_opt(9, 0, 0).expect("9:00"))
            .single()
            .expect("fixed offset")
            .with_timezone(&chrono::Utc)
            + Duration::minutes(minutes)
    };
    let mut n = 0u64;
    // Applications waiting for a supplement (id) and for their back office (id, code, window).
    let mut to_supplement: Vec<i64> = Vec::new();
    let mut to_finish: Vec<(i64, String, String)> = Vec::new();
    for (i, d) in workdays.iter().enumerate() {
        // The wait falls from about 45 minutes to about 15 over the period.
        let progress = i as f64 / workdays.len().max(1) as f64;
        let wait = 45.0 - 30.0 * progress;
        // Yesterday's corrections and the back office's work, first thing in the morning.
        clock.set(at(*d, -30));
        for id in std::mem::take(&mut to_supplement) {
            let v = applications::get(&hist, &system, id).await?;
            let provided = v.defects.iter().map(|x| x.name.clone()).collect();
            applications::change(
                &hist,
                &system,
                id,
                Action::Supplement {
                    provided,
                    defective: vec![],
                },
            )
            .await?;
            to_finish.push((id, v.code, v.window));
        }
        for (id, code, window) in std::mem::take(&mut to_finish) {
            loop {
                let v = applications::get(&hist, &system, id).await?;
                let Some(p) = v.parts.iter().find(|p| p.status == "active") else {
                    break;
                };
                let last = p.step + 1 >= p.steps.len();
                applications::change(
                    &hist,
                    &system,
                    id,
                    Action::Advance {
                        part: p.id,
                        note: String::new(),
                        result_no: if last {
                            format!("{}-{}", p.matter_code.rsplit('-').next().unwrap_or(""), id)
                        } else {
                            String::new()
                        },
                        delivery: None,
                    },
                )
                .await?;
                n += 1;
            }
            // Most citizens rate; 5号窗口 less kindly than the rest.
            if rng.random_range(0..10) < 7 {
                let bad = if window == "5号窗口" { 4 } else { 20 };
                let roll = rng.random_range(0..bad);
                let (level, comment) = match roll {
                    0 => ("dissatisfied", "等候时间太长，窗口人员解释不清"),
                    1 => ("fair", ""),
                    2..=6 => ("satisfied", ""),
                    _ => ("very_satisfied", "一次办好，很方便"),
                };
                let r = ratings::rate_seeded(
                    &hist,
                    ratings::RateInput {
                        code,
                        level: level.into(),
                        comment: comment.into(),
                        ..Default::default()
                    },
                )
                .await?;
                if let Some(t) = r.rectification {
                    ratings::act(
                        &hist,
                        &system,
                        t.id,
                        ratings::RectAction::Answer {
                            outcome: "rectified".into(),
                            answer: "已向群众致歉，增设引导员并优化叫号分组".into(),
                        },
                    )
                    .await?;
                }
            }
        }
        // The day's tickets: issued through the day, each called after about the day's wait.
        let mut events: Vec<(i64, usize, usize)> = Vec::new(); // (minute, group, 0 issue / 1 call)
        for g in 0..groups.len() {
            for _ in 0..rng.random_range(3..6) {
                let issued = rng.random_range(0..420);
                let waited = (wait * rng.random_range(0.6..1.4)) as i64;
                events.push((issued, g, 0));
                events.push((issued + waited.max(1), g, 1));
            }
        }
        events.sort();
        for (minute, g, kind) in events {
            clock.set(at(*d, minute));
            let (code, windows, subjects) = &groups[g];
            if kind == 0 {
                queue::issue(&hist, None, code, false, "").await?;
                continue;
            }
            let window = windows[rng.random_range(0..windows.len())];
            let Some(ticket) = queue::call_next(&hist, &system, window).await? else {
                continue;
            };
            let (matter, bundle) = &subjects[rng.random_range(0..subjects.len())];
            let mut provided = checklists[&format!("{matter:?}{bundle:?}")].clone();
            let missing = rng.random_range(0..6) == 0 && !provided.is_empty();
            if missing {
                provided.pop();
            }
            let v = applications::submit(
                &hist,
                Some(&system),
                NewApplication {
                    matter: matter.clone(),
                    bundle: bundle.clone(),
                    applicant: synthetic_applicant(&mut rng),
                    provided,
                    window: window.into(),
                    ticket_id: Some(ticket.id),
                    ..Default::default()
                },
            )
            .await?;
            n += 1;
            if missing {
                to_supplement.push(v.id);
            } else {
                to_finish.push((v.id, v.code, v.window));
            }
        }
    }
    // The townships' 便民服务中心: a few applications each, received by their own clerk, so
    // that a township's clerk sees its hall's work and not the county's.
    use crate::store::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let (matter, bundle) = (m("mzj-0009"), None::<String>);
    let provided = checklists[&format!("{matter:?}{bundle:?}")].clone();
    for tw in crate::demo::org::TOWNSHIPS.iter() {
        let Some(u) = user::Entity::find()
            .filter(user::Column::Username.eq(format!("{}.clerk", tw.slug)))
            .one(&app.db.conn)
            .await?
        else {
            continue;
        };
        let actor = Actor::User(
            crate::auth::actor_for(
                &app.db.conn,
                &u,
                crate::kernel::actor::AuthVia::Token { id: 0 },
            )
            .await?,
        );
        for _ in 0..3 {
            applications::submit(
                &hist,
                Some(&actor),
                NewApplication {
                    matter: matter.clone(),
                    bundle: bundle.clone(),
                    applicant: synthetic_applicant(&mut rng),
                    provided: provided.clone(),
                    window: format!("{}便民服务中心1号窗口", tw.name),
                    ..Default::default()
                },
            )
            .await?;
            n += 1;
        }
    }
    Ok(n)
}

/// A synthetic applicant: a valid ID number of someone born 1960–1999, a name, a phone.
fn synthetic_applicant(rng: &mut ChaCha8Rng) -> crate::hall::applications::ApplicantInput {
    let first17 = format!(
        "330105{}{:03}",
        19_600_101 + rng.random_range(0..28) + 10_000 * rng.random_range(0..40),
        rng.random_range(0..1000)
    );
    let id_number = format!(
        "{first17}{}",
        jiceng_core::id_card::check_char(first17.as_bytes())
    );
    crate::hall::applications::ApplicantInput {
        name: person(rng),
        id_number,
        phone: format!("139{:04}0000", rng.random_range(0..10_000)),
    }
}
