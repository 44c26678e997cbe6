import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { App } from "./App";
import { requestActions } from "./roles";
import { SessionProvider, sessionOf, type Claims, type Role } from "./session";

function fakeToken(claims: Partial<Claims>): string {
  const body = btoa(JSON.stringify({ sub: "someone", exp: Math.floor(Date.now() / 1000) + 3600, ...claims }));
  return `header.${body.replace(/=+$/, "")}.signature`;
}

function renderAs(role: Role | null, path = "/") {
  const token = role ? fakeToken({ role, client: "MINUSMA", desk: "AFRICA_II", products: ["RULE_OF_LAW"], partner: "AU" }) : null;
  const session = token ? sessionOf(token) : null;
  return render(
    <MemoryRouter initialEntries={[path]}>
      <SessionProvider initial={session} authConfig={{ mode: "dev" }}>
        <App />
      </SessionProvider>
    </MemoryRouter>,
  );
}

const navOf = () => within(screen.getByRole("navigation", { name: "Main" })).getAllByRole("link").map((a) => a.textContent);

describe("role-based views", () => {
  it("sends someone not signed in to the sign-in page, with its role choice", () => {
    renderAs(null, "/requests/abc");
    expect(screen.getByRole("heading", { name: "Sign in" })).toBeTruthy();
    expect(screen.getByLabelText("Role")).toBeTruthy();
    expect(screen.getByLabelText("Client code")).toBeTruthy();
  });

  it.each([
    ["client", ["My requests", "New request", "Who does what where"]],
    ["desk_officer", ["Desk queue", "Approvals", "Desk metrics", "My lesson drafts", "Who does what where"]],
    ["provider", ["Provider queue", "Capacity", "My lesson drafts", "Who does what where"]],
    ["partner", ["Assessments", "Who does what where"]],
    ["hq_analyst", ["Lessons", "Drafts to review", "Who does what where"]],
    ["admin", ["Administration", "Desk queue", "Approvals", "Lessons", "Who does what where"]],
  ] as const)("offers a %s only its own screens", (role, expected) => {
    renderAs(role, "/nowhere");
    expect(navOf()).toEqual(expected);
  });

  it("lets a client withdraw or confirm, and only a desk triage, route, hold or reject", () => {
    expect(requestActions("client", "IN_PROGRESS")).toEqual(["comment", "attach", "withdraw"]);
    expect(requestActions("client", "DELIVERED")).toEqual(expect.arrayContaining(["confirm", "reopen"]));
    expect(requestActions("client", "CLOSED")).toEqual(["comment", "attach", "reopen"]);
    expect(requestActions("client", "SUBMITTED")).not.toContain("triage");
    expect(requestActions("desk_officer", "SUBMITTED")).toEqual(expect.arrayContaining(["triage", "note", "hold", "reject"]));
    expect(requestActions("desk_officer", "TRIAGED")).toContain("route");
    expect(requestActions("desk_officer", "ON_HOLD")).toEqual(expect.arrayContaining(["resume"]));
    expect(requestActions("desk_officer", "AWAITING_APPROVAL")).toContain("approve");
    expect(requestActions("desk_officer", "AWAITING_APPROVAL")).not.toContain("hold");
    expect(requestActions("desk_officer", "TRIAGED")).toEqual(expect.arrayContaining(["split", "merge"]));
    expect(requestActions("desk_officer", "DELIVERED")).not.toContain("merge");
    expect(requestActions("desk_officer", "MERGED")).toEqual(["comment", "note", "attach", "assessment"]);
    expect(requestActions("client", "MERGED")).toEqual(["comment", "attach"]);
    expect(requestActions("provider", "SUBMITTED")).toEqual([]);
    expect(requestActions("partner", "SUBMITTED")).toEqual([]);
  });
});
