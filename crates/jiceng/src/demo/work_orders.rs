//! The demo's six months of work orders, replayed from real messages on a clock of its own,
//! and the live fire-lane story.

use crate::auth;
use crate::demo::org::SEED;
use crate::demo::org::layout;
use crate::demo::org::person;
use crate::error::AppResult;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::EntityTrait;

/// Six months of real requests (TipDM 2020 texts, real handling times) replayed through the
/// same use cases as live work, so boards and rankings have content. The clock is set to each
/// moment in turn; events across orders are taken in time order, so the audit log stays in
/// order too. Returns the number of orders.
pub async fn seed_history(app: &App, progress: &(dyn Fn(u64, u64, &str) + Sync)) -> AppResult<u64> {
    use crate::store::entities::{department, user};
    use crate::work_orders::{self, ActionInput, NewOrder, Reporter};
    use chrono::{Duration, NaiveDateTime, Utc};
    use geo::Centroid;
    use jiceng_core::clock::ManualClock;
    use jiceng_core::work_order::{Action, Resolution, Satisfaction};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    use std::sync::Arc;

    const SAMPLE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/tipdm2020/messages_with_replies_sample.csv"
    ));
    let real_now = app.now();
    let clock = Arc::new(ManualClock::new(real_now - Duration::days(181)));
    let hist = app
        .with_clock(clock.clone())
        .with_wing(work_orders::intake_queue());
    let parse = |s: &str| NaiveDateTime::parse_from_str(s.trim(), "%Y/%m/%d %H:%M:%S").ok();
    let mut rows = Vec::new();
    let mut rdr = csv::Reader::from_reader(SAMPLE.as_bytes());
    for r in rdr.records().filter_map(Result::ok) {
        let (Some(subject), Some(asked), Some(body), Some(replied)) = (
            r.get(1),
            r.get(2).and_then(parse),
            r.get(3),
            r.get(4).and_then(parse),
        ) else {
            continue;
        };
        let took = (replied - asked).num_minutes().clamp(60, 20 * 24 * 60);
        rows.push((subject.to_string(), body.to_string(), took));
    }
    let grids: Vec<(String, geo::Point<f64>)> = layout()
        .into_iter()
        .flat_map(|v| v.grids)
        .filter_map(|g| Some((g.code.clone(), g.polygon.centroid()?)))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + 2);
    let users: std::collections::HashMap<String, user::Model> = user::Entity::find()
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|u| (u.username.clone(), u))
        .collect();
    let all_depts = department::Entity::find().all(&app.db.conn).await?;
    let kinds: std::collections::HashMap<i64, jiceng_core::department::DepartmentKind> =
        all_depts.iter().map(|d| (d.id, d.kind)).collect();
    let depts: std::collections::HashMap<i64, String> = all_depts
        .into_iter()
        .filter(|d| d.active)
        .map(|d| (d.id, d.code))
        .collect();
    let actor_of = |name: &str| -> Option<Actor> {
        let u = users.get(name)?;
        let kind = u.department_id.and_then(|d| kinds.get(&d).copied());
        auth::actor_from_user(u, kind, crate::kernel::actor::AuthVia::Token { id: 0 })
            .ok()
            .map(Actor::User)
    };
    let handler_of = |unit: i64| -> Option<Actor> {
        let code = depts.get(&unit)?;
        let name = match code.as_str() {
            "cgj" => "handler".to_string(),
            "scjgj" => "handler.scjg".to_string(),
            c if c.ends_with("-office") => format!("{}.handler", c.trim_end_matches("-office")),
            c => format!("handler.{c}"),
        };
        actor_of(&name)
    };
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
    enum Step {
        Create,
        Dispatch,
        Sign,
        Contact,
        Reply,
        Approve,
        Callback,
    }
    let n = rows.len() as u64;
    let span = Duration::days(180).num_minutes();
    let mut agenda: BinaryHeap<Reverse<(chrono::DateTime<Utc>, usize, Step)>> = BinaryHeap::new();
    let start = real_now - Duration::days(180);
    for i in 0..rows.len() {
        let at = start + Duration::minutes(span * i as i64 / n as i64 + rng.random_range(0..60));
        agenda.push(Reverse((at, i, Step::Create)));
    }
    let mut ids: Vec<Option<i64>> = vec![None; rows.len()];
    let mut reopened = vec![false; rows.len()];
    let mut done = 0u64;
    let operator = actor_of("operator");
    let dispatcher = actor_of("dispatcher");
    while let Some(Reverse((at, i, step))) = agenda.pop() {
        if at >= real_now {
            continue;
        }
        clock.set(at);
        let (subject, body, took) = &rows[i];
        let result: AppResult<Option<(Step, Duration)>> = async {
            match step {
                Step::Create => {
                    let (grid, p) = &grids[rng.random_range(0..grids.len())];
                    let anonymous = rng.random_bool(0.1);
                    let roll = rng.random_range(0..10);
                    let gw = format!(
                        "gw{:03}",
                        grids.iter().position(|g| &g.0 == grid).unwrap_or(0) + 1
                    );
                    let actor = match roll {
                        0..=5 => operator.clone(),
                        6 | 7 => actor_of(&gw),
                        _ => None,
                    };
                    let input = NewOrder {
                        title: Some(subject.chars().take(60).collect()),
                        description: body.chars().take(work_orders::MAX_DESCRIPTION).collect(),
                        lat: Some(p.y()),
                        lon: Some(p.x()),
                        priority: Some(
                            if rng.random_bool(0.05) {
                                "expedited"
                            } else {
                                "normal"
                            }
                            .into(),
                        ),
                        reporter: (!anonymous).then(|| Reporter {
                            name: person(&mut rng),
                            phone: format!("13{:09}", rng.random_range(0..1_000_000_000u64)),
                        }),
                        anonymous,
                        ..Default::default()
                    };
                    let o = work_orders::create(&hist, actor.as_ref(), input).await?;
                    ids[i] = Some(o.id);
                    let next = if o.status == "pending_dispatch" {
                        Step::Dispatch
                    } else {
                        Step::Sign
                    };
                    Ok(Some((next, Duration::minutes(rng.random_range(10..240)))))
                }
                _ => {
                    let id = ids[i].expect("created first");
                    let o = work_orders::get(&hist, &Actor::System("demo"), id).await?;
                    let lead = o.dispatch.lead.as_ref().map(|l| l.unit_id);
                    let (actor, input, next) = match step {
                        Step::Dispatch => {
                            let unit = depts
                                .iter()
                                .find(|(_, c)| c.as_str() == "zjj")
                                .map(|(id, _)| *id);
                            (
                                dispatcher.clone(),
                                ActionInput::new(Action::Dispatch).unit(unit),
                                Some((Step::Sign, Duration::minutes(rng.random_range(10..300)))),
                            )
                        }
                        Step::Sign => (
                            lead.and_then(handler_of),
                            ActionInput::new(Action::Sign),
                            Some((Step::Contact, Duration::minutes(rng.random_range(5..180)))),
                        ),
                        Step::Contact => (
                            lead.and_then(handler_of),
                            ActionInput::new(Action::Contact).note("已电话联系反映人"),
                            Some((Step::Reply, Duration::minutes(*took))),
                        ),
                        Step::Reply => (
                            lead.and_then(handler_of),
                            ActionInput::new(Action::Reply)
                                .note("经核实，已按规定处理，并向反映人作了说明。"),
                            Some((Step::Approve, Duration::minutes(rng.random_range(30..1440)))),
                        ),
                        Step::Approve => (
                            operator.clone(),
                            ActionInput::new(Action::ApproveReply),
                            Some((
                                Step::Callback,
                                Duration::minutes(rng.random_range(60..2880)),
                            )),
                        ),
                        Step::Callback => {
                            let roll = rng.random_range(0..100);
                            if roll < 8 && !reopened[i] {
                                reopened[i] = true;
                                (
                                    operator.clone(),
                                    ActionInput::new(Action::Reopen)
                                        .note("群众反映问题仍未解决")
                                        .satisfaction(Satisfaction::Dissatisfied),
                                    Some((
                                        Step::Reply,
                                        Duration::minutes(rng.random_range(600..4320)),
                                    )),
                                )
                            } else {
                                let (r, s) = if roll < 86 {
                                    (
                                        Resolution::Resolved,
                                        if rng.random_range(0..100) < 85 {
                                            Satisfaction::Satisfied
                                        } else {
                                            Satisfaction::BasicallySatisfied
                                        },
                                    )
                                } else {
                                    (
                                        Resolution::PartlyResolved,
                                        if rng.random_bool(0.6) {
                                            Satisfaction::BasicallySatisfied
                                        } else {
                                            Satisfaction::Dissatisfied
                                        },
                                    )
                                };
                                (
                                    operator.clone(),
                                    ActionInput::new(Action::CallbackClose).callback(r, s),
                                    None,
                                )
                            }
                        }
                        Step::Create => unreachable!("handled above"),
                    };
                    let Some(actor) = actor else { return Ok(None) };
                    work_orders::apply(&hist, &actor, id, input).await?;
                    Ok(next)
                }
            }
        }
        .await;
        match result {
            Ok(Some((next, after))) => agenda.push(Reverse((at + after, i, next))),
            Ok(None) => {}
            Err(e) => tracing::debug!(order = i, error = %e, "demo history step skipped"),
        }
        if step == Step::Create {
            done += 1;
            progress(done, n, subject);
        }
    }
    Ok(n)
}

/// The live scenario: a grid worker reports a blocked fire lane, due in two hours.
pub async fn live_fire_lane(app: &App) -> AppResult<String> {
    use crate::store::entities::user;
    use crate::work_orders::{self, NewOrder, Reporter};
    use sea_orm::{ColumnTrait, QueryFilter};
    let gw = user::Entity::find()
        .filter(user::Column::Username.eq("gw001"))
        .one(&app.db.conn)
        .await?
        .ok_or_else(|| crate::error::AppError::internal(anyhow::anyhow!("gw001 missing")))?;
    let actor = Actor::User(
        auth::actor_for(
            &app.db.conn,
            &gw,
            crate::kernel::actor::AuthVia::Token { id: 0 },
        )
        .await?,
    );
    let o = work_orders::create(
        app,
        Some(&actor),
        NewOrder {
            description:
                "文昌社区3号楼东侧消防通道被两辆私家车长期占用，消防车无法通行，物业劝说无效。"
                    .into(),
            lat: Some(29.8125),
            lon: Some(119.915),
            address: Some("城关街道文昌社区3号楼东侧".into()),
            priority: Some("urgent".into()),
            reporter: Some(Reporter {
                name: "网格员上报".into(),
                phone: "13800138000".into(),
            }),
            ..Default::default()
        },
    )
    .await?;
    Ok(o.tracking_code)
}
