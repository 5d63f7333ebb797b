import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Agent } from "undici";
import { z } from "zod";
import { TerminalError, TransientError } from "./errors.js";
import { HttpTransport, messagesOf, type ProviderPolicy } from "./http.js";
import { jiraPolicy } from "./jira.js";

const TOKEN = "s3cr3t-token-abcdef";
const policy: ProviderPolicy = jiraPolicy;

describe("HttpTransport", () => {
  let server: http.Server;
  let base = "";
  const agent = new Agent();
  const seen: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      const send = (status: number, body: string, type = "application/json") => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      };
      switch (req.url) {
        case "/echo-secret":
          return send(400, JSON.stringify({ errorMessages: [`token ${TOKEN} is not valid here`], errors: {} }));
        case "/big":
          return send(200, JSON.stringify({ data: "x".repeat(10_000) }));
        case "/wrong-shape":
          return send(200, JSON.stringify({ id: 1 }));
        case "/timeout":
          return send(408, "");
        case "/html":
          return send(502, "<html><body>Bad gateway</body></html>", "text/html");
        default:
          return send(200, JSON.stringify({ id: "1" }));
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await agent.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const transport = (maxResponseBytes?: number) =>
    new HttpTransport(base, agent, policy, { authorization: `Bearer ${TOKEN}` }, [TOKEN], maxResponseBytes ? { maxResponseBytes } : {});

  it("sends the fixed auth header and JSON accept", async () => {
    await transport().call({ method: "GET", path: "/ok", route: "GET /ok" });
    expect(seen.at(-1)).toMatchObject({ authorization: `Bearer ${TOKEN}`, accept: "application/json" });
  });

  it("redacts credentials an ALM echoes back in its error text", async () => {
    const err = (await transport()
      .call({ method: "GET", path: "/echo-secret", route: "GET /echo-secret" })
      .catch((e: unknown) => e)) as TerminalError;
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toContain("token [REDACTED] is not valid here");
    expect(err.message).not.toContain(TOKEN);
  });

  it("bounds the response size", async () => {
    const err = await transport(1_000)
      .call({ method: "GET", path: "/big", route: "GET /big" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toContain("larger than 1000 bytes");
  });

  it("names the field when a response does not match the expected shape", async () => {
    const err = await transport()
      .callJson({ method: "GET", path: "/wrong-shape", route: "GET /wrong-shape" }, z.object({ id: z.string(), key: z.string() }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toMatch(/unexpected response \(id: /);
  });

  it("treats 408 and 5xx (even with an HTML body) as transient", async () => {
    expect(await transport().call({ method: "GET", path: "/timeout", route: "GET /timeout" }).catch((e: unknown) => e)).toBeInstanceOf(TransientError);
    const html = (await transport().call({ method: "GET", path: "/html", route: "GET /html" }).catch((e: unknown) => e)) as TransientError;
    expect(html).toBeInstanceOf(TransientError);
    expect(html.almMessage).toBeUndefined();
  });

  it("turns connection refusal into TransientError with the code", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const t = new HttpTransport(`http://127.0.0.1:${port}`, agent, policy, {}, [], {});
    const err = (await t.call({ method: "GET", path: "/", route: "GET /" }).catch((e: unknown) => e)) as TransientError;
    expect(err).toBeInstanceOf(TransientError);
    expect(err.code).toBe("ECONNREFUSED");
  });
});

describe("messagesOf", () => {
  it("flattens the shapes ALMs use for error text", () => {
    expect(messagesOf(["a", "b"])).toEqual(["a", "b"]);
    expect(messagesOf({ summary: "required", labels: "no spaces" })).toEqual(["summary: required", "labels: no spaces"]);
    expect(messagesOf({ message: "Bad credentials" })).toEqual(["Bad credentials"]);
    expect(messagesOf({ title: ["is too long"] })).toEqual(["title: is too long"]);
    expect(messagesOf(42)).toEqual([]);
  });
});
