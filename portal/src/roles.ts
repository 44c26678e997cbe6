// What each role sees: its home and its navigation. The services decide what data a
// role may read; this only decides which screens the portal offers it.
import type { NotificationKind } from "./gql/graphql";
import type { Role } from "./session";

export interface NavItem {
  to: string;
  label: string; // a translation key
}

// Who does what where is every role's: the insights service gives each its own part.
const WHO_DOES_WHAT: NavItem = { to: "/insights", label: "nav.whoDoesWhat" };
// Providers and desks write lessons too (after a delivery the platform drafts one).
const MY_DRAFTS: NavItem = { to: "/lessons/drafts", label: "nav.myDrafts" };

export const NAVIGATION: Record<Role, NavItem[]> = {
  client: [
    { to: "/requests", label: "nav.myRequests" },
    { to: "/requests/new", label: "nav.newRequest" },
    WHO_DOES_WHAT,
  ],
  desk_officer: [
    { to: "/desk", label: "nav.deskQueue" },
    { to: "/desk/approvals", label: "nav.approvals" },
    { to: "/desk/metrics", label: "nav.deskMetrics" },
    MY_DRAFTS,
    WHO_DOES_WHAT,
  ],
  provider: [
    { to: "/provider", label: "nav.providerQueue" },
    { to: "/provider/capacity", label: "nav.capacity" },
    MY_DRAFTS,
    WHO_DOES_WHAT,
  ],
  partner: [{ to: "/assessments", label: "nav.assessments" }, WHO_DOES_WHAT],
  hq_analyst: [
    { to: "/lessons", label: "nav.lessons" },
    { to: "/lessons/drafts", label: "nav.drafts" },
    WHO_DOES_WHAT,
  ],
  admin: [
    { to: "/admin", label: "nav.admin" },
    { to: "/desk", label: "nav.deskQueue" },
    { to: "/desk/approvals", label: "nav.approvals" },
    { to: "/lessons", label: "nav.lessons" },
    WHO_DOES_WHAT,
  ],
};

export function homeOf(role: Role): string {
  return NAVIGATION[role][0].to;
}

/** The request actions a role is offered; the desks service still checks each one. */
export function requestActions(role: Role, status: string): string[] {
  if (role === "client") {
    const actions = ["comment", "attach"];
    if (!["WITHDRAWN", "REJECTED", "CLOSED", "DELIVERED", "MERGED"].includes(status)) actions.push("withdraw");
    if (status === "DELIVERED") actions.push("confirm");
    // Within the desks' window only: the service says so when it has passed.
    if (["DELIVERED", "CLOSED"].includes(status)) actions.push("reopen");
    return actions;
  }
  if (role === "desk_officer" || role === "admin") {
    const actions = ["comment", "note", "attach", "assessment"];
    if (status === "SUBMITTED") actions.push("triage");
    if (status === "TRIAGED") actions.push("route");
    // Awaiting approval: its approver decides (the desks service checks who that is).
    if (status === "AWAITING_APPROVAL") actions.push("approve");
    if (!["ON_HOLD", "AWAITING_APPROVAL", "WITHDRAWN", "REJECTED", "CLOSED", "DELIVERED", "MERGED"].includes(status)) actions.push("hold", "reject");
    if (status === "ON_HOLD") actions.push("resume");
    // Linked requests: a finished request takes no links; only an open one is merged.
    if (!["WITHDRAWN", "REJECTED", "MERGED"].includes(status)) actions.push("split");
    if (!["WITHDRAWN", "REJECTED", "CLOSED", "DELIVERED", "MERGED"].includes(status)) actions.push("merge");
    return actions;
  }
  return [];
}

/** The notification kinds the preferences screen offers a role: those that can concern
 * it (the notifications service decides who is told; HQ roles see every kind). */
export const NOTIFICATION_KINDS: Record<Role, NotificationKind[]> = {
  client: ["REQUEST_STATUS_CHANGED", "PUBLIC_COMMENT", "APPROVAL_DECIDED", "REQUEST_MERGED", "FOLLOWED_LESSON_CHANGED", "FOLLOWED_REQUEST_CHANGED"],
  desk_officer: ["SLA_AT_RISK", "SLA_BREACHED", "APPROVAL_REQUESTED", "REQUEST_REOPENED", "DELIVERY_DISPUTED", "FOLLOWED_LESSON_CHANGED", "FOLLOWED_REQUEST_CHANGED"],
  provider: ["ENGAGEMENT_PROPOSED", "FOLLOWED_LESSON_CHANGED", "FOLLOWED_REQUEST_CHANGED"],
  partner: ["TASK_ASSIGNED", "FOLLOWED_LESSON_CHANGED", "FOLLOWED_REQUEST_CHANGED"],
  hq_analyst: ["REQUEST_STATUS_CHANGED", "PUBLIC_COMMENT", "SLA_AT_RISK", "SLA_BREACHED", "ENGAGEMENT_PROPOSED", "TASK_ASSIGNED", "APPROVAL_REQUESTED", "APPROVAL_DECIDED", "REQUEST_REOPENED", "DELIVERY_DISPUTED", "REQUEST_MERGED", "FOLLOWED_LESSON_CHANGED", "FOLLOWED_REQUEST_CHANGED"],
  admin: ["REQUEST_STATUS_CHANGED", "PUBLIC_COMMENT", "SLA_AT_RISK", "SLA_BREACHED", "ENGAGEMENT_PROPOSED", "TASK_ASSIGNED", "APPROVAL_REQUESTED", "APPROVAL_DECIDED", "REQUEST_REOPENED", "DELIVERY_DISPUTED", "REQUEST_MERGED", "FOLLOWED_LESSON_CHANGED", "FOLLOWED_REQUEST_CHANGED"],
};
