//! The tamper-evident audit log: signed checkpoints, proofs over HTTP, witnesses, and the
//! offline verifier catching edits, deletions, swaps and insertions.

use crate::helpers::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use jiceng_core::merkle::{self, Hash};
use jiceng_core::note::{Checkpoint, NoteSigner, NoteVerifier};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn hash(v: &Value) -> Hash {
    B64.decode(v.as_str().unwrap()).unwrap().try_into().unwrap()
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(hash).collect()
}

async fn text(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = reqwest::get(app.url(path)).await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn sign_checkpoint(app: &TestApp, auditor: &str) -> Value {
    let (s, cp) = app
        .call(
            Method::POST,
            "/api/v1/audit/checkpoint",
            Some(auditor),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cp}");
    cp
}

#[tokio::test]
async fn checkpoints_are_signed_and_every_proof_checks_out_against_them() {
    let app = TestApp::spawn().await;
    let auditor = app.token("auditor").await;
    let (s, b) = text(&app, "/api/v1/audit/checkpoint").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");

    let first = sign_checkpoint(&app, &auditor).await;
    let (_, vkey) = text(&app, "/api/v1/audit/key").await;
    let key = NoteVerifier::parse(&vkey).unwrap();
    assert_eq!(
        key.name(),
        "339901000000",
        "origin defaults to the county code"
    );
    let (s, note) = text(&app, "/api/v1/audit/checkpoint").await;
    assert_eq!(s, StatusCode::OK);
    let cp1 = Checkpoint::parse(key.verify_note(&note).unwrap()).unwrap();
    assert_eq!(cp1.origin, "339901000000");
    assert_eq!(cp1.size, first["tree_size"].as_u64().unwrap());
    // The key file is private to the server.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.data_dir.join("audit-signing.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Every leaf is included; the leaf hash is the canonical entry's.
    for i in [0, 1, cp1.size / 2, cp1.size - 1] {
        let (s, p) = app
            .call(
                Method::GET,
                &format!(
                    "/api/v1/audit/proof/inclusion?index={i}&tree_size={}",
                    cp1.size
                ),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{p}");
        merkle::verify_inclusion(
            i,
            cp1.size,
            &hash(&p["leaf_hash"]),
            &hashes(&p["proof"]),
            &cp1.root,
        )
        .unwrap();
        let (_, by_hash) = app
            .call(
                Method::GET,
                &format!(
                    "/api/v1/audit/proof/inclusion?leaf_hash={}&tree_size={}",
                    urlencode(p["leaf_hash"].as_str().unwrap()),
                    cp1.size
                ),
                None,
                None,
            )
            .await;
        assert_eq!(by_hash["leaf_index"], i);
    }
    // Found both before the leaf-hash index catches up (from the tail) and after.
    while jiceng::kernel::tree::index_leaf_hashes(&app.app.db, 100)
        .await
        .unwrap()
        > 0
    {}
    let (_, p) = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/audit/proof/inclusion?index=7&tree_size={}",
                cp1.size
            ),
            None,
            None,
        )
        .await;
    let (_, by_hash) = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/audit/proof/inclusion?leaf_hash={}",
                urlencode(p["leaf_hash"].as_str().unwrap())
            ),
            None,
            None,
        )
        .await;
    assert_eq!(by_hash["leaf_index"], 7);
    let unknown = B64.encode([7u8; 32]);
    let (s, b) = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/audit/proof/inclusion?leaf_hash={}",
                urlencode(&unknown)
            ),
            None,
            None,
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::NOT_FOUND, "audit.leaf_not_found")
    );
    let row = jiceng::audit::read::get(&app.app, &jiceng::kernel::actor::Actor::System("test"), 3)
        .await
        .unwrap();
    let (_, leaves) = app
        .call(
            Method::GET,
            "/api/v1/audit/leaves?start=2&end=3",
            None,
            None,
        )
        .await;
    assert!(
        leaves["leaves"][0]["entry"].is_null(),
        "no entry content for the public"
    );
    let (_, leaves) = app
        .call(
            Method::GET,
            "/api/v1/audit/leaves?start=2&end=3",
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(leaves["leaves"][0]["entry"]["action"], row.action);

    // The log grows; the new checkpoint is consistent with the old one.
    let admin = app.token("admin").await;
    app.call(
        Method::POST,
        "/api/v1/regions",
        Some(&admin),
        Some(json!({"code": "339901001080", "name": "扩展社区"})),
    )
    .await;
    let second = sign_checkpoint(&app, &auditor).await;
    let n2 = second["tree_size"].as_u64().unwrap();
    assert!(n2 > cp1.size);
    let (_, note2) = text(&app, "/api/v1/audit/checkpoint").await;
    let cp2 = Checkpoint::parse(key.verify_note(&note2).unwrap()).unwrap();
    let (s, c) = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/audit/proof/consistency?first={}&second={n2}",
                cp1.size
            ),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    merkle::verify_consistency(cp1.size, n2, &cp1.root, &cp2.root, &hashes(&c["proof"])).unwrap();
    let (_, history) = app
        .call(Method::GET, "/api/v1/audit/checkpoints", None, None)
        .await;
    assert_eq!(history["total"], 2);

    // Nonsense is refused with codes.
    for path in [
        format!("/api/v1/audit/proof/inclusion?index={n2}&tree_size={n2}"),
        format!(
            "/api/v1/audit/proof/inclusion?index=0&tree_size={}",
            n2 + 100
        ),
        "/api/v1/audit/proof/consistency?first=0&second=3".to_string(),
        "/api/v1/audit/proof/consistency?first=5&second=3".to_string(),
        "/api/v1/audit/leaves?start=0&end=5000".to_string(),
        "/api/v1/audit/proof/inclusion?leaf_hash=abc".to_string(),
    ] {
        let (s, b) = app.call(Method::GET, &path, None, None).await;
        assert_eq!(
            (s, b["code"].as_str().unwrap()),
            (StatusCode::BAD_REQUEST, "audit.bad_proof_request"),
            "{path}"
        );
    }
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/audit/checkpoint",
            Some(&app.token("operator").await),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn witnesses_cosign_checkpoints_and_strangers_cannot() {
    let witness = NoteSigner::from_seed("discipline.example", [4u8; 32]).unwrap();
    let app = TestApp::spawn_with(Options {
        witnesses: vec![witness.cosignature_verifier().vkey()],
        ..Default::default()
    })
    .await;
    let auditor = app.token("auditor").await;
    let cp = sign_checkpoint(&app, &auditor).await;
    let size = cp["tree_size"].as_u64().unwrap();
    let body = jiceng_core::note::parse_note(cp["note"].as_str().unwrap())
        .unwrap()
        .body
        .to_string();
    let line = witness.cosign(&body, 1_800_000_000);
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/audit/cosignatures",
            None,
            Some(json!({"tree_size": size, "cosignature": line})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["signed_at"], 1_800_000_000i64);
    // The served checkpoint carries the cosignature and still verifies for both keys.
    let (_, note) = text(&app, "/api/v1/audit/checkpoint").await;
    let (_, vkey) = text(&app, "/api/v1/audit/key").await;
    NoteVerifier::parse(&vkey)
        .unwrap()
        .verify_note(&note)
        .unwrap();
    let cosig_line = note
        .lines()
        .find(|l| l.contains("discipline.example"))
        .unwrap();
    assert_eq!(
        witness
            .cosignature_verifier()
            .verify_cosignature(&body, cosig_line),
        Ok(1_800_000_000)
    );

    let forged = witness.cosign(
        &body.replace(&format!("\n{size}\n"), &format!("\n{}\n", size + 1)),
        1,
    );
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/audit/cosignatures",
            None,
            Some(json!({"tree_size": size, "cosignature": forged})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::UNPROCESSABLE_ENTITY, "audit.bad_cosignature")
    );
    let stranger = NoteSigner::from_seed("stranger.example", [5u8; 32]).unwrap();
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/audit/cosignatures",
            None,
            Some(json!({"tree_size": size, "cosignature": stranger.cosign(&body, 1)})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::FORBIDDEN, "audit.unknown_witness")
    );
    let (_, history) = app
        .call(Method::GET, "/api/v1/audit/checkpoints", None, None)
        .await;
    assert_eq!(
        history["items"][0]["cosignatures"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Runs `jiceng audit verify` against the test's database; returns (success, output).
fn verify_cli(app: &TestApp, checkpoint: Option<&std::path::Path>) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_jiceng"));
    cmd.args(["audit", "verify", "--database", &app.db_url])
        .env("JICENG_DATA_DIR", &app.data_dir)
        .env_remove("JICENG_DATABASE_URL");
    if let Some(p) = checkpoint {
        cmd.arg("--checkpoint").arg(p);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn tampered(sql: &str, seq_word: &str) {
    let app = TestApp::spawn().await;
    let auditor = app.token("auditor").await;
    sign_checkpoint(&app, &auditor).await;
    let (ok, out) = verify_cli(&app, None);
    assert!(ok, "untouched log passes: {out}");
    use sea_orm::ConnectionTrait;
    for stmt in sql.split(';').filter(|s| !s.trim().is_empty()) {
        app.app.db.conn.execute_unprepared(stmt).await.unwrap();
    }
    let (ok, out) = verify_cli(&app, None);
    assert!(!ok, "tampering goes unnoticed: {sql}: {out}");
    assert!(out.contains(seq_word), "{sql}: {out}");
}

#[tokio::test]
async fn verify_names_an_edited_entry() {
    tampered(
        "UPDATE audit_log SET reason = 'forged' WHERE seq = 10",
        "第10条审计记录与默克尔树中的叶子不符",
    )
    .await;
}

#[tokio::test]
async fn verify_names_a_deleted_entry() {
    tampered("DELETE FROM audit_log WHERE seq = 10", "缺少第10条审计记录").await;
}

#[tokio::test]
async fn verify_names_swapped_entries() {
    tampered(
        "UPDATE audit_log SET seq = -1 WHERE seq = 10; UPDATE audit_log SET seq = 10 WHERE seq = 11; UPDATE audit_log SET seq = 11 WHERE seq = -1",
        "第10条审计记录与默克尔树中的叶子不符",
    )
    .await;
}

#[tokio::test]
async fn verify_names_an_inserted_entry() {
    let app = TestApp::spawn().await;
    let auditor = app.token("auditor").await;
    sign_checkpoint(&app, &auditor).await;
    let n = jiceng::audit::transparency::log_size(&app.app.db.conn)
        .await
        .unwrap();
    use jiceng::store::entities::audit_entry;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        seq: Set(n as i64 + 1),
        time: Set(chrono::Utc::now()),
        actor: Set("user:admin".into()),
        action: Set("region.delete".into()),
        entity_type: Set("region".into()),
        entity_id: Set("339901001001".into()),
        state_digest: Set(None),
        reason: Set(String::new()),
    })
    .exec_without_returning(&app.app.db.conn)
    .await
    .unwrap();
    let (ok, out) = verify_cli(&app, None);
    assert!(!ok);
    assert!(
        out.contains(&format!("第{}条审计记录不在默克尔树中", n + 1)),
        "{out}"
    );
}

#[tokio::test]
async fn a_saved_checkpoint_proves_the_log_was_only_appended_to() {
    let app = TestApp::spawn().await;
    let auditor = app.token("auditor").await;
    sign_checkpoint(&app, &auditor).await;
    let (_, note) = text(&app, "/api/v1/audit/checkpoint").await;
    let saved = app.data_dir.join("witness-copy.txt");
    std::fs::write(&saved, &note).unwrap();
    let admin = app.token("admin").await;
    app.call(
        Method::POST,
        "/api/v1/regions",
        Some(&admin),
        Some(json!({"code": "339901001081", "name": "后来社区"})),
    )
    .await;
    sign_checkpoint(&app, &auditor).await;
    let (ok, out) = verify_cli(&app, Some(&saved));
    assert!(ok, "{out}");
    // Rewriting history and re-signing cannot fool the holder of the old checkpoint.
    let forged = note.replacen("\n", "\n9", 1);
    std::fs::write(&saved, forged).unwrap();
    let (ok, out) = verify_cli(&app, Some(&saved));
    assert!(!ok && out.contains("签名无效"), "{out}");
}

#[tokio::test]
async fn auditors_see_the_log_status_and_check_an_entry_proof() {
    let app = TestApp::spawn().await;
    let s = app.browser_session("auditor").await;
    sign_checkpoint(&app, &app.token("auditor").await).await;
    let (status, html) = s.page("/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("存证状态") && html.contains("最新签名检查点"));
    let (status, _) = s.post_form("/audit/verify", &[("csrf", &s.csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = s.page("/audit").await;
    assert!(html.contains("审计日志验证通过"), "last result shown");
    let (status, html) = s.page("/audit/entries/5").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("通过：检查点签名有效"), "server check");
    assert!(html.contains("id=\"proof-check\""));
    let (status, html) = s.page("/audit/checkpoints").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("检查点历史"));
    let leader = app.browser_session("leader").await;
    let (status, _) = leader.page("/audit/entries/5").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
