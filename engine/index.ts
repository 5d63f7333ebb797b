// The decision engine's public surface. Pure: no Kubernetes, database, network or clock access —
// callers pass text in and `now` as a value. Controllers, the admission webhook and the CLI import
// from here only.
export type {
  ArtifactRef,
  CvssRating,
  CvssVersion,
  Finding,
  FindingKind,
  FixState,
  InventoryPackage,
  PackageRef,
  ParsedReport,
  ReportedEpss,
  ScannerRef,
  SourceLocation,
  Suppression,
  VexStatement,
  VexStatus,
} from "./model.js";
export { SEVERITIES, earliestTimestamp, idKey, severityFromScore, severityFromWord, severityRank } from "./model.js";
export { CvssError, FeedParseError, ImageGlobError, ReportParseError, type ReportPlace } from "./errors.js";

export { parseReport, type ParseOptions } from "./formats/index.js";
export { MemorySource, type ByteSource } from "./formats/json.js";
export { detectFormat } from "./formats/detect.js";

export { chooseCvss, cvss2BaseScore, cvss3BaseScore, parseCvssVector, ratingScore, roundUp1, type CvssVector } from "./cvss.js";
export { decodeFeed, parseEpssCsv, parseKevCatalog, type FeedName, type EpssScore, type EpssSnapshot, type FeedSnapshots, type KevEntry, type KevSnapshot } from "./feeds.js";
export { packageIdentity, parsePurl, type Purl } from "./purl.js";

export {
  AliasIndex,
  FINGERPRINT_VERSION,
  STRATEGIES,
  correlateFindings,
  type CorrelateOptions,
  type Correlation,
  type CorrelationStats,
  type CorrelationStrategy,
  type FindingCluster,
  type PackageGroup,
  type StrategyName,
} from "./correlate.js";
export { explainRisk, fixAvailable, scoreArtifact, scoreFinding, type ArtifactRisk, type FindingRisk, type RiskContext, type RiskContribution, type RiskInput, type RuntimeContext } from "./risk.js";
export {
  ASSESSMENT_VERSION,
  DEFAULT_MAX_ASSESSED_FINDINGS,
  assessArtifact,
  assessScored,
  scoreAndAssess,
  scoreClusters,
  type ArtifactAssessment,
  type AssessedFinding,
  type AssessOptions,
  type AssessmentSummary,
  type OmittedBucket,
  type ScoredFinding,
  type SeverityCounts,
} from "./assess.js";
export { analyseReports, type AnalyseOptions, type Analysis } from "./analyse.js";

export { checkImageGlob, imageGlobToRegExp, imageMatchesRegExp, matchImageGlob } from "./glob.js";
export { parseImageRef, type ImageRef } from "./image-ref.js";
export {
  DEFAULT_GATE,
  compileException,
  compileGate,
  evaluateGates,
  gateSelects,
  matchesLabelSelector,
  type CompiledException,
  type CompiledGate,
  type ConfidenceFactor,
  type Decision,
  type EvaluationContext,
  type SlaBreach,
  type ExceptionInput,
  type GateInput,
  type GateVerdict,
  type RuleMatch,
  type TopFinding,
} from "./evaluate.js";
