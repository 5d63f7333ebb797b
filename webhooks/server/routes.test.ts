import { describe, expect, it } from "@jest/globals";
import { RouteTable, type Route } from "./routes.js";

const route = (method: Route["method"], pattern: string, name = pattern): Route => ({ method, pattern, name, handler: () => ({ status: 200 }) });

function table() {
  const t = new RouteTable();
  t.add(route("POST", "/validate/workloads", "workloads"));
  t.add(route("POST", "/hooks/:namespace/:integration", "hooks"));
  t.add(route("POST", "/hooks/shop/special", "special"));
  t.add(route("GET", "/readyz", "readyz"));
  return t;
}

describe("RouteTable", () => {
  it.each([
    ["POST", "/validate/workloads", "workloads", {}],
    ["POST", "/validate/workloads/", "workloads", {}],
    ["POST", "/hooks/team-a/jira", "hooks", { namespace: "team-a", integration: "jira" }],
    ["POST", "/hooks/team%2Da/my%20jira", "hooks", { namespace: "team-a", integration: "my jira" }],
    // a literal segment beats a parameter, whatever the order of registration
    ["POST", "/hooks/shop/special", "special", {}],
    ["GET", "/readyz", "readyz", {}],
  ])("%s %s → %s", (method, path, name, params) => {
    const m = table().match(method, path);
    expect("route" in m && m.route.name).toBe(name);
    expect("route" in m && { ...m.params }).toEqual(params);
  });

  it.each([
    ["POST", "/nope", { status: 404 }],
    ["POST", "/hooks/only-one", { status: 404 }],
    ["GET", "/validate/workloads", { status: 405, allow: ["POST"] }],
    ["POST", "/hooks/%E0%A4%A/x", { status: 400, message: "malformed percent-encoding in path segment 2" }],
  ])("%s %s → %j", (method, path, expected) => {
    expect(table().match(method, path)).toEqual(expected);
  });

  it("refuses conflicting routes and patterns without a leading slash", () => {
    const t = table();
    expect(() => t.add(route("POST", "/hooks/:ns/:name"))).toThrow("conflicts with /hooks/:namespace/:integration");
    expect(() => t.add(route("POST", "hooks"))).toThrow("must start with /");
    expect(() => t.add(route("GET", "/hooks/:ns/:name"))).not.toThrow();
  });
});
