//! 待办: what an account must do now — by kind, with counts, sorted by deadline, paged with no
//! cap. Each kind is a query on indexed columns (status, the lead unit, the send-back and
//! extension flags, the escalation level), never a capped read filtered in memory. A handler
//! sees its unit's orders; the others see their area's.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::paging::PageParams;
use crate::store::entities::assignment;
use crate::store::entities::work_order;
use crate::work_orders::read::OrderView;
use jiceng_core::dispatch::AssignmentRole;
use jiceng_core::sla::Level;
use jiceng_core::work_order::State;
use jiceng_core::worklist::{Kind, kinds_for};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct KindCount {
    pub kind: &'static str,
    pub label: &'static str,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Worklist {
    /// Every kind the account works, with how many wait.
    pub kinds: Vec<KindCount>,
    /// The kind shown (the first with work when none was asked for).
    pub kind: Option<&'static str>,
    pub label: &'static str,
    pub items: Vec<OrderView>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// What a kind selects for the actor; `None` when the actor has no such work (a handler
/// without a unit).
fn condition(actor: &Actor, kind: Kind) -> Option<Condition> {
    let by_unit = match actor.role() {
        Some(r) => kind.by_unit(r),
        None => false,
    };
    if by_unit {
        let unit = match actor {
            Actor::User(u) => u.jurisdiction.department_id,
            Actor::System(_) => None,
        };
        return unit.map(|d| of_unit(kind, d));
    }
    Some(of_area(actor, kind))
}

/// States still being worked (not final: an order accepted but not yet routed counts too).
fn open() -> Condition {
    Condition::all()
        .add(work_order::Column::Status.is_in(State::ALL.into_iter().filter(|s| !s.is_final())))
}

/// A kind among the orders of unit `d`: those it leads (and has not sent back, which waits for
/// the dispatcher), or assists and has not answered.
fn of_unit(kind: Kind, d: i64) -> Condition {
    use work_order::Column as C;
    let lead = Condition::all()
        .add(C::LeadUnitId.eq(d))
        .add(C::SendBackPending.eq(false));
    let c = Condition::all();
    match kind {
        Kind::PendingSign => c.add(C::Status.eq(State::PendingSign)).add(lead),
        Kind::ToContact => c
            .add(C::Status.eq(State::InProgress))
            .add(C::ContactedAt.is_null())
            .add(lead),
        Kind::InProgress => c.add(C::Status.eq(State::InProgress)).add(lead),
        Kind::Returned => c
            .add(C::Status.eq(State::InProgress))
            .add(C::Returned.eq(true))
            .add(lead),
        Kind::AssistPending => {
            let mine = assignment::Entity::find()
                .select_only()
                .column(assignment::Column::OrderId)
                .filter(assignment::Column::UnitId.eq(d))
                .filter(assignment::Column::Role.eq(AssignmentRole::Assist))
                .filter(assignment::Column::Active.eq(true))
                .filter(assignment::Column::Reply.eq(""));
            c.add(C::Id.in_subquery(sea_orm::QueryTrait::into_query(mine)))
                .add(C::Status.is_in([State::PendingSign, State::InProgress]))
        }
        Kind::DueSoon => c.add(open()).add(C::Escalation.eq(Level::Yellow)).add(lead),
        Kind::Overdue => c.add(open()).add(C::Escalation.eq(Level::Red)).add(lead),
        Kind::Supervised => c
            .add(open())
            .add(C::Escalation.eq(Level::Supervised))
            .add(lead),
        Kind::PendingDispatch => c.add(C::Status.eq(State::PendingDispatch)).add(lead),
        Kind::SendBack => c.add(C::SendBackPending.eq(true)).add(C::LeadUnitId.eq(d)),
        Kind::Extension => c.add(C::ExtensionPending.eq(true)).add(lead),
        Kind::ReplyReview => c.add(C::Status.eq(State::Replied)).add(lead),
        Kind::Callback => c.add(C::Status.eq(State::PendingCallback)).add(lead),
    }
}

/// A kind among the orders of the actor's area.
fn of_area(actor: &Actor, kind: Kind) -> Condition {
    use work_order::Column as C;
    let c = match crate::work_orders::read::scope_condition(actor) {
        Some(scope) => Condition::all().add(scope),
        None => Condition::all(),
    };
    match kind {
        Kind::PendingDispatch => c.add(C::Status.eq(State::PendingDispatch)),
        Kind::SendBack => c.add(C::SendBackPending.eq(true)).add(open()),
        Kind::Extension => c.add(C::ExtensionPending.eq(true)).add(open()),
        Kind::ReplyReview => c.add(C::Status.eq(State::Replied)),
        Kind::Callback => c.add(C::Status.eq(State::PendingCallback)),
        Kind::DueSoon => c.add(open()).add(C::Escalation.eq(Level::Yellow)),
        Kind::Overdue => c.add(open()).add(C::Escalation.eq(Level::Red)),
        Kind::Supervised => c.add(open()).add(C::Escalation.eq(Level::Supervised)),
        Kind::PendingSign => c.add(C::Status.eq(State::PendingSign)),
        Kind::ToContact => c
            .add(C::Status.eq(State::InProgress))
            .add(C::ContactedAt.is_null()),
        Kind::InProgress => c.add(C::Status.eq(State::InProgress)),
        Kind::Returned => c
            .add(C::Status.eq(State::InProgress))
            .add(C::Returned.eq(true)),
        // Answering as an assisting unit is a unit's work: an area has none of it.
        Kind::AssistPending => c.add(C::Id.is_in(Vec::<i64>::new())),
    }
}

/// The deadline a kind is sorted by: the one it is about.
fn deadline(kind: Kind) -> work_order::Column {
    match kind {
        Kind::PendingSign => work_order::Column::SignBy,
        Kind::ToContact => work_order::Column::ContactBy,
        Kind::PendingDispatch => work_order::Column::CreatedAt,
        Kind::InProgress
        | Kind::Returned
        | Kind::AssistPending
        | Kind::DueSoon
        | Kind::SendBack
        | Kind::Extension
        | Kind::ReplyReview
        | Kind::Callback
        | Kind::Overdue
        | Kind::Supervised => work_order::Column::ResolveBy,
    }
}

/// The account's worklist: every kind with its count, and one page of `kind` (or of the first
/// kind with work), soonest deadline first.
pub async fn worklist(
    app: &App,
    actor: &Actor,
    kind: Option<&str>,
    page: PageParams,
) -> AppResult<Worklist> {
    let kinds: &[Kind] = match actor.role() {
        Some(r) => kinds_for(r),
        None => Kind::ALL,
    };
    let asked = match kind.map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(
            Kind::parse(k)
                .filter(|k| kinds.contains(k))
                .ok_or_else(|| {
                    AppError::field(
                        "kind",
                        Code::WorklistBadKind,
                        format!(
                            "待办类别应为：{}",
                            kinds
                                .iter()
                                .map(|k| k.label())
                                .collect::<Vec<_>>()
                                .join("、")
                        ),
                    )
                })?,
        ),
    };
    let mut counts = Vec::with_capacity(kinds.len());
    for &k in kinds {
        let count = match condition(actor, k) {
            Some(c) => {
                work_order::Entity::find()
                    .filter(c)
                    .count(&app.db.conn)
                    .await?
            }
            None => 0,
        };
        counts.push(KindCount {
            kind: k.code(),
            label: k.label(),
            count,
        });
    }
    let shown = asked.or_else(|| {
        kinds
            .iter()
            .zip(&counts)
            .find(|(_, c)| c.count > 0)
            .map(|(k, _)| *k)
            .or_else(|| kinds.first().copied())
    });
    let page = page.normalised();
    let (items, total) = match shown.and_then(|k| condition(actor, k).map(|c| (k, c))) {
        Some((k, c)) => {
            let col = deadline(k);
            // Soonest first, those without the deadline last, then the oldest.
            let q = work_order::Entity::find()
                .filter(c)
                .order_by_asc(Expr::col(col).is_null())
                .order_by_asc(col)
                .order_by_asc(work_order::Column::Id);
            let p = crate::work_orders::read::page_of(app, actor, q, page).await?;
            (p.items, p.total)
        }
        None => (Vec::new(), 0),
    };
    Ok(Worklist {
        kinds: counts,
        kind: shown.map(Kind::code),
        label: shown.map_or("", Kind::label),
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}
