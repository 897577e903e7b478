//! The notification outbox's delivery states.

coded!(
    /// Where a queued message stands.
    OutboxStatus {
        Pending = "pending" / "待发送",
        Sent = "sent" / "已发送",
        Dead = "dead" / "发送失败",
    }
);
