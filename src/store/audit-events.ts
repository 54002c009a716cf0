import type { Queryable } from '../db/database.js';

/** What the audit trail records: who did what to which thing, when. */
export interface AuditEvent {
  readonly at: Date;
  /** 'api <address>', 'dicom <AE>@<address>', 'node' for what the node decided itself. */
  readonly actor: string;
  /** e.g. rule.saved, rule.deleted, job.retried, delivery.retried, association.rejected, instance.conflict */
  readonly action: string;
  readonly subject?: string;
  readonly detail?: Record<string, unknown>;
}

export interface AuditRow extends Required<Omit<AuditEvent, 'subject'>> {
  readonly id: number;
  readonly subject: string | null;
}

export async function recordAudit(db: Queryable, event: AuditEvent): Promise<void> {
  await db.query('INSERT INTO audit_events (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)', [
    event.at,
    event.actor,
    event.action,
    event.subject ?? null,
    JSON.stringify(event.detail ?? {}),
  ]);
}

/** Newest first, optionally one action only. */
export async function listAudit(db: Queryable, filter: { action?: string; limit: number; offset: number }): Promise<{ events: AuditRow[]; total: number }> {
  const action = filter.action ?? null;
  const { rows } = await db.query<AuditRow>(
    `SELECT id::int AS id, at, actor, action, subject, detail FROM audit_events
      WHERE ($1::text IS NULL OR action = $1) ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3`,
    [action, filter.limit, filter.offset],
  );
  const count = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM audit_events WHERE ($1::text IS NULL OR action = $1)', [action]);
  return { events: rows, total: count.rows[0]?.total ?? 0 };
}
