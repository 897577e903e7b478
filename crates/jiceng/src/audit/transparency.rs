//! The audit log as a verifiable log: signed checkpoints (C2SP tlog-checkpoint, signed
//! notes), inclusion and consistency proofs, witness cosignatures, and the verifier that
//! recomputes everything from the stored entries.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::kernel::tree;
use crate::kernel::tree::entry_of;
use crate::store::Db;
use crate::store::entities::audit_checkpoint;
use crate::store::entities::audit_cosignature;
use crate::store::entities::audit_entry;
use crate::store::entities::region;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use jiceng_core::merkle::{self, Frontier, Hash};
use jiceng_core::note::{Checkpoint, NoteSigner, NoteVerifier};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

fn b64(h: &[u8]) -> String {
    B64.encode(h)
}

// ---------------------------------------------------------------------------------------------
// The signing key

/// Reads the signing key, or generates one named `origin` and writes it with mode 0600.
pub fn load_or_create_key(path: &Path, origin: &str) -> anyhow::Result<NoteSigner> {
    if path.exists() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("无法读取审计签名密钥 {}：{e}", path.display()))?;
        return NoteSigner::parse(&text)
            .map_err(|e| anyhow::anyhow!("审计签名密钥 {} 无效：{e}", path.display()));
    }
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
    let signer = NoteSigner::from_seed(origin, seed)
        .map_err(|e| anyhow::anyhow!("检查点来源名“{origin}”无效：{e}"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .map_err(|e| anyhow::anyhow!("无法写入审计签名密钥 {}：{e}", path.display()))?;
    std::io::Write::write_all(
        &mut f,
        format!("{}\n", signer.private_key_string()).as_bytes(),
    )?;
    tracing::info!(path = %path.display(), vkey = %signer.verifier().vkey(), "generated audit signing key");
    Ok(signer)
}

/// The checkpoint origin when the key is first made: configured, else the county's code.
async fn default_origin(app: &App) -> AppResult<String> {
    if let Some(o) = &app.config.audit_origin {
        return Ok(o.clone());
    }
    let county = region::Entity::find()
        .filter(region::Column::Level.eq("county"))
        .order_by_asc(region::Column::Code)
        .one(&app.db.conn)
        .await?;
    Ok(county.map(|c| c.code).unwrap_or_else(|| "jiceng".into()))
}

/// The log's signer, loaded or created on first use.
pub async fn signer(app: &App) -> AppResult<Arc<NoteSigner>> {
    let s = app
        .signer
        .get_or_try_init(|| async {
            let origin = default_origin(app).await?;
            let path = app.config.audit_key_path();
            tokio::task::spawn_blocking(move || load_or_create_key(&path, &origin).map(Arc::new))
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::internal)
        })
        .await?;
    Ok(s.clone())
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

/// Size of the committed log.
pub async fn log_size<C: ConnectionTrait>(db: &C) -> AppResult<u64> {
    let last = audit_entry::Entity::find()
        .order_by_desc(audit_entry::Column::Seq)
        .limit(1)
        .one(db)
        .await?;
    Ok(last.map(|e| e.seq as u64).unwrap_or(0))
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckpointView {
    pub tree_size: i64,
    pub root_hash: String,
    pub created_at: DateTime<Utc>,
    pub note: String,
    pub cosignatures: Vec<CosignatureView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CosignatureView {
    pub witness: String,
    pub signed_at: i64,
    pub line: String,
}

async fn view(db: &impl ConnectionTrait, m: audit_checkpoint::Model) -> AppResult<CheckpointView> {
    let cosignatures = audit_cosignature::Entity::find()
        .filter(audit_cosignature::Column::CheckpointId.eq(m.id))
        .order_by_asc(audit_cosignature::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| CosignatureView {
            witness: c.witness,
            signed_at: c.signed_at,
            line: c.line,
        })
        .collect();
    Ok(CheckpointView {
        tree_size: m.tree_size,
        root_hash: b64(&m.root_hash),
        created_at: m.created_at,
        note: m.note,
        cosignatures,
    })
}

impl CheckpointView {
    /// The note with the witnesses' cosignature lines appended: what a client verifies.
    pub fn cosigned_note(&self) -> String {
        let mut s = self.note.clone();
        for c in &self.cosignatures {
            s.push_str(&c.line);
        }
        s
    }
}

/// Signs a checkpoint of the log as it is now, unless the latest already covers it.
pub async fn checkpoint_now(app: &App) -> AppResult<CheckpointView> {
    let signer = signer(app).await?;
    let size = log_size(&app.db.conn).await?;
    if size == 0 {
        return Err(AppError::new(
            Code::AuditEmpty,
            "审计日志还是空的，没有可签名的内容",
        ));
    }
    if let Some(latest) = latest_model(&app.db.conn).await?
        && latest.tree_size as u64 >= size
    {
        return view(&app.db.conn, latest).await;
    }
    let root =
        tree::with_nodes(&app.db.conn, &app.tree_cache, |src| merkle::root(src, size)).await?;
    let body = Checkpoint {
        origin: signer.name().to_string(),
        size,
        root,
    }
    .body();
    let note = signer.sign(&body);
    let m = audit_checkpoint::ActiveModel {
        tree_size: Set(size as i64),
        root_hash: Set(root.to_vec()),
        note: Set(note),
        created_at: Set(app.now()),
        ..Default::default()
    };
    match m.insert(&app.db.conn).await {
        Ok(m) => view(&app.db.conn, m).await,
        // Another node signed the same size first: theirs stands.
        Err(_) => {
            let m = audit_checkpoint::Entity::find()
                .filter(audit_checkpoint::Column::TreeSize.eq(size as i64))
                .one(&app.db.conn)
                .await?
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("checkpoint insert failed")))?;
            view(&app.db.conn, m).await
        }
    }
}

async fn latest_model(db: &impl ConnectionTrait) -> AppResult<Option<audit_checkpoint::Model>> {
    Ok(audit_checkpoint::Entity::find()
        .order_by_desc(audit_checkpoint::Column::TreeSize)
        .limit(1)
        .one(db)
        .await?)
}

pub async fn latest_checkpoint(app: &App) -> AppResult<CheckpointView> {
    let m = latest_model(&app.db.conn)
        .await?
        .ok_or_else(|| AppError::new(Code::AuditNoCheckpoint, "还没有签名的检查点"))?;
    view(&app.db.conn, m).await
}

pub async fn checkpoint_history(
    app: &App,
    page: crate::kernel::paging::PageParams,
) -> AppResult<crate::kernel::paging::Page<CheckpointView>> {
    let page = page.normalised();
    let q = audit_checkpoint::Entity::find();
    let total = q.clone().count(&app.db.conn).await?;
    let mut items = Vec::new();
    for m in q
        .order_by_desc(audit_checkpoint::Column::TreeSize)
        .offset(page.offset())
        .limit(page.per_page)
        .all(&app.db.conn)
        .await?
    {
        items.push(view(&app.db.conn, m).await?);
    }
    Ok(crate::kernel::paging::Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Signs a checkpoint every `checkpoint_interval_seconds` while the log grows, and extends
/// the leaf-hash index.
pub async fn run_checkpointer(app: App, mut shutdown: crate::kernel::jobs::Shutdown) {
    let every = std::time::Duration::from_secs(app.config.checkpoint_interval_seconds);
    while crate::kernel::jobs::wait(&mut shutdown, every, None).await {
        let tick =
            crate::kernel::jobs::with_lease(&app, "checkpoint_signer", || checkpoint_tick(&app));
        if let Err(e) = tick.await {
            tracing::warn!(error = %e, "checkpoint lease failed");
        }
    }
}

/// One tick of the checkpoint signer: a checkpoint when the log grew, then the leaf-hash
/// index caught up.
#[tracing::instrument(skip_all, name = "job.checkpoint_signer")]
async fn checkpoint_tick(app: &App) {
    let grown = match (
        log_size(&app.db.conn).await,
        latest_model(&app.db.conn).await,
    ) {
        (Ok(size), Ok(latest)) => size > latest.map(|l| l.tree_size as u64).unwrap_or(0),
        _ => false,
    };
    if grown && let Err(e) = checkpoint_now(app).await {
        tracing::warn!(error = %e, "checkpoint failed");
    }
    // Keep the leaf-hash index close behind the log.
    while let Ok(n) = tree::index_leaf_hashes(&app.db, 50_000).await {
        if n == 0 {
            break;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Witnesses

/// Stores a witness's cosignature of a checkpoint after checking it against the configured
/// witness keys.
pub async fn add_cosignature(app: &App, tree_size: u64, line: &str) -> AppResult<CosignatureView> {
    let cp = audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::TreeSize.eq(tree_size as i64))
        .one(&app.db.conn)
        .await?
        .ok_or_else(|| AppError::new(Code::AuditNoCheckpoint, "没有这个大小的检查点"))?;
    let body = jiceng_core::note::parse_note(&cp.note)
        .map_err(AppError::internal)?
        .body
        .to_string();
    let line = format!("{}\n", line.trim_end_matches('\n'));
    let mut known = false;
    for w in &app.config.witnesses {
        let v = NoteVerifier::parse(w).map_err(AppError::internal)?;
        if !line.starts_with(&format!("\u{2014} {} ", v.name())) {
            continue;
        }
        known = true;
        if let Ok(signed_at) = v.verify_cosignature(&body, &line) {
            let txn = app.db.begin_write().await?;
            let exists = audit_cosignature::Entity::find()
                .filter(audit_cosignature::Column::CheckpointId.eq(cp.id))
                .filter(audit_cosignature::Column::Witness.eq(v.name()))
                .one(&txn)
                .await?;
            if exists.is_none() {
                audit_cosignature::ActiveModel {
                    checkpoint_id: Set(cp.id),
                    witness: Set(v.name().to_string()),
                    signed_at: Set(signed_at as i64),
                    line: Set(line.clone()),
                    received_at: Set(app.now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                let ev = Event::new("audit.cosigned", "audit_checkpoint", tree_size.to_string());
                audit::record(&txn, app.now(), &format!("witness:{}", v.name()), ev).await?;
            }
            txn.commit().await?;
            return Ok(CosignatureView {
                witness: v.name().to_string(),
                signed_at: signed_at as i64,
                line,
            });
        }
    }
    if known {
        Err(AppError::new(Code::AuditBadCosignature, "联署签名无效"))
    } else {
        Err(AppError::new(
            Code::AuditUnknownWitness,
            "不是已配置的见证方",
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Proofs

#[derive(Debug, Serialize)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    pub leaf_hash: String,
    pub root_hash: String,
    pub proof: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ConsistencyProof {
    pub first: u64,
    pub second: u64,
    pub first_root: String,
    pub second_root: String,
    pub proof: Vec<String>,
}

fn bad_proof_request(message: impl Into<String>) -> AppError {
    AppError::new(Code::AuditBadProofRequest, message)
}

/// The inclusion proof of leaf `index` in the tree of `tree_size` (default: the whole log).
pub async fn inclusion(app: &App, index: u64, tree_size: Option<u64>) -> AppResult<InclusionProof> {
    let size = log_size(&app.db.conn).await?;
    let n = tree_size.unwrap_or(size);
    if n > size {
        return Err(bad_proof_request(format!(
            "tree_size 不能超过当前日志大小 {size}"
        )));
    }
    if index >= n {
        return Err(bad_proof_request(format!(
            "index 必须小于 tree_size（{n}）"
        )));
    }
    let (leaf, root, proof) = tree::with_nodes(&app.db.conn, &app.tree_cache, |src| {
        (
            src.node(0, index),
            merkle::root(src, n),
            merkle::inclusion_proof(src, index, n).unwrap_or_default(),
        )
    })
    .await?;
    Ok(InclusionProof {
        leaf_index: index,
        tree_size: n,
        leaf_hash: b64(&leaf),
        root_hash: b64(&root),
        proof: proof.iter().map(|h| b64(h)).collect(),
    })
}

pub async fn inclusion_by_hash(
    app: &App,
    leaf_hash: &str,
    tree_size: Option<u64>,
) -> AppResult<InclusionProof> {
    let hash: Hash = B64
        .decode(leaf_hash.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad_proof_request("leaf_hash 必须是32字节哈希的 base64"))?;
    let index = tree::find_leaf(&app.db.conn, &hash)
        .await?
        .ok_or_else(|| AppError::new(Code::AuditLeafNotFound, "日志中没有这个叶子哈希"))?;
    inclusion(app, index, tree_size).await
}

pub async fn consistency(app: &App, first: u64, second: u64) -> AppResult<ConsistencyProof> {
    let size = log_size(&app.db.conn).await?;
    if first == 0 || first > second || second > size {
        return Err(bad_proof_request(format!(
            "需要 0 < first ≤ second ≤ 当前日志大小 {size}"
        )));
    }
    let (r1, r2, proof) = tree::with_nodes(&app.db.conn, &app.tree_cache, |src| {
        (
            merkle::root(src, first),
            merkle::root(src, second),
            merkle::consistency_proof(src, first, second).unwrap_or_default(),
        )
    })
    .await?;
    Ok(ConsistencyProof {
        first,
        second,
        first_root: b64(&r1),
        second_root: b64(&r2),
        proof: proof.iter().map(|h| b64(h)).collect(),
    })
}

#[derive(Debug, Serialize)]
pub struct LeafView {
    pub index: u64,
    pub leaf_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<crate::audit::read::AuditView>,
}

pub const MAX_LEAVES: u64 = 1000;

/// Leaf hashes `[start, end)`; the entries themselves only for those who may read the log.
pub async fn leaves(
    app: &App,
    actor: Option<&Actor>,
    start: u64,
    end: u64,
) -> AppResult<Vec<LeafView>> {
    if start >= end || end - start > MAX_LEAVES {
        return Err(bad_proof_request(format!(
            "需要 start < end，且一次最多 {MAX_LEAVES} 个叶子"
        )));
    }
    let hashes = tree::leaves(&app.db.conn, start, end).await?;
    let with_entries = actor.is_some_and(Actor::reads_audit_log);
    let mut entries = std::collections::HashMap::new();
    if with_entries {
        for m in audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.gt(start as i64))
            .filter(audit_entry::Column::Seq.lte(end as i64))
            .all(&app.db.conn)
            .await?
        {
            entries.insert(m.seq as u64 - 1, crate::audit::read::AuditView::from(m));
        }
    }
    Ok(hashes
        .into_iter()
        .map(|(i, h)| LeafView {
            index: i,
            leaf_hash: b64(&h),
            entry: entries.remove(&i),
        })
        .collect())
}

/// Checks an inclusion proof against a signed checkpoint note, as any client would.
pub fn check_inclusion(key: &NoteVerifier, note: &str, p: &InclusionProof) -> Result<(), String> {
    let body = key.verify_note(note).map_err(|e| e.to_string())?;
    let cp = Checkpoint::parse(body).map_err(|e| e.to_string())?;
    let decode = |s: &str| B64.decode(s).ok().and_then(|b| <Hash>::try_from(b).ok());
    let leaf = decode(&p.leaf_hash).ok_or("叶子哈希格式不正确")?;
    let proof = p
        .proof
        .iter()
        .map(|h| decode(h))
        .collect::<Option<Vec<_>>>()
        .ok_or("证明路径格式不正确")?;
    if cp.size != p.tree_size {
        return Err("证明的树大小与检查点不同".into());
    }
    merkle::verify_inclusion(p.leaf_index, p.tree_size, &leaf, &proof, &cp.root)
        .map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Verification

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub entries: u64,
    pub root_hash: String,
    pub checkpoints_checked: u64,
    pub latest_checkpoint: Option<u64>,
    /// The first problem found, naming the entry.
    pub problem: Option<String>,
}

impl VerifyReport {
    pub fn summary(&self) -> String {
        match &self.problem {
            None => format!(
                "审计日志验证通过：{}条记录，根哈希 {}，与{}个签名检查点一致",
                self.entries, self.root_hash, self.checkpoints_checked
            ),
            Some(p) => format!("审计日志验证失败：{p}"),
        }
    }
}

/// Recomputes every leaf from the stored entries, rebuilds the root, and checks it against
/// every signed checkpoint (signatures by `key`) and, when given, an older saved checkpoint
/// note. Reports the first bad entry.
pub async fn verify(db: &Db, key: &NoteVerifier, saved: Option<&str>) -> AppResult<VerifyReport> {
    let mut problem: Option<String> = None;
    let note = |p: String, problem: &mut Option<String>| {
        if problem.is_none() {
            *problem = Some(p);
        }
    };
    // Signed checkpoints, smallest first; each must carry a valid signature.
    let mut checkpoints: Vec<(u64, Hash)> = Vec::new();
    let all = audit_checkpoint::Entity::find()
        .order_by_asc(audit_checkpoint::Column::TreeSize)
        .all(&db.conn)
        .await?;
    for cp in &all {
        match key.verify_note(&cp.note).map(Checkpoint::parse) {
            Ok(Ok(c)) if c.size == cp.tree_size as u64 => checkpoints.push((c.size, c.root)),
            _ => note(
                format!("大小为{}的检查点签名无效或内容被改动", cp.tree_size),
                &mut problem,
            ),
        }
    }
    let mut saved_cp: Option<Checkpoint> = None;
    if let Some(text) = saved {
        match key.verify_note(text).map(Checkpoint::parse) {
            Ok(Ok(c)) => saved_cp = Some(c),
            _ => note(
                "给定的检查点签名无效（不是本日志的密钥签的，或内容被改动）".into(),
                &mut problem,
            ),
        }
    }
    let latest = checkpoints.last().map(|c| c.0);
    let mut frontier = Frontier::new();
    let mut roots_at: std::collections::HashMap<u64, Hash> = std::collections::HashMap::new();
    let wanted: std::collections::HashSet<u64> = checkpoints
        .iter()
        .map(|c| c.0)
        .chain(saved_cp.as_ref().map(|c| c.size))
        .collect();
    let mut last_seq = 0i64;
    const PAGE: u64 = 20_000;
    loop {
        let rows = audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.gt(last_seq))
            .order_by_asc(audit_entry::Column::Seq)
            .limit(PAGE)
            .all(&db.conn)
            .await?;
        let Some(last) = rows.last() else { break };
        let first_index = frontier.size();
        let stored = tree::leaves(
            &db.conn,
            first_index,
            first_index + rows.len() as u64 + (last.seq - last_seq) as u64,
        )
        .await?;
        let stored: std::collections::HashMap<u64, Hash> = stored.into_iter().collect();
        for m in &rows {
            let expected = frontier.size() + 1;
            if m.seq as u64 != expected {
                note(
                    format!(
                        "缺少第{expected}条审计记录（被删除？），其后是第{}条",
                        m.seq
                    ),
                    &mut problem,
                );
            }
            let leaf = entry_of(m).leaf_hash();
            match stored.get(&(m.seq as u64 - 1)) {
                Some(h) if *h == leaf => {}
                Some(_) => note(
                    format!(
                        "第{}条审计记录与默克尔树中的叶子不符（被修改、调换或冒充？）",
                        m.seq
                    ),
                    &mut problem,
                ),
                None => note(
                    format!("第{}条审计记录不在默克尔树中（被插入？）", m.seq),
                    &mut problem,
                ),
            }
            frontier.push(leaf);
            if wanted.contains(&frontier.size()) {
                roots_at.insert(frontier.size(), frontier.root());
            }
        }
        last_seq = last.seq;
        if (rows.len() as u64) < PAGE {
            break;
        }
    }
    let entries = frontier.size();
    let mut checked = 0;
    for (size, root) in &checkpoints {
        match roots_at.get(size) {
            Some(r) if r == root => checked += 1,
            Some(_) => note(
                format!(
                    "签名检查点（大小{size}）的根哈希与重新计算的不符：前{size}条记录中有被改动的"
                ),
                &mut problem,
            ),
            None => note(
                format!("签名检查点记录了{size}条，数据库只有{entries}条（记录被删除？）"),
                &mut problem,
            ),
        }
    }
    if let Some(c) = &saved_cp {
        match roots_at.get(&c.size) {
            Some(r) if *r == c.root => {
                // Prove it the way an outside witness would: a consistency proof from the stored tree.
                if c.size < entries && c.size > 0 {
                    let (proof, r2) = tree::with_nodes(&db.conn, &Default::default(), |src| {
                        (
                            merkle::consistency_proof(src, c.size, entries).unwrap_or_default(),
                            merkle::root(src, entries),
                        )
                    })
                    .await?;
                    if merkle::verify_consistency(
                        c.size,
                        entries,
                        &c.root,
                        &frontier.root(),
                        &proof,
                    )
                    .is_err()
                        || r2 != frontier.root()
                    {
                        note(
                            "存储的默克尔树无法证明与给定检查点一致（树节点被改动？）".into(),
                            &mut problem,
                        );
                    }
                }
                checked += 1;
            }
            Some(_) => note(
                format!(
                    "给定检查点（大小{}）与现在的日志不一致：前{}条记录中有被改动的",
                    c.size, c.size
                ),
                &mut problem,
            ),
            None => note(
                format!(
                    "给定检查点记录了{}条，数据库只有{entries}条（记录被删除？）",
                    c.size
                ),
                &mut problem,
            ),
        }
    }
    if latest.is_none() && saved_cp.is_none() && entries > 0 {
        note(
            "还没有签名的检查点，无法确认日志未被改动".into(),
            &mut problem,
        );
    }
    Ok(VerifyReport {
        ok: problem.is_none(),
        entries,
        root_hash: b64(&frontier.root()),
        checkpoints_checked: checked,
        latest_checkpoint: latest,
        problem,
    })
}

/// Runs the verifier from the web (auditors and admins) and records its result in the log.
pub async fn verify_and_record(app: &App, actor: &Actor) -> AppResult<VerifyReport> {
    if !actor.reads_audit_log() {
        return Err(audit::deny(app, actor, "audit.verify", "audit_log", "").await);
    }
    let key = signer(app).await?.verifier();
    let report = verify(&app.db, &key, None).await?;
    let ev = Event::new("audit.verify", "audit_log", report.entries.to_string())
        .reason(report.summary());
    audit::record_alone(app, &actor.audit_name(), ev).await?;
    Ok(report)
}

/// The result of the most recent verification recorded in the log.
pub async fn last_verification(app: &App) -> AppResult<Option<(DateTime<Utc>, String, String)>> {
    let m = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("audit.verify"))
        .order_by_desc(audit_entry::Column::Seq)
        .limit(1)
        .one(&app.db.conn)
        .await?;
    Ok(m.map(|m| (m.time, m.actor, m.reason)))
}
