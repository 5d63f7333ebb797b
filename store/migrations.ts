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
];
