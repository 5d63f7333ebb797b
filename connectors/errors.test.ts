import { describe, expect, it } from "@jest/globals";
import { AuthError, ConnectorError, NotFoundError, parseRetryAfter, RateLimitedError, SsrfBlockedError, TerminalError, TransientError } from "./errors.js";

describe("parseRetryAfter", () => {
  const now = new Date("2030-06-01T12:00:00Z");
  it.each([
    ["120", 120_000],
    ["0", 0],
    [" 5 ", 5_000],
    ["1.5", 1_500],
    ["Sat, 01 Jun 2030 12:01:30 GMT", 90_000],
    ["Sat, 01 Jun 2030 11:00:00 GMT", 0], // in the past: go now
  ])("%j → %d ms", (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
  it.each([undefined, "", "-5", "soon", "12abc", "1e3"])("%j → undefined", (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe("error classes", () => {
  it("carry provider, route, status and the ALM message, and say whether a retry can help", () => {
    const init = { provider: "jira" as const, route: "POST /rest/api/3/issue", status: 400, almMessage: "summary: required" };
    const t = new TerminalError(init);
    expect(t.message).toBe("jira POST /rest/api/3/issue: HTTP 400: request rejected: summary: required");
    expect(t.retryable).toBe(false);
    expect(new TransientError({ provider: "github" }, "timed out", "UND_ERR_HEADERS_TIMEOUT").retryable).toBe(true);
    expect(new RateLimitedError({ provider: "gitlab", status: 429 }, 5000, true).retryable).toBe(true);
    expect(new AuthError({ provider: "gitlab", status: 401 }).retryable).toBe(false);
    expect(new NotFoundError({ provider: "gitlab", status: 404 }).retryable).toBe(false);
    const ssrf = new SsrfBlockedError("metadata", "169.254.169.254", "link-local");
    expect(ssrf).toBeInstanceOf(TerminalError);
    expect(ssrf).toBeInstanceOf(ConnectorError);
    expect(ssrf.name).toBe("SsrfBlockedError");
  });
});
