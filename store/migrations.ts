// Forward-only schema migrations. An applied migration is never edited: its checksum is recorded and
// checked on every start. Every tenant table carries `namespace` (a namespace is a tenant).
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "ledger",
    sql: `
CREATE TABLE audit_events (
  id          bigserial PRIMARY KEY,
  namespace   text NOT NULL,
  kind        text NOT NULL,
  name        text NOT NULL,
  action      text NOT NULL,
  actor       text NOT NULL DEFAULT 'fixops-operator',
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_object ON audit_events (namespace, kind, name, at);

-- Raw reports, compressed, content-addressed per tenant.
CREATE TABLE reports (
  namespace   text NOT NULL,
  digest      text NOT NULL,
  format      text,
  size_bytes  bigint NOT NULL,
  body_gzip   bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, digest)
);

-- Normalised findings of one ScanResult (replaced as a whole on each re-ingest).
CREATE TABLE scan_findings (
  namespace        text NOT NULL,
  scan_result      text NOT NULL,
  report_digest    text NOT NULL,
  cluster_key      text NOT NULL,
  vulnerability_id text NOT NULL,
  aliases          text[] NOT NULL DEFAULT '{}',
  package_name     text,
  package_version  text,
  purl             text,
  severity         text NOT NULL,
  fixed_version    text,
  found_by         text[] NOT NULL DEFAULT '{}',
  risk_score       real,
  data             jsonb NOT NULL DEFAULT '{}'::jsonb,
  first_seen       timestamptz NOT NULL,
  last_seen        timestamptz NOT NULL,
  PRIMARY KEY (namespace, scan_result, cluster_key)
);
CREATE INDEX scan_findings_vuln ON scan_findings (namespace, vulnerability_id);

-- EPSS / KEV snapshots (global feeds, not tenant data).
CREATE TABLE feed_snapshots (
  feed        text NOT NULL,
  version     text NOT NULL,
  fetched_at  timestamptz NOT NULL DEFAULT now(),
  source      text NOT NULL,
  entries     bigint NOT NULL,
  body_gzip   bytea NOT NULL,
  PRIMARY KEY (feed, version)
);
`,
  },
  {
    version: 2,
    name: "remediation",
    sql: `
-- The remediation ledger. A task row is the authority for the task's state (the RemediationTask status
-- is its projection); every transition is also an audit_events row (kind 'RemediationTask').
CREATE TABLE remediation_tasks (
  namespace        text NOT NULL,
  name             text NOT NULL,
  uid              text,
  cluster_key      text NOT NULL,
  severity         text NOT NULL,
  state            text NOT NULL DEFAULT 'OPEN',
  sla_due_at       timestamptz,
  sla_source       text,
  sla_breached_at  timestamptz,
  retry_token      text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  resolved_at      timestamptz,
  PRIMARY KEY (namespace, name),
  CONSTRAINT remediation_tasks_state CHECK (state IN ('OPEN','ASSIGNED','IN_PROGRESS','VERIFICATION','RESOLVED','ACCEPTED_RISK','FALSE_POSITIVE'))
);
CREATE INDEX remediation_tasks_cluster ON remediation_tasks (namespace, cluster_key);

-- Work for ALMs, written in the same transaction as the task change that caused it.
CREATE TABLE outbox (
  id               bigserial PRIMARY KEY,
  namespace        text NOT NULL,
  task             text NOT NULL,
  integration      text NOT NULL,
  operation        text NOT NULL,
  payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
  idempotency_key  text NOT NULL,
  status           text NOT NULL DEFAULT 'pending',
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  claimed_until    timestamptz,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  CONSTRAINT outbox_status CHECK (status IN ('pending','delivered','dead')),
  CONSTRAINT outbox_operation CHECK (operation IN ('create','set_state','comment'))
);
-- One ticket-creating row per (task, integration), ever: a re-run reconcile cannot queue a second create.
CREATE UNIQUE INDEX outbox_one_create ON outbox (namespace, task, integration) WHERE operation = 'create';
CREATE UNIQUE INDEX outbox_idempotency ON outbox (namespace, idempotency_key);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_task ON outbox (namespace, task);

-- The ticket each task has in each Integration.
CREATE TABLE ticket_links (
  namespace        text NOT NULL,
  task             text NOT NULL,
  integration      text NOT NULL,
  ticket_ref       text NOT NULL,
  ticket_key       text NOT NULL,
  url              text NOT NULL,
  state            text NOT NULL,
  category         text NOT NULL,
  idempotency_key  text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  synced_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, task, integration)
);
CREATE INDEX ticket_links_ref ON ticket_links (namespace, integration, ticket_ref);
`,
  },
  {
    version: 3,
    name: "inbound-sync",
    sql: `
-- Every verified inbound ALM webhook, keyed by its delivery id: the primary key is the replay check (it
-- holds across replicas and restarts), and rows with processed_at NULL are the queue the leader applies.
CREATE TABLE inbound_deliveries (
  namespace       text NOT NULL,
  integration     text NOT NULL,
  delivery_id     text NOT NULL,
  provider        text NOT NULL,
  ticket_ref      text,
  category        text,
  self_inflicted  boolean NOT NULL DEFAULT false,
  event           jsonb NOT NULL DEFAULT '{}'::jsonb,
  received_at     timestamptz NOT NULL DEFAULT now(),
  claimed_until   timestamptz,
  attempts        integer NOT NULL DEFAULT 0,
  processed_at    timestamptz,
  outcome         text,
  PRIMARY KEY (namespace, integration, delivery_id)
);
CREATE INDEX inbound_deliveries_pending ON inbound_deliveries (received_at) WHERE processed_at IS NULL;

-- When each generation of a ScanResult was first analysed: "a newer scan" for verification (a re-decision
-- of an old scan, e.g. after a feed update, is not newer).
CREATE TABLE scan_generations (
  namespace          text NOT NULL,
  scan_result        text NOT NULL,
  generation         bigint NOT NULL,
  first_analysed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, scan_result, generation)
);
`,
  },
];
